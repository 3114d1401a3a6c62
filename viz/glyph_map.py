"""Figures for "The glyph data" tab: the UMAP map of all glyphs over its density.

Each glyph is a point of the 2-D map (McInnes et al. 2018) of its 64 x 64 image (taken to
its 50 principal components first); the filled contours are a kernel density estimate of
the points, a picture of the data distribution ``q(x)`` the diffusion model has to learn.
Hovering a point shows its character, definition and radical. :func:`pixel_figure` shows
one glyph as the numbers a model sees. The map's two families, side-by-side (明) and
stacked (草), are read from the ink in :mod:`glyffuser.data.structure`.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np
import plotly.graph_objects as go

from viz import style
from viz.pictures import png_data_uri

OTHER_COLOR = "#b8bcc4"
MAX_LABELS = 12
HIGHLIGHT_COLOR = "#d62728"
DENSITY_SCALE = [[0.0, "rgba(255,255,255,0)"], [0.15, "#eef1f7"], [1.0, "#8da3c9"]]
# Distinct colours for the most common radicals (Tableau 10 plus two).
GROUP_COLORS = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#17becf", "#8c564b", "#bcbd22",
)
LABEL_OFFSET = 42  # pixels from a highlighted point to its label
PIXEL_SCALE = [[0.0, "#ffffff"], [1.0, "#7f9cc8"]]  # light enough for dark numbers on every cell
HOVER = (
    "<span style='font-size:34px'>%{customdata[0]}</span><br>"
    "%{customdata[1]}<br><i>radical %{customdata[2]}</i><extra></extra>"
)


@dataclass(frozen=True)
class PointGroup:
    """A set of map points drawn as one coloured trace.

    Attributes:
        name: legend label.
        indices: ``(K,)`` rows of the points.
        color: CSS colour.
    """

    name: str
    indices: np.ndarray
    color: str


def shorten(text: str, limit: int = 70) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def hover_data(chars, definitions, radical_labels) -> np.ndarray:
    """``(N, 3)`` object array of (character, shortened definition, radical label)."""
    return np.column_stack(
        [np.asarray(chars, dtype=object), [shorten(str(d)) for d in definitions],
         np.asarray(radical_labels, dtype=object)]
    )


def map_figure(
    points: np.ndarray,
    grid_x: np.ndarray,
    grid_y: np.ndarray,
    density: np.ndarray,
    hover: np.ndarray,
    groups: list[PointGroup],
    highlight: np.ndarray | None = None,
    highlight_name: str = "matches",
    title: str = "",
) -> go.Figure:
    """The glyph map: density contours, points coloured by group, highlighted matches.

    Args:
        points: ``(N, 2)`` map coordinates.
        grid_x: ``(nx,)`` grid of the density.
        grid_y: ``(ny,)`` grid of the density.
        density: ``(ny, nx)`` kernel density estimate of ``points``.
        hover: ``(N, 3)`` hover fields from :func:`hover_data`.
        groups: coloured groups, drawn in order (later on top); points in no group are
            not drawn, so pass a catch-all group first.
        highlight: ``(K,)`` rows to mark in red on top of the others; when there are at
            most ``MAX_LABELS``, each gets its character in a box, placed apart
            (:func:`label_offsets`).
        highlight_name: legend label of the highlighted points (escaped, like the group names,
            since it may hold text a visitor typed).
        title: figure title.

    Returns:
        A Plotly figure with equal axis scales.
    """
    points = np.asarray(points, dtype=np.float64)
    drawn = points.astype(np.float32)  # half the bytes of float64 on every page that opens; the same dots
    fig = go.Figure()
    fig.add_trace(
        go.Contour(
            # float32: half the bytes of every page that opens, and the contours look the same
            x=grid_x, y=grid_y, z=np.asarray(density, np.float32), colorscale=DENSITY_SCALE, showscale=False,
            ncontours=14, line=dict(width=0.6, color="rgba(90,110,150,0.45)"),
            hoverinfo="skip", name="density",
        )
    )
    for group in groups:
        idx = np.asarray(group.indices, dtype=np.int64)
        fig.add_trace(
            go.Scattergl(
                x=drawn[idx, 0], y=drawn[idx, 1], mode="markers", name=escape(group.name),
                marker=dict(size=4, color=group.color, opacity=0.75),
                customdata=hover[idx], hovertemplate=HOVER,
            )
        )
    if highlight is not None and len(highlight):
        idx = np.asarray(highlight, dtype=np.int64)
        few = len(idx) <= MAX_LABELS
        # WebGL traces draw over SVG ones, so the marks are WebGL too, drawn last.
        fig.add_trace(
            go.Scattergl(
                x=drawn[idx, 0], y=drawn[idx, 1], name=escape(highlight_name), mode="markers",
                marker=dict(size=14 if few else 8, color=HIGHLIGHT_COLOR, line=dict(width=2, color="white")),
                customdata=hover[idx], hovertemplate=HOVER,
            )
        )
        if few:
            for i, (dx, dy) in zip(idx, label_offsets(points[idx], points)):
                fig.add_annotation(
                    x=points[i, 0], y=points[i, 1], ax=dx, ay=dy, text=escape(str(hover[i, 0])),
                    showarrow=True, arrowcolor=HIGHLIGHT_COLOR, arrowwidth=1.5, standoff=7,
                    font=dict(size=20, color=HIGHLIGHT_COLOR), bgcolor="rgba(255,255,255,0.9)",
                    bordercolor=HIGHLIGHT_COLOR, borderwidth=1, borderpad=2,
                )
    fig.update_layout(style.layout(
        title=style.title(title), height=680, uirevision="glyph-map", hovermode="closest",
        xaxis=style.axis(title=dict(text="UMAP 1"), showgrid=False),
        yaxis=style.axis(title=dict(text="UMAP 2"), showgrid=False, scaleanchor="x", scaleratio=1),
        legend=dict(itemsizing="constant", orientation="h", yanchor="top", y=-0.1, x=0),
        margin=dict(l=50, r=10, t=50 if title else 10, b=60),
    ))
    return fig


def glyph_cards(pictures: list[np.ndarray], chars: list[str], definitions: list[str], empty: str = "") -> str:
    """Glyph pictures with their character and definition, as an HTML grid of cards.

    Args:
        pictures: uint8 greyscale pictures (ink dark).
        chars: the characters.
        definitions: their definitions (shortened on the card, whole in the tooltip).
        empty: text shown when there are no pictures.

    Returns:
        An HTML fragment (``div.glyph-cards``); every text is escaped.
    """
    if not pictures:
        return f'<p class="glyph-cards-empty">{escape(empty)}</p>' if empty else ""
    cards = "".join(
        f'<figure class="glyph-card" title="{escape(c)}: {escape(str(d))}">'
        f'<img src="{png_data_uri(p)}" alt="{escape(c)}">'
        f"<figcaption><b>{escape(c)}</b> {escape(shorten(str(d), 40))}</figcaption></figure>"
        for p, c, d in zip(pictures, chars, definitions)
    )
    return f'<div class="glyph-cards">{cards}</div>'


def label_offsets(marked: np.ndarray, points: np.ndarray, radius: float = LABEL_OFFSET) -> list[tuple[float, float]]:
    """Pixel offsets ``(ax, ay)`` for the labels of ``marked`` points, placed apart greedily.

    Each label takes, of eight directions at ``radius`` pixels, the one farthest from the
    labels already placed and from the other marked points (distances in pixels for a
    map about 600 pixels across; Plotly's ``ay`` grows downwards).

    Args:
        marked: ``(K, 2)`` map coordinates of the labelled points.
        points: ``(N, 2)`` all map coordinates (for the scale).

    Returns:
        ``K`` offsets.
    """
    span = np.ptp(points, axis=0).max() or 1.0
    xy = np.asarray(marked, dtype=np.float64) / span * 600.0 * np.array([1.0, -1.0])  # (K, 2) pixels, y down
    angles = np.deg2rad(np.arange(8) * 45.0 - 90.0)  # up first
    directions = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (8, 2)
    placed: list[np.ndarray] = []
    offsets = []
    for k, p in enumerate(xy):
        others = np.delete(xy, k, axis=0)
        obstacles = np.concatenate([others, *(q[None] for q in placed)]) if placed or len(others) else None
        if obstacles is None:
            best = directions[0]
        else:
            candidates = p + directions  # (8, 2)
            clearance = np.linalg.norm(candidates[:, None] - obstacles[None], axis=2).min(axis=1)
            best = directions[int(np.argmax(clearance))]
        placed.append(p + best)
        offsets.append((float(best[0]), float(best[1])))
    return offsets


def pixel_figure(ink: np.ndarray, char: str, cells: int = 16) -> go.Figure:
    """A glyph as numbers: its ink averaged over blocks, each cell labelled with its value.

    Args:
        ink: ``(H, W)`` ink in [0, 1] (1 = ink), ``H`` and ``W`` multiples of ``cells``.
        char: the character, for the title.
        cells: cells per side.

    Returns:
        A heatmap of ``cells x cells`` block means, row 1 at the top, with the values to
        one decimal in the cells.
    """
    ink = np.asarray(ink, dtype=np.float64)
    h, w = ink.shape
    blocks = ink.reshape(cells, h // cells, cells, w // cells).mean(axis=(1, 3))  # (cells, cells)
    fig = go.Figure(
        go.Heatmap(
            z=blocks, x=np.arange(1, cells + 1), y=np.arange(1, cells + 1), zmin=0, zmax=1,
            colorscale=PIXEL_SCALE, showscale=False, xgap=1, ygap=1,
            texttemplate="%{z:.1f}", textfont=dict(size=10, color="#1f2a3d"),
            hovertemplate="row %{y}, column %{x}: %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(style.layout(
        title=style.title(f"{escape(char)} as {cells} × {cells} numbers ({h // cells} × {w // cells} pixel means)", size=13),
        height=460, margin=dict(l=10, r=10, t=40, b=10),
        xaxis=style.axis(showgrid=False, showticklabels=False, constrain="domain"),
        yaxis=style.axis(showgrid=False, showticklabels=False, autorange="reversed", scaleanchor="x", scaleratio=1,
                         constrain="domain"),
    ))
    return fig
