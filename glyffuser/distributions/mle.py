"""Maximum-likelihood fit of a 1-D Gaussian, for the "Learning a distribution" tab.

:func:`fit_gaussian_mle`, :func:`running_gaussian_mle` (the fit after each of the first
n samples), :func:`gaussian_log_likelihood` and :func:`mle_sigma_mean` (the mean of the
``1/n`` estimate, biased low). :func:`implicit_sampler` is the other way to learn the same
samples: a map from noise to values that never states a density, as a diffusion model
learns its distribution (Ho et al. 2020).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, ndtr


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


def mle_sigma_mean(n: np.ndarray | int) -> np.ndarray:
    """``E[sigma_hat] / sigma`` for the ``1/n`` MLE from ``n`` Gaussian samples.

    ``n sigma_hat^2 / sigma^2`` follows a chi-squared law with ``n - 1`` degrees of freedom,
    so ``E[sigma_hat] = sigma sqrt(2/n) Gamma(n/2) / Gamma((n-1)/2)``: 0.564 at ``n = 2``,
    0.962 at ``n = 20``, tending to 1 (the estimate is biased low).

    Args:
        n: sample counts, each ``>= 2``; any shape.

    Returns:
        The ratio, same shape as ``n``, float64.
    """
    n = np.asarray(n, dtype=np.float64)
    return np.sqrt(2.0 / n) * np.exp(gammaln(n / 2.0) - gammaln((n - 1.0) / 2.0))


def implicit_sampler(samples: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Map standard-normal noise to new values through the samples' quantiles.

    A learnt-by-example transport map: ``x = F_n^{-1}(Phi(z))``, where ``F_n^{-1}`` is the
    empirical quantile function of the samples (linear between order statistics). It
    makes values the samples never held, without ever stating a density; the values stay
    within the smallest and largest sample.

    Args:
        samples: ``(n,)`` observations, ``n >= 1``.
        noise: ``(m,)`` draws ``z ~ N(0, 1)``.

    Returns:
        ``(m,)`` generated values.
    """
    return np.quantile(np.asarray(samples, dtype=np.float64), ndtr(np.asarray(noise, dtype=np.float64)))
