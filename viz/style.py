"""The explorer's figure style, as plain layout dictionaries.

Plotly's named templates are deep-copied into every figure, which costs about 25 ms a
figure; the figures behind sliders must be built in a few milliseconds. These helpers
give the same light look (white background, faint grid) with ``template="none"`` and
lay out subplot grids without :func:`plotly.subplots.make_subplots`.
"""

from __future__ import annotations

FONT = dict(family="Inter, 'Noto Sans', 'Noto Sans CJK SC', Arial, sans-serif", size=12, color="#2a3f5f")
GRID = "#e5ecf6"
COLORWAY = ["#4e79a7", "#e15759", "#f28e2b", "#59a14f", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7"]


def axis(**overrides) -> dict:
    """A light axis: faint grid, no zero line, no ticks."""
    spec = dict(gridcolor=GRID, linecolor=GRID, zeroline=False, ticks="", showline=False, automargin=True)
    spec.update(overrides)
    return spec


def square_axes(lo: float, hi: float, anchor: str = "x", **overrides) -> tuple[dict, dict]:
    """``(xaxis, yaxis)`` over ``[lo, hi]`` with equal scales and no grid."""
    x = axis(range=[lo, hi], showgrid=False, constrain="domain", **overrides)
    y = axis(range=[lo, hi], showgrid=False, constrain="domain", scaleanchor=anchor, scaleratio=1, **overrides)
    return x, y


def layout(**overrides) -> dict:
    """Base layout of every explorer figure; keyword arguments override or add keys."""
    spec = dict(
        template="none", font=FONT, paper_bgcolor="white", plot_bgcolor="white", colorway=COLORWAY,
        hoverlabel=dict(font=dict(family=FONT["family"])), xaxis=axis(), yaxis=axis(),
        margin=dict(l=50, r=10, t=40, b=40),
    )
    spec.update(overrides)
    return spec


def title(text: str, size: int = 14) -> dict:
    return dict(text=text, x=0.5, xanchor="center", font=dict(size=size))


def subplot_grid(rows: int, cols: int, hgap: float = 0.02, vgap: float = 0.04) -> tuple[dict, list[list[tuple[str, str]]]]:
    """Axes of a ``rows x cols`` grid of subplots, row 1 at the top.

    Returns:
        ``(axes, refs)``: layout entries ``xaxis``, ``xaxis2``, ... and ``yaxis``...
        (domains and anchors only), and ``refs[r][c] = ("x3", "y3")`` for the traces.
    """
    width = (1.0 - hgap * (cols - 1)) / cols
    height = (1.0 - vgap * (rows - 1)) / rows
    axes: dict = {}
    refs = []
    for r in range(rows):
        row_refs = []
        for c in range(cols):
            k = r * cols + c + 1
            suffix = "" if k == 1 else str(k)
            x0 = c * (width + hgap)
            y1 = 1.0 - r * (height + vgap)
            axes[f"xaxis{suffix}"] = dict(domain=[x0, x0 + width], anchor=f"y{suffix}")
            axes[f"yaxis{suffix}"] = dict(domain=[y1 - height, y1], anchor=f"x{suffix}")
            row_refs.append((f"x{suffix}", f"y{suffix}"))
        refs.append(row_refs)
    return axes, refs
