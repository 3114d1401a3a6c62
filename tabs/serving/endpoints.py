"""The app's events made safe for a crowd, after the tabs have been built.

Gradio creates some events the tabs never name: ``gr.Examples`` adds a "fill" event that
copies an example into the inputs (``*_fill``, ``*_example``), and, with
``run_on_click=True``, a ``.then()`` step that runs the tab's function (``*_1``, ``*_2``),
with Gradio's preprocessing on. :func:`tighten` walks every event of the Blocks once:

* every event whose function is :func:`tabs.validate.guarded` gets ``preprocess=False``,
  so it receives the raw JSON values its checks expect (a component's own preprocessing
  would fail first with a bare "Error" and a traceback);
* the examples' own events become private: the page still runs them (by index), but they
  are not in the API and ``gradio_client`` does not offer them; their example index is
  checked, so a bad one gets a message instead of a traceback;
* every event runs through the queue, so ``/gradio_api/run/<name>`` (which ``api_open=False``
  closes for queued events) cannot run one beside the queue and its concurrency limits.
"""

from __future__ import annotations

import functools

import gradio as gr

from tabs import validate


def is_guarded(fn) -> bool:
    """Whether ``fn`` (a function or bound method) is wrapped by :func:`tabs.validate.guarded`."""
    return bool(getattr(fn, "__guarded__", False))


def is_examples_fill(fn) -> bool:
    """Whether ``fn`` is the function gr.Examples registers to copy an example into the inputs."""
    return fn is not None and getattr(fn, "__qualname__", "").startswith("Examples.")


def example_events(demo: gr.Blocks) -> set:
    """The ids of the events gr.Examples made: the fill events and every step chained after one."""
    found = {i for i, block_fn in demo.fns.items() if is_examples_fill(block_fn.fn)}
    grew = True
    while grew:
        chained = {i for i, block_fn in demo.fns.items() if block_fn.trigger_after in found} - found
        found |= chained
        grew = bool(chained)
    return found


def checked_example_loader(load_example, dataset):
    """``load_example`` taking the raw example index, refused with a message unless it is one of the examples.

    Gradio's own preprocessing (the Dataset's ``(index, sample)`` tuple) fails on a bad index with a
    bare "Error"; this does the same preprocessing after checking the index.
    """

    @functools.wraps(load_example)
    def load(index):
        count = len(dataset.raw_samples)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            raise validate.fail(f"example must be a whole number from 0 to {count - 1}, got {validate.describe(index)}.")
        return load_example((index, dataset.raw_samples[index]))

    return load


def examples_dataset(block_fn):
    """The gr.Dataset of a gr.Examples fill event, or None."""
    inputs = block_fn.inputs
    if len(inputs) == 1 and isinstance(inputs[0], gr.Dataset):
        return inputs[0]
    return None


def tighten(demo: gr.Blocks) -> dict:
    """Apply the rules of this module to every event of ``demo`` (call before launch).

    Returns:
        Counts of what changed: {"raw": n, "private": n, "queued": n}.
    """
    counts = {"raw": 0, "private": 0, "queued": 0}
    from_examples = example_events(demo)
    for i, block_fn in demo.fns.items():
        fn = block_fn.fn
        if is_guarded(fn) and block_fn.preprocess:
            block_fn.preprocess = False
            counts["raw"] += 1
        if i in from_examples and block_fn.api_visibility != "private":
            block_fn.api_visibility = "private"
            counts["private"] += 1
            dataset = examples_dataset(block_fn)
            if is_examples_fill(fn) and dataset is not None:
                block_fn.fn = checked_example_loader(fn, dataset)
                block_fn.preprocess = False
        if fn is not None and not block_fn.queue:
            block_fn.queue = True
            counts["queued"] += 1
    return counts


def own_slots(demo: gr.Blocks, api_names: set[str], concurrency_id: str, limit: int) -> int:
    """Give the events named ``api_names`` their own concurrency group of ``limit`` slots; returns how many.

    The sampling events wait on :mod:`tabs.serving.shared_runs` for the model (which computes two
    distinct runs at a time, in arrival order), so they need not hold the model's two slots:
    students asking for the same glyphs then all stream the one run at once.
    """
    moved = 0
    for block_fn in demo.fns.values():
        if block_fn.api_name in api_names:
            block_fn.concurrency_id, block_fn.concurrency_limit = concurrency_id, limit
            moved += 1
    return moved
