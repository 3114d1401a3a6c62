"""The explorer's maths and figure builders against independent references.

* noised map points: exact against a NumPy evaluation of √ᾱ x0 + √(1 − ᾱ) ε with ᾱ from
  an independent float64 cumulative product, and in distribution (mean and variance of
  the residual x_t − √ᾱ x0, over the whole cloud);
* the density of q_t: against a direct sum of scipy's normal densities; the raw map's
  density against scipy's ``gaussian_kde``;
* the score field: against torch autograd of the mixture log-density, and against finite
  differences of the very density drawn under the arrows; the arrows drawn are the
  score's direction at the grid nodes;
* the overview chain: the pictures are q_sample outputs for the shown t and seed;
* look-ups, pictures, validation helpers.
"""

from __future__ import annotations

import math
import re

import gradio as gr
import numpy as np
import pytest
import scipy.stats
import torch

from glyffuser.data import Glyphs, lookup
from glyffuser.diffusion.forward import gaussian_samples, glyph_x0, noise_chain, standard_normal
from glyffuser.diffusion.schedule import NoiseSchedule
from glyffuser.distributions.exact_score import gaussian_mixture_logpdf
from glyffuser.distributions.mapflow import (
    density_grid,
    noise_points,
    noised_density,
    noised_variance,
    release_particles,
    score_field,
    scott_bandwidth,
    standardize,
)
from tabs import resources, validate
from viz import pictures
from viz.glyph_map import hover_data, map_figure
from viz.noising import (
    dataset_figure,
    dataset_row_figure,
    schedule_figure,
    strip_figure,
)
from viz.overview import chain_figure
from viz.score import arrow_vectors, particle_frame, quiver_lines, score_figure


def clumps(n: int, seed: int = 0) -> np.ndarray:
    """(n, 2) standardised points in clumps, like the glyph map."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-6, 6, size=(12, 2))
    return standardize(centers[rng.integers(0, 12, n)] + rng.uniform(0.2, 0.8, (n, 1)) * rng.normal(size=(n, 2)))


def linear_abar() -> np.ndarray:
    """ᾱ of the linear schedule, computed here in float64 (independent of glyffuser)."""
    return np.cumprod(1.0 - np.linspace(1e-4, 0.02, 1000))


def mixture_density(x: np.ndarray, centers: np.ndarray, variance: float) -> np.ndarray:
    """Direct sum mean_i N(x; centers_i, variance I) at the (M, 2) points x, with scipy's normal pdf."""
    sd = math.sqrt(variance)
    px = scipy.stats.norm.pdf(x[:, None, 0], centers[None, :, 0], sd)  # (M, N)
    py = scipy.stats.norm.pdf(x[:, None, 1], centers[None, :, 1], sd)
    return (px * py).mean(axis=1)


# --------------------------------------------------------------------------------------
# Forward noising of the map and of one glyph
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("t", [0, 100, 500, 999])
def test_noised_points_exact(t):
    x0 = clumps(3000)
    sched = NoiseSchedule.create("linear")
    abar = linear_abar()[t]
    eps = standard_normal((3000, 2), seed=7).double().numpy()
    expected = np.sqrt(abar) * x0 + np.sqrt(1 - abar) * eps
    np.testing.assert_allclose(noise_points(x0, sched, t, seed=7), expected, atol=1e-5)  # float32


@pytest.mark.parametrize("schedule,t", [("cosine", 250), ("linear", 250), ("cosine", 900)])
def test_noised_points_moments(schedule, t):
    x0 = resources.standard_map()
    n = len(x0)
    sched = NoiseSchedule.create(schedule)
    abar = float(sched.alphas_cumprod[t])
    xt = noise_points(x0, sched, t, seed=3)
    residual = xt - np.sqrt(abar) * x0  # should be N(0, (1 - abar) I)
    sd = math.sqrt(1 - abar)
    assert np.all(np.abs(residual.mean(axis=0)) < 4 * sd / math.sqrt(n))
    # Sample variance of n normals: relative sd sqrt(2 / n) ~ 1.2%.
    np.testing.assert_allclose(residual.var(axis=0), 1 - abar, rtol=5 * math.sqrt(2 / n))
    # Whole cloud: mean sqrt(abar) * mean(x0) = 0, variance abar * 1 + (1 - abar) = 1.
    np.testing.assert_allclose(xt.var(axis=0), 1.0, rtol=0.05)


