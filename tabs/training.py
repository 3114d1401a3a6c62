"""Tab 6, "The training objective": one training example of the shipped model, made visible.

API:
    /training_example(character, seed, t, drop_text) -> (example figure, loss curve figure, caption)
    /random_training_example() -> (character, seed, t, drop_text, example figure, loss curve figure, caption)
    /loss_curve() -> loss curve figure
"""

from __future__ import annotations

import secrets

import gradio as gr

from tabs import common, model_common, validate
from viz.training import example_figure, loss_curve_figure

TITLE = "6 · The training objective"

INTRO = r"""
### Training: guess what was added, at every noise level
Training never runs the reverse process. Each step takes a glyph $\mathbf x_0$ from the data
with its definition $c$, a random step $t$ and fresh noise $\boldsymbol\varepsilon$, builds the
noisy input in one go and asks the network what it is looking at. The glyffuser is asked for
the *velocity* $\mathbf v$ (a mix of noise and glyph that stays well scaled at every $t$), and
the mismatch is scored by a plain mean squared error:

$$\mathcal L(\theta) = \mathbb E_{\mathbf x_0, c,\, t,\, \boldsymbol\varepsilon}\,
\big\lVert \hat{\mathbf v}_\theta(\mathbf x_t, t, c) - \mathbf v \big\rVert^2, \qquad
\mathbf x_t = \sqrt{\bar\alpha_t}\,\mathbf x_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\varepsilon, \qquad
\mathbf v = \sqrt{\bar\alpha_t}\,\boldsymbol\varepsilon - \sqrt{1-\bar\alpha_t}\,\mathbf x_0 .$$

Knowing $\mathbf x_t$ and $t$, a guess of $\mathbf v$ is at the same time a guess of the clean glyph
$\hat{\mathbf x}_0$ and of the noise $\hat{\boldsymbol\varepsilon}$ (bottom row), so predicting noise,
glyph or velocity are three views of one task. Pick a glyph, a noise seed and a step: at small $t$
the glyph is easy to see and $\hat{\boldsymbol\varepsilon}$ is hard; near $t = 999$ the input is almost
pure noise and the best the network can do is a blurry average of plausible glyphs. Training repeats
this for random glyphs, steps and noise, in batches, until the loss below stops falling.
"""

DEFAULTS = ("锂", 0, 500, False)
EXAMPLES = [["锂", 0, 100, False], ["锂", 0, 500, False], ["锂", 0, 900, False], ["明", 3, 700, False],
            ["草", 1, 700, True]]


