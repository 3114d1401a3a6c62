"""The Score field tab's live section: a network learns the score in the session, streamed.

API:
    /learn_score() -> streams (exact and learned figures at t = 20, the same at t = 600, status, figures' column); the last is the end state
"""

from __future__ import annotations

import time

import gradio as gr
import numpy as np

from tabs import common, explain, validate

SMALL_T, LARGE_T = 20, 600  # cosine schedule: ᾱ = 0.998 and 0.339
SCHEDULE = "cosine"
ARROWS = 21
ARROW_EXTENT = 3.6
ARROW_QUANTILE = 0.5

DETAILS = r"""
#### Watch a network learn the score
Both networks are the tab's score network (the same loss, denoising score matching in noise-prediction
form), smaller: three layers of 64, batches of 256, 1,000 Adam steps each (learning rate up to 0.004), seed 0, one CPU thread.
The first draws its noise level from one value, $\bar\alpha_{20}$; the second uniformly in
$\log(\bar\alpha / (1 - \bar\alpha))$ over both schedules' range, as the shipped network. The colour is
the error $|s_\theta - \nabla \log q_t| \,/\, \max(|\nabla \log q_t|, m)$, with $m$ the median $|\nabla \log q_t|$ over
the grid, capped at 100%; the dashed line is the edge of the data, where $q_t$ at $t = 20$ falls to 1% of
its peak. Why one small noise level is not enough and many are: Song & Ermon (2019), "Generative modeling
by estimating gradients of the data distribution"; the loss: Vincent (2011).
"""

PLACEHOLDER = "Press “Learn the score” (about ten seconds)."


def percent(value: float) -> str:
    return f"{100 * value:.0f}%"


class LiveScore:
    """The section's function, bound to the shared resources."""

    def __init__(self, resources):
        self.res = resources

    def _fields(self):
        from glyffuser.distributions.score_live import exact_fields

        abar = self.res.schedule(SCHEDULE).alphas_cumprod.double().numpy()
        levels = {SMALL_T: float(abar[SMALL_T]), LARGE_T: float(abar[LARGE_T])}
        axis = np.linspace(-ARROW_EXTENT, ARROW_EXTENT, ARROWS)
        fields = exact_fields(self.res.standard_map(), self.res.map_bandwidth(), levels, axis, levels[SMALL_T])
        return axis, fields

    def _exact_figure(self, field, t: int, axis: np.ndarray):
        from glyffuser.distributions.mapflow import noised_density
        from viz.score import arrow_vectors, score_figure

        grid_x, grid_y, density = noised_density(self.res.standard_map(), field.abar, self.res.map_bandwidth(),
                                                 max_size=150)
        cell = float(axis[1] - axis[0])
        reference = arrow_vectors(field.score, cell, quantile=ARROW_QUANTILE)[1]
        figure = score_figure(grid_x, grid_y, density, field.nodes, field.score, cell, t, field.abar,
                              reference=reference)
        return figure, reference

    @validate.guarded("Learning the score")
    def learn(self):
        """Train at one small noise level, then over all; stream each beside the exact score.

        Yields:
            (exact figure at t = SMALL_T, learned figure at SMALL_T, exact figure at LARGE_T, learned
            figure at LARGE_T, Markdown status, the figures' column shown at the first frame); what does
            not change is ``gr.skip()``; the learned figures are coloured by their error; the last status
            carries both networks' measured errors.
        """
        from glyffuser.distributions.mapflow import MAP_EXTENT
        from glyffuser.distributions.score_live import ONE_LEVEL, LivePlan, learn_live
        from viz.score import error_figure

        start = time.perf_counter()
        axis, fields = self._fields()
        cell = float(axis[1] - axis[0])
        exact = {t: self._exact_figure(fields[t], t, axis) for t in (SMALL_T, LARGE_T)}
        first, measured = True, {}
        for frame in learn_live(self.res.standard_map(), self.res.map_bandwidth(), fields[SMALL_T].abar, LivePlan()):
            t = SMALL_T if frame.phase == ONE_LEVEL else LARGE_T
            field = fields[t]
            learned, error = field.errors(frame.net)
            near, away = field.median_errors(error)
            title = f"learned from {frame.phase}<br>t = {t}, step {frame.step}/{frame.steps}"
            figure = error_figure(axis, field.nodes, learned, error, field.away, cell, title, reference=exact[t][1],
                                  extent=MAP_EXTENT)
            status = (f"Training on **{frame.phase}**, shown at t = {t}: step {frame.step} of {frame.steps}, "
                      f"loss {frame.loss:.3f}. Median error near the data {percent(near)}, away from it {percent(away)}.")
            if frame.step == frame.steps:
                measured[frame.phase] = (near, away, *fields[SMALL_T].median_errors(fields[SMALL_T].errors(frame.net)[1]))
            if len(measured) == 2:
                status = self._verdict(measured, time.perf_counter() - start)
            small = (exact[SMALL_T][0] if first else gr.skip(), figure if t == SMALL_T else gr.skip())
            large = (exact[LARGE_T][0] if first else gr.skip(), figure if t == LARGE_T else gr.skip())
            shown = gr.Column(visible=True) if first else gr.skip()
            first = False
            yield *small, *large, status, shown

    @staticmethod
    def _verdict(measured: dict, seconds: float) -> str:
        from glyffuser.distributions.score_live import ALL_LEVELS, ONE_LEVEL, LivePlan

        one_near, one_away = measured[ONE_LEVEL][:2]
        all_near, all_away, all_small_near, all_small_away = measured[ALL_LEVELS]
        return (f"Done in {seconds:.1f} s (2 × {LivePlan().steps:,} steps). Trained at one small noise level only (t = {SMALL_T}), "
                f"the network's score is off by a median **{percent(one_away)} away from the data** against "
                f"{percent(one_near)} near it: it never saw examples out there. Trained over all noise levels and "
                f"read at t = {LARGE_T}, where the noise spreads the examples over the plane, it is off by "
                f"**{percent(all_away)}** away from the data and {percent(all_near)} near it. (At t = {SMALL_T} the "
                f"second network is still off by {percent(all_small_away)} away from the data and "
                f"{percent(all_small_near)} near it; but a sampler reaches small noise levels only close to the "
                "data, having followed the well-learned large-noise arrows there.)")


def build_section(resources) -> None:
    """The live section's widgets and event, inside the Score field tab."""
    live = LiveScore(resources)
    explain.section("score-live", DETAILS, label="The details: the two trainings and the error")
    with gr.Row(equal_height=False):
        learn = gr.Button("Learn the score", variant="primary", elem_id="score-learn", scale=0, min_width=200)
        status = common.note(PLACEHOLDER, elem_id="score-learn-status")
    plots = []
    with gr.Column(visible=False) as figures:  # no empty boxes before the first frame
        for t in (SMALL_T, LARGE_T):
            with gr.Row(equal_height=False):
                for name in ("exact", "learned"):
                    with gr.Column(scale=1, min_width=320):
                        plots.append(common.plot(elem_id=f"score-learn-{name}-{t}"))
    learn.click(live.learn, inputs=None, outputs=[*plots, status, figures], api_name="learn_score",
                concurrency_limit=1, concurrency_id="learn-score", show_progress="hidden")
