"""What the explorer keeps of a sampling run, and the model's first step with and without text.

* :class:`TrajectoryRecorder` collects the steps of :meth:`GlyphPipeline.iter_steps`
  (Ho et al. 2020's reverse process, or the DDIM / DPM-Solver++ samplers of Song et al.
  2021 and Lu et al. 2022) into a :class:`Trajectory`: x_t and the predicted x0 of every
  kept step, stored as 8-bit ink so a long run of many glyphs stays small enough to keep
  per browser session and scrub through afterwards.
* :func:`first_step_pair` runs the one model evaluation that starts sampling from pure
  noise, once for the prompt and once for the empty prompt, in a single batch, and
  returns both predicted x0: with classifier-free guidance (Ho & Salimans 2022)

      v̂ = v(x_T, ∅) + w (v(x_T, c) − v(x_T, ∅)),    x̂0 = √ᾱ_t x_T − √(1 − ᾱ_t) v̂,

  w = 0 is the unconditional guess and w > 0 shows where the prompt pulls it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from glyffuser.diffusion.sampling import distilled_guidance, guided_pair, make_scheduler
from glyffuser.diffusion.schedule import get_schedule
from glyffuser.images import to_ink
from glyffuser.model.pipeline import GlyphPipeline, PipelineStep, check_request

# Keep at most this many glyph pictures per array of a trajectory (x_t and predicted x0
# each): 16 glyphs x 121 steps fit whole; 1000 steps of 64 glyphs keep every 16th step.
MAX_KEPT_GLYPH_FRAMES = 4096


def quantize(ink: np.ndarray) -> np.ndarray:
    """(…) float ink in [0, 1] -> uint8 0-255."""
    return np.round(np.clip(ink, 0.0, 1.0) * 255.0).astype(np.uint8)


def dequantize(ink: np.ndarray) -> np.ndarray:
    """uint8 0-255 -> float32 ink in [0, 1]."""
    return ink.astype(np.float32) / 255.0


@dataclass(frozen=True)
class Trajectory:
    """The kept steps of one sampling run (read-only).

    Attributes:
        steps: number of denoising steps of the run.
        indices: (K,) step index of each kept frame, increasing; ``steps`` is the final sample.
        timesteps: (K,) the model's timestep t at each frame (−1 for the final sample).
        x_t: (K, B, S, S) uint8 ink of the sample at each frame.
        pred_x0: (K, B, S, S) uint8 ink of the model's estimate of x0 at each frame.
        settings: the checked request (prompt, n, steps, guidance, seed, sampler).
    """

    steps: int
    indices: np.ndarray
    timesteps: np.ndarray
    x_t: np.ndarray
    pred_x0: np.ndarray
    settings: dict

    def __len__(self) -> int:
        return len(self.indices)

    def frame_at(self, step: int) -> int:
        """Position of the last kept frame at or before step index ``step`` (clamped)."""
        pos = int(np.searchsorted(self.indices, int(step), side="right")) - 1
        return min(max(pos, 0), len(self.indices) - 1)

    def frame(self, pos: int) -> tuple[np.ndarray, np.ndarray]:
        """(x_t, pred_x0) of kept frame ``pos``, each (B, S, S) float32 ink."""
        return dequantize(self.x_t[pos]), dequantize(self.pred_x0[pos])

    @property
    def final(self) -> np.ndarray:
        """(B, S, S) float32 ink of the finished samples."""
        return dequantize(self.x_t[-1])


def keep_stride(steps: int, batch: int, budget: int = MAX_KEPT_GLYPH_FRAMES) -> int:
    """Keep every ``stride``-th step so that (steps + 1) / stride x batch ≤ ``budget``."""
    return max(1, math.ceil((steps + 1) * batch / budget))


class TrajectoryRecorder:
    """Feed it each :class:`PipelineStep` of a run; :meth:`result` gives the :class:`Trajectory`.

    The first step (pure noise), every ``stride``-th step and the final sample are kept.
    """

    def __init__(self, steps: int, batch: int, settings: dict, budget: int = MAX_KEPT_GLYPH_FRAMES):
        self.steps = int(steps)
        self.stride = keep_stride(self.steps, batch, budget)
        self.settings = dict(settings)
        self._indices, self._timesteps, self._x_t, self._pred = [], [], [], []

    def add(self, step: PipelineStep) -> bool:
        """Record ``step`` if it is kept; returns whether it was."""
        if step.index % self.stride and step.index != self.steps:
            return False
        self._indices.append(step.index)
        self._timesteps.append(step.t)
        self._x_t.append(quantize(step.x_t))
        self._pred.append(quantize(step.pred_x0))
        return True

    @classmethod
    def record(cls, steps, total: int, batch: int, settings: dict, budget: int = MAX_KEPT_GLYPH_FRAMES) -> Trajectory:
        """The :class:`Trajectory` of a run's ``steps`` (all of them, in order), of ``total`` steps."""
        recorder = cls(total, batch, settings, budget)
        for step in steps:
            recorder.add(step)
        return recorder.result()

    def result(self) -> Trajectory:
        if not self._indices:
            raise ValueError("no steps were recorded")
        return Trajectory(self.steps, np.array(self._indices), np.array(self._timesteps),
                          np.stack(self._x_t), np.stack(self._pred), self.settings)


