"""A radical classifier for glyphs: the independent judge of what the model draws.

A small CNN reads a 32x32 glyph and predicts its Kangxi radical (1-214). It is
trained on real glyphs with whole characters held out, and with augmentations
that mimic what a diffusion model draws (:func:`augment`): shifts, small changes of
scale and aspect, blur, thicker or thinner strokes, grey levels, pixel noise, broken
or erased strokes, and averages of several glyphs (a one-step x̂0 from pure noise is
such an average, E[x0 | prompt]; the average's label is the mixture of its glyphs'
radicals, so the classifier learns to be unsure of it), and synthetic stacked glyphs
with a radical below another component (the model draws 金 under a component, as in
鋈, more often than the font does). Its logits are then
calibrated by one temperature (Guo et al. 2017), fitted on characters neither
trained on nor tested on, so that on real glyphs a top guess at 0.8 is right about
8 times in 10 (the held-out calibration error is in ``classifier.json``).
Its penultimate features also serve the Fréchet distance (as Inception's do in
FID, Heusel et al. 2017). ``python -m glyffuser.evaluate.classifier`` trains and ships it.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from glyffuser.data.store import atomic_write
from glyffuser.evaluate.prompt_sets import HELD_OUT_PROMPTS, README_PROMPTS

CLASSIFIER_DIR = Path(__file__).resolve().parents[2] / "assets" / "classifier"
NUM_RADICALS = 214
FEATURE_DIM = 256
THRESHOLD = 0.5  # a glyph carries a radical when its calibrated probability is at least this
# radicals that sit below another component in real characters (鋈, 想, 警, 盤, 蟹, ...): their own
# glyph squeezed under another glyph makes a synthetic stacked example (see :func:`stack_radicals`)
BOTTOM_RADICALS = (167, 61, 149, 154, 108, 32, 142, 75, 38, 145, 196, 195, 64, 112, 30, 72, 85, 86, 119, 120,
                   96, 102, 109, 187, 157, 113, 37, 39, 19, 41, 29, 55, 159, 130)
REPORTED_RADICALS = sorted(set(README_PROMPTS.values()) | set(HELD_OUT_PROMPTS.values()))


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


def split_three(count: int, seed: int = 0, test: float = 0.1, calibration: float = 0.05):
    """(train, calibration, test) row indices; the test rows are :func:`split_characters`' held-out 10%."""
    train, test_rows = split_characters(count, test, seed)
    order = np.random.default_rng(seed + 1).permutation(train)
    cut = int(round(count * calibration))
    return np.sort(order[cut:]), np.sort(order[:cut]), test_rows


# --- augmentation: what generated glyphs do that font glyphs do not ------------------------------

def _chance(p: float, n: int, g: torch.Generator) -> torch.Tensor:
    return torch.rand(n, generator=g) < p


