"""Glyffuser: a small text-to-glyph diffusion model and the tools around it.

Subpackages and modules:
    data       the glyph dataset (Unihan definitions, Noto Sans CJK glyphs) and its 2-D map
    density    kernel density estimates of 2-D point clouds on a grid
    exact_score  the exact score of a Gaussian mixture and probability-flow particles
    mle        maximum-likelihood fit of a 1-D Gaussian
    schedule   noise schedules and the forward process q(x_t | x_0) (Ho et al. 2020)
    text       the pretrained text encoder
    model      the conditional U-Net
    train      training and guidance distillation (``python -m glyffuser.train``)
    batch_split  a batch as halves on the CPU's cores
    pipeline   sampling (``glyffuser.load_pipeline()``, ``python -m glyffuser.sample``)
    evaluate   radical classifier and Fréchet distance
"""


def load_pipeline(*args, **kwargs):
    """Load the shipped text-to-glyph pipeline (see :func:`glyffuser.pipeline.load_pipeline`)."""
    from glyffuser.pipeline import load_pipeline as _load

    return _load(*args, **kwargs)
