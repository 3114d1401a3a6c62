"""Tab 7, "Conditioning": text as numbers, conditioning as slicing, and one step towards "gold".

API:
    /embed_prompt(prompt) -> (embedding heat map, token caption)
    /joint_density(y1, y2) -> (joint density figure, caption)
    /one_step(prompt, guidance, seed) -> (predicted x0 without the prompt, with it, caption)
"""

from __future__ import annotations

import gradio as gr
import numpy as np

from glyffuser.distributions.mixture import default_mixture
from glyffuser.images import grid
from tabs import common, explain, model_common, opening, validate
from tabs.serving import shared_runs
from viz.conditioning import embedding_figure, joint_density_figure

TITLE = "7 · Conditioning"

INTRO = r"""
### Conditioning: sampling from $p(\mathbf x \mid y)$ instead of $p(\mathbf x)$
A text prompt does not change what glyphs exist; it changes which ones are likely. Take a joint
density $p(x, y)$ of a quantity we sample, $x$, and a condition, $y$. Forgetting $y$ leaves the
marginal $p(x)$, with both modes equally likely; fixing $y$ slices the joint density and rescales
the slice into a distribution of its own,

$$p(x \mid y) = \frac{p(x, y)}{p(y)}, \qquad p(y) = \int p(x, y)\,\mathrm dx ,$$

in which one mode can dominate. For the glyffuser, $y$ is a definition. A pretrained text encoder
(MiniLM) cuts it into tokens and turns them into an $(n, d)$ array, one $d = 384$ vector per token.
The text enters the U-Net twice: every attention block attends from image positions to these token
vectors (cross-attention), and a pooled summary of them is added to the timestep embedding, which
every residual block reads. Classifier-free guidance then pushes the prediction away from the
unconditional one with a scale $w$:
$\hat{\mathbf v} = \mathbf v(\mathbf x_t, \varnothing) + w\,\big(\mathbf v(\mathbf x_t, c) - \mathbf v(\mathbf x_t, \varnothing)\big)$.
That takes two passes of the network per step; the shipped model also takes $w$ as an input and
was trained to give $\hat{\mathbf v}$ in one pass, an approximation whose error the caption below
measures. In the Sampling tab, $w$ is that input and applies only below a noise level (see there).

The last panel is the model's guess $\hat{\mathbf x}_0$ at the very first step, $t = 999$, for 16
seeds; it is the guess, not a sampler's step. At $t = 999$ the noise $\mathbf x_T$ keeps almost
nothing of a glyph ($\sqrt{\bar\alpha_{999}} \approx 5\cdot 10^{-5}$), so the best guess is
$\mathbb E[\mathbf x_0 \mid \text{prompt}]$, the same whatever the seed: an average of all the
glyphs that fit the prompt. For *gold* that average carries 金 or 钅, blurred, because many
different glyphs do.
"""

X_GRID = np.linspace(-4.5, 4.5, 241)
Y_GRID = np.linspace(-3.5, 4.5, 201)
Y_LIMITS = (-3.0, 4.0)
DENSITY_DEFAULTS = (-1.1, 1.2)
ONE_STEP_DEFAULTS = ("Gold", 3.0, 0)
ONE_STEP_COUNT = 16
GUIDANCE_LIMITS = (0.0, common.shipped_guidance_max())  # the one-pass range: no jump to two passes on the page
EXAMPLES = [["Gold", 3.0, 0], ["water", 3.0, 0], ["bird", 5.0, 16], ["a fish in a river", 3.0, 0], ["Gold", 0.0, 0]]


