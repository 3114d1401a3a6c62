"""Sampling tab, "Side by side on the same noise": up to four runs that differ in one thing.

The columns share their starting noise (glyph i from seed + i, as every run of the
pipeline) and differ in the one setting the student picks: the prompt, the guidance
scale w, the sampler or the step count. Prompts go through the network as one batch
(the pipeline takes a list of prompts); the other settings change the schedule or the
model's input w, so those runs go in turn, one step of each, and stay in step. Frames
stream into a frame player (tabs/player.py) and play in step, since each frame holds
every column; each column gets its radical meter when the runs finish.

API:
    /compare_columns(vary, values, prompt, sampler, steps, guidance, seed, count)
        -> stream of (player frames, radical meters, caption)
"""

from __future__ import annotations

import time

import gradio as gr
import numpy as np

from tabs import model_common, validate
from tabs.model_common import MAX_GUIDANCE, MAX_STEPS, SAMPLERS
from tabs.player import PlayerFrames, frame_player

MAX_COLUMNS = 4
MAX_COLUMN_GLYPHS = 16  # four columns of 16: the pipeline's 64 glyphs at once
MAX_GLYPH_STEPS = 16_000  # all columns together, as one run on the tab
MAX_FRAMES = 40  # frames kept for the player: a 120-step run of 4 x 16 glyphs is about 4 MB
FRAME_INTERVAL_S = 0.2  # stream the player at most this often
VARY = {  # the setting that differs -> the values offered first
    "prompt": "water, fire, gold, tree",
    "guidance w": "0, 1, 3, 5",
    "sampler": "ddpm, ddim, dpm",
    "steps": "5, 20, 50, 120",
}
SETTING = {"prompt": "prompt", "guidance w": "guidance", "sampler": "sampler", "steps": "steps"}  # pipeline argument
SAMPLER_NAMES = {"ddpm": "DDPM", "ddim": "DDIM", "dpm": "DPM-Solver++"}


