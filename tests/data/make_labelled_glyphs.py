"""Regenerate ``labelled_glyphs.npz``: generated glyphs with the radical seen in each by eye.

Thirty-two samples of a pipeline over the README's prompts and the empty prompt,
guidance 0-3, DPM-Solver++; each glyph is labelled by eye afterwards, from the contact
sheet this writes (``labelled_glyphs{suffix}.png``), with the radical that is visible
(0 = none or unclear), whatever the prompt asked for. Two sets are kept: :data:`SEEN`
for the 32x32 model shipped until 2026-12-02 (no suffix) and :data:`SEEN_64` for the
64x64 model at training step 3,890 (``--suffix _64``); the glyphs are data, so the tests
do not depend on which model is shipped. Run from the repository root:
``PYTHONPATH=. python tests/data/make_labelled_glyphs.py [model_dir] [--suffix _64]``;
a suffix without labels here saves the glyphs unlabelled, to be labelled by eye.
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
SEEN_64 = [
 (167, "钅 + 夌-like"), (167, "金 + 夋 (鋑)"), (167, "钅 + 艮 (银)"), (167, "钅 + 睘-like"),
 (167, "钅 + 巢-like"), (167, "钅 + 寽 (锊)"),
 (85, "氵 + 尸-enclosure"), (85, "氵 + 夋 (浚)"),
 (86, "火 + 冒-like"), (86, "火 + 夋 (焌)"),
 (196, "木-like + 鳥"), (196, "女-like + 鳥"), (196, "a boxed component + 鳥"),
 (195, "魚 + 喬 (鱎)"), (195, "魚 + 夋 (鮻)"),
 (104, "疒 + 咅-like"), (104, "疒 + 登-like"),
 (149, "言 + 晃-like"), (149, "言 + 侖-like"), (149, "言 + 兌-like (說)"),
 (142, "虫 + 晃-like"), (142, "虫 + 莫 (蟆)"),
 (75, "木 + 奇-like"), (75, "木 + 交 (校)"),
 (140, "艹 over 走-like"), (140, "艹 over 夋-like"),
 (0, "豸-like + 豕-like, unclear"), (0, "臼-like over 言-like, unclear"), (30, "口 + 耑 (喘)"),
 (0, "罒-like over 目 and 𧘇-like, unclear"), (46, "山 + 㠯-like"), (142, "虫 + 皮 (蚾)"),
]
LABELS = {"": SEEN, "_64": SEEN_64}
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
    seen = LABELS.get(suffix) if suffix or not args else None  # another model without a suffix: unlabelled
    labels = {"labels": np.array([r for r, _ in seen], np.int16), "notes": np.array([n for _, n in seen])} if seen else {}
    out = HERE / f"{'' if seen else 'un'}labelled_glyphs{suffix}.npz"
    np.savez_compressed(out, images=ink, **labels, prompts=np.array([m[0] for m in meta]),
                        guidance=np.array([m[1] for m in meta], np.float32),
                        steps=np.array([m[2] for m in meta], np.int16), seeds=np.array([m[3] for m in meta], np.int32))
    contact_sheet(ink, HERE / f"labelled_glyphs{suffix}.png")
    print(out, ink.shape)


if __name__ == "__main__":
    main()
