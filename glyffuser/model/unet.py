"""The conditional U-Net that denoises glyphs, and its checkpoint format.

A diffusers ``UNet2DConditionModel`` (Rombach et al. 2022's U-Net: residual
blocks, a sinusoidal timestep embedding, cross-attention from image positions
to the text tokens) wrapped in a 2x2 pixel (un)shuffle: a 32x32 glyph becomes a
16x16 map of 4 channels, which quarters the cost of every layer on a CPU
(patching as in Hoogeboom et al. 2023). The pooled text also enters the
timestep embedding (``addition_embed_type="text"``), so every residual block
sees the prompt. The network predicts v (Salimans & Ho 2022).

A guidance-distilled model (``guidance_embedding``) also takes the guidance
scale w as an input, embedded like a timestep and added to the time embedding,
and predicts the classifier-free guided v in one pass (Meng et al. 2023).

Checkpoints are a JSON :class:`ModelConfig` plus safetensors weights: no pickle. The
weights' sha256 is kept beside them in ``model.safetensors.sha256`` (the format of
``sha256sum``, so ``sha256sum -c model.safetensors.sha256`` checks it too), and
:func:`load_model` verifies it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from glyffuser.data.store import DatasetError
from glyffuser.model.text import EMBED_DIM

WEIGHTS_FILE = "model.safetensors"
CHECKSUM_FILE = WEIGHTS_FILE + ".sha256"
REPO_ROOT = Path(__file__).resolve().parents[2]
GUIDANCE_TO_TIMESTEP = 100.0  # w in [0, 10] spans the sinusoidal embedding like t in [0, 1000]


@dataclass
class ModelConfig:
    """Everything needed to rebuild the network and interpret its output."""

    image_size: int = 32
    patch: int = 2
    block_out_channels: tuple = (32, 64, 128)
    down_block_types: tuple = ("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D")
    up_block_types: tuple = ("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D")
    layers_per_block: int = 1
    attention_heads: int = 4
    norm_num_groups: int = 8
    text_dim: int = EMBED_DIM
    text_in_time_embedding: bool = True
    prediction_type: str = "v_prediction"
    guidance_embedding: bool = False  # w is an input: one pass gives the guided v
    guidance_max: float = 0.0  # the largest w seen in distillation
    schedule: str = "cosine"
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, values: dict) -> "ModelConfig":
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        for key in ("block_out_channels", "down_block_types", "up_block_types"):
            if key in known:
                known[key] = tuple(known[key])
        return cls(**known)


class GlyphUNet(nn.Module):
    """v(x_t, t, text) for (B, 1, S, S) glyphs in [-1, 1]."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        from diffusers import UNet2DConditionModel

        self.config = config
        channels = config.patch**2
        self.unshuffle = nn.PixelUnshuffle(config.patch)
        self.shuffle = nn.PixelShuffle(config.patch)
        self.unet = UNet2DConditionModel(
            sample_size=config.image_size // config.patch,
            in_channels=channels,
            out_channels=channels,
            block_out_channels=config.block_out_channels,
            down_block_types=config.down_block_types,
            up_block_types=config.up_block_types,
            mid_block_type="UNetMidBlock2DCrossAttn",
            layers_per_block=config.layers_per_block,
            cross_attention_dim=config.text_dim,
            attention_head_dim=config.attention_heads,
            norm_num_groups=config.norm_num_groups,
            addition_embed_type="text" if config.text_in_time_embedding else None,
            addition_embed_type_num_heads=config.attention_heads,
            class_embed_type="timestep" if config.guidance_embedding else None,
        )

    def forward(self, x: torch.Tensor, t: torch.Tensor, text: torch.Tensor, mask: torch.Tensor | None = None,
                guidance: torch.Tensor | None = None) -> torch.Tensor:
        """Predict v.

        Args:
            x: (B, 1, S, S) noisy glyphs x_t.
            t: (B,) integer timesteps.
            text: (B, L, 384) token states (zero past the end).
            mask: (B, L) bool, True on real tokens; None attends to all.
            guidance: (B,) scales w, read only by a guidance-distilled model; None means
                w = 1, the plain conditional v.

        Returns:
            (B, 1, S, S) the v prediction.
        """
        h = self.unshuffle(x)  # (B, 4, S/2, S/2)
        bias = None
        if mask is not None:  # diffusers wants an additive-style keep mask (1 keep, 0 drop)
            bias = mask.to(h.dtype)
        labels = None
        if self.config.guidance_embedding:
            w = torch.ones_like(t, dtype=torch.float32) if guidance is None else guidance.to(x.device, torch.float32)
            labels = w * GUIDANCE_TO_TIMESTEP
        out = self.unet(h, t, encoder_hidden_states=text, encoder_attention_mask=bias, class_labels=labels,
                        return_dict=False)[0]
        return self.shuffle(out)


