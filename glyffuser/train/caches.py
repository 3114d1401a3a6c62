"""Caches in a run folder: every caption encoded once, the uncaptioned glyphs rendered once,
the sample prompts encoded once. Each is written atomically; on N processes the main
process writes them first and the others read them (:meth:`Processes.main_first`).
"""

from __future__ import annotations

from pathlib import Path

import torch

from glyffuser.data.store import atomic_write
from glyffuser.model.text import TextEncoder


def encode_definitions(definitions, encoder: TextEncoder, batch: int = 256):
    """(N, L, D) float16 token states and (N, L) bool masks of all definitions, plus the null prompt's."""
    states, masks = [], []
    for start in range(0, len(definitions), batch):
        enc = encoder.encode(list(definitions[start:start + batch]))
        states.append(enc.states.half())
        masks.append(enc.mask)
    null = encoder.encode([""])
    return torch.cat(states), torch.cat(masks), null.states.half()[0], null.mask[0]


def load_text_cache(out: Path, definitions, device, variants: int = 1, seed: int = 0, word_dropout: float = 0.15) -> tuple:
    """Encode every caption once and cache them in the run folder.

    Returns:
        states (N, K, L, D) float16, masks (N, K, L) bool for K caption variants per
        definition (:func:`glyffuser.train.captions.caption_variants`), the null prompt's (L, D) and (L,).
    """
    from glyffuser.train.captions import caption_variants

    cache = out / "text_states.pt"
    key = {"count": len(definitions), "variants": variants, "seed": seed, "word_dropout": word_dropout}
    if cache.exists():
        saved = torch.load(cache, weights_only=True)
        if all(saved.get(k) == v for k, v in key.items()):
            return saved["states"], saved["masks"], saved["null"], saved["null_mask"]
    captions = caption_variants(definitions, variants, seed, word_dropout)
    flat = [c for row in captions for c in row]
    unique = list(dict.fromkeys(flat))  # short definitions repeat: encode each text once
    encoder = TextEncoder(device=device)
    states, masks, null, null_mask = encode_definitions(unique, encoder)
    index = {c: i for i, c in enumerate(unique)}
    where = torch.tensor([index[c] for c in flat])
    states = states[where].view(len(definitions), variants, *states.shape[1:]).cpu()
    masks = masks[where].view(len(definitions), variants, -1).cpu()
    atomic_write(cache, lambda tmp: torch.save(
        {**key, "states": states, "masks": masks, "null": null.cpu(), "null_mask": null_mask.cpu()}, tmp))
    return states, masks, null.cpu(), null_mask.cpu()


def load_uncaptioned(out: Path, size: int = 64) -> torch.Tensor:
    """(U, size, size) float32 ink of the block's glyphs without a definition, rendered once into the run folder."""
    import numpy as np

    cache = out / ("uncaptioned.npz" if size == 64 else f"uncaptioned{size}.npz")
    if not cache.exists():
        from glyffuser.data.build import uncaptioned_images

        images, codepoints = uncaptioned_images(size=size)
        atomic_write(cache, lambda tmp: np.savez_compressed(open(tmp, "wb"), images=images, codepoints=codepoints))
    with np.load(cache) as saved:
        return torch.from_numpy(saved["images"].astype(np.float32) / 255.0)


def load_prompt_states(out: Path, prompts, device):
    cache = out / "prompt_states.pt"
    if cache.exists():
        saved = torch.load(cache, weights_only=True)
        if saved["prompts"] == "\n".join(prompts):
            return saved["states"].to(device), saved["masks"].to(device)
    enc = TextEncoder(device=device).encode(list(prompts))
    atomic_write(cache, lambda tmp: torch.save({"prompts": "\n".join(prompts), "states": enc.states, "masks": enc.mask}, tmp))
    return enc.states.to(device), enc.mask.to(device)
