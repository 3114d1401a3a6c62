"""The forward process's posterior q(x_{t−1} | x_t, x0): why a reverse step needs x0.

Going backwards one step, q(x_{t−1} | x_t) = ∫ q(x_{t−1} | x_t, x0) q(x0 | x_t) dx0 mixes
over every glyph that could have produced x_t, so it depends on the whole data
distribution. Given x0 it is one Gaussian in closed form (Ho et al. 2020, eq. 6-7):

    q(x_{t−1} | x_t, x0) = N(μ̃_t(x_t, x0), β̃_t I),
    μ̃_t = √ᾱ_{t−1} β_t / (1 − ᾱ_t) · x0 + √α_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · x_t,
    β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t.

Indices are diffusers' 0-based ones (``alphas_cumprod[t]``), with ᾱ_{−1} = 1 before the
first step, as in ``diffusers.DDPMScheduler`` with ``set_timesteps(T)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from glyffuser.diffusion.schedule import NoiseSchedule


@dataclass(frozen=True)
class Posterior:
    """Coefficients of q(x_{t−1} | x_t, x0) at one step t (floats, from float64 arithmetic).

    Attributes:
        t: the step (0-based index).
        coef_x0: weight of x0 in the mean.
        coef_xt: weight of x_t in the mean.
        variance: β̃_t.
    """

    t: int
    coef_x0: float
    coef_xt: float
    variance: float

    def mean(self, x_t: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        """μ̃_t(x_t, x0), any shape (x_t and x0 alike)."""
        return self.coef_x0 * x0 + self.coef_xt * x_t


def posterior(schedule: NoiseSchedule, t: int) -> Posterior:
    """The posterior's coefficients at step ``t`` in ``[0, T)``."""
    t = int(t)
    if not 0 <= t < schedule.num_steps:
        raise ValueError(f"t must lie in [0, {schedule.num_steps}), got {t}")
    abar = schedule.alphas_cumprod.double()
    abar_t = float(abar[t])
    abar_prev = float(abar[t - 1]) if t > 0 else 1.0
    beta = 1.0 - abar_t / abar_prev  # β_t as the ratio of the stored ᾱ (as diffusers' step does)
    return Posterior(
        t=t,
        coef_x0=abar_prev**0.5 * beta / (1.0 - abar_t),
        coef_xt=(1.0 - beta) ** 0.5 * (1.0 - abar_prev) / (1.0 - abar_t),
        variance=(1.0 - abar_prev) / (1.0 - abar_t) * beta,
    )
