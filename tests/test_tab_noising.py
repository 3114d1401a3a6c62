"""Tab 3 ("Forward noising"): the t convention, the labels' numbers, the rings of q(x_t | x0)
and the bitmaps, against glyffuser.diffusion.schedule and independent references (scipy, numpy)."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest
import scipy.stats

from glyffuser.diffusion.schedule import NoiseSchedule
from tabs import noising, resources
from viz.noising import RING_SHARES, abar_text, strip_figure
from viz.raster import pixel_of, splat_points


@pytest.fixture(scope="module")
def tab():
    return noising.NoisingTab(resources)


def float64_abar(name: str) -> np.ndarray:
    """ᾱ of a schedule recomputed here in float64 (linear: Ho et al.; cosine: Nichol & Dhariwal)."""
    if name == "linear":
        betas = np.linspace(1e-4, 0.02, 1000)
    else:
        f = np.cos((np.arange(1001) / 1000 + 0.008) / 1.008 * np.pi / 2) ** 2
        betas = np.minimum(1 - f[1:] / f[:-1], 0.999)
    return np.cumprod(1 - betas)


@pytest.mark.parametrize("name", ["cosine", "linear"])
def test_abar_labels_never_round_to_one(name):
    abar = NoiseSchedule.create(name).alphas_cumprod.double().numpy()
    for value in abar:
        text = abar_text(value)
        assert text not in ("1", "1.0", "1.00", "1.000", "1.0000", "0", "0.0")
        assert float(text) < 1.0 and abs(float(text) - value) <= 0.01 * max(value, 1 - value)
    assert abar_text(1.0) == "1"


def test_intro_states_the_t_convention_with_the_schedules_numbers():
    cosine0 = float(NoiseSchedule.create("cosine").alphas_cumprod[0])
    linear0 = float(NoiseSchedule.create("linear").alphas_cumprod[0])
    assert abar_text(cosine0) == "0.99996" and abar_text(linear0) == "0.9999"
    np.testing.assert_allclose([cosine0, linear0], [float64_abar("cosine")[0], float64_abar("linear")[0]], rtol=1e-6)
    intro = noising.INTRO
    assert "Ho et" in intro and "t - 1" in intro and "t = 0, 1, \\dots, 999" in intro
    assert "$\\bar\\alpha_0$ = 0.99996 under\nthe cosine schedule, 0.9999 under the linear one" in intro
    assert "\\prod_{s=0}^{t}" in intro


def test_caption_and_title_at_t0_read_the_true_abar(tab):
    x_t, eps, schedule_plot, dataset_plot, live = tab.noise_glyph("锂", 0, "cosine", 0)[:5]
    caption = live["caption"]
    assert "ᾱₜ = 0.99996" in caption and "ᾱ = 1" not in caption
    assert dataset_plot.layout.title.text.endswith("ᾱ = 0.99996")
    sd = np.sqrt(1 - float(NoiseSchedule.create("cosine").alphas_cumprod[0]))
    assert f"the noise added is {sd:.3f} ε" in caption
    marker = next(tr for tr in schedule_plot.data if tr.name == "t")
    assert "ᾱ = 0.99996" in marker.hovertemplate


def test_strip_titles_read_the_true_abar():
    abar = NoiseSchedule.create("cosine").alphas_cumprod.double().numpy()[list(noising.STRIP_STEPS)]
    pics = [np.zeros((4, 4), np.uint8)] * len(abar)
    fig = strip_figure(pics, noising.STRIP_STEPS, abar)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0] == "t = 0\nᾱ = 0.99996"
    assert len(titles) == len(noising.STRIP_STEPS)


def test_rings_hold_the_stated_shares(tab):
    # Mass of a 2-D standard normal within radius k is the chi-square(2) cdf at k².
    np.testing.assert_allclose(RING_SHARES, scipy.stats.chi2(2).cdf([1.0, 4.0]), rtol=1e-12)
    caption = tab.noise_glyph("明", 250, "cosine", 0)[4]["caption"]
    shares = [int(s) for s in re.findall(r"holding (\d+)% and (\d+)%", caption)[0]]
    assert shares == [39, 86]
    sd = np.sqrt(1 - float(NoiseSchedule.create("cosine").alphas_cumprod[250]))
    assert f"({sd:.3g} and {2 * sd:.3g})" in caption


def test_picked_points_are_the_glyph_and_the_fixed_ones(tab):
    fig = tab.noise_glyph("明", 500, "linear", 3)[3]
    x0 = next(tr for tr in fig.data if tr.name == "x0")
    assert list(x0.text) == ["明", "草", "鸟"]  # the chosen glyph, not repeated
    points = resources.standard_map()
    row = resources.glyphs().index_of("明")
    np.testing.assert_allclose([x0.x[0], x0.y[0]], points[row])
    x_t = next(tr for tr in fig.data if tr.name == "x_t")
    abar = float(NoiseSchedule.create("linear").alphas_cumprod[500])
    residual = (np.array([x_t.x[0], x_t.y[0]]) - np.sqrt(abar) * points[row]) / np.sqrt(1 - abar)
    assert np.all(np.abs(residual) < 5)  # the point's own draw from q(x_t | x0)


def test_splat_points_composites_like_translucent_markers():
    rgb = np.full((10, 10, 3), 200, np.uint8)
    lo, hi = 0.0, 10.0
    points = np.array([[2.5, 7.5], [2.5, 7.5], [2.5, 7.5], [6.5, 1.5]])  # three on one pixel, one alone
    out = splat_points(rgb, points, lo, hi, color=(0, 0, 0), alpha=0.5, radius=0)
    rows, cols = pixel_of(points, lo, hi, 10)
    assert (rows[0], cols[0]) == (2.0, 2.0) and (rows[3], cols[3]) == (8.0, 6.0)
    assert out[2, 2, 0] == 25  # 200 * (1 - 0.5)^3
    assert out[8, 6, 0] == 100  # 200 * (1 - 0.5)
    assert np.count_nonzero(out[..., 0] != 200) == 2
    wide = splat_points(rgb, points[3:], lo, hi, color=(0, 0, 0), alpha=0.5, radius=1)
    assert np.count_nonzero(wide[..., 0] != 200) == 9


def test_shaded_points_is_the_density_under_the_splatted_points():
    from viz.raster import density_rgb, shaded_points

    rng = np.random.default_rng(0)
    points, density = rng.normal(size=(3000, 2)), rng.random((40, 40))
    slow = splat_points(density_rgb(density, 120), points, -4.0, 4.0, color=(20, 30, 60), alpha=0.35, radius=1)
    fast = shaded_points(density, points, -4.0, 4.0, 120, color=(20, 30, 60), alpha=0.35, radius=1)
    assert np.abs(slow.astype(int) - fast).max() <= 1  # rounding once instead of twice


def test_player_frames_run_t_from_0_to_999_with_one_noise(tab):
    import base64
    import io

    from PIL import Image

    from glyffuser.diffusion.forward import glyph_x0, noise_chain

    value = tab.play_frames("锂", "linear", 2)
    assert len(value["frames"]) == 101
    assert value["captions"][0].startswith("t = 0, ᾱ = 0.9999") and value["captions"][-1].startswith("t = 999,")
    row = resources.glyphs().index_of("锂")
    chain = noise_chain(glyph_x0(resources.glyphs().images[row]), resources.schedule("linear"), [500], 2)
    frame = np.asarray(Image.open(io.BytesIO(base64.b64decode(value["frames"][50].split(",", 1)[1]))))
    expected = np.round(255 * (1 - np.clip((chain.x_t[0] + 1) / 2, 0, 1)))
    assert value["captions"][50].startswith("t = 500,") and np.abs(frame - expected).max() <= 1
    assert tab.play_frames("", "linear", 2) == {"__type__": "update"}  # half typed: the player stays as it is


def test_a_class_opening_the_tab_computes_its_views_once(tab):
    """Thirty students opening the tab (or told "t = 517, press Enter") get one computation, handed out again."""
    row = resources.glyphs().index_of("锂")
    noising.SHARED_STEPS.forget((row, 517, "cosine", 0))
    before = dict(noising.SHARED_STEPS.stats)
    first = tab.noise_glyph("锂", 517, "cosine", 0)
    again = [tab.noise_glyph("锂", 517.0, "cosine", 0) for _ in range(3)]  # equal after validation
    assert all(a[3] is first[3] and a[4] == first[4] for a in again)
    assert noising.SHARED_STEPS.stats["computed"] == before["computed"] + 1
    assert noising.SHARED_STEPS.stats["shared"] == before["shared"] + 3
    other = tab.noise_glyph("锂", 518, "cosine", 0)
    assert other[4]["caption"] != first[4]["caption"] and "t = 518" in other[4]["caption"]
    assert other[4]["points"] is first[4]["points"]  # the arrays the browser draws from: one copy per glyph


def test_the_live_panel_carries_what_the_server_draws_from(tab):
    """The browser redraws every t from these arrays (tests/test_browser_noising.py compares the pictures)."""
    from glyffuser.diffusion.forward import glyph_x0, noise_chain
    from glyffuser.distributions.mapflow import noise_points

    live = tab.noise_glyph("明", 300, "linear", 5)[4]
    decode = lambda text: np.frombuffer(base64.b64decode(text), dtype="<f4")  # noqa: E731
    row = resources.glyphs().index_of("明")
    schedule = resources.schedule("linear")
    chain = noise_chain(glyph_x0(resources.glyphs().images[row]), schedule, [300], 5)
    np.testing.assert_array_equal(decode(live["noise"]).reshape(64, 64), chain.noise)
    x_t = np.sqrt(live["abar"][300]) * decode(live["x0"]) + np.sqrt(1 - live["abar"][300]) * decode(live["noise"])
    np.testing.assert_allclose(x_t.reshape(64, 64), chain.x_t[0], atol=1e-5)
    points = decode(live["points"]).reshape(-1, 2)
    cloud = np.sqrt(live["abar"][300]) * points + np.sqrt(1 - live["abar"][300]) * decode(live["points_noise"]).reshape(-1, 2)
    np.testing.assert_allclose(cloud, noise_points(resources.standard_map(), schedule, 300, 5), atol=1e-5)
    assert live["t"] == 300 and live["schedule"] == "linear" and [p[0] for p in live["picks"]] == ["明", "草", "鸟"]
    assert len(live["abar"]) == 1000 and len(live["lut"]) == 768
