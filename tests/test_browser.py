"""One pass through tabs 1-5 in a real browser (Playwright driving Debian's chromium).

Opens each tab and waits for its figures, moves the forward-noising t slider and checks
that the x_t picture changed, clicks a point of the glyph map (through Plotly's own click
event) and checks the glyph panel, releases the score tab's particles, and saves a
screenshot of each tab to docs/screenshots/<tab>.png. Every wait is on a condition.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
WAIT_MS = 90_000

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="the playwright Python package is not installed"),
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no chromium at {CHROMIUM} (set CHROMIUM to its path)"),
]

TABS = {  # screenshot name -> tab label
    "distribution": "1 · Learning a distribution",
    "glyph-map": "2 · The glyph data",
    "noising": "3 · Forward noising",
    "score": "4 · Score field",
    "overview": "5 · Overview",
}


WIDTHS = {1400: 1000, 400: 900}  # the widths every page is checked at: viewport width -> height


@contextmanager
def browser_page(url: str, width: int, height: int):
    """A chromium page on ``url`` at ``width`` x ``height``; ``page.console_log`` collects
    "type: text" of every console message and ``page.width`` is the width."""
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.console_log = []
        page.on("console", lambda msg: page.console_log.append(f"{msg.type}: {msg.text}"))
        page.goto(url)
        page.width = width
        try:
            yield page
        finally:
            context.close()
            browser.close()


def open_tab(page, label: str):
    page.get_by_role("tab", name=label).click()
    panel = page.locator("[role=tabpanel]:visible").first
    expect(panel).to_be_visible()
    return panel


def wait_for_figures(panel, plotly: int = 0, images: int = 0) -> None:
    """Until ``plotly`` Plotly graphs and ``images`` <img> figures show in the panel."""
    if plotly:
        expect(panel.locator(".js-plotly-plot .main-svg").nth(plotly - 1)).to_be_visible()
    if images:
        expect(panel.locator("[data-testid=matplotlib] img, .glyph-picture img").nth(images - 1)).to_be_visible()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_function("() => !document.querySelector('.wrap.default.full:not(.hide), .eta-bar')")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_distribution_tab(page):
    panel = open_tab(page, TABS["distribution"])
    wait_for_figures(panel, plotly=2)
    expect(panel.get_by_text("μ̂ = ").first).to_be_visible()
    screenshot(page, "distribution")


def test_glyph_map_tab(page):
    panel = open_tab(page, TABS["glyph-map"])
    wait_for_figures(panel, plotly=1)
    expect(panel.locator("#glyph-map-plot .scatterlayer, #glyph-map-plot canvas").first).to_be_attached()
    # A click on a point (Plotly's click event, as the map emits it) shows that glyph large.
    page.wait_for_function("() => document.querySelector('#glyph-map-plot .js-plotly-plot')?.dataset.glyphClick === 'on'")
    page.evaluate("""() => document.querySelector('#glyph-map-plot .js-plotly-plot')
        .emit('plotly_click', {points: [{customdata: ['明', 'bright', '72']}]})""")
    expect(panel.get_by_text("U+660E")).to_be_visible()
    expect(panel.locator(".glyph-picture img").first).to_be_visible()
    screenshot(page, "glyph-map")


def test_noising_tab_slider_changes_the_picture(page):
    panel = open_tab(page, TABS["noising"])
    wait_for_figures(panel, plotly=3, images=1)
    picture = panel.locator("#noising-xt img")
    expect(picture).to_be_visible()
    before = picture.get_attribute("src")

    # Drag the slider's handle from its position to three quarters of the track.
    track = panel.locator("#noising-t input[type=range]")
    box = track.bounding_box()
    y = box["y"] + box["height"] / 2
    start_x = box["x"] + box["width"] * 250 / 999
    page.mouse.move(start_x, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.75, y, steps=8)
    page.mouse.up()

    page.wait_for_function("([el, old]) => el.getAttribute('src') !== old", arg=[picture.element_handle(), before])
    after = picture.get_attribute("src")
    assert after.startswith("data:image/png;base64,")  # drawn in the browser (tests/test_browser_noising.py)
    value = int(panel.locator("#noising-t input[type=number]").input_value())
    assert 650 <= value <= 850
    expect(panel.get_by_text(f"t = {value}").first).to_be_visible()
    screenshot(page, "noising")


def test_score_tab_particles(page):
    panel = open_tab(page, TABS["score"])
    wait_for_figures(panel, plotly=1)
    for name, value in (("particles", "120"), ("ODE steps", "20")):  # a short run
        box = panel.get_by_label(f"number input for {name}")
        box.fill(value)
        box.press("Tab")
    panel.get_by_role("button", name="Release particles").click()
    expect(panel.get_by_text("All 120 particles have arrived at ᾱ = 1 after 20 steps")).to_be_visible()
    wait_for_figures(panel, plotly=3)  # the exact field, the learned field, the ray
    expect(panel.locator("#score-particles img.particle-frame")).to_be_visible()
    expect(panel.locator("#score-particles-player .player-root")).to_have_attribute("data-count", "21")  # for playback
    screenshot(page, "score")


def test_overview_tab(page):
    panel = open_tab(page, TABS["overview"])
    wait_for_figures(panel, images=1)
    expect(panel.get_by_text("lithium").first).to_be_visible()
    screenshot(page, "overview")
    # The guide's buttons open the other tabs (in the browser, no server call).
    panel.get_by_role("button", name="3 · Forward noising").click()
    expect(page.get_by_role("tab", name=TABS["noising"])).to_have_attribute("aria-selected", "true")
