"""Figures for the "Learning a distribution" tab: fitting a 1-D Gaussian by maximum likelihood.

Before a network learns the distribution of glyph images, the tab shows the smallest case
of the same idea: samples from an unknown ``N(mu, sigma^2)``, the parameters that maximise
their likelihood (the sample mean and the ``1/n`` standard deviation), and how those
estimates settle on the truth as samples accumulate. A diffusion model is trained on the
same principle, through a bound on the log-likelihood (Ho et al. 2020, eq. 3), but it
learns its distribution implicitly, as a way to turn noise into data:
:func:`implicit_figure` sets the two ways side by side on the same samples.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from glyffuser.distributions.mle import (
    fit_gaussian_mle,
    gaussian_log_likelihood,
    implicit_sampler,
    mle_sigma_mean,
    running_gaussian_mle,
)

TEMPLATE = "plotly_white"
SAMPLE_COLOR = "#9aa9c4"
TRUE_COLOR = "#222222"
FIT_COLOR = "#e4572e"
BAND_COLOR = "rgba(228, 87, 46, 0.15)"
SIGMA_COLOR = "#3b6ea8"
SIGMA_BAND_COLOR = "rgba(59, 110, 168, 0.15)"
IMPLICIT_COLOR = "#59a14f"


def _normal_pdf(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """Density of ``N(mu, sigma^2)`` at ``x``."""
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2.0 * np.pi))


def mle_figure(samples: np.ndarray, mu: float, sigma: float) -> go.Figure:
    """Histogram of the samples with the true and the maximum-likelihood Gaussian densities.

    Args:
        samples: ``(n,)`` draws from ``N(mu, sigma^2)``, ``n >= 1``.
        mu: true mean.
        sigma: true standard deviation, positive.

    Returns:
        Figure with a density-normalised histogram, the curves ``N(mu, sigma^2)`` and
        ``N(mu_hat, sigma_hat^2)`` (each legend entry gives the samples' average
        log-likelihood under it) and dotted lines at both means.
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    mu_hat, sigma_hat = fit_gaussian_mle(samples)
    n = samples.size

    edges = np.histogram_bin_edges(samples, bins="auto" if n > 1 else 1)
    lo = min(samples.min(), mu - 4 * sigma, mu_hat - 4 * max(sigma_hat, 1e-12))
    hi = max(samples.max(), mu + 4 * sigma, mu_hat + 4 * max(sigma_hat, 1e-12))
    xs = np.linspace(lo, hi, 400)

    fig = go.Figure()
    fig.add_trace(
        go.Histogram(
            x=samples,
            xbins=dict(start=edges[0], end=edges[-1], size=edges[1] - edges[0]),
            histnorm="probability density",
            name=f"samples (n = {n})",
            marker=dict(color=SAMPLE_COLOR, line=dict(color="white", width=0.5)),
            opacity=0.8,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=_normal_pdf(xs, mu, sigma),
            mode="lines",
            name=f"true  N({mu:.2f}, {sigma:.2f}²)",
            line=dict(color=TRUE_COLOR, width=2, dash="dash"),
        )
    )
    if sigma_hat > 0:
        ll_true = gaussian_log_likelihood(samples, mu, sigma) / n
        ll_fit = gaussian_log_likelihood(samples, mu_hat, sigma_hat) / n
        fig.data[-1].name += f", mean log-lik. {ll_true:.3f}"
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=_normal_pdf(xs, mu_hat, sigma_hat),
                mode="lines",
                name=f"MLE  N({mu_hat:.2f}, {sigma_hat:.2f}²), mean log-lik. {ll_fit:.3f}",
                line=dict(color=FIT_COLOR, width=3),
            )
        )
    fig.add_vline(x=mu, line=dict(color=TRUE_COLOR, width=1, dash="dot"))
    fig.add_vline(x=mu_hat, line=dict(color=FIT_COLOR, width=1, dash="dot"))
    fig.update_layout(
        template=TEMPLATE,
        title=dict(text="Maximum-likelihood fit of a Gaussian", font=dict(size=15)),
        xaxis_title="x",
        yaxis_title="density",
        bargap=0.02,
        legend=dict(orientation="h", yanchor="top", y=-0.18, xanchor="left", x=0),
        margin=dict(l=60, r=20, t=50, b=50),
        height=480,
    )
    return fig


