"""Text-to-glyph sampling: ``glyffuser.load_pipeline()``.

    pipe = glyffuser.load_pipeline()
    glyphs = pipe("gold", n=16, steps=120, guidance=3.0, seed=0, sampler="dpm")  # (16, 64, 64), 1 = ink
    for step in pipe.iter_steps("gold", n=16, steps=120):                         # every step, for animation
        step.x_t, step.pred_x0                                                    # (16, 64, 64) ink each

Sample i starts from noise drawn with seed ``seed + i``, so a glyph does not
change when more are asked for. Arguments are checked first: bad values raise
:class:`PipelineInputError` with a message meant for the user.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from glyffuser.diffusion.sampling import SAMPLERS, iter_denoise
from glyffuser.images import to_ink
from glyffuser.model import defaults
from glyffuser.model.batch_split import WORKERS, SplitBatchModel, fastest_workers
from glyffuser.model.text import load_text_encoder
from glyffuser.model.text_cache import install as install_text_cache
from glyffuser.model.traced import TracedModel
from glyffuser.model.unet import load_model

MODEL_DIR = Path(__file__).resolve().parents[2] / "assets" / "model"
MAX_GLYPHS = 64
MAX_STEPS = 1000
MAX_GUIDANCE = 20.0
MAX_PROMPT_CHARS = 1000
MAX_T = 999
DEFAULT_GUIDANCE = defaults.GUIDANCE  # w applies at t <= DEFAULT_GUIDANCE_T_MAX; above, the conditional model alone
DEFAULT_GUIDANCE_T_MAX = defaults.GUIDANCE_T_MAX


class PipelineInputError(ValueError):
    """An argument a user gave is out of range; the message says what is allowed."""


@dataclass(frozen=True)
class Request:
    """Checked sampling arguments, plus notes on how the prompts were read."""

    prompts: tuple
    n: int
    steps: int
    guidance: float
    seed: int
    sampler: str
    guidance_t_max: int = DEFAULT_GUIDANCE_T_MAX
    notes: tuple = field(default=())

    @property
    def batch(self) -> int:
        return len(self.prompts) * self.n


@dataclass(frozen=True)
class PipelineStep:
    """One step in ink space: arrays (B, S, S) float32 in [0, 1], 1 = ink."""

    index: int
    steps: int
    t: int
    x_t: np.ndarray
    pred_x0: np.ndarray


def _as_int(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or value is None:
        raise PipelineInputError(f"{name} must be a whole number from {low} to {high}, not {value!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PipelineInputError(f"{name} must be a whole number from {low} to {high}, not {value!r}.") from None
    if not np.isfinite(number) or number != int(number) or not low <= number <= high:
        raise PipelineInputError(f"{name} must be a whole number from {low} to {high}, not {value!r}.")
    return int(number)


def check_request(prompt, n=16, steps=120, guidance=DEFAULT_GUIDANCE, seed=0, sampler="dpm",
                  guidance_t_max=DEFAULT_GUIDANCE_T_MAX) -> Request:
    """Validate sampling arguments.

    Args:
        prompt: a string, or a list of strings (n samples each); "" samples unconditionally.
        n: samples per prompt, 1-64 in all.
        steps: denoising steps, 1-1000.
        guidance: classifier-free guidance scale w ≥ 0 (0 = unconditional, 1 = conditional only).
        seed: 0 to 2**31 - 1.
        sampler: "ddpm", "ddim" or "dpm".
        guidance_t_max: 0-999; w applies at t ≤ this, the conditional model alone above (999: everywhere).

    Raises:
        PipelineInputError: naming the bad argument and its allowed values.
    """
    if not (prompt is None or isinstance(prompt, (str, list, tuple))):
        raise PipelineInputError("prompt must be text (or a list of texts).")
    prompts = [prompt] if isinstance(prompt, str) or prompt is None else list(prompt)
    if not prompts or any(p is not None and not isinstance(p, str) for p in prompts):
        raise PipelineInputError("prompt must be text (or a list of texts).")
    prompts = [(p or "").strip() for p in prompts]
    notes = []
    for p in prompts:
        if not p:
            notes.append("An empty prompt samples unconditionally (no text condition).")
        elif len(p) > MAX_PROMPT_CHARS:
            raise PipelineInputError(f"A prompt may be at most {MAX_PROMPT_CHARS} characters (got {len(p)}).")
        if p and not p.isascii():
            notes.append(f"{p[:20]!r} is not plain English: the text encoder reads English, so expect a weak condition.")
    n = _as_int("n", n, 1, MAX_GLYPHS)
    if n * len(prompts) > MAX_GLYPHS:
        raise PipelineInputError(f"At most {MAX_GLYPHS} glyphs at once (asked {n} x {len(prompts)} prompts).")
    steps = _as_int("steps", steps, 1, MAX_STEPS)
    try:
        guidance = float(guidance)
    except (TypeError, ValueError):
        raise PipelineInputError(f"guidance must be a number from 0 to {MAX_GUIDANCE}, not {guidance!r}.") from None
    if not np.isfinite(guidance) or not 0 <= guidance <= MAX_GUIDANCE:
        raise PipelineInputError(f"guidance must be a number from 0 to {MAX_GUIDANCE}, not {guidance!r}.")
    seed = _as_int("seed", seed, 0, 2**31 - 1)
    if sampler not in SAMPLERS:
        raise PipelineInputError(f"sampler must be one of {', '.join(SAMPLERS)}, not {sampler!r}.")
    guidance_t_max = _as_int("guidance_t_max", guidance_t_max, 0, MAX_T)
    return Request(tuple(prompts), n, steps, guidance, seed, sampler, guidance_t_max, tuple(dict.fromkeys(notes)))


SPLIT_ENV = "GLYFFUSER_BATCH_SPLIT"
SPLIT_CHOICES = {"halves": WORKERS, "whole": 1, "auto": 0}  # 0: measure


class GlyphPipeline:
    """The shipped model plus the text encoder, ready to sample on the CPU."""

    def __init__(self, model, encoder):
        self.model = model
        install_text_cache(model.unet)
        self.traced = TracedModel(model)
        self.encoder = encoder
        self.size = model.config.image_size
        self._split_workers: int | None = None
        self._split_lock = threading.Lock()

    @lru_cache(maxsize=256)
    def _encode_one(self, prompt: str):
        enc = self.encoder.encode([prompt])
        return enc.states[0], enc.mask[0], enc.truncated[0], tuple(enc.tokens[0])

    def encode(self, prompts) -> tuple[torch.Tensor, torch.Tensor, list[bool]]:
        """(B, 32, 384) states, (B, 32) masks and truncation flags.

        Always the full padded length: the pooled text embedding was trained on it.
        """
        parts = [self._encode_one(p) for p in prompts]
        states = torch.stack([s for s, _, _, _ in parts])
        masks = torch.stack([m for _, m, _, _ in parts])
        return states, masks, [t for _, _, t, _ in parts]

    def tokens(self, prompt: str) -> list[str]:
        """The word pieces the encoder sees for ``prompt``."""
        return list(self._encode_one(prompt)[3])

    def initial_noise(self, request: Request) -> torch.Tensor:
        """(B, 1, S, S) x_T; sample i of each prompt from seed + i."""
        noise = [torch.randn((1, self.size, self.size), generator=torch.Generator().manual_seed(request.seed + i))
                 for i in range(request.n)]
        return torch.stack(noise * len(request.prompts))

    def conditions(self, request: Request):
        """Prompt and null states for the batch: (B, L, D) each, masks (B, L)."""
        cond, mask, truncated = self.encode(list(request.prompts) + [""])
        null, null_mask = cond[-1:], mask[-1:]
        cond, mask = cond[:-1].repeat_interleave(request.n, 0), mask[:-1].repeat_interleave(request.n, 0)
        batch = request.batch
        return cond, mask, null.expand(batch, -1, -1), null_mask.expand(batch, -1), any(truncated[:-1])

    def run_model(self) -> SplitBatchModel:
        """The network as one sampling run calls it: a TorchScript graph, the batch split or whole, whichever is faster here."""
        return SplitBatchModel(self.traced, self.split_workers())

    def split_workers(self) -> int:
        """How many halves a batch runs as: measured once per process on 16 glyphs (0.3-0.5 s), or set by
        the environment variable ``GLYFFUSER_BATCH_SPLIT`` ("halves", "whole" or "auto")."""
        with self._split_lock:
            if self._split_workers is None:
                choice = os.environ.get(SPLIT_ENV, "auto")
                if choice not in SPLIT_CHOICES:
                    raise ValueError(f"{SPLIT_ENV} must be one of {', '.join(SPLIT_CHOICES)}, not {choice!r}")
                self._split_workers = SPLIT_CHOICES[choice] or self._measure_split()
            return self._split_workers

    def _measure_split(self) -> int:
        batch = 16
        text, mask, _ = self.encode([""])
        inputs = (torch.randn(batch, 1, self.size, self.size, generator=torch.Generator().manual_seed(0)),
                  torch.full((batch,), 500), text.expand(batch, -1, -1), mask.expand(batch, -1))
        kwargs = {"guidance": torch.full((batch,), 1.0)} if self.model.config.guidance_embedding else {}
        return fastest_workers(self.traced, inputs, kwargs)

    @torch.inference_mode()  # on a generator: only while it runs, never in the caller between steps
    def iter_steps(self, prompt, n=16, steps=120, guidance=DEFAULT_GUIDANCE, seed=0, sampler="dpm",
                   guidance_t_max=DEFAULT_GUIDANCE_T_MAX) -> Iterator[PipelineStep]:
        """Yield every step of sampling (arguments as in :func:`check_request`)."""
        request = check_request(prompt, n, steps, guidance, seed, sampler, guidance_t_max)
        cond, mask, null, null_mask, _ = self.conditions(request)
        x_T = self.initial_noise(request)
        generator = torch.Generator().manual_seed(request.seed + 10_007)
        for step in iter_denoise(self.run_model(), cond, mask, null, null_mask, x_T, request.sampler,
                                 request.steps, request.guidance, generator, request.guidance_t_max):
            yield PipelineStep(step.index, request.steps, step.t, to_ink(step.x_t), to_ink(step.pred_x0))
            last = step
        yield PipelineStep(request.steps, request.steps, -1, to_ink(last.x_prev), to_ink(last.x_prev))

    def __call__(self, prompt, n=16, steps=120, guidance=DEFAULT_GUIDANCE, seed=0, sampler="dpm",
                 guidance_t_max=DEFAULT_GUIDANCE_T_MAX) -> np.ndarray:
        """Sample glyphs.

        Returns:
            (B, S, S) float32 in [0, 1], 1 = ink; B = n x number of prompts; S = the model's size.
        """
        for step in self.iter_steps(prompt, n, steps, guidance, seed, sampler, guidance_t_max):
            pass
        return step.x_t

    def first_step(self, prompt, n=16, guidance=DEFAULT_GUIDANCE, seed=0, steps=120, sampler="dpm",
                   guidance_t_max=DEFAULT_GUIDANCE_T_MAX) -> PipelineStep:
        """The model's first step from pure noise: what the prompt pulls x0 towards."""
        return next(self.iter_steps(prompt, n, steps, guidance, seed, sampler, guidance_t_max))


def load_pipeline(model_dir: str | Path | None = None) -> GlyphPipeline:
    """Load a model folder (default: the shipped ``assets/model``) and the text encoder, once per folder."""
    return _load_pipeline(Path(model_dir or MODEL_DIR).resolve())


@lru_cache(maxsize=2)
def _load_pipeline(model_dir: Path) -> GlyphPipeline:
    return GlyphPipeline(load_model(model_dir), load_text_encoder())
