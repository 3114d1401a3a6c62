"""Sessions copy the components' configs when they need them (tabs/serving/session_configs.py): the copies
are the ones Gradio makes when a session starts, an update still replaces its component's copy,
and a session of the app starts with none."""

from __future__ import annotations

import gradio as gr
import orjson
import pytest
from gradio.state_holder import SessionState

from tabs.serving import session_configs


def gradios_copies(demo, session) -> dict:
    """What Gradio's SessionState.__init__ computes (gradio/state_holder.py), for comparison."""
    blocks_config = session.blocks_config
    return {k: blocks_config.config_for_block(k, [], v) for k, v in blocks_config.blocks.items() if k in demo.blocks}


def as_json(configs: dict) -> bytes:
    return orjson.dumps(configs, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS, default=str)


@pytest.fixture(scope="module")
def demo():
    with gr.Blocks() as demo:
        text = gr.Textbox("hello", label="words")
        gr.Slider(0, 10, value=3, label="count")
        gr.State([1, 2])
        gr.Button("go").click(lambda s: s, text, text)
    session_configs.install()
    return demo


def test_a_session_starts_without_copies_and_lists_gradios(demo):
    session = SessionState(demo)
    assert dict.__len__(session.config_values) == 0
    listed = dict(session.config_values.items())
    assert as_json(listed) == as_json(gradios_copies(demo, session))
    assert list(session.components) == list(listed.values())


def test_an_update_replaces_its_components_copy(demo):
    session = SessionState(demo)
    textbox = next(b for b in demo.blocks.values() if isinstance(b, gr.Textbox))
    session._update_value_in_config(textbox._id, "changed")
    assert session.config_values[textbox._id]["props"]["value"] == "changed"
    configs = dict(session.config_values.items())
    assert configs[textbox._id]["props"]["value"] == "changed"
    assert len(configs) == len(gradios_copies(demo, session))


def test_the_apps_sessions_start_without_copies_and_list_gradios():
    import app

    whole = app.build_demo()  # installs the patch, as the app does
    session = SessionState(whole)
    assert dict.__len__(session.config_values) == 0  # 319 copies, 25 ms, when Gradio makes them at the start
    assert as_json(dict(session.config_values.items())) == as_json(gradios_copies(whole, session))


def test_a_replaced_component_and_its_value_show_in_its_copy_when_looked_up(demo):
    session = SessionState(demo)
    slider = next(b for b in demo.blocks.values() if isinstance(b, gr.Slider))
    session.config_values[slider._id]  # a copy made before the event
    replaced = gr.Slider(0, 10, value=3, label="how many", render=False)
    session[slider._id] = replaced  # what an event's gr.update(...) does (gradio/blocks.py postprocess_data)
    session._update_config(slider._id)
    session._update_value_in_config(slider._id, 7)
    assert not dict.__contains__(session.config_values, slider._id)  # nothing made during the event
    copy = session.config_values[slider._id]
    expected = session.blocks_config.config_for_block(slider._id, [], replaced)
    expected["props"]["value"] = 7
    assert as_json(copy) == as_json(expected) and copy["props"]["label"] == "how many"


def test_an_event_through_gradio_leaves_the_copies_gradio_would_have():
    import asyncio

    with gr.Blocks() as blocks:
        words = gr.Textbox("a", label="words")
        count = gr.Slider(0, 10, value=1, label="count")
        go = gr.Button("go")
        go.click(lambda text: (text + "!", gr.update(label="counted", value=5)), words, [words, count])
    session_configs.install()
    session = SessionState(blocks)
    fn = blocks.fns[0]
    asyncio.run(blocks.process_api(block_fn=fn, inputs=["hi"], state=session))
    assert not dict.__contains__(session.config_values, words._id)  # the copies wait until looked up
    assert session.config_values[words._id]["props"]["value"] == "hi!"
    assert session.config_values[count._id]["props"]["label"] == "counted"
    assert session.config_values[count._id]["props"]["value"] == 5