def test_same_seed_same_noise_at_every_t():
    x0 = clumps(500)
    sched = NoiseSchedule.create("cosine")
    eps = []
    for t in (10, 400, 990):
        abar = float(sched.alphas_cumprod[t])
        eps.append((noise_points(x0, sched, t, seed=1) - np.sqrt(abar) * x0) / np.sqrt(1 - abar))
    np.testing.assert_allclose(eps[0], eps[1], atol=1e-4)
    np.testing.assert_allclose(eps[0], eps[2], atol=1e-4)


def test_noise_chain_is_q_sample():
    x0 = glyph_x0(resources.glyphs().images[resources.glyphs().index_of("锂")])
    sched = NoiseSchedule.create("cosine")
    chain = noise_chain(x0, sched, [999, 500, 499], seed=5)
    eps = torch.randn((64, 64), generator=torch.Generator().manual_seed(5))
    for k, t in enumerate((999, 500, 499)):
        expected = sched.q_sample(x0[None], torch.tensor([t]), eps[None])[0]
        np.testing.assert_array_equal(chain.x_t[k], expected.numpy())
    np.testing.assert_array_equal(chain.noise, eps.numpy())
    with pytest.raises(ValueError):
        noise_chain(x0, sched, [1000], seed=0)


def test_gaussian_samples_seeded():
    a = gaussian_samples(2.0, 0.5, 50_000, seed=4)
    assert np.array_equal(a, gaussian_samples(2.0, 0.5, 50_000, seed=4))
    assert abs(a.mean() - 2.0) < 0.02 and abs(a.std() - 0.5) < 0.01


# --------------------------------------------------------------------------------------
# The density of q_t
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("abar", [1.0, 0.85, 0.3, 0.002])
def test_noised_density_matches_direct_sum(abar):
    x0 = clumps(2000, seed=1)
    h = scott_bandwidth(len(x0))
    gx, gy, density = noised_density(x0, abar, h)
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, len(gy), 300), rng.integers(0, len(gx), 300)
    nodes = np.column_stack([gx[cols], gy[rows]])
    ref = mixture_density(nodes, np.sqrt(abar) * x0, noised_variance(abar, h))
    ours = density[rows, cols]
    significant = ref > 0.01 * ref.max()
    assert np.max(np.abs(ours - ref)[significant] / ref[significant]) < 0.01


def test_density_grid_resolves_the_kernel():
    for sd in (0.2, 0.3, 0.6, 1.0):
        gx, gy = density_grid(sd)
        assert 60 <= len(gx) <= 200 and np.array_equal(gx, gy)
        assert gx[0] == -4.0 and gx[-1] == 4.0
        assert sd / (gx[1] - gx[0]) >= 4.9