def _uniform(low: float, high: float, n: int, g: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=g)


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Blur each (1, S, S) image of (B, 1, S, S) with its own sigma (B,) in pixels."""
    r = torch.arange(-3, 4, dtype=x.dtype)
    k = torch.exp(-r[None] ** 2 / (2 * sigma.clamp_min(1e-3)[:, None] ** 2))  # (B, 7)
    k = k / k.sum(1, keepdim=True)
    b, _, h, w = x.shape
    y = F.conv2d(F.pad(x.reshape(1, b, h, w), (3, 3, 0, 0)), k[:, None, None, :], groups=b)
    y = F.conv2d(F.pad(y, (0, 0, 3, 3)), k[:, None, :, None], groups=b)
    return y.reshape(b, 1, h, w)


def stack_radicals(x: torch.Tensor, soft: torch.Tensor, parts, g: torch.Generator, p: float = 0.08):
    """Replace a share ``p`` of (B, 1, 32, 32) glyphs by the glyph squeezed into the top half and a
    radical's own glyph (``parts``: ((R, 1, 32, 32) images, (R,) radicals)) squeezed below it.

    The label is 0.75 the bottom radical and 0.25 the top glyph's: real characters built so mostly
    take the bottom one (鋈 金, 想 心, 警 言), but some take the top (茶 艸).
    """
    images, radicals = parts
    for i in _chance(p, len(x), g).nonzero()[:, 0].tolist():
        top_h = int(torch.randint(14, 20, (1,), generator=g))
        j = int(torch.randint(0, len(images), (1,), generator=g))
        top = F.interpolate(x[i:i + 1], size=(top_h, 32), mode="area")
        bottom = F.interpolate(images[j:j + 1], size=(32 - top_h, 32), mode="area")
        x[i] = torch.cat([top, bottom], 2)[0]
        soft[i] = 0.25 * soft[i] + 0.75 * F.one_hot(radicals[j] - 1, NUM_RADICALS).float()
    return x, soft


def augment(x: torch.Tensor, soft: torch.Tensor, g: torch.Generator, parts=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Make (B, 1, 32, 32) real ink look like generated ink; ``soft`` (B, 214) labels follow averages
    and, with ``parts`` (see :func:`stack_radicals`), synthetic stacked glyphs."""
    b = len(x)
    if parts is not None:
        x, soft = stack_radicals(x, soft, parts, g)
    # averages of 2-6 glyphs of the batch, blurred (a one-step x̂0 is a blurry average)
    mix = _chance(0.1, b, g)
    if mix.any():
        for i in mix.nonzero()[:, 0].tolist():
            rows = torch.randint(0, b, (int(torch.randint(2, 7, (1,), generator=g)),), generator=g)
            x[i], soft[i] = x[rows].mean(0), soft[rows].mean(0)
        x[mix] = gaussian_blur(x[mix], _uniform(0.5, 1.5, int(mix.sum()), g))
    # shift, scale and aspect, slight rotation
    angle = _uniform(-0.05, 0.05, b, g)
    sx, sy = _uniform(0.85, 1.12, b, g), _uniform(0.85, 1.12, b, g)
    tx, ty = _uniform(-0.12, 0.12, b, g), _uniform(-0.12, 0.12, b, g)
    theta = torch.stack([torch.stack([torch.cos(angle) / sx, -torch.sin(angle) / sx, tx], 1),
                         torch.stack([torch.sin(angle) / sy, torch.cos(angle) / sy, ty], 1)], 1)
    keep = _chance(0.15, b, g)
    theta[keep] = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
    x = F.grid_sample(x, F.affine_grid(theta, x.shape, align_corners=False), align_corners=False)
    # thicker or thinner strokes
    amount = _uniform(0.0, 0.7, b, g)[:, None, None, None]
    thick, thin = _chance(0.25, b, g), _chance(0.25, b, g)
    x = torch.where(thick[:, None, None, None], x + amount * (F.max_pool2d(x, 3, 1, 1) - x), x)
    x = torch.where(thin[:, None, None, None], x - amount * (x + F.max_pool2d(-x, 3, 1, 1)), x)
    # blur
    blur = _chance(0.35, b, g)
    if blur.any():
        x[blur] = gaussian_blur(x[blur], _uniform(0.3, 1.1, int(blur.sum()), g))
    # broken strokes: small holes; partial erasing: one rectangle
    holes = _chance(0.25, b, g)[:, None, None, None] & (torch.rand(b, 1, 8, 8, generator=g) < 0.12)
    x = x * (1 - F.interpolate(holes.float(), size=x.shape[-1]))
    erase = _chance(0.2, b, g).nonzero()[:, 0].tolist()
    for i in erase:
        h, w = torch.randint(3, 10, (2,), generator=g).tolist()
        top, left = torch.randint(0, 32 - h, (1,), generator=g).item(), torch.randint(0, 32 - w, (1,), generator=g).item()
        x[i, :, top:top + h, left:left + w] = 0
    # grey levels and pixel noise
    gamma = torch.where(_chance(0.3, b, g), _uniform(0.6, 1.6, b, g), torch.ones(b))[:, None, None, None]
    x = x.clamp(0, 1) ** gamma
    noise = _chance(0.4, b, g)[:, None, None, None] * _uniform(0.0, 0.12, b, g)[:, None, None, None]
    x = x + noise * torch.randn(x.shape, generator=g)
    return x.clamp(0, 1), soft


# --- training, calibration, held-out measures ----------------------------------------------------

@torch.no_grad()
def all_logits(model: RadicalNet, images: torch.Tensor, batch: int = 1024) -> torch.Tensor:
    model.eval()
    return torch.cat([model(images[i:i + batch]) for i in range(0, len(images), batch)])


def accuracy(model: RadicalNet, images: torch.Tensor, radicals: torch.Tensor) -> float:
    return (all_logits(model, images).argmax(1) + 1 == radicals).float().mean().item()


def fit_temperature(logits: torch.Tensor, radicals: torch.Tensor) -> float:
    """The temperature T minimising the negative log-likelihood of softmax(logits / T) (a 1-d search)."""
    targets = radicals - 1
    grid = torch.exp(torch.linspace(math.log(0.3), math.log(5.0), 200))
    nll = torch.stack([F.cross_entropy(logits / t, targets) for t in grid])
    return float(grid[nll.argmin()])


def expected_calibration_error(probs: torch.Tensor, radicals: torch.Tensor, bins: int = 10) -> float:
    """Mean |accuracy - confidence| over confidence bins of the top guess, weighted by bin size."""
    conf, guess = probs.max(1)
    hit = (guess + 1 == radicals).float()
    edges = torch.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (conf > lo) & (conf <= hi)
        if inside.any():
            total += inside.float().mean().item() * abs(hit[inside].mean().item() - conf[inside].mean().item())
    return total


