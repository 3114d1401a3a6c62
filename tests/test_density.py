"""Unit tests of glyffuser.distributions.density, exact_score and mle against independent references (scipy, torch autograd)."""

import numpy as np
import pytest
import scipy.stats
import torch

from glyffuser.diffusion.schedule import NoiseSchedule, linear_betas
from glyffuser.distributions.density import bounding_grid, kde_grid, scott_covariance
from glyffuser.distributions.exact_score import (
    gaussian_mixture_logpdf,
    gaussian_mixture_score,
    iter_reverse_particles,
    reverse_particles,
)
from glyffuser.distributions.mle import (
    fit_gaussian_mle,
    gaussian_log_likelihood,
    running_gaussian_mle,
)
from viz.distribution import convergence_figure, mle_figure

GRID_SIZE = 200  # the app's resolution


def clustered_points(n: int, seed: int) -> np.ndarray:
    """Clumpy 2-D points resembling a UMAP embedding, shape (n, 2)."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-8, 8, size=(25, 2))
    spread = rng.uniform(0.2, 1.2, size=(n, 1))
    return centers[rng.integers(0, 25, n)] + spread * rng.normal(size=(n, 2))


def scipy_on_grid(kde: scipy.stats.gaussian_kde, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """scipy's KDE evaluated on the grid, laid out (ny, nx) like kde_grid."""
    X, Y = np.meshgrid(gx, gy)
    return kde(np.vstack([X.ravel(), Y.ravel()])).reshape(X.shape)


def assert_kde_close(ours: np.ndarray, ref: np.ndarray, tol: float = 0.02) -> None:
    err = np.abs(ours - ref)
    assert err.max() / ref.max() < tol
    significant = ref > 0.01 * ref.max()
    assert np.max(err[significant] / ref[significant]) < tol


def test_kde_matches_scipy_isotropic():
    h = 0.25
    pts = clustered_points(2000, seed=0)
    # Whiten exactly, so scipy's covariance cov(pts) * factor**2 is h**2 * I with factor = h.
    pts = pts - pts.mean(axis=0)
    pts = pts @ np.linalg.inv(np.linalg.cholesky(np.cov(pts.T))).T
    kde = scipy.stats.gaussian_kde(pts.T, bw_method=h)
    np.testing.assert_allclose(kde.covariance, h**2 * np.eye(2), atol=1e-12)

    gx, gy = bounding_grid(pts, 3 * h, GRID_SIZE)
    ours = kde_grid(pts, h, gx, gy)
    assert ours.shape == (GRID_SIZE, GRID_SIZE)
    assert_kde_close(ours, scipy_on_grid(kde, gx, gy))


@pytest.mark.parametrize("weighted", [False, True])
def test_kde_matches_scipy_scott_covariance(weighted):
    rng = np.random.default_rng(1)
    pts = clustered_points(2000, seed=1) @ np.array([[1.0, 0.6], [0.0, 0.5]])  # correlated
    weights = rng.uniform(0.2, 3.0, size=len(pts)) if weighted else None
    kde = scipy.stats.gaussian_kde(pts.T, weights=weights)  # Scott's rule
    cov = scott_covariance(pts, weights)
    np.testing.assert_allclose(cov, kde.covariance, rtol=1e-10)
    assert abs(cov[0, 1]) > 0.1 * np.sqrt(cov[0, 0] * cov[1, 1])  # really anisotropic

    # Rectangular grid: rows follow grid_y, columns grid_x.
    gx, gy = bounding_grid(pts, 3 * np.sqrt(cov.diagonal().max()), GRID_SIZE)
    gy = np.linspace(gy[0], gy[-1], 150)
    ours = kde_grid(pts, cov, gx, gy, weights=weights)
    assert ours.shape == (150, GRID_SIZE)
    assert_kde_close(ours, scipy_on_grid(kde, gx, gy))


