"""The denoising network as a diagram, drawn from the shipped model's own config.

The glyffuser's network is a diffusers ``UNet2DConditionModel`` (Ronneberger et al. 2015's
U-Net with the residual blocks, timestep embedding and cross-attention of Rombach et al.
2022) between a pixel unshuffle and a pixel shuffle. :func:`unet_layout` reads the sizes
from a ``ModelConfig`` (image_size, patch, block_out_channels, block types,
layers_per_block, attention_heads, text_dim, text_in_time_embedding, guidance_embedding)
exactly as ``diffusers`` builds them; :func:`unet_figure` draws the U: levels down the
left, the middle block at the bottom, levels back up the right with skip connections, the
embedding of t (plus the pooled text, plus w) that every residual block adds, and the
text tokens that the attention blocks read through cross-attention.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch


@dataclass(frozen=True)
class Level:
    """One resolution of the U-Net.

    Attributes:
        size: the feature map is size x size.
        channels: its channels.
        attention: whether its blocks have self- and cross-attention.
        down_blocks: residual blocks on the way down.
        up_blocks: residual blocks on the way up (one more: they also take the skip).
    """

    size: int
    channels: int
    attention: bool
    down_blocks: int
    up_blocks: int


@dataclass(frozen=True)
class UNetLayout:
    """Sizes of the network, as diffusers builds them from the config."""

    image_size: int
    patch: int
    levels: tuple[Level, ...]
    time_dim: int  # the timestep embedding's width: 4 x the first level's channels
    heads: int
    text_dim: int
    pooled_text: bool  # the pooled text is added to the timestep embedding
    guidance: bool  # the guidance scale w is embedded like t and added too

    @property
    def core_size(self) -> int:
        """Side of the map the U-Net's first level works on."""
        return self.image_size // self.patch


def unet_layout(config) -> UNetLayout:
    """The :class:`UNetLayout` of a ``glyffuser.model.unet.ModelConfig`` (read by attribute)."""
    core = config.image_size // config.patch
    ups = tuple(reversed(config.up_block_types))  # diffusers lists up blocks from the lowest resolution
    levels = tuple(
        Level(size=core // 2**i, channels=int(ch), attention=down.startswith("CrossAttn"),
              down_blocks=int(config.layers_per_block), up_blocks=int(config.layers_per_block) + 1)
        for i, (ch, down) in enumerate(zip(config.block_out_channels, config.down_block_types))
    )
    if any(up.startswith("CrossAttn") != level.attention for up, level in zip(ups, levels)):
        levels = tuple(Level(lv.size, lv.channels, lv.attention or up.startswith("CrossAttn"), lv.down_blocks,
                             lv.up_blocks) for lv, up in zip(levels, ups))
    return UNetLayout(image_size=int(config.image_size), patch=int(config.patch), levels=levels,
                      time_dim=4 * int(config.block_out_channels[0]), heads=int(config.attention_heads),
                      text_dim=int(config.text_dim), pooled_text=bool(config.text_in_time_embedding),
                      guidance=bool(getattr(config, "guidance_embedding", False)))


BLOCK = "#dfe6f3"
ATTN = "#f6d7c3"
EMBED = "#d9ecd0"
TEXT = "#efe3f5"
EDGE = "#44506a"


def _box(ax, x, y, w, h, text, color, fontsize=10.5):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.01,rounding_size=0.08",
                                facecolor=color, edgecolor=EDGE, linewidth=1.2))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color="#1b2a49")


def _arrow(ax, start, end, color=EDGE, style="-|>", dashed=False, rad=0.0, width=1.3):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=color, linewidth=width,
                                 linestyle=(0, (4, 3)) if dashed else "-", connectionstyle=f"arc3,rad={rad}"))


def _level_text(level: Level, blocks: int) -> str:
    kind = "res + attn" if level.attention else "res block"
    return f"{level.size}×{level.size} · {level.channels} ch\n{blocks} × {kind}"


