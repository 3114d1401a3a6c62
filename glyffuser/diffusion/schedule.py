"""Noise schedules and the forward process q(x_t | x_0).

Linear β (Ho et al. 2020, β from 1e-4 to 0.02 over T = 1000 steps) and cosine
ᾱ (Nichol & Dhariwal 2021, "squaredcos_cap_v2" in diffusers), computed in
float64 and stored as float32. A :class:`NoiseSchedule` is immutable, so one
instance can serve concurrent requests.

    q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I)
    v_t = √ᾱ_t ε − √(1 − ᾱ_t) x_0           (Salimans & Ho 2022)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

NUM_TRAIN_TIMESTEPS = 1000
SCHEDULES = ("linear", "cosine")
DIFFUSERS_NAMES = {"linear": "linear", "cosine": "squaredcos_cap_v2"}


def linear_betas(num_steps: int = NUM_TRAIN_TIMESTEPS, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """(T,) float64 β_t rising linearly."""
    return np.linspace(beta_start, beta_end, num_steps, dtype=np.float64)


def cosine_betas(num_steps: int = NUM_TRAIN_TIMESTEPS, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """(T,) float64 β_t from ᾱ(t) = cos²((t/T + s)/(1 + s) · π/2), each β capped at ``max_beta``."""
    f = lambda t: math.cos((t / num_steps + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    return np.array([min(1 - f(i + 1) / f(i), max_beta) for i in range(num_steps)], dtype=np.float64)


@dataclass(frozen=True)
class NoiseSchedule:
    """The variance-preserving forward process for one β schedule.

    Attributes:
        name: "linear" or "cosine".
        betas: (T,) float32.
        alphas_cumprod: (T,) float32, ᾱ_t = Π_{s≤t} (1 − β_s).
    """

    name: str
    betas: torch.Tensor
    alphas_cumprod: torch.Tensor

    @classmethod
    def create(cls, name: str = "cosine", num_steps: int = NUM_TRAIN_TIMESTEPS) -> "NoiseSchedule":
        if name not in SCHEDULES:
            raise ValueError(f"unknown schedule {name!r}; choose one of {SCHEDULES}")
        betas = linear_betas(num_steps) if name == "linear" else cosine_betas(num_steps)
        abar = np.cumprod(1.0 - betas)
        return cls(name, torch.tensor(betas, dtype=torch.float32), torch.tensor(abar, dtype=torch.float32))

    @property
    def num_steps(self) -> int:
        return len(self.betas)

    @property
    def diffusers_name(self) -> str:
        return DIFFUSERS_NAMES[self.name]

    def snr(self) -> torch.Tensor:
        """(T,) signal-to-noise ratio ᾱ_t / (1 − ᾱ_t)."""
        return self.alphas_cumprod / (1 - self.alphas_cumprod)

    def _coefs(self, t: torch.Tensor, ndim: int) -> tuple[torch.Tensor, torch.Tensor]:
        abar = self.alphas_cumprod.to(t.device)[t].view(-1, *([1] * (ndim - 1)))
        return abar.sqrt(), (1 - abar).sqrt()

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Draw x_t ~ q(x_t | x_0) with the given noise.

        Args:
            x0: (B, ...) clean samples.
            t: (B,) integer timesteps in [0, T).
            noise: (B, ...) standard normal ε.

        Returns:
            (B, ...) x_t = √ᾱ_t x0 + √(1 − ᾱ_t) ε.
        """
        a, s = self._coefs(t, x0.ndim)
        return a.to(x0.dtype) * x0 + s.to(x0.dtype) * noise

    def velocity(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """(B, ...) the v-prediction target √ᾱ_t ε − √(1 − ᾱ_t) x0."""
        a, s = self._coefs(t, x0.ndim)
        return a.to(x0.dtype) * noise - s.to(x0.dtype) * x0

    def predict_x0(self, x_t: torch.Tensor, t: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """(B, ...) x0 from x_t and a v prediction: √ᾱ_t x_t − √(1 − ᾱ_t) v."""
        a, s = self._coefs(t, x_t.ndim)
        return a.to(x_t.dtype) * x_t - s.to(x_t.dtype) * v

    def predict_noise(self, x_t: torch.Tensor, t: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """(B, ...) ε from x_t and a v prediction: √(1 − ᾱ_t) x_t + √ᾱ_t v."""
        a, s = self._coefs(t, x_t.ndim)
        return s.to(x_t.dtype) * x_t + a.to(x_t.dtype) * v


@lru_cache(maxsize=len(SCHEDULES))
def get_schedule(name: str = "cosine") -> NoiseSchedule:
    """The shared, immutable schedule of that name (built once)."""
    return NoiseSchedule.create(name)
