"""Densities and exact scores of 2-D point clouds, and a 1-D maximum-likelihood fit.

The glyph map (about 14,500 UMAP points) and the "noised dataset" view both need the
density of a point cloud on a grid and the score ``∇_x log p(x)`` at query points:

* :func:`kde_grid` is a Gaussian kernel density estimate evaluated on a regular grid by
  linear binning followed by an FFT convolution (Wand 1994, "Fast computation of
  multivariate kernel estimators"); it matches ``scipy.stats.gaussian_kde`` to within
  a fraction of a percent at the resolutions the app uses, in a few milliseconds.
* :func:`gaussian_mixture_score` is the exact score of an equal-weight isotropic
  Gaussian mixture. With centers ``sqrt(abar_t) * x0_i`` and variance ``1 - abar_t`` it
  is the score of the noised data distribution ``q_t(x)`` of a variance-preserving
  diffusion (Ho et al. 2020; Song et al. 2021, "Score-Based Generative Modeling through
  Stochastic Differential Equations").
* :func:`reverse_particles` moves particles along the probability-flow ODE (Song et al.
  2021) with the deterministic DDIM update (Song, Meng & Ermon 2021), driven by that
  exact score, so the app can show noise flowing back onto the data.
* :func:`fit_gaussian_mle`, :func:`running_gaussian_mle` and
  :func:`gaussian_log_likelihood` are the maximum-likelihood fit of a 1-D Gaussian for
  the "Learning a distribution" tab.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy.signal import fftconvolve

# Kernel truncation, in marginal standard deviations. Beyond 5 sd a Gaussian is
# exp(-12.5) ~ 4e-6 of its peak, far below what a figure can show.
KERNEL_CUTOFF_SD = 5.0

# Upper bound on the padded grid of kde_grid (about 256 MB of float64 work arrays).
_MAX_PADDED_CELLS = 1 << 24


# --------------------------------------------------------------------------------------
# Kernel density estimation on a grid
# --------------------------------------------------------------------------------------


def scott_covariance(points: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Kernel covariance chosen by Scott's rule, exactly as ``scipy.stats.gaussian_kde``.

    ``covariance = cov(points) * factor**2`` with ``factor = n_eff ** (-1 / (d + 4))``,
    where ``cov`` is the unbiased (weighted) data covariance and ``n_eff`` the effective
    sample size ``(sum w)**2 / sum w**2`` (``n`` when unweighted).

    Args:
        points: ``(N, 2)`` data points.
        weights: optional ``(N,)`` non-negative weights.

    Returns:
        ``(2, 2)`` kernel covariance matrix.
    """
    points = np.asarray(points, dtype=np.float64)
    n, d = points.shape
    if weights is None:
        n_eff = float(n)
        w = None
    else:
        w = np.asarray(weights, dtype=np.float64)
        w = w / w.sum()
        n_eff = 1.0 / float(np.sum(w**2))
    factor = n_eff ** (-1.0 / (d + 4))
    data_cov = np.atleast_2d(np.cov(points, rowvar=False, bias=False, aweights=w))
    return data_cov * factor**2


def _as_covariance(bandwidth: float | np.ndarray) -> np.ndarray:
    """A scalar standard deviation or a ``(2, 2)`` covariance, as a ``(2, 2)`` matrix."""
    bw = np.asarray(bandwidth, dtype=np.float64)
    if bw.ndim == 0:
        if not bw > 0:
            raise ValueError(f"bandwidth must be positive, got {float(bw)}")
        return np.eye(2) * float(bw) ** 2
    if bw.shape != (2, 2):
        raise ValueError(f"bandwidth must be a scalar or a (2, 2) covariance, got {bw.shape}")
    cov = 0.5 * (bw + bw.T)
    if np.linalg.eigvalsh(cov)[0] <= 0:
        raise ValueError("bandwidth covariance must be positive definite")
    return cov


def _grid_step(grid: np.ndarray, name: str) -> float:
    """Spacing of a regular, increasing 1-D grid."""
    grid = np.asarray(grid, dtype=np.float64)
    if grid.ndim != 1 or grid.size < 2:
        raise ValueError(f"{name} must be a 1-D array with at least 2 values")
    step = (grid[-1] - grid[0]) / (grid.size - 1)
    if not step > 0 or not np.allclose(np.diff(grid), step, rtol=1e-6, atol=0):
        raise ValueError(f"{name} must be regularly spaced and increasing")
    return float(step)


