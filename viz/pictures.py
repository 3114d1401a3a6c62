"""Glyph arrays as pictures: black ink on white paper, enlarged without blurring.

Model space is [-1, 1] with paper at -1 and ink at +1 (values outside, as in noisy
images, are clipped for display); the dataset stores ink coverage in [0, 1].
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image


def _enlarge(gray: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour enlargement of a ``(H, W)`` array by an integer factor."""
    scale = max(int(scale), 1)
    return np.repeat(np.repeat(gray, scale, axis=0), scale, axis=1)


def model_picture(x: np.ndarray, scale: int = 4) -> np.ndarray:
    """A model-space image as a greyscale picture.

    Args:
        x: ``(H, W)`` values, -1 = paper, +1 = ink; clipped to [-1, 1].
        scale: enlargement factor.

    Returns:
        ``(H * scale, W * scale)`` uint8, 255 = white paper, 0 = black ink.
    """
    x = np.asarray(x, dtype=np.float64)
    gray = np.round(255.0 * (1.0 - np.clip((x + 1.0) / 2.0, 0.0, 1.0))).astype(np.uint8)
    return _enlarge(gray, scale)


def ink_picture(ink: np.ndarray, scale: int = 4) -> np.ndarray:
    """Ink coverage ``(H, W)`` in [0, 1] (1 = ink) as a ``(H * scale, W * scale)`` uint8 picture."""
    return model_picture(np.asarray(ink, dtype=np.float64) * 2.0 - 1.0, scale)


def png_data_uri(picture: np.ndarray) -> str:
    """A uint8 greyscale picture as a ``data:image/png;base64,...`` URI (for HTML)."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(picture, dtype=np.uint8), "L").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
