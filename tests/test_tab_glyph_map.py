"""Tab 2, "The glyph data": what its text states about the data, the map's two families
and the glyph as numbers, checked against the shipped data, map and model.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from glyffuser.data.structure import structure_scores
from glyffuser.model.pipeline import MODEL_DIR
from tabs import glyph_map, resources
from viz.glyph_map import label_offsets, pixel_figure


@pytest.fixture(scope="module")
def tab():
    return glyph_map.GlyphMapTab(resources)


def test_text_says_what_the_data_and_the_model_are():
    data = resources.glyphs()
    assert data.images.shape[1:] == (64, 64)
    assert "64 \\times 64" in glyph_map.INTRO and "4,096" in glyph_map.INTRO
    assert "50 principal components" in glyph_map.INTRO
    from glyffuser.data.map import MAP_PARAMS

    assert MAP_PARAMS["pca_components"] == 50  # the map is computed from the 64 x 64 images' 50 components
    size = json.loads((MODEL_DIR / "config.json").read_text())["image_size"]
    note = glyph_map.model_size_note()
    assert f"{size} × {size}" in note and (size == 64 or f"{size * size:,} numbers" in note)


def test_structure_rule_on_the_articles_examples():
    data = resources.glyphs()
    rows = [data.index_of(c) for c in "明好湖林草花想"]
    side = structure_scores(data.images[rows]) > 0
    assert side.tolist() == [True, True, True, True, False, False, False]


def test_structure_numbers_as_stated(tab):
    check = tab.structure_check()
    text = tab.structure_text()
    assert check["agree"] > check["chance"] + 0.15  # the map keeps the families apart
    for key in ("agree", "chance", "left_ok", "top_ok"):
        assert f"{check[key]:.0%}" in text
    assert f"{check['left_n']:,}" in text and f"{check['top_n']:,}" in text
    assert check["left_ok"] > 0.7 and check["top_ok"] > 0.85
    # "the stacked glyphs gather in the lower part of the map, the side-by-side ones above"
    points, side = resources.glyph_map(), tab.side_by_side()
    assert points[~side, 1].mean() < points[side, 1].mean() - 0.5 * points[:, 1].std()


def test_highlighted_glyphs_draw_on_top_with_labels_apart(tab):
    figure, summary, _, _ = tab.glyph_map("structure (side by side or stacked)", "", "明 草 花 好")
    assert figure.data[-1].type == "scattergl" and figure.data[-1].marker.color == "#d62728"  # drawn last
    labels = [a.text for a in figure.layout.annotations]
    assert sorted(labels) == sorted("明草花好") and "Marked in red: 明, 草, 花, 好." in summary
    # labels of close points go different ways
    pts = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1]])
    offsets = np.array(label_offsets(pts, np.array([[0.0, 0.0], [10.0, 10.0]])))
    ends = pts / 10 * 600 * np.array([1, -1]) + offsets
    assert min(np.linalg.norm(ends[i] - ends[j]) for i in range(3) for j in range(i)) > 40


def test_glyph_as_numbers():
    data = resources.glyphs()
    ink = data.images[data.index_of("明")]
    fig = pixel_figure(ink, "明")
    z = np.asarray(fig.data[0].z)
    assert z.shape == (16, 16)
    np.testing.assert_allclose(z, ink.reshape(16, 4, 16, 4).mean(axis=(1, 3)))
    assert fig.data[0].texttemplate == "%{z:.1f}"


def test_a_glyphs_details_are_computed_once_for_every_student_who_picks_it(tab):
    first = tab.glyph_details("锂")
    again = tab.glyph_details("锂")
    assert all(a is b for a, b in zip(first, again))  # a class clicking the glyph the teacher names
    assert tab.glyph_details("明")[1] != first[1] and "lithium" in first[1]
    from tabs.serving import shared_runs

    kept = dict(shared_runs.CALLS._results)  # the model's one-shot results are not pushed out by browsing
    for code in range(0x4E00, 0x4E00 + shared_runs.DETAILS_KEPT + 8):
        tab.glyph_details(chr(code))
    assert dict(shared_runs.CALLS._results) == kept and len(shared_runs.DETAILS._results) == shared_runs.DETAILS_KEPT


def test_the_opening_pick_is_the_pick_the_page_starts_with(tab):
    """The page's pick starts as the default search's first match, so opening it sets off no change event."""
    assert tab.glyph_map(*glyph_map.DEFAULTS)[3] == glyph_map.DEFAULTS[2]
