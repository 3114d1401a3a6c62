"""Building the glyph dataset from Unihan and Noto Sans CJK SC.

Every code point in the CJK Unified Ideographs block (U+4E00-U+9FFF) that has a
``kDefinition``, a ``kRSUnicode`` and a real glyph in the font becomes one row.
The shipped file is 64x64; ``--size 128`` renders the article's 128x128 glyphs
(to another file: ``data/glyphs128.npz`` by default), ``--limit N`` only the first N
code points of the block (a quick check of the sources). ``--extension-a`` appends
CJK Extension A (U+3400-U+4DBF, about 6,000 more defined characters) for training,
leaving out every character whose definition is one of the evaluation's prompts
(the held-out and validation sets of :mod:`glyffuser.evaluate.prompt_sets`), so that none of
them is an Extension A caption; at 64x64 it also writes those rows alone to
``assets/glyphs_extension_a.npz``, with which the app and the evaluation tell a model's copies
from its new glyphs.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glyffuser.data.render import FontFace, GlyphRenderer, find_font
from glyffuser.data.store import EXTENSION_A_FILE, GLYPHS_FILE, save_arrays
from glyffuser.data.unihan import parse_radical_stroke, read_unihan

BLOCK = (0x4E00, 0x9FFF)
EXTENSION_A = (0x3400, 0x4DBF)
IMAGE_SIZE = 64
LICENCES = {
    "Unihan": "Unicode License v3 (https://www.unicode.org/license.txt), (c) Unicode, Inc.",
    "Noto Sans CJK": "SIL Open Font License 1.1 (https://openfontlicense.org), (c) Adobe / Google",
}


@dataclass
class BuildReport:
    """What a build kept and skipped, and why."""

    kept: int = 0
    skipped: Counter = field(default_factory=Counter)
    seconds: float = 0.0


def select_rows(unihan: dict, renderer: GlyphRenderer, codepoints, exclude_definitions=frozenset()) -> tuple[list, Counter]:
    """Pick the code points to keep.

    Args:
        exclude_definitions: definitions whose characters are left out (the evaluation's prompts).

    Returns:
        ([(codepoint, definition, RadicalStroke)], Counter of skip reasons).
    """
    rows, skipped = [], Counter()
    for cp in codepoints:
        fields = unihan.get(cp, {})
        if "kDefinition" not in fields:
            skipped["no kDefinition"] += 1
            continue
        if fields["kDefinition"] in exclude_definitions:
            skipped["an evaluation prompt"] += 1
            continue
        if not renderer.has_glyph(chr(cp)):
            skipped["not in font (tofu)"] += 1
            continue
        try:
            rs = parse_radical_stroke(fields.get("kRSUnicode", ""))
        except ValueError:
            skipped["no kRSUnicode"] += 1
            continue
        rows.append((cp, fields["kDefinition"], rs))
    return rows, skipped


def build_arrays(unihan: dict, face: FontFace, codepoints=range(BLOCK[0], BLOCK[1] + 1), size: int = IMAGE_SIZE,
                 exclude_definitions=frozenset()):
    """Render and collect the dataset arrays (see :mod:`glyffuser.data.store`).

    Returns:
        (arrays dict with images (N, size, size) uint8, BuildReport).
    """
    start = time.perf_counter()
    renderer = GlyphRenderer(face, size)
    rows, skipped = select_rows(unihan, renderer, codepoints, exclude_definitions)
    images = np.zeros((len(rows), size, size), np.uint8)
    for i, (cp, _, _) in enumerate(rows):
        ink = renderer.render(chr(cp))
        if ink.max() == 0:  # a mapped but empty glyph is tofu too
            skipped["blank glyph"] += 1
        images[i] = np.round(ink * 255).astype(np.uint8)
    keep = images.reshape(len(rows), size * size).max(axis=1) > 0
    rows = [row for row, k in zip(rows, keep) if k]
    arrays = {
        "images": images[keep],
        "codepoints": np.array([cp for cp, _, _ in rows], np.int32),
        "definitions": np.array([d for _, d, _ in rows], dtype=str),
        "radicals": np.array([rs.radical for _, _, rs in rows], np.int16),
        "strokes": np.array([rs.strokes for _, _, rs in rows], np.int16),
        "simplified": np.array([rs.simplified for _, _, rs in rows], bool),
    }
    return arrays, BuildReport(len(rows), skipped, time.perf_counter() - start)


def default_out(size: int, extension_a: bool = False) -> Path:
    """Where ``build`` writes: the shipped file at 64, ``data/glyphs<size>[_exta].npz`` otherwise."""
    if size == IMAGE_SIZE and not extension_a:
        return GLYPHS_FILE
    return GLYPHS_FILE.parents[1] / "data" / f"glyphs{size}{'_exta' if extension_a else ''}.npz"


def evaluation_definitions() -> frozenset:
    """The held-out and validation prompts: no Extension A character with one of these as its definition is trained on."""
    from glyffuser.evaluate.prompt_sets import HELD_OUT_PROMPTS, VALIDATION_PROMPTS

    return frozenset(HELD_OUT_PROMPTS) | frozenset(VALIDATION_PROMPTS)


def build(unihan_source=None, font_source=None, out: Path | None = None, size: int = IMAGE_SIZE,
          limit: int = 0, extension_a: bool = False) -> tuple[dict, BuildReport]:
    """Build the dataset from its sources and write it with its manifest.

    Args:
        out: the .npz to write (default :func:`default_out`).
        size: glyph side in pixels (64 is the shipped dataset; 128 the article's).
        limit: render only the first ``limit`` code points of the block (0: all).
        extension_a: append CJK Extension A after the block (rows 0..N-1 stay the block's),
            leaving out the characters defined by an evaluation prompt.

    Returns:
        (manifest dict, BuildReport).
    """
    if size < 8 or size > 512:
        raise ValueError(f"--size {size}: choose a side between 8 and 512 pixels")
    out = Path(out) if out else default_out(size, extension_a)
    unihan, version = read_unihan(unihan_source)
    face = find_font(font_source)
    last = BLOCK[1] + 1 if not limit else min(BLOCK[0] + limit, BLOCK[1] + 1)
    arrays, report = build_arrays(unihan, face, range(BLOCK[0], last), size)
    description = "CJK Unified Ideographs U+4E00-U+9FFF"
    if extension_a:
        extra, extra_report = build_arrays(unihan, face, range(EXTENSION_A[0], EXTENSION_A[1] + 1), size,
                                           evaluation_definitions())
        arrays = {key: np.concatenate([arrays[key], extra[key]]) for key in arrays}
        report = BuildReport(report.kept + extra_report.kept, report.skipped + extra_report.skipped,
                             report.seconds + extra_report.seconds)
        description += " then Extension A U+3400-U+4DBF (the characters a held-out or validation prompt defines left out)"
        if size == IMAGE_SIZE:  # the app tells copies from new glyphs among everything the model saw
            save_arrays(EXTENSION_A_FILE, extra, {
                "description": "the Extension A rows of the training data (build --extension-a), after assets/glyphs.npz",
                "unihan_version": version, "font": face.name, "font_version": face.version, "image_size": size,
                "count": extra_report.kept, "licences": LICENCES})
    manifest = {
        "description": f"{description} with an English kDefinition, rendered in Noto Sans CJK SC",
        "unihan_version": version,
        "font": face.name,
        "font_version": face.version,
        "image_size": size,
        "count": report.kept,
        "skipped": dict(report.skipped),
        "block": [f"U+{BLOCK[0]:04X}", f"U+{last - 1:04X}"],
        "extension_a": extension_a,
        "licences": LICENCES,
    }
    return save_arrays(out, arrays, manifest), report


def uncaptioned_images(unihan_source=None, font_source=None, codepoints=range(BLOCK[0], BLOCK[1] + 1),
                       size: int = IMAGE_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """The block's glyphs that have no ``kDefinition``: examples without a caption.

    They teach the unconditional model (the null prompt) more shapes than the
    captioned rows alone. Needs the same sources as :func:`build`.

    Returns:
        (images (U, size, size) uint8 ink, codepoints (U,) int32), blank and tofu glyphs left out.
    """
    unihan, _ = read_unihan(unihan_source)
    renderer = GlyphRenderer(find_font(font_source), size)
    chosen = [cp for cp in codepoints if "kDefinition" not in unihan.get(cp, {}) and renderer.has_glyph(chr(cp))]
    images = np.stack([np.round(renderer.render(chr(cp)) * 255).astype(np.uint8) for cp in chosen])
    keep = images.reshape(len(chosen), -1).max(axis=1) > 0
    return images[keep], np.array(chosen, np.int32)[keep]
