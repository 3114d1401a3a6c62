"""Deep links: the page address carries the open tab and its settings, for a teacher to hand out.

``?tab=sampling&prompt=fire&seed=3&guidance=3`` opens the Sampling tab with those settings.
When the page loads, :func:`restore` (part of the page's one opening event, ``tabs.opening``)
reads the address's query, selects the tab (``gr.Tabs(selected=...)``, as the Overview's
buttons do) and sets the named controls, each value checked against its control (range,
choices, length); an unknown key or a bad value is left out, and the page opens as usual.
Then ``deep_link.js`` acts as the student would: once the page's first figures are in, it
fires each restored control's own event (a slider's ``input``, a text field's Enter), so the
figures follow the restored settings.

The "Share this view" button (browser only) writes the open tab and its controls' current
values into the address bar and copies that link to the clipboard.

The controls are found by label (or ``#elem_id``) inside each tab, so the tab modules need
no change; a control that is not found is skipped with a log line. Only controls cheap to
recompute fire their event: the Sampling tab's prompt is restored but not submitted, so a
class opening the link does not start 30 model runs; the teacher's "Sample" stays a click.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import gradio as gr

# tab id -> {key in the address: label the control starts with, or "#elem_id"}
SETTINGS = {
    "distribution": {"mu": "true mean", "sigma": "true standard deviation", "n": "#distribution-n", "seed": "seed"},
    "glyph-map": {"search": "search", "colour": "colour the points by", "word": "word (for"},
    "noising": {"glyph": "glyph (one character)", "t": "#noising-t", "schedule": "noise schedule",
                "seed": "noise seed"},
    "score": {"t": "#score-t", "schedule": "noise schedule", "arrows": "arrows per side"},
    "overview": {"glyph": "glyph (one character)", "t": "t (the middle pair", "schedule": "noise schedule",
                 "seed": "noise seed"},
    "training": {"glyph": "glyph x", "t": "#training-t", "seed": "noise seed", "drop": "drop the text"},
    "conditioning": {"prompt": "prompt (English)", "guidance": "guidance scale w", "seed": "first seed"},
    "sampling": {"prompt": "#sampling-prompt", "sampler": "#sampling-sampler", "steps": "#sampling-steps",
                 "guidance": "guidance scale w", "seed": "seed (glyph i", "glyphs": "number of glyphs"},
}
QUIET = {("sampling", "prompt")}  # restored, but their event (a model run) is left to the user
MAX_TEXT = 200
JS = (Path(__file__).parent / "deep_link.js").read_text(encoding="utf-8")
log = logging.getLogger(__name__)


def _walk(block):
    yield block
    for child in getattr(block, "children", []) or []:
        yield from _walk(child)


def _matches(component, matcher: str) -> bool:
    if matcher.startswith("#"):
        return component.elem_id == matcher[1:]
    return isinstance(component.label, str) and component.label.startswith(matcher)


def find_controls(tabs: gr.Tabs) -> dict:
    """``{(tab id, key): component}`` for every setting of :data:`SETTINGS` found in ``tabs``.

    The first control of the tab that matches is taken (the page's order).
    """
    found = {}
    for tab in tabs.children:
        if not isinstance(tab, gr.Tab) or tab.id not in SETTINGS:
            continue
        controls = [b for b in _walk(tab) if isinstance(b, gr.components.FormComponent)]
        for key, matcher in SETTINGS[tab.id].items():
            match = next((c for c in controls if _matches(c, matcher)), None)
            if match is None:
                log.warning("deep link: no control %r in tab %r; %s= is ignored", matcher, tab.id, key)
            else:
                found[(tab.id, key)] = match
    return found


def parse_value(component, raw: str):
    """``raw`` (from the address) as a value of ``component``, or ``None`` if it does not fit."""
    try:
        if isinstance(component, gr.Checkbox):
            return {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}.get(raw.lower())
        if isinstance(component, (gr.Slider, gr.Number)):
            value = float(raw)
            low = getattr(component, "minimum", None)
            high = getattr(component, "maximum", None)
            if not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
                return None
            whole = isinstance(component, gr.Number) and component.precision == 0
            step = getattr(component, "step", None)
            return int(value) if whole or (step is not None and float(step).is_integer() and value.is_integer()) else value
        if isinstance(component, gr.Radio):
            values = [c[1] if isinstance(c, (tuple, list)) else c for c in component.choices]
            return raw if raw in values else None
        if isinstance(component, gr.Textbox):
            return raw if len(raw) <= MAX_TEXT and raw.isprintable() else None
    except (TypeError, ValueError):
        return None
    return None


def restore(query: dict, controls: dict, tab_ids: list) -> tuple[str | None, dict]:
    """The tab to open and ``{(tab id, key): value}`` to set, from an address's query.

    Args:
        query: the query's ``{key: value}``.
        controls: from :func:`find_controls`.
        tab_ids: the tabs that exist.

    Returns:
        ``(tab id or None, values)``; only the opened tab's settings are read.
    """
    tab = query.get("tab")
    if tab not in tab_ids:
        return None, {}
    values = {}
    for key, raw in query.items():
        component = controls.get((tab, key))
        value = None if component is None else parse_value(component, str(raw))
        if value is not None:
            values[(tab, key)] = value
    return tab, values


def client_config(controls: dict, labels: dict) -> dict:
    """What ``deep_link.js`` needs: each tab's label, and each setting's CSS class and event."""
    settings = {}
    for (tab, key), component in controls.items():
        if isinstance(component, (gr.Textbox, gr.Number)):
            event = "submit"
        else:
            event = "input"
        settings.setdefault(tab, {})[key] = {"cls": css_class(tab, key),
                                             "event": "none" if (tab, key) in QUIET else event}
    return {"labels": labels, "settings": settings}


def css_class(tab: str, key: str) -> str:
    return f"deep-{tab}-{key}"


def install(tabs: gr.Tabs) -> None:
    """Add the "Share this view" button, and the restoring of a deep link to the page's opening event.

    Call inside the app's ``with gr.Blocks()`` block, after the tabs are built and before
    ``tabs.opening.opening_event()``: a page opening with a deep link gets its tab and settings in
    the same event as the views (their values replace the views' own), then ``deep_link.js`` runs.
    """
    from tabs import opening

    controls = find_controls(tabs)
    for (tab, key), component in controls.items():
        classes = component.elem_classes or []
        component.elem_classes = [*([classes] if isinstance(classes, str) else classes), css_class(tab, key)]
    labels = {t.id: t.label for t in tabs.children if isinstance(t, gr.Tab)}
    config = json.dumps(client_config(controls, labels), ensure_ascii=False)
    order = list(controls)

    def settings_for(request: gr.Request | None):
        query = dict(request.query_params) if request is not None else {}
        tab, values = restore(query, controls, list(labels))
        selected = gr.Tabs(selected=tab) if tab else gr.skip()
        return [selected, *(gr.update(value=values[k]) if k in values else gr.skip() for k in order),
                json.dumps({"tab": tab, "keys": [k for (_, k) in values]})]

    with gr.Row(elem_id="share-view"):
        share = gr.Button("Share this view", size="sm", elem_id="share-view-button", scale=0, min_width=160)
        restored = gr.Textbox(visible=False, elem_id="deep-link-restored")
    opening.per_page(settings_for, [tabs, *(controls[k] for k in order), restored], "deep link",
                     js=JS.replace("__CONFIG__", config).replace("__ACTION__", "restore"), js_inputs=[restored])
    share.click(None, inputs=None, outputs=None, js=JS.replace("__CONFIG__", config).replace("__ACTION__", "share"))
