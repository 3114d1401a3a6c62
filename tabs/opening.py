"""What a page shows when it opens: every tab's views at its defaults, computed once, sent in one event.

Every page opening the app asks for the same views. Before, each tab fired its own load event
and computed its view anew: fifteen events and 1.4 CPU-seconds of the server per page, so a
class of thirty opening the app took 40 CPU-seconds. Now each view is computed once (the
app's warm-up does it before the first page opens; a page asking meanwhile waits for the
one computation), its figures serialised once, and a page gets all of them from one event.

    on_load(fn, outputs, api_name)   a tab's view: ``fn()`` fills ``outputs`` when the page opens;
                                     ``/api_name`` gives it alone (an API-only event)
    opening_event()                  the one event a page fires when it opens, of the views registered
                                     while the page was built
    warm_up()                        compute the views of the page built last
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import NamedTuple

import gradio as gr

log = logging.getLogger(__name__)


class View(NamedTuple):
    name: str
    compute: Callable[[], object]  # the outputs' values (one value for one output), computed once
    outputs: list


_pending: list[View] = []  # registered while a page is built, until its opening event takes them
_built: list[View] = []  # the views of the page built last


def shared_view(fn: Callable, outputs: Sequence[gr.components.Component], name: str) -> Callable[[], object]:
    """``fn()`` computed once for every caller (single flight; a failure is not kept), with the
    values of ``gr.Plot`` outputs serialised once (their PNG or JSON)."""
    from tabs.serving import shared_runs

    outputs = list(outputs)

    def compute():
        values = fn()
        single = len(outputs) == 1
        values = [values] if single else list(values)
        values = [component.postprocess(value) if isinstance(component, gr.Plot) and value is not None else value
                  for component, value in zip(outputs, values)]
        return values[0] if single else tuple(values)

    return lambda: shared_runs.OPENING((name,), compute)


def on_load(fn: Callable, outputs: Sequence[gr.components.Component], api_name: str, **options) -> None:
    """Fill ``outputs`` with ``fn()`` (the tab's view at its defaults) when the page opens.

    The view joins the page's one opening event (:func:`opening_event`); ``/api_name`` also
    gives it alone, an API-only event kept out of the API page unless ``options`` say otherwise
    (``gr.on``'s options).
    """
    outputs = list(outputs)
    view = shared_view(fn, outputs, api_name)
    _pending.append(View(api_name, view, outputs))
    options = {"api_visibility": "undocumented", "show_progress": "hidden", **options}
    gr.on(triggers=[], fn=view, inputs=None, outputs=outputs, api_name=api_name, **options)


def opening_event() -> None:
    """Wire the event a page fires when it opens: every registered view's outputs, from the views' cache.

    A component filled by two views gets the later one's value. A view that fails leaves its
    outputs as they are and shows its message as a warning; the others still fill theirs.
    """
    views = list(_pending)
    _pending.clear()
    _built[:] = views
    outputs = []
    for view in views:
        outputs += [c for c in view.outputs if all(c is not o for o in outputs)]
    position = {id(c): k for k, c in enumerate(outputs)}

    def fill():
        values = [gr.skip()] * len(outputs)
        for view in views:
            try:
                result = view.compute()
            except Exception as err:  # noqa: BLE001 - reported on the page; the other views still open
                if not isinstance(err, gr.Error):
                    log.exception("the opening view %s failed", view.name)
                gr.Warning(str(err) if isinstance(err, gr.Error) else f"{view.name} failed ({type(err).__name__}).")
                continue
            for component, value in zip(view.outputs, [result] if len(view.outputs) == 1 else result):
                values[position[id(component)]] = value
        return values

    gr.on(triggers=None, fn=fill, inputs=None, outputs=outputs, api_name="opening", api_visibility="undocumented",
          show_progress="minimal")


def warm_up() -> None:
    """Compute every view of the page built last, so the first page to open gets them at once."""
    for view in list(_built):
        view.compute()
