"""The numbers behind the model tabs (training, conditioning, sampling), checked without the server.

Each tab function is called directly and compared with an independent computation: the
forward-process formula in float64, the pipeline's own first step and sampling loop, and
real glyphs for the radical meter. The mixture maths of the conditioning tab is checked
by numerical integration.
"""

import math
import re

import gradio as gr
import numpy as np
import pytest
import torch

from glyffuser.diffusion.trajectory import TrajectoryRecorder, keep_stride
from glyffuser.distributions.mixture import default_mixture
from glyffuser.images import grid
from glyffuser.model.pipeline import check_request
from tabs import model_common, resources
from viz.sampling import step_frame


@pytest.fixture(scope="module")
def pipe():
    return model_common.pipeline(resources)


@pytest.fixture(scope="module")
def training_tab():
    from tabs.training import TrainingTab

    return TrainingTab(resources)


@pytest.fixture(scope="module")
def sampling_tab():
    from tabs.sampling import SamplingTab
    from tabs.serving.shared_runs import SharedRuns

    return SamplingTab(resources, runs=SharedRuns(frame_interval_s=0.0))  # every step shown: frames line up with iter_steps


def cosine_alpha_bar(t: int, T: int = 1000, s: float = 0.008) -> float:
    """ᾱ_t of the cosine schedule as the product of its clipped β (Nichol & Dhariwal 2021), in float64."""
    f = lambda u: math.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    return float(np.prod([1 - min(1 - f(i + 1) / f(i), 0.999) for i in range(t + 1)]))


# --- training objective ---------------------------------------------------------------------------

@pytest.mark.parametrize("t", [0, 250, 999])
def test_training_example_x_t_is_the_forward_formula(training_tab, t):
    glyphs = resources.glyphs()
    row, seed = glyphs.index_of("锂"), 5
    ex = training_tab.compute(row, seed, t, drop_text=False)
    abar = cosine_alpha_bar(t)
    assert ex.t == t and ex.alpha_bar == pytest.approx(abar, rel=1e-5)
    size = resources.pipeline().size
    eps = torch.randn((size, size), generator=torch.Generator().manual_seed(seed)).numpy()
    np.testing.assert_array_equal(ex.noise, eps)
    expected = np.sqrt(abar) * ex.x0.astype(np.float64) + np.sqrt(1 - abar) * eps.astype(np.float64)
    np.testing.assert_allclose(ex.x_t, expected, atol=1e-5)
    # the target and the three views of the prediction
    np.testing.assert_allclose(ex.v, np.sqrt(abar) * eps - np.sqrt(1 - abar) * ex.x0, atol=1e-5)
    np.testing.assert_allclose(ex.x0_pred, np.sqrt(abar) * ex.x_t - np.sqrt(1 - abar) * ex.v_pred, atol=1e-5)
    np.testing.assert_allclose(ex.noise_pred, np.sqrt(1 - abar) * ex.x_t + np.sqrt(abar) * ex.v_pred, atol=1e-5)
    assert ex.loss == pytest.approx(float(np.mean((ex.v_pred.astype(np.float64) - ex.v) ** 2)), rel=1e-5)
    # x0 is the glyph the dataset holds, area-downsampled to the model's size, in [-1, 1]
    factor = glyphs.images.shape[-1] // size
    ink = glyphs.images[row].reshape(size, factor, size, factor).mean(axis=(1, 3))
    np.testing.assert_allclose(ex.x0, ink * 2 - 1, atol=1e-6)


def test_training_view_shows_the_example_it_computed(training_tab):
    figure, curve, caption = training_tab.training_example("锂", 3, 640, False)
    ex = training_tab.compute(resources.glyphs().index_of("锂"), 3, 640, False)
    assert "t = 640" in figure.layout.title.text and f"{ex.loss:.4f}" in caption
    np.testing.assert_allclose(np.asarray(figure.data[2].z), ex.x_t, atol=1e-6)  # the x_t panel
    assert len(curve.data[0].x) == len(training_tab._loss_log().step)


def test_dropping_the_text_changes_the_prediction_not_the_input(training_tab):
    row = resources.glyphs().index_of("明")
    a = training_tab.compute(row, 0, 600, drop_text=False)
    b = training_tab.compute(row, 0, 600, drop_text=True)
    np.testing.assert_array_equal(a.x_t, b.x_t)
    assert np.abs(a.v_pred - b.v_pred).max() > 1e-3


def test_loss_log_is_read_whole(training_tab):
    log = training_tab._loss_log()
    assert len(log.step) > 10 and np.all(np.diff(log.step) > 0) and np.all(log.loss > 0)
    assert log.loss[-1] < log.loss[0]


# --- conditioning ---------------------------------------------------------------------------------