def bounding_grid(
    points: np.ndarray, margin: float, size: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """Regular grid axes over the points' bounding box widened by ``margin`` on each side.

    Args:
        points: ``(N, 2)`` data points.
        margin: widening in data units, e.g. ``3 * bandwidth``.
        size: number of grid values along each axis.

    Returns:
        ``(grid_x, grid_y)``, each ``(size,)``.
    """
    points = np.asarray(points, dtype=np.float64)
    lo = points.min(axis=0) - margin
    hi = points.max(axis=0) + margin
    return np.linspace(lo[0], hi[0], size), np.linspace(lo[1], hi[1], size)


def kde_grid(
    points: np.ndarray,
    bandwidth: float | np.ndarray,
    grid_x: np.ndarray,
    grid_y: np.ndarray,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Gaussian kernel density estimate of 2-D points, evaluated on a regular grid.

    Computes ``f(g) = sum_i w_i N(g; p_i, H)`` (weights normalised to sum to one) at every
    grid node ``g = (grid_x[j], grid_y[i])``. The points are spread onto the grid by
    bilinear ("linear") binning and the binned weights are convolved with the kernel
    sampled on the grid, using an FFT. Three details keep it accurate:

    1. The grid is padded internally by ``KERNEL_CUTOFF_SD`` kernel standard deviations,
       so points outside the requested grid still contribute, and the convolution is a
       linear (zero-padded) one, so no mass wraps around the edges.
    2. Linear binning blurs each point by, on average, an extra variance of ``step**2 / 6``
       per axis; this is subtracted from the kernel covariance (when it is small enough
       to leave the covariance positive definite) so the estimate is not over-smoothed.
    3. The kernel carries the continuous normalisation ``1 / (2 pi sqrt(det H))``, so the
       result is a density in data units and matches ``scipy.stats.gaussian_kde``.

    Accuracy depends on the kernel width in grid steps. Measured against scipy on
    14,500 clumped points, as a maximum relative error where the density exceeds 1% of
    its peak: 0.06% at 6 steps (Scott's rule on the app's 200 x 200 grid), 0.3% at 4,
    2% at 2, 9% at 1.25. Keep the bandwidth above about 2 grid steps.

    Args:
        points: ``(N, 2)`` data points ``(x, y)``.
        bandwidth: kernel standard deviation (scalar, isotropic) in data units, or a
            ``(2, 2)`` kernel covariance ``H`` (e.g. from :func:`scott_covariance`).
        grid_x: ``(nx,)`` regularly spaced, increasing x values.
        grid_y: ``(ny,)`` regularly spaced, increasing y values.
        weights: optional ``(N,)`` non-negative point weights.

    Returns:
        ``(ny, nx)`` density values; row ``i`` is ``grid_y[i]``, column ``j`` is
        ``grid_x[j]`` (the layout of ``go.Heatmap(z=..., x=grid_x, y=grid_y)``).
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {points.shape}")
    grid_x = np.asarray(grid_x, dtype=np.float64)
    grid_y = np.asarray(grid_y, dtype=np.float64)
    dx, dy = _grid_step(grid_x, "grid_x"), _grid_step(grid_y, "grid_y")
    cov = _as_covariance(bandwidth)

    if weights is None:
        w = np.full(len(points), 1.0 / max(len(points), 1))
    else:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.shape[0] != points.shape[0] or np.any(w < 0) or not w.sum() > 0:
            raise ValueError("weights must be (N,), non-negative, with a positive sum")
        w = w / w.sum()

    # 1. Pad by the kernel's reach along each axis (marginal sd, so the whole ellipse fits).
    pad_x = int(np.ceil(KERNEL_CUTOFF_SD * np.sqrt(cov[0, 0]) / dx))
    pad_y = int(np.ceil(KERNEL_CUTOFF_SD * np.sqrt(cov[1, 1]) / dy))
    nx_p, ny_p = grid_x.size + 2 * pad_x, grid_y.size + 2 * pad_y
    if nx_p * ny_p > _MAX_PADDED_CELLS:
        raise ValueError(
            "bandwidth is too wide for this grid (the padded grid would need "
            f"{ny_p} x {nx_p} cells); widen the grid or coarsen its step"
        )

    # Linear binning onto the padded grid; points off it are beyond the kernel's reach.
    fx = (points[:, 0] - grid_x[0]) / dx + pad_x  # (N,) fractional column
    fy = (points[:, 1] - grid_y[0]) / dy + pad_y  # (N,) fractional row
    inside = (fx >= 0) & (fx < nx_p - 1) & (fy >= 0) & (fy < ny_p - 1)
    fx, fy, w_in = fx[inside], fy[inside], w[inside]
    ix, iy = np.floor(fx).astype(np.intp), np.floor(fy).astype(np.intp)
    ux, uy = fx - ix, fy - iy
    base = iy * nx_p + ix
    flat = np.concatenate([base, base + 1, base + nx_p, base + nx_p + 1])
    mass = np.concatenate(
        [
            w_in * (1 - ux) * (1 - uy),
            w_in * ux * (1 - uy),
            w_in * (1 - ux) * uy,
            w_in * ux * uy,
        ]
    )
    binned = np.bincount(flat, weights=mass, minlength=ny_p * nx_p).reshape(ny_p, nx_p)

    # 2. Compensate the blur that linear binning adds.
    kernel_cov = cov - np.diag([dx**2 / 6.0, dy**2 / 6.0])
    if np.linalg.eigvalsh(kernel_cov)[0] < 0.5 * np.linalg.eigvalsh(cov)[0]:
        kernel_cov = cov  # grid too coarse for the kernel: leave the bandwidth alone

    # 3. The kernel sampled at grid offsets, with the continuous normalisation.
    ox = np.arange(-pad_x, pad_x + 1) * dx  # (2*pad_x+1,)
    oy = np.arange(-pad_y, pad_y + 1) * dy  # (2*pad_y+1,)
    prec = np.linalg.inv(kernel_cov)
    quad = (
        prec[0, 0] * ox[None, :] ** 2
        + 2.0 * prec[0, 1] * oy[:, None] * ox[None, :]
        + prec[1, 1] * oy[:, None] ** 2
    )
    kernel = np.exp(-0.5 * quad) / (2.0 * np.pi * np.sqrt(np.linalg.det(kernel_cov)))

    # 'valid' keeps exactly the requested (ny, nx) window of the padded convolution.
    density = fftconvolve(binned, kernel, mode="valid")  # (ny, nx)
    return np.maximum(density, 0.0)  # FFT round-off can leave tiny negatives


# --------------------------------------------------------------------------------------
# Exact score of an isotropic Gaussian mixture
# --------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------
# Maximum-likelihood fit of a 1-D Gaussian
# --------------------------------------------------------------------------------------


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
