"""Tab 6, "The training objective": one training example of the shipped model, made visible.

API:
    /training_example(character, seed, t, drop_text) -> (example figure, loss curve figure, caption)
    /random_training_example() -> (character, seed, t, drop_text, example figure, loss curve figure, caption)
    /late_guesses(character, seed) -> (figure of x̂0 at t = 900 and 999, with and without the text; caption)
    /loss_curve() -> loss curve figure
    /unet_diagram() -> the network drawn from the shipped model's config
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np

from tabs import common, explain, model_common, opening, validate
from viz.training import example_figure, guesses_figure, loss_curve_figure

MODEL_DIR = Path(__file__).resolve().parent.parent / "assets" / "model"
LATE_STEPS = (900, 999)  # the two steps of the late-guess figure

TITLE = "6 · The training objective"

INTRO = r"""
### Training: guess what was added, at every noise level
Training never runs the reverse process. Each step takes a glyph $\mathbf x_0$ from the data
with its definition $c$, a random step $t$ and fresh noise $\boldsymbol\varepsilon$, builds the
noisy input in one go and asks the network what it is looking at. The glyffuser is asked for
the *velocity* $\mathbf v$ (a mix of noise and glyph that stays well scaled at every $t$), and
the mismatch is scored by a plain mean squared error:

$$\mathcal L(\theta) = \mathbb E_{\mathbf x_0, c,\, t,\, \boldsymbol\varepsilon}\,
\big\lVert \hat{\mathbf v}_\theta(\mathbf x_t, t, c) - \mathbf v \big\rVert^2,$$

$$\mathbf x_t = \sqrt{\bar\alpha_t}\,\mathbf x_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\varepsilon, \qquad
\mathbf v = \sqrt{\bar\alpha_t}\,\boldsymbol\varepsilon - \sqrt{1-\bar\alpha_t}\,\mathbf x_0 .$$

Knowing $\mathbf x_t$ and $t$, a guess of $\mathbf v$ is at the same time a guess of the clean glyph
$\hat{\mathbf x}_0$ and of the noise $\hat{\boldsymbol\varepsilon}$ (bottom row), so predicting noise,
glyph or velocity are three views of one task. Pick a glyph, a noise seed and a step: at small $t$
the glyph is easy to see and $\hat{\boldsymbol\varepsilon}$ is hard; at large $t$ it is the other way
round. Training repeats this for random glyphs, steps and noise, in batches, until the loss stops falling.

Here, as everywhere in this explorer, $t$ is diffusers' 0-based index (Ho et al. count from 1: their
$t$ is ours $+\,1$), so $t = 0$ is already one noising step: $\bar\alpha_0 = @ABAR0@$ under the cosine schedule.
"""

LATE = r"""
#### Near the end of the chain
How much of the glyph is left at large $t$? Under the cosine schedule the signal share $\sqrt{{\bar\alpha_t}}$
is {signal900:.2f} at $t = 900$ and {signal999:.5f} at $t = 999$: at $t = 999$ the input is pure noise for every
purpose, so $\hat{{\mathbf x}}_0$ is the network's guess from the text alone, and at $t = 900$ only a faint trace
of the glyph is left. With the text, the guess is the mean of the glyphs that fit those words, sharp where
they agree and grey where they differ (for the default 锂, "lithium", the two glyphs with that definition,
锂 and its traditional form 鋰, blur together: 里 on the right is shared, the metal radical on the left comes
in two forms), and sharper than without the text, where the guess is the mean of all glyphs. A network that had memorised one glyph per definition would draw that glyph crisply
here instead of a blur; the caption measures how crisp the pictures below are, for the glyph and noise above.
"""

NETWORK = r"""
#### The network
The network is a U-Net (drawn below from the shipped model's own configuration): residual blocks at
decreasing then increasing resolution, with skip connections between the two sides. The step $t$ enters
through a **timestep embedding**: $t$ is turned into sines and cosines of many frequencies (as positions are
in a transformer), passed through a small MLP and added inside every residual block, so one set of weights
serves every noise level. The text enters twice: its **pooled embedding is added to that timestep embedding**,
and in the attention blocks every image position attends to the text's tokens by **cross-attention**.
"""


DEFAULTS = ("锂", 0, 500, False)
EXAMPLES = [["锂", 0, 100, False], ["锂", 0, 500, False], ["锂", 0, 900, False], ["明", 3, 700, False],
            ["草", 1, 700, True]]


@dataclass(frozen=True)
class LogInfo:
    """One training log of the shipped model's folder, described from its config.

    Attributes:
        file: the CSV's name in the model folder.
        label: the legend label (who trained, on what, batch size).
        about: a phrase for the text: what the log records.
        own: whether it is the shipped network's own training (not a teacher's).
        target_is_v: whether its loss is the plain MSE on v that this tab shows.
    """

    file: str
    label: str
    about: str
    own: bool
    target_is_v: bool


def model_record(folder: Path = MODEL_DIR) -> dict:
    """The shipped model's ``config.json`` (its ``extra`` holds how it was trained)."""
    return json.loads((folder / "config.json").read_text(encoding="utf-8"))


