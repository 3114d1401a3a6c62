"""A frame player for animated views: frames sent once, flipped in the browser.

:func:`frame_player` is a ``gr.HTML`` whose value (:func:`player_value`) holds every frame
as a PNG data URI with its caption; ``tabs/player.js`` plays them client-side (play, pause,
previous, next, a step slider, a speed, and space / arrow keys when the player has focus),
so playback runs at the browser's frame rate whatever the server is doing. A generator
that yields a growing value streams only the new frames (Gradio sends each yield as a
diff of the last), and the player follows the newest frame unless the student has paused
elsewhere.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
from pathlib import Path

import gradio as gr
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


def frame_player(elem_id: str, empty: str) -> gr.HTML:
    """An empty player; ``empty`` (HTML) is the line it shows until frames arrive."""
    return gr.HTML(None, html_template=TEMPLATE.replace("SPEEDS", str(list(SPEEDS))), css_template=CSS,
                   js_on_load=PLAYER_JS, elem_id=elem_id, empty=empty, container=False)


def encode_frame(picture: Image.Image) -> str:
    """A PIL picture as a PNG data URI."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=3)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class PlayerFrames:
    """The value of one player, grown frame by frame (one run: a new id, so the player starts over).

    ``zoom`` is how far the browser may enlarge the frames (pixels stay sharp).
    """

    def __init__(self, title: str = "", zoom: int = 3):
        self.run = next(_runs)
        self.title = html.escape(title)
        self.zoom = zoom
        self.frames: list[str] = []
        self.captions: list[str] = []
        self.width = 0

    def add(self, picture: Image.Image, caption: str) -> None:
        """Append a frame; ``caption`` is plain text (the browser shows it as text)."""
        self.frames.append(encode_frame(picture))
        self.captions.append(caption)
        self.width = picture.width

    def value(self) -> dict:
        """The player's value: a new dict each time, so Gradio sends it as a diff of the last."""
        return dict(run=self.run, title=self.title, zoom=self.zoom, width=self.width, frames=list(self.frames),
                    captions=list(self.captions))
