"""Regenerate the README's pictures: ``python -m docs.figures``.

docs/dataset_rows.png   random dataset rows with their captions
docs/samples.png        8 samples for each of the README's prompts (120 DPM-Solver++ steps, the default guidance)
docs/first_step.png     the first step's x̂0 for "Gold" beside its nearest training glyphs
docs/four_prompts.png   16 samples each for two README and two held-out prompts, with their nearest training glyphs
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

HERE = Path(__file__).resolve().parent
FONTS = ["DejaVu Sans", "Noto Sans CJK SC"]  # matplotlib falls back per glyph (CJK characters in titles)


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
    from glyffuser.evaluate.measures import PROMPT_RADICALS, load_classifier

    pipe, classifier = glyffuser.load_pipeline(), load_classifier()
    fig = Figure(figsize=(12, 11), dpi=100)
    for row, (word, radical) in enumerate(PROMPT_RADICALS.items()):
        ink = pipe(word, n=8, steps=120, seed=0)
        hits = int((classifier.predict(ink) == radical).sum())
        for col in range(8):
            ax = fig.add_subplot(10, 8, row * 8 + col + 1)
            ax.imshow(1 - ink[col], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if col == 0:
                ax.set_ylabel(f'"{word}"\n{hits}/8 → {radical}', fontsize=9, rotation=0, ha="right", va="center")
    fig.tight_layout()
    fig.savefig(path)


def first_step(path: Path = HERE / "first_step.png", prompt: str = "Gold", model_dir=None) -> None:
    """x̂0 after one step from pure noise (t = 999) for ``prompt``, for the empty prompt, and the
    prompt's nearest training glyphs: the guess is a blur of many glyphs, not one of them."""
    import glyffuser
    from glyffuser.data.store import load_training_glyphs
    from glyffuser.diffusion.trajectory import first_step_pair
    from glyffuser.evaluate.measures import nearest_glyphs, training_reference

    pipe = glyffuser.load_pipeline(model_dir)
    record = pipe.model.config.extra
    glyphs = load_training_glyphs(record)  # every glyph the model was trained on
    step = first_step_pair(pipe, prompt, n=1, guidance=1.0)
    guided = first_step_pair(pipe, prompt, n=1, guidance=3.0).guided
    panels = [(step.unconditional[0], "no prompt (w = 0)"), (step.guided[0], f'"{prompt}", w = 1'),
              (guided[0], f'"{prompt}", w = 3')]
    rows, dist = nearest_glyphs(step.guided, training_reference(record))
    nearest = glyphs.take(rows[:1])
    fig = Figure(figsize=(10, 2.6), dpi=100)
    for k, (ink, title) in enumerate(panels):
        ax = fig.add_subplot(1, 4, k + 1)
        ax.imshow(1 - ink, cmap="gray", vmin=0, vmax=1)
        ax.set_axis_off()
        ax.set_title(title, fontsize=9)
    ax = fig.add_subplot(1, 4, 4)
    ax.imshow(1 - nearest.images[0], cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    ax.set_title(f"nearest training glyph {nearest.chars[0]}\n(RMS {dist[0]:.2f} from the w = 1 guess)", fontsize=9,
                 fontfamily=FONTS)
    fig.suptitle("x̂0 after one step from pure noise (t = 999)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)


def four_prompts(path: Path = HERE / "four_prompts.png", model_dir=None) -> None:
    """16 samples of two README and two held-out prompts at the default settings; a red frame marks a copy."""
    import glyffuser
    from glyffuser.evaluate.measures import COPY_DISTANCE, nearest_glyphs, training_reference

    prompts = ["gold", "bird", "the globefish; blowfish; puffer", "to wash clothes in the river"]
    pipe = glyffuser.load_pipeline(model_dir)
    reference = training_reference(pipe.model.config.extra)
    fig = Figure(figsize=(12, 4.3), dpi=100, layout="constrained")
    for panel, prompt in zip(fig.subfigures(len(prompts), 1), prompts):
        ink = pipe(prompt, n=16, steps=120, seed=0)
        _, dist = nearest_glyphs(ink, reference)
        panel.suptitle(f'"{prompt}"', x=0.005, ha="left", fontsize=10)
        for ax, glyph, d in zip(panel.subplots(1, 16), ink, dist):
            ax.imshow(1 - glyph, cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if d < COPY_DISTANCE:
                for spine in ax.spines.values():
                    spine.set_edgecolor("red"), spine.set_linewidth(2)
    fig.savefig(path)


if __name__ == "__main__":
    dataset_rows()
    samples()
    first_step()
    four_prompts()
