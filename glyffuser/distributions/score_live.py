"""Learn the glyph map's score live: first at one small noise level, then over all of them.

Song & Ermon (2019) point out why a score learned by denoising score matching at one small
noise level is poor: the noised samples stay close to the data, so the network is never
told what the score is away from it. Training over many noise levels fixes that where it
matters: at large noise the samples fill the plane, and a sampler starts there, reaching the
data's surroundings only once the noise is small. This module runs both trainings in a few
seconds on one CPU thread, a small :class:`~glyffuser.distributions.score_net.ScoreNet` each
(the same network and loss as the shipped one, :func:`score_net.training_steps`), and measures
the learned score against the exact one of :mod:`glyffuser.distributions.mapflow`.

The error at a node is ``|s_θ − s| / max(|s|, median |s|)``: relative to the exact score,
with the median of the field as a floor, so the nodes where the exact score passes through
zero (inside the clusters) do not count as wrong for a tiny miss. "Near the data" are the
nodes where the data density ``q_t`` at the small noise level is at least 1% of its peak
(:data:`score_net.RARE_LEVEL`), "away" the others, the same nodes at every noise level.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from glyffuser.distributions.mapflow import score_field
from glyffuser.distributions.score_net import RARE_LEVEL, ScoreNet, ScoreNetConfig, log_snr, noise_to_score, training_steps

ONE_LEVEL, ALL_LEVELS = "one small noise level", "all noise levels"


@dataclass(frozen=True)
class LivePlan:
    """The two live trainings: a network smaller and a batch smaller than the shipped ones."""

    hidden: int = 64
    layers: int = 3
    batch: int = 256
    steps: int = 1000  # per training
    lr: float = 4e-3
    seed: int = 0
    report_every: int = 200  # a frame after this many steps

    def config(self, bandwidth: float) -> ScoreNetConfig:
        return ScoreNetConfig(hidden=self.hidden, layers=self.layers, batch=self.batch, steps=self.steps,
                              lr=self.lr, seed=self.seed, bandwidth=float(bandwidth))


@dataclass(frozen=True)
class LiveFrame:
    """One report of a live training.

    Attributes:
        phase: :data:`ONE_LEVEL` or :data:`ALL_LEVELS`.
        step: optimiser steps done in this phase.
        steps: the phase's total.
        loss: mean denoising loss over the steps since the last report.
        net: the network being trained (the same object through the phase; read it before
            the next frame).
    """

    phase: str
    step: int
    steps: int
    loss: float
    net: ScoreNet


def learn_live(points: np.ndarray, bandwidth: float, small_abar: float,
               plan: LivePlan = LivePlan()) -> Iterator[LiveFrame]:
    """Train at the single level ``small_abar``, then a fresh network over all levels.

    Args:
        points: ``(N, 2)`` standardised map points.
        bandwidth: ``h`` of the smoothed data ``q_0``.
        small_abar: ᾱ of the single noise level of the first training.
        plan: sizes and seeds (deterministic for a given plan).

    Yields:
        A :class:`LiveFrame` every ``plan.report_every`` steps and at each phase's end.
    """
    torch.set_num_threads(1)  # the app's torch runs single-threaded (tabs.model_common); so does a script
    level = float(log_snr(small_abar))
    for phase, levels in ((ONE_LEVEL, (level, level)), (ALL_LEVELS, None)):
        running, count = 0.0, 0
        for step, net, loss in training_steps(points, plan.config(bandwidth), levels):
            running, count = running + loss, count + 1
            if step % plan.report_every == 0 or step == plan.steps:
                yield LiveFrame(phase, step, plan.steps, running / count, net)
                running, count = 0.0, 0


def live_score(net: ScoreNet, nodes: np.ndarray, abar: float) -> np.ndarray:
    """``s_θ`` of a network in training at ``(M, 2)`` nodes, ``(M, 2)`` float64 (torch, no cache)."""
    was_training = net.training
    net.eval()
    with torch.no_grad():
        lam = torch.full((len(nodes),), float(log_snr(abar)), dtype=torch.float32)
        noise = net(torch.as_tensor(np.asarray(nodes), dtype=torch.float32), lam).numpy()
    net.train(was_training)
    return noise_to_score(noise, abar, net.config.bandwidth)


def score_error(exact: np.ndarray, learned: np.ndarray) -> np.ndarray:
    """``(M,)`` error ``|s_θ − s| / max(|s|, median |s|)`` of ``learned`` against ``exact`` (both ``(M, 2)``)."""
    norms = np.linalg.norm(exact, axis=1)
    floor = max(float(np.median(norms)), np.finfo(np.float64).tiny)
    return np.linalg.norm(np.asarray(learned) - exact, axis=1) / np.maximum(norms, floor)


@dataclass(frozen=True)
class ExactField:
    """The exact score on the arrow grid at one noise level, with the near/away split.

    Attributes:
        abar: ᾱ of the level.
        nodes: ``(M, 2)`` grid nodes, row-major (x fastest).
        score: ``(M, 2)`` exact score there.
        away: ``(M,)`` bool, the nodes away from the data (same for every level).
    """

    abar: float
    nodes: np.ndarray
    score: np.ndarray
    away: np.ndarray

    def errors(self, net: ScoreNet) -> tuple[np.ndarray, np.ndarray]:
        """``(learned score (M, 2), error (M,))`` of ``net`` at this level."""
        learned = live_score(net, self.nodes, self.abar)
        return learned, score_error(self.score, learned)

    def median_errors(self, error: np.ndarray) -> tuple[float, float]:
        """Median error ``(near the data, away from it)``."""
        return float(np.median(error[~self.away])), float(np.median(error[self.away]))


def exact_fields(points: np.ndarray, bandwidth: float, abars: dict, axis: np.ndarray,
                 data_abar: float) -> dict:
    """The exact field at each named level, all split near/away by the data density at ``data_abar``.

    Args:
        points: ``(N, 2)`` standardised map points.
        bandwidth: ``h``.
        abars: ``{name: ᾱ}``.
        axis: ``(K,)`` grid positions along both axes.
        data_abar: the level whose density defines "near the data" (the small one).

    Returns:
        ``{name: ExactField}``.
    """
    _, _, density = score_field(points, data_abar, bandwidth, axis, axis, with_density=True)
    away = density < RARE_LEVEL * density.max()
    fields = {}
    for name, abar in abars.items():
        nodes, score = score_field(points, abar, bandwidth, axis, axis)
        fields[name] = ExactField(float(abar), nodes, score, away)
    return fields