def test_kde_integrates_to_one():
    pts = clustered_points(5000, seed=2)
    gx, gy = bounding_grid(pts, 4 * 0.4, GRID_SIZE)
    density = kde_grid(pts, 0.4, gx, gy)
    mass = density.sum() * (gx[1] - gx[0]) * (gy[1] - gy[0])
    assert mass == pytest.approx(1.0, abs=1e-3)
    assert density.min() >= 0


def test_kde_counts_points_off_grid_and_does_not_wrap():
    # A blob centred on the grid's left edge: half its mass lies off the grid.
    rng = np.random.default_rng(3)
    pts = rng.normal(size=(4000, 2)) * 0.3
    gx, gy = np.linspace(0.0, 6.0, 121), np.linspace(-3.0, 3.0, 121)
    density = kde_grid(pts, 0.2, gx, gy)
    ref = scipy_on_grid(scipy.stats.gaussian_kde(pts.T, bw_method="scott"), gx, gy)
    mass = density.sum() * (gx[1] - gx[0]) * (gy[1] - gy[0])
    assert 0.45 < mass < 0.6  # about half (trapezoid edge), not all of it
    # Nothing wrapped around to the far (right) edge, 20 kernel widths away.
    assert density[:, -10:].max() < 1e-12 * density.max()
    assert np.argmax(density.max(axis=0)) == 0
    assert ref.max() > 0  # sanity: the blob is visible to scipy too


def test_kde_rejects_bad_input():
    pts = clustered_points(100, seed=4)
    gx, gy = bounding_grid(pts, 1.0, 50)
    with pytest.raises(ValueError):
        kde_grid(pts, -1.0, gx, gy)
    with pytest.raises(ValueError):
        kde_grid(pts, np.array([[1.0, 2.0], [2.0, 1.0]]), gx, gy)  # not positive definite
    with pytest.raises(ValueError):
        kde_grid(pts, 0.5, np.geomspace(1, 10, 50), gy)  # irregular grid
    with pytest.raises(ValueError):
        kde_grid(pts, 1e3, gx, gy)  # kernel far wider than the grid: padding would explode


