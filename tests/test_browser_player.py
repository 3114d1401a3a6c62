"""The frame player (tabs/player.py) in a real browser: play advances the frames, pause stops them.

A small app with one player and a button that streams 40 frames is served on its own, so
the test needs no model; the frame rate is the browser's own, measured by the player.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SLOW_MACHINE_FACTOR
from PIL import Image
from test_browser import browser_page, pytestmark  # noqa: F401  (skips without playwright or chromium)

FRAMES = 40


def frames_app():
    import gradio as gr

    from tabs.player import PlayerFrames, frame_player

    def stream():
        frames = PlayerFrames("test frames", zoom=2)
        for i in range(FRAMES):
            ink = np.zeros((48, 160), np.uint8)
            ink[:, : 4 * (i + 1)] = 255
            frames.add(Image.fromarray(ink, "L"), f"frame {i}")
            if i % 10 == 9:
                yield frames.value()

    with gr.Blocks() as demo:
        player = frame_player("test-player", "no frames yet")
        gr.Button("Stream", elem_id="test-stream").click(stream, outputs=player)
    return demo


@pytest.fixture(scope="module")
def player_url():
    from conftest import free_port

    demo = frames_app()
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def check_frame_rate(root, asked: float) -> None:
    """The player keeps up with what is asked, within what the browser paints (a guard against a stall;
    the issue's 20 frames/s on an idle machine is read from the printed numbers)."""
    fps, paints = float(root.get_attribute("data-fps")), float(root.get_attribute("data-paints"))
    print(f"player: {fps} frames/s asked {asked}, browser painting {paints} frames/s")
    assert fps >= min(asked, paints) / SLOW_MACHINE_FACTOR


def shown(page) -> int:
    return int(page.locator("#test-player .player-root").get_attribute("data-shown") or 0)


def test_play_advances_frames_and_pause_stops_them(player_url):
    from playwright.sync_api import expect

    with browser_page(player_url, 1400, 900) as page:
        root = page.locator("#test-player .player-root")
        expect(root.get_by_text("no frames yet")).to_be_visible()
        page.locator("#test-stream").click()
        expect(root).to_have_attribute("data-count", str(FRAMES))
        expect(root).to_have_attribute("data-index", str(FRAMES - 1))  # followed the stream to its end
        expect(root.locator(".player-caption")).to_have_text(f"frame {FRAMES - 1}")

        root.get_by_role("button", name="▶ play").click()  # from the end: starts over at frame 0
        page.wait_for_function("() => Number(document.querySelector('#test-player .player-root').dataset.index) >= 10")
        root.get_by_role("button", name="❚❚ pause").click()
        stopped = int(root.get_attribute("data-index"))
        count = shown(page)
        page.wait_for_timeout(400)  # a pause must hold: nothing may be drawn in this time
        assert int(root.get_attribute("data-index")) == stopped and shown(page) == count
        assert 10 <= stopped < FRAMES - 1
        assert root.locator(".player-caption").inner_text() == f"frame {stopped}"

        # Keys when the player has focus: → steps one frame, space plays to the end.
        root.locator(".frame-player").focus()
        page.keyboard.press("ArrowRight")
        expect(root).to_have_attribute("data-index", str(stopped + 1))
        page.keyboard.press("ArrowLeft")
        expect(root).to_have_attribute("data-index", str(stopped))
        page.keyboard.press("Home")
        expect(root).to_have_attribute("data-index", "0")
        page.keyboard.press(" ")
        expect(root).to_have_attribute("data-playing", "no", timeout=10_000)  # stops at the last frame
        assert int(root.get_attribute("data-index")) == FRAMES - 1
        check_frame_rate(root, 20)  # the default speed


def test_noising_player_plays_t_from_0_to_999(app_server):
    from playwright.sync_api import expect
    from test_browser import SCREENSHOTS, open_tab

    for width in (1400, 400):
        with browser_page(app_server.url, width, 900) as page:
            panel = open_tab(page, "3 · Forward noising")
            root = panel.locator("#noising-player .player-root")
            expect(root).to_have_attribute("data-count", "101")
            expect(root.locator(".player-caption")).to_contain_text("t = 999")
            root.locator(".player-speed").select_option("30")
            root.get_by_role("button", name="▶ play").click()  # from the end: starts over at t = 0
            page.wait_for_function(
                "() => Number(document.querySelector('#noising-player .player-root').dataset.index) >= 40")
            picture = panel.locator("#noising-xt img")
            before = picture.get_attribute("src")
            root.get_by_role("button", name="❚❚ pause").click()
            index = int(root.get_attribute("data-index"))
            expect(root.locator(".player-caption")).to_contain_text(f"t = {10 * index},")
            check_frame_rate(root, 30)
            # The tab's t slider follows the paused player, and its own event redraws x_t at that t.
            expect(panel.locator("#noising-t input[type=number]")).to_have_value(str(10 * index))
            page.wait_for_function("([el, old]) => el.getAttribute('src') !== old", arg=[picture.element_handle(), before])
            # Moving the slider shows the player's nearest frame.
            number = panel.locator("#noising-t input[type=number]")
            number.fill("503")
            expect(root).to_have_attribute("data-index", "50")
            expect(root.locator(".player-caption")).to_contain_text("t = 500,")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            panel.locator("#noising-player").screenshot(path=str(SCREENSHOTS / f"noising-player-{width}.png"))
