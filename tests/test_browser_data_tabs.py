"""Tabs 1 and 2 in a real browser (Playwright driving Debian's chromium), and the app's
answer to a bad value on the page.

Checks what a student must see: a keyboard arrow on a slider updates the figures; σ = 0
typed into tab 1 leaves no red "Error" badge over any figure, and the warning, the box and
the figures agree (0 is taken as 0.05); the glyph map's search labels and figures. Saves
screenshots at 1400 and at 400 px wide to docs/screenshots/ (``*-1400.png``, ``*-400.png``).
Every wait is on a condition.
"""

from __future__ import annotations

import pytest
from test_browser import CHROMIUM, SCREENSHOTS, WIDTHS, browser_page, open_tab, sync_playwright

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="the playwright Python package is not installed"),
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no chromium at {CHROMIUM} (set CHROMIUM to its path)"),
]

DISTRIBUTION = "1 · Learning a distribution"
GLYPH_MAP = "2 · The glyph data"
NO_BADGE = "() => ![...document.querySelectorAll('.wrap.error, .error')].some(e => e.offsetParent !== null)"


@pytest.fixture(scope="module", params=sorted(WIDTHS, reverse=True), ids=lambda w: f"{w}px")
def page(request, app_server):
    with browser_page(app_server.url, request.param, WIDTHS[request.param]) as page:
        yield page


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_function("() => !document.querySelector('.wrap.default.full:not(.hide), .eta-bar')")
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{page.width}.png"), full_page=True)


def no_overflow(page, selector: str) -> None:
    """Every element matching ``selector`` fits in the viewport's width or scrolls itself."""
    wide = page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].filter(e => e.offsetParent !== null).filter(e => {
               const r = e.getBoundingClientRect();
               let p = e.parentElement, scrolls = false;
               while (p) { const s = getComputedStyle(p).overflowX;
                           if ((s === 'auto' || s === 'scroll') && p.scrollWidth > p.clientWidth - 1) scrolls = true;
                           p = p.parentElement; }
               return r.right > window.innerWidth + 1 && !scrolls; }).length""",
        selector,
    )
    assert wide == 0, f"{wide} of {selector} cut off at {page.width} px"


def test_distribution_keyboard_and_bad_value(page):
    from playwright.sync_api import expect

    panel = open_tab(page, DISTRIBUTION)
    expect(panel.locator("#distribution-implicit .main-svg").first).to_be_visible()
    estimates = panel.locator("#distribution-estimates")
    expect(estimates).to_contain_text("from 200 samples")

    # Keyboard arrows on the log-n slider: n follows (a step is a factor of 1.12) and the figures update.
    log_n = panel.locator("#distribution-log-n input[type=range]")
    log_n.focus()
    for _ in range(6):
        log_n.press("ArrowLeft")
    expect(panel.locator("#distribution-n input")).to_have_value("100")
    expect(estimates).to_contain_text("from 100 samples")
    expect(panel.locator("#distribution-fit").get_by_text("samples (n = 100)")).to_be_visible()
    log_n.press("Home")
    expect(estimates).to_contain_text("from 2 samples")

    # σ = 0 typed into the slider's box: a warning, no Error badge, figures for the 0.05 the box shows.
    box = panel.get_by_label("number input for true standard deviation σ")
    box.fill("0")
    box.press("Tab")
    expect(page.locator(".toast-body").filter(has_text="0 was taken as 0.05")).to_be_visible()
    expect(box).to_have_value("0.05")
    expect(estimates).to_contain_text("true σ = 0.050")
    page.wait_for_function(NO_BADGE)
    expect(panel.locator("#distribution-fit .main-svg").first).to_be_visible()
    no_overflow(page, "#distribution-fit .katex-display, .tab-intro .katex-display, .js-plotly-plot")
    screenshot(page, "distribution")


def test_glyph_map_families_and_numbers(page):
    from playwright.sync_api import expect

    panel = open_tab(page, GLYPH_MAP)
    expect(panel.locator("#glyph-numbers .main-svg").first).to_be_visible()
    panel.get_by_label("structure (side by side or stacked)").check()
    query = panel.get_by_label("search")
    query.fill("明 草 花 好")
    query.press("Enter")
    expect(panel.locator("#glyph-map-summary")).to_contain_text("Marked in red: 明, 草, 花, 好.")
    plot = panel.locator("#glyph-map-plot")
    for char in "明草花好":  # each label is drawn, above the WebGL points
        expect(plot.locator(".annotation-text", has_text=char)).to_be_visible()
    expect(panel.get_by_text("stacked, like 草")).to_be_visible()
    expect(panel.locator("#glyph-numbers").get_by_text("as 16 × 16 numbers")).to_be_visible()
    page.wait_for_function(NO_BADGE)
    no_overflow(page, ".tab-intro .katex-display, .js-plotly-plot")
    screenshot(page, "glyph-map")
