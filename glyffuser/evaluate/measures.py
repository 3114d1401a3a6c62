"""What the model learned, measured: radical accuracy, variety, novelty, Fréchet distance.

* Radical meter: the share of samples for a prompt such as "gold" to which the
  independent classifier (:mod:`glyffuser.evaluate.classifier`) gives the prompt's radical
  (金/钅, 167) a calibrated probability of at least 0.5. Chance is the radical's
  share of the dataset.
* Variety: the mean pairwise distance of a prompt's samples, as a share of the
  same measure for as many real glyphs with the prompt's radical (a model that
  learned the distribution gives about 1; one that copies one glyph, about 0).
* Novelty: the share of samples within RMS 0.10 of a training glyph (copies), and
  the number of distinct nearest training glyphs among a prompt's samples.
* Fréchet distance between classifier features of generated and real glyphs
  (the FID recipe of Heusel et al. 2017 with our own feature extractor),
  reported beside the real-vs-real floor for the same counts.

Distances are RMS differences of ink in [0, 1] at 32x32, area-downsampled, so
models of any size are compared on one scale. Prompts come in two sets
(:mod:`glyffuser.evaluate.prompt_sets`): the README's ten, and a held-out set fixed before
training that no choice is tuned on. ``python -m glyffuser.evaluate`` prints the report.
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

from glyffuser.evaluate.classifier import load_info as load_classifier_info
from glyffuser.evaluate.classifier import load_radical_net
from glyffuser.evaluate.prompt_sets import PROMPT_SETS, README_PROMPTS

PROMPT_RADICALS = README_PROMPTS
SIMPLIFIED_FORMS = {167: "钅", 85: "氵", 140: "艹", 196: "鸟", 195: "鱼", 149: "讠", 120: "纟", 64: "扌", 61: "忄"}
COPY_DISTANCE = 0.10  # RMS ink distance at 32x32 below which a sample counts as a copy
COMPARE_SIZE = 32


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
    return x if x.shape[-1] == COMPARE_SIZE else F.adaptive_avg_pool2d(x, COMPARE_SIZE)


def flat_32(ink: np.ndarray) -> np.ndarray:
    """(B, H, W) ink (H a multiple of 32) -> (B, 1024) float32, area-downsampled to 32x32."""
    return _as_batch(ink).reshape(len(ink), -1).numpy()


def mean_pairwise_distance(ink: np.ndarray) -> float:
    """Mean RMS ink distance over all pairs of (B, H, W) glyphs (B ≥ 2), at 32x32."""
    flat = flat_32(ink).astype(np.float64)
    sq = (flat**2).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None] - 2 * flat @ flat.T, 0) / flat.shape[1]
    upper = np.triu_indices(len(flat), 1)
    return float(np.sqrt(d2[upper]).mean())


@lru_cache(maxsize=64)
def real_variety(radical: int, count: int = 16, draws: int = 32, seed: int = 0) -> float:
    """Mean pairwise distance of ``count`` random real glyphs with ``radical``, averaged over ``draws`` draws."""
    from glyffuser.data import load_glyphs

    glyphs = load_glyphs()
    rows = np.flatnonzero(glyphs.radicals == radical)
    rng = np.random.default_rng(seed)
    return float(np.mean([mean_pairwise_distance(glyphs.images[rng.choice(rows, count, replace=False)])
                          for _ in range(draws)]))


def novelty(ink: np.ndarray, reference: np.ndarray | None = None) -> dict:
    """Copies and distinct nearest training glyphs of (B, H, W) samples.

    Args:
        reference: (M, 1024) the training glyphs at 32x32 (:func:`training_reference`); default the shipped dataset.

    Returns:
        {"copies": share of samples within :data:`COPY_DISTANCE` of a training glyph,
         "distinct_nearest": number of distinct nearest training glyphs,
         "median_nn_distance": median distance to the nearest training glyph}.
    """
    idx, dist = nearest_glyphs(ink, reference)
    return {"copies": float((dist < COPY_DISTANCE).mean()), "distinct_nearest": int(len(set(idx.tolist()))),
            "median_nn_distance": float(np.median(dist))}


class RadicalClassifier:
    """Predicts radicals, calibrated probabilities and features of (B, H, W) ink arrays (H = 32 or 64).

    ``temperature`` divides the logits (fitted on held-out real characters, see
    :mod:`glyffuser.evaluate.classifier`); ``info`` is its ``classifier.json`` (threshold, held-out recall).
    """

    def __init__(self, net, temperature: float = 1.0, info: dict | None = None):
        self.net, self.temperature, self.info = net, float(temperature), info or {}
        self.threshold = float(self.info.get("threshold", 0.5))

    @torch.inference_mode()
    def logits(self, ink: np.ndarray) -> torch.Tensor:
        return torch.cat([self.net(b) for b in _as_batch(ink).split(512)])

    def predict(self, ink: np.ndarray) -> np.ndarray:
        """(B,) int radicals 1-214 (the top guess)."""
        return self.logits(ink).argmax(1).numpy() + 1

    def probabilities(self, ink: np.ndarray) -> np.ndarray:
        """(B, 214) float64 calibrated probabilities; column r - 1 is radical r."""
        return torch.softmax(self.logits(ink).double() / self.temperature, 1).numpy()

    def held_out(self, radical: int) -> dict | None:
        """Held-out real-glyph measures of ``radical`` ({"glyphs", "recall", "false_alarm", ...}), if recorded."""
        return self.info.get("per_radical", {}).get(str(radical))

    @torch.inference_mode()
    def features(self, ink: np.ndarray) -> np.ndarray:
        """(B, 256) float64 penultimate features."""
        return torch.cat([self.net.embed(b) for b in _as_batch(ink).split(512)]).double().numpy()


@lru_cache(maxsize=1)
def load_classifier() -> RadicalClassifier:
    info = load_classifier_info()
    return RadicalClassifier(load_radical_net(), info.get("temperature", 1.0), info)


def radical_meter(ink: np.ndarray, radical: int, classifier: RadicalClassifier | None = None,
                  threshold: float | None = None) -> tuple[int, int]:
    """(samples whose calibrated probability of ``radical`` is at least ``threshold``, samples).

    ``threshold`` defaults to the classifier's (``classifier.json``, 0.5).
    """
    classifier = classifier or load_classifier()
    probs = classifier.probabilities(ink)[:, radical - 1]
    return int((probs >= (classifier.threshold if threshold is None else threshold)).sum()), len(probs)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to (N, F) and (M, F) features."""
    from scipy import linalg

    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(cov_a @ cov_b)
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * covmean))


