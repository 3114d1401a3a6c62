"""Tab 8, "Sampling": from noise to glyphs, step by step, and what came out.

API:
    /sample(prompt, sampler, steps, guidance, seed, count) -> stream of (frame, caption, step slider, GIF file)
    /sampling_scrub(step) -> (frame, caption)                  frames of this session's last run
    /sampling_gif() -> GIF file                                 of this session's last run
    /sampling_analysis() -> (radical meter, nearest training glyphs, map figure)
    /sampling_player() -> the frame player's value (tabs/player.py)   of this session's last run
    /compare_steps(prompt, sampler, guidance, seed, count) -> stream of (picture, caption)
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import gradio as gr
import numpy as np

from glyffuser.images import save_gif, to_ink
from glyffuser.model import defaults
from tabs import common, explain, model_common, validate
from tabs.compare import build_section as build_comparison
from tabs.model_common import MAX_GLYPHS, MAX_STEPS, SAMPLERS
from tabs.player import PlayerFrames, encoded, frame_player
from tabs.serving import shared_runs
from tabs.walk import build_section as build_walk
from viz.compare import pair_frame
from viz.glyph_map import shorten
from viz.sampling import labelled_row, map_paths_figure, pair_picture, posterize, step_frame

TITLE = "8 · Sampling"

INTRO = r"""
### Sampling: undo the noise a little at a time
Generation starts from pure noise $\mathbf x_T \sim \mathcal N(\mathbf 0, \mathbf I)$. At each step the
network looks at $\mathbf x_t$, guesses the clean glyph $\hat{\mathbf x}_0$, and the sampler moves a
short way towards that guess, to the noise level of the next step. The simplest update (DDIM,
deterministic) re-noises the guess with the noise the network sees in $\mathbf x_t$:

