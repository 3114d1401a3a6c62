"""Deep links: every setting of tabs.deep_link names a control of the app, values are checked,
and in chromium a link opens its tab with its settings (and the figures follow); "Share this view"
writes the view on screen back into the address."""

from __future__ import annotations

import pytest

from tabs import deep_link


@pytest.fixture(scope="module")
def controls():
    import gradio as gr

    import app

    demo = app.build_demo()
    tabs = next(b for b in demo.blocks.values() if isinstance(b, gr.Tabs) and b.elem_id == "course-tabs")
    return deep_link.find_controls(tabs), [t.id for t in tabs.children]


def test_every_setting_names_a_control(controls):
    found, tab_ids = controls
    expected = {(tab, key) for tab, keys in deep_link.SETTINGS.items() if tab in tab_ids for key in keys}
    assert expected and set(found) == expected, expected - set(found)
    assert all(f"deep-{tab}-{key}" in found[(tab, key)].elem_classes for tab, key in found)


def test_restore_checks_each_value_against_its_control(controls):
    found, tab_ids = controls
    tab, values = deep_link.restore({"tab": "score", "t": "600", "schedule": "linear", "arrows": "15"}, found, tab_ids)
    assert tab == "score" and values == {("score", "t"): 600, ("score", "schedule"): "linear", ("score", "arrows"): 15}
    # out of range, not a choice, not a number, another tab's key: each left out, the tab still opens
    tab, values = deep_link.restore({"tab": "score", "t": "5000", "schedule": "quadratic", "arrows": "many",
                                     "prompt": "fire"}, found, tab_ids)
    assert tab == "score" and values == {}
    assert deep_link.restore({"tab": "nowhere", "t": "3"}, found, tab_ids) == (None, {})
    assert deep_link.restore({}, found, tab_ids) == (None, {})
    _, values = deep_link.restore({"tab": "sampling", "prompt": "fire", "guidance": "2.5", "seed": "3"},
                                  found, tab_ids)
    assert values == {("sampling", "prompt"): "fire", ("sampling", "guidance"): 2.5, ("sampling", "seed"): 3}
    _, values = deep_link.restore({"tab": "sampling", "prompt": "x" * 500, "seed": "nan"}, found, tab_ids)
    assert values == {}


# --- in chromium ----------------------------------------------------------------------------------


def test_a_deep_link_restores_tab_and_settings_and_share_writes_them_back(app_server):
    from test_browser import CHROMIUM, browser_page

    pytest.importorskip("playwright")
    if not CHROMIUM.is_file():
        pytest.skip(f"no chromium at {CHROMIUM}")
    from playwright.sync_api import expect

    query = "?tab=score&t=600&schedule=linear&arrows=15"
    with browser_page(app_server.url + query, 1400, 1000) as page:
        expect(page.get_by_role("tab", name="4 · Score field")).to_have_attribute("aria-selected", "true")
        expect(page.locator("#score-t input[type=number]")).to_have_value("600")
        # the figures follow the restored settings (the slider's own event ran)
        expect(page.locator("#score-caption")).to_contain_text("t = 600, linear schedule")
        expect(page.locator("#score-exact .gtitle").first).to_contain_text("t = 600")
        page.get_by_label("arrows per side", exact=False).first.fill("17")
        page.get_by_label("arrows per side", exact=False).first.press("Enter")
        page.locator("#share-view-button").click()
        page.wait_for_function("() => window.__deepLink")
        link = page.evaluate("window.__deepLink")
        assert page.url == link
        for part in ("tab=score", "t=600", "schedule=linear", "arrows=17"):
            assert part in link, link

    query = "?tab=sampling&prompt=fire&seed=3&guidance=2"
    with browser_page(app_server.url + query, 400, 900) as page:
        expect(page.get_by_role("tab", name="8 · Sampling")).to_have_attribute("aria-selected", "true")
        expect(page.locator("#sampling-prompt textarea, #sampling-prompt input").first).to_have_value("fire")
        expect(page.locator(".deep-sampling-seed input").first).to_have_value("3")
        expect(page.locator(".deep-sampling-guidance input[type=number]").first).to_have_value("2")
