"""Tab 3, "Forward noising": a glyph and the whole map, noised to any step t.

The t slider is drawn in the browser (tabs/noising_live.py): moving it sends nothing.

API:
    /noise_glyph(character, t, schedule, seed) -> (x_t, ε, schedule figure, dataset figure,
        live panel: the caption at t and what the browser draws any t from, strip figure, dataset row figure)
    /random_character() -> a character of the dataset
    /noising_frames(character, schedule, seed) -> the frame player's value: x_t at t = 0, 10, ..., 990, 999
"""

from __future__ import annotations

import gradio as gr
import numpy as np

from tabs import common, explain, opening, validate
from tabs.noising_live import live_panel, live_value
from tabs.player import PlayerFrames, frame_player
from tabs.serving import shared_runs
from viz.pictures import model_picture

TITLE = "3 · Forward noising"

INTRO = r"""
### Forward diffusion: from data to noise in closed form
Noising shrinks an image towards zero and adds Gaussian noise. After $t$ small steps the
result can be drawn directly from the clean image $\mathbf{x}_0$, with no need to run the
steps one by one:

$$\mathbf{x}_t = \sqrt{\bar\alpha_t}\,\mathbf{x}_0 + \sqrt{1-\bar\alpha_t}\,\boldsymbol\varepsilon,
\qquad \boldsymbol\varepsilon \sim \mathcal N(\mathbf 0, \mathbf I),$$

$$\bar\alpha_t = \prod_{s=0}^{t} (1 - \beta_s).$$

**How $t$ counts here**: as in the diffusers library, $t = 0, 1, \dots, 999$, which is Ho et
al.'s $t - 1$. So $t = 0$ is already one small noising step ($\bar\alpha_0$ = 0.99996 under
the cosine schedule, 0.9999 under the linear one), and the clean data, $\bar\alpha = 1$, have
no $t$ of their own.

The schedule $\beta_t$ sets how fast the signal fades: the linear schedule of Ho et al. (2020)
wipes the glyph out well before $t = 999$, the cosine schedule of Nichol & Dhariwal (2021)
spreads the destruction more evenly. Below the glyph, every point of the map is noised the
same way (the map's coordinates, standardised, play the role of $\mathbf{x}_0$): the cloud
blurs into a single Gaussian, and the shaded density $q(\mathbf{x}_t)$ under it follows. In red,
a few single points with their own $q(\mathbf{x}_t \mid \mathbf{x}_0) =
\mathcal N(\sqrt{\bar\alpha_t}\,\mathbf{x}_0, (1-\bar\alpha_t)\mathbf I)$: a small Gaussian around each
shrunk point, of which the whole cloud's $q(\mathbf{x}_t)$ is the average. Drag $t$ (or use the
arrow keys on the slider).
"""

STRIP_STEPS = (0, 100, 250, 500, 750, 999)
PLAY_STEPS = np.r_[np.arange(0, 1000, 10), 999]  # the player's 101 frames: t = 0, 10, ..., 990, 999
STEP_GRID = 150  # density grid of the large panel (>= 3.7 steps per kernel sd: under 1% error)
ROW_GRID = 120  # density grid of the small panels
PICKS = ("明", "草", "鸟")  # always ringed on the map, beside the chosen glyph
DEFAULTS = ("锂", 250, "cosine", 0)
STEPS_KEPT = 128  # views at one t kept for every student (about 0.1 MB each: the map's bitmap, the curves)
SHARED_STEPS = shared_runs.SharedCalls(STEPS_KEPT)
LIVE_KEPT = 8  # the live panel's arrays per glyph, schedule and seed (about 0.3 MB each)
SHARED_LIVE = shared_runs.SharedCalls(LIVE_KEPT)
EXAMPLES = [["锂", 250, "cosine", 0], ["锂", 250, "linear", 0], ["明", 500, "cosine", 3], ["草", 900, "linear", 1]]


