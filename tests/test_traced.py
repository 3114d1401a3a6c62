"""The TorchScript graph computes what the eager model computes, for every signature and shape."""

import threading

import pytest
import torch

import glyffuser
from glyffuser.model.traced import TracedModel


def _inputs(batch: int, length: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, 1, 32, 32, generator=g), torch.randint(0, 1000, (batch,), generator=g),
            torch.randn(batch, length, 384, generator=g), torch.rand(batch, length, generator=g) > 0.3,
            torch.rand(batch, generator=g) * 10)


@pytest.fixture(scope="module")
def pipe():
    return glyffuser.load_pipeline()


@pytest.mark.parametrize("signature", ["mask+guidance", "mask", "guidance", "text only"])
def test_every_signature_equals_the_eager_model_at_new_shapes(pipe, signature):
    traced = TracedModel(pipe.model)
    with torch.inference_mode():
        for batch, length in [(8, 32), (1, 32), (5, 7), (17, 32)]:  # traced at the first; the rest are new shapes
            x, t, text, mask, w = _inputs(batch, length, seed=batch)
            kwargs = {"mask": mask if "mask" in signature else None, "guidance": w if "guidance" in signature else None}
            torch.testing.assert_close(traced(x, t, text, **kwargs), pipe.model(x, t, text, **kwargs), rtol=1e-5, atol=1e-5)
    assert len(traced._graphs) == 1


def test_a_guidance_distilled_model_without_w_means_w_equals_one(pipe):
    x, t, text, mask, _ = _inputs(3, 32)
    with torch.inference_mode():
        torch.testing.assert_close(pipe.traced(x, t, text, mask), pipe.traced(x, t, text, mask, torch.ones(3)))


def test_gradients_and_scalar_timesteps_run_the_eager_model(pipe):
    traced = TracedModel(pipe.model)
    x, t, text, mask, w = _inputs(2, 32)
    x.requires_grad_(True)
    traced(x, t, text, mask, w).sum().backward()
    assert x.grad is not None
    with torch.inference_mode():
        torch.testing.assert_close(traced(x.detach(), torch.tensor(400), text, mask, w),
                                   pipe.model(x.detach(), torch.tensor(400), text, mask, w))
    assert traced._graphs == {}


def test_threads_tracing_and_running_at_once_get_their_own_answers(pipe):
    traced = TracedModel(pipe.model)
    cases = [_inputs(batch, 32, seed=batch) for batch in (2, 3, 4, 5)]
    results = {}

    def run(i):
        with torch.inference_mode():
            results[i] = traced(*cases[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(cases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with torch.inference_mode():
        for i, args in enumerate(cases):
            torch.testing.assert_close(results[i], pipe.model(*args), rtol=1e-4, atol=1e-4)  # thread counts differ: rounding


def test_sampling_through_the_graph_equals_sampling_with_the_eager_model(pipe):
    from glyffuser.diffusion.sampling import iter_denoise

    request = glyffuser.model.pipeline.check_request(["gold", "water"], n=2, steps=6)
    cond, mask, null, null_mask, _ = pipe.conditions(request)
    x_T = pipe.initial_noise(request)
    runs = []
    for model in (pipe.run_model(), pipe.model):
        with torch.inference_mode():
            steps = list(iter_denoise(model, cond, mask, null, null_mask, x_T, "dpm", 6, 3.0, torch.Generator().manual_seed(0)))
        runs.append(torch.stack([s.pred_x0 for s in steps]))
    torch.testing.assert_close(runs[0], runs[1], rtol=1e-4, atol=1e-4)


def test_a_graph_recorded_inside_a_run_does_not_keep_that_runs_text(pipe):
    from glyffuser.model.text_cache import TextFixedModel

    traced = TracedModel(pipe.model)
    x, t, text_a, mask, w = _inputs(2, 32, seed=1)
    text_b = _inputs(2, 32, seed=2)[2]
    with torch.inference_mode():
        run = TextFixedModel(traced)
        run(x, torch.tensor(500), text_a, mask, w)  # eager: caches text A's keys and values in this run
        run(x, t, text_a, mask, w)  # records the graph inside the same run
        torch.testing.assert_close(traced(x, t, text_b, mask, w), pipe.model(x, t, text_b, mask, w), rtol=1e-5, atol=1e-5)
