"""Speed of the Score field tab's two streams: ``python -m bench.bench_streams``.

* Particles (``ScoreTab.release_particles`` at the tab's defaults, exactly as the page runs
  it): frames yielded per second, paced as on the page, and the server's own work per frame
  with the pacing off. The target is at least 5 frames per second; the browser's own rate
  (frames painted per second) is printed by ``pytest -s tests/test_tab34_browser.py -k particles``.
* The learned score (``LiveScore.learn``, both phases and every streamed figure): seconds
  to the end. The target is at most 20 s.

Tests only guard these against a hang (``tests/conftest.py``: SLOW_MACHINE_FACTOR); this
script is where the targets are read, on an idle machine. Run from the repository root.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch

from tabs import resources
from tabs import score as score_tab
from tabs.score import PARTICLE_DEFAULTS, ScoreTab
from tabs.score_live import LiveScore

PARTICLE_FPS_TARGET = 5.0
LEARN_SECONDS_TARGET = 20.0


def particle_run(paced: bool) -> tuple[int, float]:
    """(frames, seconds from the first frame to the last) of one particle run at the defaults."""
    interval = score_tab.FRAME_INTERVAL_S
    score_tab.FRAME_INTERVAL_S = interval if paced else 0.0
    try:
        times = [time.perf_counter() for _ in ScoreTab(resources).release_particles(*PARTICLE_DEFAULTS)]
    finally:
        score_tab.FRAME_INTERVAL_S = interval
    return len(times), times[-1] - times[0]


def learn_seconds() -> float:
    start = time.perf_counter()
    for _ in LiveScore(resources).learn():
        pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each; the median is reported")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), {time.strftime('%Y-%m-%d')}")
    particle_run(paced=False)  # warm-up: the map, its bandwidth, the schedule, the imports

    for paced in (False, True):
        runs = [particle_run(paced) for _ in range(args.runs)]
        frames = runs[0][0]
        seconds = statistics.median(s for _, s in runs)
        rate = (frames - 1) / seconds
        what = "paced as on the page" if paced else "server work alone  "
        print(f"particles, {what}: {frames} frames, {rate:5.1f} frames/s ({1000 * seconds / (frames - 1):.0f} ms "
              f"a frame){f'  target >= {PARTICLE_FPS_TARGET:g}' if paced else ''}")

    learn_seconds()  # warm-up
    seconds = statistics.median(learn_seconds() for _ in range(args.runs))
    print(f"learned score, both phases streamed: {seconds:.1f} s  target <= {LEARN_SECONDS_TARGET:g}")


if __name__ == "__main__":
    main()
