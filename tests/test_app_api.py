"""Every endpoint of tabs 1-5 through ``gradio_client``: sensible answers to valid values,
clear errors (never a traceback or a hang) for out-of-range, missing, wrong-typed or
hostile ones.

The app is served once per session by the ``app_server`` fixture (tests/conftest.py).
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

N_GLYPHS = 14_486


def plotly_figure(output) -> dict:
    """The figure dict of a Plot output (type "plotly")."""
    assert output["type"] == "plotly"
    return json.loads(output["plot"])


def picture(path) -> np.ndarray:
    assert Path(path).is_file()
    return np.asarray(Image.open(path).convert("L"))


def trace_points(trace: dict) -> int:
    """Number of points of a trace, whether its x is a list or a base64 typed array."""
    x = trace["x"]
    if isinstance(x, dict):  # {"dtype": "f4", "bdata": ...}
        import base64

        return len(base64.b64decode(x["bdata"])) // np.dtype(x["dtype"]).itemsize
    return len(x)


# --------------------------------------------------------------------------------------
# Valid calls
# --------------------------------------------------------------------------------------


def test_fit_gaussian(call):
    fit, convergence, estimates, implicit = call("/fit_gaussian", 1.5, 0.5, 400, 3)
    assert plotly_figure(fit)["data"] and plotly_figure(convergence)["data"] and plotly_figure(implicit)["data"]
    assert "μ̂" in estimates and "σ̂" in estimates and "400 samples" in estimates
    seed, *rest = call("/draw_new_samples", 1.5, 0.5, 400, 3)
    assert seed == 4 and rest[2] != estimates


def test_glyph_map_by_radical_and_character(call):
    figure, summary, matches, picked = call("/glyph_map", "radical", "", "锂")
    data = plotly_figure(figure)["data"]
    coloured = [tr for tr in data if tr["type"] == "scattergl" and tr["name"] != "searched characters"]
    assert sum(trace_points(tr) for tr in coloured) == N_GLYPHS
    assert any("金" in tr["name"] for tr in coloured)
    assert "锂" in summary and picked == "锂"
    assert matches.count("<figure") == 1 and "<b>锂</b> lithium" in matches


def test_glyph_map_by_word(call):
    figure, summary, matches, picked = call("/glyph_map", "definition contains the word", "water", "metal")
    names = [tr.get("name", "") for tr in plotly_figure(figure)["data"]]
    assert any("water" in n for n in names)
    assert "metal" in summary and 0 < matches.count("<figure") <= 24
    titles = re.findall(r'title="([^"]*)"', matches)
    assert titles and all(re.search(r"\bmetal\b", t, re.IGNORECASE) for t in titles)
    assert picked  # the first match is shown large


def test_glyph_map_pattern_characters_are_literal(call):
    _, summary, matches, picked = call("/glyph_map", "radical", "", ".*(")
    assert "<figure" not in matches and picked == "" and "0 definitions" in summary


def test_glyph_details_and_samples(call):
    image, details, numbers = call("/glyph_details", "锂")
    assert picture(image).shape == (64, 64) and "lithium" in details and "167" in details
    assert plotly_figure(numbers)["data"][0]["type"] == "heatmap"
    assert call("/glyph_details", "") == (None, "", None)
    cards, next_seed = call("/random_glyphs", 7)
    assert cards.count("<figure") == 12 and cards.count("data:image/png;base64,") == 12 and next_seed == 8


def test_noise_glyph_changes_with_t(call):
    first = call("/noise_glyph", "锂", 100, "cosine", 0)
    second = call("/noise_glyph", "锂", 800, "cosine", 0)
    x_a, eps_a, schedule_plot, dataset_plot, live = first[:5]
    caption = live["caption"]
    x_b, eps_b = second[:2]
    assert picture(x_a).shape == (64, 64)
    assert not np.array_equal(picture(x_a), picture(x_b))  # more noise
    assert np.array_equal(picture(eps_a), picture(eps_b))  # the same ε
    assert "t = 100" in caption
    layout = plotly_figure(dataset_plot)["layout"]
    assert layout["images"][0]["source"].startswith("data:image/jpeg;base64,")  # the noised cloud, as a bitmap
    data = plotly_figure(dataset_plot)["data"]
    assert not any(tr["type"] == "scattergl" for tr in data)
    picked = next(tr for tr in data if tr.get("name") == "x0")
    assert picked["text"][0] == "锂" and "明" in picked["text"]
    markers = [tr for tr in plotly_figure(schedule_plot)["data"] if tr.get("name") == "t"]
    assert markers and markers[0]["x"] == [100]


def test_noise_glyph_and_random_character(call):
    out = call("/noise_glyph", "明", 500, "linear", 2)
    assert len(out) == 7 and out[5]["type"] == "matplotlib"
    assert len(plotly_figure(out[6])["layout"]["images"]) == 12  # 6 steps x (points, density)
    char = call("/random_character")
    assert isinstance(char, str) and len(char) == 1
    assert call("/noise_glyph", char, 10, "cosine", 0)[4]["caption"].startswith("<strong>t = 10</strong>")


def test_score_field(call):
    figure, caption, learned, ray, comparison = call("/score_field", 250, "linear", 15)
    arrows = next(tr for tr in plotly_figure(figure)["data"] if tr.get("name") == "score")
    assert trace_points(arrows) == 15 * 15 * 6
    learned_arrows = next(tr for tr in plotly_figure(learned)["data"] if tr.get("name") == "score")
    assert trace_points(learned_arrows) == 15 * 15 * 6
    assert {tr["name"] for tr in plotly_figure(ray)["data"]} == {"exact", "learned"}
    assert "t = 250" in caption and "of the 225 arrow nodes" in comparison


def test_release_particles_streams_to_q0(client):
    job = client.submit(40, 10, "cosine", 1, api_name="/release_particles")
    final_frame, status, player = job.result(timeout=120)
    assert "arrived at ᾱ = 1" in status and "sample of q₀" in status
    assert len(job.outputs()) >= 2  # the frames were streamed step by step
    assert final_frame.startswith('<img class="particle-frame" src="data:image/jpeg;base64,')
    assert len(player["frames"]) == 11 and player["frames"][-1] in final_frame  # the player holds every frame
    assert player["captions"][-1] == "end: ᾱ = 1, after 10 steps"


def test_overview_chain(call):
    figure, caption = call("/overview_chain", "锂", 500, "cosine", 0)
    assert figure["type"] == "matplotlib" and figure["plot"].startswith("data:image/png")
    assert "lithium" in caption


@pytest.mark.parametrize(
    "api_name", ["/fit_gaussian_initial", "/glyph_map_initial", "/noise_glyph_initial",
                 "/score_field_initial", "/overview_chain_initial"],
)
def test_page_load_events(call, api_name):
    assert all(value is not None for value in call(api_name))


def test_light_events_answer_during_long_work(client, call):
    """A long particle run holds its own slot; the noising slider still answers meanwhile."""
    long_job = client.submit(1000, 200, "cosine", 0, api_name="/release_particles")
    deadline = time.monotonic() + 60
    while long_job.status().code.name not in ("PROCESSING", "ITERATING", "PROGRESS") and time.monotonic() < deadline:
        threading.Event().wait(0.05)  # poll the job's state, not a fixed sleep
    call("/noise_glyph", "锂", 300, "cosine", 0, timeout=60)
    assert not long_job.done(), "the light event waited for the long one"
    long_job.cancel()


# --------------------------------------------------------------------------------------
# Hostile calls
# --------------------------------------------------------------------------------------

LONG = "x" * 10_000
HOSTILE = [
    # tab 1
    ("/fit_gaussian", (0, 0, 100, 0), "σ must be between"),
    ("/fit_gaussian", (0, -1, 100, 0), "σ must be between"),
    ("/fit_gaussian", (0, 1, 1e9, 0), "n must be between"),
    ("/fit_gaussian", (0, 1, 1, 0), "n must be between"),
    ("/fit_gaussian", ("abc", 1, 100, 0), "μ must be a number"),
    ("/fit_gaussian", (None, 1, 100, 0), "μ must be a number"),
    ("/fit_gaussian", (0, 1, 100, -1), "seed must be between"),
    ("/fit_gaussian", (0, 1, 100, 1.5), "seed must be a whole number"),
    ("/draw_new_samples", (0, 1, 100, "../../etc/passwd"), "seed must be a number"),
    # tab 2
    ("/glyph_map", ("rainbow", "", ""), "colour by must be one of"),
    ("/glyph_map", ("radical", LONG, ""), "too long"),
    ("/glyph_map", ("radical", "", LONG), "too long"),
    ("/glyph_map", ("radical", "", ["锂"]), "must be text"),
    ("/glyph_map", (None, "", ""), "colour by must be one of"),
    ("/glyph_details", ("../../etc/passwd",), "exactly one Chinese character"),
    ("/glyph_details", (LONG,), "too long"),
    ("/glyph_details", ("x",), "not in the dataset"),
    ("/glyph_details", (5,), "must be text"),
    ("/glyph_details", ("<script>alert(1)</script>",), "exactly one Chinese character"),
    ("/random_glyphs", (-5,), "seed must be between"),
    ("/random_glyphs", ("abc",), "seed must be a number"),
    # tab 3
    ("/noise_glyph", ("锂", -5, "cosine", 0), "t must be between 0 and 999"),
    ("/noise_glyph", ("锂", 1e9, "cosine", 0), "t must be between 0 and 999"),
    ("/noise_glyph", ("锂", "abc", "cosine", 0), "t must be a number"),
    ("/noise_glyph", ("锂", None, "cosine", 0), "t must be a number"),
    ("/noise_glyph", ("锂", 12.5, "cosine", 0), "whole number"),
    ("/noise_glyph", ("锂", 100, "quadratic", 0), "schedule must be one of"),
    ("/noise_glyph", ("锂", 100, "cosine", 2**40), "seed must be between"),
    ("/noise_glyph", ("../../etc/passwd", 100, "cosine", 0), "exactly one Chinese character"),
    ("/noise_glyph", (LONG, 100, "cosine", 0), "too long"),
    ("/noise_glyph", (None, 100, "cosine", 0), "must be text"),
    ("/noise_glyph", ("", 100, "cosine", 0), "empty"),
    ("/noise_glyph", ("锂", 1000, "cosine", 0), "t must be between 0 and 999"),
    ("/noise_glyph", ("a", 100, "cosine", 0), "not in the dataset"),
    # tab 4
    ("/score_field", (-5, "cosine", 21), "t must be between 0 and 999"),
    ("/score_field", ("abc", "cosine", 21), "t must be a number"),
    ("/score_field", (100, None, 21), "schedule must be one of"),
    ("/score_field", (100, "cosine", 10_000), "arrows per side must be between"),
    ("/release_particles", (1e9, 40, "cosine", 0), "particles must be between"),
    ("/release_particles", (100, 0, "cosine", 0), "steps must be between"),
    ("/release_particles", (100, "abc", "cosine", 0), "steps must be a number"),
    ("/release_particles", (100, 40, "../../etc/passwd", 0), "schedule must be one of"),
    # tab 5
    ("/overview_chain", ("锂", 0, "cosine", 0), "t must be between 1 and 998"),
    ("/overview_chain", ("锂", 999, "cosine", 0), "t must be between 1 and 998"),
    ("/overview_chain", ("../../etc/passwd", 500, "cosine", 0), "exactly one Chinese character"),
    ("/overview_chain", ("锂", 500, "cosine", None), "seed must be a number"),
]


@pytest.mark.parametrize("api_name,args,message", HOSTILE, ids=[f"{a}-{i}" for i, (a, _, _) in enumerate(HOSTILE)])
def test_hostile_values_get_a_clear_error(call_error, api_name, args, message):
    text = call_error(api_name, *args, timeout=60)
    assert message in text
    assert "Traceback" not in text and "/work/" not in text and len(text) < 400
