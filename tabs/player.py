"""A frame player for animated views: frames sent once, flipped in the browser.

:func:`frame_player` is a ``gr.HTML`` whose value (:func:`player_value`) holds every frame
as a PNG data URI with its caption; ``tabs/player.js`` plays them client-side (play, pause,
previous, next, a step slider, a speed, and space / arrow keys when the player has focus),
so playback runs at the browser's frame rate whatever the server is doing. A generator
that yields a growing value streams only the new frames (Gradio sends each yield as a
diff of the last), and the player follows the newest frame unless the student has paused
elsewhere.

A player can follow a page slider (``follows``: the slider's ``elem_id``) when its frames carry
the slider's values (``PlayerFrames.add(..., step=...)``): when playback stops on a frame,
the slider moves to that frame's value (its ``input`` event runs, so the page's full-size
view shows the same step), and moving the slider shows the player's nearest frame.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

PLAYER_JS = (Path(__file__).parent / "player.js").read_text(encoding="utf-8")
SPEEDS = (5, 10, 20, 30, 60)  # frames per second on offer
DEFAULT_FPS = 20
_runs = itertools.count(1)

TEMPLATE = """
<div class="frame-player" tabindex="0" aria-label="${value && value.title ? value.title : 'frame player'}">
${value && value.frames && value.frames.length ? `
  <div class="player-title">${value.title || ''}</div>
  <img class="player-frame" alt="${value.title || 'frame'}" src="${value.frames[value.frames.length - 1]}"
       style="max-width: ${value.width * value.zoom}px">
  <div class="player-caption"></div>
  <div class="player-controls">
    <button type="button" data-act="prev" title="previous step (←)">◀ prev</button>
    <button type="button" data-act="play" title="play or pause (space)">▶ play</button>
    <button type="button" data-act="next" title="next step (→)">next ▶</button>
    <input class="player-step" type="range" min="0" max="${value.frames.length - 1}" step="1"
           value="${value.frames.length - 1}" aria-label="frame">
    <label>speed <select class="player-speed">
      ${SPEEDS.map((s) => `<option value="${s}" ${s === 20 ? 'selected' : ''}>${s} frames/s</option>`).join('')}
    </select></label>
  </div>
  <div class="player-keys">With the player selected: space plays or pauses, ← → step, Home / End jump.</div>
` : `<div class="player-empty">${empty}</div>`}
</div>
"""

CSS = """
.frame-player { outline: none; }
.frame-player:focus-visible { box-shadow: 0 0 0 2px var(--color-accent); border-radius: 4px; }
.player-title { font-weight: 600; margin: 4px 0; }
.player-frame { display: block; width: 100%; height: auto; image-rendering: pixelated; }
.player-caption { font-size: 0.95em; margin: 4px 0; min-height: 1.3em; }
.player-controls { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.player-controls button { padding: 3px 10px; border: 1px solid var(--border-color-primary); border-radius: 6px;
  background: var(--button-secondary-background-fill); cursor: pointer; min-width: 64px; }
.player-controls .player-step { flex: 1 1 160px; min-width: 120px; }
.player-keys, .player-empty { font-size: 0.85em; color: var(--body-text-color-subdued); margin-top: 2px; }
"""


def frame_player(elem_id: str, empty: str, follows: str = "") -> gr.HTML:
    """An empty player; ``empty`` (HTML) is what it shows until frames arrive; ``follows``: the
    ``elem_id`` of a slider kept on the player's frame (see the module's docstring)."""
    return gr.HTML(None, html_template=TEMPLATE.replace("SPEEDS", str(list(SPEEDS))), css_template=CSS,
                   js_on_load=PLAYER_JS, elem_id=elem_id, empty=empty, follows=follows, container=False)


def encoded(picture: Image.Image, image_format: str = "PNG") -> tuple[str, int]:
    """A frame ready for :meth:`PlayerFrames.add_encoded`: its data URI and its width in pixels."""
    return encode_frame(picture, image_format), picture.width


def encode_frame(picture: Image.Image, image_format: str = "PNG") -> str:
    """A PIL picture as a PNG (lossless, for glyphs) or JPEG (quality 85, for smooth colour maps) data URI."""
    if image_format == "JPEG":
        from viz.raster import jpeg_data_uri

        return jpeg_data_uri(np.asarray(picture.convert("RGB")), quality=85)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=3)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class PlayerFrames:
    """The value of one player, grown frame by frame (one run: a new id, so the player starts over).

    ``zoom`` is how far the browser may enlarge the frames (pixels stay sharp); ``image_format``
    is "PNG" or "JPEG" (see :func:`encode_frame`).
    """

    def __init__(self, title: str = "", zoom: int = 3, image_format: str = "PNG"):
        self.run = next(_runs)
        self.title = html.escape(title)
        self.zoom = zoom
        self.image_format = image_format
        self.frames: list[str] = []
        self.captions: list[str] = []
        self.steps: list[float | None] = []
        self.width = 0

    def add(self, picture: Image.Image | np.ndarray, caption: str, step: float | None = None) -> None:
        """Append a frame (a picture, or an (H, W) / (H, W, 3) uint8 bitmap); ``caption`` is plain
        text (the browser shows it as text); ``step``: the followed slider's value for this frame."""
        if isinstance(picture, np.ndarray):
            picture = Image.fromarray(np.asarray(picture, dtype=np.uint8))
        self.add_encoded(encoded(picture, self.image_format), caption, step)

    def add_encoded(self, frame: tuple[str, int], caption: str, step: float | None = None) -> None:
        """Append a frame encoded before (:func:`encoded`: data URI and width), e.g. one shared by many players."""
        uri, width = frame
        self.frames.append(uri)
        self.captions.append(caption)
        self.steps.append(step)
        self.width = width

    def value(self) -> dict:
        """The player's value: a new dict each time, so Gradio sends it as a diff of the last."""
        return dict(run=self.run, title=self.title, zoom=self.zoom, width=self.width, frames=list(self.frames),
                    captions=list(self.captions), steps=list(self.steps))
