"""Densities and point clouds drawn as bitmaps, for figures that must update fast.

Fourteen thousand markers in a Plotly scatter cost the browser either a WebGL context per
redraw (``scattergl``, which browsers cap at about 16) or thousands of SVG nodes. A
bitmap costs neither: :func:`density_rgb` shades a density grid, :func:`splat_points`
stamps points into it as small translucent dots, :func:`draw_particles` adds trails and
markers, and :func:`jpeg_data_uri` turns the result into a URI for a Plotly layout image.

Pixel ``(row, col)`` of a ``size x size`` bitmap over ``[lo, hi]²`` covers
``x = lo + (col + ½) (hi − lo) / size`` and ``y = hi − (row + ½) (hi − lo) / size``
(row 0 at the top, as on screen).
"""

from __future__ import annotations

import base64
import functools
import io

import numpy as np
from PIL import Image, ImageDraw

_MAX_OVERLAP = 64  # beyond this many overlapping dots the colour is opaque to 8 bits


@functools.lru_cache(maxsize=8)
def colormap_lut(name: str = "Blues") -> np.ndarray:
    """``(256, 3)`` uint8 colours of a matplotlib colormap."""
    from matplotlib import colormaps

    return np.round(255 * colormaps[name](np.linspace(0.0, 1.0, 256))[:, :3]).astype(np.uint8)


def _density_index(density: np.ndarray, size: int, top: float) -> np.ndarray:
    """``(size, size)`` uint8 colormap indices of a density grid, smoothly enlarged, row 0 = largest y."""
    density = np.asarray(density, dtype=np.float64)
    peak = density.max()
    level = density / peak if peak > 0 else np.zeros_like(density)
    small = Image.fromarray(np.flipud(level).astype(np.float32), "F").resize((size, size), Image.BILINEAR)
    return np.clip(np.asarray(small) * top * 255, 0, 255).astype(np.uint8)


def density_rgb(density: np.ndarray, size: int, cmap: str = "Blues", top: float = 0.85) -> np.ndarray:
    """A density grid shaded as an RGB bitmap, smoothly enlarged to ``size x size``.

    Args:
        density: ``(ny, nx)`` values, rows along increasing y.
        size: side of the bitmap in pixels.
        cmap: matplotlib colormap; zero maps to its lightest colour.
        top: share of the colormap the largest value reaches (keeps dark points visible).

    Returns:
        ``(size, size, 3)`` uint8, row 0 = largest y.
    """
    return colormap_lut(cmap)[_density_index(density, size, top)]


@functools.lru_cache(maxsize=8)
def _blend_table(cmap: str, color: tuple, alpha: float) -> np.ndarray:
    """``(256, MAX + 1, 3)`` uint8: colormap entry ``i`` under ``k`` overlapping dots."""
    cover = 1.0 - (1.0 - alpha) ** np.arange(_MAX_OVERLAP + 1)  # (K,)
    base = colormap_lut(cmap).astype(np.float64)[:, None, :]  # (256, 1, 3)
    return np.round(base + (np.asarray(color, np.float64) - base) * cover[None, :, None]).astype(np.uint8)


def shaded_points(density: np.ndarray, points: np.ndarray, lo: float, hi: float, size: int, cmap: str = "Blues",
                  top: float = 0.85, color=(20, 30, 60), alpha: float = 0.35, radius: int = 1) -> np.ndarray:
    """:func:`density_rgb` with :func:`splat_points` stamped over it, in one table look-up per pixel.

    The same picture as ``splat_points(density_rgb(...), ...)`` (to rounding), about three
    times faster: every (colour, overlap count) pair is blended once, in a cached table.

    Returns:
        ``(size, size, 3)`` uint8 over ``[lo, hi]²``.
    """
    index = _density_index(density, size, top)
    counts = np.minimum(_stamp_counts(points, lo, hi, size, radius), _MAX_OVERLAP)
    return _blend_table(cmap, tuple(int(c) for c in color), float(alpha))[index, counts]