class NoisingTab:
    """The tab's functions, bound to the shared resources."""

    def __init__(self, resources):
        self.res = resources

    def _inputs(self, character, t, schedule, seed):
        glyphs = self.res.glyphs()
        return (validate.character(character, glyphs), validate.timestep(t, common.NUM_STEPS),
                validate.choice(schedule, "schedule", common.SCHEDULES), validate.seed(seed))

    def _pick_rows(self, row: int) -> list[int]:
        """Dataset rows of the ringed points: the chosen glyph, then :data:`PICKS` (without repeating it)."""
        glyphs = self.res.glyphs()
        return [row] + [glyphs.index_of(c) for c in PICKS if glyphs.index_of(c) != row]

    def _picks(self, row: int, points: np.ndarray, cloud: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """The chosen glyph and :data:`PICKS`: ``(character, x0 (2,), x_t (2,))`` each."""
        chars = self.res.glyphs().chars
        return [(str(chars[r]), points[r], cloud[r]) for r in self._pick_rows(row)]

    def _step(self, row: int, t: int, name: str, seed: int):
        from glyffuser.diffusion.forward import glyph_x0, noise_chain
        from glyffuser.distributions.mapflow import noise_points, noised_density
        from viz.noising import dataset_figure, schedule_figure, step_caption

        sched = self.res.schedule(name)
        x0 = glyph_x0(self.res.glyphs().images[row])  # (64, 64)
        chain = noise_chain(x0, sched, [t], seed)
        abar = float(chain.alphas_cumprod[0])

        points = self.res.standard_map()  # (N, 2)
        cloud = noise_points(points, sched, t, seed)  # (N, 2)
        grid_x, grid_y, density = noised_density(points, abar, self.res.map_bandwidth(), max_size=STEP_GRID)
        picks = self._picks(row, points, cloud)

        curves = {n: self.res.schedule(n).alphas_cumprod.numpy() for n in common.SCHEDULES}
        caption = step_caption(t, name, abar, [p[0] for p in picks])
        live = dict(SHARED_LIVE((row, name, seed), lambda: self._live(row, name, seed)), t=t, caption=caption)
        # 64 x 64 pictures, enlarged by the browser (pixelated).
        return (model_picture(chain.x_t[0], scale=1), model_picture(chain.noise, scale=1),
                schedule_figure(curves, name, t),
                dataset_figure(cloud, grid_x, grid_y, density, t, abar, picks), live)

    def _live(self, row: int, name: str, seed: int) -> dict:
        """What the browser draws any t of this glyph, schedule and seed from (:func:`live_value`;
        :meth:`_step` adds the step it drew and its caption)."""
        from glyffuser.diffusion.forward import glyph_x0, noise_chain, standard_normal
        from glyffuser.distributions.mapflow import MAP_EXTENT
        from viz import noising as views
        from viz.raster import colormap_lut

        glyphs = self.res.glyphs()
        x0 = glyph_x0(glyphs.images[row])
        points = self.res.standard_map()
        return live_value(
            key=f"{row}/{name}/{seed}", schedule=name, alphas_cumprod=self.res.schedule(name).alphas_cumprod.numpy(),
            x0=x0.numpy(), noise=noise_chain(x0, self.res.schedule(name), [0], seed).noise,
            points=points, points_noise=standard_normal(points.shape, seed).numpy(),
            picks=[(str(glyphs.chars[r]), r) for r in self._pick_rows(row)], bandwidth=self.res.map_bandwidth(), extent=MAP_EXTENT,
            grid_max=STEP_GRID, pixels=views.DATASET_PIXELS, lut=colormap_lut(views.DENSITY_SCALE),
            point_rgb=views.POINT_RGB, point_alpha=views.POINT_ALPHA, density_top=views.DENSITY_TOP,
            ring_vertices=views.RING_VERTICES, ring_shares=views.RING_SHARES)

    def _shared_step(self, row: int, t: int, name: str, seed: int):
        """:meth:`_step`, computed once for every request with the same arguments (a class opening
        the tab asks the same thing thirty times); the newest results are kept."""
        return SHARED_STEPS((row, t, name, seed), lambda: self._step(row, t, name, seed))

    @validate.guarded("Noising the glyph")
    def noise_glyph(self, character, t, schedule, seed):
        """Everything in the tab: the views at ``t``, and the strip and the row of panels.

        Returns:
            (x_t picture, ε picture, ᾱ/SNR figure, noised-map figure, the live panel's value:
            the caption at ``t`` and what the browser draws every other t from, strip figure
            of the glyph at t = 0, 100, 250, 500, 750, 999, figure of the noised map at those steps).
        """
        from glyffuser.diffusion.forward import glyph_x0, noise_chain
        from glyffuser.distributions.mapflow import noise_points, noised_density
        from viz.noising import dataset_row_figure, strip_figure

        row, t, name, seed = self._inputs(character, t, schedule, seed)
        sched = self.res.schedule(name)
        chain = noise_chain(glyph_x0(self.res.glyphs().images[row]), sched, STRIP_STEPS, seed)
        strip = strip_figure([model_picture(x, scale=1) for x in chain.x_t], chain.timesteps, chain.alphas_cumprod)

        points = self.res.standard_map()
        h = self.res.map_bandwidth()
        panels = [
            (s, noise_points(points, sched, s, seed), noised_density(points, abar, h, max_size=ROW_GRID))
            for s, abar in zip(STRIP_STEPS, chain.alphas_cumprod)
        ]
        return (*self._shared_step(row, t, name, seed), strip, dataset_row_figure(panels))

    def play_frames(self, character, schedule, seed):
        """The glyph at :data:`PLAY_STEPS` (t from 0 to 999) with one ε, for the frame player.

        Follows the settings as they change; while the glyph box holds no valid character
        (half typed) it leaves the player as it is, and the tab's other outputs say why.

        Returns:
            The player's value (tabs/player.py), or ``gr.skip()``.
        """
        from PIL import Image

        from glyffuser.diffusion.forward import glyph_x0, noise_chain

        try:
            row, _, name, seed = self._inputs(character, 0, schedule, seed)
        except gr.Error:
            return gr.skip()
        glyphs = self.res.glyphs()
        chain = noise_chain(glyph_x0(glyphs.images[row]), self.res.schedule(name), PLAY_STEPS, seed)
        frames = PlayerFrames(f"{glyphs.chars[row]} noised from t = 0 to 999 ({name} schedule, one ε from seed {seed})",
                              zoom=4)
        for t, x, abar in zip(chain.timesteps, chain.x_t, chain.alphas_cumprod):
            frames.add(Image.fromarray(model_picture(x, scale=1), "L"), f"t = {int(t)}, ᾱ = {abar:.4f}", step=int(t))
        return frames.value()

    @validate.guarded("Picking a glyph")
    def random_character(self):
        """A character drawn at random from the dataset."""
        glyphs = self.res.glyphs()
        return str(glyphs.chars[np.random.default_rng().integers(len(glyphs))])


def build_tab(resources) -> None:
    tab = NoisingTab(resources)
    with gr.Tab(TITLE, id="noising"):
        explain.opening("noising", INTRO)
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=280):
                with gr.Row():
                    character = gr.Textbox(value=DEFAULTS[0], label="glyph (one character)", max_lines=1, scale=2)
                    pick = gr.Button("Random glyph", scale=1)
                t = common.timestep_slider(DEFAULTS[1], elem_id="noising-t")
                schedule = common.schedule_radio(DEFAULTS[2])
                seed = common.seed_number(DEFAULTS[3], label="noise seed")
                live = live_panel()
                player = frame_player("noising-player", "x_t from t = 0 to 999 plays here.", follows="noising-t")
            x_t = common.picture("x_t", elem_id="noising-xt", height=280, width=280)
            noise = common.picture("ε ~ N(0, I)", height=280, width=280)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                schedule_plot = common.plot(elem_id="noising-schedule")
            with gr.Column(scale=2, min_width=300):
                strip_plot = common.plot()
        with gr.Row(equal_height=False):
            with gr.Column(scale=2):
                dataset_plot = common.plot(elem_id="noising-map")
            with gr.Column(scale=3):
                row_plot = common.plot()

        inputs = [character, t, schedule, seed]
        all_outputs = [x_t, noise, schedule_plot, dataset_plot, live, strip_plot, row_plot]
        gr.on(triggers=[character.submit, schedule.input, seed.submit], fn=tab.noise_glyph, inputs=inputs,
              outputs=all_outputs, api_name="noise_glyph", preprocess=False, trigger_mode="always_last")
        pick.click(tab.random_character, inputs=None, outputs=character, api_name="random_character").then(
            tab.noise_glyph, inputs=inputs, outputs=all_outputs, api_name="noise_glyph_random",
            api_visibility="undocumented", preprocess=False,
        )
        gr.Examples(EXAMPLES, inputs=inputs, outputs=all_outputs, fn=tab.noise_glyph, run_on_click=True,
                    cache_examples=False, api_name="noise_glyph_example", preprocess=False,
                    label="Try: 锂 under both schedules, then other glyphs and steps")
        opening.on_load(lambda: tab.noise_glyph(*DEFAULTS), all_outputs, api_name="noise_glyph_initial")
        gr.on(triggers=[character.change, schedule.change, seed.change], fn=tab.play_frames,
              inputs=[character, schedule, seed], outputs=player, api_name="noising_frames", preprocess=False,
              trigger_mode="always_last", show_progress="hidden")
        opening.on_load(lambda: tab.play_frames(DEFAULTS[0], DEFAULTS[2], DEFAULTS[3]), [player],
                       api_name="noising_frames_initial")