class ConditioningTab:
    """The tab's functions, bound to the shared resources."""

    def __init__(self, resources):
        self.res = resources
        self.mixture = default_mixture()

    @validate.guarded("Encoding the prompt")
    def embed_prompt(self, prompt):
        """The prompt's tokens and their (n, 384) encoder states.

        Returns:
            (heat map with tokens on the vertical axis, Markdown caption listing the tokens).
        """
        text = model_common.prompt(prompt)
        pipe = model_common.pipeline(self.res)
        tokens = pipe.tokens(text)
        states, masks, truncated = pipe.encode([text])
        n = int(masks[0].sum())
        shown = " · ".join(f"**{model_common.quoted(tok)}**" for tok in tokens)
        caption = (f"{n} tokens: {shown}. \\[CLS\\] and \\[SEP\\] mark the start and end; the empty prompt keeps "
                   "only those two and is the *null* condition that guidance compares against.")
        if truncated[0]:
            caption += f" The prompt was cut to its first {n} tokens."
        return embedding_figure(tokens, states[0, :n].numpy()), caption

    @validate.guarded("Drawing the joint density")
    def joint_density(self, y1, y2):
        """p(x, y) of a three-component Gaussian mixture, its marginals and p(x | y) at ``y1`` and ``y2``.

        Returns:
            (figure, Markdown caption with each component's probability given y).
        """
        y1 = validate.number(y1, "y₁", *Y_LIMITS)
        y2 = validate.number(y2, "y₂", *Y_LIMITS)
        m = self.mixture
        slices = [(y, m.conditional_x(X_GRID, y)) for y in (y1, y2)]
        figure = joint_density_figure(X_GRID, Y_GRID, m.pdf(X_GRID, Y_GRID), m.marginal_x(X_GRID),
                                      m.marginal_y(Y_GRID), slices, peaks=m.means[:2])
        rows = "\n".join(
            f"| y = {y:.2f} | " + " | ".join(f"{r:.0%}" for r in m.responsibilities(y)) + " |" for y in (y1, y2)
        )
        names = " | ".join(f"blob at x = {mu[0]:.1f}" for mu in m.means)
        caption = (f"Without a condition the blobs have weights {', '.join(f'{w:.0%}' for w in m.weights)}. "
                   f"Given y, they are reweighted (Bayes' rule):\n\n| | {names} |\n|---|"
                   + "---|" * len(m.means) + f"\n{rows}")
        return figure, caption

    @validate.guarded("Denoising in one step")
    def one_step(self, prompt, guidance, seed):
        """One model step from pure noise for 16 seeds, without and with the prompt.

        Returns:
            (grid of predicted x0 for the empty prompt, grid at guidance ``guidance``,
            Markdown caption with the radical meter of both).
        """
        from glyffuser.diffusion.trajectory import first_step_pair

        text = model_common.prompt(prompt)
        guidance = validate.number(guidance, "guidance w", 0.0, model_common.MAX_GUIDANCE)
        seed = validate.integer(seed, "seed", 0, validate.MAX_SEED - ONE_STEP_COUNT)
        pipe = model_common.pipeline(self.res)

        def compute():
            step = first_step_pair(pipe, text, ONE_STEP_COUNT, guidance, seed)
            meters = model_common.radical_meter_texts([step.unconditional, step.guided], text, self.res.glyphs())
            return step, meters

        # identical requests (a class pressing the same button) share one model evaluation
        with model_common.pipeline_errors():
            step, meters = shared_runs.shared_call(("one_step", id(pipe), text, ONE_STEP_COUNT, guidance, seed), compute)
        spread = max(float(np.sqrt(((ink - ink.mean(0)) ** 2).mean())) for ink in (step.guided, step.unconditional))
        caption = (
            f"The model's guess x̂₀ at t = {step.t}, from the noise of seeds {seed}–{seed + ONE_STEP_COUNT - 1}: "
            f"the 16 guesses differ from their mean by {spread:.3f} RMS (ink 0–1), "
            + ("so they are one picture drawn 16 times, up to a light speckle: the guess depends on the prompt "
                "and w, not on the noise." if spread < 0.1 else
               "so the network's guess still depends on the noise, although the best guess would not: "
               "it has learned E[x₀ | prompt] only roughly.")
            + f"\n\n- without the prompt (w = 0): {meters[0]}\n"
            f"- with “{model_common.quoted(text) or '(empty)'}” at w = {guidance:g}: {meters[1]}"
        )
        if step.one_pass_gap is not None:
            caption += (f"\n\nThe one pass at w = {guidance:g} differs from the two-pass v̂ it was trained to give by "
                        f"{step.one_pass_gap:.0%} of the guidance term w (v(c) − v(∅)) here.")
        return grid(step.unconditional, cols=4, scale=4), grid(step.guided, cols=4, scale=4), caption


