"""Figures for the "Score field" tab: ∇_x log q_t(x) as arrows, and particles flowing to data.

The score of the noised data distribution points towards higher density (Song et al.
2021). Arrows are drawn on a grid over the density of ``q_t``; their lengths grow with
the score's magnitude and saturate below one grid cell (see :func:`arrow_vectors`), so
weak arrows near the data stay visible beside strong ones far from it. The learned field of
:mod:`glyffuser.distributions.score_net` is drawn on the exact field's length scale, and
:func:`ray_figure` compares the two magnitudes along a line out of the data. Particles
released from ``N(0, I)`` and moved by the probability-flow ODE are drawn one step at a
time as light bitmaps (:func:`particle_frame`), so a generator can stream the frames.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from viz import style
from viz.noising import abar_text
from viz.raster import density_rgb, draw_particles

ARROW_COLOR = "#1b2a49"
PARTICLE_COLOR = "#e4572e"
PARTICLE_RGB, TRAIL_RGBA = (228, 87, 46), (228, 87, 46, 80)
EXACT_COLOR, LEARNED_COLOR = "#1b2a49", "#e15759"
DENSITY_SCALE = "Blues"
FRAME_PIXELS = 480  # side of a particle frame
HEAD_FRACTION = 0.3  # arrowhead length, as a share of the arrow
HEAD_ANGLE = np.deg2rad(25.0)


def arrow_vectors(vectors: np.ndarray, cell: float, longest: float = 0.95,
                  quantile: float = 0.25, reference: float | None = None) -> tuple[np.ndarray, float]:
    """Vectors resized for drawing: direction kept, length saturating with magnitude.

    The exact score grows without bound away from the data (like distance / variance),
    while near the data it is small; drawn to scale, the far arrows would hide the near
    ones. A vector of magnitude ``m`` is drawn with length
    ``longest * cell * m / (m + m_ref)``, with ``m_ref`` the ``quantile`` of the
    magnitudes: longer for larger ``m``, half the longest at ``m_ref``, never longer than
    ``longest`` cells.

    Args:
        vectors: ``(M, 2)`` vectors (the score).
        cell: grid spacing in data units.
        longest: the limit of the drawn length, in cells.
        quantile: which magnitude is drawn at half the longest length.
        reference: ``m_ref`` itself, instead of the quantile (to draw a second field
            on the first one's scale).

    Returns:
        ``(drawn (M, 2), m_ref)``.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1)
    if reference is None:
        reference = float(np.quantile(norms, quantile)) if norms.size else 0.0
    drawn = np.zeros_like(vectors)
    moving = norms > 0
    if reference > 0:
        lengths = longest * cell * norms[moving] / (norms[moving] + reference)
        drawn[moving] = vectors[moving] * (lengths / norms[moving])[:, None]
    return drawn, reference


