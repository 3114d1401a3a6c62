"""Tab 1, "Learning a distribution": fit a Gaussian to samples by maximum likelihood.

API:
    /fit_gaussian(mu, sigma, n, seed) -> (fit figure, convergence figure, estimates, explicit-vs-implicit figure)
    /draw_new_samples(mu, sigma, n, seed) -> (seed + 1, *fit_gaussian outputs)
"""

from __future__ import annotations

import math

import gradio as gr
import numpy as np

from tabs import common, explain, opening, validate

TITLE = "1 · Learning a distribution"

INTRO = r"""
### What does it mean to learn a distribution?
A generative model is given samples and has to capture the process that produced them,
so it can produce more. The smallest example is a one-dimensional Gaussian $\mathcal N(\mu, \sigma^2)$:
draw $n$ samples, then pick the parameters under which those samples are most probable.
For a Gaussian that maximum-likelihood choice has a closed form,

$$\hat\mu = \frac{1}{n}\sum_{k=1}^{n} x_k,$$

$$\hat\sigma^2 = \frac{1}{n}\sum_{k=1}^{n}\left(x_k - \hat\mu\right)^2 .$$

Change the true $\mu$ and $\sigma$ and the number of samples: with few samples the fitted
curve wanders; as $n$ grows the estimates settle on the truth. The error of $\hat\mu$ shrinks
like $\sigma/\sqrt{n}$, that of $\hat\sigma$ like $\sigma/\sqrt{2n}$; and with few samples
$\hat\sigma$ comes out too small on average, because $\hat\mu$ sits closer to the samples
than $\mu$ does: its mean is $0.56\,\sigma$ at $n = 2$ and $0.96\,\sigma$ at $n = 20$
(the dotted curve in the lower panel).
"""

IMPLICIT = r"""
#### Explicit or implicit
Fitting $\hat\mu$ and $\hat\sigma$ learns the distribution **explicitly**: we chose a formula
for the density and fitted its parameters, so $\hat q(x)$ can be evaluated at any $x$.
Glyph images have no such formula. A diffusion model learns its distribution **implicitly**:
it learns how to turn noise into data, and never states a density.
The figure below does the same on the samples above, in one step: its green map sends each
noise value $z \sim \mathcal N(0, 1)$ to the sample value at the same quantile (the sorted
samples, joined by straight lines). It makes values that are not among the samples, though
never beyond the smallest and the largest; its histogram follows the explicit fit (red) as
$n$ grows. A diffusion model learns such a map for images, in many small denoising steps.
"""

LIMITS = {"mu": (-10.0, 10.0), "sigma": (0.05, 10.0), "n": (2, 100_000)}
DEFAULTS = (0.0, 1.0, 200, 0)
EXAMPLES = [[0.0, 1.0, 20, 0], [0.0, 1.0, 2000, 0], [3.0, 0.5, 100, 7], [-2.0, 2.5, 20000, 1]]
IMPLICIT_DRAWS = 2000  # noise values pushed through the implicit map
LOG_N_STEP = 0.05  # the n slider moves log10 n: a step is a factor of 1.12
LOG_N_RANGE = (0.3, 5.0)  # 10^0.3 rounds to n = 2; 94 steps up to 10^5
# The n slider sets the n box (round(10^v)); the box moves the slider only when it was
# changed some other way (typed, an example), so an arrow key that keeps n is not undone.
N_FROM_LOG_JS = "(v) => Math.round(10 ** v)"
LOG_FROM_N_JS = (f"(n, v) => (!(n >= {LIMITS['n'][0]} && n <= {LIMITS['n'][1]}) || Math.abs(Math.log10(n) - v) < "
                 f"{LOG_N_STEP * 1.2} ? v : Math.round(Math.log10(n) * 100) / 100)")


