"""Regenerate the README's pictures: ``python -m docs.figures``.

docs/dataset_rows.png   random dataset rows with their captions
docs/samples.png        16 samples for each of the evaluation prompts (120 DPM-Solver++ steps, guidance 3)
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

HERE = Path(__file__).resolve().parent


def dataset_rows(path: Path = HERE / "dataset_rows.png", count: int = 24, seed: int = 3) -> None:
    from glyffuser.data import load_glyphs

    glyphs = load_glyphs()
    rows = np.random.default_rng(seed).choice(len(glyphs), count, replace=False)
    fig = Figure(figsize=(12, 7.6), dpi=100)
    for k, i in enumerate(rows):
        ax = fig.add_subplot(4, 6, k + 1)
        ax.imshow(1 - glyphs.images[i], cmap="gray", vmin=0, vmax=1)
        ax.set_axis_off()
        caption = textwrap.shorten(str(glyphs.definitions[i]), 44, placeholder="…")
        ax.set_title(f"U+{glyphs.codepoints[i]:04X} · radical {glyphs.radicals[i]}\n" + "\n".join(textwrap.wrap(caption, 24)[:2]), fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def samples(path: Path = HERE / "samples.png") -> None:
    import glyffuser
    from glyffuser.evaluate import PROMPT_RADICALS, load_classifier

    pipe, classifier = glyffuser.load_pipeline(), load_classifier()
    fig = Figure(figsize=(12, 11), dpi=100)
    for row, (word, radical) in enumerate(PROMPT_RADICALS.items()):
        ink = pipe(word, n=8, steps=120, guidance=3.0, seed=0)
        hits = int((classifier.predict(ink) == radical).sum())
        for col in range(8):
            ax = fig.add_subplot(10, 8, row * 8 + col + 1)
            ax.imshow(1 - ink[col], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if col == 0:
                ax.set_ylabel(f'"{word}"\n{hits}/8 → {radical}', fontsize=9, rotation=0, ha="right", va="center")
    fig.tight_layout()
    fig.savefig(path)


if __name__ == "__main__":
    dataset_rows()
    samples()
