"""Named networks and run presets for :mod:`glyffuser.train`.

    tiny     a few thousand parameters, for tests
    base     the explorer's CPU model (:class:`ModelConfig`'s defaults)
    article  the article's 128×128 conditional U-Net: channels (128, 256, 512, 512), two
             residual layers per level, cross-attention at the third level and in the
             middle, no pixel patching; about 129M parameters with the 384-d MiniLM text
             states (the article's own layout, with 512-d T5 states, counts 131M in
             diffusers 0.42)

``--preset article`` sets the network and the 128×128 dataset; flags given on the
command line win over the preset's values.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from glyffuser.model.unet import ModelConfig

ROOT = Path(__file__).resolve().parents[2]
ARTICLE_DATA = ROOT / "data" / "glyphs128.npz"  # written by `python -m glyffuser.data build --size 128`

ARTICLE = ModelConfig(
    image_size=128,
    patch=1,
    block_out_channels=(128, 256, 512, 512),
    down_block_types=("DownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D"),
    layers_per_block=2,
    attention_heads=8,
    norm_num_groups=32,
)

# TrainConfig values a preset sets (the command line overrides them)
RUN_PRESETS = {
    "": {},
    "article": {"size": "article", "data": str(ARTICLE_DATA)},
}


def model_config_for(size: str) -> ModelConfig:
    """The network named ``size``: ``tiny``, ``base`` or ``article``."""
    if size == "tiny":
        return ModelConfig(block_out_channels=(8, 16, 16), attention_heads=2, norm_num_groups=4)
    if size == "article":
        return dataclasses.replace(ARTICLE)
    if size != "base":
        raise ValueError(f"--size {size!r}: choose tiny, base or article")
    return ModelConfig()


def preset_values(name: str) -> dict:
    """The TrainConfig fields ``--preset name`` sets."""
    if name not in RUN_PRESETS:
        raise ValueError(f"--preset {name!r}: choose one of {sorted(k for k in RUN_PRESETS if k)}")
    return dict(RUN_PRESETS[name])
