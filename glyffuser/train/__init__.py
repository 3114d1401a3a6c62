"""Training the glyph denoiser: ``python -m glyffuser.train`` (one process) or
``accelerate launch -m glyffuser.train`` (N processes).

    trainer      the training loop, checkpoints and export
    distributed  one process or N under Accelerate: the batch split, who writes, agreeing to stop
    presets      named networks (tiny, base, the article's 128x128) and ``--preset``
    caches       captions, uncaptioned glyphs and sample prompts, prepared once per run folder
    logs         the loss CSV, appended and joined across continued runs
    captions     many captions per glyph from its one Unihan definition
"""
