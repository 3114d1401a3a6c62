"""What the model learned, measured: ``python -m glyffuser.evaluate``.

    measures     radical share, variety, copies, distinct nearest glyphs, Fréchet distance
    classifier   the radical classifier, the independent judge (``python -m glyffuser.evaluate.classifier``)
    prompt_sets  the README prompts and the held-out prompts fixed before training
"""
