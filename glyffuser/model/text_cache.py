"""Computing the text's share of the U-Net once per sampling run, not once per step.

During sampling the prompt is fixed, so every cross-attention layer's keys and values
(``to_k``, ``to_v`` of the text tokens) and the pooled text embedding added to the
timestep embedding are the same at every step. :func:`install` makes those modules
remember their output while a call goes through :class:`TextFixedModel` (each run has
its own store, set only for the duration of one model call on the calling thread, so
runs that interleave, also across threads, never see each other's text); any other
call computes as usual.
Results are bit-identical; parameter names do not change.
"""

from __future__ import annotations

import contextlib
import threading

from torch import nn

_local = threading.local()


def _remembering(module: nn.Module):
    compute = module.forward

    def forward(x):
        store = getattr(_local, "store", None)
        if store is None:
            return compute(x)
        key = (id(module), tuple(x.shape))
        if key not in store:
            store[key] = compute(x)
        return store[key]

    return forward


def install(unet: nn.Module) -> int:
    """Make the text-only modules of a diffusers U-Net cacheable; returns how many."""
    count = 0
    targets = [m for m in unet.modules() if getattr(m, "is_cross_attention", False)]
    modules = [t.to_k for t in targets] + [t.to_v for t in targets]
    if getattr(unet, "add_embedding", None) is not None:
        modules.append(unet.add_embedding)
    for module in modules:
        if not getattr(module, "_text_cache", False):
            module.forward = _remembering(module)
            module._text_cache = True
            count += 1
    return count


@contextlib.contextmanager
def _using(store: dict):
    previous = getattr(_local, "store", None)
    _local.store = store
    try:
        yield
    finally:
        _local.store = previous


def paused():
    """A block in which the text modules compute as usual, also inside a run (e.g. while recording a graph)."""
    return _using(None)


class TextFixedModel:
    """A model wrapper for one sampling run whose text does not change between calls."""

    def __init__(self, model: nn.Module):
        self.model = model
        self.config = model.config
        self._store: dict = {}

    def __call__(self, *args, **kwargs):
        with _using(self._store):
            return self.model(*args, **kwargs)
