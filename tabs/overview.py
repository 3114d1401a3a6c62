"""Tab 5, "Overview": the diffusion chain of Ho et al. (2020) drawn on a real glyph.

API:
    /overview_chain(character, t, schedule, seed) -> (chain figure, caption)
    /overview_posterior(character, other, t, schedule, seed) -> (figure of q(x_{t−1} | x_t, x0), caption)
"""

from __future__ import annotations

import importlib.util

import gradio as gr

from tabs import common, explain, opening, validate
from viz.pictures import model_picture

TITLE = "5 · Overview"

INTRO = r"""
### The whole picture
A diffusion model is a pair of Markov chains over $T = 1000$ steps. The **forward** chain $q$
is fixed: each step adds a little Gaussian noise, until the glyph is indistinguishable from
$\mathbf{x}_T \sim \mathcal N(\mathbf 0, \mathbf I)$. The **reverse** chain $p_\theta$ is learned:
a network looks at $\mathbf{x}_t$ and proposes a slightly cleaner $\mathbf{x}_{t-1}$,

$$q(\mathbf{x}_t \mid \mathbf{x}_{t-1}) = \mathcal N\!\left(\sqrt{1-\beta_t}\,\mathbf{x}_{t-1},\; \beta_t \mathbf I\right),$$

$$p_\theta(\mathbf{x}_{t-1} \mid \mathbf{x}_t) = \mathcal N\!\left(\boldsymbol\mu_\theta(\mathbf{x}_t, t),\; \sigma_t^2 \mathbf I\right).$$

Generating a glyph means starting from noise and running the reverse chain to $\mathbf{x}_0$.
The pictures are the dataset glyph 锂 (*lithium*, or any glyph you type) noised by the forward
process with one noise draw $\boldsymbol\varepsilon$ shared by every node.

**How $t$ is counted here.** The explorer's $t$ is diffusers' 0-based index: step $t$ has
$\bar\alpha_t = \prod_{s \le t}(1-\beta_s)$, so $t = 0$ is already one noising step
($\bar\alpha_0 = @ABAR0@$ under the cosine schedule, not 1), $t = 999$ is the last, and the clean
glyph $\mathbf x_0$ comes before them all. Ho et al. number the same steps from 1: their $t$ is ours $+\,1$.
"""

POSTERIOR = r"""
#### Why the step back needs the clean glyph
Going back one step, $q(\mathbf x_{t-1} \mid \mathbf x_t)$ mixes over every glyph that could have produced
$\mathbf x_t$, so it depends on the whole data distribution. Given the glyph $\mathbf x_0$ as well, it is one
Gaussian in closed form (Ho et al. 2020, eq. 6-7):

$$q(\mathbf x_{t-1} \mid \mathbf x_t, \mathbf x_0) = \mathcal N\big(\tilde{\boldsymbol\mu}_t,\; \tilde\beta_t \mathbf I\big),$$

$$\tilde{\boldsymbol\mu}_t = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\,\mathbf x_0
+ \frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\,\mathbf x_t,$$

$$\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t .$$

Below, the same $\mathbf x_t$ (the glyph above, noised to $t$) stepped back with two different $\mathbf x_0$:
the means differ by $\frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}(\mathbf x_0 - \mathbf x_0')$, a small
push per step that points at a different glyph. The network never knows $\mathbf x_0$; it is trained to
guess it ($\hat{\mathbf x}_0$, tab 6), and $p_\theta$ uses this same formula with the guess in its place.
"""

GUIDE = """
#### Where each piece lives in this explorer
- *What the model must learn*, a distribution from samples: **1 · Learning a distribution**; the
  glyphs themselves and their density: **2 · The glyph data**.
- The dashed forward arrows $q$, at any step and under either schedule: **3 · Forward noising**.
- Why the reverse arrows can be learned (each step follows the score $\\nabla \\log q_t$):
  **4 · Score field**.
- The solid reverse arrows $p_\\theta$: how the network is trained (**6 · The training objective**),
  told what to draw (**7 · Conditioning**) and run from noise to a glyph (**8 · Sampling**).
"""

# (module, tab id, button label): the buttons open these tabs (wired in app.py).
NAVIGATION = (
    ("tabs.distribution", "distribution", "1 · Learning a distribution"),
    ("tabs.glyph_map", "glyph-map", "2 · The glyph data"),
    ("tabs.noising", "noising", "3 · Forward noising"),
    ("tabs.score", "score", "4 · Score field"),
    ("tabs.training", "training", "6 · The training objective"),
    ("tabs.conditioning", "conditioning", "7 · Conditioning"),
    ("tabs.sampling", "sampling", "8 · Sampling"),
)

DEFAULTS = ("锂", 500, "cosine", 0)
OTHER = "金"  # the second x0 of the posterior view
EXAMPLES = [["锂", 500, "cosine", 0], ["锂", 100, "cosine", 0], ["锂", 900, "linear", 0], ["金", 300, "cosine", 2]]


