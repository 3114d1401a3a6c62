"""Training the glyph denoiser: ``python -m glyffuser.train``.

    trainer   the training loop, checkpoints and export
    captions  many captions per glyph from its one Unihan definition
"""
