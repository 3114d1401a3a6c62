"""Tab 4, "Score field": ∇ log q_t on the map, and particles that follow it back to the data.

API:
    /score_field(t, schedule, arrows) -> (figure, caption)
    /release_particles(particles, steps, schedule, seed) -> streams (figure, status); the last is the end state
"""

from __future__ import annotations

import math

import gradio as gr
import numpy as np

from tabs import common, validate

TITLE = "4 · Score field"

INTRO = r"""
### The score: which way is the data?
The *score* of a distribution is the gradient of its log-density, a vector field that
points towards where the data are more likely. For the noised data it is tied to the noise
itself, which is why learning to predict $\boldsymbol\varepsilon$ amounts to learning the score:

$$\nabla_{\mathbf{x}} \log q_t(\mathbf{x}_t) = -\,\frac{\mathbb E\left[\boldsymbol\varepsilon \mid \mathbf{x}_t\right]}{\sqrt{1-\bar\alpha_t}}
\qquad\text{so}\qquad \boldsymbol\varepsilon_\theta(\mathbf{x}_t, t) \approx -\sqrt{1-\bar\alpha_t}\;\nabla_{\mathbf{x}} \log q_t(\mathbf{x}_t).$$

Here the map's points stand in for the data, so $q_t$ is known exactly and so is its score
(no network involved). At small $t$ the density is a set of sharp ridges and the arrows swing
abruptly from one cluster to the next; at large $t$ the field is smooth and points, from
everywhere, towards the centre. A network only sees noisy samples, which crowd where $q_t$ is
high: the large-$t$ field, spread over the whole plane, is what lets it steer from anywhere. Release particles from pure noise and let them follow
the probability-flow ODE (Song et al. 2021): they start in the smooth field and land on the
data as $t$ falls.
"""

ARROW_EXTENT = 3.6  # arrows stop short of the plot's edge (the map spans ±4 sd)
LIMITS = {"arrows": (8, 40), "particles": (10, 1000), "steps": (5, 200)}
MAX_FRAMES = 60  # streamed frames per run, at most
TRAILS = 40  # particles that leave a trail
DENSITY_GRID = 150
FRAME_GRID = 120
DEFAULTS = (250, "cosine", 21)
PARTICLE_DEFAULTS = (300, 40, "cosine", 0)
EXAMPLES = [[20, "cosine", 21], [250, "cosine", 21], [600, "cosine", 21], [950, "linear", 25]]