def test_dataset_figures_carry_the_data():
    x0 = clumps(400)
    gx, gy, density = noised_density(x0, 0.5, 0.2)
    picks = [("a", x0[0], x0[0] * 0.7), ("b", x0[1], x0[1] * 0.7)]
    fig = dataset_figure(x0, gx, gy, density, t=300, abar=0.5, picks=picks)
    (image,) = fig.layout.images  # the cloud and its density, one bitmap under the axes
    assert image.source.startswith("data:image/jpeg;base64,") and image.layer == "below"
    assert (image.x, image.y, image.sizex, image.sizey) == (gx[0], gx[-1], gx[-1] - gx[0], gx[-1] - gx[0])
    assert not any(tr.type == "scattergl" for tr in fig.data)  # no WebGL context per redraw
    traces = {tr.name: tr for tr in fig.data}
    np.testing.assert_allclose(np.column_stack([traces["x0"].x, traces["x0"].y]), x0[:2])
    np.testing.assert_allclose(np.column_stack([traces["mean"].x, traces["mean"].y]), np.sqrt(0.5) * x0[:2])
    np.testing.assert_allclose(np.column_stack([traces["x_t"].x, traces["x_t"].y]), 0.7 * x0[:2])
    # Rings: for each point, circles of radius 1 and 2 sd = sqrt(1 - abar) around the mean.
    rings = np.column_stack([traces["rings"].x, traces["rings"].y]).reshape(4, -1, 2)[:, :-1]
    radii = np.linalg.norm(rings - np.repeat(np.sqrt(0.5) * x0[:2], 2, axis=0)[:, None], axis=2)
    np.testing.assert_allclose(radii, np.array([1, 2, 1, 2])[:, None] * np.sqrt(0.5) * np.ones_like(radii))
    row = dataset_row_figure([(0, x0, (gx, gy, density)), (999, x0 * 0, (gx, gy, density))])
    assert len(row.data) == 0 and len(row.layout.images) == 4
    assert [a.text for a in row.layout.annotations] == ["t = 0", "t = 999"]


def test_schedule_figure_marks_t():
    curves = {n: NoiseSchedule.create(n).alphas_cumprod.numpy() for n in ("cosine", "linear")}
    fig = schedule_figure(curves, "linear", 321)
    markers = [tr for tr in fig.data if tr.name == "t"]
    assert markers[0].x == (321,) and markers[0].y[0] == pytest.approx(linear_abar()[321], rel=1e-5)
    snr = linear_abar()[321] / (1 - linear_abar()[321])
    assert markers[1].y[0] == pytest.approx(snr, rel=1e-4)


def test_strip_figure_titles():
    pics = [np.full((8, 8), 255, np.uint8)] * 3
    fig = strip_figure(pics, [0, 500, 999], [0.9999, 0.5, 1e-4])
    assert [ax.get_title().split("\n")[0] for ax in fig.axes] == ["t = 0", "t = 500", "t = 999"]


# --------------------------------------------------------------------------------------
# The score field
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("abar", [0.95, 0.4, 0.01])
def test_score_field_matches_autograd(abar):
    x0 = clumps(1500, seed=3)
    h = scott_bandwidth(len(x0))
    axis = np.linspace(-3.5, 3.5, 9)
    nodes, scores = score_field(x0, abar, h, axis, axis)
    # Independent: autograd of log mean_i N(x; sqrt(abar) x0_i, (abar h^2 + 1 - abar) I).
    var = abar * h**2 + 1 - abar
    x = torch.tensor(nodes, dtype=torch.float64, requires_grad=True)
    c = torch.tensor(np.sqrt(abar) * x0, dtype=torch.float64)
    logq = torch.logsumexp(-((x[:, None, :] - c[None]) ** 2).sum(-1) / (2 * var), dim=1)
    (grad,) = torch.autograd.grad(logq.sum(), x)
    np.testing.assert_allclose(scores, grad.numpy(), rtol=1e-4, atol=1e-6 * np.abs(grad.numpy()).max())
    gx, gy = np.meshgrid(axis, axis)
    np.testing.assert_array_equal(nodes, np.column_stack([gx.ravel(), gy.ravel()]))


def test_score_field_is_the_gradient_of_the_drawn_density():
    """Arrows and shading describe one distribution: ∇ log of the density grid ≈ the score."""
    x0 = clumps(2000, seed=4)
    abar, h = 0.5, scott_bandwidth(2000)
    gx, gy, density = noised_density(x0, abar, h)
    dlog_dy, dlog_dx = np.gradient(np.log(density), gy, gx)
    pick = (slice(40, 160, 20), slice(40, 160, 20))
    nodes, scores = score_field(x0, abar, h, gx[pick[1]], gy[pick[0]])
    finite = np.column_stack([dlog_dx[pick].ravel(), dlog_dy[pick].ravel()])
    np.testing.assert_allclose(finite, scores, atol=0.02 * np.abs(scores).max() + 0.02)


