"""A small network that learns the score of the noised glyph map by denoising score matching.

The "Score field" tab draws the exact score of ``q_t``, the glyph map smoothed by a
Gaussian of sd ``h`` and noised to ``ᾱ_t`` (see :mod:`glyffuser.distributions.mapflow`). A diffusion
model never has that formula: it learns the score from noised samples only. This module
trains such a learner on the same 2-D data, so the explorer can draw both fields side by
side (Vincent 2011, "A connection between score matching and denoising autoencoders";
Song & Ermon 2019 on why learned scores are poor where data are rare).

Training (denoising score matching, noise-prediction form, Ho et al. 2020):

    x0' = x0 + h z,   x_t = √ᾱ x0' + √(1 − ᾱ) ε  =  √ᾱ x0 + √v n,   v = ᾱ h² + 1 − ᾱ,
    loss = E ‖ n̂_θ(x_t, ᾱ) − n ‖²,                 s_θ(x, ᾱ) = − n̂_θ(x, ᾱ) / √v.

The minimiser is ``n̂ = E[n | x_t]``, so ``s_θ`` estimates ``∇ log q_t`` exactly where the
noised samples fall, and nowhere else. The network reads the noise level as
``log SNR = log(ᾱ / (1 − ᾱ))`` drawn uniformly over the range both schedules cover, so
one network serves the cosine and the linear schedule.

``python -m glyffuser.distributions.score_net`` trains it (deterministic, about a minute on two CPU
cores) and writes ``assets/score_net.npz`` (its config and float32 weights).
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

WEIGHTS = Path(__file__).resolve().parents[2] / "assets" / "score_net.npz"


@dataclass(frozen=True)
class ScoreNetConfig:
    """The network and its training run."""

    hidden: int = 128
    layers: int = 3
    frequencies: int = 6  # sinusoidal features of log SNR
    log_snr_min: float = -20.5  # ᾱ ≈ 1.2e-9: below both schedules' t = 999 (cosine 2.4e-9)
    log_snr_max: float = 10.5  # ᾱ ≈ 0.99997: above both schedules' t = 0
    bandwidth: float = 14486 ** (-1 / 6)  # h of the map's kernel (Scott's rule, 14,486 points)
    steps: int = 4000
    batch: int = 1024
    lr: float = 2e-3
    seed: int = 0


def log_snr(abar) -> np.ndarray:
    """``log(ᾱ / (1 − ᾱ))`` of an array of ᾱ."""
    abar = np.asarray(abar, dtype=np.float64)
    return np.log(abar) - np.log1p(-abar)


class ScoreNet(nn.Module):
    """``n̂_θ(x, log SNR)``: an MLP on the point and sinusoidal features of the noise level.

    Input ``x`` is ``(B, 2)`` and ``lam`` ``(B,)`` log SNR; output ``(B, 2)`` the
    predicted normalised noise ``n``.
    """

    def __init__(self, config: ScoreNetConfig):
        super().__init__()
        self.config = config
        scale = (config.log_snr_max - config.log_snr_min) / 2
        self.register_buffer("freqs", torch.pi * 2.0 ** torch.arange(config.frequencies) / (2 * scale))
        self.register_buffer("centre", torch.tensor((config.log_snr_max + config.log_snr_min) / 2))
        width = 2 + 2 * config.frequencies
        blocks: list[nn.Module] = []
        for _ in range(config.layers):
            blocks += [nn.Linear(width, config.hidden), nn.SiLU()]
            width = config.hidden
        self.net = nn.Sequential(*blocks, nn.Linear(width, 2))

    def forward(self, x: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
        phase = (lam - self.centre)[:, None] * self.freqs  # (B, F)
        return self.net(torch.cat([x, phase.sin(), phase.cos()], dim=1))  # (B, 2)


def training_steps(points: np.ndarray, config: ScoreNetConfig = ScoreNetConfig(),
                   log_snr_range: tuple[float, float] | None = None) -> Iterator[tuple[int, ScoreNet, float]]:
    """Fit :class:`ScoreNet` to the standardised map points by denoising score matching, step by step.

    Args:
        points: ``(N, 2)`` standardised map coordinates (the clean data x0).
        config: network and run settings; the run is deterministic for a given seed.
        log_snr_range: ``(low, high)`` of the noise levels drawn (uniform in log SNR);
            ``(λ, λ)`` trains at the single level λ. Default: the config's whole range.

    Yields:
        ``(step, net, loss)`` after each optimiser step (1-based step; ``net`` in train
        mode, the same object every time; the step's loss).
    """
    low, high = log_snr_range or (config.log_snr_min, config.log_snr_max)
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    x0_all = torch.as_tensor(np.asarray(points, dtype=np.float32))  # (N, 2)
    net = ScoreNet(config)
    optimiser = torch.optim.Adam(net.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=config.lr, total_steps=config.steps)
    h2 = config.bandwidth**2
    for step in range(1, config.steps + 1):
        rows = torch.randint(len(x0_all), (config.batch,), generator=generator)
        lam = low + (high - low) * torch.rand(config.batch, generator=generator)
        abar = torch.sigmoid(lam)[:, None]  # (B, 1)
        v = abar * h2 + 1 - abar
        n = torch.randn(config.batch, 2, generator=generator)  # (B, 2) ~ N(0, I)
        x_t = abar.sqrt() * x0_all[rows] + v.sqrt() * n
        loss = ((net(x_t, lam) - n) ** 2).sum(1).mean()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        yield step, net, float(loss.detach())


def train(points: np.ndarray, config: ScoreNetConfig = ScoreNetConfig(), log_every: int = 500) -> ScoreNet:
    """Fit :class:`ScoreNet` over the config's whole range of noise levels (see :func:`training_steps`).

    Args:
        points: ``(N, 2)`` standardised map coordinates (the clean data x0).
        config: network and run settings; the run is deterministic for a given seed.
        log_every: print the mean loss this often (0: never).

    Returns:
        The trained network, in eval mode.
    """
    running, start, net = 0.0, time.perf_counter(), None
    for step, net, loss in training_steps(points, config):
        running += loss
        if log_every and step % log_every == 0:
            print(f"step {step}: loss {running / log_every:.4f} ({time.perf_counter() - start:.0f} s)", flush=True)
            running = 0.0
    return net.eval()


def save(net: ScoreNet, path: Path = WEIGHTS) -> None:
    """Config (JSON) and float32 weights in one ``.npz``."""
    arrays = {f"w.{k}": v.detach().numpy().astype(np.float32) for k, v in net.net.state_dict().items()}
    np.savez_compressed(path, config=np.array(json.dumps(asdict(net.config))), **arrays)


def load(path: Path = WEIGHTS) -> ScoreNet:
    """The network saved by :func:`save`, in eval mode."""
    with np.load(path) as data:
        net = ScoreNet(ScoreNetConfig(**json.loads(str(data["config"]))))
        net.net.load_state_dict({k[2:]: torch.from_numpy(data[k]) for k in data.files if k.startswith("w.")})
    return net.eval()


@functools.lru_cache(maxsize=1)
def shipped() -> ScoreNet:
    """The shipped network (``assets/score_net.npz``), loaded once."""
    return load(WEIGHTS)


@functools.lru_cache(maxsize=4)
def _numpy_layers(net: ScoreNet) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray, float]:
    """The network's ``(W (in, out), b (out,))`` pairs, its frequencies and centre, as numpy."""
    linears = [m for m in net.net if isinstance(m, nn.Linear)]
    layers = [(m.weight.detach().numpy().T.copy(), m.bias.detach().numpy().copy()) for m in linears]
    return layers, net.freqs.numpy().copy(), float(net.centre)


def predict_noise(net: ScoreNet, x: np.ndarray, abar: float) -> np.ndarray:
    """``n̂_θ(x, ᾱ)`` for ``(M, 2)`` points, computed in numpy (float32).

    The same arithmetic as :meth:`ScoreNet.forward`; numpy avoids torch's thread
    hand-offs, which cost far more than these few small products on a busy machine.

    Returns:
        ``(M, 2)`` float32.
    """
    layers, freqs, centre = _numpy_layers(net)
    x = np.asarray(x, dtype=np.float32)
    phase = np.float32(float(log_snr(abar)) - centre) * freqs  # (F,)
    features = np.concatenate([np.sin(phase), np.cos(phase)]).astype(np.float32)
    h = np.hstack([x, np.broadcast_to(features, (len(x), features.size))])  # (M, 2 + 2F)
    for k, (weight, bias) in enumerate(layers):
        h = h @ weight + bias
        if k + 1 < len(layers):
            h = h / (1.0 + np.exp(-h))  # SiLU
    return h


def learned_score(net: ScoreNet, x: np.ndarray, abar: float) -> np.ndarray:
    """``s_θ(x) = − n̂_θ(x, ᾱ) / √(ᾱ h² + 1 − ᾱ)``, the learned ``∇ log q_t``.

    Args:
        net: a trained :class:`ScoreNet`.
        x: ``(M, 2)`` query points.
        abar: ᾱ_t, strictly between 0 and 1.

    Returns:
        ``(M, 2)`` float64.
    """
    return noise_to_score(predict_noise(net, x, abar), abar, net.config.bandwidth)


def noise_to_score(noise: np.ndarray, abar: float, bandwidth: float) -> np.ndarray:
    """``− n̂ / √(ᾱ h² + 1 − ᾱ)``: a predicted normalised noise ``(M, 2)`` as a score ``(M, 2)`` float64."""
    v = float(abar) * float(bandwidth) ** 2 + 1.0 - float(abar)
    return -np.asarray(noise, dtype=np.float64) / math.sqrt(v)


RARE_LEVEL = 0.01  # "rare": q_t below this share of its peak


@dataclass(frozen=True)
class FieldComparison:
    """The learned score against the exact one on a set of nodes.

    Attributes:
        rare: ``(M,)`` bool, nodes where ``q_t`` is below ``RARE_LEVEL`` of its peak.
        ratio: ``(M,)`` ``|s_θ| / |s|``.
        cosine: ``(M,)`` cosine of the angle between ``s_θ`` and ``s``.
    """

    rare: np.ndarray
    ratio: np.ndarray
    cosine: np.ndarray

    def median_ratio(self, rare: bool = True) -> float:
        """Median ``|s_θ| / |s|`` over the rare nodes (or over the others)."""
        keep = self.rare if rare else ~self.rare
        return float(np.median(self.ratio[keep])) if keep.any() else float("nan")

    def share_within(self, degrees: float = 45.0, rare: bool = True) -> float:
        """Share of the rare nodes (or of the others) where the two differ by less than ``degrees``."""
        keep = self.rare if rare else ~self.rare
        return float(np.mean(self.cosine[keep] > np.cos(np.deg2rad(degrees)))) if keep.any() else float("nan")


def compare_fields(exact: np.ndarray, learned: np.ndarray, density: np.ndarray, peak: float) -> FieldComparison:
    """Compare two ``(M, 2)`` score fields at nodes whose density ``(M,)`` is known.

    Args:
        exact: ``(M, 2)`` exact score.
        learned: ``(M, 2)`` learned score.
        density: ``(M,)`` ``q_t`` at the nodes.
        peak: the largest value of ``q_t`` (the rare level is ``RARE_LEVEL * peak``).
    """
    n_exact, n_learned = np.linalg.norm(exact, axis=1), np.linalg.norm(learned, axis=1)
    tiny = np.finfo(np.float64).tiny
    return FieldComparison(
        rare=np.asarray(density) < RARE_LEVEL * float(peak),
        ratio=n_learned / np.maximum(n_exact, tiny),
        cosine=(exact * learned).sum(1) / np.maximum(n_exact * n_learned, tiny),
    )


def score_along_ray(net: ScoreNet, points: np.ndarray, abar: float, distances: np.ndarray,
                    direction=(1.0, 0.0)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact and learned ``|∇ log q_t|`` and ``q_t`` at ``distances`` along a ray from the origin.

    Args:
        net: the learned score.
        points: ``(N, 2)`` standardised map points (the data's centre is the origin).
        abar: ᾱ_t.
        distances: ``(R,)`` distances along the ray.
        direction: unit vector of the ray.

    Returns:
        ``(|s| (R,), |s_θ| (R,), q_t (R,))``.
    """
    from glyffuser.distributions.exact_score import gaussian_mixture_terms

    x = np.asarray(distances, dtype=np.float64)[:, None] * np.asarray(direction, dtype=np.float64)  # (R, 2)
    centers = np.sqrt(float(abar)) * np.asarray(points, dtype=np.float64)
    variance = float(abar) * net.config.bandwidth**2 + 1.0 - float(abar)
    logpdf, exact = gaussian_mixture_terms(x, centers, variance)
    learned = np.linalg.norm(learned_score(net, x, abar), axis=1)
    return np.linalg.norm(exact, axis=1), learned, np.exp(logpdf)


def main() -> None:
    from glyffuser.data import load_map
    from glyffuser.distributions.mapflow import standardize

    torch.set_num_threads(1)
    points = standardize(load_map())
    config = ScoreNetConfig(bandwidth=float(len(points)) ** (-1 / 6))
    net = train(points, config)
    save(net)
    print(f"wrote {WEIGHTS} ({WEIGHTS.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
