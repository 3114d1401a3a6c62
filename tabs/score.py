"""Tab 4, "Score field": ∇ log q_t on the map, exact and learned, and particles that follow it.

API:
    /score_field(t, schedule, arrows) -> (exact figure, caption, learned figure, ray figure, comparison)
    /release_particles(particles, steps, schedule, seed) -> streams (frame as HTML <img>, status, frame player value);
        the last is the end state
"""

from __future__ import annotations

import math
import time
from html import escape

import gradio as gr
import numpy as np

from tabs import common, explain, opening, score_live, validate
from tabs.player import PlayerFrames, frame_player

TITLE = "4 · Score field"

INTRO = r"""
### The score: which way is the data?
The *score* of a distribution is the gradient of its log-density, a vector field that
points towards where the data are more likely. For the noised data it is tied to the noise
itself, which is why learning to predict $\boldsymbol\varepsilon$ amounts to learning the score:

$$\nabla_{\mathbf{x}} \log q_t(\mathbf{x}_t) = -\,\frac{\mathbb E\left[\boldsymbol\varepsilon \mid \mathbf{x}_t\right]}{\sqrt{1-\bar\alpha_t}},$$

$$\boldsymbol\varepsilon_\theta(\mathbf{x}_t, t) \approx -\sqrt{1-\bar\alpha_t}\;\nabla_{\mathbf{x}} \log q_t(\mathbf{x}_t).$$

Here the map's points, blurred by a small Gaussian (sd $h$), stand in for the data, so $q_t$
is known exactly and so is its score (no network involved); $t$ counts as in tab 3, from 0
(one small noising step) to 999. At small $t$ the density is a set of sharp ridges and the
arrows swing abruptly from one cluster to the next; at large $t$ the field is smooth and
points, from everywhere, towards the centre.
"""

LEARNED_INTRO = r"""
#### What a network learns instead
A diffusion model never sees this formula: it learns the score from noised samples only
(denoising score matching). The red arrows above (beside the exact field, or under it on a
narrow screen) come from a small network (three layers of 128) trained that way on the same
map, drawn on the exact field's length scale. Where noised samples
are plentiful the two agree. At small $t$ the samples stay on the clusters, and where $q_t$ is
rare (grey bands on the ray) the network saw almost no training data, so nothing pins its output
there: its arrows still point roughly back, but they are weaker than the exact score, which grows
with the distance from the data (far out, by $1 / (\bar\alpha_t h^2 + 1 - \bar\alpha_t)$ per unit of
distance). At large $t$ the noised samples cover the plane, the field is close to $-\mathbf x$ and the
two agree everywhere. The numbers beside the ray are measured live.
"""

PARTICLE_INTRO = r"""
#### Particles following the score from noise to data
Release particles from pure noise $\mathcal N(\mathbf 0, \mathbf I)$ and let them follow the
probability-flow ODE (Song et al. 2021) driven by the exact score above: they start in the
smooth large-$t$ field and gather into the clusters as $t$ falls. At the end ($\bar\alpha = 1$,
one step past $t = 0$) they are a sample of $q_0$, the points blurred by the Gaussian of sd
$h$, not copies of the points themselves.
"""

ARROW_QUANTILE = 0.5  # the exact field's median |score| is drawn at half the longest arrow, in both panels
ARROW_EXTENT = 3.6  # arrows stop short of the plot's edge (the map spans ±4 sd)
RAY = np.linspace(0.0, 8.0, 41)  # distances along the ray, past the map's ±4 sd
LIMITS = {"arrows": (8, 40), "particles": (10, 1000), "steps": (5, 200)}
MAX_FRAMES = 60  # streamed frames per run, at most
FRAME_INTERVAL_S = 0.1  # at most ten frames a second, so each is seen
TRAILS = 40  # particles that leave a trail
DENSITY_GRID = 150
FRAME_GRID = 120
DEFAULTS = (20, "cosine", 21)
PARTICLE_DEFAULTS = (300, 40, "cosine", 0)
EXAMPLES = [[20, "cosine", 21], [250, "cosine", 21], [600, "cosine", 21], [950, "linear", 25]]


def field_caption(t: int, name: str, abar: float, h: float, variance: float, text_abar: str) -> str:
    return (f"**t = {t}**, {name} schedule, ᾱₜ = {text_abar}. Each component of $q_t$ has variance "
            f"ᾱₜh² + 1 − ᾱₜ = {variance:.3f} (h = {h:.3f} blurs the points). Arrows grow with the score's "
            "size and saturate below one grid cell (half length at the exact field's median); both fields share "
            "that scale. Hover an arrow's tail for its exact value.")


def comparison_caption(t: int, stats, rare_total: int, total: int, ray_exact: np.ndarray,
                       ray_learned: np.ndarray) -> str:
    far = len(RAY) - 1
    text = (f"At t = {t}, {rare_total} of the {total} arrow nodes lie where $q_t$ is below 1% of its peak. ")
    if rare_total:
        text += (f"There the learned arrows are a median **{100 * stats.median_ratio(True):.0f}%** as long as the "
                 f"exact ones and within 45° of them at {100 * stats.share_within(45, True):.0f}% of the nodes; ")
    if rare_total < total:
        text += f"elsewhere the median is {100 * stats.median_ratio(False):.0f}%. "
    text += (f"At distance {RAY[far]:g} along the ray the exact |score| is {ray_exact[far]:.3g}, "
             f"the learned {ray_learned[far]:.3g}.")
    return text


