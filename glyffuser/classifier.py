"""A radical classifier for glyphs: the independent judge of what the model draws.

A small CNN reads a 32x32 glyph and predicts its Kangxi radical (1-214). It is
trained on real glyphs, with whole characters held out for testing, and with
±1-pixel shifts so it does not hinge on exact placement. Its penultimate
features also serve the Fréchet distance (as Inception's do in FID, Heusel et
al. 2017). ``python -m glyffuser.classifier`` trains and ships it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from glyffuser.data.store import atomic_write

CLASSIFIER_DIR = Path(__file__).resolve().parent.parent / "assets" / "classifier"
NUM_RADICALS = 214
FEATURE_DIM = 256


class RadicalNet(nn.Module):
    """(B, 1, 32, 32) ink in [0, 1] -> (B, 214) radical logits."""

    def __init__(self):
        super().__init__()

        def block(c_in, c_out):
            return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(),
                                 nn.Conv2d(c_out, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(), nn.MaxPool2d(2))

        self.body = nn.Sequential(block(1, 24), block(24, 48), block(48, 96))  # (B, 96, 4, 4)
        self.features = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(96 * 16, FEATURE_DIM), nn.ReLU())
        self.head = nn.Linear(FEATURE_DIM, NUM_RADICALS)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, 32, 32) -> (B, 256) features."""
        return self.features(self.body(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))


def split_characters(count: int, held_out: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint (train, test) row indices: whole characters are held out."""
    order = np.random.default_rng(seed).permutation(count)
    cut = int(round(count * held_out))
    return np.sort(order[cut:]), np.sort(order[:cut])


def random_shift(x: torch.Tensor, generator: torch.Generator, pixels: int = 1) -> torch.Tensor:
    """Shift each (1, S, S) image by up to ``pixels`` in x and y, filling with paper."""
    padded = F.pad(x, (pixels,) * 4)
    size = x.shape[-1]
    offsets = torch.randint(0, 2 * pixels + 1, (len(x), 2), generator=generator)
    return torch.stack([padded[i, :, dy:dy + size, dx:dx + size] for i, (dy, dx) in enumerate(offsets.tolist())])


@torch.no_grad()
def accuracy(model: RadicalNet, images: torch.Tensor, radicals: torch.Tensor, batch: int = 1024) -> float:
    model.eval()
    hits = sum((model(images[i:i + batch]).argmax(1) + 1 == radicals[i:i + batch]).sum().item()
               for i in range(0, len(images), batch))
    return hits / len(images)


def train_classifier(epochs: int = 6, batch_size: int = 128, lr: float = 2e-3, seed: int = 0, out: Path = CLASSIFIER_DIR):
    """Train on 90% of the characters, report accuracy on the other 10%, write weights + JSON."""
    from safetensors.torch import save_file

    from glyffuser.data import load_glyphs
    from glyffuser.data.dataset import resize_images

    glyphs = load_glyphs()
    images = resize_images(glyphs.images, 32)
    radicals = torch.from_numpy(glyphs.radicals.astype(np.int64))
    train_idx, test_idx = split_characters(len(glyphs), seed=seed)
    torch.manual_seed(seed)
    model = RadicalNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * (len(train_idx) // batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=steps)
    generator = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.from_numpy(train_idx)[torch.randperm(len(train_idx), generator=generator)]
        for i in range(len(order) // batch_size):
            rows = order[i * batch_size:(i + 1) * batch_size]
            x = random_shift(images[rows], generator)
            loss = F.cross_entropy(model(x), radicals[rows] - 1, label_smoothing=0.05)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        test_acc = accuracy(model, images[test_idx], radicals[test_idx])
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}, held-out accuracy {test_acc:.3f}", flush=True)
    info = {
        "held_out_accuracy": round(test_acc, 4),
        "train_accuracy": round(accuracy(model, images[train_idx], radicals[train_idx]), 4),
        "held_out_characters": len(test_idx), "train_characters": len(train_idx),
        "epochs": epochs, "seconds": round(time.perf_counter() - start), "seed": seed,
    }
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    atomic_write(Path(out) / "classifier.safetensors", lambda tmp: save_file(state, str(tmp)))
    atomic_write(Path(out) / "classifier.json", lambda tmp: tmp.write_text(json.dumps(info, indent=2) + "\n"))
    return model, info


def load_radical_net(folder: Path = CLASSIFIER_DIR) -> RadicalNet:
    from safetensors.torch import load_file

    model = RadicalNet()
    model.load_state_dict(load_file(str(Path(folder) / "classifier.safetensors")))
    return model.eval()


def main() -> None:
    _, info = train_classifier()
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
