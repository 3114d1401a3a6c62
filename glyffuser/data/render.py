"""Rendering glyphs from Noto Sans CJK SC into small greyscale arrays.

Each glyph is drawn at 4x the target size, its em square scaled to the canvas
less a margin, shifted so the centre of its ink box sits at the canvas centre,
and box-filtered down. Arrays hold ink coverage: 1 = ink, 0 = paper.
Characters the font lacks (it would draw .notdef, "tofu") are detected from
the font's character map, not from pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTCollection, TTFont
from PIL import Image, ImageDraw, ImageFont

from glyffuser.data.unihan import SourceMissingError

FONT_FAMILY = "Noto Sans CJK SC"
DEFAULT_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
SUPERSAMPLE = 4
MARGIN = 0.06  # share of the canvas left blank on each side of the em square


@dataclass(frozen=True)
class FontFace:
    """One face of a font file: its path, index in a collection, names and cmap."""

    path: Path
    index: int
    name: str
    version: str
    cmap: frozenset


def _face_names(font: TTFont) -> tuple[str, str]:
    names = font["name"]
    return names.getDebugName(4) or "", names.getDebugName(5) or ""


def find_font(override: str | Path | None = None, family: str = FONT_FAMILY) -> FontFace:
    """Locate the face ``family`` in the override path or the usual Debian/PyPI places.

    Raises:
        SourceMissingError: naming what to install when the font is not found.
    """
    candidates = [Path(override)] if override else [Path(p) for p in DEFAULT_FONT_PATHS]
    if not override:
        try:  # PyPI package manimgx-fonts-cjk, if installed
            import importlib.util

            spec = importlib.util.find_spec("manimgx_fonts_cjk")
            if spec and spec.submodule_search_locations:
                for folder in spec.submodule_search_locations:
                    candidates += sorted(Path(folder).rglob("NotoSansCJK*Regular*.[ot]t[cf]"))
        except ImportError:
            pass
    for path in candidates:
        if not path.is_file():
            continue
        fonts = TTCollection(str(path)).fonts if path.suffix.lower() == ".ttc" else [TTFont(str(path))]
        for index, font in enumerate(fonts):
            name, version = _face_names(font)
            if name.startswith(family):
                return FontFace(path, index, name, version, frozenset(font.getBestCmap()))
    where = str(override) if override else ", ".join(DEFAULT_FONT_PATHS)
    raise SourceMissingError(
        f"Font '{family}' not found in {where}. Install it with `apt-get install fonts-noto-cjk` "
        "(or `pip install manimgx-fonts-cjk`), or pass --font with a path to NotoSansCJK-Regular.ttc."
    )


class GlyphRenderer:
    """Draws characters of one font face as (size, size) float32 ink arrays."""

    def __init__(self, face: FontFace, size: int = 64):
        self.face = face
        self.size = size
        self._big = size * SUPERSAMPLE
        em = round(self._big * (1 - 2 * MARGIN))
        self._font = ImageFont.truetype(str(face.path), em, index=face.index)

    def has_glyph(self, char: str) -> bool:
        """True when the font maps ``char`` to a real glyph (not .notdef)."""
        return ord(char) in self.face.cmap

    def render(self, char: str) -> np.ndarray:
        """Render one character.

        Returns:
            (size, size) float32 array in [0, 1], 1 = ink, ink box centred.
        """
        canvas = Image.new("L", (self._big, self._big), 0)
        draw = ImageDraw.Draw(canvas)
        left, top, right, bottom = draw.textbbox((0, 0), char, font=self._font)
        x = (self._big - (right - left)) / 2 - left
        y = (self._big - (bottom - top)) / 2 - top
        draw.text((round(x), round(y)), char, font=self._font, fill=255)
        small = canvas.resize((self.size, self.size), Image.Resampling.BOX)
        return np.asarray(small, dtype=np.float32) / 255.0
