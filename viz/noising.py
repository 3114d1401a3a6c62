"""Figures for the "Forward noising" tab: one glyph, and the whole map, sliding into noise.

The forward process ``x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε`` (Ho et al. 2020, eq. 4) with the
linear schedule of Ho et al. or the cosine schedule of Nichol & Dhariwal (2021): the
noisy glyph and its noise, the curves of ᾱ_t and the signal-to-noise ratio, a strip of
the glyph at chosen steps, and the map's points noised to step ``t`` over the density
of ``q(x_t)``.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from matplotlib.figure import Figure

from viz import style

SCHEDULE_COLORS = {"linear": "#4e79a7", "cosine": "#e15759"}
POINT_COLOR = "rgba(20, 30, 60, 0.35)"
DENSITY_SCALE = "Blues"


def schedule_figure(alphas_cumprod: dict[str, np.ndarray], chosen: str, t: int) -> go.Figure:
    """ᾱ_t and the SNR ᾱ_t / (1 − ᾱ_t) of each schedule, with the chosen one marked at ``t``.

    Args:
        alphas_cumprod: schedule name -> ``(T,)`` ᾱ values.
        chosen: the schedule in use (drawn bold, marked at ``t``).
        t: the current timestep.

    Returns:
        Two side-by-side panels over ``t``: ᾱ_t (linear axis, ``x``/``y``) and SNR (log
        axis, ``x2``/``y2``).
    """
    num_steps = len(alphas_cumprod[chosen])
    traces = []
    for name, abar in alphas_cumprod.items():
        abar = np.asarray(abar, dtype=np.float64)
        steps = np.arange(abar.size)
        bold = name == chosen
        line = dict(color=SCHEDULE_COLORS.get(name, "#555555"), width=3 if bold else 1.5,
                    dash="solid" if bold else "dot")
        traces.append(go.Scatter(x=steps, y=abar, mode="lines", name=name, line=line, legendgroup=name,
                                 hovertemplate="t = %{x}<br>ᾱ = %{y:.4f}<extra>" + name + "</extra>"))
        traces.append(go.Scatter(x=steps, y=abar / (1.0 - abar), mode="lines", name=name, line=line,
                                 legendgroup=name, showlegend=False, xaxis="x2", yaxis="y2",
                                 hovertemplate="t = %{x}<br>SNR = %{y:.3g}<extra>" + name + "</extra>"))
    abar_t = float(alphas_cumprod[chosen][t])
    snr = abar_t / (1.0 - abar_t)
    marker = dict(size=11, color="black", symbol="circle-open", line=dict(width=2.5))
    traces.append(go.Scatter(x=[t], y=[abar_t], mode="markers", marker=marker, showlegend=False, name="t",
                             hovertemplate=f"t = {t}<br>ᾱ = {abar_t:.4f}<extra></extra>"))
    traces.append(go.Scatter(x=[t], y=[snr], mode="markers", marker=marker, showlegend=False, name="t",
                             xaxis="x2", yaxis="y2", hovertemplate=f"t = {t}<br>SNR = {snr:.4g}<extra></extra>"))
    marker_line = dict(type="line", x0=t, x1=t, y0=0, y1=1, line=dict(color="#888888", width=1, dash="dash"))
    xrange = [0, num_steps - 1]
    return go.Figure(traces, layout=style.layout(
        height=300, margin=dict(l=50, r=10, t=40, b=40),
        xaxis=style.axis(domain=[0, 0.44], range=xrange, title=dict(text="t")),
        yaxis=style.axis(range=[0, 1.02], title=dict(text="ᾱₜ")),
        xaxis2=style.axis(domain=[0.56, 1], range=xrange, anchor="y2", title=dict(text="t")),
        yaxis2=style.axis(type="log", anchor="x2", exponentformat="power", title=dict(text="SNR")),
        shapes=[dict(marker_line, xref="x", yref="y domain"), dict(marker_line, xref="x2", yref="y2 domain")],
        annotations=[
            dict(text="ᾱₜ: share of the signal's variance kept", x=0.22, y=1.0, xref="paper", yref="paper",
                 xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=13)),
            dict(text="signal-to-noise ratio ᾱₜ / (1 − ᾱₜ)", x=0.78, y=1.0, xref="paper", yref="paper",
                 xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=13)),
        ],
        legend=dict(orientation="h", x=0.5, xanchor="center", y=-0.3, yanchor="top"),
    ))


def strip_figure(pictures: list[np.ndarray], timesteps, alphas_cumprod) -> Figure:
    """A row of pictures of one glyph at several timesteps, labelled with t and ᾱ_t.

    Args:
        pictures: ``K`` greyscale uint8 arrays (from :func:`viz.pictures.model_picture`).
        timesteps: ``(K,)`` the timesteps.
        alphas_cumprod: ``(K,)`` ᾱ at those timesteps.

    Returns:
        A matplotlib figure (object API).
    """
    k = len(pictures)
    fig = Figure(figsize=(1.6 * k, 2.0), dpi=110, layout="constrained")
    axes = fig.subplots(1, k, squeeze=False)[0]
    for ax, picture, t, abar in zip(axes, pictures, timesteps, alphas_cumprod):
        ax.imshow(picture, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(f"t = {int(t)}\nᾱ = {float(abar):.3g}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def _heatmap(grid_x, grid_y, density, **kwargs) -> go.Heatmap:
    return go.Heatmap(x=np.asarray(grid_x, np.float32), y=np.asarray(grid_y, np.float32),
                      z=np.asarray(density, np.float32), colorscale=DENSITY_SCALE, showscale=False,
                      hoverinfo="skip", zsmooth="best", **kwargs)


def _points(points: np.ndarray, size: float, **kwargs) -> go.Scattergl:
    points = np.asarray(points, dtype=np.float32)
    return go.Scattergl(x=points[:, 0], y=points[:, 1], mode="markers", hoverinfo="skip",
                        marker=dict(size=size, color=POINT_COLOR), **kwargs)


def dataset_figure(points_t: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray, density: np.ndarray,
                   t: int, abar: float) -> go.Figure:
    """The map's points noised to step ``t`` over the density of ``q(x_t)``.

    Args:
        points_t: ``(N, 2)`` noised points.
        grid_x: ``(nx,)`` grid of the density (also the axis range).
        grid_y: ``(ny,)`` grid of the density.
        density: ``(ny, nx)`` density of ``q(x_t)``.
        t: the timestep.
        abar: ᾱ_t.

    Returns:
        A square Plotly figure: a heatmap named "density", points named "x_t".
    """
    xaxis, yaxis = style.square_axes(float(grid_x[0]), float(grid_x[-1]))
    return go.Figure(
        [_heatmap(grid_x, grid_y, density, name="density"), _points(points_t, 2.5, name="x_t")],
        layout=style.layout(
            height=460, showlegend=False, uirevision="dataset", xaxis=xaxis, yaxis=yaxis,
            title=style.title(f"the map noised: x_t ~ q(x_t) at t = {t}  (ᾱ = {abar:.3g})"),
            margin=dict(l=40, r=10, t=40, b=30),
        ),
    )


def dataset_row_figure(panels: list[tuple[int, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]]) -> go.Figure:
    """The noised dataset at several timesteps: points above, density of ``q(x_t)`` below.

    Args:
        panels: ``(t, points_t (N, 2), (grid_x (nx,), grid_y (ny,), density (ny, nx)))``
            for each column; the first panel's grid sets the common axis range.

    Returns:
        A ``2 x K`` Plotly figure.
    """
    k = len(panels)
    axes, refs = style.subplot_grid(2, k, hgap=0.012, vgap=0.03)
    lo, hi = float(panels[0][2][0][0]), float(panels[0][2][0][-1])
    traces, titles = [], []
    for c, (t, points_t, (grid_x, grid_y, density)) in enumerate(panels):
        (xa, ya), (xb, yb) = refs[0][c], refs[1][c]
        traces.append(_points(points_t, 1.5, xaxis=xa, yaxis=ya, name=f"x_t, t = {t}"))
        traces.append(_heatmap(grid_x, grid_y, density, xaxis=xb, yaxis=yb, name=f"q(x_t), t = {t}"))
        domain = axes["xaxis" + xa[1:]]["domain"]
        titles.append(dict(text=f"t = {t}", x=(domain[0] + domain[1]) / 2, y=1.0, xref="paper", yref="paper",
                           xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=13)))
    for key, spec in axes.items():
        spec.update(style.axis(range=[lo, hi], showgrid=False, showticklabels=False, constrain="domain"))
        if key.startswith("yaxis"):
            spec.update(scaleanchor=spec["anchor"], scaleratio=1)  # square panels
    axes["yaxis"]["title"] = dict(text="points x_t")
    axes["yaxis" + refs[1][0][1][1:]]["title"] = dict(text="density q(x_t)")
    return go.Figure(traces, layout=style.layout(
        height=440, showlegend=False, annotations=titles, margin=dict(l=40, r=10, t=70, b=10),
        title=style.title("the whole dataset, noised"), **axes,
    ))
