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


def test_a_page_gets_the_first_tabs_views_when_it_opens_and_each_others_once(monkeypatch):
    monkeypatch.setattr(opening, "_built", [])  # the app's warm-up list stays the app's
    with gr.Blocks() as demo:
        with gr.Tabs() as tabs:
            with gr.Tab("one", id="one"):
                first, second = gr.Markdown(), gr.Markdown()
                opening.on_load(lambda: ("a", "b"), [first, second], api_name="test_view_pair")
                opening.on_load(lambda: "c", [second], api_name="test_view_later")  # the later view's value wins
            with gr.Tab("two", id="two"):
                third, fourth = gr.Markdown(), gr.Markdown()
                opening.on_load(lambda: "d", [third], api_name="test_view_two")
                opening.on_load(lambda: 1 / 0, [fourth], api_name="test_view_broken")
        showing = opening.opening_event(tabs)
    events = {f.api_name: f for f in demo.fns.values()}
    at_open = events["opening"]
    assert [c._id for c in at_open.outputs[:-1]] == [first._id, second._id]  # then the page's shown tabs
    *values, shown = at_open.fn()
    assert values == ["a", "c"] and shown == frozenset({"one"})

    assert [c._id for c in showing.outputs] == [third._id, fourth._id]
    third_value, fourth_value, shown = events["show_two"].fn(shown)  # the student opens tab two
    assert third_value == "d" and fourth_value == gr.skip()  # the failing view leaves only its own output
    assert shown == frozenset({"one", "two"})
    assert all(value == gr.skip() for value in events["show_two"].fn(shown)[:-1])  # sent once a page
    assert showing.show("two", frozenset({"one"}))[0] == "d"  # as a deep link to tab two gets it
    assert events["test_view_two"].fn() == "d"  # each view stays callable alone, never fired by the page
    config = demo.get_config_file()["dependencies"]
    assert next(d for d in config if d["api_name"] == "test_view_two")["targets"] == []
    assert [view.name for view in opening._built] == ["test_view_pair", "test_view_later", "test_view_two",
                                                      "test_view_broken"]
