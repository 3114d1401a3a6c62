"""Caption augmentation: many captions per glyph from the one definition Unihan gives.

One fixed caption per image is the setting in which text-to-image diffusion models
copy their training data most (Somepalli et al. 2023, "Understanding and Mitigating
Copying in Diffusion Models"): each caption gets one memorised answer. A Unihan
``kDefinition`` lists senses separated by ";" and ","; a variant keeps a random
non-empty subset of them in a random order, and drops words at random inside each
kept sense (never all of a sense's words). Variant 0 is the definition as it is.

    >>> senses("bright, radiant; clear")
    ['bright', 'radiant', 'clear']
"""

from __future__ import annotations

import re

import numpy as np

_SENSE_SPLIT = re.compile(r"[;,]")
_PARENS = re.compile(r"\([^)]*\)")


def senses(definition: str) -> list[str]:
    """The senses of a definition, split at ";" and ",", stripped, empty ones dropped.

    Parenthesised notes such as "(same as 鋆)" are removed first, unless nothing else is left.
    """
    text = _PARENS.sub(" ", definition)
    parts = [" ".join(p.split()) for p in _SENSE_SPLIT.split(text)]
    parts = [p for p in parts if p]
    if not parts:
        parts = [" ".join(p.split()) for p in _SENSE_SPLIT.split(definition) if p.strip()]
    return parts or [definition.strip()]


def drop_words(sense: str, rng: np.random.Generator, rate: float) -> str:
    """``sense`` with each word dropped with probability ``rate``; at least one word stays."""
    words = sense.split()
    keep = rng.random(len(words)) >= rate
    if not keep.any():
        keep[rng.integers(len(words))] = True
    return " ".join(w for w, k in zip(words, keep) if k)


def augment(definition: str, rng: np.random.Generator, word_dropout: float = 0.15) -> str:
    """One random caption drawn from ``definition``: a subset of its senses, reordered, with word dropout."""
    parts = senses(definition)
    count = int(rng.integers(1, len(parts) + 1))
    chosen = [parts[i] for i in rng.permutation(len(parts))[:count]]
    chosen = [drop_words(s, rng, word_dropout) for s in chosen]
    separator = "; " if rng.random() < 0.5 else ", "
    return separator.join(chosen)


def caption_variants(definitions, count: int, seed: int = 0, word_dropout: float = 0.15) -> list[list[str]]:
    """``count`` captions per definition, deterministic under ``seed``.

    Args:
        definitions: N definition strings.
        count: captions per definition; the first is the definition itself.

    Returns:
        N lists of ``count`` strings (repeats possible for one-word definitions).
    """
    out = []
    for row, definition in enumerate(definitions):
        rng = np.random.default_rng([seed, row])
        definition = str(definition)
        out.append([definition] + [augment(definition, rng, word_dropout) for _ in range(count - 1)])
    return out
