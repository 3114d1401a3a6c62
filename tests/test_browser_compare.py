"""The Sampling tab's played views in a real browser: the run's player, the columns side by side
and the walk between two prompts (tabs/player.py, tabs/compare.py, tabs/walk.py).

At 1400 px: a 10-step run of 4 glyphs plays and pauses in its player; two prompt columns at
w = 0 show the same glyphs (the prompt is ignored there, the noise is shared) and differ at
w = 3; the walk from "water" to "fire" ends on exactly those two columns' glyphs; Stop ends a
running walk. Screenshots
of each view go to docs/screenshots/ at 1400 and 400 px. Every wait is on a condition.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image
from test_browser import SCREENSHOTS, WAIT_MS, browser_page, open_tab, pytestmark  # noqa: F401

TAB = "8 · Sampling"
GLYPH, PAD, HEADER, GAP, LABEL = 64, 2, 26, 14, 18  # viz.compare / viz.sampling layout at one pixel per pixel


def last_frame(panel, player: str) -> np.ndarray:
    """The player's last frame, decoded: (H, W) uint8."""
    src = panel.locator(f"#{player} .player-frame").get_attribute("src")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("L"))


def column_glyphs(frame: np.ndarray, column: int, n: int) -> list[np.ndarray]:
    """Glyph i of comparison column ``column`` (grids of ceil(sqrt(n)) columns under a header)."""
    cols = int(np.ceil(np.sqrt(n)))
    width = cols * (GLYPH + PAD) + PAD
    x0 = column * (width + GAP)
    cells = []
    for i in range(n):
        r, c = divmod(i, cols)
        y, x = HEADER + PAD + r * (GLYPH + PAD), x0 + PAD + c * (GLYPH + PAD)
        cells.append(frame[y:y + GLYPH, x:x + GLYPH].astype(int))
    return cells


def walk_glyph(frame: np.ndarray, point: int, seed: int) -> np.ndarray:
    y, x = LABEL + PAD + seed * (GLYPH + PAD), PAD + point * (GLYPH + PAD)
    return frame[y:y + GLYPH, x:x + GLYPH].astype(int)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """The same glyph: at most 1% of pixels one grey level (of 16) apart, as float rounding allows."""
    return (a != b).mean() <= 0.01 and np.abs(a - b).max() <= 17


def set_number(panel, elem_id: str, value) -> None:
    box = panel.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")
    from playwright.sync_api import expect

    expect(panel.locator(f"#{elem_id} input[type=range]")).to_have_value(str(value))


def run_compare(panel, values: str, guidance: float):
    from playwright.sync_api import expect

    set_number(panel, "sampling-guidance", guidance)
    panel.locator("#compare-values input, #compare-values textarea").first.fill(values)
    before = panel.locator("#compare-player .player-root").get_attribute("data-run")
    panel.locator("#compare-run").click()
    expect(panel.locator("#compare-player .player-root")).not_to_have_attribute("data-run", str(before))
    expect(panel.locator("#compare-caption")).to_contain_text(f"w = {guidance:g}; 2 glyphs each", timeout=3 * WAIT_MS)
    expect(panel.locator("#compare-meters")).to_contain_text("samples carry")
    return last_frame(panel, "compare-player")


def shoot(page, locator, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(SCREENSHOTS / f"{name}-{page.width}.png"))


@pytest.mark.parametrize("width", [1400, 400])
def test_player_comparison_and_walk(app_server, width):
    from playwright.sync_api import expect

    with browser_page(app_server.url, width, 1000) as page:
        panel = open_tab(page, TAB)
        panel.locator("#sampling-prompt input, #sampling-prompt textarea").first.fill("water")
        panel.locator("#sampling-sampler").get_by_label("ddim").check()
        set_number(panel, "sampling-steps", 10)
        set_number(panel, "sampling-count", 2)

        # The run's player: 11 frames (noise, 10 steps); play at 5 frames/s, pause holds.
        panel.locator("#sampling-run").click()
        root = panel.locator("#sampling-player .player-root")
        expect(root).to_have_attribute("data-count", "11", timeout=3 * WAIT_MS)
        root.locator(".player-speed").select_option("5")
        root.get_by_role("button", name="▶ play").click()
        page.wait_for_function("() => Number(document.querySelector('#sampling-player .player-root').dataset.index) >= 3")
        root.get_by_role("button", name="❚❚ pause").click()
        stopped, shown = root.get_attribute("data-index"), root.get_attribute("data-shown")
        page.wait_for_timeout(600)  # three frames' time at 5 frames/s: a pause must hold
        assert root.get_attribute("data-index") == stopped and root.get_attribute("data-shown") == shown
        expect(root.locator(".player-caption")).to_contain_text(f"Step {stopped} of 10")
        # The tab's step slider followed the pause, and the full-size frame above shows that step.
        expect(panel.locator("#sampling-scrub input[type=number]")).to_have_value(stopped)
        expect(panel.locator("#sampling-caption")).to_contain_text(f"Step {stopped} of 10")
        shoot(page, panel.locator("#sampling-player"), "sampling-player")

        # Two prompt columns share their noise: the same glyphs at w = 0, different ones at w = 3.
        at_0 = run_compare(panel, "water, fire", 0)
        assert all(same(a, b) for a, b in zip(column_glyphs(at_0, 0, 2), column_glyphs(at_0, 1, 2)))
        at_3 = run_compare(panel, "water, fire", 3)
        water, fire = column_glyphs(at_3, 0, 2), column_glyphs(at_3, 1, 2)
        assert not any(same(a, b) for a, b in zip(water, fire))
        shoot(page, panel.locator("#compare-player").locator(".."), "sampling-compare")

        # The walk from water to fire (same seed, w, sampler and steps) ends on those columns' glyphs.
        for elem_id, value in (("walk-points", 3), ("walk-count", 2), ("walk-steps", 10)):
            set_number(panel, elem_id, value)
        panel.locator("#walk-sampler").get_by_label("ddim").check()
        panel.locator("#walk-run").click()
        expect(panel.locator("#walk-caption")).to_contain_text("Finished", timeout=3 * WAIT_MS)
        expect(panel.locator("#walk-strip img")).to_be_visible()
        strip = last_frame(panel, "walk-player")
        for i in range(2):
            assert same(walk_glyph(strip, 0, i), water[i]) and same(walk_glyph(strip, 2, i), fire[i])
            assert not same(walk_glyph(strip, 1, i), water[i])
        shoot(page, panel.locator("#walk-player").locator(".."), "sampling-walk")

        # Stop during a run: a long walk streams a few frames, then stops growing and never finishes.
        set_number(panel, "walk-steps", 250)
        set_number(panel, "walk-points", 11)
        root = panel.locator("#walk-player .player-root")
        before = root.get_attribute("data-run")
        panel.locator("#walk-run").click()
        expect(root).not_to_have_attribute("data-run", str(before))
        page.wait_for_function("() => Number(document.querySelector('#walk-player .player-root').dataset.count) >= 2")
        panel.locator("#walk-stop").click()
        expect(panel.locator("#walk-run")).to_be_enabled()
        page.wait_for_timeout(1500)  # time for more frames, had the run gone on
        count = root.get_attribute("data-count")
        page.wait_for_timeout(3000)
        assert root.get_attribute("data-count") == count and int(count) < 40
        expect(panel.locator("#walk-caption")).not_to_contain_text("Finished")
        assert not [line for line in page.console_log if line.startswith("error")]