def torch_mixture(x: np.ndarray, centers: np.ndarray, variance: float):
    """Reference log-density and autograd score in float64, shapes (M,) and (M, 2)."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ct = torch.tensor(centers, dtype=torch.float64)
    sq = ((xt[:, None, :] - ct[None, :, :]) ** 2).sum(-1)  # (M, N)
    logp = (
        torch.logsumexp(-sq / (2 * variance), dim=1)
        - np.log(len(centers))
        - np.log(2 * np.pi * variance)
    )
    (score,) = torch.autograd.grad(logp.sum(), xt)
    return logp.detach().numpy(), score.numpy()


@pytest.mark.parametrize("variance", [1e-4, 0.05, 1.0])
def test_mixture_score_and_logpdf_match_autograd(variance):
    rng = np.random.default_rng(5)
    centers = clustered_points(3000, seed=5) / 4
    x = np.concatenate(
        [
            rng.normal(size=(200, 2)) * 3,  # everywhere
            centers[:50] + 0.01 * rng.normal(size=(50, 2)),  # on the data
            [[40.0, -40.0]],  # far from everything
        ]
    )  # (251, 2): not a multiple of the chunk size
    ref_logp, ref_score = torch_mixture(x, centers, variance)
    scale = np.abs(ref_score).max()

    score64 = gaussian_mixture_score(x, centers, variance, dtype=np.float64)
    np.testing.assert_allclose(score64, ref_score, rtol=1e-9, atol=1e-12 * scale)
    logp64 = gaussian_mixture_logpdf(x, centers, variance, dtype=np.float64)
    np.testing.assert_allclose(logp64, ref_logp, rtol=1e-10, atol=1e-8)

    score32 = gaussian_mixture_score(x, centers, variance)  # float32 weights (default)
    np.testing.assert_allclose(score32, ref_score, rtol=1e-4, atol=1e-6 * scale)
    np.testing.assert_allclose(gaussian_mixture_logpdf(x, centers, variance), ref_logp, atol=1e-5)


def test_mixture_score_is_stable_for_tiny_variance():
    centers = np.array([[0.0, 0.0], [3.0, 4.0]])
    x = np.array([[1.0, 1.0], [1e4, 1e4]])
    score = gaussian_mixture_score(x, centers, 1e-8, dtype=np.float64)
    assert np.all(np.isfinite(score))
    # All the weight sits on the nearest center.
    np.testing.assert_allclose(score, (centers[[0, 1]] - x) / 1e-8, rtol=1e-12)
    assert np.all(np.isfinite(gaussian_mixture_logpdf(x, centers, 1e-8)))


def linear_alphas_cumprod() -> np.ndarray:
    """abar_t of the linear beta schedule of Ho et al. (2020), float64, shape (1000,)."""
    return np.cumprod(1.0 - linear_betas())


def test_reverse_particles_single_center_converges_to_it():
    rng = np.random.default_rng(6)
    center = np.array([[0.7, -1.2]])
    x_T = rng.normal(size=(300, 2))
    timesteps = np.linspace(999, 0, 25).round().astype(int)
    path = reverse_particles(x_T, center, linear_alphas_cumprod(), timesteps)
    assert len(path) == len(timesteps) + 1
    np.testing.assert_array_equal(path[0], x_T)
    assert all(p.shape == (300, 2) for p in path)
    np.testing.assert_allclose(path[-1], np.broadcast_to(center, (300, 2)), atol=1e-9)
    # The spread shrinks monotonically on the way.
    spread = [np.linalg.norm(p - center, axis=1).mean() for p in path]
    assert all(a > b for a, b in zip(spread, spread[1:]))
    # The shipped schedule object (a float32 tensor of abar_t) works as it is.
    cosine = NoiseSchedule.create("cosine").alphas_cumprod
    final = reverse_particles(x_T, center, cosine, timesteps)[-1]
    np.testing.assert_allclose(final, np.broadcast_to(center, (300, 2)), atol=1e-6)


def test_reverse_particles_follow_the_exact_gaussian_flow():
    # Smoothed single point = N(c, s^2 I): the probability-flow ODE keeps
    # (x_t - sqrt(abar_t) c) / sigma_t fixed, sigma_t^2 = abar_t s^2 + 1 - abar_t.
    rng = np.random.default_rng(7)
    c, s2 = np.array([[1.0, -0.5]]), 0.25
    abar = linear_alphas_cumprod()
    x_T = rng.normal(size=(200, 2))
    sigma_T = np.sqrt(abar[999] * s2 + 1 - abar[999])
    expected = c + np.sqrt(s2) * (x_T - np.sqrt(abar[999]) * c) / sigma_T
    errors = []
    for stride in [20, 5, 1]:
        final = reverse_particles(x_T, c, abar, np.arange(999, -1, -stride), base_variance=s2)[-1]
        errors.append(np.abs(final - expected).max())
    assert errors[-1] < 0.01
    # DDIM is a first-order solver: the error falls in proportion to the step.
    assert errors[0] / errors[1] > 3 and errors[1] / errors[2] > 3


def test_reverse_particles_land_on_the_data():
    rng = np.random.default_rng(8)
    centers = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.5]])
    steps = list(iter_reverse_particles(rng.normal(size=(400, 2)), centers,
                                        linear_alphas_cumprod(), np.arange(999, -1, -20)))
    t_last, final, pred = steps[-1]
    assert t_last == -1 and np.array_equal(final, pred)
    nearest = np.min(np.linalg.norm(final[:, None] - centers[None], axis=-1), axis=1)
    assert nearest.max() < 1e-3
    # Every mode receives some particles.
    which = np.argmin(np.linalg.norm(final[:, None] - centers[None], axis=-1), axis=1)
    assert set(which) == {0, 1, 2}


def test_reverse_particles_rejects_increasing_timesteps():
    with pytest.raises(ValueError):
        reverse_particles(np.zeros((2, 2)), np.zeros((1, 2)), linear_alphas_cumprod(), [0, 10])


def test_mle_matches_scipy_norm_fit():
    samples = np.random.default_rng(9).normal(2.5, 0.8, size=537)
    mu_hat, sigma_hat = fit_gaussian_mle(samples)
    ref_mu, ref_sigma = scipy.stats.norm.fit(samples)
    assert mu_hat == pytest.approx(ref_mu, rel=1e-12)
    assert sigma_hat == pytest.approx(ref_sigma, rel=1e-12)


def test_log_likelihood_matches_scipy_and_is_maximised_by_mle():
    samples = np.random.default_rng(10).normal(-1.0, 2.0, size=300)
    ll = gaussian_log_likelihood(samples, -1.0, 2.0)
    assert ll == pytest.approx(scipy.stats.norm.logpdf(samples, -1.0, 2.0).sum(), rel=1e-12)
    mu_hat, sigma_hat = fit_gaussian_mle(samples)
    best = gaussian_log_likelihood(samples, mu_hat, sigma_hat)
    for dmu, dsigma in [(0.05, 0), (-0.05, 0), (0, 0.05), (0, -0.05)]:
        assert best > gaussian_log_likelihood(samples, mu_hat + dmu, sigma_hat + dsigma)


def test_running_mle_matches_refits_on_prefixes():
    samples = 1e6 + np.random.default_rng(11).normal(size=400)  # large offset: no cancellation
    k, mu_hat, sigma_hat = running_gaussian_mle(samples)
    np.testing.assert_array_equal(k, np.arange(2, 401))
    for j in [0, 7, 150, 398]:
        ref_mu, ref_sigma = fit_gaussian_mle(samples[: k[j]])
        assert mu_hat[j] == pytest.approx(ref_mu, rel=1e-14)
        assert sigma_hat[j] == pytest.approx(ref_sigma, rel=1e-6)


@pytest.mark.parametrize("n", [300, 50_000])
def test_convergence_figure_ends_at_the_mle(n):
    samples = np.random.default_rng(12).normal(0.3, 1.7, size=n)
    fig = convergence_figure(samples, 0.3, 1.7)
    mu_trace = next(t for t in fig.data if t.name == "μ̂ₖ")
    sigma_trace = next(t for t in fig.data if t.name == "σ̂ₖ")
    mu_hat, sigma_hat = fit_gaussian_mle(samples)
    assert mu_trace.x[0] == 2 and mu_trace.x[-1] == n
    assert mu_trace.y[-1] == pytest.approx(mu_hat, rel=1e-12)
    assert sigma_trace.y[-1] == pytest.approx(sigma_hat, rel=1e-9)
    assert len(mu_trace.x) <= 2000


def test_mle_figure_draws_the_fitted_density():
    samples = np.random.default_rng(13).normal(-2.0, 0.5, size=1000)
    fig = mle_figure(samples, -2.0, 0.5)
    mu_hat, sigma_hat = fit_gaussian_mle(samples)
    fit = next(t for t in fig.data if t.name.startswith("MLE"))
    assert fit.x[np.argmax(fit.y)] == pytest.approx(mu_hat, abs=0.05)
    assert max(fit.y) == pytest.approx(1 / (sigma_hat * np.sqrt(2 * np.pi)), rel=1e-3)
    hist = next(t for t in fig.data if t.type == "histogram")
    assert hist.histnorm == "probability density"
    # The estimates are stated in the fitted curve's legend entry (with the samples'
    # mean log-likelihood under it) and a line marks mu_hat.
    ll_fit = gaussian_log_likelihood(samples, mu_hat, sigma_hat) / samples.size
    assert f"N({mu_hat:.2f}, {sigma_hat:.2f}²)" in fit.name
    assert f"{ll_fit:.3f}" in fit.name
    assert any(
        shape.type == "line" and shape.x0 == shape.x1 == pytest.approx(mu_hat, rel=1e-12)
        for shape in fig.layout.shapes
    )


def test_mle_figure_with_one_sample_has_no_fitted_curve():
    fig = mle_figure(np.array([0.4]), 0.0, 1.0)
    names = [t.name for t in fig.data]
    assert not any(name.startswith("MLE") for name in names)
    assert any(name.startswith("true") for name in names)