def quiver_lines(tails: np.ndarray, drawn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polyline coordinates of arrows (shaft and two-stroke head), NaN-separated.

    Args:
        tails: ``(M, 2)`` arrow starts.
        drawn: ``(M, 2)`` arrow vectors in data units.

    Returns:
        ``(x, y)`` float32 arrays of length ``M * 6`` for one line trace (Plotly breaks
        the line at NaN; float32 is half the bytes sent, and the same arrows).
    """
    tails = np.asarray(tails, dtype=np.float64)
    tips = tails + drawn
    head = -HEAD_FRACTION * drawn
    c, s = np.cos(HEAD_ANGLE), np.sin(HEAD_ANGLE)
    left = tips + np.column_stack([c * head[:, 0] - s * head[:, 1], s * head[:, 0] + c * head[:, 1]])
    right = tips + np.column_stack([c * head[:, 0] + s * head[:, 1], -s * head[:, 0] + c * head[:, 1]])
    gap = np.full_like(tails, np.nan)
    # Six vertices per arrow: tail, tip, left barb, back to the tip, right barb, break.
    vertices = np.stack([tails, tips, left, tips, right, gap], axis=1)  # (M, 6, 2)
    vertices = vertices.astype(np.float32)
    return vertices[..., 0].ravel(), vertices[..., 1].ravel()


def _heatmap(grid_x, grid_y, density) -> go.Heatmap:
    return go.Heatmap(x=np.asarray(grid_x, np.float32), y=np.asarray(grid_y, np.float32),
                      z=np.asarray(density, np.float32), colorscale=DENSITY_SCALE, showscale=False,
                      hoverinfo="skip", zsmooth="best", name="density")


def _square_layout(grid_x, title: str, revision: str) -> dict:
    xaxis, yaxis = style.square_axes(float(grid_x[0]), float(grid_x[-1]))
    return style.layout(height=500, showlegend=False, uirevision=revision, xaxis=xaxis, yaxis=yaxis,
                        title=style.title(title, size=13), margin=dict(l=40, r=10, t=40, b=30))


def score_figure(grid_x: np.ndarray, grid_y: np.ndarray, density: np.ndarray, nodes: np.ndarray,
                 scores: np.ndarray, cell: float, t: int, abar: float, reference: float | None = None,
                 label: str = "exact ∇ log qₜ", color: str = EXACT_COLOR) -> go.Figure:
    """Score arrows on a grid over the density of ``q_t``.

    Args:
        grid_x: ``(nx,)`` grid of the density (and the axis range).
        grid_y: ``(ny,)`` grid of the density.
        density: ``(ny, nx)`` density of ``q_t``.
        nodes: ``(M, 2)`` arrow tails.
        scores: ``(M, 2)`` the score at the nodes.
        cell: spacing of the arrow grid.
        t: the timestep.
        abar: ᾱ_t.
        reference: the magnitude drawn at half the longest arrow (default: this field's
            lower quartile); pass another field's to draw both on one scale.
        label: what the arrows are, for the title.
        color: arrow colour.

    Returns:
        A square Plotly figure; the arrow trace is named "score".
    """
    drawn, _ = arrow_vectors(scores, cell, reference=reference)
    ax, ay = quiver_lines(nodes, drawn)
    norms = np.linalg.norm(scores, axis=1)
    return go.Figure([
        _heatmap(grid_x, grid_y, density),
        go.Scatter(x=ax, y=ay, mode="lines", name="score", hoverinfo="skip", line=dict(color=color, width=1.3)),
        go.Scatter(x=nodes[:, 0], y=nodes[:, 1], mode="markers", name="nodes",
                   marker=dict(size=6, color="rgba(0,0,0,0)"), customdata=np.column_stack([scores, norms]),
                   hovertemplate="x = (%{x:.2f}, %{y:.2f})<br>score = (%{customdata[0]:.3g}, "
                                 "%{customdata[1]:.3g})<br>|score| = %{customdata[2]:.3g}<extra></extra>"),
    ], layout=_square_layout(
        grid_x, f"{label}, t = {t} (ᾱ = {abar_text(abar)})<br>largest |score| {norms.max():.3g}", "score"))


def ray_figure(distances: np.ndarray, exact: np.ndarray, learned: np.ndarray, rare: np.ndarray, t: int,
               abar: float, direction: str) -> go.Figure:
    """``|score|`` along a ray out of the data: exact against learned, rare regions shaded.

    Args:
        distances: ``(R,)`` distance from the data's centre along the ray.
        exact: ``(R,)`` magnitude of the exact score there.
        learned: ``(R,)`` magnitude of the learned score there.
        rare: ``(R,)`` bool, where ``q_t`` is below the "rare" level (few training samples).
        t: the timestep.
        abar: ᾱ_t.
        direction: the ray's name, for the axis title.

    Returns:
        A Plotly figure with traces "exact" and "learned"; the rare stretches are
        ``layout.shapes`` (grey bands).
    """
    distances = np.asarray(distances, dtype=np.float64)
    bands, start = [], None
    for k, flag in enumerate(list(np.asarray(rare, bool)) + [False]):
        if flag and start is None:
            start = k
        if not flag and start is not None:
            bands.append(dict(type="rect", xref="x", yref="y domain", x0=distances[start],
                              x1=distances[min(k, len(distances) - 1)], y0=0, y1=1, layer="below",
                              fillcolor="rgba(120,120,120,0.15)", line=dict(width=0)))
            start = None
    hover = "r = %{x:.2f}<br>|score| = %{y:.3g}<extra>%{fullData.name}</extra>"
    return go.Figure([
        go.Scatter(x=distances, y=exact, mode="lines", name="exact", line=dict(color=EXACT_COLOR, width=2.5),
                   hovertemplate=hover),
        go.Scatter(x=distances, y=learned, mode="lines", name="learned", line=dict(color=LEARNED_COLOR, width=2.5),
                   hovertemplate=hover),
    ], layout=style.layout(
        height=360, shapes=bands, title=style.title(f"|score| along a ray, t = {t} (ᾱ = {abar_text(abar)})", size=13),
        xaxis=style.axis(title=dict(text=f"distance r from the centre, {direction}")),
        yaxis=style.axis(title=dict(text="|∇ log qₜ|"), rangemode="tozero"),
        legend=dict(orientation="h", x=0.0, y=1.0, yanchor="bottom", bgcolor="rgba(255,255,255,0.8)"),
        margin=dict(l=50, r=10, t=60, b=45),
    ))


def particle_frame(density: np.ndarray, lo: float, hi: float, particles: np.ndarray, trails: list[np.ndarray],
                   label: str, size: int = FRAME_PIXELS) -> np.ndarray:
    """One frame of the particle flow as a bitmap: the particles over the density of ``q_t``.

    A bitmap of a few tens of kB instead of a Plotly figure, so frames stream smoothly.

    Args:
        density: ``(ny, nx)`` density of ``q_t`` on a square grid over ``[lo, hi]²``.
        lo: low end of both axes.
        hi: high end of both axes.
        particles: ``(M, 2)`` current positions.
        trails: the paths of the first few particles so far, ``(K, 2)`` each.
        label: text for the top-left corner (the step and t).
        size: side in pixels.

    Returns:
        ``(size, size, 3)`` uint8 RGB.
    """
    return draw_particles(density_rgb(density, size, DENSITY_SCALE), particles, trails, lo, hi,
                          color=PARTICLE_RGB, trail_color=TRAIL_RGBA, label=label)


ERROR_SCALE = [[0.0, "#f7f7f7"], [0.25, "#fdd49e"], [0.5, "#fc8d59"], [1.0, "#b30000"]]
ERROR_MAX = 1.0  # errors of 100% and more share the darkest colour


def error_figure(axis: np.ndarray, nodes: np.ndarray, scores: np.ndarray, error: np.ndarray, away: np.ndarray,
                 cell: float, title: str, reference: float | None = None, extent: float = 4.0) -> go.Figure:
    """Learned score arrows over their error, with the edge of the data drawn.

    Args:
        axis: ``(K,)`` grid positions along both axes; the nodes are its ``K x K`` grid.
        nodes: ``(K * K, 2)`` arrow tails, row-major (x fastest).
        scores: ``(K * K, 2)`` the learned score at the nodes.
        error: ``(K * K,)`` error of the learned score (0 = exact, 1 = off by as much as the score).
        away: ``(K * K,)`` bool, nodes away from the data (their boundary is drawn dashed).
        cell: spacing of the grid.
        title: the figure's title.
        reference: the magnitude drawn at half the longest arrow (pass the exact field's).
        extent: the axes span ``[-extent, extent]`` (the exact field's figure's).

    Returns:
        A square Plotly figure: traces "error" (heatmap), "edge of the data" (contour),
        "score" (arrows) and "nodes" (hover: the error).
    """
    k = len(axis)
    drawn, _ = arrow_vectors(scores, cell, reference=reference)
    ax, ay = quiver_lines(nodes, drawn)
    return go.Figure([
        go.Heatmap(x=axis, y=axis, z=np.minimum(error, ERROR_MAX).reshape(k, k), zmin=0, zmax=ERROR_MAX,
                   colorscale=ERROR_SCALE, name="error", hoverinfo="skip",
                   colorbar=dict(title=dict(text="error", side="top"), tickformat=".0%", thickness=8, len=0.7,
                                 orientation="h", x=0.5, xanchor="center", y=-0.08, yanchor="top")),
        go.Contour(x=axis, y=axis, z=np.asarray(away, float).reshape(k, k), name="edge of the data",
                   contours=dict(start=0.5, end=0.5, coloring="none"), line=dict(color="#1b2a49", dash="dash", width=1.5),
                   showscale=False, hoverinfo="skip"),
        go.Scatter(x=ax, y=ay, mode="lines", name="score", hoverinfo="skip", line=dict(color=ARROW_COLOR, width=1.2)),
        go.Scatter(x=nodes[:, 0], y=nodes[:, 1], mode="markers", name="nodes", marker=dict(size=6, color="rgba(0,0,0,0)"),
                   customdata=error, hovertemplate="x = (%{x:.2f}, %{y:.2f})<br>error %{customdata:.0%}<extra></extra>"),
    ], layout={**_square_layout(np.array([-extent, extent]), title, "learn"),
               "margin": dict(l=40, r=10, t=50, b=80)})
