"""The glyph dataset: Unihan parsing, rendering, determinism, loader errors, the map."""

import bz2
import json
import shutil

import numpy as np
import pytest

from glyffuser.data import DatasetError, load_glyphs, load_map
from glyffuser.data.build import build_arrays
from glyffuser.data.render import GlyphRenderer, find_font
from glyffuser.data.store import GLYPHS_FILE, MAP_FILE, read_arrays
from glyffuser.data.unihan import SourceMissingError, find_unihan, parse_radical_stroke, parse_unihan_lines, read_unihan


@pytest.fixture(scope="module")
def sources():
    """The Unihan files and the font; tests that rebuild rows skip when they are not installed."""
    try:
        return read_unihan()[0], find_font()
    except SourceMissingError as err:
        pytest.skip(f"dataset sources not installed: {err}")


def test_radical_stroke_forms():
    assert parse_radical_stroke("85.5").radical == 85
    simplified = parse_radical_stroke("167'.3")
    assert (simplified.radical, simplified.simplified, simplified.strokes) == (167, True, 3)
    assert parse_radical_stroke("120'.6 120.6").simplified
    assert parse_radical_stroke("213''.0").radical == 213
    assert parse_radical_stroke("1.-1").strokes == -1
    for bad in ("", "abc", "215.1", "0.3", "85"):
        with pytest.raises(ValueError):
            parse_radical_stroke(bad)


def test_parse_lines_keeps_wanted_fields_only():
    lines = ["# comment\n", "U+4E00\tkDefinition\tone; a, an; alone\n", "U+4E00\tkMandarin\tyī\n",
             "U+91D1\tkRSUnicode\t167.0\n", "garbage\n", "U+91D1\tkDefinition\tgold; metals in general\n"]
    table = parse_unihan_lines(lines)
    assert table == {0x4E00: {"kDefinition": "one; a, an; alone"},
                     0x91D1: {"kRSUnicode": "167.0", "kDefinition": "gold; metals in general"}}


def test_unihan_folder_and_missing_source(tmp_path):
    with bz2.open(tmp_path / "Unihan_Readings.txt.bz2", "wt") as handle:
        handle.write("# Unicode version: 99.0.0\nU+9485\tkDefinition\tpotassium\n")
    (tmp_path / "Unihan_IRGSources.txt").write_text("U+9485\tkRSUnicode\t167'.5\n")
    table, version = read_unihan(tmp_path)
    assert version == "99.0.0" and table[0x9485] == {"kDefinition": "potassium", "kRSUnicode": "167'.5"}
    with pytest.raises(SourceMissingError, match="apt-get install unicode-data"):
        find_unihan(tmp_path / "nowhere")
    with pytest.raises(SourceMissingError, match="fonts-noto-cjk"):
        find_font(tmp_path / "nofont.ttc")


def test_tofu_is_detected_and_counted(sources):
    face = sources[1]
    renderer = GlyphRenderer(face, 64)
    assert renderer.has_glyph("金") and not renderer.has_glyph("\U000F0000")  # private use: tofu
    unihan = {0x91D1: {"kDefinition": "gold", "kRSUnicode": "167.0"}, 0xF0000: {"kDefinition": "x", "kRSUnicode": "1.0"}}
    arrays, report = build_arrays(unihan, face, [0x91D1, 0xF0000, 0x4E01])
    assert list(arrays["codepoints"]) == [0x91D1]
    assert report.skipped == {"not in font (tofu)": 1, "no kDefinition": 1}


def test_build_is_deterministic_and_matches_shipped_rows(sources):
    glyphs = load_glyphs()
    unihan, face = sources
    picks = [int(c) for c in glyphs.codepoints[[0, 5, 777, 9000, len(glyphs) - 1]]]
    first, _ = build_arrays(unihan, face, picks)
    second, _ = build_arrays(unihan, face, picks)
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])
    rows = [glyphs.index_of(chr(c)) for c in picks]
    shipped, _ = read_arrays(GLYPHS_FILE, "glyph dataset", "build")
    for key in first:
        np.testing.assert_array_equal(first[key], shipped[key][rows])


def test_loader_fields():
    glyphs = load_glyphs()
    assert len(glyphs) > 14000 and glyphs.images.shape == (len(glyphs), 64, 64)
    assert glyphs.images.dtype == np.float32 and 0 <= glyphs.images.min() and glyphs.images.max() <= 1
    row = glyphs.index_of("金")
    assert glyphs.radicals[row] == 167 and "gold" in glyphs.definitions[row]
    assert glyphs.simplified[glyphs.index_of("钅")] if "钅" in glyphs.chars else True
    assert glyphs.images[row].mean() > 0.05  # ink, not paper
    with pytest.raises(KeyError):
        glyphs.index_of("A")