def test_score_figure_draws_the_score():
    x0 = clumps(800)
    axis = np.linspace(-3, 3, 7)
    nodes, scores = score_field(x0, 0.7, 0.2, axis, axis)
    gx, gy, density = noised_density(x0, 0.7, 0.2)
    fig = score_figure(gx, gy, density, nodes, scores, float(axis[1] - axis[0]), t=100, abar=0.7)
    arrows = next(tr for tr in fig.data if tr.name == "score")
    xy = np.column_stack([arrows.x, arrows.y]).reshape(-1, 6, 2)  # per arrow: tail, tip, ...
    np.testing.assert_allclose(xy[:, 0], nodes, atol=1e-6)
    drawn = xy[:, 1] - xy[:, 0]
    cos = (drawn * scores).sum(1) / (np.linalg.norm(drawn, axis=1) * np.linalg.norm(scores, axis=1))
    np.testing.assert_allclose(cos, 1.0, atol=1e-6)
    assert np.all(np.isnan(xy[:, 5]))


def test_arrow_lengths_keep_direction_and_saturate():
    v = np.array([[1.0, 0.0], [0.0, 2.0], [30.0, 40.0], [0.0, 0.0], [0.0, -2.0]])
    drawn, reference = arrow_vectors(v, cell=0.5, longest=1.0, quantile=0.5)
    assert reference == pytest.approx(2.0)  # the median magnitude
    lengths = np.linalg.norm(drawn, axis=1)
    np.testing.assert_allclose(lengths, 0.5 * np.array([1, 2, 50, 0, 2]) / (np.array([1, 2, 50, 0, 2]) + 2.0))
    assert arrow_vectors(v, cell=0.5)[1] == pytest.approx(1.0)  # default: the lower quartile
    assert np.all(lengths < 0.5) and lengths[2] > lengths[1] > lengths[0]
    np.testing.assert_allclose(drawn[2] / lengths[2], [0.6, 0.8])
    assert np.all(drawn[3] == 0)
    x, y = quiver_lines(np.zeros((2, 2)), drawn[:2])
    assert len(x) == 12 and np.isnan(x[5]) and np.isnan(y[11])


def test_particles_reach_the_data():
    x0 = clumps(1500, seed=5)
    h = scott_bandwidth(len(x0))
    sched = NoiseSchedule.create("cosine")
    steps = list(release_particles(x0, sched, n=200, steps=30, seed=0, bandwidth=h))
    assert len(steps) == 31 and steps[-1][0] == -1
    start, end = steps[0][1], steps[-1][1]
    # Mean log-density under q_0: the particles end up as likely as true draws from q_0.
    rng = np.random.default_rng(0)
    draws = x0[rng.integers(0, len(x0), 200)] + h * rng.normal(size=(200, 2))
    loglik = lambda p: gaussian_mixture_logpdf(p, x0, h**2, np.float64).mean()  # noqa: E731
    assert abs(loglik(end) - loglik(draws)) < 0.3
    assert loglik(start) < loglik(draws) - 1.0
    frame = particle_frame(noised_density(x0, 1.0, h, max_size=80)[2], -4.0, 4.0, end, [end[:5]], "end")
    assert frame.shape == (480, 480, 3) and frame.dtype == np.uint8
    # Each particle is an orange dot at its place (row 0 = y = 4, column 0 = x = -4).
    inside = np.all(np.abs(end) < 3.9, axis=1)
    rows = np.round((4.0 - end[inside, 1]) * 60 - 0.5).astype(int)
    cols = np.round((end[inside, 0] + 4.0) * 60 - 0.5).astype(int)
    red, green = frame[rows, cols, 0].astype(int), frame[rows, cols, 1].astype(int)
    assert np.all(red > 200)  # a dot, or the white rim of a neighbour drawn over it
    assert np.mean(green < 120) > 0.85  # mostly the dot's own orange


# --------------------------------------------------------------------------------------
# The glyph map and the overview
# --------------------------------------------------------------------------------------


