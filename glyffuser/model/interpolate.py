"""A walk between two prompts: the text condition mixed in steps, sampled from fixed noise.

The U-Net reads a prompt as 32 token states (32, 384) and a mask of its real tokens;
cross-attention gives a masked token no weight (its logit gets -10000), and a pooled
embedding of all 32 states joins the timestep embedding. Between prompts A and B at
fraction α (0 = A, 1 = B) each token's state is ``(1 - α) s_A + α s_B`` and its attention
weight is ``(1 - α) m_A + α m_B``: a word only A has fades out as B's fade in. The weight
enters as a float "keep" mask ``1 + ln(weight) / 10000``, which diffusers turns into the
attention bias ``ln(weight)`` (0 where both prompts have a token); a weight of 0 is the
mask's own 0. At α = 0 and α = 1 the states, mask and bias are exactly those of A and of
B alone, so the walk's end points are the two prompts' own samples (tests/test_interpolate.py).

Every point starts from the same noise (glyph i from seed + i), as the pipeline does,
so only the condition changes along the strip (DiffusionDemo's prompt interpolation,
here on the explorer's own model).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from glyffuser.diffusion.sampling import iter_denoise
from glyffuser.images import to_ink
from glyffuser.model.pipeline import GlyphPipeline, PipelineStep, check_request

MASK_BIAS_SCALE = 10_000.0  # diffusers' bias for a dropped token: (1 - keep) * -10000
MAX_POINTS = 11


def mix_conditions(states_a: torch.Tensor, mask_a: torch.Tensor, states_b: torch.Tensor, mask_b: torch.Tensor,
                   alphas) -> tuple[torch.Tensor, torch.Tensor]:
    """Token states and float keep-masks for each fraction α along A -> B.

    Args:
        states_a, states_b: (L, D) token states of the two prompts (zero past each end).
        mask_a, mask_b: (L,) bool, True on real tokens.
        alphas: P fractions in [0, 1] (0 = A, 1 = B).

    Returns:
        states (P, L, D) and masks (P, L) float32, where the model's attention bias
        ``(1 - mask) * -10000`` equals ``ln((1 - α) m_A + α m_B)`` on tokens of either prompt
        and -10000 elsewhere.
    """
    alpha = torch.as_tensor(np.asarray(alphas, dtype=np.float32))  # (P,)
    a = alpha[:, None, None]
    states = (1 - a) * states_a[None] + a * states_b[None]  # (P, L, D)
    weight = (1 - alpha[:, None]) * mask_a[None].float() + alpha[:, None] * mask_b[None].float()  # (P, L)
    keep = torch.where(weight > 0, 1 + torch.log(weight.clamp(min=1e-30)) / MASK_BIAS_SCALE, torch.zeros_like(weight))
    return states, keep


def walk_alphas(points: int) -> np.ndarray:
    """(points,) evenly spaced fractions from 0 to 1, both included."""
    if not 2 <= int(points) <= MAX_POINTS:
        raise ValueError(f"points must be from 2 to {MAX_POINTS}, not {points!r}")
    return np.linspace(0.0, 1.0, int(points))


@torch.inference_mode()
def iter_walk(pipe: GlyphPipeline, prompt_a: str, prompt_b: str, points: int = 7, n: int = 1, steps: int = 50,
              guidance: float = 3.0, seed: int = 0, sampler: str = "dpm") -> Iterator[PipelineStep]:
    """Sample the walk from A to B, yielding every step as the pipeline's ``iter_steps`` does.

    Batch order: point-major, ``b = p * n + i`` is glyph i (seed + i) at fraction ``alphas[p]``.

    Yields:
        :class:`PipelineStep` with x_t, pred_x0 (points * n, S, S) ink; the last has t = -1.
    """
    alphas = walk_alphas(points)
    request = check_request([prompt_a, prompt_b], n=n, steps=steps, guidance=guidance, seed=seed, sampler=sampler)
    states, masks, _ = pipe.encode([request.prompts[0], request.prompts[1], ""])
    cond, keep = mix_conditions(states[0], masks[0], states[1], masks[1], alphas)
    cond, keep = cond.repeat_interleave(n, 0), keep.repeat_interleave(n, 0)  # (P * n, L, D), (P * n, L)
    batch = len(cond)
    null, null_mask = states[2:3].expand(batch, -1, -1), masks[2:3].expand(batch, -1)
    one_point = check_request(prompt_a, n=n, steps=steps, guidance=guidance, seed=seed, sampler=sampler)
    x_T = pipe.initial_noise(one_point).repeat(len(alphas), 1, 1, 1)  # (P * n, 1, S, S), same noise at every point
    generator = torch.Generator().manual_seed(request.seed + 10_007)
    for step in iter_denoise(pipe.run_model(), cond, keep, null, null_mask, x_T, request.sampler, request.steps,
                             request.guidance, generator, request.guidance_t_max):
        yield PipelineStep(step.index, request.steps, step.t, to_ink(step.x_t), to_ink(step.pred_x0))
        last = step
    yield PipelineStep(request.steps, request.steps, -1, to_ink(last.x_prev), to_ink(last.x_prev))