# The frame's square is reserved from the start: a page that grows when the first frame arrives
# makes every Plotly figure above redraw, which blocked the page for seconds.
PLACEHOLDER = ('<div class="particle-frame" style="width:100%;max-width:480px;aspect-ratio:1;margin:auto;'
               'display:flex;align-items:center;justify-content:center;background:#f7fbff;color:#555">'
               'press “Release particles”</div>')
# The live frame goes out at every step; the player, whose value holds every frame so far, at most this
# often (and at the end): re-sending a growing player with each frame halved the frames the page showed.
PLAYER_EVERY_S = 1.0


def frame_html(uri: str, label: str, width: int) -> str:
    """A particle frame inline (a JPEG data URI): one message per frame, no second fetch."""
    return (f'<img class="particle-frame" src="{uri}" alt="particles, {escape(label)}" width="{width}" '
            f'height="{width}" style="width:100%;max-width:{width}px;height:auto;display:block;margin:auto">')


class ScoreTab:
    """The tab's functions, bound to the shared resources."""

    def __init__(self, resources):
        self.res = resources

    @validate.guarded("Computing the score field")
    def score_field(self, t, schedule, arrows):
        """Arrows of the exact score ``∇ log q_t`` and of the learned one, and both along a ray.

        Returns:
            (exact figure, Markdown caption, learned figure, ray figure, Markdown comparison).
        """
        from glyffuser.distributions.mapflow import noised_density, noised_variance, score_field
        from glyffuser.distributions.score_net import compare_fields, learned_score, score_along_ray, shipped
        from viz.noising import abar_text
        from viz.score import arrow_vectors, ray_figure, score_figure

        t = validate.timestep(t, common.NUM_STEPS)
        name = validate.choice(schedule, "schedule", common.SCHEDULES)
        arrows = validate.integer(arrows, "arrows per side", *LIMITS["arrows"])
        abar = float(self.res.schedule(name).alphas_cumprod[t])
        points, h = self.res.standard_map(), self.res.map_bandwidth()
        variance = noised_variance(abar, h)
        grid_x, grid_y, density = noised_density(points, abar, h, max_size=DENSITY_GRID)
        axis = np.linspace(-ARROW_EXTENT, ARROW_EXTENT, arrows)
        nodes, exact, at_nodes = score_field(points, abar, h, axis, axis, with_density=True)
        cell = float(axis[1] - axis[0])
        net = shipped()
        learned = learned_score(net, nodes, abar)
        stats = compare_fields(exact, learned, at_nodes, density.max())
        ray_exact, ray_learned, ray_density = score_along_ray(net, points, abar, RAY)

        reference = arrow_vectors(exact, cell, quantile=ARROW_QUANTILE)[1]
        exact_figure = score_figure(grid_x, grid_y, density, nodes, exact, cell, t, abar, reference=reference)
        learned_figure = score_figure(grid_x, grid_y, density, nodes, learned, cell, t, abar, reference=reference,
                                      label="learned s_θ", color="#c0392b")
        rare = ray_density < 0.01 * density.max()
        ray = ray_figure(RAY, ray_exact, ray_learned, rare, t, abar, "to the right")
        return (exact_figure, field_caption(t, name, abar, h, variance, abar_text(abar)), learned_figure, ray,
                comparison_caption(t, stats, int(stats.rare.sum()), len(nodes), ray_exact, ray_learned))

    @validate.guarded("Releasing the particles")
    def release_particles(self, particles, steps, schedule, seed):
        """Particles from N(0, I) moved by the probability-flow ODE with the exact score.

        Yields:
            (frame: HTML ``<img>`` of a 480 x 480 JPEG data URI, the particles over q_t;
            Markdown status at the first and last frames, ``gr.skip()`` between; the frame
            player's value, every frame so far, about once a second and at the end, else
            ``gr.skip()``), at most ten a second; the last shows them at ᾱ = 1 over q_0.
        """
        from glyffuser.diffusion.forward import standard_normal
        from glyffuser.distributions.mapflow import MAP_EXTENT, nearest_distances, noised_density, release_particles
        from viz.noising import abar_text
        from viz.score import particle_frame

        n = validate.integer(particles, "particles", *LIMITS["particles"])
        steps = validate.integer(steps, "steps", *LIMITS["steps"])
        name = validate.choice(schedule, "schedule", common.SCHEDULES)
        seed = validate.seed(seed)
        sched = self.res.schedule(name)
        abar_all = sched.alphas_cumprod.double().numpy()
        points, h = self.res.standard_map(), self.res.map_bandwidth()
        every = max(1, math.ceil(steps / MAX_FRAMES))
        trails: list[list[np.ndarray]] = [[] for _ in range(min(TRAILS, n))]
        player = PlayerFrames(f"{n} particles from noise to data ({name} schedule, seed {seed})", zoom=1,
                              image_format="JPEG")
        last = player_sent = 0.0
        for k, (t, x, _) in enumerate(release_particles(points, sched, n, steps, seed, h)):
            for trail, position in zip(trails, x):
                trail.append(position)
            if t >= 0 and k % every:
                continue
            abar = 1.0 if t < 0 else float(abar_all[t])
            done = min(k, steps)
            _, _, density = noised_density(points, abar, h, max_size=FRAME_GRID)
            label = (f"step {done}/{steps}  t = {t}  ᾱ = {abar_text(abar)}" if t >= 0
                     else f"end: ᾱ = 1, after {steps} steps")
            frame = particle_frame(density, -MAP_EXTENT, MAP_EXTENT, x, [np.array(p) for p in trails], label)
            if t >= 0:  # the frame carries its step; the status changes at the start and the end only
                status = f"Running: {steps} steps from t = {t} down to t = 0…" if k == 0 else gr.skip()
            else:
                rng_draws = points[np.random.default_rng(seed).integers(len(points), size=n)]
                draws = rng_draws + h * standard_normal((n, 2), seed + 1).double().numpy()
                status = (f"All {n} particles have arrived at ᾱ = 1 after {steps} steps (one step past t = 0). They "
                          f"are now a sample of q₀, the map's points blurred by a Gaussian of sd h = {h:.2f}: their "
                          f"median distance to the nearest map point is {np.median(nearest_distances(points, x)):.3f}, "
                          f"as for fresh draws from q₀ ({np.median(nearest_distances(points, draws)):.3f}), where "
                          f"copies of the points would be at 0. Trails shown for {len(trails)}.")
            wait = FRAME_INTERVAL_S - (time.perf_counter() - last)
            if wait > 0 and t >= 0:
                time.sleep(wait)  # pace the animation; the last frame goes out at once
            last = time.perf_counter()
            player.add(frame, label)
            now = time.perf_counter()
            send_player = t < 0 or now - player_sent >= PLAYER_EVERY_S
            if send_player:
                player_sent = now
            yield frame_html(player.frames[-1], label, player.width), status, player.value() if send_player else gr.skip()


