"""Turning glyph arrays into pictures: grids and animations (PIL only)."""

from __future__ import annotations

import numpy as np
from PIL import Image


def to_ink(x) -> np.ndarray:
    """Model space [-1, 1] (B, 1, S, S) tensor -> (B, S, S) float32 ink in [0, 1]."""
    arr = x.detach().float().cpu().numpy() if hasattr(x, "detach") else np.asarray(x, np.float32)
    if arr.ndim == 4:
        arr = arr[:, 0]
    return np.clip((arr + 1) / 2, 0, 1).astype(np.float32)


def grid(ink: np.ndarray, cols: int | None = None, scale: int = 2, pad: int = 2) -> Image.Image:
    """Tile (N, S, S) ink arrays (1 = ink) into one black-on-white image.

    Returns:
        A greyscale PIL image.
    """
    n, size = len(ink), ink.shape[-1]
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    cell = size + pad
    canvas = np.ones((rows * cell + pad, cols * cell + pad), np.float32)
    for i, glyph in enumerate(ink):
        r, c = divmod(i, cols)
        canvas[pad + r * cell: pad + r * cell + size, pad + c * cell: pad + c * cell + size] = 1 - glyph
    image = Image.fromarray((canvas * 255).round().astype(np.uint8), "L")
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)


def save_gif(frames: list[Image.Image], path, seconds_per_frame: float = 0.05, hold_last: float = 1.5) -> None:
    """Write frames as a looping GIF, holding the last one."""
    durations = [int(seconds_per_frame * 1000)] * (len(frames) - 1) + [int(hold_last * 1000)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations, loop=0)
