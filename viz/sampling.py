"""Pictures and figures for the "Sampling" tab.

Sampling runs the reverse process from pure noise (Ho et al. 2020; with the DDIM and
DPM-Solver++ samplers of Song et al. 2021 and Lu et al. 2022). At each step the model
both moves the sample x_t and, implicitly, guesses the finished glyph x̂0; showing the two
side by side makes visible how early the layout is decided and how late the detail comes.

* :func:`step_frame`: one animation frame, x_t beside x̂0, with headers.
* :func:`labelled_row`: pictures side by side with headers (e.g. 5 vs 20 vs 120 steps).
* :func:`pair_picture`: a sample beside its nearest training glyph.
* :func:`map_paths_figure`: the path of each sample's x̂0 across the glyph map.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw, ImageFont

from glyffuser.images import grid
from viz.glyph_map import PointGroup, map_figure

BACKGROUND = 255
HEADER_HEIGHT = 26
GAP = 14
ZOOM_MARGIN = 1.5  # map units around the paths
ZOOM_MIN_HALF_WIDTH = 3.0
PATH_COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
               "#9c755f", "#17becf", "#8c564b", "#bcbd22")


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _columns(n: int) -> int:
    return int(np.ceil(np.sqrt(n)))


def _with_header(picture: Image.Image, text: str, font_size: int = 15) -> Image.Image:
    canvas = Image.new("L", (picture.width, picture.height + HEADER_HEIGHT), BACKGROUND)
    canvas.paste(picture, (0, HEADER_HEIGHT))
    ImageDraw.Draw(canvas).text((4, 5), text, fill=0, font=_font(font_size))
    return canvas


def _blank_like(n: int, size: int, cols: int, scale: int, note: str) -> Image.Image:
    """A grey grid the size of ``grid(ink (n, size, size), cols, scale)`` with a note."""
    shape = grid(np.zeros((n, size, size), np.float32), cols=cols, scale=scale)
    blank = Image.new("L", shape.size, 225)
    ImageDraw.Draw(blank).text((8, 8), note, fill=60, font=_font(14))
    return blank


def side_by_side(pictures: list[Image.Image], gap: int = GAP) -> Image.Image:
    """Greyscale pictures in a row, top-aligned, on white."""
    width = sum(p.width for p in pictures) + gap * (len(pictures) - 1)
    canvas = Image.new("L", (width, max(p.height for p in pictures)), BACKGROUND)
    x = 0
    for p in pictures:
        canvas.paste(p, (x, 0))
        x += p.width + gap
    return canvas


def step_frame(x_t: np.ndarray, pred_x0: np.ndarray | None, index: int, steps: int, t: int | None,
               scale: int = 3) -> Image.Image:
    """One animation frame: the sample x_t beside the model's predicted x0.

    Args:
        x_t: (B, S, S) ink in [0, 1].
        pred_x0: (B, S, S) ink, or None before the model has run (drawn as a grey grid).
        index: step number (0 = pure noise; ``steps`` = finished).
        steps: total steps.
        t: the model's timestep at this step (−1 once finished; None for the starting
            noise before the sampler has chosen its first timestep).
        scale: enlargement of each pixel.

    Returns:
        A greyscale PIL image.
    """
    n, size = len(x_t), x_t.shape[-1]
    cols = _columns(n)
    left = grid(x_t, cols=cols, scale=scale)
    if t is None:
        left_title, right_title = f"x_T: pure noise, step 0 of {steps}", "predicted x0"
    elif t < 0:
        left_title, right_title = f"finished: x_0 after {steps} steps", "the last predicted x0"
    else:
        left_title, right_title = f"x_t   step {index} of {steps}, t = {t}", "predicted x0"
    right = (grid(pred_x0, cols=cols, scale=scale) if pred_x0 is not None
             else _blank_like(n, size, cols, scale, "waiting for the model..."))
    return side_by_side([_with_header(left, left_title), _with_header(right, right_title)])


def posterize(picture: Image.Image, levels: int = 16) -> Image.Image:
    """A greyscale picture reduced to ``levels`` evenly spaced grey levels (smaller GIFs)."""
    step = 255.0 / (levels - 1)
    return picture.point([int(round(round(v / step) * step)) for v in range(256)])


def labelled_row(items: list[tuple[str, np.ndarray | None]], scale: int = 3, n: int | None = None,
                 size: int = 32) -> Image.Image:
    """Grids side by side under headers; an item without ink is a grey placeholder.

    Args:
        items: (header, (B, S, S) ink or None) pairs.
        scale: enlargement of each pixel.
        n, size: glyph count and side of the placeholders (taken from the first array when None).
    """
    present = [ink for _, ink in items if ink is not None]
    n = n or (len(present[0]) if present else 16)
    size = present[0].shape[-1] if present else size
    cols = _columns(n)
    pictures = [
        _with_header(grid(ink, cols=cols, scale=scale) if ink is not None
                     else _blank_like(n, size, cols, scale, "running..."), header)
        for header, ink in items
    ]
    return side_by_side(pictures)


def pair_picture(sample: np.ndarray, neighbour: np.ndarray, scale: int = 3) -> Image.Image:
    """(S, S) sample ink beside (S', S') nearest training glyph ink, both shown at the sample's size."""
    size = sample.shape[-1]
    if neighbour.shape[-1] != size:
        factor = neighbour.shape[-1] // size
        neighbour = neighbour.reshape(size, factor, size, factor).mean(axis=(1, 3))
    return grid(np.stack([sample, neighbour]).astype(np.float32), cols=2, scale=scale)


