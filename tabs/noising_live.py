"""The Forward noising tab's t slider, drawn in the browser.

Everything the slider changes is a closed-form function of t: ``x_t = √ᾱ_t x0 + √(1 − ᾱ_t) ε``
for the glyph and for every point of the map, the density of ``q(x_t)`` (a kernel density
estimate of the shrunk points with a wider kernel), the rings of ``q(x_t | x0)`` and the
numbers of the caption. So the server sends, once per glyph, schedule and seed, what they
are made of (:func:`live_value`: the glyph and its ε, the map's points and their ε, ᾱ of
every t), and ``tabs/noising.js`` redraws the x_t picture, the schedule's marker, the map's
bitmap and rings and the caption on every move of the slider, with no request to the
server: a class dragging it costs the server nothing, and the slider follows the hand on
any connection. The server draws the same views (``tabs/noising.py``) when the glyph,
schedule or seed change; the browser's drawing is checked against them
(``tests/test_browser_noising.py``).
"""

from __future__ import annotations

import base64
from pathlib import Path

import gradio as gr
import numpy as np

LIVE_JS = (Path(__file__).parent / "noising.js").read_text(encoding="utf-8")

TEMPLATE = '<div class="tab-note noising-caption">${value && value.caption ? value.caption : ""}</div>'


def live_panel(elem_id: str = "noising-live") -> gr.HTML:
    """The caption under the slider, and the script that redraws the tab's views as t moves."""
    return gr.HTML(None, html_template=TEMPLATE, js_on_load=LIVE_JS, elem_id=elem_id, container=False)


def floats(values: np.ndarray) -> str:
    """An array as base64 of its little-endian float32 values (``Float32Array`` in the browser)."""
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode("ascii")


def live_value(*, key: str, schedule: str, alphas_cumprod: np.ndarray, x0: np.ndarray, noise: np.ndarray,
               points: np.ndarray, points_noise: np.ndarray, picks: list[tuple[str, int]], bandwidth: float,
               extent: float, grid_max: int, pixels: int, lut: np.ndarray, point_rgb: tuple, point_alpha: float,
               density_top: float, ring_vertices: int, ring_shares: tuple[float, float]) -> dict:
    """The live panel's value: what the browser needs to draw the tab at any t. The value shown
    also carries ``t``, the step the server drew, and ``caption``, its caption (HTML).

    Args:
        key: names the glyph, schedule and seed (the browser decodes the arrays once per key).
        schedule: the schedule's name.
        alphas_cumprod: ``(T,)`` ᾱ of the schedule.
        x0, noise: ``(H, W)`` the glyph in model space and its ε.
        points, points_noise: ``(N, 2)`` the standardised map and the ε of each point.
        picks: ``(label, row of points)`` of the ringed points, the chosen glyph first.
        bandwidth: the map's kernel sd ``h``; ``extent``: the map shows ``[-extent, extent]²``.
        grid_max: most density grid nodes per axis; ``pixels``: side of the map's bitmap.
        lut: ``(256, 3)`` uint8 colours of the density; ``density_top``: share of them the peak reaches.
        point_rgb, point_alpha: colour and opacity of one point's dot.
        ring_vertices: vertices of a drawn circle; ring_shares: the mass within 1 and 2 sd (shown in %).
    """
    size = int(np.asarray(x0).shape[-1])
    return dict(
        key=key, schedule=schedule, abar=[float(a) for a in np.asarray(alphas_cumprod, np.float64)],
        size=size, x0=floats(x0), noise=floats(noise), points=floats(points), points_noise=floats(points_noise),
        picks=[[label, int(row)] for label, row in picks], bandwidth=float(bandwidth), extent=float(extent),
        grid_max=int(grid_max), pixels=int(pixels), lut=np.asarray(lut, np.uint8).ravel().tolist(),
        point=[*map(int, point_rgb), float(point_alpha)], top=float(density_top), ring_vertices=int(ring_vertices),
        ring_shares=[f"{100 * share:.0f}" for share in ring_shares],
    )
