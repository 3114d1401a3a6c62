"""The reverse process: one generator that yields every denoising step.

Stepping uses diffusers' schedulers (DDPM ancestral, Ho et al. 2020; DDIM,
Song et al. 2021; DPM-Solver++ 2M, Lu et al. 2022), each created fresh per
call so concurrent requests share no state. Classifier-free guidance (Ho &
Salimans 2022) runs the conditional and null prompts in one batch, or, for a
guidance-distilled model, is one pass that takes w as an input. Guidance can be
limited to an interval of noise levels (Kynkäänniemi et al. 2024): above
``guidance_t_max`` the conditional model acts alone, which keeps the variety that
guidance at the highest noise levels collapses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import torch

from glyffuser.diffusion.schedule import DIFFUSERS_NAMES, get_schedule

SAMPLERS = ("ddpm", "ddim", "dpm")


@dataclass(frozen=True)
class Step:
    """One step of the reverse process.

    Attributes:
        index: 0-based step number.
        t: the timestep the model was evaluated at.
        x_t: (B, 1, S, S) the sample the model saw.
        pred_x0: (B, 1, S, S) the model's estimate of the clean glyph.
        x_prev: (B, 1, S, S) the sample after the step.
    """

    index: int
    t: int
    x_t: torch.Tensor
    pred_x0: torch.Tensor
    x_prev: torch.Tensor


def make_scheduler(sampler: str, schedule_name: str, prediction_type: str, num_train_timesteps: int = 1000):
    """A fresh diffusers scheduler for ``sampler`` on the named β schedule.

    Timesteps are spaced from the end ("trailing"), so every run, even a one-step run,
    starts at t = T − 1 where x_T is pure noise (Lin et al. 2024).
    """
    from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler

    common = dict(
        num_train_timesteps=num_train_timesteps,
        beta_schedule=DIFFUSERS_NAMES[schedule_name],
        prediction_type=prediction_type,
        clip_sample=False,
    )
    if sampler == "ddpm":
        return DDPMScheduler(**common, variance_type="fixed_small", timestep_spacing="trailing")
    if sampler == "ddim":
        return DDIMScheduler(**common, set_alpha_to_one=True, timestep_spacing="trailing")
    if sampler == "dpm":
        common.pop("clip_sample")
        return DPMSolverMultistepScheduler(
            **common, algorithm_type="dpmsolver++", solver_order=2, timestep_spacing="trailing", lower_order_final=True
        )
    raise ValueError(f"unknown sampler {sampler!r}; choose one of {SAMPLERS}")


def pad_tokens(states: torch.Tensor, mask: torch.Tensor, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-pad (B, L, D) states and (B, L) masks to ``length`` tokens."""
    extra = length - states.shape[1]
    if extra <= 0:
        return states, mask
    return torch.nn.functional.pad(states, (0, 0, 0, extra)), torch.nn.functional.pad(mask, (0, extra), value=False)


def velocity_pair(model, x: torch.Tensor, t: int, cond, cond_mask, null, null_mask, **model_kwargs) -> tuple[torch.Tensor, torch.Tensor]:
    """(v(x, c), v(x, ∅)), each (B, 1, S, S), from one batch of 2B.

    Args:
        x: (B, 1, S, S); cond, null: (B, L, D) (lengths may differ); masks (B, L) bool.
        model_kwargs: passed to the model, e.g. ``guidance`` (2B,) for a distilled model.
    """
    batch = x.shape[0]
    length = max(cond.shape[1], null.shape[1])
    cond, cond_mask = pad_tokens(cond, cond_mask, length)
    null, null_mask = pad_tokens(null, null_mask, length)
    out = model(
        torch.cat([x, x]),
        torch.full((2 * batch,), t, dtype=torch.long, device=x.device),
        torch.cat([cond, null]),
        torch.cat([cond_mask, null_mask]),
        **model_kwargs,
    )
    v_cond, v_null = out.chunk(2)
    return v_cond, v_null