def _number(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise validate.fail(f"{name} must be a number, got {model_common.quoted(text, 20)}.") from None


def parse_values(vary: str, text) -> list:
    """The columns' values of the varied setting: 1 to 4 distinct, each checked as on the tab."""
    vary = validate.choice(vary, "what differs", tuple(VARY))
    raw = [part.strip() for part in validate.text(text, "values", max_len=400).split(",") if part.strip()]
    if not raw or len(raw) > MAX_COLUMNS:
        raise validate.fail(f"Give 1 to {MAX_COLUMNS} values separated by commas (e.g. {VARY[vary]}).")
    if vary == "prompt":
        values = [model_common.prompt(v) for v in raw]
    elif vary == "guidance w":
        values = [validate.number(_number(v, "guidance w"), "guidance w", 0.0, MAX_GUIDANCE) for v in raw]
    elif vary == "sampler":
        values = [validate.choice(v.lower(), "sampler", SAMPLERS) for v in raw]
    else:
        values = [validate.integer(_number(v, "steps"), "steps", 1, MAX_STEPS) for v in raw]
    if len(set(values)) < len(values):
        raise validate.fail("Each column needs a different value.")
    return values


def header(vary: str, value) -> str:
    return {"prompt": lambda v: f"“{v}”" if v else "(no prompt)", "guidance w": lambda v: f"w = {v:g}",
            "sampler": lambda v: SAMPLER_NAMES[v], "steps": lambda v: f"{v} steps"}[vary](value)


class CompareView:
    """The comparison's functions, bound to the shared resources."""

    frame_interval_s = FRAME_INTERVAL_S

    def __init__(self, resources):
        self.res = resources

    def _columns(self, vary, values, prompt, sampler, steps, guidance, seed, count) -> list[dict]:
        from glyffuser.model.pipeline import check_request

        base = model_common.request_args(prompt, sampler, steps, guidance, seed, count, MAX_COLUMN_GLYPHS,
                                         "glyphs per column")
        columns = [{**base, SETTING[vary]: value} for value in parse_values(vary, values)]
        with model_common.pipeline_errors():
            for column in columns:
                check_request(**column)
        work = sum(c["steps"] * c["n"] for c in columns)
        if work > MAX_GLYPH_STEPS:
            raise validate.fail(f"These columns need {work:,} glyph-steps (steps x glyphs, summed); at most "
                                f"{MAX_GLYPH_STEPS:,} here: fewer steps, glyphs or columns.")
        return columns

    @staticmethod
    def _steps_together(pipe, vary: str, columns: list[dict]):
        """Yield (fraction done, [x_t (n, S, S) of each column]) as the columns advance in step."""
        if vary == "prompt":  # one batch: the pipeline takes a list of prompts, n glyphs each
            for step in pipe.iter_steps(**{**columns[0], "prompt": [c["prompt"] for c in columns]}):
                yield step.index / step.steps, np.split(step.x_t, len(columns)), step.t < 0
            return
        runs = [pipe.iter_steps(**c) for c in columns]
        latest = [next(run) for run in runs]  # each column's first step (step 0: its noise)
        longest = max(c["steps"] for c in columns)
        yield 0.0, [s.x_t for s in latest], False
        for tick in range(1, longest + 1):
            for c, column in enumerate(columns):  # column c reaches step round(tick / longest * its steps)
                target = round(tick * column["steps"] / longest)
                while latest[c].index < target:
                    latest[c] = next(runs[c])
            yield tick / longest, [s.x_t for s in latest], tick == longest

    @validate.guarded("Comparing columns")
    def run(self, vary, values, prompt, sampler, steps, guidance, seed, count):
        """Sample the columns in step, streaming the player.

        Yields:
            (player value, Markdown radical meters, Markdown caption).
        """
        columns = self._columns(vary, values, prompt, sampler, steps, guidance, seed, count)
        headers = [header(vary, c[SETTING[vary]]) for c in columns]
        pipe = model_common.pipeline(self.res)
        from viz.compare import columns_frame

        frames = PlayerFrames(f"{len(columns)} columns, {columns[0]['n']} glyphs each, the same starting noise", zoom=2)
        keep = set(np.linspace(0, MAX_FRAMES - 1, MAX_FRAMES).round().astype(int).tolist())
        start = last_yield = time.perf_counter()
        yield frames.value(), "", f"Running {len(columns)} columns…"
        with model_common.pipeline_errors():
            for fraction, inks, finished in self._steps_together(pipe, vary, columns):
                if round(fraction * (MAX_FRAMES - 1)) in keep or finished:
                    keep.discard(round(fraction * (MAX_FRAMES - 1)))
                    frames.add(columns_frame(headers, inks), f"{fraction:.0%} of each column's steps done"
                               + (": finished" if finished else ""))
                    now = time.perf_counter()
                    if now - last_yield >= self.frame_interval_s and not finished:
                        last_yield = now
                        yield frames.value(), gr.skip(), f"Running: {fraction:.0%} of each column's steps done…"
        seconds = time.perf_counter() - start
        meters = self._meters(vary, columns, headers, inks)
        shared = "; DDPM adds fresh noise at every step, drawn per column here" if (
            vary == "prompt" and columns[0]["sampler"] == "ddpm") else ""
        first = columns[0]
        settings = {"prompt": f"“{model_common.quoted(first['prompt'])}”" if first["prompt"] else "no prompt",
                    "sampler": SAMPLER_NAMES[first["sampler"]], "steps": f"{first['steps']} steps",
                    "guidance w": f"w = {first['guidance']:g}"}
        fixed = ", ".join(text for kind, text in settings.items() if kind != vary)
        caption = (f"Finished {len(columns)} columns ({fixed}; {first['n']} glyphs each) in {seconds:.1f} s. "
                   "Every column starts from the same noise "
                   f"(glyph i from seed {columns[0]['seed']} + i){shared}; only {vary} differs. Press play to "
                   "watch them side by side.")
        yield frames.value(), meters, caption

    def _meters(self, vary: str, columns: list[dict], headers: list[str], inks: list[np.ndarray]) -> str:
        glyphs = self.res.glyphs()
        if vary == "prompt":
            lines = [model_common.radical_meter_text(ink, c["prompt"], glyphs) for c, ink in zip(columns, inks)]
        else:
            lines = model_common.radical_meter_texts(inks, columns[0]["prompt"], glyphs)
        return "\n".join(f"* {model_common.quoted(h)}: {line}" for h, line in zip(headers, lines))


def build_section(resources, prompt, sampler, steps, guidance, seed, count) -> None:
    """The accordion, wired to the tab's own settings (which the columns share)."""
    view = CompareView(resources)
    with gr.Accordion("Side by side on the same noise: up to four columns differing in one thing", open=True):
        gr.Markdown("The columns use the settings above (prompt, sampler, steps, w, seed, glyphs up to "
                    f"{MAX_COLUMN_GLYPHS}) except the one you vary. At w = 0 the prompt is ignored, so prompt "
                    "columns at w = 0 come out the same.")
        with gr.Row():
            vary = gr.Radio(list(VARY), value="prompt", label="what differs between the columns",
                            elem_id="compare-vary")
            values = gr.Textbox(VARY["prompt"], label=f"the columns' values (1 to {MAX_COLUMNS}, commas)",
                                max_lines=1, elem_id="compare-values")
        with gr.Row():
            run = gr.Button("Compare side by side", variant="primary", elem_id="compare-run")
            stop = gr.Button("Stop", variant="stop", elem_id="compare-stop")
        player = frame_player("compare-player", "Press “Compare side by side”: the columns appear here as they run, "
                                                "and play in step.")
        caption = gr.Markdown(elem_id="compare-caption")
        meters = gr.Markdown(elem_id="compare-meters")
    vary.change(lambda v: VARY.get(v, ""), inputs=vary, outputs=values, api_visibility="private",
                show_progress="hidden")
    event = run.click(view.run, inputs=[vary, values, prompt, sampler, steps, guidance, seed, count],
                      outputs=[player, meters, caption], api_name="compare_columns", preprocess=False,
                      show_progress="minimal", **model_common.MODEL_EVENTS)
    stop.click(None, cancels=[event], api_visibility="private")
