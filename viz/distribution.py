"""Figures for the "Learning a distribution" tab: fitting a 1-D Gaussian by maximum likelihood.

Before a network learns the distribution of glyph images, the tab shows the smallest case
of the same idea: samples from an unknown ``N(mu, sigma^2)``, the parameters that maximise
their likelihood (the sample mean and the ``1/n`` standard deviation), and how those
estimates settle on the truth as samples accumulate. A diffusion model is trained on the
same principle, through a bound on the log-likelihood (Ho et al. 2020, eq. 3).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from glyffuser.mle import (
    fit_gaussian_mle,
    gaussian_log_likelihood,
    running_gaussian_mle,
)

TEMPLATE = "plotly_white"
SAMPLE_COLOR = "#9aa9c4"
TRUE_COLOR = "#222222"
FIT_COLOR = "#e4572e"
BAND_COLOR = "rgba(228, 87, 46, 0.15)"


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
        ``N(mu_hat, sigma_hat^2)``, dashed markers at both means, and a note of the
        estimates and of the average log-likelihood under each curve.
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
    note = f"μ = {mu:.3f}   σ = {sigma:.3f}<br>μ̂ = {mu_hat:.3f}   σ̂ = {sigma_hat:.3f}"
    if sigma_hat > 0:
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=_normal_pdf(xs, mu_hat, sigma_hat),
                mode="lines",
                name=f"MLE  N({mu_hat:.2f}, {sigma_hat:.2f}²)",
                line=dict(color=FIT_COLOR, width=3),
            )
        )
        ll_true = gaussian_log_likelihood(samples, mu, sigma) / n
        ll_fit = gaussian_log_likelihood(samples, mu_hat, sigma_hat) / n
        note += f"<br>mean log-likelihood: true {ll_true:.3f}, MLE {ll_fit:.3f}"
    fig.add_vline(x=mu, line=dict(color=TRUE_COLOR, width=1, dash="dot"))
    fig.add_vline(x=mu_hat, line=dict(color=FIT_COLOR, width=1, dash="dot"))
    fig.add_annotation(
        text=note,
        xref="paper",
        yref="paper",
        x=0.99,
        y=0.98,
        xanchor="right",
        yanchor="top",
        align="left",
        showarrow=False,
        bgcolor="rgba(255, 255, 255, 0.85)",
        bordercolor="#cccccc",
        borderwidth=1,
        font=dict(size=13),
    )
    fig.update_layout(
        template=TEMPLATE,
        title="Maximum-likelihood fit of a Gaussian",
        xaxis_title="x",
        yaxis_title="density",
        bargap=0.02,
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
        margin=dict(l=60, r=20, t=80, b=50),
    )
    return fig


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
        ``mu ± sigma / sqrt(k)`` (one standard error), and ``sigma_hat_k``; the true
        values are horizontal dashed lines.
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
    stderr = sigma / np.sqrt(k)
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([k, k[::-1]]),
            y=np.concatenate([mu + stderr, (mu - stderr)[::-1]]),
            fill="toself",
            fillcolor=BAND_COLOR,
            line=dict(width=0),
            hoverinfo="skip",
            name="μ ± σ/√k",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=k, y=mu_hat, mode="lines", name="μ̂ₖ", line=dict(color=FIT_COLOR, width=2)
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=k, y=sigma_hat, mode="lines", name="σ̂ₖ", line=dict(color="#3b6ea8", width=2)
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
        title="The estimates converge as samples accumulate",
        margin=dict(l=60, r=20, t=80, b=50),
        height=520,
    )
    return fig