def map_paths_figure(points: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray, density: np.ndarray,
                     hover: np.ndarray, paths: np.ndarray, step_indices: np.ndarray, labels: list[str],
                     title: str = "") -> go.Figure:
    """Where each sample's predicted x0 travels on the glyph map during sampling.

    Args:
        points: (N, 2) map coordinates of the training glyphs; grid_x (nx,), grid_y (ny,),
            density (ny, nx): their density, as for :func:`viz.glyph_map.map_figure`.
        hover: (N, 3) hover fields of the points.
        paths: (K, B, 2) map position of each of B samples' predicted x0 at K steps.
        step_indices: (K,) the step number of each row of ``paths``.
        labels: B hover labels of the samples (e.g. "sample 3").
        title: figure title.

    Returns:
        The glyph map with one coloured path per sample: a hollow circle at its first
        guess, a line through the later guesses and a filled star at the finished glyph,
        zoomed on the paths (a double-click on the figure shows the whole map).
    """
    base = map_figure(points, grid_x, grid_y, density, hover,
                      [PointGroup("training glyphs", np.arange(len(points)), "#c3c7cf")], title=title)
    paths = np.asarray(paths, dtype=np.float64)
    steps = np.asarray(step_indices)
    for b in range(paths.shape[1]):
        color = PATH_COLORS[b % len(PATH_COLORS)]
        xy = paths[:, b]
        base.add_trace(go.Scatter(
            x=xy[:, 0], y=xy[:, 1], mode="lines+markers", name=labels[b], legendgroup=labels[b], showlegend=False,
            line=dict(color=color, width=2), marker=dict(size=4, color=color), customdata=steps,
            hovertemplate=f"{labels[b]}<br>step %{{customdata}}<extra></extra>",
        ))
        base.add_trace(go.Scatter(
            x=xy[:1, 0], y=xy[:1, 1], mode="markers", legendgroup=labels[b], showlegend=False, hoverinfo="skip",
            marker=dict(symbol="circle-open", size=10, color=color, line=dict(width=2)),
        ))
        base.add_trace(go.Scatter(
            x=xy[-1:, 0], y=xy[-1:, 1], mode="markers", name=labels[b], legendgroup=labels[b], showlegend=False,
            marker=dict(symbol="star", size=15, color=color, line=dict(width=1, color="#222222")),
            hovertemplate=f"{labels[b]}: finished<extra></extra>",
        ))
    # Zoom on the paths, with some of the map around them (double-click shows all of it).
    lo, hi = paths.reshape(-1, 2).min(0), paths.reshape(-1, 2).max(0)
    centre, half = (lo + hi) / 2, max(float((hi - lo).max()) / 2 + ZOOM_MARGIN, ZOOM_MIN_HALF_WIDTH)
    base.update_xaxes(range=[centre[0] - half, centre[0] + half])
    base.update_yaxes(range=[centre[1] - half, centre[1] + half])
    base.update_layout(showlegend=False, height=620)
    return base
