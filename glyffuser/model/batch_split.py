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


def _start_worker() -> None:
    torch.set_num_threads(1)
    if hasattr(os, "setpriority") and hasattr(threading, "get_native_id"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)
        except OSError:  # not allowed here: run at the normal priority
            pass


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(WORKERS, thread_name_prefix="glyffuser-half", initializer=_start_worker)


def _run(part: TextFixedModel, inference: bool, args: tuple, kwargs: dict) -> torch.Tensor:
    with torch.inference_mode(inference), torch.no_grad():  # as on the calling thread (modes are per thread)
        return part(*args, **kwargs)


class SplitBatchModel:
    """A model wrapper for one sampling run: the batch split into halves run side by side.

    Call it like the model, ``(x, t, text, mask, **kwargs) -> v``; every tensor argument
    with the batch's leading size is split. Calls with gradients enabled, or batches
    of one, run whole on the calling thread.
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
        if self.workers < 2 or batch < 2 or torch.is_grad_enabled():
            return self._part((0, batch))(x, *args, **kwargs)
        bounds = [round(i * batch / self.workers) for i in range(self.workers + 1)]
        spans = [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
        inference = torch.is_inference_mode_enabled()

        def cut(value, a, b):
            return value[a:b] if isinstance(value, torch.Tensor) and value.ndim and len(value) == batch else value

        jobs = [
            _pool().submit(_run, self._part((a, b)), inference, tuple(cut(v, a, b) for v in (x, *args)),
                           {k: cut(v, a, b) for k, v in kwargs.items()})
            for a, b in spans
        ]
        return torch.cat([job.result() for job in jobs])
