"""Identical requests share one computation (tabs/serving/shared_runs.py).

The threading rules are checked on a counting step generator (join mid-run, replay,
cancel when the last listener leaves, errors reach every listener, the byte budget);
then the app itself: two students asking for the same glyphs at once run the model once
and get the same pictures.
"""

from __future__ import annotations

import gc
import threading
import time
import weakref
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest

from tabs.serving import shared_runs
from tabs.serving.shared_runs import SharedCalls, SharedRuns


class CountingPipe:
    """A stand-in pipeline whose iter_steps yields (n, 4, 4) steps slowly and counts its runs."""

    def __init__(self, delay: float = 0.01, fail_at: int | None = None):
        self.runs, self.delay, self.fail_at = 0, delay, fail_at
        self.started = threading.Event()
        self.order, self.active, self.most_active = [], 0, 0

    def iter_steps(self, prompt, n=2, steps=10, seed=0):
        self.runs += 1
        self.order.append(seed)
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            for i in range(steps + 1):
                self.started.set()
                time.sleep(self.delay)
                if i == self.fail_at:
                    raise ValueError("broken step")
                yield SimpleNamespace(index=i, t=steps - 1 - i, x_t=np.full((n, 4, 4), i + seed, np.float32),
                                      pred_x0=np.zeros((n, 4, 4), np.float32))
        finally:
            self.active -= 1


def indices(steps) -> list[int]:
    return [s.index for s in steps]


def students_at_once(pipe: CountingPipe, count: int, read) -> dict:
    """``read()`` in ``count`` threads: the first starts the run, the others join it mid-way; their results by index."""
    results = {}

    def student(k):
        results[k] = read()

    threads = [threading.Thread(target=student, args=(k,)) for k in range(count)]
    threads[0].start()
    pipe.started.wait(5)
    for t in threads[1:]:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_concurrent_identical_requests_run_once():
    pipe, runs = CountingPipe(), SharedRuns()
    results = students_at_once(pipe, 6, lambda: list(runs.iter_steps(pipe, prompt="gold", n=2, steps=30)))
    assert pipe.runs == 1 and runs.stats["computed"] == 1 and runs.stats["joined"] == 5
    assert all(indices(r) == list(range(31)) for r in results.values())
    assert all(r[-1] is results[0][-1] for r in results.values())  # the same arrays, shared read-only
    assert not results[0][-1].x_t.flags.writeable


def test_finished_run_replays_and_different_requests_do_not_share():
    pipe, runs = CountingPipe(delay=0), SharedRuns()
    first = list(runs.iter_steps(pipe, prompt="gold", n=2, steps=5))
    again = list(runs.iter_steps(pipe, prompt="gold", n=2, steps=5))
    other = list(runs.iter_steps(pipe, prompt="gold", n=2, steps=5, seed=1))
    assert pipe.runs == 2 and runs.stats["replayed"] == 1
    assert [s.x_t for s in again] == [s.x_t for s in first] and other[-1].x_t[0, 0, 0] == 6


def test_last_listener_leaving_stops_the_run():
    pipe, runs = CountingPipe(delay=0.02), SharedRuns()
    steps = runs.iter_steps(pipe, prompt="gold", n=2, steps=200)
    next(steps)
    steps.close()  # the client went away
    deadline = time.monotonic() + 5
    while runs.stats["cancelled"] == 0 and time.monotonic() < deadline:
        threading.Event().wait(0.01)
    assert runs.stats["cancelled"] == 1 and runs.cached_bytes == 0
    assert indices(runs.iter_steps(pipe, prompt="gold", n=2, steps=3)) == [0, 1, 2, 3]


def test_one_listener_leaving_does_not_stop_the_others():
    pipe, runs = CountingPipe(delay=0.005), SharedRuns()
    leaver, stayer = runs.iter_steps(pipe, prompt="gold", steps=40), runs.iter_steps(pipe, prompt="gold", steps=40)
    next(leaver), next(stayer)
    leaver.close()
    assert indices(stayer)[-1] == 40 and pipe.runs == 1 and runs.stats["cancelled"] == 0