def repatch_state(state: dict, old: ModelConfig, new: ModelConfig, seed: int = 0, detail_scale: float = 0.5) -> dict:
    """Weights of ``old`` fitted to ``new``'s larger pixel (un)shuffle, the U-Net core unchanged.

    With r = new.patch / old.patch, each new input channel (an offset in the new patch)
    reads the old channel of the offset it falls in, weighted 1/r², and each new output
    channel copies its old channel (a nearest-neighbour upsampling of the old output).
    That alone would be a saddle point: the r² offsets sharing an old channel would keep
    equal weights and equal gradients for ever, and the network could never tell them
    apart. So both convolutions also get random weights that sum to zero over each such
    group (std ``detail_scale`` x the old weights' std): on a glyph that is constant over
    each r x r block, ``conv_in`` sees nothing new, and the output's r x r block means are
    the old output; so the new network's output, pooled r x r, is still exactly the old
    network's output on the pooled glyph there. Only ``conv_in``'s weight and ``conv_out``'s
    weight and bias change shape.

    Args:
        state: the old model's state dict; conv_in.weight (C, p², k, k), conv_out.weight (p², C, k, k).
        seed: the random detail weights' seed.

    Returns:
        A new state dict for ``new``.
    """
    ratio = new.patch // old.patch
    if new.patch != ratio * old.patch or new.image_size // new.patch != old.image_size // old.patch:
        raise ValueError(f"cannot refit patch {old.patch} at {old.image_size} px to patch {new.patch} at {new.image_size} px: "
                         "the new patch must be a multiple of the old and keep the U-Net's core size")
    source = torch.tensor([(i // ratio) * old.patch + (j // ratio) for i in range(new.patch) for j in range(new.patch)])
    generator = torch.Generator().manual_seed(seed)

    def detail(like: torch.Tensor, dim: int) -> torch.Tensor:
        """Random weights shaped like ``like``, summing to zero over each group of ``source`` along ``dim``."""
        noise = torch.randn(like.shape, generator=generator) * detail_scale * like.float().std()
        for channel in range(old.patch**2):
            members = (source == channel).nonzero()[:, 0]
            part = noise.index_select(dim, members)
            noise.index_copy_(dim, members, part - part.mean(dim, keepdim=True))
        return noise.to(like.dtype)

    out = dict(state)
    conv_in = state["unet.conv_in.weight"][:, source] / ratio**2
    out["unet.conv_in.weight"] = conv_in + detail(conv_in * ratio**2, 1)
    conv_out = state["unet.conv_out.weight"][source]
    out["unet.conv_out.weight"] = conv_out + detail(conv_out, 0)
    out["unet.conv_out.bias"] = state["unet.conv_out.bias"][source]
    return out


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


class ModelFileError(DatasetError):
    """A checkpoint's weights are missing, unreadable or differ from their checksum; the message says what to do."""


def restore_hint(folder: Path) -> str:
    """What to do about a broken checkpoint in ``folder``: restore the shipped one from git, or retrain."""
    weights = (folder / WEIGHTS_FILE).resolve()
    retrain = f"retrain with `python -m glyffuser.train --export {folder}`"
    try:
        relative = weights.relative_to(REPO_ROOT)
    except ValueError:
        return retrain[0].upper() + retrain[1:] + "."
    return f"From the repository root, restore it with `git checkout -- {relative.as_posix()}`, or {retrain}."


def write_checksum(folder: Path) -> str:
    """Write ``model.safetensors.sha256`` beside the weights of ``folder``; returns the hex digest."""
    from glyffuser.data.store import atomic_write, sha256_of

    digest = sha256_of(folder / WEIGHTS_FILE)
    atomic_write(folder / CHECKSUM_FILE, lambda tmp: tmp.write_text(f"{digest}  {WEIGHTS_FILE}\n"))
    return digest


def verify_checksum(folder: Path) -> None:
    """Check the weights of ``folder`` against ``model.safetensors.sha256`` (skipped when there is none).

    Raises:
        ModelFileError: the weights are missing or their sha256 differs (corrupt or edited).
    """
    from glyffuser.data.store import sha256_of

    weights, sidecar = folder / WEIGHTS_FILE, folder / CHECKSUM_FILE
    if not weights.is_file():
        raise ModelFileError(f"The model weights {weights} are missing. {restore_hint(folder)}")
    if not sidecar.is_file():
        return  # a checkpoint written before checksums were kept
    expected = sidecar.read_text().split()[:1]
    if not expected or sha256_of(weights) != expected[0].lower():
        raise ModelFileError(f"The model weights {weights} do not match their sha256 in {sidecar.name} "
                             f"(corrupt or edited). {restore_hint(folder)}")


def save_model(model: GlyphUNet, folder: str | Path, extra: dict | None = None, dtype=torch.float32) -> None:
    """Write ``config.json``, ``model.safetensors`` (weights in ``dtype``) and its sha256 into ``folder``, atomically each."""
    from safetensors.torch import save_file

    from glyffuser.data.store import atomic_write

    folder = Path(folder)
    config = asdict(model.config)
    config["extra"] = dict(config.get("extra") or {}, **(extra or {}))
    state = {k: v.detach().to(dtype).contiguous().cpu() for k, v in model.state_dict().items()}
    atomic_write(folder / WEIGHTS_FILE, lambda tmp: save_file(state, str(tmp)))
    write_checksum(folder)
    atomic_write(folder / "config.json", lambda tmp: tmp.write_text(json.dumps(config, indent=2) + "\n"))


def load_model(folder: str | Path, device="cpu") -> GlyphUNet:
    """Rebuild a :class:`GlyphUNet` from ``config.json`` + ``model.safetensors``, checked against its sha256.

    Raises:
        ModelFileError: a file is missing, unreadable or corrupt, with what to do about it.
    """
    from safetensors.torch import load_file

    folder = Path(folder)
    try:
        config = ModelConfig.from_dict(json.loads((folder / "config.json").read_text()))
    except (OSError, ValueError, TypeError) as err:
        raise ModelFileError(f"The model config {folder / 'config.json'} cannot be read ({err}). "
                             f"{restore_hint(folder)}") from err
    verify_checksum(folder)
    model = GlyphUNet(config)
    try:
        state = {k: v.float() for k, v in load_file(str(folder / WEIGHTS_FILE), device=str(device)).items()}
        model.load_state_dict(state)
    except Exception as err:  # a bad header, a wrong shape: the same to the user
        raise ModelFileError(f"The model weights {folder / WEIGHTS_FILE} cannot be read "
                             f"({type(err).__name__}: {str(err)[:200]}). {restore_hint(folder)}") from err
    return model.to(device).eval()
