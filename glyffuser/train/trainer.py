"""Training the glyph denoiser: ``python -m glyffuser.train``.

Objective (Ho et al. 2020, in the v-parameterisation of Salimans & Ho 2022):
draw a glyph x0 with its definition c, t ~ U{0..T-1}, ε ~ N(0, I), form
x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε, and regress v = √ᾱ_t ε − √(1−ᾱ_t) x0 with MSE.
The definition is replaced by the empty prompt for a share of examples, so
the same network also learns the unconditional model that classifier-free
guidance needs (Ho & Salimans 2022).

Against copying (Somepalli et al. 2023): ``--caption-variants K`` trains on K
captions per glyph drawn from its definition (:mod:`glyffuser.train.captions`),
``--text-noise`` adds Gaussian noise to the caption's token states, and
``--uncaptioned 1`` adds the block's glyphs without a definition as null-prompt
examples. ``--image-size`` / ``--patch`` with ``--init`` refit a saved model to a
larger pixel (un)shuffle (:func:`glyffuser.model.unet.repatch_state`).

``--self-guidance p`` trains a guidance-embedded model's one-pass guided v at the
same time as its conditional v: a share p of captioned examples draws
w ~ U[0, guidance_max] and regresses v + (w − 1)(v_ema(x_t, c) − v_ema(x_t, ∅)),
whose mean given x_t is the classifier-free guided v̂_w of the EMA model, so
guidance stays one pass without a separate teacher.

Resumable: the full state (weights, EMA, optimiser, step, data order) is
written atomically every ``checkpoint_seconds``; rerunning the same command
continues from it. All randomness comes from explicit ``torch.Generator``s.

One process or many: ``accelerate launch -m glyffuser.train`` runs the same loop on
N processes, each on its slice of every global batch
(:mod:`glyffuser.train.distributed`); a checkpoint resumes on any number of processes.
``--preset article`` trains the article's 128×128 network (:mod:`glyffuser.train.presets`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from glyffuser.data import load_glyphs
from glyffuser.data.dataset import resize_images
from glyffuser.data.store import GLYPHS_FILE, DatasetError, atomic_write
from glyffuser.diffusion.schedule import NoiseSchedule
from glyffuser.model.unet import (
    GlyphUNet,
    ModelConfig,
    count_parameters,
    load_model,
    repatch_state,
    save_model,
)
from glyffuser.train.caches import load_prompt_states, load_text_cache, load_uncaptioned
from glyffuser.train.distributed import Processes
from glyffuser.train.logs import LOG_FIELDS, append_log, joined_log  # noqa: F401  (joined_log: tests import it from here)
from glyffuser.train.presets import model_config_for, preset_values

SAMPLE_PROMPTS = ("gold", "water", "fire", "tree", "grass", "insect", "sickness", "bird", "fish", "speech")


@dataclass
class TrainConfig:
    """Training settings; every field is also a ``--flag`` of the command line."""

    out: str = "runs/glyffuser"
    export: str = ""  # folder to write the EMA model to after training, e.g. assets/model
    export_dtype: str = "float32"  # or "float16" for a file half the size
    minutes: float = 60.0  # wall-clock budget of this invocation
    max_steps: int = 1_000_000
    batch_size: int = 256
    lr: float = 1e-3
    warmup_steps: int = 500
    weight_decay: float = 0.01
    ema_decay: float = 0.999
    text_dropout: float = 0.15
    seed: int = 0
    device: str = "auto"
    log_every: int = 50
    sample_every: int = 2000
    checkpoint_seconds: float = 120.0
    limit: int = 0  # train on the first N glyphs only (0 = all), for quick tests
    size: str = "base"  # "base", "tiny" (tests) or "article" (the article's 128x128 network)
    preset: str = ""  # "article": the article's network and 128x128 data (flags given win)
    data: str = ""  # a glyph dataset .npz (default: the shipped 64x64 assets/glyphs.npz)
    engine: str = "accelerate"  # "accelerate" (1 or N processes) or "plain" (one process, no Accelerate)
    teacher: str = ""  # a trained model's folder: distil its guidance into one pass
    guidance_max: float = 8.0  # distillation draws w ~ U[0, guidance_max]
    init: str = ""  # a model folder whose weights start a new run (the same network), e.g. to go on distilling a shipped student
    image_size: int = 0  # 0: the size of --init / the default network
    patch: int = 0  # 0: the patch of --init / the default network
    caption_variants: int = 1  # captions per glyph (1: the definition only)
    word_dropout: float = 0.15  # per-word drop rate inside an augmented caption
    text_noise: float = 0.0  # std of Gaussian noise added to a caption's token states
    uncaptioned: int = 0  # 1: add the block's glyphs without a definition as null-prompt examples
    self_guidance: float = 0.0  # share of captioned examples trained on the one-pass guided target
    threads: int = 0  # torch intra-op threads (0: torch's default); 1 wastes less on a machine shared with other work


def saved_run_config(out: Path) -> ModelConfig | None:
    """The network of the run checkpointed in ``out`` (its state.pt), or None for a new run."""
    path = Path(out) / "state.pt"
    if not path.exists():
        return None
    state = torch.load(path, map_location="cpu", weights_only=True)
    return ModelConfig.from_dict(json.loads(state["model_config"]))


def run_model_config(cfg: TrainConfig, teacher: GlyphUNet | None) -> ModelConfig:
    """The network a run trains: the teacher's, the checkpointed run's (resuming), --init's or the
    default, at --image-size / --patch."""
    resumed = None if teacher is not None else saved_run_config(cfg.out)
    if teacher is not None:
        base = teacher.config
    elif resumed is not None:  # a run resumes with its own network, whatever started it
        base = resumed
    elif cfg.init:
        base = ModelConfig.from_dict(json.loads((Path(cfg.init) / "config.json").read_text()))
    else:
        base = model_config_for(cfg.size)
    base = dataclasses.replace(base, image_size=cfg.image_size or base.image_size, patch=cfg.patch or base.patch, extra={})
    if cfg.self_guidance:  # the one-pass guidance is trained on w in [0, guidance_max]
        base = dataclasses.replace(base, guidance_max=cfg.guidance_max)
    if base.image_size % base.patch or (base.image_size // base.patch) % 4:
        raise ValueError(f"--image-size {base.image_size} with --patch {base.patch}: the U-Net's input must be a multiple of 4 pixels")
    return base


def student_of(teacher: GlyphUNet, guidance_max: float) -> GlyphUNet:
    """The teacher's network plus a guidance embedding whose output starts at zero (student == teacher at init)."""
    config = dataclasses.replace(teacher.config, guidance_embedding=True, guidance_max=guidance_max, extra={})
    student = GlyphUNet(config)
    missing, unexpected = student.load_state_dict(teacher.state_dict(), strict=False)
    if unexpected or any(not key.startswith("unet.class_embedding.") for key in missing):
        raise ValueError(f"the teacher's weights do not fit the student: missing {missing}, unexpected {unexpected}")
    last = student.unet.class_embedding.linear_2
    torch.nn.init.zeros_(last.weight)
    torch.nn.init.zeros_(last.bias)
    return student


