"""What a page shows when it opens (tabs/opening.py): each view computed once, all sent in one event."""

from __future__ import annotations

import gradio as gr
import plotly.graph_objects as go
import pytest
from gradio.components.plot import PlotData

from tabs import opening


def test_a_view_is_computed_once_with_its_figures_serialised():
    calls = []

    def view():
        calls.append(1)
        return go.Figure(go.Scatter(x=[1], y=[2])), "words"

    shared = opening.shared_view(view, [gr.Plot(), gr.Markdown()], "test_view_once")
    failing = opening.shared_view(lambda: 1 / 0, [gr.Markdown()], "test_view_failing")
    first, again = shared(), shared()
    assert calls == [1] and first is again
    assert isinstance(first[0], PlotData) and first[0].type == "plotly" and first[1] == "words"
    for _ in range(2):  # a failure is not kept: each page asks again
        with pytest.raises(ZeroDivisionError):
            failing()


def test_one_event_fills_every_view_and_a_failing_view_leaves_only_its_own(monkeypatch):
    monkeypatch.setattr(opening, "_built", [])  # the app's warm-up list stays the app's
    with gr.Blocks() as demo:
        first, second, third = gr.Markdown(), gr.Markdown(), gr.Markdown()
        opening.on_load(lambda: ("a", "b"), [first, second], api_name="test_view_pair")
        opening.on_load(lambda: "c", [second], api_name="test_view_later")  # the later view's value wins
        opening.on_load(lambda: 1 / 0, [third], api_name="test_view_broken")
        opening.opening_event()
    fill = next(f for f in demo.fns.values() if f.api_name == "opening")
    assert [c._id for c in fill.outputs] == [first._id, second._id, third._id]
    values = fill.fn(None)  # the page's request (none here)
    assert values[:2] == ["a", "c"] and values[2] == gr.skip()
    apis = {f.api_name: f for f in demo.fns.values()}
    assert apis["test_view_pair"].fn() == ("a", "b")  # each view stays callable alone, never fired by the page
    assert demo.get_config_file()["dependencies"][0]["targets"] == []
    assert [view.name for view in opening._built] == ["test_view_pair", "test_view_later", "test_view_broken"]


def test_per_page_values_follow_the_views_in_the_same_event_then_their_script(monkeypatch):
    monkeypatch.setattr(opening, "_built", [])
    seen = []

    def for_this_page(request):
        seen.append(request)
        return [gr.skip(), "from the address"]

    with gr.Blocks() as demo:
        first, second, third = gr.Markdown(), gr.Markdown(), gr.Textbox()
        opening.on_load(lambda: ("a", "b"), [first, second], api_name="test_view_with_page")
        opening.per_page(for_this_page, [first, third], "test page", js="(x) => x", js_inputs=[third])
        opening.opening_event()
    fill = next(f for f in demo.fns.values() if f.api_name == "opening")
    assert [c._id for c in fill.outputs] == [first._id, second._id, third._id]
    assert fill.fn("the request") == ["a", "b", "from the address"]  # gr.skip() leaves the view's value
    assert seen == ["the request"]
    script = next(f for f in demo.fns.values() if f.js == "(x) => x")
    assert script.trigger_after == fill._id and [c._id for c in script.inputs] == [third._id]
