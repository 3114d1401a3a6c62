"""What a page shows: every tab's views at its defaults, computed once, sent when the tab first opens.

Every page opening the app asks for the same views. Before, each tab fired its own load event
and computed its view anew: fifteen events and 1.4 CPU-seconds of the server per page, so a
class of thirty opening the app took 40 CPU-seconds, and every page received all tabs' views,
about 5 MB. Now each view is computed once (the app's warm-up does it before the first page
opens; a page asking meanwhile waits for the one computation), its figures serialised once; a
page gets the first tab's views when it opens and each other tab's the first time it is shown
(a click on the tab, a link button or a deep link), from the cache.

    on_load(fn, outputs, api_name)   a tab's view: ``fn()`` fills ``outputs`` when the tab is first shown;
                                     ``/api_name`` gives it alone (an API-only event)
    opening_event(tabs)              wire the page's events for the views registered while it was built;
                                     returns the :class:`Showing` that link buttons and deep links chain to
    warm_up()                        compute the views of the page built last
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import NamedTuple

import gradio as gr
from gradio.context import Context

log = logging.getLogger(__name__)


class View(NamedTuple):
    name: str
    compute: Callable[[], object]  # the outputs' values (one value for one output), computed once
    outputs: list
    tab: str | None  # the id of the tab it shows in (None: outside any tab)


_pending: list[View] = []  # registered while a page is built, until its opening event takes them
_built: list[View] = []  # the views of the page built last


def shared_view(fn: Callable, outputs: Sequence[gr.components.Component], name: str) -> Callable[[], object]:
    """``fn()`` computed once for every caller (single flight; a failure is not kept), with the
    values of ``gr.Plot`` outputs serialised once (their PNG or JSON)."""
    from tabs import shared_runs

    outputs = list(outputs)

    def compute():
        values = fn()
        single = len(outputs) == 1
        values = [values] if single else list(values)
        values = [component.postprocess(value) if isinstance(component, gr.Plot) and value is not None else value
                  for component, value in zip(outputs, values)]
        return values[0] if single else tuple(values)

    return lambda: shared_runs.OPENING((name,), compute)


def _enclosing_tab() -> str | None:
    """The id of the ``gr.Tab`` being built, if any."""
    block = Context.block
    while block is not None and not isinstance(block, gr.Tab):
        block = block.parent
    return None if block is None else block.id


def on_load(fn: Callable, outputs: Sequence[gr.components.Component], api_name: str, **options) -> None:
    """Fill ``outputs`` with ``fn()`` (the tab's view at its defaults) the first time the tab is shown.

    Call it inside the tab's ``with gr.Tab(...)``. ``/api_name`` also gives the view alone, an
    API-only event kept out of the API page unless ``options`` say otherwise (``gr.on``'s options).
    """
    outputs = list(outputs)
    view = shared_view(fn, outputs, api_name)
    _pending.append(View(api_name, view, outputs, _enclosing_tab()))
    options = {"api_visibility": "undocumented", "show_progress": "hidden", **options}
    gr.on(triggers=[], fn=view, inputs=None, outputs=outputs, api_name=api_name, **options)


def _distinct(components: list) -> list:
    kept = []
    for component in components:
        if all(component is not other for other in kept):
            kept.append(component)
    return kept


def _fill(views: list[View], outputs: list) -> list:
    """The values of ``outputs`` from ``views`` (a later view's value wins); ``gr.skip()`` for the rest.

    A view that fails leaves its outputs as they are and shows its message as a warning.
    """
    position = {id(c): k for k, c in enumerate(outputs)}
    values = [gr.skip()] * len(outputs)
    for view in views:
        try:
            result = view.compute()
        except Exception as err:  # noqa: BLE001 - reported on the page; the other views still show
            if not isinstance(err, gr.Error):
                log.exception("the view %s failed", view.name)
            gr.Warning(str(err) if isinstance(err, gr.Error) else f"{view.name} failed ({type(err).__name__}).")
            continue
        for component, value in zip(view.outputs, [result] if len(view.outputs) == 1 else result):
            values[position[id(component)]] = value
    return values


class Showing:
    """The views of the tabs after the first, sent to a page the first time it shows each tab.

    ``shown`` (per page) holds the ids of the tabs whose views the page has; :meth:`show` gives
    a tab's views (for ``outputs``, then ``shown``) if the page lacks them, and :meth:`event` the
    arguments of an event that sends them (``.then(**showing.event(tab_id))``).
    """

    def __init__(self, views: list[View], shown: gr.State):
        self.views = views
        self.shown = shown
        self.outputs = _distinct([c for view in views for c in view.outputs])

    def show(self, tab_id, shown) -> list:
        """The outputs' values for tab ``tab_id`` (``gr.skip()`` where it has none or the page has them), and ``shown``."""
        shown = frozenset(shown or ())
        views = [v for v in self.views if v.tab == tab_id]
        if tab_id in shown or not views:
            return [gr.skip()] * (len(self.outputs) + 1)
        return [*_fill(views, self.outputs), shown | {tab_id}]

    def event(self, tab_id: str) -> dict:
        return dict(fn=lambda shown: self.show(tab_id, shown), inputs=[self.shown], outputs=[*self.outputs, self.shown],
                    api_visibility="private", show_progress="hidden")


def opening_event(tabs: gr.Tabs) -> Showing:
    """Wire what a page is sent: the first tab's views (and any outside a tab) when it opens, in one
    event (``/opening``); each other tab's when the student first selects it (``/show_<tab id>``).

    Returns the :class:`Showing` that switches of tab made by the server (link buttons, deep
    links) chain to, since a tab's ``select`` fires only for a student's click.
    """
    views = list(_pending)
    _pending.clear()
    _built[:] = views
    children = [t for t in tabs.children if isinstance(t, gr.Tab)]
    first = tabs.selected if tabs.selected is not None else (children[0].id if children else None)
    at_open = [v for v in views if v.tab in (None, first)]
    shown = gr.State(frozenset())
    open_outputs = _distinct([c for view in at_open for c in view.outputs])
    gr.on(triggers=None, fn=lambda: [*_fill(at_open, open_outputs), frozenset({first})], inputs=None,
          outputs=[*open_outputs, shown], api_name="opening", api_visibility="undocumented", show_progress="minimal")
    showing = Showing([v for v in views if v not in at_open], shown)
    for tab in children:
        if any(v.tab == tab.id for v in showing.views):
            tab.select(**{**showing.event(tab.id), "api_name": f"show_{tab.id}".replace("-", "_"),
                          "api_visibility": "undocumented"})
    return showing


def warm_up() -> None:
    """Compute every view of the page built last, so the first page to open gets them at once."""
    for view in list(_built):
        view.compute()
