"""Diffusion on the 2-D glyph map: the noised data cloud, its density and its exact score.

The explorer uses the UMAP map of the glyphs as a stand-in for pixel space. The map's
coordinates are standardised (zero mean, unit variance per axis) and treated as data
``x0`` for a variance-preserving diffusion (Ho et al. 2020):

* every point is noised with ``x_t = √ᾱ_t x0 + √(1 − ᾱ_t) ε`` (through
  :meth:`glyffuser.diffusion.schedule.NoiseSchedule.q_sample`);
* the data distribution ``q_0`` is the kernel density estimate of the points with an
  isotropic Gaussian kernel of bandwidth ``h`` (Scott's rule), so the noised
  distribution is known exactly: ``q_t = mean_i N(√ᾱ_t x0_i, (ᾱ_t h² + 1 − ᾱ_t) I)``,
  a kernel density estimate of the shrunk points with a wider kernel;
* its score ``∇_x log q_t(x)`` is the exact mixture score (Song et al. 2021), and
  particles released from ``N(0, I)`` follow the probability-flow ODE and end as a
  sample of ``q_0`` (the points blurred by ``h``), not on the points themselves.

The density drawn under the points and the score drawn as arrows are therefore the same
distribution, at every ``t``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from glyffuser.diffusion.forward import standard_normal
from glyffuser.diffusion.schedule import NoiseSchedule
from glyffuser.distributions.density import kde_grid
from glyffuser.distributions.exact_score import gaussian_mixture_terms, iter_reverse_particles

# Half-width of the square the figures show, in standard deviations of the data. Pure
# noise N(0, I) stays inside ±4 for 99.99% of points along each axis.
MAP_EXTENT = 4.0


def standardize(points: np.ndarray) -> np.ndarray:
    """Shift and scale each axis to zero mean and unit variance.

    Args:
        points: ``(N, 2)`` map coordinates.

    Returns:
        ``(N, 2)`` float64.
    """
    points = np.asarray(points, dtype=np.float64)
    return (points - points.mean(axis=0)) / points.std(axis=0)


def scott_bandwidth(n: int, dim: int = 2) -> float:
    """Scott's factor ``n ** (-1 / (d + 4))``: the kernel sd for unit-variance data."""
    return float(n) ** (-1.0 / (dim + 4))


def map_grid(size: int = 200, extent: float = MAP_EXTENT) -> tuple[np.ndarray, np.ndarray]:
    """Square grid axes ``(grid_x, grid_y)``, each ``(size,)``, over ``[-extent, extent]``."""
    axis = np.linspace(-extent, extent, int(size))
    return axis, axis.copy()