class ScoreTab:
    """The tab's functions, bound to the shared resources."""

    def __init__(self, resources):
        self.res = resources

    @validate.guarded("Computing the score field")
    def score_field(self, t, schedule, arrows):
        """Arrows of the exact score ``∇ log q_t`` on an ``arrows x arrows`` grid over ``q_t``.

        Returns:
            (figure, Markdown caption).
        """
        from glyffuser.mapflow import noised_density, score_field
        from viz.score import score_figure

        t = validate.timestep(t, common.NUM_STEPS)
        name = validate.choice(schedule, "schedule", common.SCHEDULES)
        arrows = validate.integer(arrows, "arrows per side", *LIMITS["arrows"])
        abar = float(self.res.schedule(name).alphas_cumprod[t])
        points, h = self.res.standard_map(), self.res.map_bandwidth()
        grid_x, grid_y, density = noised_density(points, abar, h, max_size=DENSITY_GRID)
        axis = np.linspace(-ARROW_EXTENT, ARROW_EXTENT, arrows)
        nodes, scores = score_field(points, abar, h, axis, axis)
        cell = float(axis[1] - axis[0])
        caption = (
            f"**t = {t}**, {name} schedule, ᾱₜ = {abar:.4f}. Each component of $q_t$ has variance "
            f"ᾱₜh² + 1 − ᾱₜ = {abar * h**2 + 1 - abar:.3f} (h = {h:.3f} smooths the points). "
            "Arrows grow with |∇ log qₜ| and saturate (half length at the lower quartile); hover an arrow's tail "
            "for its exact value."
        )
        return score_figure(grid_x, grid_y, density, nodes, scores, cell, t, abar), caption

    @validate.guarded("Releasing the particles")
    def release_particles(self, particles, steps, schedule, seed, progress=gr.Progress()):
        """Particles from N(0, I) moved by the probability-flow ODE with the exact score.

        Yields:
            (figure of the particles over q_t, Markdown status) every few steps; the last
            shows them on the data.
        """
        from glyffuser.mapflow import noised_density, release_particles
        from viz.score import particle_figure

        n = validate.integer(particles, "particles", *LIMITS["particles"])
        steps = validate.integer(steps, "steps", *LIMITS["steps"])
        name = validate.choice(schedule, "schedule", common.SCHEDULES)
        seed = validate.seed(seed)
        sched = self.res.schedule(name)
        abar_all = sched.alphas_cumprod.double().numpy()
        points, h = self.res.standard_map(), self.res.map_bandwidth()
        every = max(1, math.ceil(steps / MAX_FRAMES))
        trails: list[list[np.ndarray]] = [[] for _ in range(min(TRAILS, n))]
        k = 0
        for k, (t, x, _) in enumerate(release_particles(points, sched, n, steps, seed, h)):
            for trail, position in zip(trails, x):
                trail.append(position)
            if t >= 0 and k % every:
                continue
            abar = 1.0 if t < 0 else float(abar_all[t])
            done = min(k, steps)
            progress((done, steps), desc=f"t = {t}" if t >= 0 else "done")
            grid_x, grid_y, density = noised_density(points, abar, h, max_size=FRAME_GRID)
            figure = particle_figure(grid_x, grid_y, density, x, [np.array(trail) for trail in trails], t, done,
                                     steps)
            status = (f"Step {done} of {steps}: t = {t}." if t >= 0 else
                      f"All {n} particles have reached the data after {steps} steps "
                      f"(trails shown for {len(trails)}).")
            yield figure, status


def build_tab(resources) -> None:
    tab = ScoreTab(resources)
    with gr.Tab(TITLE, id="score"):
        common.explanation(INTRO)
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=280):
                t = common.timestep_slider(DEFAULTS[0], elem_id="score-t")
                schedule = common.schedule_radio(DEFAULTS[1])
                arrows = gr.Slider(*LIMITS["arrows"], value=DEFAULTS[2], step=1, label="arrows per side")
                caption = common.note()
            with gr.Column(scale=2):
                field_plot = common.plot()
        gr.Markdown("#### Particles following the score from noise to data")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=280):
                particles = gr.Slider(*LIMITS["particles"], value=PARTICLE_DEFAULTS[0], step=10, label="particles")
                steps = gr.Slider(*LIMITS["steps"], value=PARTICLE_DEFAULTS[1], step=1, label="ODE steps")
                flow_schedule = common.schedule_radio(PARTICLE_DEFAULTS[2])
                seed = common.seed_number(PARTICLE_DEFAULTS[3], label="particle seed")
                release = gr.Button("Release particles", variant="primary")
                status = common.note()
            with gr.Column(scale=2):
                flow_plot = common.plot()

        field_inputs = [t, schedule, arrows]
        gr.on(triggers=[t.release, schedule.input, arrows.release], fn=tab.score_field, inputs=field_inputs,
              outputs=[field_plot, caption], api_name="score_field", preprocess=False,
              trigger_mode="always_last", show_progress="hidden")
        release.click(tab.release_particles, inputs=[particles, steps, flow_schedule, seed],
                      outputs=[flow_plot, status], api_name="release_particles", preprocess=False,
                      concurrency_limit=1, concurrency_id="particles", show_progress="minimal",
                      show_progress_on=[status])
        gr.Examples(EXAMPLES, inputs=field_inputs, outputs=[field_plot, caption], fn=tab.score_field,
                    run_on_click=True, cache_examples=False, api_name="score_field_example", preprocess=False,
                    label="Try: almost clean, a little noise, mostly noise, the linear schedule near the end")
        common.on_load(lambda: tab.score_field(*DEFAULTS), [field_plot, caption], api_name="score_field_initial")
