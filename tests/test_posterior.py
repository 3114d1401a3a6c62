"""The posterior q(x_{t−1} | x_t, x0) against diffusers' DDPMScheduler (Ho et al. 2020, eq. 6-7)."""

from __future__ import annotations

import pytest
import torch

from glyffuser.diffusion.posterior import posterior
from glyffuser.diffusion.schedule import get_schedule


def diffusers_mean_and_variance(schedule, t: int, x_t: torch.Tensor, x0: torch.Tensor):
    """DDPMScheduler's step with the clean sample as the model output, its noise taken out."""
    from diffusers import DDPMScheduler

    scheduler = DDPMScheduler(num_train_timesteps=schedule.num_steps, beta_schedule=schedule.diffusers_name,
                              prediction_type="sample", clip_sample=False, variance_type="fixed_small")
    scheduler.set_timesteps(schedule.num_steps)
    # the same stored ᾱ in float64, so that the comparison is not about float32 rounding near ᾱ = 1
    scheduler.alphas_cumprod = schedule.alphas_cumprod.double()
    x_t, x0 = x_t.double(), x0.double()
    variance = float(scheduler._get_variance(t)) if t > 0 else 0.0
    gen = torch.Generator().manual_seed(0)
    out = scheduler.step(x0, t, x_t, generator=gen).prev_sample
    noise = torch.randn(x_t.shape, generator=torch.Generator().manual_seed(0), dtype=x_t.dtype)
    return out - variance**0.5 * noise if t > 0 else out, variance


@pytest.mark.parametrize("name", ["cosine", "linear"])
@pytest.mark.parametrize("t", [0, 1, 37, 500, 998, 999])
def test_posterior_matches_diffusers(name, t):
    schedule = get_schedule(name)
    gen = torch.Generator().manual_seed(t)
    x0 = torch.rand((1, 1, 8, 8), generator=gen) * 2 - 1
    x_t = torch.randn((1, 1, 8, 8), generator=gen)
    post = posterior(schedule, t)
    mean, variance = diffusers_mean_and_variance(schedule, t, x_t, x0)
    torch.testing.assert_close(post.mean(x_t.double(), x0.double()), mean, atol=1e-9, rtol=1e-9)
    assert post.variance == pytest.approx(variance, rel=1e-9, abs=1e-15)


def test_first_step_returns_x0_and_variances_stay_below_beta():
    schedule = get_schedule("cosine")
    first = posterior(schedule, 0)
    assert first.coef_x0 == pytest.approx(1.0) and first.coef_xt == pytest.approx(0.0) and first.variance == 0.0
    for t in (1, 100, 500, 900):
        post = posterior(schedule, t)
        beta = 1 - float(schedule.alphas_cumprod[t] / schedule.alphas_cumprod[t - 1])
        assert 0 < post.variance < beta


def test_out_of_range_step_is_refused():
    with pytest.raises(ValueError):
        posterior(get_schedule("cosine"), 1000)
