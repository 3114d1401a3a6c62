"""Figure for the "Overview" tab: the Markov chain of Ho et al. (2020, Fig. 2) on a real glyph.

    x_T → ⋯ → x_t → x_{t−1} → ⋯ → x_0

Solid arrows pointing towards the data are the learned reverse steps
``p_θ(x_{t−1} | x_t)``; dashed arrows pointing towards the noise are the fixed forward
steps ``q(x_t | x_{t−1})``. The pictures are a dataset glyph noised by the forward process.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

NODE_KEYS = ("x_T", "x_t", "x_t-1", "x_0")
FONTS = ["DejaVu Sans", "Noto Sans CJK SC"]  # matplotlib falls back per glyph (CJK characters in titles)
REVERSE_COLOR = "#1b2a49"
FORWARD_COLOR = "#e4572e"

# Node centres along the figure (fractions of its width); None marks an ellipsis.
_LAYOUT = (("x_T", 0.08), (None, 0.245), ("x_t", 0.41), ("x_t-1", 0.59), (None, 0.755), ("x_0", 0.92))
_WIDTH_IN, _HEIGHT_IN = 12.0, 4.0
_NODE_W = 0.125  # node width, fraction of the figure width


def _arrow(fig: Figure, start, end, color: str, dashed: bool, rad: float) -> None:
    fig.patches.append(
        FancyArrowPatch(
            start, end, transform=fig.transFigure, figure=fig, arrowstyle="-|>", mutation_scale=16,
            color=color, linewidth=1.8, linestyle=(0, (4, 3)) if dashed else "-",
            connectionstyle=f"arc3,rad={rad}",
        )
    )


def chain_figure(pictures: dict[str, np.ndarray], t: int, num_steps: int) -> Figure:
    """The diffusion chain drawn with glyph pictures at its nodes.

    Args:
        pictures: greyscale uint8 pictures keyed by :data:`NODE_KEYS` ("x_T", "x_t",
            "x_t-1", "x_0").
        t: the timestep of the middle pair.
        num_steps: ``T``, the number of training timesteps (the last index is ``T − 1``).

    Returns:
        A matplotlib figure (object API); its image axes carry the node key as their label.
    """
    fig = Figure(figsize=(_WIDTH_IN, _HEIGHT_IN), dpi=100)
    node_h = _NODE_W * _WIDTH_IN / _HEIGHT_IN
    bottom = 0.5 - node_h / 2 + 0.02
    labels = {
        "x_T": (r"$\mathbf{x}_T$", f"pure noise, index {num_steps - 1}"),
        "x_t": (r"$\mathbf{x}_t$", f"t = {t}"),
        "x_t-1": (r"$\mathbf{x}_{t-1}$", f"t − 1 = {t - 1}"),
        "x_0": (r"$\mathbf{x}_0$", "clean data"),
    }
    for key, cx in _LAYOUT:
        if key is None:
            fig.text(cx, 0.52, "⋯", ha="center", va="center", fontsize=28, color="#444444")
            continue
        ax = fig.add_axes((cx - _NODE_W / 2, bottom, _NODE_W, node_h), label=key)
        ax.imshow(pictures[key], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color("#999999")
        symbol, caption = labels[key]
        fig.text(cx, bottom - 0.06, symbol, ha="center", va="top", fontsize=16)
        fig.text(cx, bottom - 0.15, caption, ha="center", va="top", fontsize=10, color="#555555")

    # Arrows between neighbouring positions: reverse steps on top, forward steps below.
    spans = [(cx, _NODE_W / 2 if key else 0.03) for key, cx in _LAYOUT]  # (centre, half-width)
    gap = 0.012
    y_top, y_low = bottom + node_h * 0.62, bottom + node_h * 0.38
    for (left, left_half), (right, right_half) in zip(spans[:-1], spans[1:]):
        x0, x1 = left + left_half + gap, right - right_half - gap
        _arrow(fig, (x0, y_top), (x1, y_top), REVERSE_COLOR, dashed=False, rad=0.0)
        _arrow(fig, (x1, y_low), (x0, y_low), FORWARD_COLOR, dashed=True, rad=0.0)

    mid = (spans[2][0] + spans[3][0]) / 2
    fig.text(mid, bottom + node_h + 0.05, r"$p_\theta(\mathbf{x}_{t-1}\mid\mathbf{x}_t)$", ha="center",
             va="bottom", fontsize=15, color=REVERSE_COLOR)
    fig.text(mid, bottom + node_h + 0.15, "reverse: learned, noise → data", ha="center", va="bottom",
             fontsize=10, color=REVERSE_COLOR)
    fig.text(mid, 0.06, r"$q(\mathbf{x}_t\mid\mathbf{x}_{t-1})$", ha="center", va="bottom", fontsize=15,
             color=FORWARD_COLOR)
    fig.text(mid, 0.01, "forward: fixed, data → noise", ha="center", va="bottom", fontsize=10,
             color=FORWARD_COLOR)
    return fig


def posterior_figure(x_t: np.ndarray, means: list, difference: np.ndarray, titles: list, size_in: float = 6.4) -> Figure:
    """x_t, the posterior means q(x_{t−1} | x_t, x0) for two choices of x0, and their difference.

    Args:
        x_t: ``(H, W)`` the noisy glyph, model space (−1 paper, +1 ink).
        means: two ``(H, W)`` posterior means μ̃(x_t, x0), one per x0.
        difference: ``(H, W)`` the first mean minus the second.
        titles: four panel titles (x_t, the two means, the difference).
        size_in: the figure's width in inches.

    Returns:
        A 2 x 2 matplotlib figure (object API); the difference uses a red-blue scale
        symmetric about 0 with its own range, given in its title.
    """
    fig = Figure(figsize=(size_in, size_in * 1.16), dpi=100)
    panels = [x_t, *means]
    for i, (z, title) in enumerate(zip(panels, titles[:3])):
        ax = fig.add_subplot(2, 2, i + 1)
        ax.imshow(np.clip(-np.asarray(z), -1, 1), cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
        ax.set_title(title, fontsize=12, fontfamily=FONTS)
        ax.set_xticks([])
        ax.set_yticks([])
    ax = fig.add_subplot(2, 2, 4)
    span = float(np.max(np.abs(difference))) or 1.0
    ax.imshow(difference, cmap="RdBu_r", vmin=-span, vmax=span, interpolation="nearest")
    ax.set_title(titles[3], fontsize=12, fontfamily=FONTS)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.subplots_adjust(left=0.02, right=0.98, top=0.9, bottom=0.02, wspace=0.08, hspace=0.32)
    return fig
