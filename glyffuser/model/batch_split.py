"""Running one batch as halves on the CPU's cores, one torch thread per half.

On a 2-core CPU a 16-glyph pass of this small U-Net is mostly short operations: with
two intra-op threads each operation is split and the threads wait on each other at
its end. Two worker threads that each run half of the batch on one torch thread share
nothing; with the model as a TorchScript graph (:mod:`glyffuser.model.traced`), which runs
without the interpreter lock, the halves are 1.08-1.10x faster than the graph on two
intra-op threads over three runs of ``bench/bench_sampling.py`` (the eager model's
halves share its Python, a fifth of each pass, and gain 1.0-1.2x).

All model calls go through one process-wide pool of :data:`WORKERS` threads, so
concurrent requests queue for the cores instead of oversubscribing them. Each
half keeps its own text cache (:class:`glyffuser.model.text_cache.TextFixedModel`), so
prompts that differ between the halves never share cached keys and values.
Results equal one whole-batch call up to float rounding.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import torch

from glyffuser.model.text_cache import TextFixedModel

# More Python threads than cores contend for the interpreter lock; two halves suit
# the 2-core machines the explorer runs on.
WORKERS = max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


# Workers run at a lower priority (a higher nice value, per thread on Linux): the network
# keeps both cores while nothing else wants them, and a light request (a slider on a data
# tab, the server streaming frames) is not kept waiting behind a sampling run.
WORKER_NICENESS = 10


def _start_worker(threads: int) -> None:
    torch.set_num_threads(threads)
    if hasattr(os, "setpriority") and hasattr(threading, "get_native_id"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)
        except OSError:  # not allowed here: run at the normal priority
            pass


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    """The halves' threads: one torch thread each."""
    return ThreadPoolExecutor(WORKERS, thread_name_prefix="glyffuser-half", initializer=_start_worker, initargs=(1,))


@lru_cache(maxsize=1)
def _whole_pool() -> ThreadPoolExecutor:
    """One thread for whole batches, on all the cores: the same threads for every request, so the
    arithmetic (and so the result, to the bit) does not depend on which server thread asked."""
    return ThreadPoolExecutor(1, thread_name_prefix="glyffuser-whole", initializer=_start_worker, initargs=(WORKERS,))


def _run(part: TextFixedModel, inference: bool, args: tuple, kwargs: dict) -> torch.Tensor:
    with torch.inference_mode(inference), torch.no_grad():  # as on the calling thread (modes are per thread)
        return part(*args, **kwargs)


class SplitBatchModel:
    """A model wrapper for one sampling run: the batch split into halves run side by side.

    Call it like the model, ``(x, t, text, mask, **kwargs) -> v``; every tensor argument
    with the batch's leading size is split. ``workers=1`` and batches of one run whole on
    one pool thread with a torch thread per core; calls with gradients enabled run whole on
    the calling thread.
    """

    def __init__(self, model, workers: int = WORKERS):
        self.model = model
        self.config = model.config
        self.workers = workers
        self._parts: dict[tuple[int, int], TextFixedModel] = {}  # (start, stop) -> that slice's text cache

    def _part(self, span: tuple[int, int]) -> TextFixedModel:
        if span not in self._parts:
            self._parts[span] = TextFixedModel(self.model)
        return self._parts[span]

    def __call__(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        batch = len(x)
        if torch.is_grad_enabled():
            return self._part((0, batch))(x, *args, **kwargs)
        inference = torch.is_inference_mode_enabled()
        if self.workers < 2 or batch < 2:
            return _whole_pool().submit(_run, self._part((0, batch)), inference, (x, *args), kwargs).result()
        bounds = [round(i * batch / self.workers) for i in range(self.workers + 1)]
        spans = [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]

        def cut(value, a, b):
            return value[a:b] if isinstance(value, torch.Tensor) and value.ndim and len(value) == batch else value

        jobs = [
            _pool().submit(_run, self._part((a, b)), inference, tuple(cut(v, a, b) for v in (x, *args)),
                           {k: cut(v, a, b) for k, v in kwargs.items()})
            for a, b in spans
        ]
        return torch.cat([job.result() for job in jobs])


def fastest_workers(model, inputs: tuple, kwargs: dict, repeats: int = 3) -> int:
    """:data:`WORKERS` or 1, whichever runs this batch faster on this machine.

    The halves win on some CPUs and lose on others (1.08-1.10x faster on an Intel VM,
    1.6x slower on an AMD EPYC VM), so the choice is measured, not assumed: one warm-up
    call of each, then the minimum of ``repeats`` alternating timed calls.

    Args:
        model: the network, as :class:`SplitBatchModel` wraps it.
        inputs: ``(x, t, text, mask)`` of a typical batch: (B, 1, S, S), (B,), (B, L, D), (B, L).
        kwargs: the further keyword arguments of a call (``guidance``).
    """
    if WORKERS < 2 or len(inputs[0]) < 2:
        return 1
    candidates = {workers: SplitBatchModel(model, workers) for workers in (WORKERS, 1)}
    best = dict.fromkeys(candidates, float("inf"))
    with torch.inference_mode():
        for wrapped in candidates.values():
            wrapped(*inputs, **kwargs)
        for _ in range(repeats):
            for workers, wrapped in candidates.items():
                start = time.perf_counter()
                wrapped(*inputs, **kwargs)
                best[workers] = min(best[workers], time.perf_counter() - start)
    return min(best, key=best.get)