def unet_figure(layout: UNetLayout, text_source: str = "") -> Figure:
    """The diagram of :func:`unet_layout`'s network.

    Args:
        layout: the network's sizes.
        text_source: where the text tokens come from, e.g. "≤ 32 tokens from MiniLM".

    Returns:
        A 12 x 7.2 inch matplotlib figure (object API) on one axes in data units
        (x 0-12, y 0-7.2).
    """
    fig = Figure(figsize=(12, 7.2), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 12)
    ax.set_ylim(0, 7.2)
    ax.axis("off")
    n = len(layout.levels)
    s, p, core = layout.image_size, layout.patch, layout.core_size
    top, step = 5.2, 3.2 / max(n, 1)
    xs_down, xs_up, bw, bh = 3.0, 9.0, 2.3, 0.72

    _box(ax, 0.95, top + 0.9, 1.6, 0.75, f"$\\mathbf{{x}}_t$\n{s}×{s}×1", "#ffffff")
    _box(ax, 0.95, top - 0.3, 1.6, 0.8, f"unshuffle {p}×{p}\n→ {core}×{core}×{p * p}", "#ffffff", 9.5)
    _arrow(ax, (0.95, top + 0.5), (0.95, top + 0.1))
    _box(ax, 11.05, top + 0.9, 1.6, 0.75, f"$\\hat{{\\mathbf{{v}}}}$\n{s}×{s}×1", "#ffffff")
    _box(ax, 11.05, top - 0.3, 1.6, 0.8, f"shuffle {p}×{p}\n← {core}×{core}×{p * p}", "#ffffff", 9.5)
    _arrow(ax, (11.05, top + 0.1), (11.05, top + 0.5))

    ys = [top - i * step for i in range(n)]
    for i, (level, y) in enumerate(zip(layout.levels, ys)):
        color = ATTN if level.attention else BLOCK
        _box(ax, xs_down, y, bw, bh, _level_text(level, level.down_blocks), color)
        _box(ax, xs_up, y, bw, bh, _level_text(level, level.up_blocks), color)
        _arrow(ax, (xs_down + bw / 2, y), (xs_up - bw / 2, y), color="#8a94a8", dashed=True)  # skip connection
        if i + 1 < n:
            _arrow(ax, (xs_down, y - bh / 2), (xs_down, ys[i + 1] + bh / 2))  # downsample
            _arrow(ax, (xs_up, ys[i + 1] + bh / 2), (xs_up, y - bh / 2))  # upsample
    ax.text(6.0, ys[0] + 0.12, "skip connections", ha="center", va="bottom", fontsize=9.5, color="#6b7488")
    _arrow(ax, (1.75, top - 0.3), (xs_down - bw / 2, ys[0]))
    _arrow(ax, (xs_up + bw / 2, ys[0]), (10.25, top - 0.3))

    low = layout.levels[-1]
    y_mid = ys[-1] - 1.05
    _box(ax, 6.0, y_mid, 2.6, bh, f"middle {low.size}×{low.size} · {low.channels} ch\nres + attn + res", ATTN)
    _arrow(ax, (xs_down, ys[-1] - bh / 2), (6.0 - 1.3, y_mid))
    _arrow(ax, (6.0 + 1.3, y_mid), (xs_up, ys[-1] - bh / 2))

    # The timestep embedding (and what is added to it), read by every residual block.
    parts = [f"sinusoidal(t) → MLP → {layout.time_dim}-d"]
    if layout.pooled_text:
        parts.append("+ pooled text")
    if layout.guidance:
        parts.append("+ MLP(sinusoidal(100·w))")
    _box(ax, 6.0, 0.45, 7.6, 0.6, "time embedding: " + "  ".join(parts), EMBED, 10)
    ax.text(6.0, 0.9, "added inside every residual block", ha="center", va="bottom", fontsize=9.5, color="#3d6b2f")

    # The text tokens, read by cross-attention in the attention levels.
    _box(ax, 6.0, 6.75, 7.0, 0.6, f"text tokens ({layout.text_dim}-d{', ' + text_source if text_source else ''}): "
                                  f"keys and values of cross-attention, {layout.heads} heads", TEXT, 10)
    for level, y in zip(layout.levels, ys):
        if level.attention:
            # through the gap between the two columns, into each attention box's inner side
            _arrow(ax, (5.2, 6.45), (xs_down + bw / 2, y + 0.12), color="#8e5ea2", dashed=True, rad=-0.15, width=1.0)
            _arrow(ax, (6.8, 6.45), (xs_up - bw / 2, y + 0.12), color="#8e5ea2", dashed=True, rad=0.15, width=1.0)
    _arrow(ax, (6.0, 6.45), (6.0, y_mid + bh / 2), color="#8e5ea2", dashed=True, width=1.0)
    ax.text(11.9, 1.0, "orange boxes: self-attention, then\ncross-attention from image positions\nto the text tokens",
            ha="right", va="bottom", fontsize=9, color="#8a4b22")
    return fig