class TrainingTab:
    """The tab's functions, bound to the shared resources."""

    def __init__(self, resources):
        self.res = resources
        self._log = None

    def _loss_log(self):
        from glyffuser.objective import read_loss_log

        if self._log is None:
            self._log = read_loss_log()
        return self._log

    def _batch_size(self, pipe) -> int | None:
        """The batch of the logged training run (a distilled model's log is its teacher's)."""
        extra = pipe.model.config.extra or {}
        return extra.get("teacher", extra).get("train_config", {}).get("batch_size")

    def compute(self, row: int, seed: int, t: int, drop_text: bool):
        """The :class:`glyffuser.objective.TrainingExample` of dataset row ``row``.

        The text condition is the glyph's definition, or the empty prompt when
        ``drop_text`` (as for the share of training examples that teach the
        unconditional model classifier-free guidance needs).
        """
        from glyffuser.data.dataset import resize_images
        from glyffuser.forward import glyph_x0
        from glyffuser.objective import training_example

        pipe = model_common.pipeline(self.res)
        glyphs = self.res.glyphs()
        size = pipe.model.config.image_size
        x0 = glyph_x0(resize_images(glyphs.images[row:row + 1], size)[0, 0].numpy())  # (S, S) in [-1, 1]
        states, masks, _ = pipe.encode(["" if drop_text else str(glyphs.definitions[row])])
        schedule = self.res.schedule(pipe.model.config.schedule)
        return training_example(pipe.model, schedule, x0, t, seed, states, masks)

    def _inputs(self, character, seed, t, drop_text):
        row = validate.character(character, self.res.glyphs())
        if drop_text is not None and not isinstance(drop_text, bool):
            raise validate.fail(f"drop_text must be true or false, got {validate.describe(drop_text)}.")
        return row, validate.seed(seed, "noise seed"), validate.timestep(t, common.NUM_STEPS), bool(drop_text)

    def _outputs(self, row, seed, t, drop_text):
        example = self.compute(row, seed, t, drop_text)
        glyphs = self.res.glyphs()
        log = self._loss_log()
        pipe = model_common.pipeline(self.res)
        condition = "the empty prompt (text dropped)" if drop_text else f"its definition “{glyphs.definitions[row]}”"
        caption = (
            f"**{glyphs.chars[row]}** conditioned on {condition}; noise seed {seed}, **t = {t}**, "
            f"ᾱₜ = {example.alpha_bar:.4f} (signal share √ᾱₜ = {example.alpha_bar ** 0.5:.3f}).\n\n"
            f"| scored as | mean squared error |\n|---|---|\n"
            f"| **v** (the training loss) | **{example.loss:.4f}** |\n"
            f"| noise ε̂ vs ε | {example.noise_mse:.4f} |\n| glyph x̂₀ vs x₀ | {example.x0_mse:.4f} |\n\n"
            f"At the end of training the loss averaged over batches was {log.loss[-1]:.4f}; one example's "
            "loss depends strongly on t (try t = 100 and t = 900), and the batch mean averages over all of them."
        )
        curve = loss_curve_figure(log.step, log.loss, log.epoch, example.loss, t, self._batch_size(pipe))
        return example_figure(example), curve, caption

    @validate.guarded("Building the training example")
    def training_example(self, character, seed, t, drop_text):
        """One training example: the glyph ``character`` noised to ``t`` with the noise of ``seed``.

        Returns:
            (example figure, loss curve with this example's loss marked, Markdown caption).
        """
        return self._outputs(*self._inputs(character, seed, t, drop_text))

    @validate.guarded("Drawing a random training example")
    def random_training_example(self):
        """A random glyph, noise seed and step, as one training step draws them.

        Returns:
            (character, seed, t, drop_text, *outputs of :meth:`training_example`).
        """
        glyphs = self.res.glyphs()
        row = secrets.randbelow(len(glyphs))
        seed, t = secrets.randbelow(validate.MAX_SEED + 1), secrets.randbelow(common.NUM_STEPS)
        return (str(glyphs.chars[row]), seed, t, False, *self._outputs(row, seed, t, False))

    @validate.guarded("Reading the loss curve")
    def loss_curve(self):
        """The shipped model's training loss curve from ``assets/model/loss.csv``."""
        log = self._loss_log()
        return loss_curve_figure(log.step, log.loss, log.epoch)


def build_tab(resources) -> None:
    tab = TrainingTab(resources)
    with gr.Tab(TITLE, id="training"):
        common.explanation(INTRO)
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=260):
                character = gr.Textbox(value=DEFAULTS[0], label="glyph x₀ (one character)", max_lines=1)
                pick = gr.Button("Random example (glyph, noise and t)", size="sm")
                t = common.timestep_slider(DEFAULTS[2], elem_id="training-t")
                seed = common.seed_number(DEFAULTS[1], label="noise seed (ε)")
                drop_text = gr.Checkbox(value=DEFAULTS[3], label="drop the text (train the unconditional model)")
                caption = common.note()
            with gr.Column(scale=3):
                example_plot = common.plot()
        loss_plot = common.plot()

        inputs = [character, seed, t, drop_text]
        outputs = [example_plot, loss_plot, caption]
        gr.on(triggers=[t.release, character.submit, seed.submit, drop_text.input], fn=tab.training_example,
              inputs=inputs, outputs=outputs, api_name="training_example", preprocess=False,
              trigger_mode="always_last", show_progress="minimal", **model_common.MODEL_EVENTS)
        pick.click(tab.random_training_example, inputs=None, outputs=[*inputs, *outputs],
                   api_name="random_training_example", show_progress="minimal", **model_common.MODEL_EVENTS)
        examples = gr.Examples(EXAMPLES, inputs=inputs, api_name="training_example_fill",
                               label="Try: one glyph at t = 100, 500, 900; other glyphs; a dropped text")
        examples.load_input_event.then(tab.training_example, inputs=inputs, outputs=outputs,
                                       api_name="training_example_example", api_visibility="undocumented",
                                       preprocess=False, **model_common.MODEL_EVENTS)
        gr.on(triggers=None, fn=tab.loss_curve, inputs=None, outputs=loss_plot, api_name="loss_curve",
              show_progress="hidden")
        gr.on(triggers=None, fn=lambda: tab.training_example(*DEFAULTS), inputs=None, outputs=outputs,
              api_name="training_example_initial", api_visibility="undocumented", show_progress="minimal",
              **model_common.MODEL_EVENTS)
