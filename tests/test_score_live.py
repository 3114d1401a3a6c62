"""Learning the map's score live: it finishes (its 20 s target is read by bench.bench_streams), and
is wrong where the article says it is.

One run of both trainings (fixed seeds, one thread), timed from start to end, then the
learned fields against the exact ones: at one small noise level the error away from the data
(where q_t at t = 20 is below 1% of its peak) is larger than near it; over all noise levels,
read at a large t, the error away from the data is small.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import SLOW_MACHINE_FACTOR

from glyffuser.distributions.score_live import ALL_LEVELS, ONE_LEVEL, LivePlan, exact_fields, learn_live, score_error
from tabs import resources
from tabs.score_live import ARROW_EXTENT, ARROWS, LARGE_T, SMALL_T

MAX_SECONDS = 20.0


@pytest.fixture(scope="module")
def run():
    points, h = resources.standard_map(), resources.map_bandwidth()
    abar = resources.schedule("cosine").alphas_cumprod.double().numpy()
    axis = np.linspace(-ARROW_EXTENT, ARROW_EXTENT, ARROWS)
    fields = exact_fields(points, h, {SMALL_T: float(abar[SMALL_T]), LARGE_T: float(abar[LARGE_T])}, axis,
                          float(abar[SMALL_T]))
    start, nets, frames = time.perf_counter(), {}, 0
    for frame in learn_live(points, h, fields[SMALL_T].abar, LivePlan()):
        frames += 1
        nets[frame.phase] = frame.net
        fields[SMALL_T if frame.phase == ONE_LEVEL else LARGE_T].errors(frame.net)  # as the page does each frame
    return time.perf_counter() - start, frames, nets, fields


def test_training_finishes_within_the_limit(run):
    seconds, frames, nets, _ = run
    assert frames == 2 * LivePlan().steps // LivePlan().report_every and set(nets) == {ONE_LEVEL, ALL_LEVELS}
    print(f"\nthe learned score trained in {seconds:.1f} s (target {MAX_SECONDS:g} s, on an idle machine)")
    assert seconds <= MAX_SECONDS * SLOW_MACHINE_FACTOR, f"{seconds:.1f} s"


def test_one_small_level_is_wrong_away_from_the_data_and_many_levels_are_right_at_large_t(run):
    _, _, nets, fields = run
    small, large = fields[SMALL_T], fields[LARGE_T]
    assert 0 < small.away.sum() < small.away.size  # both kinds of node on the grid
    near, away = small.median_errors(small.errors(nets[ONE_LEVEL])[1])
    assert away > 2 * near, (near, away)
    large_near, large_away = large.median_errors(large.errors(nets[ALL_LEVELS])[1])
    assert large_away < away / 3 and large_away < 0.15, (large_away, away)
    assert large_near < 0.15


def test_score_error_is_relative_with_the_median_as_floor():
    exact = np.array([[3.0, 4.0], [0.0, 0.0], [0.0, 1.0]])  # |s| = 5, 0, 1; median 1
    learned = np.array([[3.0, 4.0], [0.5, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(score_error(exact, learned), [0.0, 0.5, 1.0])


def test_learn_score_endpoint_streams_both_trainings_to_a_verdict(client):
    job = client.submit(api_name="/learn_score")
    outputs = job.result(timeout=180)
    statuses = [o[4] for o in job.outputs()]  # (4 figures, status, ...)
    assert any("one small noise level" in s for s in statuses) and any("all noise levels" in s for s in statuses)
    assert "Done in" in outputs[4] and "away from the data" in outputs[4]
    assert len(job.outputs()) == 2 * LivePlan().steps // LivePlan().report_every
