"""A torch ``Dataset`` of (image, definition) pairs for training."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from glyffuser.data.store import Glyphs


def resize_images(images: np.ndarray, size: int) -> torch.Tensor:
    """Area-downsample ink arrays.

    Args:
        images: (N, H, W) float32 in [0, 1].
        size: target side, dividing H.

    Returns:
        (N, 1, size, size) float32 in [0, 1].
    """
    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))[:, None]
    return x if x.shape[-1] == size else F.adaptive_avg_pool2d(x, size)


class GlyphDataset(Dataset):
    """Glyphs scaled to [-1, 1] (1 = ink) with their definitions.

    Items are ``(image (1, size, size) float32, index)``; captions are looked up by index
    so text embeddings can be precomputed once per definition.
    """

    def __init__(self, glyphs: Glyphs, size: int = 32):
        self.glyphs = glyphs
        self.images = resize_images(glyphs.images, size) * 2 - 1

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        return self.images[index], index
