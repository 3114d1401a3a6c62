"""What a page shows when it opens: every tab's views at its defaults, computed once, sent in one event.

Every page opening the app asks for the same views. Before, each tab fired its own load event
and computed its view anew: fifteen events and 1.4 CPU-seconds of the server per page, so a
class of thirty opening the app took 40 CPU-seconds. Now each view is computed once (the
app's warm-up does it before the first page opens; a page asking meanwhile waits for the
one computation), its figures serialised once, and a page gets all of them from one event.

    on_load(fn, outputs, api_name)   a tab's view: ``fn()`` fills ``outputs`` when the page opens;
                                     ``/api_name`` gives it alone (an API-only event)
    per_page(fn, outputs, name, js)  what depends on the page's own request: ``fn(request)`` fills
                                     ``outputs`` after the views, then ``js`` runs in the browser
    opening_event()                  the one event a page fires when it opens, of the views (and the
                                     per-page values) registered while the page was built
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


class PerPage(NamedTuple):
    name: str
    fill: Callable[[gr.Request | None], Sequence]  # the outputs' values for this page's request
    outputs: list
    js: str | None  # run in the browser once the opening event's values are in, given js_inputs' values
    js_inputs: list


_pending: list[View] = []  # registered while a page is built, until its opening event takes them
_pending_per_page: list[PerPage] = []
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


def per_page(fn: Callable[[gr.Request | None], Sequence], outputs: Sequence[gr.components.Component], name: str,
             js: str | None = None, js_inputs: Sequence[gr.components.Component] = ()) -> None:
    """Fill ``outputs`` with ``fn(request)`` in the page's opening event, after the views.

    For what depends on the page's own request (its address): ``fn`` runs for every page, so it
    must be quick. A value other than ``gr.skip()`` replaces a view's value for the same
    component. ``js``, if given, runs in the browser once the event's values are in, with the
    values of ``js_inputs`` (a ``.then`` of the opening event).
    """
    _pending_per_page.append(PerPage(name, fn, list(outputs), js, list(js_inputs)))


_FAILED = object()


def _reported(name: str, compute: Callable[[], object]):
    """``compute()``, or ``_FAILED`` with a warning on the page if it fails (the opening goes on)."""
    try:
        return compute()
    except Exception as err:  # noqa: BLE001 - reported on the page; the other views still open
        if not isinstance(err, gr.Error):
            log.exception("the opening view %s failed", name)
        gr.Warning(str(err) if isinstance(err, gr.Error) else f"{name} failed ({type(err).__name__}).")
        return _FAILED


def _skipped(value) -> bool:
    return isinstance(value, dict) and value == gr.skip()


def opening_event() -> None:
    """Wire the event a page fires when it opens: every registered view's outputs, from the views' cache,
    then the per-page values (:func:`per_page`).

    A component filled by two views gets the later one's value. A view that fails leaves its
    outputs as they are and shows its message as a warning; the others still fill theirs.
    """
    views, pages = list(_pending), list(_pending_per_page)
    _pending.clear()
    _pending_per_page.clear()
    _built[:] = views
    outputs = []
    for part in [*views, *pages]:
        outputs += [c for c in part.outputs if all(c is not o for o in outputs)]
    position = {id(c): k for k, c in enumerate(outputs)}

    def fill(request: gr.Request):
        values = [gr.skip()] * len(outputs)
        for part in [*views, *pages]:
            result = _reported(part.name, part.compute if isinstance(part, View) else lambda: part.fill(request))
            if result is _FAILED:
                continue
            for component, value in zip(part.outputs, [result] if len(part.outputs) == 1 else result):
                if isinstance(part, View) or not _skipped(value):
                    values[position[id(component)]] = value
        return values

    event = gr.on(triggers=None, fn=fill, inputs=None, outputs=outputs, api_name="opening",
                  api_visibility="undocumented", show_progress="minimal")
    for page in pages:
        if page.js:
            event = event.then(None, inputs=page.js_inputs, outputs=None, js=page.js)


def warm_up() -> None:
    """Compute every view of the page built last, so the first page to open gets them at once."""
    for view in list(_built):
        view.compute()
