"""Sampling tab, "Walk between two prompts": the text condition mixed from A to B on fixed noise.

Each column of the strip is sampled from the same noise with the condition a fraction α
of the way from prompt A to prompt B (:mod:`glyffuser.model.interpolate`: the token states
mixed, and each token's attention weight shared out between the two prompts); the first
column is A's own sample and the last is B's. The run streams into a frame player, and the
finished strip is shown large.

API:
    /walk_prompts(prompt_a, prompt_b, points, count, steps, sampler, guidance, seed)
        -> stream of (player frames, strip picture, caption)
"""

from __future__ import annotations

import time

import gradio as gr
import numpy as np

from tabs import common, model_common, validate
from tabs.model_common import MAX_GUIDANCE, MAX_STEPS
from tabs.player import PlayerFrames, frame_player

MAX_POINTS = 11  # glyffuser.model.interpolate.MAX_POINTS, repeated so the page is built without torch
MAX_SEEDS = 4
WALK_SAMPLERS = ("ddim", "dpm")  # deterministic: the end points are exactly the prompts' own samples
MAX_GLYPH_STEPS = 16_000
MAX_FRAMES = 40
FRAME_INTERVAL_S = 0.2
DEFAULTS = ("water", "fire", 7, 2, 50, "dpm")


class WalkView:
    """The walk's functions, bound to the shared resources."""

    frame_interval_s = FRAME_INTERVAL_S

    def __init__(self, resources):
        self.res = resources

    @validate.guarded("Walking between prompts")
    def run(self, prompt_a, prompt_b, points, count, steps, sampler, guidance, seed):
        """Sample the strip, streaming the player.

        Yields:
            (player value, strip picture (P columns x n rows of glyphs) or skip, Markdown caption).
        """
        from glyffuser.model.interpolate import iter_walk, walk_alphas
        from viz.compare import titled, walk_frame

        a, b = model_common.prompt(prompt_a, "prompt A"), model_common.prompt(prompt_b, "prompt B")
        if a == b:
            raise validate.fail("Give two different prompts to walk between.")
        points = validate.integer(points, "points", 2, MAX_POINTS)
        n = validate.integer(count, "glyphs per point", 1, MAX_SEEDS)
        steps = validate.integer(steps, "steps", 1, MAX_STEPS)
        sampler = validate.choice(sampler, "sampler", WALK_SAMPLERS)
        guidance = validate.number(guidance, "guidance w", 0.0, MAX_GUIDANCE)
        seed = validate.integer(seed, "seed", 0, validate.MAX_SEED - MAX_SEEDS)
        if points * n * steps > MAX_GLYPH_STEPS:
            raise validate.fail(f"{points} points x {n} glyphs x {steps} steps is too much work for one run here: "
                                f"at most {MAX_GLYPH_STEPS:,}.")
        alphas = walk_alphas(points)
        label_a, label_b = a or "(no prompt)", b or "(no prompt)"
        frames = PlayerFrames(f"“{label_a}” (left) to “{label_b}” (right), the same noise in every column", zoom=3)
        keep = set(np.linspace(0, steps, min(MAX_FRAMES, steps + 1)).round().astype(int).tolist())
        start = last_yield = time.perf_counter()
        yield frames.value(), gr.skip(), f"Walking from “{model_common.quoted(label_a)}” to “{model_common.quoted(label_b)}”…"
        pipe = model_common.pipeline(self.res)
        with model_common.pipeline_errors():
            for step in iter_walk(pipe, a, b, points=points, n=n, steps=steps, guidance=guidance, seed=seed,
                                  sampler=sampler):
                if step.index in keep:
                    ink = step.x_t.reshape(points, n, *step.x_t.shape[1:])
                    frames.add(walk_frame(ink, alphas), f"Step {step.index} of {steps}" + (
                        ": finished" if step.t < 0 else f", t = {step.t}"))
                    now = time.perf_counter()
                    if now - last_yield >= self.frame_interval_s and step.t >= 0:
                        last_yield = now
                        yield frames.value(), gr.skip(), f"Step {step.index} of {steps}…"
        seconds = time.perf_counter() - start
        strip = titled(walk_frame(step.x_t.reshape(points, n, *step.x_t.shape[1:]), alphas, scale=2),
                       f"{label_a} -> {label_b}")
        caption = (f"Finished in {seconds:.1f} s: {points} points from α = 0 (only “{model_common.quoted(label_a)}”) "
                   f"to α = 1 (only “{model_common.quoted(label_b)}”), {n} glyph{'s' if n > 1 else ''} each "
                   f"(row i from seed {seed} + i), {steps} {sampler} steps at w = {guidance:g}. The end columns are "
                   "the two prompts' own samples; in between, each word piece's encoding is mixed and the word pieces "
                   "of each prompt get their share of the attention.")
        yield frames.value(), strip, caption


def build_section(resources, guidance, seed) -> None:
    """The accordion; guidance and seed come from the tab's settings."""
    view = WalkView(resources)
    with gr.Accordion("Walk between two prompts", open=True):
        gr.Markdown("The prompt is mixed from A to B in even steps while the noise stays fixed (w and seed as "
                    "above): the first column is A's own sample, the last B's, and in between you see where "
                    "the strokes change.")
        with gr.Row():
            prompt_a = gr.Textbox(DEFAULTS[0], label="prompt A", max_lines=1, elem_id="walk-a")
            prompt_b = gr.Textbox(DEFAULTS[1], label="prompt B", max_lines=1, elem_id="walk-b")
        with gr.Row():
            points = gr.Slider(2, MAX_POINTS, value=DEFAULTS[2], step=1, label="points from A to B", elem_id="walk-points")
            count = gr.Slider(1, MAX_SEEDS, value=DEFAULTS[3], step=1, label="glyphs per point (seeds)", elem_id="walk-count")
            steps = gr.Slider(1, 250, value=DEFAULTS[4], step=1, label="steps", elem_id="walk-steps")
            sampler = gr.Radio(list(WALK_SAMPLERS), value=DEFAULTS[5], label="sampler",
                               info="deterministic samplers only", elem_id="walk-sampler")
        with gr.Row():
            run = gr.Button("Walk from A to B", variant="primary", elem_id="walk-run")
            stop = gr.Button("Stop", variant="stop", elem_id="walk-stop")
        player = frame_player("walk-player", "Press “Walk from A to B”: the strip appears here as it is sampled.")
        caption = common.note(elem_id="walk-caption")
        strip = common.picture("the finished walk", elem_id="walk-strip", show_label=False)
    event = run.click(view.run, inputs=[prompt_a, prompt_b, points, count, steps, sampler, guidance, seed],
                      outputs=[player, strip, caption], api_name="walk_prompts", preprocess=False,
                      show_progress="minimal", **model_common.MODEL_EVENTS)
    stop.click(None, cancels=[event], api_visibility="private")