def _estimate_with_band(fig: go.Figure, row: int, k: np.ndarray, estimate: np.ndarray, truth: float,
                        error: np.ndarray, name: str, band_name: str, color: str, band_color: str) -> None:
    """An estimate's running value (K,) over the band truth ± error (K,) at sample counts k (K,), in ``row``."""
    fig.add_trace(
        go.Scatter(x=np.concatenate([k, k[::-1]]), y=np.concatenate([truth + error, (truth - error)[::-1]]),
                   fill="toself", fillcolor=band_color, line=dict(width=0), hoverinfo="skip", name=band_name),
        row=row, col=1,
    )
    fig.add_trace(go.Scatter(x=k, y=estimate, mode="lines", name=name, line=dict(color=color, width=2)), row=row, col=1)


def convergence_figure(
    samples: np.ndarray, mu: float, sigma: float, max_points: int = 2000
) -> go.Figure:
    """The estimates ``mu_hat_k`` and ``sigma_hat_k`` from the first ``k`` samples, ``k = 2..n``.

    Args:
        samples: ``(n,)`` draws from ``N(mu, sigma^2)``, ``n >= 2``.
        mu: true mean.
        sigma: true standard deviation, positive.
        max_points: most values of ``k`` drawn per curve; when ``n`` is larger, ``k`` is
            thinned evenly on the logarithmic axis, always keeping ``k = 2`` and ``k = n``.

    Returns:
        Two stacked panels over a logarithmic ``k`` axis: ``mu_hat_k`` with a band of
        ``mu ± sigma / sqrt(k)`` (its standard error), and ``sigma_hat_k`` with a band of
        ``sigma ± sigma / sqrt(2k)`` (its standard error for large ``k``) and the curve
        of its mean ``E[sigma_hat_k]`` (:func:`glyffuser.distributions.mle.mle_sigma_mean`, below ``sigma`` for small
        ``k``); the true values are horizontal dashed lines.
    """
    k, mu_hat, sigma_hat = running_gaussian_mle(samples)
    if k.size > max_points:
        keep = np.unique(np.geomspace(1, k.size, max_points).round().astype(np.int64) - 1)
        k, mu_hat, sigma_hat = k[keep], mu_hat[keep], sigma_hat[keep]

    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=("estimated mean μ̂ₖ", "estimated standard deviation σ̂ₖ"),
    )
    _estimate_with_band(fig, 1, k, mu_hat, mu, sigma / np.sqrt(k), "μ̂ₖ", "μ ± σ/√k", FIT_COLOR, BAND_COLOR)
    _estimate_with_band(fig, 2, k, sigma_hat, sigma, sigma / np.sqrt(2.0 * k), "σ̂ₖ", "σ ± σ/√(2k)",
                        SIGMA_COLOR, SIGMA_BAND_COLOR)
    fig.add_trace(
        go.Scatter(
            x=k, y=sigma * mle_sigma_mean(k), mode="lines", name="mean of σ̂ₖ (biased low)",
            line=dict(color=SIGMA_COLOR, width=1.5, dash="dot"),
        ),
        row=2,
        col=1,
    )
    fig.add_hline(y=mu, line=dict(color=TRUE_COLOR, dash="dash", width=1.5), row=1, col=1)
    fig.add_hline(y=sigma, line=dict(color=TRUE_COLOR, dash="dash", width=1.5), row=2, col=1)
    for row, value, label in [(1, mu, "μ"), (2, sigma, "σ")]:
        fig.add_annotation(
            text=f"true {label} = {value:.3f}",
            x=1,
            xref="x domain" if row == 1 else "x2 domain",
            y=value,
            yref="y" if row == 1 else "y2",
            xanchor="right",
            yanchor="bottom",
            showarrow=False,
        )
    fig.update_xaxes(type="log", row=1, col=1)
    fig.update_xaxes(type="log", title_text="number of samples k", row=2, col=1)
    fig.update_yaxes(title_text="μ̂", row=1, col=1)
    fig.update_yaxes(title_text="σ̂", row=2, col=1)
    fig.update_layout(
        template=TEMPLATE,
        title=dict(text="The estimates settle as n grows", font=dict(size=15)),
        margin=dict(l=60, r=20, t=80, b=50),
        height=560,
        legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0),
    )
    return fig