def training_reference(record: dict) -> np.ndarray:
    """(M, 1024) the glyphs a model was trained on (:func:`glyffuser.data.store.load_training_glyphs`)
    at 32x32, for :func:`novelty`."""
    from glyffuser.data.store import trained_on_extension_a

    return _reference_32(trained_on_extension_a(record))


def _reference_32(extension_a: bool) -> np.ndarray:
    """(M, 1024) the dataset's glyphs at 32x32, followed by Extension A's when ``extension_a``: views
    of one cached array, so the map projector, the nearest glyphs and novelty share it."""
    from glyffuser.data.store import load_glyphs

    full = _references_32()
    return full if extension_a else full[:len(load_glyphs())]


@lru_cache(maxsize=1)
def _references_32() -> np.ndarray:
    """(N + E, 1024) float32 the dataset's glyphs at 32x32, then the shipped Extension A rows'."""
    from glyffuser.data.dataset import resize_images
    from glyffuser.data.store import training_glyphs

    return np.concatenate([resize_images(part.images, 32)[:, 0].reshape(-1, 32 * 32).numpy()
                           for part in training_glyphs(True).parts])


def nearest_glyphs(ink: np.ndarray, reference: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Nearest dataset glyph of each sample.

    Args:
        ink: (B, H, W) samples, compared at 32x32.
        reference: (M, 1024) glyphs to compare with (default: the shipped dataset, ``load_glyphs()``).

    Returns:
        (indices (B,) into the reference, RMS pixel distances (B,) in [0, 1]).
    """
    ref = _reference_32(False) if reference is None else reference
    flat = flat_32(ink)
    d2 = (flat**2).sum(1)[:, None] - 2 * flat @ ref.T + (ref**2).sum(1)[None]
    idx = d2.argmin(1)
    return idx, np.sqrt(np.maximum(d2[np.arange(len(idx)), idx], 0) / flat.shape[1])


@lru_cache(maxsize=1)
def _map_projector():
    from sklearn.neighbors import KNeighborsRegressor

    from glyffuser.data import load_map

    return KNeighborsRegressor(n_neighbors=10, weights="distance").fit(_reference_32(False), load_map())


def project_to_map(ink: np.ndarray) -> np.ndarray:
    """(B, H, W) ink -> (B, 2) glyph-map coordinates (distance-weighted 10-NN regression at 32x32)."""
    return _map_projector().predict(flat_32(ink)).astype(np.float32)


def prompt_measures(samples: np.ndarray, radical: int, classifier: RadicalClassifier, chance: float,
                    reference: np.ndarray | None = None) -> dict:
    """Every measure of one prompt's (B, H, W) samples; novelty against ``reference`` (see :func:`novelty`)."""
    hits, total = radical_meter(samples, radical, classifier)
    variety = mean_pairwise_distance(samples)
    real = real_variety(radical, count=len(samples))
    return {"radical": radical, "hits": hits, "total": total, "share": hits / total, "chance": chance,
            "variety": variety, "real_variety": real, "variety_ratio": variety / real, **novelty(samples, reference)}


def summarise(rows: dict) -> dict:
    """Means over a set's prompts."""
    keys = ("share", "chance", "variety_ratio", "copies", "distinct_nearest", "median_nn_distance")
    return {k: float(np.mean([r[k] for r in rows.values()])) for k in keys}


def report(n: int = 16, steps: int = 120, guidance: float | None = None, sampler: str = "dpm", fd_count: int = 512,
           seed: int = 0, model_dir: str | None = None, guidance_t_max: int | None = None,
           sets: tuple = ("readme", "held_out"), fd_steps: int = 30) -> dict:
    """All measures per prompt for each prompt set, their means, and the Fréchet distances.

    ``guidance`` / ``guidance_t_max`` default to the pipeline's; ``model_dir``: a model folder
    other than the shipped ``assets/model``; ``fd_count = 0`` skips the Fréchet distance.
    """
    import glyffuser
    from glyffuser.data import load_glyphs
    from glyffuser.data.store import load_training_glyphs
    from glyffuser.model.pipeline import DEFAULT_GUIDANCE, DEFAULT_GUIDANCE_T_MAX

    guidance = DEFAULT_GUIDANCE if guidance is None else guidance
    guidance_t_max = DEFAULT_GUIDANCE_T_MAX if guidance_t_max is None else guidance_t_max
    pipe = glyffuser.load_pipeline(model_dir)
    classifier, glyphs = load_classifier(), load_glyphs()
    reference = training_reference(pipe.model.config.extra)
    result, start = {"sets": {}}, time.perf_counter()
    for name in sets:
        rows = {}
        for prompt, radical in PROMPT_SETS[name].items():
            samples = pipe(prompt, n=n, steps=steps, guidance=guidance, seed=seed, sampler=sampler, guidance_t_max=guidance_t_max)
            rows[prompt] = prompt_measures(samples, radical, classifier, float((glyphs.radicals == radical).mean()), reference)
            r = rows[prompt]
            print(f"{prompt[:34]:34s} {radical_label(radical):9s} {r['hits']:3d}/{r['total']}  variety {r['variety_ratio']:.2f}  "
                  f"copies {r['copies']:.0%}  distinct {r['distinct_nearest']:2d}", flush=True)
        result["sets"][name] = {"prompts": rows, "mean": summarise(rows)}
    if fd_count:
        rng = np.random.default_rng(seed)
        real = rng.permutation(len(glyphs))
        real_a, real_b = glyphs.images[real[:fd_count]], glyphs.images[real[fd_count:2 * fd_count]]
        unguided = np.concatenate([pipe("", n=min(64, fd_count - i), steps=fd_steps, guidance=0.0, seed=seed + 1000 + i, sampler=sampler)
                                   for i in range(0, fd_count, 64)])
        feats = {k: classifier.features(v) for k, v in {"real_a": real_a, "real_b": real_b, "unguided": unguided}.items()}
        result["frechet_unguided"] = frechet_distance(feats["unguided"], feats["real_a"])
        result["frechet_floor_real_vs_real"] = frechet_distance(feats["real_b"], feats["real_a"])
        result["unguided_novelty"] = novelty(unguided[:64], reference)
        trained = load_training_glyphs(pipe.model.config.extra)
        if len(trained) > len(glyphs):  # the model saw more than the dataset (Extension A): also against all it saw
            seen = trained.take(rng.permutation(len(trained))[:fd_count]).images
            result["frechet_unguided_vs_training_glyphs"] = frechet_distance(feats["unguided"], classifier.features(seen))
    result["settings"] = {"n": n, "steps": steps, "guidance": guidance, "guidance_t_max": guidance_t_max, "sampler": sampler,
                          "fd_count": fd_count, "fd_steps": fd_steps, "seed": seed, "model": str(model_dir or "assets/model"),
                          "image_size": pipe.size,
                          "training_glyphs": len(reference)}
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m glyffuser.evaluate",
                                     description="Radical accuracy, variety, novelty and Fréchet distance of a model.")
    parser.add_argument("--n", type=int, default=16, help="samples per prompt")
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--guidance", type=float, help="default: the pipeline's")
    parser.add_argument("--guidance-t-max", type=int, help="default: the pipeline's")
    parser.add_argument("--sampler", default="dpm")
    parser.add_argument("--fd-count", type=int, default=512, help="samples for the Fréchet distance (0 skips it)")
    parser.add_argument("--sets", default="readme,held_out", help="comma-separated prompt sets: readme, validation (to choose on), held_out (to report only)")
    parser.add_argument("--model", help="a model folder (default: the shipped assets/model)")
    parser.add_argument("--json", help="also write the report to this file")
    args = parser.parse_args(argv)
    sets = tuple(s for s in args.sets.split(",") if s)
    result = report(args.n, args.steps, args.guidance, args.sampler, args.fd_count, model_dir=args.model,
                    guidance_t_max=args.guidance_t_max, sets=sets)
    for name, part in result["sets"].items():
        m = part["mean"]
        print(f"{name}: radical {m['share']:.1%} (chance {m['chance']:.1%}), variety {m['variety_ratio']:.2f} of real, "
              f"copies {m['copies']:.1%}, distinct nearest {m['distinct_nearest']:.1f}")
    if "frechet_unguided" in result:
        print(f"Fréchet unguided {result['frechet_unguided']:.2f}, real-vs-real floor {result['frechet_floor_real_vs_real']:.2f}")
    if "frechet_unguided_vs_training_glyphs" in result:
        print(f"Fréchet unguided against every glyph the model was trained on {result['frechet_unguided_vs_training_glyphs']:.2f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=2)