def pixel_of(points: np.ndarray, lo: float, hi: float, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, cols)`` float pixel coordinates of ``(N, 2)`` points (see the module docstring)."""
    points = np.asarray(points, dtype=np.float64)
    scale = size / (hi - lo)
    return (hi - points[:, 1]) * scale - 0.5, (points[:, 0] - lo) * scale - 0.5


def splat_points(rgb: np.ndarray, points: np.ndarray, lo: float, hi: float, color=(20, 30, 60),
                 alpha: float = 0.35, radius: int = 1) -> np.ndarray:
    """Stamp points into a bitmap as translucent square dots of side ``2 radius + 1``.

    Where ``k`` dots overlap the colour covers ``1 − (1 − alpha)^k`` of the pixel, as
    overlapping translucent markers would.

    Args:
        rgb: ``(S, S, 3)`` uint8 bitmap over ``[lo, hi]²``.
        points: ``(N, 2)`` points; those outside the square are dropped.
        color: RGB of the dots.
        alpha: opacity of one dot.
        radius: half-side of a dot, in pixels.

    Returns:
        A new ``(S, S, 3)`` uint8 bitmap.
    """
    stamped = _stamp_counts(points, lo, hi, rgb.shape[0], radius)
    cover_of = (1.0 - (1.0 - alpha) ** np.arange(_MAX_OVERLAP + 1)).astype(np.float32)
    cover = cover_of[np.minimum(stamped, _MAX_OVERLAP)][..., None]  # (S, S, 1)
    base = np.asarray(rgb, dtype=np.float32)
    out = base + (np.asarray(color, dtype=np.float32) - base) * cover
    return (out + 0.5).astype(np.uint8)


def _stamp_counts(points: np.ndarray, lo: float, hi: float, size: int, radius: int) -> np.ndarray:
    """``(size, size)`` int32: how many dots of half-side ``radius`` cover each pixel."""
    rows, cols = pixel_of(points, lo, hi, size)
    rows, cols = np.round(rows).astype(np.int64), np.round(cols).astype(np.int64)
    inside = (rows >= 0) & (rows < size) & (cols >= 0) & (cols < size)
    side = size + 2 * radius
    flat = (rows[inside] + radius) * side + cols[inside] + radius
    counts = np.bincount(flat, minlength=side * side).reshape(side, side).astype(np.int32)
    stamped = np.zeros((size, size), np.int32)
    for dr in range(2 * radius + 1):  # the dot is a box filter of the counts
        for dc in range(2 * radius + 1):
            stamped += counts[dr : dr + size, dc : dc + size]
    return stamped


def draw_particles(rgb: np.ndarray, particles: np.ndarray, trails: list[np.ndarray], lo: float, hi: float,
                   color=(228, 87, 46), trail_color=(228, 87, 46, 90), radius: float = 3.5,
                   label: str = "") -> np.ndarray:
    """Particles as dots with a white rim, trails as faint lines, an optional corner label.

    Args:
        rgb: ``(S, S, 3)`` uint8 background over ``[lo, hi]²``.
        particles: ``(M, 2)`` positions.
        trails: ``(K, 2)`` paths, drawn as polylines.
        label: text drawn in the top-left corner, on white.

    Returns:
        A new ``(S, S, 3)`` uint8 bitmap.
    """
    size = rgb.shape[0]
    image = Image.fromarray(np.asarray(rgb, dtype=np.uint8), "RGB")
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    pen = ImageDraw.Draw(overlay)
    for path in trails:
        if len(path) > 1:
            rows, cols = pixel_of(path, lo, hi, size)
            pen.line(list(zip(cols.tolist(), rows.tolist())), fill=trail_color, width=2)
    image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    pen = ImageDraw.Draw(image)
    rows, cols = pixel_of(particles, lo, hi, size)
    for r, c in zip(rows.tolist(), cols.tolist()):
        pen.ellipse((c - radius, r - radius, c + radius, r + radius), fill=color, outline="white")
    if label:
        font = _font(max(14, size // 22))
        box = pen.textbbox((8, 6), label, font=font)
        pen.rectangle((box[0] - 4, box[1] - 3, box[2] + 4, box[3] + 3), fill="white")
        pen.text((8, 6), label, fill=(30, 30, 30), font=font)
    return np.asarray(image)


@functools.lru_cache(maxsize=4)
def _font(pixels: int):
    from PIL import ImageFont

    try:
        return ImageFont.truetype("DejaVuSans.ttf", pixels)
    except OSError:  # pragma: no cover - depends on the fonts installed
        return ImageFont.load_default(size=pixels)


def jpeg_data_uri(rgb: np.ndarray, quality: int = 92) -> str:
    """An ``(H, W, 3)`` uint8 bitmap as a ``data:image/jpeg;base64,...`` URI.

    JPEG (no chroma subsampling) encodes a noisy 420 x 420 map in under a millisecond at a
    third of a fast PNG's size, which took 17 ms here: the slider's budget goes further.
    """
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(rgb, dtype=np.uint8), "RGB").save(buffer, format="JPEG", quality=quality, subsampling=0)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
