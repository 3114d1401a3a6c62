"""A batch run as halves on the cores equals the whole batch, with any mix of prompts."""

import threading

import pytest
import torch

import glyffuser
from glyffuser.diffusion.sampling import guided_velocity
from glyffuser.model.batch_split import SplitBatchModel
from glyffuser.model.text_cache import TextFixedModel


def _conditions(pipe, prompts, n):
    request = glyffuser.model.pipeline.check_request(prompts, n=n)
    cond, mask, null, null_mask, _ = pipe.conditions(request)
    return pipe.initial_noise(request), cond, mask, null, null_mask


def test_halves_equal_the_whole_batch_when_the_halves_have_different_prompts():
    pipe = glyffuser.load_pipeline()
    x, cond, mask, null, null_mask = _conditions(pipe, ["water", "fire"], 3)  # halves: water x3 / fire x3
    split, whole = SplitBatchModel(pipe.model, workers=2), TextFixedModel(pipe.model)
    with torch.inference_mode():
        for t in (999, 500, 20):  # later steps read each half's cached text keys and values
            for w in (0.0, 1.0, 3.0, 14.0):
                expected = guided_velocity(whole, x, t, cond, mask, null, null_mask, w)
                got = guided_velocity(split, x, t, cond, mask, null, null_mask, w)
                torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
    assert len(split._parts) >= 2


def test_concurrent_runs_share_the_pool_without_mixing(monkeypatch):
    from glyffuser.model.batch_split import WORKERS

    pipe = glyffuser.load_pipeline()
    monkeypatch.setattr(pipe, "_split_workers", WORKERS)  # the halves, whatever this machine measured
    alone = {p: pipe(p, n=2, steps=3, seed=5) for p in ("grass", "bird")}
    together = {}

    def run(prompt):
        together[prompt] = pipe(prompt, n=2, steps=3, seed=5)

    threads = [threading.Thread(target=run, args=(p,)) for p in alone]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for prompt, glyphs in alone.items():
        assert (glyphs == together[prompt]).all()


def test_gradients_run_the_whole_batch_on_the_calling_thread():
    pipe = glyffuser.load_pipeline()
    x, cond, mask, _, _ = _conditions(pipe, "tree", 2)
    split = SplitBatchModel(pipe.model, workers=2)
    x = x.clone().requires_grad_(True)
    out = split(x, torch.full((2,), 300), cond, mask)
    out.sum().backward()
    assert x.grad is not None and list(split._parts) == [(0, 2)]


def test_the_split_is_measured_once_or_set_by_the_environment(monkeypatch):
    from glyffuser.model import pipeline as pipeline_module
    from glyffuser.model.batch_split import WORKERS, fastest_workers

    pipe = glyffuser.load_pipeline()
    text, mask, _ = pipe.encode([""])
    inputs = (torch.randn(4, 1, pipe.size, pipe.size), torch.full((4,), 500), text.expand(4, -1, -1), mask.expand(4, -1))
    assert fastest_workers(pipe.traced, inputs, {"guidance": torch.ones(4)}, repeats=1) in {1, WORKERS}
    assert fastest_workers(pipe.traced, tuple(v[:1] for v in inputs), {"guidance": torch.ones(1)}) == 1

    fresh = pipeline_module.GlyphPipeline.__new__(pipeline_module.GlyphPipeline)
    fresh.__dict__.update(pipe.__dict__, _split_workers=None)
    for choice, workers in (("whole", 1), ("halves", WORKERS)):
        monkeypatch.setenv(pipeline_module.SPLIT_ENV, choice)
        fresh._split_workers = None
        assert fresh.split_workers() == workers
        assert fresh.run_model().workers == workers
    fresh._split_workers = 1
    whole = [fresh(p, n=2, steps=2, seed=5) for p in ("grass", "grass")]
    on_a_thread = {}
    thread = threading.Thread(target=lambda: on_a_thread.update(g=fresh("grass", n=2, steps=2, seed=5)))
    thread.start()
    thread.join(timeout=120)
    assert (whole[0] == whole[1]).all() and (whole[0] == on_a_thread["g"]).all()  # any thread, the same bits
    monkeypatch.setenv(pipeline_module.SPLIT_ENV, "sideways")
    fresh._split_workers = None
    with pytest.raises(ValueError, match="GLYFFUSER_BATCH_SPLIT must be one of halves"):
        fresh.split_workers()