def test_an_error_reaches_every_listener_and_is_not_cached():
    pipe, runs = CountingPipe(fail_at=3), SharedRuns()
    with pytest.raises(ValueError, match="broken step"):
        list(runs.iter_steps(pipe, prompt="gold", steps=10))
    assert runs.cached_bytes == 0


def test_cache_is_bounded_by_bytes():
    pipe = CountingPipe(delay=0)
    run_bytes = 11 * 2 * 2 * 16 * 4  # 11 steps of two (2, 4, 4) float32 arrays
    runs = SharedRuns(cache_bytes=2 * run_bytes)
    for seed in range(4):
        list(runs.iter_steps(pipe, prompt="gold", steps=10, seed=seed))
    assert runs.cached_bytes == 2 * run_bytes
    list(runs.iter_steps(pipe, prompt="gold", steps=10, seed=3))  # the newest is kept
    list(runs.iter_steps(pipe, prompt="gold", steps=10, seed=0))  # the oldest was dropped
    assert runs.stats["replayed"] == 1 and pipe.runs == 5


def test_shared_calls_single_flight():
    calls, started = [], threading.Event()
    shared = SharedCalls(maxsize=2)

    def compute():
        calls.append(1)
        started.set()
        time.sleep(0.2)
        return object()

    results = []
    threads = [threading.Thread(target=lambda: results.append(shared(("k",), compute))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(calls) == 1 and len({id(r) for r in results}) == 1


def test_identical_samples_through_the_app_share_one_run(client, app_server):
    """Two students press Sample with the same settings at once: one model run, the same glyphs."""
    from gradio_client import Client

    args = ("insect", "ddim", 12, 3.0, 7, 4)
    before = dict(shared_runs.RUNS.stats)
    other = Client(app_server.url, verbose=False)
    try:
        jobs = [c.submit(*args, api_name="/sample") for c in (client, other)]
        finals = [job.result(timeout=300) for job in jobs]
    finally:
        other.close()
    stats = shared_runs.RUNS.stats
    assert stats["computed"] - before["computed"] == 1
    assert stats["joined"] + stats["replayed"] - before["joined"] - before["replayed"] == 1
    from PIL import Image

    pictures = [np.asarray(Image.open(final[0])) for final in finals]
    assert np.array_equal(pictures[0], pictures[1])
    assert all("Finished: 4 glyphs, 12 ddim steps" in final[1] for final in finals)


@pytest.mark.parametrize("slots", [1, 2])
def test_distinct_runs_compute_slots_at_a_time_in_arrival_order(slots):
    pipe, runs = CountingPipe(delay=0.01), SharedRuns(computing_at_once=slots)

    def student(seed):
        for _ in runs.iter_steps(pipe, prompt="gold", steps=15, seed=seed):
            pass

    threads = []
    for seed in range(6):
        threads.append(threading.Thread(target=student, args=(seed,)))
        threads[-1].start()
        deadline = time.monotonic() + 5
        while runs.stats["computed"] <= seed and time.monotonic() < deadline:
            threading.Event().wait(0.005)  # each asks after the previous one has
    for t in threads:
        t.join(30)
    assert pipe.most_active == slots
    if slots == 1:
        assert pipe.order == [0, 1, 2, 3, 4, 5]  # first come, first served
    else:
        assert sorted(pipe.order) == [0, 1, 2, 3, 4, 5] and set(pipe.order[:2]) == {0, 1}


def test_every_listener_and_a_replay_show_the_same_frames():
    pipe, runs = CountingPipe(delay=0.01), SharedRuns(frame_interval_s=0.05)
    results = students_at_once(
        pipe, 4, lambda: [(s.index, shown) for s, shown, _ in runs.iter_shown(pipe, prompt="gold", n=2, steps=40)])
    replayed = list(runs.iter_shown(pipe, prompt="gold", n=2, steps=40))
    replay = [(s.index, shown) for s, shown, _ in replayed]
    assert [behind for _, _, behind in replayed] == [True] * 40 + [False]  # all there at once: only the last is new
    assert pipe.runs == 1 and all(r == results[0] for r in results.values()) and replay == results[0]
    shown = [i for i, on in results[0] if on]
    assert shown[0] == 0 and shown[-1] == 40  # the first step and the finished one always
    assert 3 <= len(shown) <= 20  # 41 steps of 10 ms, one frame per 50 ms at most (and the last)


@dataclass(frozen=True)
class Step:
    """A stand-in for the pipeline's steps: frozen, holding arrays."""

    index: int
    x_t: np.ndarray | None = None


def test_a_picture_of_a_shared_step_is_drawn_once():
    pictures, drawn = shared_runs.SharedPictures(maxsize=2), []
    steps = [Step(i) for i in range(3)]

    def draw(step):
        drawn.append(step.index)
        return f"picture {step.index}"

    for _ in range(5):  # five students streaming the same step
        assert pictures(steps[0], "frame", lambda: draw(steps[0])) == "picture 0"
    assert drawn == [0] and pictures.stats == {"computed": 1, "shared": 4}
    pictures(steps[0], "player", lambda: draw(steps[0]))  # another kind is another picture
    pictures(steps[1], "frame", lambda: draw(steps[1]))
    pictures(steps[0], "frame", lambda: draw(steps[0]))  # evicted by the two newer ones: drawn again
    assert drawn == [0, 0, 1, 0]


def test_a_kept_picture_does_not_keep_its_step_alive():
    pictures, drawn = shared_runs.SharedPictures(), []
    step = Step(0, np.zeros((16, 64, 64), np.float32))
    assert pictures(step, "player", lambda: drawn.append(0) or "picture 0") == "picture 0"
    gone, old_id = weakref.ref(step), id(step)
    del step
    gc.collect()
    assert gone() is None  # the picture is kept, the step's arrays are not
    newer = Step(1, np.zeros(1, np.float32))
    key_clash = id(newer) == old_id  # CPython may reuse the id: the picture must still be drawn anew
    assert pictures(newer, "player", lambda: drawn.append(1) or "picture 1") == "picture 1"
    assert drawn == [0, 1], key_clash


def test_students_asking_for_a_picture_at_once_wait_for_one_drawing():
    pictures, drawn, step = shared_runs.SharedPictures(), [], Step(0)
    gate = threading.Event()

    def draw():
        drawn.append(1)
        gate.wait(5)  # a slow encoding: everyone else asks meanwhile
        return "picture"

    results = []
    threads = [threading.Thread(target=lambda: results.append(pictures(step, "frame", draw))) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    gate.set()
    for t in threads:
        t.join(10)
    assert drawn == [1] and results == ["picture"] * 8


def test_runs_start_in_the_order_asked_not_the_order_read():
    """A request takes its place when it joins, though it reads its first step later."""
    pipe, runs = CountingPipe(delay=0.005), SharedRuns(computing_at_once=1)
    places = [runs.join(pipe, prompt="gold", steps=5, seed=seed) for seed in (3, 1, 2)]
    for listening in reversed(places):  # read in the opposite order
        assert [s.index for s, _, _ in listening][-1] == 5
    assert pipe.order == [3, 1, 2]


def test_a_place_given_up_unread_cancels_its_run():
    pipe, runs = CountingPipe(delay=0.05), SharedRuns(computing_at_once=1)
    first = runs.join(pipe, prompt="gold", steps=100, seed=0)
    waiting = runs.join(pipe, prompt="gold", steps=5, seed=1)
    waiting.close()  # the student left before their run began
    assert [s.index for s, _, _ in first][-1] == 100
    assert pipe.order == [0] and runs.stats["cancelled"] == 1

