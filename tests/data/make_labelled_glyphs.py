"""Regenerate ``labelled_glyphs.npz``: generated glyphs with the radical seen in each by eye.

Thirty-two samples of the shipped pipeline over the README's prompts and the empty
prompt, guidance 0-3, DPM-Solver++; each glyph is labelled by eye afterwards, from the
contact sheet this writes (``labelled_glyphs.png``), with the radical that is visible
(0 = none or unclear), whatever the prompt asked for; :data:`SEEN` records them. Run
from the repository root: ``PYTHONPATH=. python tests/data/make_labelled_glyphs.py`` (or
with ``model_dir --suffix _64`` for another model's glyphs, saved unlabelled).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

# (prompt, guidance, steps, first seed, count)
PLAN = [
    ("gold", 3.0, 120, 100, 4), ("gold", 1.5, 120, 200, 2),
    ("water", 3.0, 120, 100, 2), ("fire", 3.0, 120, 100, 2),
    ("bird", 3.0, 120, 100, 2), ("bird", 1.0, 120, 200, 1),
    ("fish", 3.0, 120, 100, 2), ("sickness", 2.0, 120, 100, 2),
    ("speech", 3.0, 120, 100, 3), ("insect", 3.0, 120, 100, 2),
    ("tree", 2.0, 120, 100, 2), ("grass", 3.0, 30, 100, 2),
    ("", 0.0, 120, 300, 6),
]
SEEN = [  # (radical seen by eye, 0 = none or unclear; what was seen), one per glyph in PLAN order
 (167, "金 below a component (like 鋈)"), (167, "金 below"), (167, "金 below"), (167, "金 below"),
 (167, "钅 on the left (like 镂)"), (167, "金 below"),
 (85, "氵 + 晋 (溍)"), (85, "氵 + 晋 (溍)"),
 (0, "no 火; a 口-like box on the left, unclear (哽?)"), (86, "火 + 龍 (爖)"),
 (196, "甲 + 鸟 (鸭)"), (196, "甲 + 鸟 (鸭)"), (196, "鳥 on the right, blurred strokes"),
 (195, "魚 + 賣"), (195, "魚 + 賣"),
 (104, "疒 (病-like)"), (104, "疒 (病-like)"),
 (149, "言 below 敬 (警), blurred"), (149, "言 below 敬 (警)"), (149, "言 below 敬 (警)"),
 (209, "no 虫; 自 over 田 over 丌 (鼻)"), (209, "no 虫; 鼻"),
 (75, "木 + 戚 (槭)"), (75, "木 + 更-like"),
 (140, "艹 over 扁-like"), (140, "艹 over 扁-like"),
 (9, "亻 + 奥-like"), (154, "龶 over 貝 (責)"), (120, "糸 + 戎 (絨), broken"),
 (0, "unclear left component + 乘-like"), (159, "車 + 召 (軺)"), (170, "阝 + 艮 (限)"),
]
HERE = Path(__file__).resolve().parent


def generate(model_dir=None):
    import glyffuser

    pipe = glyffuser.load_pipeline(model_dir)
    images, meta = [], []
    for prompt, w, steps, seed, count in PLAN:
        images.append(pipe(prompt, n=count, steps=steps, guidance=w, seed=seed, sampler="dpm"))
        meta += [(prompt, w, steps, seed + i) for i in range(count)]
    ink = np.concatenate(images)
    return np.round(ink * 255).astype(np.uint8), meta


def contact_sheet(ink: np.ndarray, path: Path, scale: int = 4, cols: int = 8):
    from PIL import Image, ImageDraw

    size = ink.shape[-1] * scale
    rows = -(-len(ink) // cols)
    sheet = Image.new("L", (cols * (size + 8), rows * (size + 20)), 255)
    draw = ImageDraw.Draw(sheet)
    for i, img in enumerate(ink):
        tile = Image.fromarray(255 - img).resize((size, size), Image.NEAREST)
        x, y = (i % cols) * (size + 8), (i // cols) * (size + 20)
        sheet.paste(tile, (x + 4, y + 16))
        draw.text((x + 4, y + 2), str(i), fill=0)
    sheet.save(path)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    suffix = sys.argv[sys.argv.index("--suffix") + 1] if "--suffix" in sys.argv else ""
    args = [a for a in args if a != suffix]
    ink, meta = generate(args[0] if args else None)
    # the labels belong to the shipped model's glyphs; another model's glyphs are saved unlabelled
    labels = {} if args else {"labels": np.array([s[0] for s in SEEN], np.int16), "notes": np.array([s[1] for s in SEEN])}
    out = HERE / f"{'un' if args else ''}labelled_glyphs{suffix}.npz"
    np.savez_compressed(out, images=ink, **labels, prompts=np.array([m[0] for m in meta]),
                        guidance=np.array([m[1] for m in meta], np.float32),
                        steps=np.array([m[2] for m in meta], np.int16), seeds=np.array([m[3] for m in meta], np.int32))
    contact_sheet(ink, HERE / f"labelled_glyphs{suffix}.png")
    print(out, ink.shape)


if __name__ == "__main__":
    main()