class Trainer:
    """Holds the model, EMA copy, optimiser, data and RNG state of one run."""

    def __init__(self, cfg: TrainConfig, processes: Processes | None = None):
        self.cfg = cfg
        self.out = Path(cfg.out)
        self.processes = processes or Processes(cfg.engine, cfg.device)
        self.device = self.processes.device
        self.processes.part(cfg.batch_size)  # fails early when the batch does not split
        if self.processes.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
        self.teacher = load_model(cfg.teacher, self.device).requires_grad_(False) if cfg.teacher else None
        self.model_config = run_model_config(cfg, self.teacher)
        if cfg.data and not Path(cfg.data).is_file():
            size = self.model_config.image_size
            raise FileNotFoundError(f"no glyph dataset at {cfg.data}: build it with "
                                    f"`python -m glyffuser.data build --size {size} --out {cfg.data}`")
        glyphs = load_glyphs(cfg.data or GLYPHS_FILE)
        count = cfg.limit or len(glyphs)
        if cfg.self_guidance and not (self.model_config.guidance_embedding and not self.teacher):
            raise ValueError("--self-guidance needs a guidance-embedded model from --init (a distilled student), and no --teacher")
        if glyphs.images.shape[-1] < self.model_config.image_size:
            raise ValueError(f"the {self.model_config.image_size}x{self.model_config.image_size} network needs glyphs at least that size; "
                             f"{cfg.data or GLYPHS_FILE} holds {glyphs.images.shape[-1]}x{glyphs.images.shape[-1]}: build them with "
                             f"`python -m glyffuser.data build --size {self.model_config.image_size} --out FILE` and pass --data FILE")
        images = glyphs.images[:count]
        with self.processes.main_first():  # the main process renders and encodes the caches, the others read them
            if cfg.uncaptioned:
                import numpy as np

                images = np.concatenate([images, load_uncaptioned(self.out, images.shape[-1]).numpy()])
            states, masks, null, null_mask = load_text_cache(self.out, glyphs.definitions[:count], self.device,
                                                             cfg.caption_variants, cfg.seed, cfg.word_dropout)
        self.captioned = count  # rows past this have no caption: always the null prompt
        self.images = (resize_images(images, self.model_config.image_size) * 2 - 1).to(self.device)
        self.states, self.masks = states.to(self.device), masks.to(self.device)
        self.null, self.null_mask = null.to(self.device), null_mask.to(self.device)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        self.schedule = NoiseSchedule.create(self.model_config.schedule)
        torch.manual_seed(cfg.seed)  # only the initial weights (the same on every process)
        if self.teacher:
            self.model = student_of(self.teacher, cfg.guidance_max).to(self.device)
        else:
            self.model = GlyphUNet(self.model_config).to(self.device)
        self.model_config = self.model.config
        self.init_record = self._load_init(cfg.init) if cfg.init else None
        self.ema = GlyphUNet(self.model_config).to(self.device).eval().requires_grad_(False)
        self.ema.load_state_dict(self.model.state_dict())
        optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        # self.model stays the bare network (EMA, checkpoints, export); self.net is what the step calls (DDP on N processes)
        self.net, self.optimizer = self.processes.prepare(self.model, optimizer)
        self.data_gen = torch.Generator().manual_seed(cfg.seed)
        self.noise_gen = torch.Generator(self.device).manual_seed(cfg.seed + 1)
        rows = len(self.images)
        self.step, self.epoch, self.order, self.cursor, self.elapsed = 0, 0, torch.randperm(rows, generator=self.data_gen), 0, 0.0

    def _load_init(self, folder: str) -> dict:
        """Start from a saved model's weights (refitted to a larger patch if asked); returns that model's training record."""
        start = load_model(folder, self.device)
        state = start.state_dict()
        if (start.config.image_size, start.config.patch) != (self.model_config.image_size, self.model_config.patch):
            state = repatch_state(state, start.config, self.model_config)
        try:
            self.model.load_state_dict(state)
        except RuntimeError as err:
            raise ValueError(f"--init {folder}: its weights do not fit this run's network ({str(err).splitlines()[0]})") from None
        return start.config.extra

    # --- data -----------------------------------------------------------------
    def next_indices(self) -> torch.Tensor:
        """(B,) dataset rows of the global batch; a fresh permutation per epoch from ``data_gen``."""
        take = []
        need = self.cfg.batch_size
        while need > 0:
            if self.cursor >= len(self.order):
                self.order = torch.randperm(len(self.order), generator=self.data_gen)
                self.cursor, self.epoch = 0, self.epoch + 1
            chunk = self.order[self.cursor:self.cursor + need]
            take.append(chunk)
            self.cursor += len(chunk)
            need -= len(chunk)
        return torch.cat(take).to(self.device)

    # --- one step -------------------------------------------------------------
    def _rand(self, batch: int, part: slice) -> torch.Tensor:
        """U[0, 1) draws for a global batch of ``batch`` rows, this process's ``part`` of them."""
        return torch.rand(batch, generator=self.noise_gen, device=self.device)[part]

    def captions_for(self, idx: torch.Tensor, batch: int | None = None, part: slice = slice(None)) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Token states (b, L, D), masks (b, L) and a (b,) bool "has a caption" for dataset rows.

        Each captioned row takes one of its caption variants at random, plus ``text_noise``;
        text dropout and the uncaptioned rows take the null prompt. The random choices are
        drawn for the global batch of ``batch`` rows (default ``len(idx)``) and ``part`` of
        them kept, so they do not depend on the number of processes.

        Args:
            idx: (b,) this process's dataset rows, ``part`` of the global batch.
        """
        batch = batch or len(idx)
        variant = torch.randint(0, self.states.shape[1], (batch,), generator=self.noise_gen, device=self.device)[part]
        row = idx.clamp(max=self.captioned - 1)
        drop = self._rand(batch, part) < self.cfg.text_dropout
        drop |= idx >= self.captioned
        states, masks = self.states[row, variant].float(), self.masks[row, variant]
        if self.cfg.text_noise:
            noise = torch.randn((batch, *states.shape[1:]), generator=self.noise_gen, device=self.device)[part]
            states = states + self.cfg.text_noise * noise * masks[..., None]
        text = torch.where(drop[:, None, None], self.null.float()[None], states)
        mask = torch.where(drop[:, None], self.null_mask[None], masks)
        return text, mask, ~drop

    def loss_on(self, idx: torch.Tensor) -> torch.Tensor:
        """The mean loss of this process's slice of the global batch ``idx`` (B,).

        Timesteps, noise and captions are drawn for all B rows on every process (the same
        generator state everywhere) and sliced, so the global batch is the same for any
        number of processes.
        """
        batch = len(idx)
        part = self.processes.part(batch)
        idx = idx[part]
        x0 = self.images[idx]  # (b, 1, S, S), b = B / processes
        t = torch.randint(0, self.schedule.num_steps, (batch,), generator=self.noise_gen, device=self.device)[part]
        noise = torch.randn((batch, *x0.shape[1:]), generator=self.noise_gen, device=self.device)[part]
        text, mask, captioned = self.captions_for(idx, batch, part)
        x_t = self.schedule.q_sample(x0, t, noise)
        guidance = None
        if self.teacher is not None:
            guidance = self._rand(batch, part) * self.cfg.guidance_max
            target = self.guided_target(x_t, t, text, mask, guidance)
        else:
            target = self.schedule.velocity(x0, t, noise)
            if self.cfg.self_guidance:
                guidance, target = self.self_guided_target(x_t, t, text, mask, captioned, target, batch, part)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
            pred = self.net(x_t, t, text, mask, guidance)
        return F.mse_loss(pred.float(), target)

    @torch.no_grad()
    def guided_target(self, x_t, t, text, mask, guidance) -> torch.Tensor:
        """(B, 1, S, S) the teacher's v̂ = v(x_t, ∅) + w (v(x_t, c) − v(x_t, ∅)), both halves in one batch."""
        batch = len(x_t)
        null = self.null.float()[None].expand(batch, -1, -1)
        null_mask = self.null_mask[None].expand(batch, -1)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
            out = self.teacher(torch.cat([x_t, x_t]), torch.cat([t, t]), torch.cat([text, null]), torch.cat([mask, null_mask]))
        v_cond, v_null = out.float().chunk(2)
        return v_null + guidance[:, None, None, None] * (v_cond - v_null)

    @torch.no_grad()
    def self_guided_target(self, x_t, t, text, mask, captioned, target, batch: int | None = None,
                           part: slice = slice(None)) -> tuple[torch.Tensor, torch.Tensor]:
        """Scales w (b,) and targets (b, 1, S, S) for ``--self-guidance``.

        A share of captioned examples gets w ~ U[0, guidance_max] and the target
        v + (w − 1)(v_ema(x_t, c) − v_ema(x_t, ∅)); null-prompt examples get a random w
        and the plain v (the guided v of the null prompt is its v); the rest w = 1.
        The draws are made for the global batch of ``batch`` rows (default ``len(x_t)``), ``part`` kept.
        """
        batch = batch or len(x_t)
        draw = self._rand(batch, part) * self.cfg.guidance_max
        guided = captioned & (self._rand(batch, part) < self.cfg.self_guidance)
        guidance = torch.where(guided | ~captioned, draw, torch.ones_like(draw))
        if guided.any():
            pick = guided.nonzero()[:, 0]
            n = len(pick)
            null = self.null.float()[None].expand(n, -1, -1)
            null_mask = self.null_mask[None].expand(n, -1)
            ones = torch.ones(2 * n, device=self.device)
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
                out = self.ema(torch.cat([x_t[pick], x_t[pick]]), torch.cat([t[pick], t[pick]]), torch.cat([text[pick], null]),
                               torch.cat([mask[pick], null_mask]), ones)
            v_cond, v_null = out.float().chunk(2)
            target = target.clone()
            target[pick] += (guidance[pick] - 1)[:, None, None, None] * (v_cond - v_null)
        return guidance, target

    def train_step(self) -> float:
        lr = self.cfg.lr * min(1.0, (self.step + 1) / self.cfg.warmup_steps)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        loss = self.loss_on(self.next_indices())
        self.optimizer.zero_grad(set_to_none=True)
        self.processes.backward(loss)  # averaged over the processes: the gradient of the global batch
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        with torch.no_grad():
            decay = min(self.cfg.ema_decay, (1 + self.step) / (10 + self.step))
            torch._foreach_lerp_(list(self.ema.parameters()), list(self.model.parameters()), 1 - decay)
        self.step += 1
        return loss.item()

    # --- checkpoints ----------------------------------------------------------
    def state_path(self) -> Path:
        return self.out / "state.pt"

    def save_state(self) -> None:
        """Write the run's state (the bare network's weights: no DDP prefix), atomically; main process only.

        The format is the single-process trainer's: the generators are shared by all
        processes (:mod:`glyffuser.train.distributed`), so one copy resumes on any number.
        """
        if not self.processes.is_main:
            return
        state = {
            "model": self.model.state_dict(), "ema": self.ema.state_dict(), "optimizer": self.optimizer.state_dict(),
            "step": self.step, "epoch": self.epoch, "cursor": self.cursor, "order": self.order,
            "elapsed": self.elapsed, "data_gen": self.data_gen.get_state(), "noise_gen": self.noise_gen.get_state(),
            "model_config": json.dumps(asdict(self.model_config)),
            "init_record": json.dumps(self.init_record),  # what the starting weights had been through, for exports
        }
        atomic_write(self.state_path(), lambda tmp: torch.save(state, tmp))

    def load_state(self) -> bool:
        if not self.state_path().exists():
            return False
        state = torch.load(self.state_path(), map_location=self.device, weights_only=True)
        self.model.load_state_dict(state["model"])
        self.ema.load_state_dict(state["ema"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step, self.epoch, self.cursor, self.elapsed = state["step"], state["epoch"], state["cursor"], state["elapsed"]
        self.order = state["order"].cpu()
        if "init_record" in state:  # a run resumed without --init keeps its history
            self.init_record = json.loads(state["init_record"])
        self.data_gen.set_state(state["data_gen"].cpu())
        try:
            self.noise_gen.set_state(state["noise_gen"].cpu())
        except RuntimeError:  # a CPU generator's state on a GPU or back: another stream, seeded from the step
            self.noise_gen.manual_seed(self.cfg.seed + 1 + self.step)
            if self.processes.is_main:
                print(f"the noise generator's state is from another device type: reseeded at step {self.step}", flush=True)
        return True

    def export(self, folder: Path, dtype=torch.float32) -> None:
        info = {"steps": self.step, "epochs": round(self.step * self.cfg.batch_size / len(self.images), 2),
                "train_seconds": round(self.elapsed), "train_config": asdict(self.cfg), "weights_dtype": str(dtype)}
        logs = {"loss.csv": [self.out / "loss.csv"]}
        if self.init_record is not None:  # what the starting weights had been through
            info["init"] = self.init_record
        if self.teacher is not None:  # the teacher's training is the model's training; distillation is logged beside it
            info["teacher"] = self.teacher.config.extra
            earlier = [Path(self.cfg.init) / "distill_loss.csv"] if self.cfg.init else []  # a distillation continued
            logs = {"loss.csv": [Path(self.cfg.teacher) / "loss.csv"], "distill_loss.csv": earlier + [self.out / "loss.csv"]}
        texts = {name: joined_log([p for p in paths if p.exists()]) for name, paths in logs.items()}  # before the folder changes
        save_model(self.ema, folder, extra=info, dtype=dtype)
        for name, text in texts.items():
            if text is not None:
                atomic_write(folder / name, lambda tmp: tmp.write_text(text))

    def sample_grid(self, path: Path, steps: int = 50, seeds: int = 4) -> None:
        from glyffuser.diffusion.sampling import iter_denoise
        from glyffuser.images import grid, to_ink

        cond, mask = load_prompt_states(self.out, SAMPLE_PROMPTS, self.device)
        n = len(SAMPLE_PROMPTS) * seeds
        cond, mask = cond.repeat_interleave(seeds, 0), mask.repeat_interleave(seeds, 0)
        gen = torch.Generator(self.device).manual_seed(1234)
        size = self.model_config.image_size
        x = torch.randn((n, 1, size, size), generator=gen, device=self.device)
        null = self.null.float()[None].expand(n, -1, -1)
        null_mask = self.null_mask[None].expand(n, -1)
        for step in iter_denoise(self.ema, cond, mask, null, null_mask, x, "ddim", steps, 3.0):
            x = step.x_prev
        atomic_write(path, lambda tmp: grid(to_ink(x), cols=seeds * 2).save(tmp, format="PNG"))


def train(cfg: TrainConfig) -> Trainer:
    """Train until ``minutes`` or ``max_steps``, checkpointing as it goes.

    On N processes every process steps; the main process alone logs, samples, checkpoints
    and exports, and decides when to stop (the others follow its decision each step).
    """
    from tqdm import tqdm

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    trainer = Trainer(cfg)
    processes, main = trainer.processes, trainer.processes.is_main
    resumed = trainer.load_state()
    log_path = trainer.out / "loss.csv"
    if main:
        append_log(log_path, [], keep_until=trainer.step)
        print(f"{'resumed at step ' + str(trainer.step) if resumed else 'new run'}; {count_parameters(trainer.model) / 1e6:.2f}M parameters; "
              f"{len(trainer.images)} glyphs; {processes}, {cfg.batch_size // processes.count} rows each", flush=True)
    start = time.perf_counter()
    last_ckpt = start
    pending, window_loss, window_start, window_steps = [], 0.0, time.perf_counter(), 0
    bar = tqdm(total=cfg.max_steps, initial=trainer.step, dynamic_ncols=True, mininterval=2.0, disable=not main)
    base_elapsed = trainer.elapsed
    while trainer.step < cfg.max_steps and not processes.main_says(time.perf_counter() - start >= cfg.minutes * 60):
        window_loss += trainer.train_step()
        window_steps += 1
        bar.update(1)
        trainer.elapsed = base_elapsed + time.perf_counter() - start
        if trainer.step % cfg.log_every == 0:
            loss = processes.mean(window_loss / window_steps)  # this slice's mean, averaged: the global batch's
            rate = window_steps * cfg.batch_size / (time.perf_counter() - window_start)
            row = {"step": trainer.step, "epoch": round(trainer.step * cfg.batch_size / len(trainer.images), 3),
                   "loss": round(loss, 5), "glyphs_per_s": round(rate, 1), "elapsed_s": round(trainer.elapsed, 1)}
            pending.append(row)
            bar.set_postfix(loss=f"{row['loss']:.4f}", glyphs_s=f"{rate:.0f}", epoch=f"{row['epoch']:.1f}")
            window_loss, window_steps, window_start = 0.0, 0, time.perf_counter()
        if main and cfg.sample_every and trainer.step % cfg.sample_every == 0:
            trainer.sample_grid(trainer.out / "samples.png")
        if main and time.perf_counter() - last_ckpt > cfg.checkpoint_seconds:
            append_log(log_path, pending)
            pending = []
            trainer.save_state()
            if cfg.export:
                trainer.export(Path(cfg.export), getattr(torch, cfg.export_dtype))
            last_ckpt = time.perf_counter()
    bar.close()
    if main:
        if cfg.sample_every:
            trainer.sample_grid(trainer.out / "samples.png")
        append_log(log_path, pending)
        trainer.save_state()
        if cfg.export:
            trainer.export(Path(cfg.export), getattr(torch, cfg.export_dtype))
        print(f"stopped at step {trainer.step} (epoch {trainer.step * cfg.batch_size / len(trainer.images):.2f}) "
              f"after {trainer.elapsed:.0f} s of training", flush=True)
    processes.wait()  # no process leaves before the files are written
    return trainer


def parse_config(argv=None) -> TrainConfig:
    """Build the command line from :class:`TrainConfig`'s fields; ``--preset`` fills the flags not given."""
    parser = argparse.ArgumentParser(prog="python -m glyffuser.train", description=__doc__.split("\n")[0])
    for f in dataclasses.fields(TrainConfig):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=None)
    given = {k: v for k, v in vars(parser.parse_args(argv)).items() if v is not None}
    return TrainConfig(**{**preset_values(given.get("preset", "")), **given})


def main(argv=None) -> int:
    try:
        train(parse_config(argv))
    except (ValueError, FileNotFoundError, DatasetError) as err:  # settings or folders that cannot work: say so, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0

