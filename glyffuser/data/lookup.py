"""Finding glyphs: by character, by a word of their English definition, by radical.

Pure look-ups over :class:`glyffuser.data.Glyphs`; nothing here touches the file system.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np

from glyffuser.data import Glyphs

# The Kangxi Radicals block: radical r is U+2F00 + r - 1 (⼀ ... ⿕).
KANGXI_RADICALS_START = 0x2F00
NUM_RADICALS = 214


def radical_symbol(radical: int) -> str:
    """The Kangxi radical ``radical`` (1-214) as its Unicode character, e.g. 167 -> ⾦."""
    radical = int(radical)
    if not 1 <= radical <= NUM_RADICALS:
        raise ValueError(f"Kangxi radicals are numbered 1-{NUM_RADICALS}, got {radical}")
    return chr(KANGXI_RADICALS_START + radical - 1)


def radical_name(glyphs: Glyphs, radical: int) -> str:
    """A short label for a radical: its ideograph and the first sense of its definition.

    E.g. 167 -> "金 gold". The Kangxi radical's compatibility form is mapped to its
    unified ideograph (NFKC), which is looked up in the dataset.
    """
    char = unicodedata.normalize("NFKC", radical_symbol(radical))
    try:
        definition = str(glyphs.definitions[glyphs.index_of(char)])
    except KeyError:
        return char
    sense = re.split(r"[;,(]", definition, maxsplit=1)[0].strip()
    return f"{char} {sense}" if sense else char


def is_han(char: str) -> bool:
    """Whether ``char`` is one CJK ideograph (any block)."""
    return len(char) == 1 and unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH")


def definition_mask(glyphs: Glyphs, word: str) -> np.ndarray:
    """Which definitions contain ``word`` as a whole word, ignoring case.

    Args:
        glyphs: the dataset.
        word: one or more words; matched literally (no pattern syntax).

    Returns:
        ``(N,)`` bool.
    """
    word = " ".join(word.split())
    if not word:
        return np.zeros(len(glyphs), dtype=bool)
    pattern = re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)", re.IGNORECASE)
    return np.fromiter((pattern.search(d) is not None for d in glyphs.definitions), bool, len(glyphs))


@dataclass(frozen=True)
class Matches:
    """The result of :func:`find`.

    Attributes:
        kind: "characters" or "word".
        indices: ``(K,)`` rows of the matching glyphs (characters in the order typed).
        missing: characters typed that are not in the dataset.
    """

    kind: str
    indices: np.ndarray
    missing: tuple[str, ...] = ()


def find(glyphs: Glyphs, query: str) -> Matches:
    """Glyphs matching a query: Chinese characters, or else a word of the definitions.

    A query made only of CJK ideographs (spaces ignored) looks each one up; any other
    query is matched as a whole word against the English definitions.
    """
    chars = [c for c in query if not c.isspace()]
    if chars and all(is_han(c) for c in chars):
        found, missing = [], []
        for char in dict.fromkeys(chars):  # unique, in typed order
            try:
                found.append(glyphs.index_of(char))
            except KeyError:
                missing.append(char)
        return Matches("characters", np.array(found, dtype=np.int64), tuple(missing))
    return Matches("word", np.flatnonzero(definition_mask(glyphs, query)))


def top_radicals(radicals: np.ndarray, k: int) -> list[tuple[int, int]]:
    """The ``k`` most frequent radicals as ``(radical, count)``, most frequent first."""
    return Counter(np.asarray(radicals).tolist()).most_common(int(k))


def random_rows(n_rows: int, k: int, seed: int) -> np.ndarray:
    """``k`` distinct row indices out of ``n_rows``, drawn from ``seed``."""
    rng = np.random.default_rng(int(seed))
    return rng.choice(int(n_rows), size=min(int(k), int(n_rows)), replace=False)