def density_grid(sd: float, extent: float = MAP_EXTENT, steps_per_sd: float = 5.0, min_size: int = 60,
                 max_size: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """A square grid fine enough for a kernel of standard deviation ``sd``, and no finer.

    ``kde_grid`` is accurate when the kernel spans a few grid steps (0.06% at 6 steps,
    0.3% at 4); wide kernels (large ``t``) need far fewer nodes, and a smaller grid keeps
    the FFT cheap. The size is clipped to ``[min_size, max_size]``.
    """
    size = int(np.clip(np.ceil(2 * extent * steps_per_sd / sd) + 1, min_size, max_size))
    return map_grid(size, extent)


def noised_variance(abar: float, bandwidth: float) -> float:
    """Variance of each mixture component of ``q_t``: ``ᾱ h² + 1 − ᾱ``."""
    return float(abar) * bandwidth**2 + 1.0 - float(abar)


def noise_points(x0: np.ndarray, schedule: NoiseSchedule, t: int, seed: int) -> np.ndarray:
    """All points noised to step ``t``: ``x_t = √ᾱ_t x0 + √(1 − ᾱ_t) ε``.

    The same seed gives the same ε at every ``t``, so the cloud moves smoothly with ``t``.

    Args:
        x0: ``(N, 2)`` standardised points.
        schedule: the noise schedule.
        t: timestep in ``[0, T)``.
        seed: seed of ε.

    Returns:
        ``(N, 2)`` float64.
    """
    # The cloud is one sample of shape (1, N, 2), so the coefficients are two scalars.
    x0_t = torch.as_tensor(np.asarray(x0, dtype=np.float32))[None]  # (1, N, 2)
    eps = standard_normal(tuple(x0_t.shape[1:]), seed)[None]  # (1, N, 2)
    return schedule.q_sample(x0_t, torch.tensor([int(t)]), eps)[0].double().numpy()


def noised_density(
    x0: np.ndarray, abar: float, bandwidth: float, max_size: int = 200
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The density of ``q_t`` on a square grid over the figures' extent.

    Exact for the kernel-smoothed data: a kernel density estimate of ``√ᾱ x0`` with
    kernel sd ``sqrt(ᾱ h² + 1 − ᾱ)``, on the grid of :func:`density_grid` for that sd.

    Args:
        x0: ``(N, 2)`` standardised points.
        abar: ᾱ_t.
        bandwidth: ``h``, the kernel sd of ``q_0``.
        max_size: most grid nodes along each axis.

    Returns:
        ``(grid_x (n,), grid_y (n,), density (n, n))``, density rows along ``grid_y``.
    """
    sd = float(np.sqrt(noised_variance(abar, bandwidth)))
    grid_x, grid_y = density_grid(sd, max_size=max_size)
    centers = np.sqrt(abar) * np.asarray(x0, dtype=np.float64)
    return grid_x, grid_y, kde_grid(centers, sd, grid_x, grid_y)


def score_field(
    x0: np.ndarray, abar: float, bandwidth: float, grid_x: np.ndarray, grid_y: np.ndarray,
    with_density: bool = False,
) -> tuple[np.ndarray, ...]:
    """The exact score ``∇_x log q_t(x)`` at every node of a grid (and ``q_t`` there, if asked).

    Args:
        x0: ``(N, 2)`` standardised points.
        abar: ᾱ_t.
        bandwidth: ``h``, the kernel sd of ``q_0``.
        grid_x: ``(nx,)`` x positions.
        grid_y: ``(ny,)`` y positions.

        with_density: also return ``q_t`` at the nodes (same pass, no extra cost).

    Returns:
        ``(nodes (ny * nx, 2), score (ny * nx, 2))``, nodes in row-major order (x fastest),
        then ``density (ny * nx,)`` when ``with_density``.
    """
    gx, gy = np.meshgrid(np.asarray(grid_x, np.float64), np.asarray(grid_y, np.float64))
    nodes = np.column_stack([gx.ravel(), gy.ravel()])  # (M, 2)
    centers = np.sqrt(abar) * np.asarray(x0, dtype=np.float64)
    logpdf, score = gaussian_mixture_terms(nodes, centers, noised_variance(abar, bandwidth))
    return (nodes, score, np.exp(logpdf)) if with_density else (nodes, score)


def nearest_distances(points: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """``(M,)`` distance from each of ``queries (M, 2)`` to its nearest point of ``points (N, 2)``."""
    from scipy.spatial import cKDTree

    return cKDTree(np.asarray(points, dtype=np.float64)).query(np.asarray(queries, dtype=np.float64))[0]


def flow_timesteps(steps: int, num_train_steps: int) -> np.ndarray:
    """``steps`` strictly decreasing timesteps from ``T − 1`` down to 0 (evenly spaced)."""
    steps = int(np.clip(steps, 1, num_train_steps))
    return np.unique(np.linspace(0, num_train_steps - 1, steps).round().astype(np.int64))[::-1]


def release_particles(
    x0: np.ndarray, schedule: NoiseSchedule, n: int, steps: int, seed: int, bandwidth: float
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Particles drawn from ``N(0, I)`` carried to ``q_0`` by the probability-flow ODE.

    Drives :func:`glyffuser.distributions.exact_score.iter_reverse_particles` with the exact score of
    ``q_t``.

    Args:
        x0: ``(N, 2)`` standardised points.
        schedule: the noise schedule.
        n: number of particles.
        steps: number of ODE steps.
        seed: seed of the starting positions.
        bandwidth: ``h``, the kernel sd of ``q_0``.

    Yields:
        ``(t, x_t (n, 2), pred_x0 (n, 2))`` at each step, then ``(-1, x_0, x_0)``.
    """
    x_T = standard_normal((int(n), 2), seed).double().numpy()  # (n, 2)
    abar = schedule.alphas_cumprod.double().numpy()
    timesteps = flow_timesteps(steps, schedule.num_steps)
    yield from iter_reverse_particles(x_T, x0, abar, timesteps, base_variance=bandwidth**2)
