"""The model tabs (6-8) in a real browser (Playwright driving Debian's chromium).

Opens the training and conditioning tabs and waits for their figures; on the sampling
tab types a prompt, samples 20 steps, checks that frames stream in and that the finished
grid differs from the first frame, drags the replay slider and checks the frame and its
caption follow, and waits for the analysis. Saves docs/screenshots/<tab>.png for each
tab. Every wait is on a condition.
"""

from __future__ import annotations

from test_browser import WAIT_MS, open_tab, pytestmark, screenshot, wait_for_figures  # noqa: F401 (pytestmark: the same skips)

TABS = {  # screenshot name -> tab label
    "training": "6 · The training objective",
    "conditioning": "7 · Conditioning",
    "sampling": "8 · Sampling",
}

# Counts the distinct pictures shown in the sampling frame while a run streams.
WATCH_FRAMES = """() => {
    window.__frames = new Set();
    const root = document.querySelector('#sampling-frame');
    const note = () => root.querySelectorAll('img').forEach(img => img.src && window.__frames.add(img.src));
    new MutationObserver(note).observe(root, {subtree: true, childList: true, attributes: true,
                                              attributeFilter: ['src']});
    note();
}"""


def test_training_tab(page):
    from playwright.sync_api import expect

    panel = open_tab(page, TABS["training"])
    wait_for_figures(panel, plotly=2)
    expect(panel.get_by_text("the training loss").first).to_be_visible()
    screenshot(page, "training")


def test_conditioning_tab(page):
    from playwright.sync_api import expect

    panel = open_tab(page, TABS["conditioning"])
    wait_for_figures(panel, plotly=2, images=2)
    expect(panel.get_by_text("samples carry").first).to_be_visible()
    screenshot(page, "conditioning")


def test_sampling_streams_and_replays(page):
    from playwright.sync_api import expect

    panel = open_tab(page, TABS["sampling"])
    prompt = panel.locator("#sampling-prompt textarea, #sampling-prompt input").first
    prompt.fill("water")
    steps = panel.locator("#sampling-steps input[type=number]")
    steps.fill("20")
    steps.press("Enter")
    expect(panel.locator("#sampling-steps input[type=range]")).to_have_value("20")

    page.evaluate(WATCH_FRAMES)
    panel.locator("#sampling-run").click()
    caption = panel.locator("#sampling-caption")
    expect(panel.locator("#sampling-frame img")).to_be_visible()
    first_src = panel.locator("#sampling-frame img").get_attribute("src")
    first = page.request.get(first_src).body()
    expect(caption).to_contain_text("Finished", timeout=3 * WAIT_MS)
    final_src = panel.locator("#sampling-frame img").get_attribute("src")
    assert page.request.get(final_src).body() != first
    assert page.evaluate("() => window.__frames.size") >= 4  # noise, several steps, the finished grid

    # Drag the replay slider to about the middle: the frame and the caption follow.
    track = panel.locator("#sampling-scrub input[type=range]")
    expect(track).to_be_enabled()
    track.scroll_into_view_if_needed()  # the mouse acts only inside the viewport
    box = track.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] - 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=6)
    page.mouse.up()
    expect(caption).not_to_contain_text("Finished")
    value = int(panel.locator("#sampling-scrub input[type=number]").input_value())
    assert 5 <= value <= 15
    expect(caption).to_contain_text(f"Step {value} of 20")
    page.wait_for_function("([el, old]) => el.getAttribute('src') !== old",
                           arg=[panel.locator("#sampling-frame img").element_handle(), final_src])

    expect(panel.locator("#sampling-meter")).to_contain_text("Nearest training glyph", timeout=2 * WAIT_MS)
    expect(panel.locator("#sampling-nearest img").first).to_be_visible()
    wait_for_figures(panel, plotly=1)
    screenshot(page, "sampling")
