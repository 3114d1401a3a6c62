"""Tab 1, "Learning a distribution": the numbers its text states, and its figures.

The intro says the mean of the 1/n maximum-likelihood σ̂ is 0.56σ at n = 2 and 0.96σ at
n = 20, and that σ̂'s error shrinks like σ/√(2n); the explicit-versus-implicit view says
the implicit map makes values that are not samples but stays within the samples' range.
Each is checked here against a simulation, not only against the formula.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from glyffuser.distributions.mle import implicit_sampler, mle_sigma_mean
from tabs import distribution


def simulated_sigma_hats(n: int, trials: int, seed: int = 0) -> np.ndarray:
    """``(trials,)`` 1/n MLE σ̂ of ``n`` draws of N(0, 1) each."""
    x = np.random.default_rng(seed).standard_normal((trials, n))
    return x.std(axis=1, ddof=0)


@pytest.mark.parametrize("n,stated", [(2, 0.56), (20, 0.96)])
def test_mean_of_sigma_hat_is_biased_low_as_stated(n, stated):
    formula = float(mle_sigma_mean(n))
    simulated = simulated_sigma_hats(n, 200_000).mean()
    assert abs(formula - simulated) < 0.004  # standard error of the mean is below 0.0015
    assert round(formula, 2) == stated
    assert f"{stated}\\,\\sigma$ at $n = {n}$" in distribution.INTRO
    assert float(mle_sigma_mean(2)) == pytest.approx(1 / math.sqrt(math.pi))  # Γ(1)/Γ(1/2)


def test_sigma_hat_error_shrinks_like_sigma_over_root_2n():
    n = 400
    spread = simulated_sigma_hats(n, 20_000).std()
    assert spread == pytest.approx(1 / math.sqrt(2 * n), rel=0.05)
    mu_spread = np.random.default_rng(1).standard_normal((20_000, n)).mean(axis=1).std()
    assert mu_spread == pytest.approx(1 / math.sqrt(n), rel=0.05)
    assert r"\sigma/\sqrt{2n}" in distribution.INTRO and r"\sigma/\sqrt{n}" in distribution.INTRO


def test_implicit_map_makes_new_values_within_the_samples():
    samples = np.random.default_rng(0).normal(3.0, 0.5, 200)
    noise = np.random.default_rng(1).standard_normal(2000)
    made = implicit_sampler(samples, noise)
    assert made.shape == (2000,)
    assert samples.min() <= made.min() and made.max() <= samples.max()
    assert np.isin(made, samples).mean() < 0.01  # new values, not copies
    assert np.all(np.diff(implicit_sampler(samples, np.sort(noise))) >= 0)  # a monotone map
    # its values follow the data: mean and spread close to the samples'
    assert made.mean() == pytest.approx(samples.mean(), abs=0.05)
    assert made.std() == pytest.approx(samples.std(), rel=0.1)


def test_fit_gaussian_outputs_and_note():
    fit, convergence, note, implicit = distribution.fit_gaussian(0.0, 1.0, 2, 0)
    assert "from 2 samples" in note and "0.564 σ" in note and "σ/√(2n) = 0.500" in note
    names = [trace.name for trace in convergence.data]
    assert "σ ± σ/√(2k)" in names and "mean of σ̂ₖ (biased low)" in names
    mean_curve = next(t for t in convergence.data if t.name == "mean of σ̂ₖ (biased low)")
    assert mean_curve.y[0] == pytest.approx(0.5642, abs=1e-4)
    assert [t.name for t in implicit.data][:2] == ["explicit: x = μ̂ + σ̂ z", "implicit: learnt map"]


def test_log_n_slider_reaches_every_end():
    lo, hi = distribution.LOG_N_RANGE
    step = distribution.LOG_N_STEP
    positions = lo + step * np.arange(round((hi - lo) / step) + 1)
    n = np.round(10.0 ** positions).astype(int)
    assert n[0] == distribution.LIMITS["n"][0] and n[-1] == distribution.LIMITS["n"][1]
    assert positions[-1] == pytest.approx(hi)
    assert set(range(2, 6)) <= set(n.tolist())  # small n are reachable
    assert np.all(np.diff(n) >= 0)
    default = round(math.log10(distribution.DEFAULTS[2]), 2)
    assert round(10**default) == distribution.DEFAULTS[2]
