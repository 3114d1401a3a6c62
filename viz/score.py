"""Figures for the "Score field" tab: ∇_x log q_t(x) as arrows, and particles flowing to data.

The score of the noised data distribution points towards higher density (Song et al.
2021). Arrows are drawn on a grid over the density of ``q_t``; their lengths grow with
the score's magnitude and saturate below one grid cell (see :func:`arrow_vectors`), so
weak arrows near the data stay visible beside strong ones far from it. Particles released from
``N(0, I)`` and moved by the probability-flow ODE are drawn one step at a time, so a
generator can stream the frames.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from viz import style

ARROW_COLOR = "#1b2a49"
PARTICLE_COLOR = "#e4572e"
TRAIL_COLOR = "rgba(228, 87, 46, 0.25)"
DENSITY_SCALE = "Blues"
HEAD_FRACTION = 0.3  # arrowhead length, as a share of the arrow
HEAD_ANGLE = np.deg2rad(25.0)


def arrow_vectors(vectors: np.ndarray, cell: float, longest: float = 0.95,
                  quantile: float = 0.25) -> tuple[np.ndarray, float]:
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

    Returns:
        ``(drawn (M, 2), m_ref)``.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1)
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
        ``(x, y)`` float arrays of length ``M * 6`` for one line trace (Plotly breaks
        the line at NaN).
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
    return vertices[..., 0].ravel(), vertices[..., 1].ravel()


def _heatmap(grid_x, grid_y, density) -> go.Heatmap:
    return go.Heatmap(x=np.asarray(grid_x, np.float32), y=np.asarray(grid_y, np.float32),
                      z=np.asarray(density, np.float32), colorscale=DENSITY_SCALE, showscale=False,
                      hoverinfo="skip", zsmooth="best", name="density")


def _square_layout(grid_x, title: str, revision: str) -> dict:
    xaxis, yaxis = style.square_axes(float(grid_x[0]), float(grid_x[-1]))
    return style.layout(height=560, showlegend=False, uirevision=revision, xaxis=xaxis, yaxis=yaxis,
                        title=style.title(title), margin=dict(l=40, r=10, t=40, b=30))


def score_figure(grid_x: np.ndarray, grid_y: np.ndarray, density: np.ndarray, nodes: np.ndarray,
                 scores: np.ndarray, cell: float, t: int, abar: float) -> go.Figure:
    """Score arrows on a grid over the density of ``q_t``.

    Args:
        grid_x: ``(nx,)`` grid of the density (and the axis range).
        grid_y: ``(ny,)`` grid of the density.
        density: ``(ny, nx)`` density of ``q_t``.
        nodes: ``(M, 2)`` arrow tails.
        scores: ``(M, 2)`` ``∇_x log q_t`` at the nodes.
        cell: spacing of the arrow grid.
        t: the timestep.
        abar: ᾱ_t.

    Returns:
        A square Plotly figure; the arrow trace is named "score".
    """
    drawn, _ = arrow_vectors(scores, cell)
    ax, ay = quiver_lines(nodes, drawn)
    norms = np.linalg.norm(scores, axis=1)
    return go.Figure([
        _heatmap(grid_x, grid_y, density),
        go.Scatter(x=ax, y=ay, mode="lines", name="score", hoverinfo="skip",
                   line=dict(color=ARROW_COLOR, width=1.3)),
        go.Scatter(x=nodes[:, 0], y=nodes[:, 1], mode="markers", name="nodes",
                   marker=dict(size=6, color="rgba(0,0,0,0)"), customdata=np.column_stack([scores, norms]),
                   hovertemplate="x = (%{x:.2f}, %{y:.2f})<br>∇ log q = (%{customdata[0]:.3g}, "
                                 "%{customdata[1]:.3g})<br>|∇ log q| = %{customdata[2]:.3g}<extra></extra>"),
    ], layout=_square_layout(
        grid_x, f"∇ₓ log qₜ(x) at t = {t}  (ᾱ = {abar:.3g}; largest |score| {norms.max():.3g})", "score"))


def particle_figure(grid_x: np.ndarray, grid_y: np.ndarray, density: np.ndarray, particles: np.ndarray,
                    trails: list[np.ndarray], t: int, step: int, total: int) -> go.Figure:
    """One frame of the particle flow: the particles at ``t`` over the density of ``q_t``.

    Args:
        grid_x: ``(nx,)`` grid of the density (and the axis range).
        grid_y: ``(ny,)`` grid of the density.
        density: ``(ny, nx)`` density of ``q_t`` (of ``q_0`` once the flow has ended).
        particles: ``(M, 2)`` current positions.
        trails: the positions of the first few particles so far, ``(K, 2)`` each, drawn as
            faint lines.
        t: timestep of the frame (``-1`` once the particles have reached the data).
        step: steps taken so far.
        total: steps in all.

    Returns:
        A square Plotly figure; the particle trace is named "particles".
    """
    tx, ty = [], []
    for path in trails:
        tx.extend(path[:, 0].tolist() + [None])
        ty.extend(path[:, 1].tolist() + [None])
    label = "the data (t = 0 reached)" if t < 0 else f"t = {t}"
    particles = np.asarray(particles, dtype=np.float32)
    return go.Figure([
        _heatmap(grid_x, grid_y, density),
        go.Scatter(x=tx, y=ty, mode="lines", name="trails", hoverinfo="skip",
                   line=dict(color=TRAIL_COLOR, width=1)),
        go.Scattergl(x=particles[:, 0], y=particles[:, 1], mode="markers", name="particles",
                     marker=dict(size=5, color=PARTICLE_COLOR, line=dict(width=0.5, color="white")),
                     hoverinfo="skip"),
    ], layout=_square_layout(grid_x, f"probability-flow ODE, step {step} of {total}: {label}", "particles"))
