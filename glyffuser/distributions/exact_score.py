"""The exact score of a Gaussian mixture, and particles that follow it from noise to the data's density.

* :func:`gaussian_mixture_score` is the exact score ``∇_x log p(x)`` of an equal-weight
  isotropic Gaussian mixture. With centers ``sqrt(abar_t) * x0_i`` and variance
  ``1 - abar_t`` it is the score of the noised data distribution ``q_t(x)`` of a
  variance-preserving diffusion (Ho et al. 2020; Song et al. 2021, "Score-Based Generative
  Modeling through Stochastic Differential Equations").
* :func:`reverse_particles` moves particles along the probability-flow ODE (Song et al.
  2021) with the deterministic DDIM update (Song, Meng & Ermon 2021), driven by that
  exact score, so the app can show noise flowing back to the (smoothed) data
  distribution.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

# Work per matrix product, M * N * K. OpenBLAS runs a product on one thread up to
# 4 * 65536 = 262144 (its default threshold). Above it, these skinny (K = 3) products are
# split across threads whose hand-offs cost far more than the arithmetic on a small,
# busy machine (measured on 2 cores: 3-10x slower), so chunks are sized to stay below.
_SINGLE_THREAD_WORK = 1 << 18

# Float64 weights: shifted logits are floored at -708, where exp is still a normal number.
# The floored weights are negligible (< 1e-307 of the largest) and numpy's float64 exp is
# 2-3x slower on arguments whose result underflows (measured). Float32 exp barely slows
# down, so there the extra pass would cost more than it saves.
_EXP_FLOOR_FLOAT64 = -708.0


def _mixture_terms(
    x: np.ndarray, centers: np.ndarray, variance: float, dtype: type = np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Log-density and score of ``mean_i N(x; centers_i, variance * I)``, chunked.

    The logits and their log-sum-exp shift are float64; the shifted weights
    ``exp(logit - max)`` in ``[0, 1]`` and their sums are formed in ``dtype``.

    Returns:
        ``(logpdf (M,), score (M, 2))``, float64.
    """
    x = np.asarray(x, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2 or centers.ndim != 2 or centers.shape[1] != 2:
        raise ValueError("x must be (M, 2) and centers (N, 2)")
    if len(centers) == 0:
        raise ValueError("centers must not be empty")
    variance = float(variance)
    if not variance > 0:
        raise ValueError(f"variance must be positive, got {variance}")

    m, n = len(x), len(centers)
    # logit_ki = -|x_k - c_i|^2 / (2v) = (x_k . c_i - |c_i|^2 / 2) / v - |x_k|^2 / (2v);
    # the last term is constant along i, so it drops out of the softmax and is added back
    # to the log-density only. One (R, 3) @ (3, N) product gives the rest. (Fortran order:
    # OpenBLAS is much slower on a C-ordered (3, N) right operand.)
    lift_c = np.asfortranarray(
        np.vstack([centers.T, -0.5 * np.sum(centers**2, axis=1)]) / variance
    )  # (3, N)
    # Sum weights against centers shifted by their mean (smaller terms, less round-off);
    # the last column of ones gives the normaliser in the same product.
    shift = centers.mean(axis=0)  # (2,)
    moments = np.hstack([centers - shift, np.ones((n, 1))]).astype(dtype)  # (N, 3)
    log_norm = np.log(n) + np.log(2.0 * np.pi * variance)  # log N + log (2 pi v)^(d/2)

    floor = _EXP_FLOOR_FLOAT64 if np.dtype(dtype) == np.float64 else None
    chunk = max(1, _SINGLE_THREAD_WORK // (3 * n))
    logpdf = np.empty(m)
    score = np.empty((m, 2))
    weights = np.empty((min(chunk, m), n), dtype=dtype)
    for start in range(0, m, chunk):
        xs = x[start : start + chunk]  # (R, 2)
        rows = len(xs)
        logits = np.hstack([xs, np.ones((rows, 1))]) @ lift_c  # (R, N), float64
        top = logits.max(axis=1, keepdims=True)  # (R, 1)
        w = weights[:rows]
        np.subtract(logits, top, out=w, casting="unsafe")
        if floor is not None:
            np.maximum(w, floor, out=w)
        np.exp(w, out=w)  # unnormalised responsibilities, the largest is 1
        sums = (w @ moments).astype(np.float64)  # (R, 3): sum w (c - shift), sum w
        total = sums[:, 2]
        mean_center = sums[:, :2] / total[:, None] + shift  # (R, 2) E[c | x]
        half_sq = 0.5 * np.sum(xs**2, axis=1) / variance
        logpdf[start : start + rows] = top[:, 0] - half_sq + np.log(total) - log_norm
        score[start : start + rows] = (mean_center - xs) / variance
    return logpdf, score


def gaussian_mixture_logpdf(
    x: np.ndarray, centers: np.ndarray, variance: float, dtype: type = np.float32
) -> np.ndarray:
    """Log-density of the equal-weight mixture ``p(x) = mean_i N(x; centers_i, variance I)``.

    Args:
        x: ``(M, 2)`` query points.
        centers: ``(N, 2)`` component means.
        variance: shared isotropic component variance (a positive float).
        dtype: precision of the ``(chunk, N)`` weight block, see
            :func:`gaussian_mixture_score`.

    Returns:
        ``(M,)`` values of ``log p(x)``.
    """
    return _mixture_terms(x, centers, variance, dtype)[0]


def gaussian_mixture_terms(
    x: np.ndarray, centers: np.ndarray, variance: float, dtype: type = np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Both :func:`gaussian_mixture_logpdf` and :func:`gaussian_mixture_score` in one pass.

    Returns:
        ``(logpdf (M,), score (M, 2))``, float64.
    """
    return _mixture_terms(x, centers, variance, dtype)


def gaussian_mixture_score(
    x: np.ndarray, centers: np.ndarray, variance: float, dtype: type = np.float32
) -> np.ndarray:
    """Exact score ``∇_x log p(x)`` of ``p(x) = mean_i N(x; centers_i, variance I)``.

    ``∇_x log p(x) = (sum_i r_i(x) centers_i - x) / variance`` with responsibilities
    ``r(x) = softmax_i(-|x - centers_i|^2 / (2 variance))``, computed with the
    log-sum-exp shift (in float64) so that it stays finite for any variance, in chunks
    of query points. For the noised dataset ``q_t`` of a variance-preserving diffusion
    pass ``centers = sqrt(abar_t) * x0`` and ``variance = 1 - abar_t`` (plus
    ``abar_t * h**2`` when the data are first smoothed by a kernel of bandwidth ``h``).

    Args:
        x: ``(M, 2)`` query points.
        centers: ``(N, 2)`` component means.
        variance: shared isotropic component variance (a positive float).
        dtype: precision of the ``(chunk, N)`` block of shifted weights. ``np.float32``
            (default) is two to three times faster and agrees with the float64 result to
            better than ``1e-6`` of the largest score (relative error of the weights about
            ``1e-7``); ``np.float64`` gives the score to round-off.

    Returns:
        ``(M, 2)`` score vectors, float64.
    """
    return _mixture_terms(x, centers, variance, dtype)[1]


# --------------------------------------------------------------------------------------
# Probability-flow ODE with the exact score
# --------------------------------------------------------------------------------------


def iter_reverse_particles(
    x_T: np.ndarray,
    x0_points: np.ndarray,
    alphas_cumprod: np.ndarray,
    timesteps: np.ndarray,
    base_variance: float = 0.0,
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Step particles back along the probability-flow ODE, yielding every step.

    The data distribution is the point cloud ``x0_points`` (smoothed by an isotropic
    Gaussian of variance ``base_variance`` when that is positive), so the noised
    distribution at step ``t`` is the mixture
    ``q_t = mean_i N(sqrt(abar_t) x0_i, (abar_t * base_variance + 1 - abar_t) I)``
    and its score is exact. Each step is the deterministic DDIM update (Song, Meng &
    Ermon 2021), a first-order discretisation of the probability-flow ODE of the
    variance-preserving SDE (Song et al. 2021):

    1. ``x0_hat = (x + (1 - abar_t) * score) / sqrt(abar_t)`` (Tweedie's formula),
    2. ``eps_hat = (x - sqrt(abar_t) * x0_hat) / sqrt(1 - abar_t)``,
    3. ``x_prev = sqrt(abar_prev) * x0_hat + sqrt(1 - abar_prev) * eps_hat``.

    After the last timestep the particles move to ``abar = 1``, i.e. onto ``x0_hat``.

    Args:
        x_T: ``(M, 2)`` starting particles, typically standard normal.
        x0_points: ``(N, 2)`` clean data points.
        alphas_cumprod: ``(T,)`` cumulative products ``abar_t`` of the noise schedule.
        timesteps: ``(K,)`` strictly decreasing integer timesteps into ``alphas_cumprod``.
        base_variance: variance of the kernel that smooths the data, ``h**2``.

    Yields:
        ``(t, x_t, pred_x0)``: the timestep, the ``(M, 2)`` particles at ``t`` and their
        ``(M, 2)`` predicted clean positions; a final ``(-1, x_0, x_0)`` gives the end.
    """
    x = np.array(x_T, dtype=np.float64)
    x0_points = np.asarray(x0_points, dtype=np.float64)
    abar_all = np.asarray(alphas_cumprod, dtype=np.float64)
    steps = np.asarray(timesteps, dtype=np.int64).reshape(-1)
    if steps.size == 0:
        raise ValueError("timesteps must not be empty")
    if np.any(np.diff(steps) >= 0):
        raise ValueError("timesteps must be strictly decreasing")
    if not np.all((abar_all[steps] > 0) & (abar_all[steps] < 1)):
        raise ValueError("alphas_cumprod must lie strictly between 0 and 1 at the timesteps")
    for k, t in enumerate(steps):
        abar = abar_all[t]
        abar_prev = abar_all[steps[k + 1]] if k + 1 < steps.size else 1.0
        variance = abar * base_variance + (1.0 - abar)
        score = gaussian_mixture_score(x, np.sqrt(abar) * x0_points, variance)
        x0_hat = (x + (1.0 - abar) * score) / np.sqrt(abar)  # (M, 2)
        yield int(t), x, x0_hat
        eps_hat = (x - np.sqrt(abar) * x0_hat) / np.sqrt(1.0 - abar)  # (M, 2)
        x = np.sqrt(abar_prev) * x0_hat + np.sqrt(1.0 - abar_prev) * eps_hat
    yield -1, x, x


def reverse_particles(
    x_T: np.ndarray,
    x0_points: np.ndarray,
    alphas_cumprod: np.ndarray,
    timesteps: np.ndarray,
    base_variance: float = 0.0,
) -> list[np.ndarray]:
    """Particle positions along the probability-flow ODE, one array per step.

    Drives :func:`iter_reverse_particles`; see it for the update and the arguments.

    Returns:
        ``K + 1`` arrays of shape ``(M, 2)``: ``x_T`` at ``timesteps[0]``, the positions
        at each later timestep, and the final positions at ``abar = 1``.
    """
    steps = iter_reverse_particles(x_T, x0_points, alphas_cumprod, timesteps, base_variance)
    return [x for _, x, _ in steps]
