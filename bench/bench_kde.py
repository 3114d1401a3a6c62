"""Time the grid KDE and the exact mixture score at the glyph map's size.

``kde_grid`` (linear binning + FFT convolution) is compared with the direct sum of
``scipy.stats.gaussian_kde`` on the same 200 x 200 grid and the same Scott covariance;
``gaussian_mixture_score`` is timed for a 30 x 30 field of query points against all the
points. The points are synthetic, clumped like a UMAP embedding, from a fixed seed.

Run from the repository root: ``python -m bench.bench_kde``
"""

from __future__ import annotations

import time

import numpy as np
from scipy.stats import gaussian_kde

from glyffuser.distributions.density import bounding_grid, kde_grid, scott_covariance
from glyffuser.distributions.exact_score import gaussian_mixture_score

N_POINTS = 14_500
GRID_SIZE = 200
RUNS = 20


def map_like_points(n: int, seed: int = 0) -> np.ndarray:
    """``(n, 2)`` points in 60 clumps of different widths, UMAP-like."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-10, 10, size=(60, 2))
    widths = rng.uniform(0.2, 1.0, size=(n, 1))
    return centers[rng.integers(0, 60, n)] + widths * rng.normal(size=(n, 2))


def median_ms(fn, runs: int = RUNS) -> float:
    """Median wall time of ``fn()`` in milliseconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def main() -> None:
    points = map_like_points(N_POINTS)
    cov = scott_covariance(points)
    gx, gy = bounding_grid(points, 3 * np.sqrt(cov.diagonal().max()), GRID_SIZE)

    ours_ms = median_ms(lambda: kde_grid(points, cov, gx, gy))
    ours = kde_grid(points, cov, gx, gy)

    kde = gaussian_kde(points.T)  # Scott's rule, the same covariance
    X, Y = np.meshgrid(gx, gy)
    start = time.perf_counter()
    ref = kde(np.vstack([X.ravel(), Y.ravel()])).reshape(X.shape)
    scipy_ms = 1e3 * (time.perf_counter() - start)

    err = np.abs(ours - ref)
    significant = ref > 0.01 * ref.max()
    mass = ours.sum() * (gx[1] - gx[0]) * (gy[1] - gy[0])
    print(f"{N_POINTS} points, {GRID_SIZE}x{GRID_SIZE} grid, Scott covariance")
    print(f"  kde_grid             {ours_ms:9.1f} ms  (median of {RUNS})")
    print(f"  scipy gaussian_kde   {scipy_ms:9.1f} ms  (one run)")
    print(f"  max |error| / max density             {err.max() / ref.max():.2e}")
    worst_relative = np.max(err[significant] / ref[significant])
    print(f"  max relative error where > 1% of max  {worst_relative:.2e}")
    print(f"  grid mass                             {mass:.6f}")

    sx, sy = bounding_grid(points, 0.0, 30)
    queries = np.stack(np.meshgrid(sx, sy), axis=-1).reshape(-1, 2)  # (900, 2)
    for dtype in (np.float32, np.float64):
        ms = median_ms(lambda: gaussian_mixture_score(queries, points, 0.25, dtype=dtype))
        print(f"gaussian_mixture_score, {len(queries)} x {N_POINTS}, {dtype.__name__} weights: "
              f"{ms:.1f} ms  (median of {RUNS})")


if __name__ == "__main__":
    main()
