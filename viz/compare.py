"""Compact frames for the played views of the Sampling tab (the frame player, tabs/player.py).

A player holds every frame of a run in the browser, so its frames are small: one pixel per
model pixel (the browser enlarges them, sharp), 16 grey levels (as the GIF), and any title
drawn once above the columns.

* :func:`pair_frame`: x_t beside the predicted x0 (one run).
* :func:`columns_frame`: several runs' x_t side by side under headers (a comparison).
* :func:`walk_frame`: the walk between two prompts, one column per mixing fraction α.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from glyffuser.images import grid
from viz.sampling import _font, _with_header, labelled_row, posterize, side_by_side

LEVELS = 16
LABEL_HEIGHT = 18


def _columns(n: int) -> int:
    return int(np.ceil(np.sqrt(n)))


def pair_frame(x_t: np.ndarray, pred_x0: np.ndarray) -> Image.Image:
    """x_t (left) beside the predicted x0 (right), (B, S, S) ink each, at one pixel per pixel."""
    cols = _columns(len(x_t))
    return posterize(side_by_side([grid(x_t, cols=cols, scale=1), grid(pred_x0, cols=cols, scale=1)]), LEVELS)


def columns_frame(headers: list[str], inks: list[np.ndarray]) -> Image.Image:
    """Grids of (B, S, S) ink side by side, each under its header, at one pixel per pixel."""
    return posterize(labelled_row(list(zip(headers, inks)), scale=1), LEVELS)


def walk_frame(ink: np.ndarray, alphas: np.ndarray, scale: int = 1) -> Image.Image:
    """The walk's glyphs as a strip: one column per fraction α (0 = prompt A, 1 = prompt B;
    its value written above), one row per seed.

    Args:
        ink: (P, n, S, S) glyphs, point-major as :func:`glyffuser.model.interpolate.iter_walk` yields them.
        alphas: (P,) the fractions, written above their columns.
        scale: enlargement of each pixel.
    """
    points, n, size = ink.shape[0], ink.shape[1], ink.shape[-1]
    seed_major = ink.transpose(1, 0, 2, 3).reshape(points * n, size, size)  # row = seed, column = α
    strip = grid(seed_major, cols=points, scale=scale)
    canvas = Image.new("L", (strip.width, strip.height + LABEL_HEIGHT), 255)
    canvas.paste(strip, (0, LABEL_HEIGHT))
    draw = ImageDraw.Draw(canvas)
    cell = (size + 2) * scale
    for p, alpha in enumerate(alphas):
        draw.text((2 * scale + p * cell + 2, 2), f"{alpha:.2f}", fill=0, font=_font(12))
    return posterize(canvas, LEVELS)


def titled(picture: Image.Image, title: str) -> Image.Image:
    """``picture`` under a one-line title."""
    return _with_header(picture, title, font_size=13)
