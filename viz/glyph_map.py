"""Figures for "The glyph data" tab: the UMAP map of all glyphs over its density.

Each glyph is a point of the 2-D map (McInnes et al. 2018) of its 64 x 64 image; the
filled contours are a kernel density estimate of the points, a picture of the data
distribution ``q(x)`` the diffusion model has to learn. Hovering a point shows its
character, definition and radical.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np
import plotly.graph_objects as go

from viz import style
from viz.pictures import png_data_uri

OTHER_COLOR = "#b8bcc4"
HIGHLIGHT_COLOR = "#d62728"
DENSITY_SCALE = [[0.0, "rgba(255,255,255,0)"], [0.15, "#eef1f7"], [1.0, "#8da3c9"]]
# Distinct colours for the most common radicals (Tableau 10 plus two).
GROUP_COLORS = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#17becf", "#8c564b", "#bcbd22",
)
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
        highlight: ``(K,)`` rows to mark with large red rings (labelled when few).
        highlight_name: legend label of the highlighted points (escaped, like the group names,
            since it may hold text a visitor typed).
        title: figure title.

    Returns:
        A Plotly figure with equal axis scales.
    """
    points = np.asarray(points, dtype=np.float64)
    fig = go.Figure()
    fig.add_trace(
        go.Contour(
            x=grid_x, y=grid_y, z=density, colorscale=DENSITY_SCALE, showscale=False,
            ncontours=14, line=dict(width=0.6, color="rgba(90,110,150,0.45)"),
            hoverinfo="skip", name="density",
        )
    )
    for group in groups:
        idx = np.asarray(group.indices, dtype=np.int64)
        fig.add_trace(
            go.Scattergl(
                x=points[idx, 0], y=points[idx, 1], mode="markers", name=escape(group.name),
                marker=dict(size=4, color=group.color, opacity=0.75),
                customdata=hover[idx], hovertemplate=HOVER,
            )
        )
    if highlight is not None and len(highlight):
        idx = np.asarray(highlight, dtype=np.int64)
        few = len(idx) <= 12
        fig.add_trace(
            go.Scatter(
                x=points[idx, 0], y=points[idx, 1], name=escape(highlight_name),
                mode="markers+text" if few else "markers",
                text=hover[idx, 0] if few else None, textposition="top center",
                textfont=dict(size=22, color=HIGHLIGHT_COLOR),
                marker=dict(size=13 if few else 8, color="rgba(0,0,0,0)",
                            line=dict(width=2.5, color=HIGHLIGHT_COLOR)),
                customdata=hover[idx], hovertemplate=HOVER,
            )
        )
    fig.update_layout(style.layout(
        title=style.title(title), height=680, uirevision="glyph-map", hovermode="closest",
        xaxis=style.axis(title=dict(text="UMAP 1"), showgrid=False),
        yaxis=style.axis(title=dict(text="UMAP 2"), showgrid=False, scaleanchor="x", scaleratio=1),
        legend=dict(itemsizing="constant", orientation="h", yanchor="top", y=-0.08, x=0),
        margin=dict(l=50, r=10, t=50 if title else 10, b=40),
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