def test_loader_errors(tmp_path):
    with pytest.raises(DatasetError, match="missing"):
        load_glyphs(tmp_path / "absent.npz")
    shutil.copy(GLYPHS_FILE, tmp_path / "glyphs.npz")
    shutil.copy(GLYPHS_FILE.with_suffix(".json"), tmp_path / "glyphs.json")
    with open(tmp_path / "glyphs.npz", "r+b") as handle:
        handle.seek(1000)
        handle.write(b"\x00corrupt\x00")
    with pytest.raises(DatasetError, match="sha256"):
        load_glyphs(tmp_path / "glyphs.npz")
    (tmp_path / "glyphs.json").write_text("{not json")
    with pytest.raises(DatasetError, match="unreadable"):
        load_glyphs(tmp_path / "glyphs.npz")


def test_manifest_credits_sources():
    manifest = json.loads(GLYPHS_FILE.with_suffix(".json").read_text())
    assert manifest["count"] == len(load_glyphs()) and manifest["font"] == "Noto Sans CJK SC"
    assert "Unicode" in manifest["licences"]["Unihan"] and "Open Font" in manifest["licences"]["Noto Sans CJK"]
    assert manifest["bytes"] <= 25e6


def test_map_shape_and_coverage():
    coords = load_map()
    assert coords.shape == (len(load_glyphs()), 2) and np.isfinite(coords).all()
    assert coords.std(0).min() > 0.5  # spread out, not collapsed
    # neighbours on the map share radicals more often than random pairs do
    glyphs = load_glyphs()
    from sklearn.neighbors import NearestNeighbors

    _, idx = NearestNeighbors(n_neighbors=2).fit(coords).kneighbors(coords[:2000])
    same = (glyphs.radicals[idx[:, 0]] == glyphs.radicals[idx[:, 1]]).mean()
    random = (glyphs.radicals[:2000] == np.random.default_rng(0).permutation(glyphs.radicals)[:2000]).mean()
    assert same > 3 * random
    params = json.loads(MAP_FILE.with_suffix(".json").read_text())["params"]
    assert params["n_neighbors"] > 0


def test_extension_a_leaves_out_the_evaluation_prompts(sources):
    from glyffuser.data.build import evaluation_definitions
    from glyffuser.evaluate.prompt_sets import HELD_OUT_PROMPTS, README_PROMPTS, VALIDATION_PROMPTS

    excluded = evaluation_definitions()
    assert set(HELD_OUT_PROMPTS) <= excluded and set(VALIDATION_PROMPTS) <= excluded
    assert not set(README_PROMPTS) & excluded  # the README's prompts stay captions
    unihan, face = sources
    kept, report = build_arrays(unihan, face, [0x4C85, 0x3400, 0x3A1E], exclude_definitions=excluded)
    assert 0x4C85 not in kept["codepoints"] and 0x3A1E not in kept["codepoints"]  # 䲅 and 㨞 define held-out prompts
    assert report.skipped["an evaluation prompt"] == 2
    assert list(kept["codepoints"]) == [0x3400] and not set(kept["definitions"]) & excluded


def test_training_glyphs_read_the_dataset_and_extension_a_as_one_without_copying():
    from glyffuser.data.store import load_extension_a, training_glyphs
    from glyffuser.evaluate.measures import _reference_32

    dataset, extension = load_glyphs(), load_extension_a()
    both = training_glyphs(True)
    assert both.parts[0] is dataset and both.parts[1] is extension  # no concatenated copy
    assert len(both) == len(dataset) + len(extension) and len(training_glyphs(False)) == len(dataset)
    n = len(dataset)
    picked = both.take([n + 1, 0, n - 1, len(both) - 1])
    assert list(picked.chars) == [extension.chars[1], dataset.chars[0], dataset.chars[-1], extension.chars[-1]]
    assert np.array_equal(picked.images[0], extension.images[1]) and picked.images.dtype == np.float32
    assert picked.definitions[3] == extension.definitions[-1]  # a longer definition is not cut to the first part's width
    with pytest.raises(IndexError):
        both.take([len(both)])
    # the dataset's 32x32 reference is a view of the one with Extension A: held once
    assert np.shares_memory(_reference_32(False), _reference_32(True)) and len(_reference_32(True)) == len(both)
