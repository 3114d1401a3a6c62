"""Densities of 2-D point clouds on a grid.

The glyph map (about 14,500 UMAP points) and the "noised dataset" view need the density
of a point cloud on a grid: :func:`kde_grid` is a Gaussian kernel density estimate
evaluated on a regular grid by linear binning followed by an FFT convolution (Wand 1994,
"Fast computation of multivariate kernel estimators"); it matches
``scipy.stats.gaussian_kde`` to within a fraction of a percent at the resolutions the app
uses, in a few milliseconds.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve

# Kernel truncation, in marginal standard deviations. Beyond 5 sd a Gaussian is
# exp(-12.5) ~ 4e-6 of its peak, far below what a figure can show.
KERNEL_CUTOFF_SD = 5.0

# Upper bound on the padded grid of kde_grid (about 256 MB of float64 work arrays).
_MAX_PADDED_CELLS = 1 << 24


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
