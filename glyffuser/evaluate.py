"""What the model learned, measured: radical accuracy, Fréchet distance, novelty.

* Radical meter: the share of samples for a prompt such as "gold" that the
  independent classifier (:mod:`glyffuser.classifier`) reads as carrying the
  prompt's radical (金/钅, 167). Chance is the radical's share of the dataset.
* Fréchet distance between classifier features of generated and real glyphs
  (the FID recipe of Heusel et al. 2017 with our own feature extractor),
  reported beside the real-vs-real floor for the same counts.
* Nearest training glyph of each sample, and a projector onto the 2-D map.

``python -m glyffuser.evaluate`` prints the report.
"""

from __future__ import annotations

import argparse
import json
import re
import time
import unicodedata
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from glyffuser.classifier import load_radical_net

PROMPT_RADICALS = {
    "gold": 167, "water": 85, "fire": 86, "tree": 75, "grass": 140,
    "insect": 142, "sickness": 104, "bird": 196, "fish": 195, "speech": 149,
}
SIMPLIFIED_FORMS = {167: "钅", 85: "氵", 140: "艹", 196: "鸟", 195: "鱼", 149: "讠"}


def radical_char(radical: int) -> str:
    """The unified ideograph of a Kangxi radical (U+2F00 block, NFKC-normalised)."""
    return unicodedata.normalize("NFKC", chr(0x2F00 + radical - 1))


def radical_label(radical: int) -> str:
    """e.g. ``"金/钅 (167)"``."""
    form = SIMPLIFIED_FORMS.get(radical)
    return f"{radical_char(radical)}{'/' + form if form else ''} ({radical})"


def radical_for_prompt(prompt: str) -> int | None:
    """The radical a prompt names, if it is one of :data:`PROMPT_RADICALS`' words."""
    words = re.findall(r"[a-z]+", (prompt or "").lower())
    return next((PROMPT_RADICALS[w] for w in words if w in PROMPT_RADICALS), None)


def _as_batch(ink: np.ndarray) -> torch.Tensor:
    """(B, H, W) ink in [0, 1] -> (B, 1, 32, 32) tensor."""
    x = torch.from_numpy(np.ascontiguousarray(ink, dtype=np.float32))
    x = x[:, None] if x.ndim == 3 else x
    return x if x.shape[-1] == 32 else F.adaptive_avg_pool2d(x, 32)


class RadicalClassifier:
    """Predicts radicals and features of (B, H, W) ink arrays (H = 32 or 64)."""

    def __init__(self, net):
        self.net = net

    @torch.inference_mode()
    def logits(self, ink: np.ndarray) -> torch.Tensor:
        return torch.cat([self.net(b) for b in _as_batch(ink).split(512)])

    def predict(self, ink: np.ndarray) -> np.ndarray:
        """(B,) int radicals 1-214."""
        return self.logits(ink).argmax(1).numpy() + 1

    @torch.inference_mode()
    def features(self, ink: np.ndarray) -> np.ndarray:
        """(B, 256) float64 penultimate features."""
        return torch.cat([self.net.embed(b) for b in _as_batch(ink).split(512)]).double().numpy()


@lru_cache(maxsize=1)
def load_classifier() -> RadicalClassifier:
    return RadicalClassifier(load_radical_net())


def radical_meter(ink: np.ndarray, radical: int, classifier: RadicalClassifier | None = None) -> tuple[int, int]:
    """(samples read as carrying ``radical``, samples)."""
    predicted = (classifier or load_classifier()).predict(ink)
    return int((predicted == radical).sum()), len(predicted)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to (N, F) and (M, F) features."""
    from scipy import linalg

    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(cov_a @ cov_b)
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * covmean))


@lru_cache(maxsize=1)
def _reference_32() -> np.ndarray:
    from glyffuser.data import load_glyphs
    from glyffuser.data.dataset import resize_images

    return resize_images(load_glyphs().images, 32)[:, 0].reshape(-1, 32 * 32).numpy()


def nearest_glyphs(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest dataset glyph of each sample.

    Args:
        ink: (B, 32, 32) samples.

    Returns:
        (indices (B,) into ``load_glyphs()``, RMS pixel distances (B,) in [0, 1]).
    """
    ref = _reference_32()
    flat = np.asarray(ink, np.float32).reshape(len(ink), -1)
    d2 = (flat**2).sum(1)[:, None] - 2 * flat @ ref.T + (ref**2).sum(1)[None]
    idx = d2.argmin(1)
    return idx, np.sqrt(np.maximum(d2[np.arange(len(idx)), idx], 0) / flat.shape[1])


