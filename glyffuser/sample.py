"""Command line sampling: ``python -m glyffuser.sample "gold" --n 16 --out gold.png``.

``--out`` picks the format by its extension: ``.png`` (the final grid), ``.gif``
(every step animated, x_t beside the predicted x0) or ``.npy`` (the float32
(n, H, W) array, 1 = ink).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from glyffuser.model.pipeline import DEFAULT_GUIDANCE, DEFAULT_GUIDANCE_T_MAX, PipelineInputError, check_request

FORMATS = (".png", ".gif", ".npy")


def output_problem(out: Path) -> str | None:
    """Why ``out`` cannot be written (checked before sampling), or None when it can."""
    if out.suffix.lower() not in FORMATS:
        return f"--out must end in {', '.join(FORMATS)} (got {out.name!r})"
    if out.is_dir():
        return f"--out {str(out)!r} is a folder; give a file name such as {str(out / ('glyphs' + out.suffix.lower()))!r}"
    if not out.parent.is_dir():
        return f"the folder {str(out.parent)!r} does not exist"
    if not os.access(out.parent, os.W_OK):
        return f"the folder {str(out.parent)!r} is not writable"
    if out.exists() and not os.access(out, os.W_OK):
        return f"{str(out)!r} exists and is not writable"
    return None


def write_output(steps: list, out: Path, cols: int) -> None:
    """Write the final grid, the animation or the array (by ``out``'s extension, any case), atomically."""
    from PIL import Image

    from glyffuser.data.store import atomic_write
    from glyffuser.images import grid, save_gif

    final = steps[-1].x_t
    kind = out.suffix.lower()
    if kind not in FORMATS:
        raise ValueError(f"unknown output format {out.suffix!r}; use one of {FORMATS}")
    if kind == ".npy":
        atomic_write(out, lambda tmp: np.save(open(tmp, "wb"), final.astype(np.float32)))
    elif kind == ".png":
        atomic_write(out, lambda tmp: grid(final, cols=cols, scale=3).save(tmp, format="PNG"))
    else:
        frames = []
        for step in steps:
            left, right = grid(step.x_t, cols=cols, scale=3), grid(step.pred_x0, cols=cols, scale=3)
            frame = Image.new("L", (left.width * 2 + 12, left.height), 160)
            frame.paste(left, (0, 0))
            frame.paste(right, (left.width + 12, 0))
            frames.append(frame)
        atomic_write(out, lambda tmp: save_gif(frames, tmp))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m glyffuser.sample", description=__doc__.split("\n")[0])
    parser.add_argument("prompt", nargs="+", help="one or more English prompts; \"\" samples unconditionally")
    parser.add_argument("--n", type=int, default=16, help="glyphs per prompt (1-64 in all)")
    parser.add_argument("--steps", type=int, default=120, help="denoising steps, 1-1000")
    parser.add_argument("--guidance", type=float, default=DEFAULT_GUIDANCE, help="classifier-free guidance scale, ≥ 0")
    parser.add_argument("--guidance-t-max", type=int, default=DEFAULT_GUIDANCE_T_MAX,
                        help="guidance applies at t ≤ this (0-999); above, the conditional model alone")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sampler", default="dpm", help="ddpm, ddim or dpm (DPM-Solver++ 2M)")
    parser.add_argument("--out", default="glyphs.png", help="output file: .png, .gif or .npy")
    args = parser.parse_args(argv)
    out = Path(args.out)
    problem = output_problem(out)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    prompts = args.prompt if len(args.prompt) > 1 else args.prompt[0]
    try:
        request = check_request(prompts, args.n, args.steps, args.guidance, args.seed, args.sampler, args.guidance_t_max)
    except PipelineInputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for note in request.notes:
        print(f"note: {note}", file=sys.stderr)
    import glyffuser

    pipe = glyffuser.load_pipeline()
    _, _, truncated = pipe.encode(list(request.prompts))
    if any(truncated):
        print("note: a prompt was longer than the encoder's 32 tokens and was truncated", file=sys.stderr)
    keep_all = out.suffix.lower() == ".gif"
    steps = []
    for step in pipe.iter_steps(prompts, args.n, args.steps, args.guidance, args.seed, args.sampler, args.guidance_t_max):
        if keep_all or step.t == -1:
            steps.append(step)
    write_output(steps, out, cols=min(8, request.batch))
    print(f"wrote {out} ({request.batch} glyphs, {request.steps} {request.sampler} steps, guidance {request.guidance:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
