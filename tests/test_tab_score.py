"""Tab 4 ("Score field"): the learned score beside the exact one, the numbers the tab states,
and the particles' end state, against independent references (torch autograd, scipy)."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
import scipy.stats
import torch
from PIL import Image

from glyffuser.diffusion.schedule import NoiseSchedule
from glyffuser.distributions import score_net
from glyffuser.distributions.mapflow import noised_variance, release_particles
from tabs import resources, score


@pytest.fixture(scope="module")
def tab():
    return score.ScoreTab(resources)


def exact_reference(x: np.ndarray, abar: float) -> tuple[np.ndarray, np.ndarray]:
    """(q_t (M,), ∇ log q_t (M, 2)) of the blurred noised map by torch autograd, float64."""
    points, h = resources.standard_map(), resources.map_bandwidth()
    var = noised_variance(abar, h)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    c = torch.tensor(np.sqrt(abar) * points, dtype=torch.float64)
    logq = (torch.logsumexp(-((xt[:, None] - c[None]) ** 2).sum(-1) / (2 * var), dim=1)
            - np.log(len(points)) - np.log(2 * np.pi * var))
    (grad,) = torch.autograd.grad(logq.sum(), xt)
    return logq.exp().detach().numpy(), grad.numpy()


def torch_learned(x: np.ndarray, abar: float) -> np.ndarray:
    """s_θ through the torch module itself (the tab uses a numpy copy of it)."""
    net = score_net.shipped()
    lam = torch.full((len(x),), float(score_net.log_snr(abar)))
    with torch.no_grad():
        noise = net(torch.tensor(x, dtype=torch.float32), lam).double().numpy()
    return -noise / np.sqrt(noised_variance(abar, net.config.bandwidth))


def test_shipped_network_matches_the_map():
    net = score_net.shipped()
    assert net.config.bandwidth == pytest.approx(resources.map_bandwidth(), rel=1e-12)
    x = np.random.default_rng(0).normal(size=(64, 2)) * 3
    for abar in (0.99996, 0.5, 2.4e-9):
        np.testing.assert_allclose(score_net.learned_score(net, x, abar), torch_learned(x, abar), rtol=1e-4, atol=1e-4)


def test_training_is_deterministic_and_saves_exactly(tmp_path):
    points = resources.standard_map()[:500]
    config = score_net.ScoreNetConfig(hidden=16, layers=2, steps=20, batch=64)
    a, b = score_net.train(points, config, log_every=0), score_net.train(points, config, log_every=0)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    score_net.save(a, tmp_path / "net.npz")
    loaded = score_net.load(tmp_path / "net.npz")
    assert loaded.config == config
    x = np.random.default_rng(1).normal(size=(10, 2))
    np.testing.assert_array_equal(score_net.predict_noise(loaded, x, 0.3), score_net.predict_noise(a, x, 0.3))


def test_learned_score_is_weak_where_data_are_rare_at_small_t():
    """The claims of LEARNED_INTRO, at the tab's default t and at a large t."""
    axis = np.linspace(-score.ARROW_EXTENT, score.ARROW_EXTENT, 21)
    gx, gy = np.meshgrid(axis, axis)
    nodes = np.column_stack([gx.ravel(), gy.ravel()])
    abar_all = NoiseSchedule.create("cosine").alphas_cumprod.double().numpy()
    for t in (score.DEFAULTS[0], 800):
        q, exact = exact_reference(nodes, abar_all[t])
        learned = torch_learned(nodes, abar_all[t])
        rare = q < 0.01 * q.max()
        ratio = np.linalg.norm(learned, axis=1) / np.linalg.norm(exact, axis=1)
        cosine = (learned * exact).sum(1) / (np.linalg.norm(learned, axis=1) * np.linalg.norm(exact, axis=1))
        assert rare.sum() > 100
        assert np.mean(cosine[rare] > np.cos(np.pi / 4)) > 0.9  # "still point roughly back"
        if t == score.DEFAULTS[0]:
            assert np.median(ratio[rare]) < 0.7 and np.median(ratio[~rare]) > np.median(ratio[rare])  # "weaker"
        else:
            assert abs(np.median(ratio) - 1) < 0.1  # "the two agree everywhere"


def test_exact_score_grows_by_one_over_the_variance_per_unit_far_out():
    abar = float(NoiseSchedule.create("cosine").alphas_cumprod[score.DEFAULTS[0]])
    exact, learned, _ = score_net.score_along_ray(score_net.shipped(), resources.standard_map(), abar, score.RAY)
    slope = (exact[-1] - exact[-6]) / (score.RAY[-1] - score.RAY[-6])
    assert slope == pytest.approx(1 / noised_variance(abar, resources.map_bandwidth()), rel=0.05)
    assert learned[-1] < 0.5 * exact[-1]


