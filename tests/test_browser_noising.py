"""The Forward noising tab's t slider, drawn in the browser (tabs/noising.js), in a real browser.

Moving the slider sends nothing to the server, and what the browser draws at t is what the
server draws at t (tabs/noising.py): the x_t picture to one grey level, the map's bitmap to a
few levels (both JPEG), the picked points' traces, the schedule's marker, the title and the
caption word for word.
"""

from __future__ import annotations

import base64
import html
import io
import re

import numpy as np
import pytest
from PIL import Image
from test_browser import CHROMIUM, browser_page, expect, open_tab, sync_playwright, wait_for_figures

from tabs import noising, resources
from viz.noising import map_bitmap

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="the playwright Python package is not installed"),
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no chromium at {CHROMIUM} (set CHROMIUM to its path)"),
]

FIGURES = """() => {
  const gd = (id) => document.querySelector(id + ' .js-plotly-plot');
  const schedule = gd('#noising-schedule'), map = gd('#noising-map');
  return {
    markers: schedule._fullData.filter((t) => t.name === "t").map((t) => [t.x[0], t.y[0]]),
    shapes: schedule.layout.shapes.map((s) => [s.x0, s.x1]),
    picks: Object.fromEntries(map._fullData.map((t) => [t.name, [Array.from(t.x), Array.from(t.y)]])),
    bitmap: map.layout.images[0].source,
    title: map.layout.title.text,
  };
}"""


def decoded(uri: str, mode: str) -> np.ndarray:
    """The picture of a data URI, as int16 values of ``mode`` ("L" or "RGB")."""
    picture = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert(mode)
    return np.asarray(picture, dtype=np.int16)


def plain(caption_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", caption_html))


@pytest.fixture(scope="module")
def page(app_server):
    with browser_page(app_server.url, 1400, 1000) as page:
        yield page


@pytest.mark.parametrize("t", [700, 3, 999])
def test_the_slider_draws_in_the_browser_what_the_server_draws(page, t):
    panel = open_tab(page, noising.TITLE)
    wait_for_figures(panel, plotly=3, images=1)
    live = page.locator("#noising-live .noising-live-root")
    expect(live.locator(".noising-caption")).to_contain_text("t = ")
    joins = []
    page.on("request", lambda request: joins.append(request.url) if "/queue/join" in request.url else None)
    page.locator("#noising-t input[type=range]").fill(str(t))
    expect(live).to_have_attribute("data-drawn", str(t))
    assert joins == [], f"moving the slider sent {len(joins)} events to the server"

    tab = noising.NoisingTab(resources)
    row = resources.glyphs().index_of(noising.DEFAULTS[0])
    x_t, _, schedule, dataset, value = tab._step(row, t, "cosine", 0)

    shown = page.locator("#noising-xt img").get_attribute("src")
    assert np.abs(decoded(shown, "L") - x_t.astype(np.int16)).max() <= 1

    figures = page.evaluate(FIGURES)
    abar = float(resources.schedule("cosine").alphas_cumprod[t])
    assert figures["markers"][0][0] == t and figures["markers"][0][1] == pytest.approx(abar, rel=1e-6)
    assert figures["shapes"] == [[t, t], [t, t]]
    assert figures["title"] == dataset.layout.title.text
    for trace in dataset.data:
        xs, ys = figures["picks"][trace.name]
        np.testing.assert_allclose(np.array(xs, dtype=float), np.array(trace.x, dtype=float), atol=1e-4)
        np.testing.assert_allclose(np.array(ys, dtype=float), np.array(trace.y, dtype=float), atol=1e-4)

    lo, hi = -4.0, 4.0
    from glyffuser.distributions.mapflow import noise_points, noised_density

    points = resources.standard_map()
    cloud = noise_points(points, resources.schedule("cosine"), t, 0)
    density = noised_density(points, abar, resources.map_bandwidth(), max_size=noising.STEP_GRID)[2]
    server = map_bitmap(cloud, density, lo, hi, 420).astype(np.int16)
    browser = decoded(figures["bitmap"], "RGB")
    difference = np.abs(browser - server)
    assert difference.mean() < 2.0 and np.percentile(difference, 99) < 24, (difference.mean(), np.percentile(difference, 99))

    assert plain(live.locator(".noising-caption").inner_html()) == plain(value["caption"])