def build_tab(resources) -> None:
    tab = ConditioningTab(resources)
    with gr.Tab(TITLE, id="conditioning"):
        explain.opening("conditioning", INTRO)

        gr.Markdown("#### A joint density and its slices")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=240):
                y1 = gr.Slider(*Y_LIMITS, value=DENSITY_DEFAULTS[0], step=0.05, label="y₁ (first slice)",
                               elem_id="conditioning-y1")
                y2 = gr.Slider(*Y_LIMITS, value=DENSITY_DEFAULTS[1], step=0.05, label="y₂ (second slice)")
                density_caption = common.note()
            with gr.Column(scale=3):
                density_plot = common.plot()
        gr.on(triggers=common.moved(y1, y2), fn=tab.joint_density, inputs=[y1, y2],
              outputs=[density_plot, density_caption], api_name="joint_density", preprocess=False,
              trigger_mode="always_last", show_progress="hidden")

        gr.Markdown("#### From a prompt to an array, and one step of denoising")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=260):
                prompt = gr.Textbox(value=ONE_STEP_DEFAULTS[0], label="prompt (English)", max_lines=1,
                                    elem_id="conditioning-prompt")
                guidance = gr.Slider(*GUIDANCE_LIMITS, value=ONE_STEP_DEFAULTS[1], step=0.5,
                                     label="guidance scale w",
                                     info="0 = ignore the prompt; 1 = the plain conditional model")
                seed = common.seed_number(ONE_STEP_DEFAULTS[2], label="first seed (16 seeds from here)")
                run = gr.Button("Encode and denoise once", variant="primary")
            with gr.Column(scale=3):
                embedding_plot = common.plot()
                token_caption = common.note()
        with gr.Row():
            with gr.Column(min_width=160):
                gr.Markdown("**x̂₀ at t = 999, no prompt (w = 0)**", elem_classes=["tab-note"])
                without = common.picture("x̂₀, no prompt (w = 0)", elem_id="conditioning-without", show_label=False)
            with gr.Column(min_width=160):
                gr.Markdown("**x̂₀ at t = 999, with the prompt (w from the slider)**", elem_classes=["tab-note"])
                with_prompt = common.picture("x̂₀, with the prompt", elem_id="conditioning-with", show_label=False)
        step_caption = common.note()

        embed_outputs = [embedding_plot, token_caption]
        step_inputs = [prompt, guidance, seed]
        step_outputs = [without, with_prompt, step_caption]
        gr.on(triggers=[run.click, prompt.submit], fn=tab.embed_prompt, inputs=prompt, outputs=embed_outputs,
              api_name="embed_prompt", preprocess=False, trigger_mode="always_last", show_progress="minimal",
              **model_common.MODEL_EVENTS).success(
            tab.one_step, inputs=step_inputs, outputs=step_outputs, api_name="one_step_after_embed",
            api_visibility="undocumented", preprocess=False, show_progress="minimal", **model_common.MODEL_EVENTS)
        gr.on(triggers=[*common.moved(guidance), seed.submit], fn=tab.one_step, inputs=step_inputs, outputs=step_outputs,
              api_name="one_step", preprocess=False, trigger_mode="always_last", show_progress="minimal",
              **model_common.MODEL_EVENTS)
        examples = gr.Examples(EXAMPLES, inputs=step_inputs, api_name="one_step_fill",
                               label="Try: gold, water, a bird at stronger guidance, a phrase, no guidance")
        examples.load_input_event.then(
            tab.embed_prompt, inputs=prompt, outputs=embed_outputs, api_name="embed_prompt_example",
            api_visibility="undocumented", preprocess=False, **model_common.MODEL_EVENTS).success(
            tab.one_step, inputs=step_inputs, outputs=step_outputs, api_name="one_step_example",
            api_visibility="undocumented", preprocess=False, **model_common.MODEL_EVENTS)

        opening.on_load(lambda: tab.joint_density(*DENSITY_DEFAULTS), [density_plot, density_caption],
                       api_name="joint_density_initial")
        opening.on_load(lambda: tab.embed_prompt(ONE_STEP_DEFAULTS[0]), embed_outputs, api_name="embed_prompt_initial",
                        **model_common.MODEL_EVENTS)
        opening.on_load(lambda: tab.one_step(*ONE_STEP_DEFAULTS), step_outputs, api_name="one_step_initial",
                        **model_common.MODEL_EVENTS)
