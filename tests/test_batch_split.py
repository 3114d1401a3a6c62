"""A batch run as halves on the cores equals the whole batch, with any mix of prompts."""

import threading

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


def test_concurrent_runs_share_the_pool_without_mixing():
    pipe = glyffuser.load_pipeline()
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