def test_map_density_matches_scipy():
    gx, gy, density = resources.map_density()
    points = resources.glyph_map().astype(np.float64)
    kde = scipy.stats.gaussian_kde(points.T)  # Scott's rule, as the map uses
    rng = np.random.default_rng(1)
    rows, cols = rng.integers(0, len(gy), 400), rng.integers(0, len(gx), 400)
    ref = kde(np.vstack([gx[cols], gy[rows]]))
    significant = ref > 0.01 * ref.max()
    assert np.max(np.abs(density[rows, cols] - ref)[significant] / ref[significant]) < 0.01
    # The grid covers every point with room for the kernel.
    assert gx[0] < points[:, 0].min() and gx[-1] > points[:, 0].max()


def test_map_figure_groups_and_hover():
    glyphs = resources.glyphs()
    points = resources.glyph_map()
    hover = resources.map_hover()
    i = glyphs.index_of("锂")
    assert hover[i, 0] == "锂" and hover[i, 2] == "167 ⾦"
    from viz.glyph_map import PointGroup

    everyone = np.arange(len(glyphs))
    metal = glyphs.radicals == 167
    groups = [PointGroup("other", everyone[~metal], "#ccc"), PointGroup("金", everyone[metal], "#f00")]
    gx, gy, density = resources.map_density()
    fig = map_figure(points, gx, gy, density, hover, groups, highlight=np.array([i]))
    contour, other, gold, ring = fig.data
    assert len(other.x) + len(gold.x) == len(glyphs)
    np.testing.assert_allclose(np.column_stack([ring.x, ring.y]), points[[i]], atol=1e-6)
    assert other.x.dtype == other.y.dtype == np.float32  # sent as 4 bytes a number to every page
    assert tuple(gold.customdata[0]) == tuple(hover[np.flatnonzero(metal)[0]])
    # The searched point is drawn last (on top), hovers like the others, and its character
    # is a label pointing at it.
    assert fig.data[-1] is ring and tuple(ring.customdata[0]) == tuple(hover[i])
    (label,) = fig.layout.annotations
    assert label.text == "锂" and label.showarrow
    assert (label.x, label.y) == pytest.approx(tuple(points[i]), abs=1e-6)
    assert hover_data(["a"], ["x" * 200], ["1 ⼀"])[0, 1].endswith("…")


def test_overview_chain_pictures_are_q_sample_outputs():
    from tabs.overview import OverviewTab

    fig, caption = OverviewTab(resources).overview_chain("锂", 400, "linear", 11)
    assert "lithium" in caption
    glyphs = resources.glyphs()
    x0 = torch.tensor(glyphs.images[glyphs.index_of("锂")]) * 2 - 1
    sched = NoiseSchedule.create("linear")
    eps = torch.randn((64, 64), generator=torch.Generator().manual_seed(11))
    shown = {ax.get_label(): ax.images[0].get_array() for ax in fig.axes if ax.images}
    for key, t in (("x_T", 999), ("x_t", 400), ("x_t-1", 399)):
        x_t = sched.q_sample(x0[None], torch.tensor([t]), eps[None])[0].numpy()
        np.testing.assert_array_equal(shown[key], pictures.model_picture(x_t, scale=1))
    np.testing.assert_array_equal(shown["x_0"], pictures.ink_picture(glyphs.images[glyphs.index_of("锂")], scale=1))
    assert chain_figure(dict.fromkeys(("x_T", "x_t", "x_t-1", "x_0"), shown["x_0"]), 5, 1000).axes


# --------------------------------------------------------------------------------------
# Look-ups, pictures, validation
# --------------------------------------------------------------------------------------


