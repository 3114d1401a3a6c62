"""Figures for the "Conditioning" tab: text as numbers, and conditioning as slicing.

* :func:`embedding_figure`: a prompt after the text encoder, an (n, d) array with one
  row per token, as a heat map (the form in which cross-attention reads it; Rombach et
  al. 2022, Saharia et al. 2022).
* :func:`joint_density_figure`: a joint density p(x, y) with its marginals and two
  conditionals p(x | y = y₁), p(x | y = y₂): fixing y slices the joint density and
  reweights its modes, which is what a text condition does to the glyph distribution.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

TEMPLATE = "plotly_white"
JOINT_SCALE = [[0.0, "rgba(255,255,255,0)"], [0.08, "#eef1f7"], [1.0, "#5b6f9a"]]
MARGINAL_COLOR = "#333333"
SLICE_COLORS = ("#e4572e", "#2a9d8f")


def embedding_figure(tokens: list[str], states: np.ndarray, title: str = "") -> go.Figure:
    """Heat map of per-token embeddings.

    Args:
        tokens: n token strings, in order.
        states: (n, d) the encoder's output for those tokens.
        title: figure title.

    Returns:
        Tokens on the vertical axis (first at the top), the d embedding dimensions along
        the horizontal axis, a red-blue scale centred on zero.
    """
    states = np.asarray(states, dtype=np.float64)
    n, d = states.shape
    labels = [f"{i}: {tok}" for i, tok in enumerate(tokens)]  # numbered, so repeats stay distinct
    limit = float(np.quantile(np.abs(states), 0.99)) if states.size else 1.0
    fig = go.Figure(go.Heatmap(
        z=states, y=labels, x=np.arange(d), colorscale="RdBu_r", zmid=0, zmin=-limit, zmax=limit,
        colorbar=dict(title="value", thickness=12),
        hovertemplate="token %{y}<br>dimension %{x}<br>value %{z:.3f}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", title_text=f"token (n = {n})", type="category")
    fig.update_xaxes(title_text=f"embedding dimension (d = {d})")
    fig.update_layout(template=TEMPLATE, height=max(220, 110 + 34 * n), margin=dict(l=20, r=20, t=50, b=50),
                      title=dict(text=title or f"The prompt as an ({n}, {d}) array", font=dict(size=15)))
    return fig


def joint_density_figure(x: np.ndarray, y: np.ndarray, joint: np.ndarray, p_x: np.ndarray, p_y: np.ndarray,
                         slices: list[tuple[float, np.ndarray]], peaks: np.ndarray | None = None) -> go.Figure:
    """A joint density with its marginals and conditional slices.

    Args:
        x: (nx,) grid; y: (ny,) grid.
        joint: (ny, nx) p(x, y).
        p_x: (nx,) marginal p(x); p_y: (ny,) marginal p(y).
        slices: up to two (y value, (nx,) p(x | y)) pairs.
        peaks: (K, 2) points to label (x₁, y₁), (x₂, y₂), ...

    Returns:
        Contours of p(x, y) with dashed lines at each sliced y; above, p(x) and the
        conditionals in matching colours; at the right, p(y) with the sliced values marked.
    """
    fig = make_subplots(rows=2, cols=2, shared_xaxes=True, shared_yaxes=True,
                        column_widths=[0.78, 0.22], row_heights=[0.32, 0.68],
                        horizontal_spacing=0.02, vertical_spacing=0.03)
    fig.add_trace(go.Contour(x=x, y=y, z=np.asarray(joint, np.float32), colorscale=JOINT_SCALE, showscale=False,
                             ncontours=16, line=dict(width=0.7, color="rgba(60,80,120,0.5)"), name="p(x, y)",
                             hovertemplate="x %{x:.2f}, y %{y:.2f}<br>p(x, y) %{z:.3f}<extra></extra>"),
                  row=2, col=1)
    fig.add_trace(go.Scatter(x=x, y=p_x, mode="lines", name="p(x)", line=dict(color=MARGINAL_COLOR, width=2)),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=p_y, y=y, mode="lines", name="p(y)", showlegend=False,
                             line=dict(color=MARGINAL_COLOR, width=2)), row=2, col=2)
    for k, ((y_value, conditional), color) in enumerate(zip(slices, SLICE_COLORS)):
        label = f"y{'₁₂'[k]}" if k < 2 else f"y{k + 1}"
        fig.add_trace(go.Scatter(x=[x[0], x[-1]], y=[y_value, y_value], mode="lines", showlegend=False,
                                 line=dict(color=color, dash="dash", width=2), hoverinfo="skip"), row=2, col=1)
        fig.add_trace(go.Scatter(x=x, y=conditional, mode="lines", name=f"p(x | y = {label} = {y_value:.2f})",
                                 line=dict(color=color, width=2.5)), row=1, col=1)
        fig.add_trace(go.Scatter(x=[float(np.interp(y_value, y, p_y))], y=[y_value], mode="markers", showlegend=False,
                                 marker=dict(color=color, size=9),
                                 hovertemplate=f"{label} = %{{y:.2f}}<extra></extra>"),
                      row=2, col=2)
    if peaks is not None and len(peaks):
        peaks = np.asarray(peaks, dtype=np.float64)
        names = [f"(x{'₁₂₃₄'[i]}, y{'₁₂₃₄'[i]})" if i < 4 else "" for i in range(len(peaks))]
        fig.add_trace(go.Scatter(x=peaks[:, 0], y=peaks[:, 1], mode="markers+text", text=names,
                                 textposition="top center", showlegend=False, hoverinfo="skip",
                                 marker=dict(symbol="x", size=8, color=MARGINAL_COLOR)), row=2, col=1)
    fig.update_xaxes(title_text="x (what we sample)", row=2, col=1)
    fig.update_yaxes(title_text="y (the condition)", row=2, col=1)
    fig.update_yaxes(title_text="density", row=1, col=1, rangemode="tozero")
    fig.update_xaxes(title_text="p(y)", row=2, col=2, rangemode="tozero")
    fig.update_layout(template=TEMPLATE, height=560, margin=dict(l=60, r=20, t=50, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0),
                      title=dict(text="Conditioning slices the joint density", font=dict(size=15), y=0.99))
    return fig
