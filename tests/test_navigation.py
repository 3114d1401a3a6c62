"""Every tab one click away, in a real browser (Playwright driving Debian's chromium).

At a desktop width (1400 px) and a phone width (400 px): every tab's button is on screen
without scrolling or an overflow menu, one click on the last tab (8 · Sampling) selects it,
and the Overview's guide buttons open tabs 7 and 8. Saves a screenshot of the tab bar at
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
