"""Caching the text's share of the U-Net gives the same numbers and never mixes runs."""

import numpy as np
import torch

import glyffuser
from glyffuser.diffusion.sampling import guided_velocity
from glyffuser.model.text_cache import TextFixedModel


def test_cached_run_equals_uncached_and_runs_do_not_mix():
    pipe = glyffuser.load_pipeline()
    request = glyffuser.model.pipeline.check_request("water", n=2)
    cond, mask, null, null_mask, _ = pipe.conditions(request)
    x = pipe.initial_noise(request)
    with torch.inference_mode():
        plain = guided_velocity(pipe.model, x, 500, cond, mask, null, null_mask, 3.0)
        cached = TextFixedModel(pipe.model)
        first = guided_velocity(cached, x, 900, cond, mask, null, null_mask, 3.0)
        again = guided_velocity(cached, x, 500, cond, mask, null, null_mask, 3.0)
    torch.testing.assert_close(again, plain, rtol=0, atol=0)
    assert not torch.equal(first, again)
    # two interleaved runs with different prompts give what each gives alone
    water = list(pipe.iter_steps("water", n=2, steps=4, seed=0))
    fire = list(pipe.iter_steps("fire", n=2, steps=4, seed=0))
    runs = [pipe.iter_steps("water", n=2, steps=4, seed=0), pipe.iter_steps("fire", n=2, steps=4, seed=0)]
    mixed = [[], []]
    for _ in range(len(water)):
        for k, run in enumerate(runs):
            mixed[k].append(next(run))
    for alone, interleaved in ((water, mixed[0]), (fire, mixed[1])):
        for a, b in zip(alone, interleaved):
            np.testing.assert_array_equal(a.pred_x0, b.pred_x0)
