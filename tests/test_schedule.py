"""Noise schedules against diffusers' DDPMScheduler (parity) and the forward process."""

import numpy as np
import pytest
import torch
from diffusers import DDPMScheduler

from glyffuser.diffusion.schedule import NoiseSchedule


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_alphas_cumprod_match_diffusers(name):
    ours = NoiseSchedule.create(name)
    ref = DDPMScheduler(num_train_timesteps=1000, beta_schedule=ours.diffusers_name)
    np.testing.assert_allclose(ours.alphas_cumprod.numpy(), ref.alphas_cumprod.numpy(), atol=1e-6)
    np.testing.assert_allclose(ours.betas.numpy(), ref.betas.numpy(), atol=1e-6)


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_q_sample_and_velocity_match_diffusers(name):
    ours = NoiseSchedule.create(name)
    ref = DDPMScheduler(num_train_timesteps=1000, beta_schedule=ours.diffusers_name)
    gen = torch.Generator().manual_seed(0)
    x0, noise = torch.randn(6, 1, 8, 8, generator=gen), torch.randn(6, 1, 8, 8, generator=gen)
    t = torch.tensor([0, 1, 250, 500, 900, 999])
    torch.testing.assert_close(ours.q_sample(x0, t, noise), ref.add_noise(x0, noise, t), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours.velocity(x0, t, noise), ref.get_velocity(x0, noise, t), atol=1e-5, rtol=1e-5)
    x_t = ours.q_sample(x0, t, noise)
    torch.testing.assert_close(ours.predict_x0(x_t, t, ours.velocity(x0, t, noise)), x0, atol=1e-4, rtol=1e-4)


def test_schedule_shape_and_monotone():
    for name in ("linear", "cosine"):
        s = NoiseSchedule.create(name)
        abar = s.alphas_cumprod.numpy()
        assert abar.shape == (1000,) and (np.diff(abar) < 0).all() and abar[0] > 0.99 and abar[-1] < 0.01
        assert (s.snr().numpy() > 0).all()
    with pytest.raises(ValueError, match="unknown schedule"):
        NoiseSchedule.create("quadratic")
