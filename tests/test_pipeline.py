"""The shipped pipeline: API, input checks, the CLI's three outputs, evaluation helpers."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import glyffuser
from glyffuser.model.pipeline import PipelineInputError, check_request

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pipe():
    return glyffuser.load_pipeline()


def test_call_shape_range_and_determinism(pipe):
    a = pipe("gold", n=3, steps=6, guidance=3.0, seed=7, sampler="dpm")
    b = pipe("gold", n=3, steps=6, guidance=3.0, seed=7, sampler="dpm")
    assert a.shape == (3, pipe.size, pipe.size) and a.dtype == np.float32 and a.min() >= 0 and a.max() <= 1
    np.testing.assert_array_equal(a, b)
    # sample i depends on seed + i only, not on how many were asked for
    # the same glyph up to float rounding, which differs with the batch size
    np.testing.assert_allclose(pipe("gold", n=1, steps=6, seed=8)[0], a[1], atol=1e-4)


def test_iter_steps_matches_call_and_several_prompts(pipe):
    steps = list(pipe.iter_steps(["water", "fire"], n=2, steps=5, guidance=2.0, seed=0, sampler="ddim"))
    assert len(steps) == 6 and steps[-1].t == -1
    assert steps[0].x_t.shape == (4, pipe.size, pipe.size) and steps[0].pred_x0.shape == (4, pipe.size, pipe.size)
    np.testing.assert_array_equal(steps[-1].x_t, pipe(["water", "fire"], n=2, steps=5, guidance=2.0, seed=0, sampler="ddim"))


@pytest.mark.parametrize("kwargs, message", [
    (dict(steps=0), "steps"), (dict(steps=1001), "steps"), (dict(steps=2.5), "steps"),
    (dict(guidance=-1), "guidance"), (dict(guidance=float("nan")), "guidance"), (dict(guidance="x"), "guidance"),
    (dict(n=0), "n must"), (dict(n=65), "n must"), (dict(n=None), "n must"),
    (dict(sampler="euler"), "sampler"), (dict(seed=-1), "seed"),
])
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(PipelineInputError, match=message):
        check_request("gold", **kwargs)


def test_prompt_notes_and_limits():
    assert "unconditionally" in check_request("").notes[0]
    assert "English" in check_request("金属").notes[0]
    with pytest.raises(PipelineInputError, match="at most"):
        check_request("x" * 5000)
    with pytest.raises(PipelineInputError, match="At most 64"):
        check_request(["a", "b", "c"], n=30)
    with pytest.raises(PipelineInputError, match="text"):
        check_request(123)


def test_long_prompt_is_truncated(pipe):
    _, mask, truncated = pipe.encode(["gold " * 100, "gold"])
    assert truncated == [True, False] and mask.shape[1] == 32


@pytest.mark.parametrize("suffix", [".png", ".gif", ".npy"])
def test_cli_outputs(tmp_path, suffix):
    out = tmp_path / f"gold{suffix}"
    run = subprocess.run([sys.executable, "-m", "glyffuser.sample", "gold", "--n", "2", "--steps", "3", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert out.stat().st_size > 0
    if suffix == ".npy":
        arr = np.load(out)
        size = glyffuser.load_pipeline().size
        assert arr.shape == (2, size, size) and arr.dtype == np.float32
    else:
        from PIL import Image

        with Image.open(out) as image:
            assert getattr(image, "n_frames", 1) == (4 if suffix == ".gif" else 1)


@pytest.mark.parametrize("args, message", [
    (["gold", "--steps", "0"], "steps"), (["gold", "--out", "x.jpg"], "must end in"),
    (["gold", "--sampler", "nope"], "sampler"), (["gold", "--out", "/no/such/dir/x.png"], "does not exist"),
])
def test_cli_bad_input(args, message):
    run = subprocess.run([sys.executable, "-m", "glyffuser.sample", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and message in run.stderr and "Traceback" not in run.stderr


def test_radical_meter_on_real_glyphs():
    from glyffuser.data import load_glyphs
    from glyffuser.evaluate.measures import radical_label, radical_meter

    glyphs = load_glyphs()
    for radical in (167, 85, 140):
        rows = np.flatnonzero(glyphs.radicals == radical)[:40]
        hits, total = radical_meter(glyphs.images[rows], radical)
        assert hits / total > 0.8
    assert radical_label(167).startswith("金")


def test_nearest_glyph_and_map_projection():
    from glyffuser.data import load_glyphs, load_map
    from glyffuser.data.dataset import resize_images
    from glyffuser.evaluate.measures import frechet_distance, nearest_glyphs, project_to_map

    ink = resize_images(load_glyphs().images[[10, 500]], 32)[:, 0].numpy()
    idx, dist = nearest_glyphs(ink)
    assert list(idx) == [10, 500] and dist.max() < 1e-3
    np.testing.assert_allclose(project_to_map(ink), load_map()[[10, 500]], atol=1e-3)
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 4))
    assert frechet_distance(a, a) < 1e-6 and frechet_distance(a, a + 1.0) == pytest.approx(4.0, rel=1e-6)


def test_a_paused_sampling_run_leaves_the_callers_autograd_alone():
    pipe = glyffuser.load_pipeline()
    run = pipe.iter_steps("water", n=1, steps=3)
    next(run)  # suspended mid-run
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()
    x = torch.ones(2, requires_grad=True)
    (x * x).sum().backward()
    assert x.grad is not None
    assert len(list(run)) == 3  # and the run goes on


def test_variety_and_novelty_measures():
    """Pairwise distance against a brute-force loop; copies and distinct nearest glyphs on real glyphs."""
    from glyffuser.data import load_glyphs
    from glyffuser.evaluate.measures import COPY_DISTANCE, flat_32, mean_pairwise_distance, novelty, real_variety

    glyphs = load_glyphs()
    ink = glyphs.images[[3, 70, 900, 4000]]  # 64 x 64
    flat = flat_32(ink).astype(np.float64)
    brute = np.mean([np.sqrt(((flat[i] - flat[j]) ** 2).mean()) for i in range(4) for j in range(i + 1, 4)])
    assert mean_pairwise_distance(ink) == pytest.approx(brute, rel=1e-6)
    assert mean_pairwise_distance(np.repeat(ink[:1], 5, axis=0)) < 1e-3  # one glyph copied: no variety
    # training glyphs are copies of themselves; 16 copies of one glyph have one distinct nearest glyph
    same = novelty(np.repeat(ink[:1], 16, axis=0))
    assert same["copies"] == 1.0 and same["distinct_nearest"] == 1
    real = novelty(ink)
    assert real["copies"] == 1.0 and real["distinct_nearest"] == 4 and real["median_nn_distance"] < COPY_DISTANCE / 10
    # a blur of many glyphs is no copy
    blur = novelty(glyphs.images[glyphs.radicals == 167].mean(0, keepdims=True))
    assert blur["copies"] == 0.0
    # 16 real glyphs of one radical are 0.3-0.5 apart on average
    assert 0.3 < real_variety(167) < 0.5


def test_novelty_is_measured_against_the_models_training_data():
    from glyffuser.data.store import trained_on_extension_a
    from glyffuser.evaluate.measures import novelty, training_reference

    record = {"train_config": {"data": ""}, "init": {"train_config": {"data": "data/glyphs64_exta.npz"}, "init": {}}}
    assert trained_on_extension_a(record) and not trained_on_extension_a({"train_config": {}})
    assert len(training_reference({})) == len(glyffuser.data.load_glyphs())
    ink = np.zeros((2, 64, 64), np.float32)
    ink[:, 10:50, 30:34] = 1.0
    reference = ink[:1, ::2, ::2].reshape(1, -1)
    assert novelty(ink, reference) == {"copies": 1.0, "distinct_nearest": 1, "median_nn_distance": 0.0}


def test_evaluation_report_end_to_end(tmp_path):
    """``python -m glyffuser.evaluate`` on tiny settings: every measure, novelty and the Fréchet distance
    against all the glyphs the shipped model was trained on (the dataset and Extension A)."""
    import json

    from glyffuser.data.store import load_training_glyphs

    out = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "glyffuser.evaluate", "--n", "2", "--steps", "2", "--fd-count", "64",
                           "--sets", "readme", "--json", str(out)], capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    rows = report["sets"]["readme"]["prompts"]
    assert len(rows) == 10 and all(r["total"] == 2 and 0 <= r["copies"] <= 1 for r in rows.values())
    trained = load_training_glyphs(glyffuser.load_pipeline().model.config.extra)
    assert report["settings"]["training_glyphs"] == len(trained) > len(glyffuser.data.load_glyphs())
    assert report["frechet_unguided"] > 0 and report["frechet_unguided_vs_training_glyphs"] > 0
