"""Tab 2, "The glyph data": the UMAP map of all glyphs, their density, search and samples.

API:
    /glyph_map(colour_by, colour_word, query) -> (map figure, summary, matches as HTML cards, picked character)
    /glyph_details(character) -> (picture, details, the glyph as numbers)
    /random_glyphs(seed) -> (HTML cards, next seed)
"""

from __future__ import annotations

import gradio as gr
import numpy as np

from glyffuser.data.lookup import definition_mask, find, radical_name, radical_symbol, random_rows, top_radicals
from tabs import common, explain, opening, validate
from tabs.serving import shared_runs
from viz.pictures import ink_picture

TITLE = "2 · The glyph data"

INTRO = r"""
### The data: 14,486 glyphs as points
Each training example is a $64 \times 64$ greyscale image: 4,096 numbers, one per pixel
(0 = paper, 1 = ink). So a glyph is a vector $\mathbf{x} = (x_1, \dots, x_{4096})$, a point in a
4,096-dimensional *pixel space* (below the map: a glyph as numbers), and the dataset is a
sample from an unknown distribution $q(\mathbf{x})$ there. {model_size}
To look at the data, each $64 \times 64$ image is reduced to its 50 principal components and
then projected to two dimensions with UMAP, which keeps images that look alike close
together; a kernel density estimate of the projected points,

$$\hat q(\mathbf{y}) = \frac{1}{N}\sum_{i=1}^{N} \mathcal N\!\left(\mathbf{y};\, \mathbf{y}_i,\, H\right),$$

drawn as contours, gives a picture of where $q$ is concentrated. Glyphs sharing a radical
(the component that often hints at meaning, such as 氵 for water) tend to gather in the same
regions. Hover a point for its character and definition, click it to see the glyph, search a
character or an English word, or colour the map by a word of the definitions or by structure.
"""

STRUCTURE = """
#### Two families: side by side and stacked
Many glyphs are built from two parts, either side by side (明 = 日 + 月) or stacked (草 = 艹
over 早). Colour the map by structure: the stacked glyphs gather in the lower part of the
map, the side-by-side ones above. Of each glyph's 15 nearest neighbours on the map,
{agree:.0%} have the same structure ({chance:.0%} would if the map ignored it).
How each glyph is sorted: the data has no structure field, so it is read from the ink. A
side-by-side glyph leaves a column with little ink between its parts, a stacked one a row;
the glyph counts as side by side when the emptiest column in its middle half holds less ink
than the emptiest row. Checked against the radicals' usual places, this rule calls
{left_ok:.0%} of the {left_n:,} glyphs with a left-side radical (亻 氵 扌 讠 纟 钅) side by side
and {top_ok:.0%} of the {top_n:,} with a top radical (艹 ⺮ 雨 宀) stacked: by these checks
about one glyph in {one_in} is sorted wrongly.
"""

NUMBERS = r"""
#### A glyph as numbers
This is all a model sees of a glyph: numbers. The picture is averaged over $4 \times 4$
blocks so that each can be labelled; the data itself holds $64 \times 64$ of them. Click a
point of the map or search a character to see another.
"""

def model_size_note() -> str:
    """What the shipped model works at, read from its config (the text follows the model)."""
    size = common.shipped_model_config().get("image_size")
    if not size:
        return ""
    if size == 64:
        return "The model shipped with the explorer works on these 64 × 64 images as they are."
    return (f"The model shipped with the explorer works at {size} × {size} ({size * size:,} numbers: "
            f"each {64 // size} × {64 // size} block of pixels averaged into one).")


COLOUR_MODES = ("radical", "definition contains the word", "structure (side by side or stacked)")
NUM_RADICAL_GROUPS = 12
MAX_GALLERY = 24
DEFAULTS = ("radical", "water", "锂")
EXAMPLES = [
    ["radical", "", "锂"],
    ["structure (side by side or stacked)", "", "明 草"],
    ["definition contains the word", "water", "河 湖 海 江 洋"],
    ["definition contains the word", "metal", "gold"],
    ["radical", "", "fish"],
]


