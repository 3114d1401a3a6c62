"""Speed of the Sampling tab's side-by-side view: ``python -m bench.bench_compare``.

Times, on this machine, one run of 16 glyphs x 120 DPM-Solver++ steps at w = 3 (the
tab's default), then the comparison view (tabs/compare.py, exactly as the page runs it)
with four columns of 16 glyphs x 120 steps: four prompts (one batch of 64) and four
guidance scales (four runs in turn, in step). For each it prints the wall time, its
ratio to the single run, and how often a new frame of the columns reached the page
(frames streamed per second; every frame holds all four columns), beside the issue's
targets: finish within 4x a single run, stream at least 5 frames per second.
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from tabs import model_common, resources
from tabs.compare import CompareView


def single_run(steps: int, n: int) -> float:
    pipe = model_common.pipeline(resources)
    start = time.perf_counter()
    for _ in pipe.iter_steps("water", n=n, steps=steps, guidance=3.0, seed=0, sampler="dpm"):
        pass
    return time.perf_counter() - start


def comparison(vary: str, values: str, steps: int, n: int) -> tuple[float, int, int]:
    """(seconds, frames streamed to the page, frames in the player at the end)."""
    view = CompareView(resources)
    start = time.perf_counter()
    streamed, last_count = 0, 0
    for player, _, _ in view.run(vary, values, "water", "dpm", steps, 3.0, 0, n):
        if len(player["frames"]) > last_count:
            streamed += 1
            last_count = len(player["frames"])
    return time.perf_counter() - start, streamed, last_count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--glyphs", type=int, default=16)
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{args.glyphs} glyphs x {args.steps} steps per column")
    single_run(2, args.glyphs)  # load and trace the model once
    single = single_run(args.steps, args.glyphs)
    print(f"single run: {single:.1f} s ({args.steps / single:.2f} steps/s)")
    for vary, values in (("prompt", "water, fire, gold, tree"), ("guidance w", "0, 1, 3, 5")):
        seconds, streamed, kept = comparison(vary, values, args.steps, args.glyphs)
        print(f"four columns by {vary}: {seconds:.1f} s = {seconds / single:.2f}x the single run (target <= 4x); "
              f"{streamed} frames streamed, {streamed / seconds:.2f} frames/s per column (target >= 5), "
              f"{kept} frames in the player; {args.steps / seconds:.2f} steps/s per column")


if __name__ == "__main__":
    main()