def held_out_measures(probs: torch.Tensor, radicals: torch.Tensor, threshold: float = THRESHOLD) -> dict:
    """Overall accuracy, calibration and per-radical recall / false-alarm rate of (N, 214) probabilities."""
    top = probs.argmax(1) + 1
    per_radical = {}
    for r in REPORTED_RADICALS:
        has = radicals == r
        claimed = probs[:, r - 1] >= threshold
        per_radical[str(r)] = {"glyphs": int(has.sum()), "recall": round(claimed[has].float().mean().item(), 4),
                               "top1_recall": round((top[has] == r).float().mean().item(), 4),
                               "false_alarm": round(claimed[~has].float().mean().item(), 4)}
    return {"accuracy": round((top == radicals).float().mean().item(), 4),
            "ece": round(expected_calibration_error(probs, radicals), 4), "per_radical": per_radical}


def radical_char(radical: int) -> str:
    """The unified ideograph of a Kangxi radical (金 for 167)."""
    import unicodedata

    return unicodedata.normalize("NFKC", chr(0x2F00 + radical - 1))


def train_classifier(epochs: int = 7, batch_size: int = 128, lr: float = 3e-3, seed: int = 0, out: Path = CLASSIFIER_DIR):
    """Train on 85% of the characters, calibrate on 5%, report on the other 10%; write weights + JSON."""
    from safetensors.torch import save_file

    from glyffuser.data import load_glyphs
    from glyffuser.data.dataset import resize_images

    glyphs = load_glyphs()
    images = resize_images(glyphs.images, 32)
    radicals = torch.from_numpy(glyphs.radicals.astype(np.int64))
    train_idx, cal_idx, test_idx = split_three(len(glyphs), seed)
    own = [glyphs.chars.tolist().index(radical_char(r)) for r in BOTTOM_RADICALS]  # each radical's own glyph
    parts = (images[own], torch.tensor(BOTTOM_RADICALS))
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
            soft = F.one_hot(radicals[rows] - 1, NUM_RADICALS).float() * 0.95 + 0.05 / NUM_RADICALS
            x, soft = augment(images[rows].clone(), soft, generator, parts)
            loss = torch.sum(-soft * F.log_softmax(model(x), 1), 1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}, held-out accuracy "
              f"{accuracy(model, images[test_idx], radicals[test_idx]):.3f}, {time.perf_counter() - start:.0f} s", flush=True)
    seconds = time.perf_counter() - start
    # calibrate on the calibration characters, clean and as generated-looking
    cal_gen = torch.Generator().manual_seed(seed + 2)
    cal_soft = F.one_hot(radicals[cal_idx] - 1, NUM_RADICALS).float()
    cal_aug, _ = augment(images[cal_idx].clone(), cal_soft, cal_gen)
    cal_logits = torch.cat([all_logits(model, images[cal_idx]), all_logits(model, cal_aug)])
    temperature = fit_temperature(cal_logits, torch.cat([radicals[cal_idx]] * 2))
    test_gen = torch.Generator().manual_seed(seed + 3)
    test_aug, _ = augment(images[test_idx].clone(), F.one_hot(radicals[test_idx] - 1, NUM_RADICALS).float(), test_gen)
    probs = torch.softmax(all_logits(model, images[test_idx]) / temperature, 1)
    probs_aug = torch.softmax(all_logits(model, test_aug) / temperature, 1)
    clean, aug = held_out_measures(probs, radicals[test_idx]), held_out_measures(probs_aug, radicals[test_idx])
    info = {
        "held_out_accuracy": clean["accuracy"],
        "train_accuracy": round(accuracy(model, images[train_idx], radicals[train_idx]), 4),
        "temperature": round(temperature, 4), "threshold": THRESHOLD,
        "held_out_ece": clean["ece"], "held_out_augmented_accuracy": aug["accuracy"], "held_out_augmented_ece": aug["ece"],
        "held_out_characters": len(test_idx), "calibration_characters": len(cal_idx), "train_characters": len(train_idx),
        "per_radical": {r: {**m, "augmented_recall": aug["per_radical"][r]["recall"]} for r, m in clean["per_radical"].items()},
        "epochs": epochs, "seconds": round(seconds), "seed": seed,
        "note": "per_radical: held-out real glyphs with the radical (glyphs), the share whose calibrated probability of it "
                "is >= threshold (recall) or is the top guess (top1_recall), the same share on generated-looking copies "
                "(augmented_recall), and the share of held-out glyphs without it that reach the threshold (false_alarm)",
    }
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    atomic_write(Path(out) / "classifier.safetensors", lambda tmp: save_file(state, str(tmp)))
    atomic_write(Path(out) / "classifier.json", lambda tmp: tmp.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n"))
    return model, info


def load_radical_net(folder: Path = CLASSIFIER_DIR) -> RadicalNet:
    from safetensors.torch import load_file

    model = RadicalNet()
    model.load_state_dict(load_file(str(Path(folder) / "classifier.safetensors")))
    return model.eval()


def load_info(folder: Path = CLASSIFIER_DIR) -> dict:
    """The classifier's ``classifier.json``: temperature, threshold and held-out measures."""
    return json.loads((Path(folder) / "classifier.json").read_text())


def main() -> None:
    _, info = train_classifier()
    print(json.dumps({k: v for k, v in info.items() if k != "per_radical"}, indent=2))


if __name__ == "__main__":
    main()