def describe_logs(config: dict) -> list[LogInfo]:
    """The loss logs that ship with a model, in plotting order, described from ``config["extra"]``.

    A distilled model (``extra["teacher"]``) ships its teacher's log as ``loss.csv`` and its
    own distillation as ``distill_loss.csv``; any other model ships its own ``loss.csv``,
    whose targets are v for every example unless ``self_guidance`` trained a share of
    them on the guided v.
    """
    extra = config.get("extra") or {}
    own_cfg = extra.get("train_config") or {}
    batch = own_cfg.get("batch_size")
    w_max = config.get("guidance_max") or own_cfg.get("guidance_max")
    logs = []
    if "teacher" in extra:
        t_batch = (extra["teacher"].get("train_config") or {}).get("batch_size")
        logs.append(LogInfo(
            "loss.csv", f"teacher, loss on v (batch {t_batch:,})" if t_batch else "teacher, loss on v",
            "the training of the teacher network the shipped model was distilled from (loss on v)", False, True))
        logs.append(LogInfo(
            "distill_loss.csv", f"shipped model: distillation (batch {batch:,})" if batch else "shipped model: distillation",
            f"the shipped model's own distillation: one pass trained to give the teacher's guided v̂ for w from 0 to "
            f"{w_max:g}, a different target from the v above" if w_max else
            "the shipped model's own distillation, trained on the teacher's outputs", True, False))
        return logs
    share = own_cfg.get("self_guidance") or 0.0
    about = "the shipped model's own training, loss on v"
    if share:
        about += (f" for most examples; {share:.0%} of its captioned examples were scored against the guided v̂ "
                  f"for w up to {w_max:g} instead")
    if extra.get("init"):
        about += "; it started from an earlier model's weights, whose training this log does not show"
    if extra.get("averaged"):
        about += (f"; the shipped weights are the mean of {len(extra['averaged'])} checkpoints of this line of runs "
                  "(this run's last and earlier ones it continued from), not this run's last weights alone")
    label = "shipped model, loss on v" + (f" (batch {batch:,})" if batch else "")
    logs.append(LogInfo("loss.csv", label, about, True, not share))
    return logs


def log_note(config: dict, folder: Path = MODEL_DIR) -> str:
    """Markdown under the loss plot: which line is which, from the model's config."""
    lines = [f"- **{info.label}**: {info.about}." for info in describe_logs(config) if (folder / info.file).exists()]
    return "**The lines** (the logs that ship beside the weights):\n" + "\n".join(lines)