class OverviewTab:
    """The tab's functions, bound to the shared resources."""

    def __init__(self, resources):
        self.res = resources

    @validate.guarded("Drawing the chain")
    def overview_chain(self, character, t, schedule, seed):
        """The chain x_T … x_t → x_{t−1} … x_0 with the glyph noised at T − 1, t and t − 1.

        Args (raw values): character (one glyph), t in [1, 998], schedule, seed.

        Returns:
            (matplotlib figure, Markdown caption).
        """
        from glyffuser.diffusion.forward import glyph_x0, noise_chain
        from viz.overview import chain_figure

        glyphs = self.res.glyphs()
        row = validate.character(character, glyphs)
        t = validate.integer(t, "t", 1, common.NUM_STEPS - 2)
        name = validate.choice(schedule, "schedule", common.SCHEDULES)
        seed = validate.seed(seed)
        x0 = glyph_x0(glyphs.images[row])  # (64, 64)
        chain = noise_chain(x0, self.res.schedule(name), [common.NUM_STEPS - 1, t, t - 1], seed)
        pictures = {
            "x_T": model_picture(chain.x_t[0], scale=1),
            "x_t": model_picture(chain.x_t[1], scale=1),
            "x_t-1": model_picture(chain.x_t[2], scale=1),
            "x_0": model_picture(x0.numpy(), scale=1),
        }
        abar_T, abar_t, abar_prev = chain.alphas_cumprod
        caption = (
            f"{glyphs.chars[row]} ({glyphs.definitions[row]}), {name} schedule: "
            f"ᾱ = {abar_prev:.5f} at t − 1 = {t - 1}, {abar_t:.5f} at t = {t}, {abar_T:.2e} at T − 1 = "
            f"{common.NUM_STEPS - 1}. One step changes little, which is what makes each reverse step learnable."
        )
        return chain_figure(pictures, t, common.NUM_STEPS), caption

    @validate.guarded("Drawing the reverse step")
    def overview_posterior(self, character, other, t, schedule, seed):
        """q(x_{t−1} | x_t, x0) for x_t made from ``character``, with x0 = ``character`` and x0 = ``other``.

        Returns:
            (matplotlib figure: x_t, the two posterior means and their difference; Markdown caption).
        """
        from glyffuser.diffusion.forward import glyph_x0, noise_chain
        from glyffuser.diffusion.posterior import posterior
        from viz.overview import posterior_figure

        glyphs = self.res.glyphs()
        row = validate.character(character, glyphs)
        row_b = validate.character(other, glyphs, "other glyph")
        t = validate.integer(t, "t", 1, common.NUM_STEPS - 2)
        name = validate.choice(schedule, "schedule", common.SCHEDULES)
        seed = validate.seed(seed)
        x0, x0_b = glyph_x0(glyphs.images[row]), glyph_x0(glyphs.images[row_b])  # (64, 64) tensors
        x_t = noise_chain(x0, self.res.schedule(name), [t], seed).x_t[0]  # (64, 64) array
        post = posterior(self.res.schedule(name), t)
        mean_a, mean_b = post.mean(x_t, x0.numpy()), post.mean(x_t, x0_b.numpy())
        diff = mean_a - mean_b
        a, b = glyphs.chars[row], glyphs.chars[row_b]
        rms = float(((diff.astype("float64")) ** 2).mean() ** 0.5)
        ratio = rms / post.variance**0.5
        verdict = ("small against the step's own noise, but always towards the x₀ given, and the reverse chain "
                   "takes hundreds of such steps" if ratio < 1 else
                   "larger than the step's own noise: this close to the data, x₀ all but decides the step")
        titles = [f"x_t, t = {t} (made from {a})", f"mean of x_(t-1) if x0 = {a}", f"mean of x_(t-1) if x0 = {b}",
                  f"difference ({a} − {b}), ±{float(abs(diff).max()):.3f}"]
        caption = (
            f"{name} schedule, t = {t}: μ̃ = {post.coef_x0:.4f}·x₀ + {post.coef_xt:.4f}·xₜ, standard deviation "
            f"√β̃ = {post.variance ** 0.5:.4f}. Swapping x₀ from {a} to {b} moves the mean by {rms:.4f} per pixel "
            f"(root mean square), {ratio:.2f} times the step's own noise: {verdict}."
        )
        return posterior_figure(x_t, [mean_a, mean_b], diff, titles), caption


def trained_on_words(record: dict) -> str:
    """What a model's training record (``config.extra``) says it was trained on, in words."""
    from glyffuser.data.store import trained_on_extension_a

    train = record.get("train_config") or {}
    words = "the dataset's defined characters of U+4E00–9FFF"
    if trained_on_extension_a(record):
        words += (", then those of Extension A (U+3400–4DBF) but the ones a held-out or validation prompt defines "
                  "(not shown in the Glyph data tab)")
    if train.get("uncaptioned"):
        words += "; the block's glyphs without a definition, with no words"
    return words