def build_tab(resources) -> None:
    tab = ScoreTab(resources)
    with gr.Tab(TITLE, id="score"):
        explain.opening("score", INTRO)
        with gr.Row(equal_height=False):
            t = common.timestep_slider(DEFAULTS[0], elem_id="score-t", scale=2, min_width=260)
            schedule = common.schedule_radio(DEFAULTS[1])
            arrows = gr.Slider(*LIMITS["arrows"], value=DEFAULTS[2], step=1, label="arrows per side", min_width=200)
        caption = common.note(elem_id="score-caption")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=320):
                field_plot = common.plot(elem_id="score-exact")
            with gr.Column(scale=1, min_width=320):
                learned_plot = common.plot(elem_id="score-learned")
        explain.section("score-network", LEARNED_INTRO)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                ray_plot = common.plot(elem_id="score-ray")
            with gr.Column(scale=2, min_width=260):
                comparison = common.note(elem_id="score-comparison")
        score_live.build_section(resources)
        explain.section("score-flow", PARTICLE_INTRO)
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=280):
                particles = gr.Slider(*LIMITS["particles"], value=PARTICLE_DEFAULTS[0], step=10, label="particles")
                steps = gr.Slider(*LIMITS["steps"], value=PARTICLE_DEFAULTS[1], step=1, label="ODE steps")
                flow_schedule = common.schedule_radio(PARTICLE_DEFAULTS[2])
                seed = common.seed_number(PARTICLE_DEFAULTS[3], label="particle seed")
                release = gr.Button("Release particles", variant="primary")
                status = common.note(elem_id="score-status")
            with gr.Column(scale=2, min_width=300):
                flow_picture = gr.HTML(PLACEHOLDER, elem_id="score-particles", padding=False)
                flow_player = frame_player("score-particles-player", "The flow can be played here, paused and "
                                           "stepped, while it runs and after.")

        field_inputs = [t, schedule, arrows]
        field_outputs = [field_plot, caption, learned_plot, ray_plot, comparison]
        gr.on(triggers=[*common.moved(t, arrows), schedule.input], fn=tab.score_field, inputs=field_inputs,
              outputs=field_outputs, api_name="score_field", preprocess=False,
              trigger_mode="always_last", show_progress="hidden")
        release.click(tab.release_particles, inputs=[particles, steps, flow_schedule, seed],
                      outputs=[flow_picture, status, flow_player], api_name="release_particles", preprocess=False,
                      concurrency_limit=1, concurrency_id="particles", show_progress="hidden")
        gr.Examples(EXAMPLES, inputs=field_inputs, outputs=field_outputs, fn=tab.score_field,
                    run_on_click=True, cache_examples=False, api_name="score_field_example", preprocess=False,
                    label="Try: almost clean, a little noise, mostly noise, the linear schedule near the end")
        opening.on_load(lambda: tab.score_field(*DEFAULTS), field_outputs, api_name="score_field_initial")