class GlyphMapTab:
    """The tab's functions, bound to the shared resources."""

    def __init__(self, resources):
        self.res = resources
        self._structure = None

    def side_by_side(self) -> np.ndarray:
        """``(N,)`` bool: the glyphs :func:`glyffuser.data.structure.side_by_side` calls side by side."""
        if self._structure is None:
            from glyffuser.data.structure import side_by_side

            self._structure = side_by_side(self.res.glyphs().images)
        return self._structure

    def structure_check(self) -> dict:
        """The numbers the structure text states (:func:`glyffuser.data.structure.structure_check`):
        neighbour agreement on the map and the rule's agreement with the radicals' usual places."""
        from dataclasses import asdict

        from glyffuser.data.structure import structure_check

        return asdict(structure_check(self.side_by_side(), self.res.glyphs().radicals, self.res.glyph_map()))

    def _groups(self, colour_by: str, word: str) -> tuple[list, str]:
        from viz.glyph_map import GROUP_COLORS, OTHER_COLOR, PointGroup

        glyphs = self.res.glyphs()
        everyone = np.arange(len(glyphs))
        if colour_by == "radical":
            top = top_radicals(glyphs.radicals, NUM_RADICAL_GROUPS)
            in_top = np.isin(glyphs.radicals, [r for r, _ in top])
            groups = [PointGroup("other radicals", everyone[~in_top], OTHER_COLOR)]
            for (radical, count), color in zip(top, GROUP_COLORS):
                label = f"{radical_name(glyphs, radical)} ({count})"
                groups.append(PointGroup(label, np.flatnonzero(glyphs.radicals == radical), color))
            return groups, f"Coloured by the {NUM_RADICAL_GROUPS} most common radicals."
        if colour_by == COLOUR_MODES[2]:
            side = self.side_by_side()
            groups = [PointGroup(f"side by side, like 明 ({side.sum():,})", everyone[side], GROUP_COLORS[0]),
                      PointGroup(f"stacked, like 草 ({(~side).sum():,})", everyone[~side], GROUP_COLORS[1])]
            return groups, "Coloured by structure, as read from the ink (see below the map)."
        mask = definition_mask(glyphs, word)
        groups = [
            PointGroup("other definitions", everyone[~mask], OTHER_COLOR),
            PointGroup(f"definition contains “{word}” ({mask.sum():,})", everyone[mask], "#f28e2b"),
        ]
        if not word:
            return groups[:1], "Type a word to colour the glyphs whose definition contains it."
        return groups, f"{mask.sum():,} definitions contain “{word}”."

    def _cards(self, indices, empty: str = "") -> str:
        from viz.glyph_map import glyph_cards

        glyphs = self.res.glyphs()
        return glyph_cards([ink_picture(glyphs.images[i], scale=1) for i in indices],
                           [str(glyphs.chars[i]) for i in indices], [str(glyphs.definitions[i]) for i in indices],
                           empty=empty)

    def structure_text(self) -> str:
        """The structure section's details (without its heading) with their measured numbers."""
        return explain.split_heading(STRUCTURE.format(**self.structure_check()))[1]

    @validate.guarded("Drawing the glyph map")
    def glyph_map(self, colour_by, colour_word, query):
        """The map coloured by radical or by a word, with the glyphs matching ``query`` ringed.

        Returns:
            (map figure, Markdown summary, HTML cards of the matches (at most 24), first
            matching character or "" for the picked-glyph box).
        """
        from viz.glyph_map import map_figure

        colour_by = validate.choice(colour_by, "colour by", COLOUR_MODES)
        colour_word = validate.text(colour_word, "colour word", max_len=60)
        query = validate.text(query, "search", max_len=60)
        glyphs = self.res.glyphs()
        groups, colour_note = self._groups(colour_by, colour_word)

        lines = [colour_note]
        matches = np.array([], dtype=np.int64)
        highlight_name = "matches"
        if query:
            found = find(glyphs, query)
            matches = found.indices
            if found.kind == "characters":
                highlight_name = "searched characters"
                if len(matches):
                    lines.append("Marked in red: " + ", ".join(glyphs.chars[matches]) + ".")
                if found.missing:
                    lines.append("Not in the dataset: " + ", ".join(found.missing) + ".")
            else:
                highlight_name = f"“{query}” in definition"
                lines.append(f"{len(matches):,} definitions contain “{query}” (marked in red).")
        grid_x, grid_y, density = self.res.map_density()
        fig = map_figure(
            self.res.glyph_map(), grid_x, grid_y, density, self.res.map_hover(), groups,
            highlight=matches, highlight_name=highlight_name,
        )
        shown = matches[:MAX_GALLERY]
        if len(matches) > MAX_GALLERY:
            lines.append(f"The gallery shows the first {MAX_GALLERY}.")
        first = str(glyphs.chars[matches[0]]) if len(matches) else ""
        cards = self._cards(shown, empty="No glyph matches the search." if query else "")
        return fig, "  \n".join(lines), cards, first

    @validate.guarded("Showing the glyph")
    def glyph_details(self, character):
        """One glyph, large, with its definition and radical.

        Returns:
            (64 x 64 picture, Markdown details, the glyph as 16 x 16 labelled numbers);
            an empty input gives (None, "", None).
        """
        if character is None or (isinstance(character, str) and not character.strip()):
            return None, "", None
        glyphs = self.res.glyphs()
        i = validate.character(character, glyphs)
        # students picking the same glyph (a teacher's "click 金") share one computation, kept apart
        # from the model's one-shot results so that browsing glyphs never pushes those out
        return shared_runs.DETAILS(("glyph_details", id(glyphs), i), lambda: self._details(glyphs, i))

    @staticmethod
    def _details(glyphs, i: int):
        from viz.glyph_map import pixel_figure

        radical = int(glyphs.radicals[i])
        form = "simplified form" if glyphs.simplified[i] else "traditional form"
        details = (
            f"## {glyphs.chars[i]} &nbsp; <small>U+{int(glyphs.codepoints[i]):04X}</small>\n"
            f"{glyphs.definitions[i]}\n\n"
            f"Radical {radical} {radical_symbol(radical)} ({radical_name(glyphs, radical)}, {form}) "
            f"+ {int(glyphs.strokes[i])} strokes."
        )
        return ink_picture(glyphs.images[i], scale=1), details, pixel_figure(glyphs.images[i], str(glyphs.chars[i]))

    @validate.guarded("Sampling glyphs")
    def random_glyphs(self, seed):
        """Twelve random rows of the dataset as HTML cards, and the next seed."""
        seed = validate.seed(seed)
        rows = random_rows(len(self.res.glyphs()), 12, seed)
        return self._cards(rows), (seed + 1) % (validate.MAX_SEED + 1)


