"""Figures for "The training objective" tab: one training example, late guesses of x0, and the loss logs.

A training step of a diffusion model (Ho et al. 2020, Algorithm 1) noises a clean glyph
to a random step t and scores the network's guess with a mean squared error. The example
figure lays out everything in that step: what is drawn (x0, ε, t), what the network sees
(x_t), what it is asked for (here v, Salimans & Ho 2022) and what it answers, with the
same guess re-expressed as a clean glyph x̂0 and as noise ε̂.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from matplotlib.figure import Figure
from plotly.subplots import make_subplots

TEMPLATE = "plotly_white"
LOSS_COLOR = "#4e79a7"
EXAMPLE_COLOR = "#e4572e"
SIGNED_RANGE = 3.0  # ε and v are N(0, 1)-like: ±3 covers almost every pixel
INK_SCALE = [[0.0, "#ffffff"], [1.0, "#000000"]]  # −1 = paper (white), +1 = ink (black)
HOVER = "row %{y}, column %{x}<br>value %{z:.3f}<extra></extra>"


def example_figure(example) -> go.Figure:
    """Eight panels of one training example.

    Args:
        example: a :class:`glyffuser.diffusion.objective.TrainingExample` (images (S, S) in model
            space; t, alpha_bar, loss, noise_mse, x0_mse).

    Returns:
        A 2 x 4 grid of heat maps: top, what training draws and asks for (x0, ε, x_t, v);
        bottom, what the network returns (v̂, the error v̂ − v, x̂0, ε̂). Glyph-like panels
        use a white-to-black scale on [-1, 1]; signed panels a red-blue scale on ±3.
    """
    e = example
    a, s = np.sqrt(e.alpha_bar), np.sqrt(1.0 - e.alpha_bar)
    # short lines, so that four titles fit side by side on a phone
    panels = [
        ("x₀<br>clean glyph", e.x0, "ink"),
        ("ε<br>noise drawn", e.noise, "signed"),
        (f"xₜ = {a:.2f}x₀<br>+ {s:.2f}ε", e.x_t, "ink"),
        (f"target v =<br>{a:.2f}ε<br>− {s:.2f}x₀", e.v, "signed"),
        ("v̂<br>the answer", e.v_pred, "signed"),
        (f"v̂ − v<br>loss {e.loss:.4f}", e.v_pred - e.v, "signed"),
        (f"x̂₀ = {a:.2f}xₜ<br>− {s:.2f}v̂", e.x0_pred, "ink"),
        (f"ε̂ = {s:.2f}xₜ<br>+ {a:.2f}v̂", e.noise_pred, "signed"),
    ]
    fig = make_subplots(rows=2, cols=4, subplot_titles=[p[0] for p in panels],
                        horizontal_spacing=0.05, vertical_spacing=0.17)
    for i, (_, z, kind) in enumerate(panels):
        row, col = divmod(i, 4)
        fig.add_trace(
            go.Heatmap(z=np.asarray(z, dtype=np.float32), coloraxis="coloraxis" if kind == "ink" else "coloraxis2",
                       hovertemplate=HOVER),
            row=row + 1, col=col + 1,
        )
    size = np.asarray(e.x0).shape[-1]
    for i in range(8):
        axis = "" if i == 0 else str(i + 1)
        fig.update_layout({
            f"xaxis{axis}": dict(visible=False, range=[-0.5, size - 0.5], constrain="domain"),
            f"yaxis{axis}": dict(visible=False, range=[size - 0.5, -0.5], scaleanchor=f"x{axis}", constrain="domain"),
        })
    fig.update_layout(
        template=TEMPLATE, height=650, margin=dict(l=10, r=10, t=150, b=10),  # the title above the panels' titles
        title=dict(text=f"One training example at t = {e.t} (ᾱₜ = {e.alpha_bar:.4f}):<br>"
                        f"loss on v {e.loss:.4f}, as noise {e.noise_mse:.4f}, as x₀ {e.x0_mse:.4f}",
                   font=dict(size=15), y=0.985, yanchor="top"),
        coloraxis=dict(colorscale=INK_SCALE, cmin=-1, cmax=1,
                       colorbar=dict(title="glyph", x=1.0, y=0.78, len=0.42, thickness=12)),
        coloraxis2=dict(colorscale="RdBu_r", cmin=-SIGNED_RANGE, cmax=SIGNED_RANGE,
                        colorbar=dict(title="signed", x=1.0, y=0.22, len=0.42, thickness=12)),
    )
    fig.update_annotations(font_size=11)
    return fig


LOG_COLORS = ("#4e79a7", "#59a14f", "#b07aa1")


def loss_curve_figure(logs, example_loss: float | None = None, example_t: int | None = None,
                      title: str = "Training logs of the shipped model") -> go.Figure:
    """Training losses against the optimiser step (log scale), one line per log.

    Args:
        logs: sequence of ``(label, step (K,), loss (K,), epoch (K,))``: the legend label
            (what the log records and its batch size), optimiser steps, the mean loss over
            each logging interval, and the epochs reached (shown on hover).
        example_loss: loss of the example above, drawn as a dotted line for scale.
        example_t: its timestep, for the line's label.
        title: the figure's title.

    Returns:
        A Plotly figure; the legend sits under the plot, so it stays readable on a phone.
    """
    fig = go.Figure()
    lows, highs = [], []
    for i, (label, step, loss, epoch) in enumerate(logs):
        fig.add_trace(go.Scatter(
            x=step, y=loss, mode="lines", name=label, line=dict(color=LOG_COLORS[i % len(LOG_COLORS)], width=2),
            customdata=np.asarray(epoch),
            hovertemplate="step %{x}<br>epoch %{customdata:.1f}<br>loss %{y:.4f}<extra></extra>",
        ))
        lows.append(float(np.min(loss)))
        highs.append(float(np.max(loss)))
    low, high = min(lows), max(highs)
    if example_loss is not None and np.isfinite(example_loss) and example_loss > 0:
        label = "this one example" + (f" (t = {example_t})" if example_t is not None else "")
        fig.add_hline(y=example_loss, line=dict(color=EXAMPLE_COLOR, dash="dot", width=2))
        # on a log axis, annotation positions are given as log10 of the value
        fig.add_annotation(x=1, xref="x domain", xanchor="right", y=np.log10(example_loss), yanchor="bottom",
                           text=f"{label}: {example_loss:.4f}", showarrow=False, font=dict(color=EXAMPLE_COLOR))
        low, high = min(low, example_loss), max(high, example_loss)
    ticks = [m * 10.0**e for e in range(-4, 2) for m in (1, 2, 5)]
    fig.update_yaxes(range=[np.log10(low) - 0.1, np.log10(high) + 0.1], tickvals=ticks, tickformat="~g",
                     title_text="mean squared error", type="log")
    fig.update_xaxes(title_text="optimiser step (of each run)")
    fig.update_layout(template=TEMPLATE, height=400, margin=dict(l=60, r=20, t=50, b=50),
                      showlegend=True, legend=dict(orientation="h", x=0, y=-0.25, xanchor="left", yanchor="top"),
                      title=dict(text=title, font=dict(size=15)))
    return fig


def guesses_figure(guesses, size_in: float = 6.4) -> Figure:
    """x̂0 at a few late steps, with the glyph's text and with the empty prompt: a grid of pictures.

    Args:
        guesses: sequence of rows, each a sequence of ``(title, x0_pred (S, S) in [-1, 1])``.
        size_in: the figure's width in inches.

    Returns:
        A matplotlib figure (object API), one picture per guess with its title above.
    """
    rows, cols = len(guesses), max(len(r) for r in guesses)
    fig = Figure(figsize=(size_in, size_in * rows / cols * 1.18), dpi=100)
    for r, row in enumerate(guesses):
        for c, (title, x) in enumerate(row):
            ax = fig.add_subplot(rows, cols, r * cols + c + 1)
            ax.imshow(np.clip(-np.asarray(x), -1, 1), cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(title, fontsize=13)
    fig.subplots_adjust(left=0.02, right=0.98, top=0.9, bottom=0.02, wspace=0.08, hspace=0.3)
    return fig
