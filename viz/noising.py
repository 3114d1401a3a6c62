"""Figures for the "Forward noising" tab: one glyph, and the whole map, sliding into noise.

The forward process ``x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε`` (Ho et al. 2020, eq. 4) with the
linear schedule of Ho et al. or the cosine schedule of Nichol & Dhariwal (2021): the
noisy glyph and its noise, the curves of ᾱ_t and the signal-to-noise ratio, a strip of
the glyph at chosen steps, and the map's points noised to step ``t`` over the density
of ``q(x_t)``, with ``q(x_t | x0)`` drawn as rings around a few single points. The cloud is
a bitmap (:mod:`viz.raster`), not a WebGL scatter: browsers cap WebGL contexts and a
slider that redraws one each time soon runs out.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from matplotlib.figure import Figure

from viz import style
from viz.raster import density_rgb, jpeg_data_uri, shaded_points, splat_points

SCHEDULE_COLORS = {"linear": "#4e79a7", "cosine": "#e15759"}
POINT_RGB, POINT_ALPHA = (20, 30, 60), 0.35
PICK_COLOR = "#d62728"
DENSITY_SCALE = "Blues"
DENSITY_TOP = 0.85  # share of the colormap the density's peak reaches (keeps dark points visible)
DATASET_PIXELS = 420  # side of the large map's bitmap
ROW_PIXELS = 160  # side of each small panel's bitmap
RING_VERTICES = 49  # polygon of a drawn circle


def abar_text(abar: float) -> str:
    """ᾱ with as many decimals as it needs never to read 1 (or 0) when it is not.

    ``0.99995869`` -> ``"0.99996"``, ``0.9999`` -> ``"0.9999"``, ``0.8459`` -> ``"0.8459"``,
    ``2.4e-9`` -> ``"2.4e-09"``; exactly 1 -> ``"1"``.
    """
    abar = float(abar)
    if abar >= 1.0:
        return "1"
    if abar > 0.999:
        decimals = int(np.floor(-np.log10(1.0 - abar))) + 1
        return f"{abar:.{decimals}f}"
    if abar < 1e-3:
        return f"{abar:.2g}"
    return f"{abar:.4g}"


RING_SHARES = (1 - np.exp(-0.5), 1 - np.exp(-2.0))  # mass of a 2-D Gaussian within 1 and 2 sd


def step_caption(t: int, name: str, abar: float, labels: list[str]) -> str:
    """The caption of step ``t`` as HTML (``tabs/noising.js`` writes the same words in the browser).

    Args:
        t: the timestep.
        name: the schedule's name.
        abar: ᾱ_t.
        labels: the characters ringed on the map.
    """
    signal, noise = np.sqrt(abar), np.sqrt(1 - abar)
    return (
        f"<strong>t = {t}</strong>, {html.escape(name)} schedule: ᾱₜ = {abar_text(abar)}, so "
        f"<em>x</em>ₜ = {signal:.3f} <em>x</em>₀ + {noise:.3f} ε: the noise added is {noise:.3f} ε, of standard "
        f"deviation {noise:.3f} (ε is shown clipped to ±1); signal-to-noise ratio {abar / (1 - abar):.3g}. "
        f"On the map, {', '.join(html.escape(label) for label in labels)}: ○ the clean point x₀, • the mean √ᾱₜ x₀ "
        f"of q(xₜ | x₀), rings at 1 and 2 sd ({noise:.3g} and {2 * noise:.3g}) holding "
        f"{100 * RING_SHARES[0]:.0f}% and {100 * RING_SHARES[1]:.0f}% of it, × the point's own xₜ."
    )


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
                             hovertemplate=f"t = {t}<br>ᾱ = {abar_text(abar_t)}<extra></extra>"))
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
            dict(text="ᾱₜ: signal kept", x=0.22, y=1.0, xref="paper", yref="paper",
                 xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=13)),
            dict(text="SNR = ᾱₜ / (1 − ᾱₜ)", x=0.78, y=1.0, xref="paper", yref="paper",
                 xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=13)),
        ],
        legend=dict(orientation="h", x=0.5, xanchor="center", y=-0.3, yanchor="top"),
    ))


def strip_figure(pictures: list[np.ndarray], timesteps, alphas_cumprod) -> Figure:
    """Pictures of one glyph at several timesteps (two rows when more than three), labelled with t and ᾱ_t.

    Args:
        pictures: ``K`` greyscale uint8 arrays (from :func:`viz.pictures.model_picture`).
        timesteps: ``(K,)`` the timesteps.
        alphas_cumprod: ``(K,)`` ᾱ at those timesteps.

    Returns:
        A matplotlib figure (object API).
    """
    k = len(pictures)
    cols = (k + 1) // 2 if k > 3 else k
    rows = (k + cols - 1) // cols
    fig = Figure(figsize=(1.5 * cols, 1.75 * rows), dpi=110, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[k:]:
        ax.set_axis_off()
    for ax, picture, t, abar in zip(axes, pictures, timesteps, alphas_cumprod):
        ax.imshow(picture, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(f"t = {int(t)}\nᾱ = {abar_text(abar)}", fontsize=11)
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def _image(rgb: np.ndarray, lo: float, hi: float, xref: str = "x", yref: str = "y", name: str = "") -> dict:
    """A bitmap over ``[lo, hi]²`` as a Plotly layout image under the traces."""
    return dict(source=jpeg_data_uri(rgb), xref=xref, yref=yref, x=lo, y=hi, sizex=hi - lo, sizey=hi - lo,
                xanchor="left", yanchor="top", sizing="stretch", layer="below", name=name)


def map_bitmap(points_t: np.ndarray | None, density: np.ndarray | None, lo: float, hi: float, size: int,
               radius: int = 1) -> np.ndarray:
    """The density of ``q(x_t)`` shaded, the noised points stamped over it (either may be ``None``).

    Returns:
        ``(size, size, 3)`` uint8 over ``[lo, hi]²``.
    """
    if density is not None and points_t is not None:
        return shaded_points(density, points_t, lo, hi, size, DENSITY_SCALE, DENSITY_TOP, POINT_RGB, POINT_ALPHA,
                             radius=radius)
    rgb = density_rgb(density, size, DENSITY_SCALE, DENSITY_TOP) if density is not None else np.full((size, size, 3), 255, np.uint8)
    if points_t is not None:
        rgb = splat_points(rgb, points_t, lo, hi, color=POINT_RGB, alpha=POINT_ALPHA, radius=radius)
    return rgb


def _labels(labels: list[str], x0: np.ndarray) -> list[dict]:
    """Readable labels for the picked points: white boxes, pointing at x0 from outside the cloud.

    Each label sits 45 px from its point, in the point's direction from the origin turned
    by ±35° in turn, so two neighbours' labels part.
    """
    notes = []
    for k, (label, (x, y)) in enumerate(zip(labels, x0)):
        angle = np.arctan2(y, x) + np.deg2rad(35.0 if k % 2 else -35.0)
        notes.append(dict(x=x, y=y, xref="x", yref="y", text=label, showarrow=True, arrowhead=0, arrowwidth=1,
                          arrowcolor=PICK_COLOR, ax=45 * np.cos(angle), ay=-45 * np.sin(angle),
                          font=dict(size=15, color=PICK_COLOR), bgcolor="rgba(255,255,255,0.9)",
                          bordercolor=PICK_COLOR, borderpad=2))
    return notes


def dataset_figure(points_t: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray, density: np.ndarray,
                   t: int, abar: float, picks: list[tuple[str, np.ndarray, np.ndarray]] = ()) -> go.Figure:
    """The map's points noised to step ``t`` over the density of ``q(x_t)``, and ``q(x_t | x0)`` of a few.

    The cloud and its density are one bitmap under the axes (no WebGL, a few kB). Each
    picked point gets its clean position ``x0`` (open circle), the mean ``√ᾱ x0`` of
    ``q(x_t | x0) = N(√ᾱ x0, (1 − ᾱ) I)`` with rings at 1 and 2 sd, and its own noised
    sample ``x_t`` (cross).

    Args:
        points_t: ``(N, 2)`` noised points.
        grid_x: ``(nx,)`` grid of the density (also the axis range).
        grid_y: ``(ny,)`` grid of the density.
        density: ``(ny, nx)`` density of ``q(x_t)``.
        t: the timestep.
        abar: ᾱ_t.
        picks: ``(label, x0 (2,), x_t (2,))`` for each picked point.

    Returns:
        A square Plotly figure: the bitmap is ``layout.images[0]`` (name "q(x_t)"); traces
        "x0", "mean" and "x_t" hold the picked points, "rings" their circles at 1 and 2 sd
        (one NaN-separated line, :data:`RING_VERTICES` vertices a circle); one annotation
        labels each x0.
    """
    lo, hi = float(grid_x[0]), float(grid_x[-1])
    xaxis, yaxis = style.square_axes(lo, hi)
    sd = float(np.sqrt(1.0 - abar))
    traces = []
    if len(picks):
        labels = [p[0] for p in picks]
        x0 = np.array([p[1] for p in picks], dtype=np.float64)  # (K, 2)
        xt = np.array([p[2] for p in picks], dtype=np.float64)
        mean = np.sqrt(abar) * x0
        path_x, path_y = [], []
        for a, b in zip(x0, mean):
            path_x += [a[0], b[0], None]
            path_y += [a[1], b[1], None]
        traces += [
            go.Scatter(x=path_x, y=path_y, mode="lines", name="shrink", hoverinfo="skip",
                       line=dict(color=PICK_COLOR, width=1, dash="dot")),
            go.Scatter(x=x0[:, 0], y=x0[:, 1], mode="markers", name="x0", text=labels,
                       marker=dict(size=9, color="white", line=dict(color=PICK_COLOR, width=2)),
                       hovertemplate="%{text}: x0 = (%{x:.2f}, %{y:.2f})<extra></extra>"),
            go.Scatter(x=mean[:, 0], y=mean[:, 1], mode="markers", name="mean", customdata=labels,
                       marker=dict(size=5, color=PICK_COLOR),
                       hovertemplate="%{customdata}: √ᾱ x0 = (%{x:.2f}, %{y:.2f})<extra></extra>"),
            go.Scatter(x=xt[:, 0], y=xt[:, 1], mode="markers", name="x_t", customdata=labels,
                       marker=dict(size=10, color=PICK_COLOR, symbol="x-thin", line=dict(width=2.5, color=PICK_COLOR)),
                       hovertemplate="%{customdata}: x_t = (%{x:.2f}, %{y:.2f})<extra></extra>"),
        ]
        angle = np.linspace(0.0, 2.0 * np.pi, RING_VERTICES)
        ring = np.column_stack([np.cos(angle), np.sin(angle)])  # (V, 2) unit circle
        gap = np.full((1, 2), np.nan)
        rings = np.vstack([np.vstack([c + k * sd * ring, gap]) for c in mean for k in (1, 2)])  # 1 and 2 sd
        traces.append(go.Scatter(x=rings[:, 0], y=rings[:, 1], mode="lines", name="rings", hoverinfo="skip",
                                 line=dict(color=PICK_COLOR, width=1.5)))
    size = DATASET_PIXELS
    return go.Figure(traces, layout=style.layout(
        annotations=_labels([p[0] for p in picks], np.array([p[1] for p in picks]).reshape(-1, 2)),
        height=460, showlegend=False, uirevision="dataset", xaxis=xaxis, yaxis=yaxis,
        images=[_image(map_bitmap(points_t, density, lo, hi, size), lo, hi, name="q(x_t)")],
        title=style.title(f"q(x_t) at t = {t}, ᾱ = {abar_text(abar)}"),
        margin=dict(l=40, r=10, t=40, b=30),
    ))


def dataset_row_figure(panels: list[tuple[int, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]]) -> go.Figure:
    """The noised dataset at several timesteps: points above, density of ``q(x_t)`` below.

    Args:
        panels: ``(t, points_t (N, 2), (grid_x (nx,), grid_y (ny,), density (ny, nx)))``
            for each column; the first panel's grid sets the common axis range.

    Returns:
        A ``2 x K`` Plotly figure whose panels are bitmaps (``layout.images``, named
        "x_t, t = …" and "q(x_t), t = …"), titled by annotations "t = …".
    """
    k = len(panels)
    axes, refs = style.subplot_grid(2, k, hgap=0.012, vgap=0.03)
    lo, hi = float(panels[0][2][0][0]), float(panels[0][2][0][-1])
    images, titles = [], []
    for c, (t, points_t, (grid_x, grid_y, density)) in enumerate(panels):
        (xa, ya), (xb, yb) = refs[0][c], refs[1][c]
        images.append(_image(map_bitmap(points_t, None, lo, hi, ROW_PIXELS, radius=0), lo, hi, xa, ya,
                             name=f"x_t, t = {t}"))
        images.append(_image(map_bitmap(None, density, lo, hi, ROW_PIXELS), lo, hi, xb, yb, name=f"q(x_t), t = {t}"))
        domain = axes["xaxis" + xa[1:]]["domain"]
        titles.append(dict(text=f"t = {t}", x=(domain[0] + domain[1]) / 2, y=1.0, xref="paper", yref="paper",
                           xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=13)))
    for key, spec in axes.items():
        spec.update(style.axis(range=[lo, hi], showgrid=False, showticklabels=False, constrain="domain"))
        if key.startswith("yaxis"):
            spec.update(scaleanchor=spec["anchor"], scaleratio=1)  # square panels
    axes["yaxis"]["title"] = dict(text="points x_t")
    axes["yaxis" + refs[1][0][1][1:]]["title"] = dict(text="q(x_t)")
    return go.Figure(layout=style.layout(
        height=400, showlegend=False, annotations=titles, images=images, margin=dict(l=40, r=10, t=60, b=10),
        title=style.title("the whole dataset, noised"), **axes,
    ))