def test_lookup():
    glyphs = resources.glyphs()
    found = lookup.find(glyphs, "锂 明")
    assert found.kind == "characters" and list(glyphs.chars[found.indices]) == ["锂", "明"]
    assert lookup.find(glyphs, "㐀").missing == ("㐀",)  # an ideograph outside the dataset
    water = lookup.find(glyphs, "Water")
    assert water.kind == "word" and len(water.indices) > 50
    assert all("water" in d.lower() for d in glyphs.definitions[water.indices])
    assert len(lookup.find(glyphs, ".*(").indices) == 0  # no pattern syntax
    gold = glyphs.definitions[lookup.definition_mask(glyphs, "gold")]
    assert all(re.search(r"\bgold\b", d, re.IGNORECASE) for d in gold)  # "golden" alone is no match
    tiny = Glyphs(np.zeros((3, 2, 2), np.float32), np.array(["a", "b", "c"]), np.arange(3), np.array(
        ["golden yellow", "gold; metal", "marigold"]), np.ones(3, np.int16), np.ones(3, np.int16), np.zeros(3, bool))
    assert lookup.definition_mask(tiny, "GOLD").tolist() == [False, True, False]
    assert lookup.definition_mask(tiny, "  ").tolist() == [False, False, False]
    assert lookup.radical_symbol(167) == "⾦" and lookup.radical_name(glyphs, 85) == "水 water"
    with pytest.raises(ValueError):
        lookup.radical_symbol(215)
    rows = lookup.random_rows(len(glyphs), 12, seed=3)
    assert len(set(rows.tolist())) == 12 and np.array_equal(rows, lookup.random_rows(len(glyphs), 12, 3))


def test_pictures():
    x = np.array([[-1.0, 1.0], [0.0, 5.0]])
    pic = pictures.model_picture(x, scale=2)
    assert pic.dtype == np.uint8 and pic.shape == (4, 4)
    assert pic[0, 0] == 255 and pic[0, 2] == 0 and pic[2, 0] == 128 and pic[3, 3] == 0
    assert np.array_equal(pictures.ink_picture(np.array([[0.0, 1.0]]), scale=1), [[255, 0]])


@pytest.mark.parametrize(
    "value,message",
    [(None, "must be a number"), ("5", "must be a number"), (True, "must be a number"), ([1], "must be a number"),
     (-5, "between 0 and 999"), (1e9, "between 0 and 999"), (float("nan"), "between"), (float("inf"), "between"),
     (2.5, "whole number")],
)
def test_validate_timestep_rejects(value, message):
    with pytest.raises(gr.Error, match=message):
        validate.timestep(value)


def test_validate_accepts_and_cleans():
    assert validate.timestep(999.0) == 999 and validate.seed(0) == 0
    assert validate.text("  two   words ", "w") == "two words" and validate.text(None, "w") == ""
    assert validate.choice("cosine", "schedule", ("cosine", "linear")) == "cosine"
    assert validate.character(" 锂 ", resources.glyphs()) == resources.glyphs().index_of("锂")


@pytest.mark.parametrize(
    "value,message",
    [("../../etc/passwd", "exactly one Chinese character"), ("x" * 10_000, "too long"), ("", "empty"),
     (None, "must be text"), (42, "must be text"), ("a", "not in the dataset"), ("\x00", "control characters")],
)
def test_validate_character_rejects(value, message):
    with pytest.raises(gr.Error, match=message):
        validate.character(value, resources.glyphs())


def test_guarded_hides_internal_errors():
    @validate.guarded("Doing it")
    def broken():
        raise KeyError("/secret/path")

    @validate.guarded("Streaming")
    def broken_stream():
        yield 1
        raise RuntimeError("boom")

    with pytest.raises(gr.Error) as err:
        broken()
    assert "Doing it failed" in err.value.message and "/secret" not in err.value.message
    stream = broken_stream()
    assert next(stream) == 1
    with pytest.raises(gr.Error, match="Streaming failed"):
        next(stream)


def test_glyph_cards_escape_text():
    from viz.glyph_map import glyph_cards

    html = glyph_cards([np.zeros((4, 4), np.uint8)], ["<b>"], ['"><script>alert(1)</script>'])
    assert "<script>" not in html and "&lt;script&gt;" in html and html.count("<figure") == 1
    assert glyph_cards([], [], [], empty="none <here>") == '<p class="glyph-cards-empty">none &lt;here&gt;</p>'
