"""One training example of the glyph denoiser, opened up; and the shipped model's loss log.

Each training step (Ho et al. 2020, Algorithm 1) draws a glyph x0 with its definition c,
a timestep t ~ U{0, ..., T-1} and noise ε ~ N(0, I), forms

    x_t = √ᾱ_t x0 + √(1 − ᾱ_t) ε

and asks the network for v = √ᾱ_t ε − √(1 − ᾱ_t) x0 (the v-parameterisation of
Salimans & Ho 2022), scored by the mean squared error. Because (√ᾱ_t)² + (√(1 − ᾱ_t))² = 1,
a predicted v̂ gives back both other views of the same guess:

    x̂0 = √ᾱ_t x_t − √(1 − ᾱ_t) v̂,     ε̂ = √(1 − ᾱ_t) x_t + √ᾱ_t v̂.

:func:`training_example` computes one such example exactly as :mod:`glyffuser.train.trainer`
does (same schedule calls, same loss), for a single glyph, without updating anything.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from glyffuser.diffusion.forward import standard_normal
from glyffuser.diffusion.schedule import NoiseSchedule

LOSS_LOG = Path(__file__).resolve().parents[2] / "assets" / "model" / "loss.csv"
LOSS_COLUMNS = ("step", "epoch", "loss", "glyphs_per_s", "elapsed_s")


@dataclass(frozen=True)
class TrainingExample:
    """One glyph, noised and denoised once. Images are (S, S) float32 in model space.

    Attributes:
        t: the timestep.
        alpha_bar: ᾱ_t.
        x0: the clean glyph, −1 = paper, +1 = ink.
        noise: ε.
        x_t: √ᾱ_t x0 + √(1 − ᾱ_t) ε, what the network sees.
        v: the target √ᾱ_t ε − √(1 − ᾱ_t) x0.
        v_pred: the network's output v̂.
        x0_pred: x̂0 recovered from v̂.
        noise_pred: ε̂ recovered from v̂.
        loss: mean of (v̂ − v)², the training loss of this example.
        noise_mse: mean of (ε̂ − ε)², the same guess scored as a noise prediction.
        x0_mse: mean of (x̂0 − x0)².
    """

    t: int
    alpha_bar: float
    x0: np.ndarray
    noise: np.ndarray
    x_t: np.ndarray
    v: np.ndarray
    v_pred: np.ndarray
    x0_pred: np.ndarray
    noise_pred: np.ndarray
    loss: float
    noise_mse: float
    x0_mse: float


def training_example(model, schedule: NoiseSchedule, x0, t: int, seed: int,
                     text: torch.Tensor, mask: torch.Tensor) -> TrainingExample:
    """Noise one glyph to step ``t`` and score the model's prediction, as training does.

    Args:
        model: the denoiser, ``(x (B, 1, S, S), t (B,), text (B, L, D), mask (B, L)) -> v``.
        schedule: the model's noise schedule.
        x0: ``(S, S)`` clean glyph in model space [-1, 1].
        t: timestep in ``[0, T)``.
        seed: seed of ε (drawn with :func:`glyffuser.diffusion.forward.standard_normal`).
        text: ``(1, L, D)`` token states of the glyph's definition (or the null prompt's).
        mask: ``(1, L)`` bool token mask.

    Returns:
        The :class:`TrainingExample`.
    """
    t = int(t)
    if not 0 <= t < schedule.num_steps:
        raise ValueError(f"t must lie in [0, {schedule.num_steps}), got {t}")
    x0 = torch.as_tensor(np.asarray(x0, dtype=np.float32))[None, None]  # (1, 1, S, S)
    noise = standard_normal(tuple(x0.shape[-2:]), seed)[None, None]  # (1, 1, S, S)
    tt = torch.tensor([t])
    x_t = schedule.q_sample(x0, tt, noise)
    v = schedule.velocity(x0, tt, noise)
    with torch.inference_mode():
        v_pred = model(x_t, tt, text, mask).float()
    x0_pred = schedule.predict_x0(x_t, tt, v_pred)
    noise_pred = schedule.predict_noise(x_t, tt, v_pred)

    def mse(a, b) -> float:
        return float(torch.mean((a - b) ** 2))

    def image(x) -> np.ndarray:
        return x[0, 0].numpy().astype(np.float32)

    return TrainingExample(
        t=t, alpha_bar=float(schedule.alphas_cumprod[t]), x0=image(x0), noise=image(noise), x_t=image(x_t), v=image(v),
        v_pred=image(v_pred), x0_pred=image(x0_pred), noise_pred=image(noise_pred),
        loss=mse(v_pred, v), noise_mse=mse(noise_pred, noise), x0_mse=mse(x0_pred, x0),
    )


@dataclass(frozen=True)
class LossLog:
    """The training log of a model: one row per logged step.

    Attributes:
        step, epoch, loss, glyphs_per_s, elapsed_s: (K,) float64 columns.
    """

    step: np.ndarray
    epoch: np.ndarray
    loss: np.ndarray
    glyphs_per_s: np.ndarray
    elapsed_s: np.ndarray


def read_loss_log(path: str | Path = LOSS_LOG) -> LossLog:
    """Read a ``loss.csv`` written by :mod:`glyffuser.train.trainer`.

    Raises:
        ValueError: when a column is missing or a value is not a number.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    missing = [c for c in LOSS_COLUMNS if not rows or c not in rows[0]]
    if missing:
        raise ValueError(f"{path} lacks the columns {missing}")
    return LossLog(*(np.array([float(r[c]) for r in rows]) for c in LOSS_COLUMNS))
