"""Glyffuser: a small text-to-glyph diffusion model and the tools around it.

Subpackages, in the order the data flows:
    data           the glyph dataset (Unihan definitions, Noto Sans CJK glyphs), its 2-D map, lookups
    diffusion      schedules, the forward process, its posterior, samplers, trajectories
    distributions  the small 1-D and 2-D distributions the course computes exactly
    model          the text encoder, the conditional U-Net and the sampling pipeline
    train          training (``python -m glyffuser.train``)
    evaluate       radical classifier, variety, copies, Fréchet distance (``python -m glyffuser.evaluate``)
Modules:
    images         glyph arrays as grids and animations
    sample         command-line sampling (``python -m glyffuser.sample``)
"""


def load_pipeline(*args, **kwargs):
    """Load the shipped text-to-glyph pipeline (see :func:`glyffuser.model.pipeline.load_pipeline`)."""
    from glyffuser.model.pipeline import load_pipeline as _load

    return _load(*args, **kwargs)