class TrainingTab:
    """The tab's functions, bound to the shared resources."""

    def __init__(self, resources, folder: Path = MODEL_DIR):
        self.res = resources
        self.folder = folder
        self._logs = None

    def logs(self) -> list:
        """``[(LogInfo, LossLog)]`` of the logs that ship beside the weights, in plotting order."""
        from glyffuser.diffusion.objective import read_loss_log

        if self._logs is None:
            infos = describe_logs(model_record(self.folder))
            self._logs = [(info, read_loss_log(self.folder / info.file)) for info in infos
                          if (self.folder / info.file).exists()]
        return self._logs

    def _loss_log(self):
        """The first plotted log (``loss.csv``)."""
        return self.logs()[0][1]

    def _curve(self, example_loss=None, example_t=None):
        return loss_curve_figure([(info.label, log.step, log.loss, log.epoch) for info, log in self.logs()],
                                 example_loss, example_t)

    def compute(self, row: int, seed: int, t: int, drop_text: bool):
        """The :class:`glyffuser.diffusion.objective.TrainingExample` of dataset row ``row``.

        The text condition is the glyph's definition, or the empty prompt when
        ``drop_text`` (as for the share of training examples that teach the
        unconditional model classifier-free guidance needs).
        """
        from glyffuser.data.dataset import resize_images
        from glyffuser.diffusion.forward import glyph_x0
        from glyffuser.diffusion.objective import training_example

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
        pipe = model_common.pipeline(self.res)
        condition = "the empty prompt (text dropped)" if drop_text else f"its definition “{glyphs.definitions[row]}”"
        who = ("the shipped network's answer at guidance scale w = 1, its plain conditional prediction"
               if pipe.model.config.guidance_embedding else "the shipped network's answer")
        on_v = [(info, log) for info, log in self.logs() if info.target_is_v]
        end = (f"The line “{on_v[0][0].label}” below ends at a batch mean of {on_v[0][1].loss[-1]:.4f}; "
               if on_v else "")
        caption = (
            f"**{glyphs.chars[row]}** conditioned on {condition}; noise seed {seed}, **t = {t}**, "
            f"ᾱₜ = {example.alpha_bar:.4f} (signal share √ᾱₜ = {example.alpha_bar ** 0.5:.3f}). "
            f"v̂ is {who}.\n\n"
            f"| scored as | mean squared error |\n|---|---|\n"
            f"| **v** (the training loss) | **{example.loss:.4f}** |\n"
            f"| noise ε̂ vs ε | {example.noise_mse:.4f} |\n| glyph x̂₀ vs x₀ | {example.x0_mse:.4f} |\n\n"
            f"{end}one example's loss depends strongly on t (try t = 100 and t = 900), and a batch mean "
            "averages over all of them."
        )
        return example_figure(example), self._curve(example.loss, t), caption

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

    def late_guesses_data(self, row: int, seed: int) -> list:
        """x̂0 at :data:`LATE_STEPS`, with the text and with the empty prompt.

        Returns:
            ``[(t, with text: TrainingExample, without: TrainingExample)]``, one per step.
        """
        return [(t, self.compute(row, seed, t, False), self.compute(row, seed, t, True)) for t in LATE_STEPS]

    @validate.guarded("Drawing the late guesses")
    def late_guesses(self, character, seed):
        """x̂0 near the end of the chain for glyph ``character`` and noise ``seed``, with and without its text.

        Returns:
            (matplotlib figure: rows with the text / without, columns t = 900 / 999; Markdown caption).
        """
        row = validate.character(character, self.res.glyphs())
        seed = validate.seed(seed, "noise seed")
        data = self.late_guesses_data(row, seed)
        crisp = lambda ex: float(np.abs(np.clip(ex.x0_pred, -1, 1)).mean())  # noqa: E731  (as drawn)
        figure = guesses_figure([
            [(f"t = {t}, with the text\nmean |x̂₀| = {crisp(a):.2f}", a.x0_pred) for t, a, _ in data],
            [(f"t = {t}, empty prompt\nmean |x̂₀| = {crisp(b):.2f}", b.x0_pred) for t, _, b in data],
        ])
        caption = guesses_caption(float(np.mean([crisp(a) for _, a, _ in data])),
                                  float(np.mean([crisp(b) for _, _, b in data])))
        return figure, caption

    @validate.guarded("Reading the loss curve")
    def loss_curve(self):
        """The training logs that ship beside the weights, one line each."""
        return self._curve()

    @validate.guarded("Drawing the network")
    def unet_diagram(self):
        """The U-Net drawn from the shipped model's config."""
        from glyffuser.model.text import MAX_TOKENS
        from glyffuser.model.unet import ModelConfig
        from viz.unet import unet_figure, unet_layout

        config = ModelConfig.from_dict(model_record(self.folder))
        return unet_figure(unet_layout(config), f"up to {MAX_TOKENS} tokens")


