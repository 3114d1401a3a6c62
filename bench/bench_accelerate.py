"""Glyphs/s of the training step: the plain loop against the Accelerate loop, and 2 processes against 1.

    python bench/bench_accelerate.py [--size base] [--batch-size 32] [--rounds 7] [--steps 10] [--launch-steps 40]

Part 1, one process: two trainers of the same run (``--engine plain`` and ``--engine accelerate``)
in this process, stepped in alternating rounds of ``--steps`` steps so that both see the same
load on a shared machine; prints each round's glyphs/s, min and median, and the overhead.

The rounds swing by 2x on a machine shared with other work, so part 1 also times what
Accelerate adds to a step on its own: its ``backward`` and optimiser ``step`` wrappers
around a one-parameter model, against the bare calls, in a tight alternating loop (µs per
step), and sets that against the step's median time.

Part 2: ``python -m glyffuser.train`` (1 process) against ``accelerate launch`` with 2 CPU
processes over gloo, the same global batch; glyphs/s is the median of the run's logged rates
after its first log row.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from glyffuser.train.distributed import Processes  # noqa: E402
from glyffuser.train.trainer import TrainConfig, Trainer  # noqa: E402


def rate_of(trainer: Trainer, steps: int) -> float:
    """Glyphs/s over ``steps`` training steps."""
    start = time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
    return steps * trainer.cfg.batch_size / (time.perf_counter() - start)


def one_process(args, folder: Path) -> dict:
    cfg = TrainConfig(out=str(folder), size=args.size, limit=args.limit, batch_size=args.batch_size, sample_every=0)
    trainers = {engine: Trainer(cfg, Processes(engine, "cpu")) for engine in ("plain", "accelerate")}
    for trainer in trainers.values():
        rate_of(trainer, 2)  # warm-up
    rates = {engine: [] for engine in trainers}
    for round_ in range(args.rounds):
        order = list(trainers) if round_ % 2 == 0 else list(reversed(trainers))
        for engine in order:
            rates[engine].append(rate_of(trainers[engine], args.steps))
        print(f"round {round_ + 1}: " + ", ".join(f"{e} {rates[e][-1]:.1f}" for e in trainers), flush=True)
    same = all(torch.equal(a, b) for a, b in zip(trainers["plain"].model.parameters(), trainers["accelerate"].model.parameters()))
    summary = {e: (min(r), statistics.median(r), max(r)) for e, r in rates.items()}
    for engine, (low, mid, high) in summary.items():
        print(f"{engine:>10}: glyphs/s min {low:.1f}, median {mid:.1f}, max {high:.1f}")
    ratio = summary["accelerate"][1] / summary["plain"][1]
    print(f"Accelerate / plain glyphs/s at one process: {ratio:.3f} (medians; below 1 is overhead); "
          f"same weights after the same steps: {same}")
    step_ms = 1e3 * args.batch_size / summary["plain"][1]
    for label, wrapped in (("the trainer's Accelerate engine", False), ("with Accelerate's optimiser wrapper", True)):
        cost = wrapper_cost_us(accelerate_optimizer=wrapped)
        print(f"{label} adds {cost:.1f} µs a step: {100 * cost / (1e3 * step_ms):.3f}% of a {step_ms:.0f} ms step")
    return summary


def wrapper_cost_us(reps: int = 3000, accelerate_optimizer: bool = False) -> float:
    """µs per step that the Accelerate engine adds to backward and the optimiser step (median of paired blocks).

    ``accelerate_optimizer``: with Accelerate's optimiser wrapper, which the trainer leaves out.
    """
    processes = Processes("accelerate", "cpu")
    model = torch.nn.Linear(1, 1)
    bare = torch.optim.SGD(model.parameters(), lr=0.0)
    _, wrapped = processes.prepare(model, torch.optim.SGD(model.parameters(), lr=0.0))
    if accelerate_optimizer:
        wrapped = processes.accelerator.prepare_optimizer(wrapped, device_placement=False)
    x = torch.ones(1, 1)

    def block(step, backward) -> float:
        start = time.perf_counter()
        for _ in range(100):
            loss = model(x).sum()
            backward(loss)
            step()
        return (time.perf_counter() - start) / 100

    extra = []
    for _ in range(reps // 100):
        plain = block(bare.step, lambda loss: loss.backward())
        accelerated = block(wrapped.step, processes.backward)
        extra.append(accelerated - plain)
    return 1e6 * statistics.median(extra)


def launched_rate(args, out: Path, processes: int) -> float:
    if processes == 1:
        launcher = [sys.executable, "-m", "glyffuser.train"]
    else:
        launcher = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(processes),
                    "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "glyffuser.train"]
    cmd = [*launcher, "--out", str(out), "--size", args.size, "--limit", str(args.limit), "--batch-size", str(args.batch_size),
           "--sample-every", "0", "--log-every", "5", "--threads", "1", "--max-steps", str(args.launch_steps)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    with open(out / "loss.csv") as handle:
        rates = [float(r["glyphs_per_s"]) for r in csv.DictReader(handle)][1:]
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="base")
    parser.add_argument("--limit", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--launch-steps", type=int, default=40)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        first = Path(tmp) / "one"
        print(f"== one process, {args.size} network, batch {args.batch_size}, {args.threads} thread(s)")
        one_process(args, first)
        print(f"== launched runs, {args.launch_steps} steps, 1 thread per process")
        rates = {}
        for processes in (1, 2):
            out = Path(tmp) / f"launch{processes}"
            out.mkdir()
            shutil.copy(first / "text_states.pt", out / "text_states.pt")
            rates[processes] = launched_rate(args, out, processes)
            print(f"{processes} process(es): {rates[processes]:.1f} glyphs/s", flush=True)
        print(f"2 processes / 1: {rates[2] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