def build_tab(resources) -> None:
    tab = GlyphMapTab(resources)
    with gr.Tab(TITLE, id="glyph-map"):
        explain.opening("glyph-map", INTRO.replace("{model_size}", model_size_note()))
        with gr.Row(equal_height=False):
            with gr.Column(scale=5):
                map_plot = common.plot(elem_id="glyph-map-plot")
            with gr.Column(scale=2, min_width=300):
                query = gr.Textbox(value=DEFAULTS[2], label="search", max_lines=1,
                                   placeholder="a character (锂) or an English word (metal)")
                colour_by = gr.Radio(list(COLOUR_MODES), value=DEFAULTS[0], label="colour the points by")
                colour_word = gr.Textbox(value=DEFAULTS[1], label="word (for “definition contains the word”)",
                                         max_lines=1)
                search = gr.Button("Update map", variant="primary")
                summary = common.note(elem_id="glyph-map-summary")
                # starts as the opening view's pick, so opening the page does not set off its change event:
                # the opening view brings that glyph's details itself
                pick = gr.Textbox(value=DEFAULTS[2], visible="hidden", elem_id="glyph-pick", label="picked glyph")
                picked = common.picture("clicked or searched glyph", height=280, width=280)
                details = common.note()
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=300):
                explain.section("glyph-as-numbers", NUMBERS, label="The details")
                # the structure text's numbers are measured when the page opens (``structure_text``)
                structure = explain.section("glyph-structure", explain.split_heading(STRUCTURE)[0],
                                            label="The details: how each glyph is sorted, and how well")
            with gr.Column(scale=1, min_width=300):
                numbers_plot = common.plot(elem_id="glyph-numbers")
        gr.Markdown("#### Search matches")
        matches = gr.HTML()
        gr.Markdown("#### Random rows of the dataset")
        with gr.Row(equal_height=False):
            sample_seed = common.seed_number(0, label="sample seed")
            sample = gr.Button("Show 12 random glyphs", variant="secondary")
        sample_cards = gr.HTML()

        map_inputs = [colour_by, colour_word, query]
        map_outputs = [map_plot, summary, matches, pick]
        gr.on(
            triggers=[query.submit, colour_word.submit, colour_by.input, search.click],
            fn=tab.glyph_map, inputs=map_inputs, outputs=map_outputs, api_name="glyph_map",
            preprocess=False, trigger_mode="always_last",
        )
        pick.change(tab.glyph_details, inputs=pick, outputs=[picked, details, numbers_plot], api_name="glyph_details",
                    preprocess=False, show_progress="minimal")
        sample.click(tab.random_glyphs, inputs=sample_seed, outputs=[sample_cards, sample_seed],
                     api_name="random_glyphs", preprocess=False)
        gr.Examples(EXAMPLES, inputs=map_inputs, outputs=map_outputs, fn=tab.glyph_map, run_on_click=True,
                    cache_examples=False, api_name="glyph_map_example", preprocess=False,
                    label="Try: a character, 明 and 草 on the two families, five waters, a word, a word on radicals")
        opening.on_load(lambda: (*tab.glyph_map(*DEFAULTS), *tab.random_glyphs(0), tab.structure_text(),
                                 *tab.glyph_details(DEFAULTS[2])),
                        [*map_outputs, sample_cards, sample_seed, structure, picked, details, numbers_plot],
                        api_name="glyph_map_initial")