@validate.guarded("Fitting the Gaussian")
def fit_gaussian(mu, sigma, n, seed):
    """Draw ``n`` samples of ``N(mu, sigma^2)`` and fit them by maximum likelihood.

    Returns:
        (histogram with true and fitted densities, convergence of the estimates with n,
        Markdown with μ̂, σ̂ and their typical errors, explicit versus implicit figure).
    """
    from glyffuser.diffusion.forward import gaussian_samples
    from glyffuser.distributions.mle import fit_gaussian_mle, mle_sigma_mean
    from viz.distribution import convergence_figure, implicit_figure, mle_figure

    mu = validate.number(mu, "μ", *LIMITS["mu"])
    sigma = validate.number(sigma, "σ", *LIMITS["sigma"])
    n = validate.integer(n, "n", *LIMITS["n"])
    seed = validate.seed(seed)
    samples = gaussian_samples(mu, sigma, n, seed)  # (n,)
    mu_hat, sigma_hat = fit_gaussian_mle(samples)
    estimates = (
        f"**μ̂ = {mu_hat:.3f}** (true μ = {mu:.3f}, off by {mu_hat - mu:+.3f})  \n"
        f"**σ̂ = {sigma_hat:.3f}** (true σ = {sigma:.3f}, off by {sigma_hat - sigma:+.3f})  \n"
        f"from {n:,} samples. Typical error of μ̂: σ/√n = {sigma / math.sqrt(n):.3f}; "
        f"of σ̂: about σ/√(2n) = {sigma / math.sqrt(2 * n):.3f}; "
        f"mean of σ̂ at this n: {mle_sigma_mean(n):.3f} σ."
    )
    noise = np.random.default_rng([seed, 1]).standard_normal(IMPLICIT_DRAWS)  # (m,), apart from the data's draws
    return (mle_figure(samples, mu, sigma), convergence_figure(samples, mu, sigma), estimates,
            implicit_figure(samples, noise))


@validate.guarded("Drawing new samples")
def draw_new_samples(mu, sigma, n, seed):
    """Like :func:`fit_gaussian` with the next seed; returns (new seed, *fit_gaussian outputs)."""
    new_seed = (validate.seed(seed) + 1) % (validate.MAX_SEED + 1)
    return (new_seed, *fit_gaussian(mu, sigma, n, new_seed))


def build_tab(resources) -> None:
    """The tab's widgets and events (``resources`` is unused: nothing heavy is needed)."""
    with gr.Tab(TITLE, id="distribution"):
        explain.opening("distribution", INTRO)
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                mu = gr.Slider(*LIMITS["mu"], value=DEFAULTS[0], step=0.05, label="true mean μ")
                sigma = gr.Slider(*LIMITS["sigma"], value=DEFAULTS[1], step=0.05, label="true standard deviation σ")
                n = gr.Number(value=DEFAULTS[2], precision=0, minimum=LIMITS["n"][0], maximum=LIMITS["n"][1],
                              label="number of samples n", elem_id="distribution-n")
                log_n = gr.Slider(LOG_N_RANGE[0], LOG_N_RANGE[1],
                                  value=round(math.log10(DEFAULTS[2]), 2), step=LOG_N_STEP,
                                  label="n on a log scale: log₁₀ n", elem_id="distribution-log-n",
                                  info="2 … 100,000 samples; each step multiplies n by 1.12")
                seed = common.seed_number(DEFAULTS[3])
                draw = gr.Button("Draw new samples", variant="primary")
                estimates = common.note(elem_id="distribution-estimates")
            with gr.Column(scale=3):
                fit_plot = common.plot(elem_id="distribution-fit")
                convergence_plot = common.plot(elem_id="distribution-convergence")
        explain.section("distribution-implicit", IMPLICIT)
        implicit_plot = common.plot(elem_id="distribution-implicit")
        outputs = [fit_plot, convergence_plot, estimates, implicit_plot]
        inputs = [mu, sigma, n, seed]
        fit = dict(fn=fit_gaussian, inputs=inputs, outputs=outputs, preprocess=False, trigger_mode="always_last")
        gr.on(triggers=[*common.moved(mu, sigma), n.submit, seed.submit], api_name="fit_gaussian", **fit)
        common.moved(log_n)[0](None, inputs=log_n, outputs=n, js=N_FROM_LOG_JS, queue=False,
                               trigger_mode="always_last").then(api_visibility="private", **fit)
        n.change(None, inputs=[n, log_n], outputs=log_n, js=LOG_FROM_N_JS, queue=False)
        draw.click(draw_new_samples, inputs=inputs, outputs=[seed, *outputs], api_name="draw_new_samples",
                   preprocess=False)
        gr.Examples(EXAMPLES, inputs=inputs, outputs=outputs, fn=fit_gaussian, run_on_click=True,
                    cache_examples=False, api_name="fit_gaussian_example", preprocess=False,
                    label="Try: few samples, many samples, a shifted and a wide Gaussian")
        opening.on_load(lambda: fit_gaussian(*DEFAULTS), outputs, api_name="fit_gaussian_initial")
