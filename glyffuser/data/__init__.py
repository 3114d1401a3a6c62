"""The glyph dataset: Unihan definitions and Noto Sans CJK SC glyphs, and its 2-D map.

``python -m glyffuser.data build`` rebuilds ``assets/glyphs.npz`` from the sources;
``python -m glyffuser.data map`` recomputes ``assets/glyph_map.npz``; ``lookup`` and ``structure``
find glyphs and read their layout.
"""

from glyffuser.data.store import DatasetError, Glyphs, load_glyphs, load_map

__all__ = ["DatasetError", "Glyphs", "GlyphDataset", "load_glyphs", "load_map"]


def __getattr__(name):
    if name == "GlyphDataset":  # keeps torch out of light imports
        from glyffuser.data.dataset import GlyphDataset

        return GlyphDataset
    raise AttributeError(name)
