"""Maximum-likelihood fit of a 1-D Gaussian, for the "Learning a distribution" tab.

:func:`fit_gaussian_mle`, :func:`running_gaussian_mle` (the fit after each of the first
n samples) and :func:`gaussian_log_likelihood`.
"""

from __future__ import annotations

import numpy as np


def fit_gaussian_mle(samples: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood estimate of ``N(mu, sigma^2)`` from 1-D samples.

    Args:
        samples: ``(n,)`` observations.

    Returns:
        ``(mu_hat, sigma_hat)``: the sample mean and the biased (``1/n``) standard
        deviation, which maximise the likelihood.
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    if samples.size == 0:
        raise ValueError("samples must not be empty")
    return float(samples.mean()), float(samples.std(ddof=0))


def gaussian_log_likelihood(samples: np.ndarray, mu: float, sigma: float) -> float:
    """Log-likelihood ``sum_k log N(x_k; mu, sigma^2)`` of 1-D samples.

    Args:
        samples: ``(n,)`` observations.
        mu: mean.
        sigma: standard deviation, positive.

    Returns:
        The summed log-density.
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    z = (samples - mu) / sigma
    return float(-0.5 * np.sum(z**2) - samples.size * (np.log(sigma) + 0.5 * np.log(2 * np.pi)))


def running_gaussian_mle(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MLE of ``N(mu, sigma^2)`` on the first ``k`` samples, for ``k = 2 .. n``.

    Uses cumulative sums of the samples shifted by their overall mean, which keeps the
    ``E[x^2] - E[x]^2`` form of the variance free of cancellation.

    Args:
        samples: ``(n,)`` observations, ``n >= 2``.

    Returns:
        ``(k, mu_hat, sigma_hat)``, each ``(n - 1,)``.
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    if samples.size < 2:
        raise ValueError("need at least two samples")
    shift = samples.mean()
    y = samples - shift
    k = np.arange(1, samples.size + 1, dtype=np.float64)
    mean_y = np.cumsum(y) / k
    var = np.maximum(np.cumsum(y**2) / k - mean_y**2, 0.0)
    return k[1:].astype(np.int64), mean_y[1:] + shift, np.sqrt(var[1:])