def distilled_guidance(model, guidance: float) -> bool:
    """Whether ``model`` takes w as an input and was distilled on this w."""
    config = model.config
    return bool(getattr(config, "guidance_embedding", False)) and 0.0 < guidance <= config.guidance_max and guidance != 1.0


def guided_pair(model, x: torch.Tensor, t: int, cond, cond_mask, null, null_mask, guidance: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(v̂ at guidance w, v(x, ∅)), each (B, 1, S, S), from one batch of 2B.

    The unconditional half is exactly what :func:`guided_velocity` gives at w = 0.
    """
    if distilled_guidance(model, guidance):
        batch = x.shape[0]
        scales = torch.cat([torch.full((batch,), guidance), torch.ones(batch)]).to(x.device)
        return velocity_pair(model, x, t, cond, cond_mask, null, null_mask, guidance=scales)
    v_cond, v_null = velocity_pair(model, x, t, cond, cond_mask, null, null_mask)
    return v_null + guidance * (v_cond - v_null), v_null


def guided_velocity(model, x: torch.Tensor, t: int, cond: torch.Tensor, cond_mask, null: torch.Tensor, null_mask, guidance: float) -> torch.Tensor:
    """v̂ = v(x, ∅) + w (v(x, c) − v(x, ∅)), both halves in one batch.

    A guidance-distilled model gives v̂ in one pass of B for w within its trained range.

    Args:
        x: (B, 1, S, S); cond: (B, L, D); null: (B, L, D); masks (B, L) bool.

    Returns:
        (B, 1, S, S) the guided prediction.
    """
    batch = x.shape[0]
    timesteps = torch.full((batch,), t, dtype=torch.long, device=x.device)
    if distilled_guidance(model, guidance):
        return model(x, timesteps, cond, cond_mask, guidance=torch.full((batch,), guidance, device=x.device))
    if guidance == 1.0:
        return model(x, timesteps, cond, cond_mask)
    if guidance == 0.0:
        return model(x, timesteps, null, null_mask)
    return guided_pair(model, x, t, cond, cond_mask, null, null_mask, guidance)[0]


def guidance_at(t: int, guidance: float, guidance_t_max: int) -> float:
    """The scale used at timestep t: ``guidance`` for t ≤ ``guidance_t_max``, else at most 1 (no guidance)."""
    return guidance if t <= guidance_t_max else min(guidance, 1.0)


@torch.no_grad()
def iter_denoise(model, cond, cond_mask, null, null_mask, x_T: torch.Tensor, sampler: str = "dpm", steps: int = 120,
                 guidance: float = 3.0, generator: torch.Generator | None = None,
                 guidance_t_max: int = 999) -> Iterator[Step]:
    """Run the reverse process from x_T, yielding each step.

    Args:
        model: callable (x, t, text, mask) -> v, with ``model.config.schedule`` / ``prediction_type``.
        cond, null: (B, L, D) prompt and null token states; masks (B, L) bool.
        x_T: (B, 1, S, S) starting noise.
        generator: drives the DDPM sampler's fresh noise.
        guidance_t_max: guidance applies at t ≤ this; above it the scale is min(w, 1).
    """
    scheduler = make_scheduler(sampler, model.config.schedule, model.config.prediction_type)
    scheduler.set_timesteps(steps)
    schedule = get_schedule(model.config.schedule)
    x = x_T
    for index, t in enumerate(scheduler.timesteps):
        t = int(t)
        v = guided_velocity(model, x, t, cond, cond_mask, null, null_mask, guidance_at(t, guidance, guidance_t_max))
        kwargs = {"generator": generator} if sampler == "ddpm" else {}
        out = scheduler.step(v, t, x, return_dict=True, **kwargs)
        pred_x0 = getattr(out, "pred_original_sample", None)
        if pred_x0 is None:  # DPM-Solver does not report it: compute from v
            pred_x0 = schedule.predict_x0(x, torch.full((x.shape[0],), t, device=x.device), v)
        yield Step(index, t, x, pred_x0, out.prev_sample)
        x = out.prev_sample