@lru_cache(maxsize=1)
def _map_projector():
    from sklearn.neighbors import KNeighborsRegressor

    from glyffuser.data import load_map

    return KNeighborsRegressor(n_neighbors=10, weights="distance").fit(_reference_32(), load_map())


def project_to_map(ink: np.ndarray) -> np.ndarray:
    """(B, 32, 32) ink -> (B, 2) glyph-map coordinates (distance-weighted 10-NN regression)."""
    return _map_projector().predict(np.asarray(ink, np.float32).reshape(len(ink), -1)).astype(np.float32)


def report(n: int = 32, steps: int = 30, guidance: float = 3.0, sampler: str = "dpm", fd_count: int = 512, seed: int = 0,
           model_dir: str | None = None) -> dict:
    """Radical accuracy per prompt and Fréchet distances, with chance levels and the floor.

    ``model_dir``: a model folder other than the shipped ``assets/model``.
    """
    import glyffuser
    from glyffuser.data import load_glyphs

    pipe = glyffuser.load_pipeline(model_dir)
    classifier, glyphs = load_classifier(), load_glyphs()
    rows, start = {}, time.perf_counter()
    for word, radical in PROMPT_RADICALS.items():
        samples = pipe(word, n=n, steps=steps, guidance=guidance, seed=seed, sampler=sampler)
        hits, total = radical_meter(samples, radical, classifier)
        _, dist = nearest_glyphs(samples)
        rows[word] = {"radical": radical, "hits": hits, "total": total, "share": hits / total,
                      "chance": float((glyphs.radicals == radical).mean()), "median_nn_distance": float(np.median(dist))}
        print(f"{word:9s} {radical_label(radical):10s} {hits:3d}/{total}  (chance {rows[word]['chance']:.1%})", flush=True)
    rng = np.random.default_rng(seed)
    real = rng.permutation(len(glyphs))
    real_a, real_b = glyphs.images[real[:fd_count]], glyphs.images[real[fd_count:2 * fd_count]]
    unguided = np.concatenate([pipe("", n=min(64, fd_count - i), steps=steps, guidance=0.0, seed=seed + 1000 + i, sampler=sampler)
                               for i in range(0, fd_count, 64)])
    feats = {k: classifier.features(v) for k, v in {"real_a": real_a, "real_b": real_b, "unguided": unguided}.items()}
    result = {
        "prompts": rows,
        "mean_share": float(np.mean([r["share"] for r in rows.values()])),
        "mean_chance": float(np.mean([r["chance"] for r in rows.values()])),
        "frechet_unguided": frechet_distance(feats["unguided"], feats["real_a"]),
        "frechet_floor_real_vs_real": frechet_distance(feats["real_b"], feats["real_a"]),
        "settings": {"n": n, "steps": steps, "guidance": guidance, "sampler": sampler, "fd_count": fd_count, "seed": seed,
                     "model": str(model_dir or "assets/model")},
        "seconds": round(time.perf_counter() - start, 1),
    }
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m glyffuser.evaluate", description="Radical accuracy and Fréchet distance of the shipped model.")
    parser.add_argument("--n", type=int, default=32)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--guidance", type=float, default=3.0)
    parser.add_argument("--sampler", default="dpm")
    parser.add_argument("--fd-count", type=int, default=512)
    parser.add_argument("--model", help="a model folder (default: the shipped assets/model)")
    parser.add_argument("--json", help="also write the report to this file")
    args = parser.parse_args(argv)
    result = report(args.n, args.steps, args.guidance, args.sampler, args.fd_count, model_dir=args.model)
    print(f"mean share {result['mean_share']:.1%} (chance {result['mean_chance']:.1%}); Fréchet unguided "
          f"{result['frechet_unguided']:.2f}, real-vs-real floor {result['frechet_floor_real_vs_real']:.2f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=2)


if __name__ == "__main__":
    main()