@pytest.mark.parametrize("guidance", [3.0, 1.0])
def test_single_step_picture_is_the_pipelines_first_prediction(pipe, guidance):
    from tabs.conditioning import ONE_STEP_COUNT, ConditioningTab

    without, with_prompt, caption = ConditioningTab(resources).one_step("Gold", guidance, 4)
    first = pipe.first_step("Gold", n=ONE_STEP_COUNT, guidance=guidance, seed=4, guidance_t_max=999)
    unconditional = pipe.first_step("Gold", n=ONE_STEP_COUNT, guidance=0.0, seed=4)
    # pixels equal up to one grey level (the two paths batch the network differently)
    assert np.abs(np.asarray(with_prompt, int) - np.asarray(grid(first.pred_x0, cols=4, scale=4), int)).max() <= 1
    assert np.abs(np.asarray(without, int) - np.asarray(grid(unconditional.pred_x0, cols=4, scale=4), int)).max() <= 1
    assert f"t = {first.t}" in caption


def test_first_step_pair_matches_first_step_arrays(pipe):
    from glyffuser.diffusion.trajectory import first_step_pair

    pair = first_step_pair(pipe, "water", 3, 2.5, 11)
    np.testing.assert_allclose(pair.guided, pipe.first_step("water", 3, 2.5, 11, guidance_t_max=999).pred_x0, atol=1e-5)
    np.testing.assert_allclose(pair.unconditional, pipe.first_step("water", 3, 0.0, 11).pred_x0, atol=1e-5)


def test_mixture_marginals_and_conditionals_integrate():
    m = default_mixture()
    x, y = np.linspace(-9, 9, 1201), np.linspace(-9, 9, 1101)
    joint = m.pdf(x, y)  # (ny, nx)
    dx, dy = x[1] - x[0], y[1] - y[0]
    assert joint.sum() * dx * dy == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_allclose(joint.sum(0) * dy, m.marginal_x(x), atol=1e-5)
    np.testing.assert_allclose(joint.sum(1) * dx, m.marginal_y(y), atol=1e-5)
    for j in (300, 551, 800):
        conditional = m.conditional_x(x, y[j])
        assert conditional.sum() * dx == pytest.approx(1.0, abs=1e-4)
        np.testing.assert_allclose(conditional, joint[j] / m.marginal_y(y[j:j + 1])[0], rtol=1e-6, atol=1e-9)
    # slicing at a peak's y favours that peak
    for k in range(2):
        assert np.argmax(m.responsibilities(m.means[k, 1])) == k


# --- sampling ---------------------------------------------------------------------------------------

def test_animation_frames_are_the_pipeline_steps(pipe, sampling_tab):
    args = dict(prompt="fire", sampler="ddim", steps=4, guidance=2.0, seed=3, n=4)
    streamed = list(sampling_tab.sample(args["prompt"], args["sampler"], args["steps"], args["guidance"],
                                        args["seed"], args["n"]))
    steps = list(pipe.iter_steps(**args))
    noise = pipe.initial_noise(check_request(**args))  # (B, 1, S, S) in [-1, 1]
    assert np.array_equal(np.asarray(streamed[0][0]),
                          np.asarray(step_frame(np.clip((noise[:, 0].numpy() + 1) / 2, 0, 1), None, 0, 4, None)))
    # Then steps in order (one the model computed ahead of the page may be passed over for a newer one),
    # each frame exactly its step's, the last the finished sample.
    shown = [int(re.match(r"Step (\d+)", out[1]).group(1)) if out[1].startswith("Step") else steps[-1].index
             for out in streamed[1:]]
    assert shown == sorted(set(shown)) and shown[-1] == steps[-1].index
    for out, index in zip(streamed[1:], shown):
        step = steps[index]
        expected = step_frame(step.x_t, step.pred_x0, step.index, step.steps, step.t)
        assert np.array_equal(np.asarray(out[0]), np.asarray(expected)), f"step {step.index}"
    # the frame player grows with the stream (one run) and holds every shown step, each tagged with its
    # step slider value; the page's frames are a subset of it
    players = [out[5] for out in streamed]
    assert all(len(a["frames"]) < len(b["frames"]) for a, b in zip(players, players[1:]))
    assert len({p["run"] for p in players}) == 1
    assert players[-1]["steps"] == [0] + [s.index for s in steps]
    assert players[-1]["captions"][-1] == "Step 4 of 4: finished"
    # the step slider: locked by the first message, left alone while the run streams, opened by the last
    assert streamed[0][3].get("interactive") is False and streamed[-1][3].get("interactive") is True
    assert all(out[3] == gr.skip() for out in streamed[1:-1])
    trajectory = streamed[-1][2]
    assert list(trajectory.indices) == [s.index for s in steps]
    # scrubbing replays the kept frames (stored as 8-bit ink: equal up to one grey level)
    for step in steps:
        picture, caption = sampling_tab.scrub(trajectory, step.index)
        expected = step_frame(step.x_t, step.pred_x0, step.index, step.steps, step.t)
        assert np.abs(np.asarray(picture, int) - np.asarray(expected, int)).max() <= 1
        assert f"Step {step.index} of 4" in caption


