"""Every tab one click away, in a real browser (Playwright driving Debian's chromium).

At a desktop width (1400 px) and a phone width (400 px): every tab's button is on screen
without scrolling or an overflow menu, one click on the last tab (8 · Sampling) selects it,
and the Overview's guide buttons open tabs 7 and 8; on no tab does a block's label cover its picture. Saves a screenshot of the tab bar at
both widths to docs/screenshots/navigation-<width>.png. Every wait is on a condition.
"""

from __future__ import annotations

import importlib

import pytest
from test_browser import ARGS, CHROMIUM, SCREENSHOTS, WAIT_MS, sync_playwright

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="the playwright Python package is not installed"),
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no chromium at {CHROMIUM} (set CHROMIUM to its path)"),
]

WIDTHS = {1400: 1000, 400: 900}  # viewport width -> height


def tab_titles() -> list[str]:
    """The labels of the tabs the app shows, in order."""
    import app

    return [module.TITLE for module in app.available_tabs()]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=sorted(WIDTHS, reverse=True), ids=lambda w: f"{w}px")
def page(request, browser, app_server):
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": WIDTHS[width]}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(app_server.url)
    expect(page.get_by_role("tab").first).to_be_visible()
    page.width = width
    yield page
    context.close()


def on_screen(page, locator) -> bool:
    """Whether the element lies wholly inside the viewport as the page opens."""
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["y"] >= 0 and \
        box["x"] + box["width"] <= page.width and box["y"] + box["height"] <= WIDTHS[page.width]


def test_every_tab_is_on_screen_and_the_last_opens_in_one_click(page):
    from playwright.sync_api import expect

    titles = tab_titles()
    assert len(titles) == 8 and titles[-1].startswith("8")
    for title in titles:
        tab = page.get_by_role("tab", name=title, exact=True)
        expect(tab).to_be_visible()
        assert on_screen(page, tab), f"tab {title!r} is off screen at {page.width} px"
    # nothing hidden behind an overflow menu
    expect(page.locator(".overflow-menu:visible")).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"navigation-{page.width}.png"))

    last = page.get_by_role("tab", name=titles[-1], exact=True)
    last.click()
    expect(last).to_have_attribute("aria-selected", "true")
    expect(page.locator("[role=tabpanel]:visible").first).to_be_visible()


@pytest.mark.parametrize("module", ["tabs.conditioning", "tabs.sampling"])
def test_overview_buttons_open_their_tabs(page, module):
    from playwright.sync_api import expect

    import tabs.overview as overview

    title = importlib.import_module(module).TITLE
    label = next(label for name, _, label in overview.NAVIGATION if name == module)
    page.get_by_role("tab", name=overview.TITLE, exact=True).click()
    panel = page.locator("[role=tabpanel]:visible").first
    button = panel.get_by_role("button", name=label, exact=True)
    button.scroll_into_view_if_needed()
    button.click()
    expect(page.get_by_role("tab", name=title, exact=True)).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name=overview.TITLE, exact=True)).to_have_attribute("aria-selected", "false")


# [label, block id, overlap height, overlap width] for each visible block label that lies over a
# picture (an <img> or <canvas>) of its own block.
COVERED_PICTURES = """() => {
  const covered = [];
  for (const label of document.querySelectorAll('[data-testid="block-label"]')) {
    const block = label.closest('.block'), l = label.getBoundingClientRect();
    if (!block || !l.width) continue;
    for (const picture of block.querySelectorAll('img, canvas')) {
      const p = picture.getBoundingClientRect();
      const x = Math.min(l.right, p.right) - Math.max(l.left, p.left), y = Math.min(l.bottom, p.bottom) - Math.max(l.top, p.top);
      if (p.width && x > 0 && y > 0) covered.push([label.innerText.trim(), block.id, Math.round(y), Math.round(x)]);
    }
  }
  return covered;
}"""
PICTURES_LOADED = """() => [...document.querySelectorAll('[role=tabpanel] img')].filter(i => i.getBoundingClientRect().width)
                                                                     .every(i => i.complete)"""


def test_no_label_covers_a_picture(page):
    """Gradio floats a block's label over its content; a labelled picture must start below it."""
    from playwright.sync_api import expect

    from tabs.glyph_map import TITLE as GLYPH_DATA
    from tabs.noising import TITLE as NOISING

    pictures = {GLYPH_DATA: "clicked or searched glyph", NOISING: "ε ~ N(0, I)"}  # labelled pictures shown at once
    for title in tab_titles():
        page.get_by_role("tab", name=title, exact=True).click()
        panel = page.locator("[role=tabpanel]:visible").first
        if title in pictures:
            expect(panel.locator(".glyph-picture", has_text=pictures[title]).locator("img")).to_be_visible()
        page.wait_for_function(PICTURES_LOADED)
        assert page.evaluate(COVERED_PICTURES) == [], f"{title} at {page.width} px"