def implicit_figure(samples: np.ndarray, noise: np.ndarray) -> go.Figure:
    """Explicit versus implicit learning of the same samples.

    Args:
        samples: ``(n,)`` observations, ``n >= 2``.
        noise: ``(m,)`` draws ``z ~ N(0, 1)`` fed to both samplers.

    Returns:
        Two panels. Left: the two ways from noise ``z`` to a value ``x``: the explicit
        model's ``x = mu_hat + sigma_hat z`` (a consequence of its fitted density) and the
        implicit map of :func:`glyffuser.distributions.mle.implicit_sampler` (learnt from the samples alone). Right: a
        histogram of the implicit map's outputs over the explicit density
        ``N(mu_hat, sigma_hat^2)``.
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    noise = np.sort(np.asarray(noise, dtype=np.float64).reshape(-1))
    mu_hat, sigma_hat = fit_gaussian_mle(samples)
    generated = implicit_sampler(samples, noise)  # (m,), increasing with z
    z = np.linspace(min(noise[0], -3.0), max(noise[-1], 3.0), 200)

    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=0.14,
        subplot_titles=("noise z → value x", "the map's values"),
    )
    fig.add_trace(
        go.Scatter(x=z, y=mu_hat + sigma_hat * z, mode="lines", name="explicit: x = μ̂ + σ̂ z",
                   line=dict(color=FIT_COLOR, width=2)),
        row=1, col=1,
    )
    fig.add_trace(
        go.Scatter(x=z, y=implicit_sampler(samples, z), mode="lines", name="implicit: learnt map",
                   line=dict(color=IMPLICIT_COLOR, width=2.5)),
        row=1, col=1,
    )
    fig.add_trace(
        go.Histogram(x=generated, histnorm="probability density", name="implicit map's values",
                     marker=dict(color=IMPLICIT_COLOR, line=dict(color="white", width=0.5)), opacity=0.6,
                     showlegend=False),
        row=1, col=2,
    )
    lo, hi = min(generated[0], mu_hat - 4 * sigma_hat), max(generated[-1], mu_hat + 4 * sigma_hat)
    xs = np.linspace(lo, hi, 300)
    if sigma_hat > 0:
        fig.add_trace(
            go.Scatter(x=xs, y=_normal_pdf(xs, mu_hat, sigma_hat), mode="lines", showlegend=False,
                       name="explicit density", line=dict(color=FIT_COLOR, width=2)),
            row=1, col=2,
        )
    fig.update_xaxes(title_text="z", row=1, col=1)
    fig.update_yaxes(title_text="x", row=1, col=1)
    fig.update_xaxes(title_text="x", row=1, col=2)
    fig.update_yaxes(title_text="density", row=1, col=2)
    fig.update_annotations(font=dict(size=13))
    fig.update_layout(
        template=TEMPLATE,
        title=dict(text=f"Explicit or implicit: {noise.size:,} noise values", font=dict(size=15)),
        height=400,
        margin=dict(l=60, r=20, t=80, b=50),
        legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0),
        bargap=0.02,
    )
    return fig