@dataclass(frozen=True)
class FirstStep:
    """The model's first step from pure noise, without and with the prompt.

    Attributes:
        t: the timestep of the first step.
        noise: (B, S, S) float32 ink of x_T (clipped for display).
        unconditional: (B, S, S) float32 ink, predicted x0 for the empty prompt (w = 0).
        guided: (B, S, S) float32 ink, predicted x0 at guidance ``guidance``.
        guidance: w.
        one_pass_gap: for a model that guides in one pass, ‖v̂_one − v̂_two‖ / ‖v̂_two − v(∅)‖ over
            the batch: how far its one pass is from the two-pass v̂ it was trained to give, as a
            share of the guidance term; None when the step took the two passes itself.
    """

    t: int
    noise: np.ndarray
    unconditional: np.ndarray
    guided: np.ndarray
    guidance: float
    one_pass_gap: float | None = None


def first_step_pair(pipe: GlyphPipeline, prompt: str, n: int = 16, guidance: float = 3.0, seed: int = 0,
                    steps: int = 120, sampler: str = "dpm") -> FirstStep:
    """One model evaluation from x_T on the prompt and the null prompt together.

    Sample i starts from the noise of seed ``seed + i``, as in the pipeline, so
    ``guided`` equals ``pipe.first_step(prompt, n, guidance, seed, steps, sampler, guidance_t_max=999).pred_x0``
    and ``unconditional`` equals it at ``guidance=0``: here w applies at the first step whatever
    the pipeline's guidance interval.

    Raises:
        PipelineInputError: for arguments :func:`check_request` rejects.
    """
    request = check_request(prompt, n, steps, guidance, seed, sampler)
    cond, mask, null, null_mask, _ = pipe.conditions(request)  # (B, L, D) x 2, masks (B, L)
    x = pipe.initial_noise(request)  # (B, 1, S, S)
    scheduler = make_scheduler(request.sampler, pipe.model.config.schedule, pipe.model.config.prediction_type)
    scheduler.set_timesteps(request.steps)
    t = int(scheduler.timesteps[0])
    model = pipe.run_model()
    gap = None
    with torch.inference_mode():
        v_guided, v_null = guided_pair(model, x, t, cond, mask, null, null_mask, request.guidance)  # (B, 1, S, S) each
        if distilled_guidance(pipe.model, request.guidance):
            v_cond = model(x, torch.full((len(x),), t), cond, mask, guidance=torch.ones(len(x)))
            two_pass = v_null + request.guidance * (v_cond - v_null)
            gap = float((v_guided - two_pass).norm() / (two_pass - v_null).norm().clamp(min=1e-12))
    schedule = get_schedule(pipe.model.config.schedule)
    steps_t = torch.full((len(x),), t)

    def predict_x0(v):
        return schedule.predict_x0(x, steps_t, v)

    return FirstStep(t, to_ink(x), to_ink(predict_x0(v_null)), to_ink(predict_x0(v_guided)), request.guidance, gap)
