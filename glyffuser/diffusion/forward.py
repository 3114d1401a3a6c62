"""Gaussian noise and the forward process applied to single glyphs, for the explorer.

The forward process of a variance-preserving diffusion (Ho et al. 2020, eq. 4) can be
sampled at any step in one go:

    q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I),   x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε.

:func:`noise_chain` draws one ε from a seed and applies it at several timesteps, so a
row of pictures shows one glyph sliding into noise along a single path, exactly as
:meth:`glyffuser.diffusion.schedule.NoiseSchedule.q_sample` computes it. Every draw takes an
explicit seed and its own generator: no global random state is touched, so concurrent
requests cannot disturb each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from glyffuser.diffusion.schedule import NoiseSchedule


def standard_normal(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    """ε ~ N(0, I) of the given shape from a private generator.

    Args:
        shape: tensor shape.
        seed: any non-negative integer; the same seed gives the same ε.

    Returns:
        float32 tensor of ``shape``.
    """
    generator = torch.Generator().manual_seed(int(seed))
    return torch.randn(shape, generator=generator, dtype=torch.float32)


def gaussian_samples(mu: float, sigma: float, n: int, seed: int) -> np.ndarray:
    """``n`` independent draws from ``N(mu, sigma^2)``.

    Returns:
        ``(n,)`` float64.
    """
    return np.random.default_rng(int(seed)).normal(float(mu), float(sigma), int(n))


def glyph_x0(ink: np.ndarray) -> torch.Tensor:
    """Ink coverage in [0, 1] (1 = ink) to model space [-1, 1] (paper = -1).

    Args:
        ink: ``(H, W)`` or ``(B, H, W)`` float array.

    Returns:
        float32 tensor of the same shape.
    """
    return torch.as_tensor(np.asarray(ink, dtype=np.float32)) * 2.0 - 1.0


@dataclass(frozen=True)
class NoiseChain:
    """One glyph noised at several timesteps with one shared ε.

    Attributes:
        timesteps: ``(K,)`` int64 timesteps, in the order given.
        x_t: ``(K, H, W)`` float32, ``x_t[k] = √ᾱ x0 + √(1 − ᾱ) ε`` at ``timesteps[k]``.
        noise: ``(H, W)`` float32 ε.
        alphas_cumprod: ``(K,)`` float64 ᾱ at the timesteps.
    """

    timesteps: np.ndarray
    x_t: np.ndarray
    noise: np.ndarray
    alphas_cumprod: np.ndarray


def noise_chain(x0: torch.Tensor, schedule: NoiseSchedule, timesteps, seed: int) -> NoiseChain:
    """Noise one glyph to each of ``timesteps`` with the same ε, through ``q_sample``.

    Args:
        x0: ``(H, W)`` clean glyph in model space [-1, 1].
        schedule: the noise schedule.
        timesteps: ``(K,)`` integer timesteps in ``[0, T)``.
        seed: seed of ε.

    Returns:
        The :class:`NoiseChain`.
    """
    x0 = torch.as_tensor(x0, dtype=torch.float32)
    t = torch.as_tensor(np.asarray(timesteps, dtype=np.int64).reshape(-1))
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= schedule.num_steps):
        raise ValueError(f"timesteps must lie in [0, {schedule.num_steps})")
    eps = standard_normal(tuple(x0.shape), seed)  # (H, W)
    k = t.numel()
    x_t = schedule.q_sample(x0.expand(k, *x0.shape), t, eps.expand(k, *x0.shape))  # (K, H, W)
    abar = schedule.alphas_cumprod[t].double().numpy()
    return NoiseChain(t.numpy(), x_t.numpy(), eps.numpy(), abar)