def guesses_caption(crisp_text: float, crisp_empty: float) -> str:
    """What the late-guess pictures show, from their mean |x̂0| (1 = every pixel pure ink or paper)."""
    if crisp_text > crisp_empty + 0.1:
        verdict = "the guesses from the text are crisper than those from the empty prompt"
    elif crisp_empty > crisp_text + 0.1:
        verdict = "here the empty prompt's guesses are the crisper ones"
    else:
        verdict = "here the two are about as crisp"
    return (f"Mean |x̂₀| as drawn, clipped to [−1, 1] (1 = every pixel pure ink or pure paper, lower = greyer, "
            "more blurred): "
            f"{crisp_text:.2f} with the text, {crisp_empty:.2f} with the empty prompt, averaged over both steps: "
            f"{verdict}.")


def intro_texts(schedule) -> tuple[str, str]:
    """The tab's opening text and its "near the end of the chain" text, with the schedule's numbers."""
    abar = schedule.alphas_cumprod.double()
    intro = INTRO.replace("@ABAR0@", f"{float(abar[0]):.5f}")
    late = LATE.format(signal900=float(abar[LATE_STEPS[0]]) ** 0.5, signal999=float(abar[LATE_STEPS[1]]) ** 0.5)
    return intro, late


def build_tab(resources) -> None:
    tab = TrainingTab(resources)
    intro, late = intro_texts(resources.schedule("cosine"))
    with gr.Tab(TITLE, id="training"):
        explain.opening("training", intro)
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
        explain.section("training-late", late)
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=280):
                guesses_plot = common.plot()
            with gr.Column(scale=1, min_width=280):
                guesses_caption_md = common.note()
        loss_plot = common.plot()
        common.note(log_note(model_record()))
        explain.section("training-network", NETWORK, label="The details: the network's parts")
        unet_plot = common.plot(elem_classes=["wide-figure"])

        inputs = [character, seed, t, drop_text]
        outputs = [example_plot, loss_plot, caption]
        gr.on(triggers=[*common.moved(t), character.submit, seed.submit, drop_text.input], fn=tab.training_example,
              inputs=inputs, outputs=outputs, api_name="training_example", preprocess=False,
              trigger_mode="always_last", show_progress="minimal", **model_common.MODEL_EVENTS)
        gr.on(triggers=[character.submit, seed.submit], fn=tab.late_guesses, inputs=[character, seed],
              outputs=[guesses_plot, guesses_caption_md], api_name="late_guesses", preprocess=False,
              trigger_mode="always_last", show_progress="minimal", **model_common.MODEL_EVENTS)
        pick.click(tab.random_training_example, inputs=None, outputs=[*inputs, *outputs],
                   api_name="random_training_example", show_progress="minimal", **model_common.MODEL_EVENTS)
        examples = gr.Examples(EXAMPLES, inputs=inputs, api_name="training_example_fill",
                               label="Try: one glyph at t = 100, 500, 900; other glyphs; a dropped text")
        examples.load_input_event.then(tab.training_example, inputs=inputs, outputs=outputs,
                                       api_name="training_example_example", api_visibility="undocumented",
                                       preprocess=False, **model_common.MODEL_EVENTS)
        opening.on_load(tab.loss_curve, [loss_plot], api_name="loss_curve", api_visibility="public",
                       show_progress="hidden")
        opening.on_load(tab.unet_diagram, [unet_plot], api_name="unet_diagram", api_visibility="public",
                       show_progress="hidden")
        opening.on_load(lambda: tab.training_example(*DEFAULTS), outputs, api_name="training_example_initial",
                       **model_common.MODEL_EVENTS)
        opening.on_load(lambda: tab.late_guesses(DEFAULTS[0], DEFAULTS[1]), [guesses_plot, guesses_caption_md],
                       api_name="late_guesses_initial", **model_common.MODEL_EVENTS)
