"""Glyffuser: a small text-to-glyph diffusion model and the tools around it.

Subpackages and modules:
    data       the glyph dataset (Unihan definitions, Noto Sans CJK glyphs) and its 2-D map
    density    kernel density estimates and exact scores of 2-D point clouds
    schedule   noise schedules and the forward process q(x_t | x_0) (Ho et al. 2020)
    text       the pretrained text encoder
    model      the conditional U-Net
    train      training (``python -m glyffuser.train``)
    pipeline   sampling (``glyffuser.load_pipeline()``, ``python -m glyffuser.sample``)
    evaluate   radical classifier and Fréchet distance
"""


def load_pipeline(*args, **kwargs):
    """Load the shipped text-to-glyph pipeline (see :func:`glyffuser.pipeline.load_pipeline`)."""
    from glyffuser.pipeline import load_pipeline as _load

    return _load(*args, **kwargs)