$$\mathbf x_{t'} = \sqrt{\bar\alpha_{t'}}\;\hat{\mathbf x}_0 + \sqrt{1-\bar\alpha_{t'}}\;\hat{\boldsymbol\varepsilon},
\qquad t' < t .$$

DDPM (Ho et al. 2020) draws $\mathbf x_{t'}$ from the Gaussian $\mathcal N\big(\tilde{\boldsymbol\mu}(\mathbf x_t, \hat{\mathbf x}_0), \tilde\beta\,\mathbf I\big)$:
it is DDIM with $\eta = 1$, which replaces part of $\hat{\boldsymbol\varepsilon}$ with fresh noise at
every step. DPM-Solver++ uses the last two guesses to take bigger steps accurately. Watch both sides of
the animation: on the left the sample sheds its noise, on the right the guess $\hat{\mathbf x}_0$ settles
its layout early and its strokes late. With too few steps each jump is too long for the network's
local guess, and the glyphs come out blurred or broken: compare 1, 2, 5, 20 and 120 DDIM steps with the
button below. When a run finishes, an independent radical classifier counts how many samples carry
the prompt's radical, each sample is matched with its nearest training glyph (is it new, or a copy?),
and the path of every guess is traced on the glyph map.
"""

DEFAULTS = ("gold", defaults.SAMPLER, defaults.STEPS, defaults.GUIDANCE, 0, 16)
COMPARE_STEPS = (1, 2, 5, 20, 120)
COMPARE_SAMPLER = "ddim"  # the article's simple sampler: too few steps show
PLAYER_TITLE = "x_t (left) and the predicted x₀ (right)"
MAX_PATH_FRAMES = 24  # steps traced on the map
MAX_PLAYER_FRAMES = 60  # frames of a run sent to the browser's player: about 4 MB for 16 glyphs
MAX_GIF_FRAMES = 60  # with 16 grey levels at scale 2: a 120-step run of 16 glyphs is about 2 MB
GIF_SCALE = 2
GIF_LEVELS = 16
GIF_MAX_AGE_S = 3600
# RMS distance (ink in [0, 1], 32 x 32) from each training glyph to the closest *other* one,
# over all 14,486: the closest pair is 0.062 apart, 0.2% have another within 0.10, 1.1% within
# 0.13 and 5.8% within 0.17 (tests/test_sampling_tab.py recomputes these). A sample nearer
# than COPY_BELOW to a training glyph is as close as only 0.2% of distinct training glyphs are.
COPY_BELOW = 0.10
NEAR_BELOW = 0.17
TRAINING_SPACING = {"closest_pair": 0.062, "within_copy": 0.002, "within_near": 0.058}
GUIDANCE_INFO = ("the model's input w; it applies for t ≤ " f"{defaults.GUIDANCE_T_MAX}, the conditional model alone above"
                 if defaults.GUIDANCE_T_MAX < 999 else "the model's input w, at every step")
GUIDANCE_SLIDER_MAX = common.shipped_guidance_max()  # the one-pass range: no jump to two passes on the page
# Work of one run, in glyph-steps (glyphs x steps): 1000 steps of 16 glyphs take about five
# minutes on the two-core CPU; a larger request would hold a model slot for far longer.
MAX_GLYPH_STEPS = 16_000
COMPARE_NOTE = (
    "One DDIM step from pure noise returns the model's first guess x̂₀, an average of every glyph that fits "
    "the prompt, the same for every seed; two steps commit to a layout but not its strokes. The guess is "
    "only right locally, so each step must be short. Modern samplers need fewer steps because they follow "
    "the same path with a higher-order rule (DPM-Solver++ reuses the previous guess), not because the "
    "model changed.")
EXAMPLES = [["gold", "dpm", 120, 3.0, 0, 16], ["water", "dpm", 50, 3.0, 0, 16], ["fire", "ddim", 50, 3.0, 1, 16],
            ["bird", "ddpm", 200, 4.0, 2, 9], ["", "dpm", 50, 0.0, 0, 16]]

_gif_dir: list[Path] = []
_gif_lock = threading.Lock()


def gif_folder() -> Path:
    """The app's own folder for animations, created once and removed at exit; files older than an hour go."""
    with _gif_lock:
        if not _gif_dir:
            _gif_dir.append(Path(tempfile.mkdtemp(prefix="glyffuser-gifs-")))
            atexit.register(shutil.rmtree, _gif_dir[0], ignore_errors=True)
        folder = _gif_dir[0]
        folder.mkdir(parents=True, exist_ok=True)
        now = time.time()
        for old in folder.glob("*.gif"):
            try:
                if now - old.stat().st_mtime > GIF_MAX_AGE_S:
                    old.unlink()
            except OSError:
                pass
        return folder


def step_caption(index: int, steps: int, t: int) -> str:
    """A player frame's caption: the step, and its t (or that the run is finished)."""
    return f"Step {index} of {steps}" + (f", t = {t}" if t >= 0 else ": finished")


def novelty(distance: float) -> str:
    if distance < COPY_BELOW:
        return "a copy"
    if distance < NEAR_BELOW:
        return "close to a training glyph"
    return "new"


class SamplingTab:
    """The tab's functions, bound to the shared resources."""

    def __init__(self, resources, runs: shared_runs.SharedRuns | None = None):
        self.res = resources
        self.runs = runs or shared_runs.RUNS  # where identical requests meet

    # --- inputs ---------------------------------------------------------------------------
    def _inputs(self, prompt, sampler, steps, guidance, seed, count):
        """Checked arguments of the pipeline, as a dict."""
        from glyffuser.model.pipeline import check_request

        args = model_common.request_args(prompt, sampler, steps, guidance, seed, count, MAX_GLYPHS, "number of glyphs")
        with model_common.pipeline_errors():
            check_request(**args)
        if args["steps"] * args["n"] > MAX_GLYPH_STEPS:
            raise validate.fail(
                f"{args['n']} glyphs x {args['steps']} steps is too much work for one run here: steps x glyphs may be "
                f"at most {MAX_GLYPH_STEPS:,} (e.g. 1000 steps of 16 glyphs, or 250 steps of 64).")
        return args

    @staticmethod
    def _trajectory(state):
        if state is None:
            raise validate.fail("There is no finished run in this session yet: press “Sample” first.")
        return state

    # --- the animation ----------------------------------------------------------------------
    @validate.guarded("Sampling")
    def sample(self, prompt, sampler, steps, guidance, seed, count, progress=gr.Progress()):
        """Sample glyphs, streaming x_t beside the predicted x0 as the steps are computed.

        The steps streamed are the ones the run marks (``SharedRuns.join``: the first,
        the last, and one each ``shared_runs.FRAME_INTERVAL_S``), so students who share a run
        see the same frames, each drawn and encoded once for all of them.

        Yields:
            (frame picture, Markdown caption, trajectory state, step slider update, GIF file,
            frame player value). The first frame is the starting noise, before the model runs;
            the last is the finished sample, with the run kept in the session for scrubbing.
            The player grows with every frame, so the run so far can be played while it runs.
        """
        from glyffuser.diffusion.trajectory import TrajectoryRecorder
        from glyffuser.model.pipeline import check_request

        args = self._inputs(prompt, sampler, steps, guidance, seed, count)
        pipe = model_common.pipeline(self.res)
        start = time.perf_counter()
        with model_common.pipeline_errors():
            request = check_request(**args)
        x_T = to_ink(pipe.initial_noise(request))  # (B, S, S)
        n, total = request.batch, request.steps
        waiting = gr.update(interactive=False)
        player = PlayerFrames(PLAYER_TITLE, zoom=3)
        key = shared_runs.run_key(pipe, args)  # the starting noise, too, is drawn once for every student
        player.add_encoded(shared_runs.picture_by_key(("noise player", key), lambda: encoded(
            pair_frame(x_T, np.zeros_like(x_T)))), f"Step 0 of {total}: pure noise", step=0)
        noise = shared_runs.picture_by_key(("noise frame", key), lambda: step_frame(x_T, None, 0, total, None))
        # Identical requests share one run; a new one lines up now, so runs start in the order asked.
        listening = self.runs.join(pipe, **args)
        try:
            yield (noise, f"Step 0 of {total}: pure noise; the model is running…", gr.skip(), waiting,
                   gr.update(value=None, visible=False), player.value())
            steps = []  # the run's shared steps (kept as one trajectory for the class, below)
            with model_common.pipeline_errors():
                for step, shown, behind in listening:
                    steps.append(step)
                    if shown and step.t >= 0:
                        player.add_encoded(self._player_frame(step), step_caption(step.index, total, step.t),
                                           step=step.index)
                        if not behind:  # a student joining late gets the newest frame, not each one they missed
                            progress((min(step.index + 1, total), total), desc="denoising", unit="steps")
                            yield (self._frame(step), f"Step {step.index} of {total}, t = {step.t}", gr.skip(),
                                   gr.skip(), gr.skip(), player.value())  # the slider stays as the first frame left it
        finally:
            listening.close()
        trajectory = shared_runs.shared_result(  # recorded once, one copy for the class
            ("trajectory", key), lambda: TrajectoryRecorder.record(steps, total, n, {**args, "notes": request.notes}))
        seconds = time.perf_counter() - start
        notes = " ".join(request.notes)
        caption = (f"Finished: {n} glyph{'s' if n > 1 else ''}, {total} {args['sampler']} steps at "
                   f"w = {args['guidance']:g} in {seconds:.1f} s. Drag the step slider to replay the run. {notes}").strip()
        player.add_encoded(self._player_frame(step), step_caption(step.index, total, step.t), step=step.index)
        yield (self._frame(step), caption, trajectory, gr.update(maximum=total, value=total, interactive=True),
               gr.skip(), player.value())

    @staticmethod
    def _frame(step):
        """The page's frame of a shared step (drawn once for every student streaming it)."""
        return shared_runs.picture(step, "frame", lambda: step_frame(step.x_t, step.pred_x0, step.index, step.steps,
                                                                     step.t))

    @staticmethod
    def _player_frame(step) -> tuple[str, int]:
        """The player's frame of a shared step, encoded once for every student streaming it."""
        return shared_runs.picture(step, "player", lambda: encoded(pair_frame(step.x_t, step.pred_x0)))

    @validate.guarded("Showing the step")
    def scrub(self, state, step):
        """The kept frame of this session's last run at step ``step`` (0 = noise, steps = finished).

        Returns:
            (frame picture, Markdown caption).
        """
        trajectory = self._trajectory(state)
        step = validate.integer(step, "step", 0, trajectory.steps)
        pos = trajectory.frame_at(step)
        index, t = int(trajectory.indices[pos]), int(trajectory.timesteps[pos])
        caption = (f"Step {index} of {trajectory.steps}" + (f", t = {t}" if t >= 0 else ": finished")
                   + (f" (every {trajectory.indices[1] - trajectory.indices[0]}th step of this run was kept)"
                      if len(trajectory) > 1 and trajectory.indices[1] - trajectory.indices[0] > 1 else ""))
        frame = shared_runs.picture(trajectory, f"scrub {pos}",  # drawn once for the students who share the run
                                    lambda: step_frame(*trajectory.frame(pos), index, trajectory.steps, t))
        return frame, caption

    @validate.guarded("Preparing the player")
    def player_frames(self, state):
        """This session's last run for the frame player: kept frames, at most MAX_PLAYER_FRAMES evenly spaced.

        Returns:
            The player's value (tabs/player.py): x_t beside the predicted x0 at one pixel per pixel;
            built once for the students who share the run's trajectory.
        """
        trajectory = self._trajectory(state)

        def build() -> dict:
            frames = PlayerFrames(PLAYER_TITLE, zoom=3)
            count = min(len(trajectory), MAX_PLAYER_FRAMES)
            for pos in np.unique(np.linspace(0, len(trajectory) - 1, count).round().astype(int)):
                x_t, pred_x0 = trajectory.frame(pos)
                index, t = int(trajectory.indices[pos]), int(trajectory.timesteps[pos])
                frames.add(pair_frame(x_t, pred_x0), step_caption(index, trajectory.steps, t), step=index)
            return frames.value()

        return shared_runs.shared_result(("player", id(trajectory)), build, owner=trajectory)

    @validate.guarded("Writing the GIF")
    def make_gif(self, state):
        """Write this session's last run as a looping GIF in the app's own temporary folder.

        Returns:
            The file's path (the name is chosen by the app, never by the caller).
        """
        trajectory = self._trajectory(state)
        keep = np.unique(np.linspace(0, len(trajectory) - 1, min(len(trajectory), MAX_GIF_FRAMES)).round().astype(int))
        frames = []
        for pos in keep:
            x_t, pred_x0 = trajectory.frame(pos)
            frames.append(posterize(step_frame(x_t, pred_x0, int(trajectory.indices[pos]), trajectory.steps,
                                               int(trajectory.timesteps[pos]), scale=GIF_SCALE), GIF_LEVELS))
        fd, path = tempfile.mkstemp(prefix="sampling-", suffix=".gif", dir=gif_folder())
        os.close(fd)
        save_gif(frames, path, seconds_per_frame=max(0.03, 6.0 / len(frames)))
        return path

    @validate.guarded("Writing the GIF")
    def gif_for_page(self, state):
        """:meth:`make_gif`, shown in the (until then hidden) file box."""
        return gr.update(value=self.make_gif(state), visible=True)

    # --- after a run --------------------------------------------------------------------------
    @validate.guarded("Analysing the samples")
    def analyse(self, state):
        """Radical meter, nearest training glyphs and the map paths of this session's last run.

        Returns:
            (Markdown radical meter, gallery of (sample beside its nearest glyph, caption),
            glyph map with the path of each sample's predicted x0).
        """
        from glyffuser.evaluate.measures import nearest_glyphs, project_to_map

        trajectory = self._trajectory(state)
        glyphs = self.res.glyphs()
        final = trajectory.final  # (B, S, S)
        prompt = trajectory.settings.get("prompt", "")
        meter = model_common.radical_meter_text(final, prompt, glyphs)
        seen, reference = self.res.training_glyphs()  # every glyph the model was trained on
        rows, distances = nearest_glyphs(final, reference)
        nearest = seen.take(rows)  # (B,) the nearest glyph of each sample
        verdicts = [novelty(float(d)) for d in distances]
        counts = {v: verdicts.count(v) for v in ("new", "close to a training glyph", "a copy")}
        meter += (f"\n\nNearest training glyph by pixels: {counts['new']} new, "
                  f"{counts['close to a training glyph']} close to a training glyph, {counts['a copy']} copies "
                  f"(a copy is within RMS {COPY_BELOW} of a training glyph, as close as only "
                  f"{TRAINING_SPACING['within_copy']:.1%} of distinct training glyphs are to another; "
                  f"close is within {NEAR_BELOW}). {len(set(rows.tolist()))} distinct nearest glyphs.")
        gallery = [
            (pair_picture(final[b], nearest.images[b]),
             f"#{b + 1} {verdict.replace(' to a training glyph', '')} · {nearest.chars[b]} {d:.2f} "
             f"(nearest: “{shorten(str(nearest.definitions[b]), 40)}”)")
            for b, (d, verdict) in enumerate(zip(distances, verdicts))
        ]
        keep = np.unique(np.linspace(0, len(trajectory) - 1, min(len(trajectory), MAX_PATH_FRAMES)).round().astype(int))
        guesses = np.stack([trajectory.frame(pos)[1] for pos in keep])  # (K, B, S, S)
        k, b = guesses.shape[:2]
        paths = project_to_map(guesses.reshape(k * b, *guesses.shape[2:])).reshape(k, b, 2)
        grid_x, grid_y, density = self.res.map_density()
        figure = map_paths_figure(
            self.res.glyph_map(), grid_x, grid_y, density, self.res.map_hover(), paths, trajectory.indices[keep],
            [f"sample {i + 1}" for i in range(b)],
            title="Each sample's guess x̂₀ on the map<br><sup>○ first guess, ★ finished</sup>",
        )
        return meter, gallery, figure

    # --- few steps against many ------------------------------------------------------------------
    @validate.guarded("Comparing step counts")
    def compare_steps(self, prompt, sampler, guidance, seed, count, progress=gr.Progress()):
        """The same noise sampled with 1, 2, 5, 20 and 120 DDIM steps, streamed as each finishes.

        ``sampler`` is accepted for the API's sake and ignored: the comparison always uses DDIM,
        the simple sampler whose few-step failure the article describes.

        Yields:
            (picture of the grids side by side, Markdown caption).
        """
        validate.choice(sampler, "sampler", SAMPLERS)  # checked like every input, then set aside for DDIM
        args = self._inputs(prompt, COMPARE_SAMPLER, COMPARE_STEPS[-1], guidance, seed, count)
        pipe = model_common.pipeline(self.res)
        results: list = [None] * len(COMPARE_STEPS)
        done = 0
        for i, steps in enumerate(COMPARE_STEPS):
            with model_common.pipeline_errors():
                for step in pipe.iter_steps(**{**args, "steps": steps}):
                    done += 1
                    progress((done, sum(s + 1 for s in COMPARE_STEPS)), desc=f"{steps} steps", unit="steps")
            results[i] = step.x_t
            finished = i == len(COMPARE_STEPS) - 1
            rows = [(f"{s} step{'s' if s > 1 else ''}", r) for s, r in zip(COMPARE_STEPS, results)]
            yield (labelled_row(rows, n=args["n"], scale=max(1, 96 // pipe.size), size=pipe.size),
                   f"DDIM with {', '.join(str(s) for s in COMPARE_STEPS[:i + 1])} steps done"
                   + (f". {COMPARE_NOTE}" if finished else "; running the next…"))


def build_tab(resources) -> None:
    tab = SamplingTab(resources)
    with gr.Tab(TITLE, id="sampling"):
        explain.opening("sampling", INTRO)
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=260):
                prompt = gr.Textbox(value=DEFAULTS[0], label="prompt (English; empty = unconditional)", max_lines=1,
                                    elem_id="sampling-prompt")
                sampler = gr.Radio(list(SAMPLERS), value=DEFAULTS[1], label="sampler", elem_id="sampling-sampler",
                                   info="ddpm: Ho et al. 2020 (stochastic); ddim: Song et al. 2021; "
                                        "dpm: DPM-Solver++ 2M, Lu et al. 2022")
                steps = gr.Slider(1, MAX_STEPS, value=DEFAULTS[2], step=1, label="steps", elem_id="sampling-steps",
                                  info=f"steps x glyphs at most {MAX_GLYPH_STEPS:,} per run")
                guidance = gr.Slider(0.0, GUIDANCE_SLIDER_MAX, value=DEFAULTS[3], step=0.5, label="guidance scale w",
                                     info=GUIDANCE_INFO, elem_id="sampling-guidance")
                seed = common.seed_number(DEFAULTS[4], label="seed (glyph i uses seed + i)")
                count = gr.Slider(1, MAX_GLYPHS, value=DEFAULTS[5], step=1, label="number of glyphs",
                                  elem_id="sampling-count")
                with gr.Row():
                    run = gr.Button("Sample", variant="primary", elem_id="sampling-run", scale=2)
                    stop = gr.Button("Stop", variant="stop", elem_id="sampling-stop", scale=1)
            with gr.Column(scale=3):
                frame = common.picture("x_t (left) and the predicted x₀ (right)", elem_id="sampling-frame",
                                       show_label=False)
                caption = common.note(elem_id="sampling-caption")
                scrub = gr.Slider(0, DEFAULTS[2], value=0, step=1, label="step (replay the last run)",
                                  interactive=False, elem_id="sampling-scrub")
                player = frame_player("sampling-player", "A run's steps can be played here in the browser while it "
                                                         "runs and after: play, pause, step, speed.",
                                      follows="sampling-scrub")
                with gr.Row():
                    gif_button = gr.Button("Make a GIF of the last run", size="sm")
                    gif_file = gr.File(label="animation (GIF)", interactive=False, visible=False)
        trajectory = gr.State(None)

        gr.Markdown("#### What came out")
        meter = common.note(elem_id="sampling-meter")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1):
                nearest = gr.Gallery(label="each sample (left) beside its nearest training glyph (right)",
                                     columns=4, height="auto", object_fit="contain", elem_classes=["glyph-gallery"],
                                     elem_id="sampling-nearest")
            with gr.Column(scale=1):
                map_plot = common.plot()

        gr.Markdown("#### Few steps against many")
        compare = gr.Button("Compare 1, 2, 5, 20 and 120 DDIM steps (same noise)")
        compare_picture = common.picture("1, 2, 5, 20 and 120 DDIM steps", elem_id="sampling-compare", show_label=False)
        compare_caption = common.note()

        inputs = [prompt, sampler, steps, guidance, seed, count]
        run_outputs = [frame, caption, trajectory, scrub, gif_file, player]
        analysis_outputs = [meter, nearest, map_plot]
        run_event = gr.on(triggers=[run.click, prompt.submit], fn=tab.sample, inputs=inputs, outputs=run_outputs,
                          api_name="sample", preprocess=False, show_progress="minimal", **model_common.MODEL_EVENTS)
        run_event.success(tab.analyse, inputs=trajectory, outputs=analysis_outputs, api_name="sampling_analysis",
                          preprocess=False, show_progress="minimal", **model_common.MODEL_EVENTS)
        run_event.success(tab.player_frames, inputs=trajectory, outputs=player, api_name="sampling_player",
                          preprocess=False, show_progress="hidden")
        scrub.input(tab.scrub, inputs=[trajectory, scrub], outputs=[frame, caption], api_name="sampling_scrub",
                    preprocess=False, trigger_mode="always_last", show_progress="hidden", concurrency_limit=None)
        gif_button.click(tab.gif_for_page, inputs=trajectory, outputs=gif_file, api_name="sampling_gif",
                         preprocess=False, show_progress="minimal")
        compare.click(tab.compare_steps, inputs=[prompt, sampler, guidance, seed, count],
                      outputs=[compare_picture, compare_caption], api_name="compare_steps", preprocess=False,
                      show_progress="minimal", **model_common.MODEL_EVENTS)
        examples = gr.Examples(EXAMPLES, inputs=inputs, api_name="sample_fill",
                               label="Try: gold, water, fire with DDIM, bird with DDPM, and no prompt at all")
        example_event = examples.load_input_event.then(
            tab.sample, inputs=inputs, outputs=run_outputs, api_name="sample_example", api_visibility="undocumented",
            preprocess=False, show_progress="minimal", **model_common.MODEL_EVENTS)
        example_event.success(
            tab.analyse, inputs=trajectory, outputs=analysis_outputs, api_name="sampling_analysis_example",
            api_visibility="undocumented", preprocess=False, show_progress="minimal", **model_common.MODEL_EVENTS)
        example_event.success(tab.player_frames, inputs=trajectory, outputs=player, api_name="sampling_player_example",
                              api_visibility="undocumented", preprocess=False, show_progress="hidden")
        stop.click(None, cancels=[run_event, example_event], api_visibility="private")

        build_comparison(resources, prompt, sampler, steps, guidance, seed, count)
        build_walk(resources, guidance, seed)