def test_trajectory_keeps_a_bounded_number_of_frames():
    from glyffuser.model.pipeline import PipelineStep

    steps, batch = 1000, 64
    stride = keep_stride(steps, batch)
    recorder = TrajectoryRecorder(steps, batch, {}, budget=4096)
    frame = np.zeros((batch, 32, 32), np.float32)
    run = [PipelineStep(i, steps, 999 - i if i < steps else -1, frame, frame) for i in range(steps + 1)]
    for step in run:
        recorder.add(step)
    traj = recorder.result()
    again = TrajectoryRecorder.record(run, steps, batch, {}, budget=4096)  # a whole run's steps at once
    assert np.array_equal(again.indices, traj.indices) and np.array_equal(again.x_t, traj.x_t)
    assert len(traj) * batch <= 4096 + batch and traj.indices[0] == 0 and traj.indices[-1] == steps
    assert np.all(np.diff(traj.indices[:-1]) == stride)
    assert traj.frame_at(stride + 1) == 1 and traj.frame_at(10_000) == len(traj) - 1 and traj.frame_at(-5) == 0


def test_gif_is_written_by_the_app_under_its_own_folder(sampling_tab):
    from tabs.sampling import gif_folder

    *_, last = sampling_tab.sample("tree", "dpm", 3, 3.0, 0, 2)
    path = sampling_tab.make_gif(last[2])
    from PIL import Image

    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 4
    assert str(path).startswith(str(gif_folder()))


def test_the_player_of_a_shared_trajectory_is_built_once(sampling_tab):
    import copy

    *_, last = sampling_tab.sample("tree", "dpm", 3, 3.0, 0, 2)
    first = sampling_tab.player_frames(last[2])
    assert sampling_tab.player_frames(last[2]) is first  # the students of one run: one value
    assert first["steps"] == [0, 1, 2, 3] and first["captions"][-1] == "Step 3 of 3: finished"
    other = sampling_tab.player_frames(copy.deepcopy(last[2]))  # another trajectory object: built again
    assert other is not first and other["frames"] == first["frames"]


def test_the_students_of_one_run_share_its_trajectory_and_scrubbed_frames(sampling_tab):
    *_, mine = sampling_tab.sample("tree", "dpm", 3, 3.0, 1, 2)
    *_, theirs = sampling_tab.sample("tree", "dpm", 3, 3.0, 1, 2)  # the same request: replayed
    assert theirs[2] is mine[2]  # recorded once
    frame, caption = sampling_tab.scrub(mine[2], 2)
    assert sampling_tab.scrub(theirs[2], 2) == (frame, caption)  # drawn once
    assert sampling_tab.scrub(theirs[2], 2)[0] is frame and sampling_tab.scrub(mine[2], 1)[0] is not frame


# --- radical meter --------------------------------------------------------------------------------

@pytest.mark.parametrize("word, radical", [("gold", 167), ("water", 85)])
def test_radical_meter_on_real_glyphs_names_their_radical(word, radical):
    if model_common.classifier() is None:
        pytest.skip("radical classifier weights are not installed")
    from glyffuser.data.dataset import resize_images
    from glyffuser.evaluate.measures import radical_label

    glyphs = resources.glyphs()
    rows = np.flatnonzero(glyphs.radicals == radical)[:24]
    ink = resize_images(glyphs.images[rows], 32)[:, 0].numpy()
    text = model_common.radical_meter_text(ink, word, glyphs)
    assert radical_label(radical) in text
    hits = int(text.split("**")[1].split(" of ")[0])
    assert hits >= 18, text  # at least 3 in 4 real glyphs of the radical are read as carrying it


def test_model_tab_limits_mirror_the_pipeline():
    from glyffuser.diffusion import sampling
    from glyffuser.model import pipeline

    assert model_common.SAMPLERS == sampling.SAMPLERS
    assert (model_common.MAX_STEPS, model_common.MAX_GLYPHS, model_common.MAX_GUIDANCE) == (
        pipeline.MAX_STEPS, pipeline.MAX_GLYPHS, pipeline.MAX_GUIDANCE)


def test_user_text_is_escaped_for_markdown():
    assert model_common.quoted("<script>*x*</script>") == "&lt;script&gt;\\*x\\*&lt;/script&gt;"
    assert len(model_common.quoted("a" * 500)) == 60


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_numbers_are_refused(sampling_tab, value):
    """NaN and infinities cannot travel as JSON from a client, but are refused all the same."""
    import gradio as gr

    from tabs.conditioning import ConditioningTab

    with pytest.raises(gr.Error, match="guidance"):
        next(sampling_tab.sample("gold", "dpm", 10, value, 0, 4))
    with pytest.raises(gr.Error, match="y"):
        ConditioningTab(resources).joint_density(0.0, value)
