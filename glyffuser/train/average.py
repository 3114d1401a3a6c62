"""Average the weights of checkpoints that share an ancestor (a "model soup", Wortsman et al. 2022).

Two runs fine-tuned from the same weights often sit in one basin of the loss, so their
weighted mean is a model too, one that can keep what each run learned::

    python -m glyffuser.train.average --out runs/soup checkpoints/g64y checkpoints/g64x --weights 0.5 0.5

The checkpoints must have the same :class:`~glyffuser.model.unet.ModelConfig` network. The
result keeps the first checkpoint's training record (``config.json``'s ``extra``: give the one
trained last first) and its loss logs, and adds ``extra.averaged``: each source's folder, weight
and own record.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from glyffuser.data.store import atomic_write
from glyffuser.model.unet import GlyphUNet, load_model, save_model

LOGS = ("loss.csv", "distill_loss.csv")  # the first checkpoint's logs, kept beside the result
NETWORK_FIELDS = ("image_size", "patch", "block_out_channels", "down_block_types", "up_block_types",
                  "layers_per_block", "attention_heads", "norm_num_groups", "text_dim",
                  "text_in_time_embedding", "prediction_type", "guidance_embedding", "schedule")


def average_models(models: list[GlyphUNet], weights: list[float]) -> GlyphUNet:
    """The weighted mean of ``models``' parameters and buffers, in a copy of the first.

    Args:
        models: networks with the same architecture (checked field by field of their configs).
        weights: one non-negative weight per model; normalised to sum to 1.
    """
    if len(models) != len(weights) or not models:
        raise ValueError(f"{len(models)} models and {len(weights)} weights: give one weight per model")
    if min(weights) < 0 or sum(weights) <= 0:
        raise ValueError(f"weights must be non-negative and not all zero, got {weights}")
    first = models[0].config
    for other in models[1:]:
        differ = [name for name in NETWORK_FIELDS if getattr(other.config, name) != getattr(first, name)]
        if differ:
            raise ValueError(f"the checkpoints' networks differ in {', '.join(differ)}: they cannot be averaged")
    total = float(sum(weights))
    states = [m.state_dict() for m in models]
    mean = {key: sum(w / total * s[key].double() for w, s in zip(weights, states)).to(value.dtype)
            for key, value in states[0].items()}
    result = GlyphUNet(first)
    result.load_state_dict(mean)
    return result.eval()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="checkpoint folders (config.json + model.safetensors)")
    parser.add_argument("--weights", type=float, nargs="+", help="one per model (default: equal)")
    parser.add_argument("--out", required=True, help="folder to write the averaged checkpoint to")
    parser.add_argument("--dtype", choices=("float16", "float32"), default="float16")
    args = parser.parse_args(argv)
    weights = args.weights or [1.0] * len(args.models)
    models = [load_model(folder) for folder in args.models]
    try:
        result = average_models(models, weights)
    except ValueError as err:
        parser.error(str(err))
    sources = [{"model": str(folder), "weight": w / sum(weights), "record": m.config.extra}
               for folder, w, m in zip(args.models, weights, models)]
    result.config.extra = dict(models[0].config.extra, averaged=sources)
    out = Path(args.out)
    save_model(result, out, dtype=getattr(torch, args.dtype))
    for log in LOGS:
        source = Path(args.models[0]) / log
        if source.exists():
            atomic_write(out / log, lambda tmp: tmp.write_bytes(source.read_bytes()))
    print(json.dumps({"out": args.out, "averaged": [{k: s[k] for k in ("model", "weight")} for s in sources]}))


if __name__ == "__main__":
    main()
