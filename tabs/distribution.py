"""Tab 1, "Learning a distribution": fit a Gaussian to samples by maximum likelihood.

API:
    /fit_gaussian(mu, sigma, n, seed) -> (fit figure, convergence figure, estimates)
    /draw_new_samples(mu, sigma, n, seed) -> (seed + 1, fit figure, convergence figure, estimates)
"""

from __future__ import annotations

import gradio as gr

from tabs import common, validate

TITLE = "1 · Learning a distribution"

INTRO = r"""
### What does it mean to learn a distribution?
A generative model is given samples and has to capture the process that produced them,
so it can produce more. The smallest example is a one-dimensional Gaussian $\mathcal N(\mu, \sigma^2)$:
draw $n$ samples, then pick the parameters under which those samples are most probable.
For a Gaussian that maximum-likelihood choice has a closed form,

$$\hat\mu = \frac{1}{n}\sum_{k=1}^{n} x_k, \qquad \hat\sigma^2 = \frac{1}{n}\sum_{k=1}^{n}\left(x_k - \hat\mu\right)^2 .$$

Change the true $\mu$ and $\sigma$ and the number of samples: with few samples the fitted
curve wanders; as $n$ grows the estimates settle on the truth, with an error shrinking like
$\sigma/\sqrt{n}$. Glyph images have no such formula, which is why the later tabs need a
diffusion model, but the aim is the same: a distribution we can sample from.
"""

LIMITS = {"mu": (-10.0, 10.0), "sigma": (0.05, 10.0), "n": (2, 100_000)}
DEFAULTS = (0.0, 1.0, 200, 0)
EXAMPLES = [[0.0, 1.0, 20, 0], [0.0, 1.0, 2000, 0], [3.0, 0.5, 100, 7], [-2.0, 2.5, 20000, 1]]


@validate.guarded("Fitting the Gaussian")
def fit_gaussian(mu, sigma, n, seed):
    """Draw ``n`` samples of ``N(mu, sigma^2)`` and fit them by maximum likelihood.

    Returns:
        (histogram with true and fitted densities, convergence of the estimates with n,
        Markdown with μ̂ and σ̂).
    """
    from glyffuser.forward import gaussian_samples
    from glyffuser.mle import fit_gaussian_mle
    from viz.distribution import convergence_figure, mle_figure

    mu = validate.number(mu, "μ", *LIMITS["mu"])
    sigma = validate.number(sigma, "σ", *LIMITS["sigma"])
    n = validate.integer(n, "n", *LIMITS["n"])
    seed = validate.seed(seed)
    samples = gaussian_samples(mu, sigma, n, seed)  # (n,)
    mu_hat, sigma_hat = fit_gaussian_mle(samples)
    estimates = (
        f"**μ̂ = {mu_hat:.3f}** (true μ = {mu:.3f}, off by {mu_hat - mu:+.3f})  \n"
        f"**σ̂ = {sigma_hat:.3f}** (true σ = {sigma:.3f}, off by {sigma_hat - sigma:+.3f})  \n"
        f"from {n:,} samples; typical error of μ̂: σ/√n = {sigma / n**0.5:.3f}."
    )
    return mle_figure(samples, mu, sigma), convergence_figure(samples, mu, sigma), estimates


@validate.guarded("Drawing new samples")
def draw_new_samples(mu, sigma, n, seed):
    """Like :func:`fit_gaussian` with the next seed; returns (new seed, *fit_gaussian outputs)."""
    new_seed = (validate.seed(seed) + 1) % (validate.MAX_SEED + 1)
    return (new_seed, *fit_gaussian(mu, sigma, n, new_seed))


def build_tab(resources) -> None:
    """The tab's widgets and events (``resources`` is unused: nothing heavy is needed)."""
    with gr.Tab(TITLE, id="distribution"):
        common.explanation(INTRO)
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                mu = gr.Slider(*LIMITS["mu"], value=DEFAULTS[0], step=0.05, label="true mean μ")
                sigma = gr.Slider(*LIMITS["sigma"], value=DEFAULTS[1], step=0.05, label="true standard deviation σ")
                n = gr.Slider(*LIMITS["n"], value=DEFAULTS[2], step=1, label="number of samples n")
                seed = common.seed_number(DEFAULTS[3])
                draw = gr.Button("Draw new samples", variant="primary")
                estimates = common.note()
            with gr.Column(scale=3):
                fit_plot = common.plot()
                convergence_plot = common.plot()
        outputs = [fit_plot, convergence_plot, estimates]
        inputs = [mu, sigma, n, seed]
        gr.on(
            triggers=[mu.release, sigma.release, n.release, seed.submit],
            fn=fit_gaussian, inputs=inputs, outputs=outputs, api_name="fit_gaussian",
            preprocess=False, trigger_mode="always_last",
        )
        draw.click(draw_new_samples, inputs=inputs, outputs=[seed, *outputs], api_name="draw_new_samples",
                   preprocess=False)
        gr.Examples(EXAMPLES, inputs=inputs, outputs=outputs, fn=fit_gaussian, run_on_click=True,
                    cache_examples=False, api_name="fit_gaussian_example", preprocess=False,
                    label="Try: few samples, many samples, a shifted and a wide Gaussian")
        common.on_load(lambda: fit_gaussian(*DEFAULTS), outputs, api_name="fit_gaussian_initial")
