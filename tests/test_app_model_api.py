"""The model tabs' endpoints through ``gradio_client`` against the running app.

Every api_name of the training, conditioning and sampling tabs is called with good values
(the answers are checked against the library) and with hostile ones: out-of-range
numbers, None, wrong types, huge and control-character strings. A bad value must come
back as a clear error naming the input, never a traceback or a hang.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from PIL import Image

from glyffuser.images import grid
from tabs import model_common, resources


def picture(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("L"), dtype=int)


def figure_json(plot) -> dict:
    """The Plotly figure a gr.Plot output carries."""
    payload = plot.get("plot") if isinstance(plot, dict) else plot
    return json.loads(payload) if isinstance(payload, str) else payload


def values(data) -> np.ndarray:
    """A Plotly array, plain or base64-packed ({"dtype", "bdata", "shape"})."""
    if isinstance(data, dict) and "bdata" in data:
        array = np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
        shape = data.get("shape")
        return array.reshape([int(n) for n in str(shape).split(",")]) if shape else array
    return np.asarray(data)


@pytest.fixture()
def fresh_client(app_server):
    """A client with its own session (own gr.State), closed afterwards."""
    from gradio_client import Client

    client = Client(app_server.url, verbose=False)
    yield client
    client.close()


# --- good values ------------------------------------------------------------------------------------

def test_training_example_and_loss_curve(call):
    example, curve, caption = call("/training_example", "锂", 0, 500, False)
    assert "t = 500" in caption and "lithium" in caption
    assert "t = 500" in figure_json(example)["layout"]["title"]["text"]
    assert len(values(figure_json(curve)["data"][0]["x"])) > 10
    assert len(values(figure_json(call("/loss_curve"))["data"][0]["y"])) > 10


def test_random_training_example_is_consistent(call):
    char, seed, t, drop, example, _, caption = call("/random_training_example")
    resources.glyphs().index_of(char)  # a real glyph
    assert 0 <= seed < 2**31 and 0 <= t < 1000 and drop is False
    assert f"t = {t}" in caption and f"noise seed {seed}" in caption


def test_joint_density_and_embedding(call):
    figure, caption = call("/joint_density", -1.1, 1.2)
    names = [trace.get("name") for trace in figure_json(figure)["data"]]
    assert "p(x)" in names and any(n and n.startswith("p(x | y = y₁") for n in names)
    assert "y = -1.10" in caption and "y = 1.20" in caption
    heat, tokens = call("/embed_prompt", "Gold")
    assert figure_json(heat)["data"][0]["type"] == "heatmap"
    assert "gold" in tokens and "3 tokens" in tokens


def test_one_step_matches_the_pipeline(call):
    without, with_prompt, caption = call("/one_step", "Gold", 3.0, 0)
    pipe = model_common.pipeline(resources)
    guided = grid(pipe.first_step("Gold", n=16, guidance=3.0, seed=0, guidance_t_max=999).pred_x0, cols=4, scale=4)
    assert np.abs(picture(with_prompt) - np.asarray(guided, int)).max() <= 1
    assert picture(without).shape == picture(with_prompt).shape
    assert "w = 3" in caption


def test_sampling_session_stream_scrub_gif_analysis(fresh_client):
    # nothing to replay before a run
    from gradio_client.exceptions import AppError

    for api_name, args in [("/sampling_scrub", (0,)), ("/sampling_gif", ()), ("/sampling_analysis", ())]:
        with pytest.raises(AppError, match="Sample"):
            fresh_client.submit(*args, api_name=api_name).result(timeout=60)

    job = fresh_client.submit("gold", "dpm", 6, 3.0, 0, 4, api_name="/sample")
    final = job.result(timeout=180)
    frames = [out[0] for out in job.outputs() if out and out[0]]
    assert len(frames) >= 3  # the noise, at least one step, the finished sample
    assert "Finished" in final[1]
    first, last = picture(frames[0]), picture(final[0])
    assert first.shape == last.shape and np.abs(first - last).mean() > 10

    scrubbed, caption = fresh_client.submit(3, api_name="/sampling_scrub").result(timeout=60)
    assert "Step 3 of 6" in caption and picture(scrubbed).shape == last.shape
    for bad in ("three", -1, 7, None):
        with pytest.raises(AppError, match="step"):
            fresh_client.submit(bad, api_name="/sampling_scrub").result(timeout=60)
    gif = fresh_client.submit(api_name="/sampling_gif").result(timeout=60)
    gif = gif["value"] if isinstance(gif, dict) else gif  # the page's update also shows the file box
    with Image.open(gif) as image:
        assert image.format == "GIF" and image.n_frames == 7
    meter, gallery, figure = fresh_client.submit(api_name="/sampling_analysis").result(timeout=120)
    assert len(gallery) == 4 and gallery[0]["caption"].startswith("#1 ") and "nearest" in gallery[0]["caption"]
    assert any(v in gallery[0]["caption"].split("·")[0] for v in ("new", "close", "a copy"))  # the verdict comes first
    assert "Nearest training glyph" in meter
    if model_common.classifier() is not None:
        assert "金/钅 (167)" in meter
    assert any(trace.get("name") == "sample 1" for trace in figure_json(figure)["data"])


def test_compare_steps_streams_five_ddim_grids(client):
    job = client.submit("water", "dpm", 3.0, 0, 1, api_name="/compare_steps")
    final_picture, caption = job.result(timeout=180)
    assert caption.startswith("DDIM with 1, 2, 5, 20, 120 steps done")
    assert len([o for o in job.outputs() if o]) == 5


# --- hostile values ------------------------------------------------------------------------------

HUGE = "x" * 100_000
BAD_CALLS = [
    ("/training_example", ("锂", 0, 1000, False), "t"),
    ("/training_example", ("锂", 0, None, False), "t"),
    ("/training_example", ("锂", -1, 10, False), "seed"),
    ("/training_example", ("锂", 0, "ten", False), "t"),
    ("/training_example", ("ab", 0, 10, False), "character"),
    ("/training_example", ("A", 0, 10, False), "not in the dataset"),
    ("/training_example", (None, 0, 10, False), "character"),
    ("/training_example", (HUGE, 0, 10, False), "too long"),
    ("/training_example", ("锂", 0, 10, "yes"), "drop_text"),
    ("/joint_density", (-10, 1.0), "y₁"),
    ("/joint_density", (0.0, 1e300), "y₂"),
    ("/joint_density", ("0", 1.0), "y₁"),
    ("/embed_prompt", (HUGE,), "too long"),
    ("/embed_prompt", ("gold\x00",), "control characters"),
    ("/embed_prompt", (["gold"],), "text"),
    ("/one_step", ("Gold", 25.0, 0), "guidance"),
    ("/one_step", ("Gold", -1, 0), "guidance"),
    ("/one_step", ("Gold", 3.0, 2**31), "seed"),
    ("/one_step", ("Gold", None, 0), "guidance"),
    ("/one_step", ({"a": 1}, 3.0, 0), "prompt"),
    ("/sample", ("gold", "euler", 10, 3.0, 0, 4), "sampler"),
    ("/sample", ("gold", "dpm", 0, 3.0, 0, 4), "steps"),
    ("/sample", ("gold", "dpm", 1001, 3.0, 0, 4), "steps"),
    ("/sample", ("gold", "dpm", 2.5, 3.0, 0, 4), "steps"),
    ("/sample", ("gold", "dpm", 10, 3.0, 0, 65), "number of glyphs"),
    ("/sample", ("gold", "dpm", 10, 3.0, 0, None), "number of glyphs"),
    ("/sample", ("gold", "dpm", 1000, 3.0, 0, 64), "too much work"),
    ("/sample", ("gold", "dpm", 10, 1e300, 0, 4), "guidance"),
    ("/sample", ("gold", "dpm", 10, 3.0, -5, 4), "seed"),
    ("/sample", ("<script>alert(1)</script>" * 20, "dpm", 10, 3.0, 0, 4), "too long"),
    ("/sample", ("gold\x1b[31m", "dpm", 10, 3.0, 0, 4), "control characters"),
    ("/sample", (None, None, None, None, None, None), "sampler"),
    ("/compare_steps", ("gold", "dpm", 3.0, 0, 0), "number of glyphs"),
    ("/compare_steps", ("gold", 7, 3.0, 0, 4), "sampler"),
]


@pytest.mark.parametrize("api_name, args, message", BAD_CALLS,
                         ids=[f"{a}-{i}" for i, (a, _, _) in enumerate(BAD_CALLS)])
def test_bad_values_give_clear_errors(call_error, api_name, args, message):
    text = call_error(api_name, *args, timeout=60)
    assert message in text
    assert "Traceback" not in text and len(text) < 400


def test_hostile_prompt_is_just_text(call):
    """Path-like and markup prompts are sampled as text; the caption shows them escaped."""
    _, _, caption = call("/one_step", "../../etc/passwd <b>x</b>", 3.0, 0)
    assert "<b>" not in caption and "&lt;b&gt;" in caption


@pytest.mark.parametrize("api_name", ["/training_example_initial", "/joint_density_initial", "/embed_prompt_initial",
                                      "/one_step_initial"])
def test_page_load_events(call, api_name):
    assert all(value is not None for value in call(api_name))