def model_differences(config: dict) -> str:
    """A Markdown table: the article's glyffuser against the model this explorer ships (read from its config)."""
    size = config.get("image_size", "?")
    channels = ", ".join(str(c) for c in config.get("block_out_channels", ()))
    extra = config.get("extra") or {}
    train = extra.get("train_config") or {}
    if config.get("guidance_embedding"):
        how = (f"one pass: w (0–{config.get('guidance_max', 0):g}) is an input, trained "
               + ("alongside the model (self-distilled)" if train.get("self_guidance") else "by distillation from a two-pass teacher"))
    else:
        how = "two passes per step (prompt and null prompt)"
    rows = [
        ("training glyphs", "20,992 characters of U+4E00–9FFF with their Unihan definitions", trained_on_words(extra)),
        ("glyphs", "128 × 128", f"{size} × {size}, from the 64 × 64 dataset"),
        ("text encoder", "T5 (pretrained)", "all-MiniLM-L6-v2 (pretrained, 384-d tokens, ≤ 32)"),
        ("network", "diffusers UNet2DConditionModel, 119 M parameters",
         f"the same class behind a {config.get('patch', '?')} × {config.get('patch', '?')} pixel unshuffle, channels {channels}, about 5 M parameters"),
        ("what it predicts", "the noise ε", "v = √ᾱ ε − √(1 − ᾱ) x₀ (Salimans & Ho 2022); x₀ and ε follow from it"),
        ("where the text enters", "cross-attention only", "cross-attention, and a pooled summary added to the timestep embedding"),
        ("noise schedule", "not stated", f"{config.get('schedule', '?')} (Nichol & Dhariwal 2021)"),
        ("sampler", "DPMSolverSDEScheduler, 120 steps", "DPM-Solver++ 2M, DDIM or DDPM, 1–1000 steps"),
        ("classifier-free guidance", "two passes per step", how),
        ("training", "100 epochs on one GPU (about 2 million examples)", "this project's own runs (the Training tab's loss curves)"),
    ]
    table = "\n".join(f"| {what} | {article} | {ours} |" for what, article, ours in rows)
    return "#### How the explorer's model differs from the article's\n\n| | the article's glyffuser | this explorer's |\n|---|---|---|\n" + table


def build_tab(resources) -> dict:
    """The tab; returns its links ``{button: tab id}`` for ``app.py`` to wire."""
    tab = OverviewTab(resources)
    abar0 = float(resources.schedule("cosine").alphas_cumprod.double()[0])
    with gr.Tab(TITLE, id="overview"):
        explain.opening("overview", INTRO.replace("@ABAR0@", f"{abar0:.5f}"))
        chain_plot = common.plot()
        caption = common.note()
        with gr.Row():
            character = gr.Textbox(value=DEFAULTS[0], label="glyph (one character)", max_lines=1)
            t = gr.Slider(1, common.NUM_STEPS - 2, value=DEFAULTS[1], step=1,
                          label="t (the middle pair; 0-based, as in diffusers)")
            schedule = common.schedule_radio(DEFAULTS[2])
            seed = common.seed_number(DEFAULTS[3], label="noise seed")
        explain.section("overview-posterior", POSTERIOR)
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=280):
                posterior_plot = common.plot()
            with gr.Column(scale=1, min_width=280):
                other = gr.Textbox(value=OTHER, label="the other x₀ (one character)", max_lines=1)
                posterior_caption = common.note()
        explain.section("overview-guide", GUIDE, label="The details: which tab shows which arrow")
        explain.section("overview-model", model_differences(common.shipped_model_config()),
                        label="The details: every difference, read from the shipped model")
        links = {}
        with gr.Row(elem_classes=["course-links"]):
            for module, tab_id, label in NAVIGATION:
                if importlib.util.find_spec(module) is not None:
                    links[gr.Button(label, size="sm", variant="secondary", min_width=0)] = tab_id
        inputs = [character, t, schedule, seed]
        gr.on(triggers=[character.submit, *common.moved(t), schedule.input, seed.submit], fn=tab.overview_chain,
              inputs=inputs, outputs=[chain_plot, caption], api_name="overview_chain", preprocess=False,
              trigger_mode="always_last")
        gr.on(triggers=[character.submit, other.submit, *common.moved(t), schedule.input, seed.submit],
              fn=tab.overview_posterior, inputs=[character, other, t, schedule, seed],
              outputs=[posterior_plot, posterior_caption], api_name="overview_posterior", preprocess=False,
              trigger_mode="always_last")
        gr.Examples(EXAMPLES, inputs=inputs, outputs=[chain_plot, caption], fn=tab.overview_chain,
                    run_on_click=True, cache_examples=False, api_name="overview_chain_example",
                    preprocess=False, label="Try: other steps, the linear schedule, another glyph")
        opening.on_load(lambda: tab.overview_chain(*DEFAULTS), [chain_plot, caption], api_name="overview_chain_initial")
        opening.on_load(lambda: tab.overview_posterior(DEFAULTS[0], OTHER, *DEFAULTS[1:]),
                       [posterior_plot, posterior_caption], api_name="overview_posterior_initial")
    return links