def test_comparison_caption_numbers(tab):
    t, name, arrows = score.DEFAULTS
    _, caption, _, ray, comparison = tab.score_field(t, name, arrows)
    abar = float(NoiseSchedule.create(name).alphas_cumprod[t])
    assert f"ᾱₜ = {abar:.4f}" in caption
    axis = np.linspace(-score.ARROW_EXTENT, score.ARROW_EXTENT, arrows)
    gx, gy = np.meshgrid(axis, axis)
    nodes = np.column_stack([gx.ravel(), gy.ravel()])
    q, exact = exact_reference(nodes, abar)
    learned = torch_learned(nodes, abar)
    # The tab's peak is the density grid's largest value; the grid is fine enough to be within 1%.
    from glyffuser.distributions.mapflow import noised_density

    peak = noised_density(resources.standard_map(), abar, resources.map_bandwidth(), max_size=score.DENSITY_GRID)[2].max()
    rare = q < 0.01 * peak
    ratio = np.linalg.norm(learned, axis=1) / np.linalg.norm(exact, axis=1)
    cosine = (learned * exact).sum(1) / (np.linalg.norm(learned, axis=1) * np.linalg.norm(exact, axis=1))
    count, total, median, within, elsewhere = re.search(
        r"(\d+) of the (\d+) arrow nodes.*?median \*\*(\d+)%\*\*.*?within 45° of them at (\d+)%.*?"
        r"elsewhere the median is (\d+)%", comparison).groups()
    assert int(total) == arrows**2 and int(count) == rare.sum()
    assert int(median) == round(100 * np.median(ratio[rare]))
    assert int(within) == round(100 * np.mean(cosine[rare] > np.cos(np.pi / 4)))
    assert int(elsewhere) == round(100 * np.median(ratio[~rare]))
    far_exact, far_learned = re.search(r"exact \|score\| is ([\d.]+), the learned ([\d.]+)", comparison).groups()
    x_far = np.array([[score.RAY[-1], 0.0]])
    assert float(far_exact) == pytest.approx(np.linalg.norm(exact_reference(x_far, abar)[1]), rel=5e-3)
    assert float(far_learned) == pytest.approx(np.linalg.norm(torch_learned(x_far, abar)), rel=5e-3)
    shades = [s for s in ray.layout.shapes if s.type == "rect"]
    assert shades and shades[0].x0 > 1.0  # the centre is not rare


def test_particles_end_as_samples_of_q0(tab):
    frames = list(tab.release_particles(200, 20, "cosine", 0))
    assert len(frames) == 21 and 'width="480" height="480"' in frames[-1][0]
    uri = re.search(r'src="data:image/jpeg;base64,([^"]+)"', frames[-1][0]).group(1)
    picture = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri))))
    assert picture.shape == (480, 480, 3)
    # the player: every frame so far, sent with the first frame, about once a second, and with the last
    players = [f[2] for f in frames if "frames" in f[2]]  # the others are gr.skip()
    player = frames[-1][2]
    assert "frames" in frames[0][2] and "frames" in player and len(players) < len(frames)
    assert len(player["frames"]) == 21 and player["width"] == 480 and player["frames"][-1] == f"data:image/jpeg;base64,{uri}"
    assert player["captions"][0].startswith("step 0/20") and player["captions"][-1] == "end: ᾱ = 1, after 20 steps"
    status = frames[-1][1]
    h = resources.map_bandwidth()
    assert f"sd h = {h:.2f}" in status and "arrived at ᾱ = 1" in status
    shown, draws = (float(v) for v in re.search(r"point is ([\d.]+), as for fresh draws from q₀ \(([\d.]+)\)",
                                                  status).groups())
    # Independent: the end positions of the same run, and the nearest-point distance by brute force.
    points = resources.standard_map()
    end = list(release_particles(points, resources.schedule("cosine"), 200, 20, 0, h))[-1][1]
    nearest = np.sqrt(((end[:, None] - points[None]) ** 2).sum(-1)).min(1)
    assert shown == pytest.approx(np.median(nearest), abs=1e-3)
    assert 0.5 < shown / draws < 2.0  # like a sample of q0, not on the points (0)
    # And in distribution: each axis of the particles against fresh draws of q0 (two-sample KS).
    rng = np.random.default_rng(5)
    fresh = points[rng.integers(len(points), size=2000)] + h * rng.normal(size=(2000, 2))
    for axis in (0, 1):
        assert scipy.stats.ks_2samp(end[:, axis], fresh[:, axis]).pvalue > 0.01
