"""The 2-D map of the glyphs: UMAP (McInnes et al. 2018) of their images.

Images are reduced to 50 principal components first (the usual denoising step
before UMAP), then embedded in 2-D. umap-learn is imported here only, never by
the app.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from glyffuser.data.store import GLYPHS_FILE, MAP_FILE, load_glyphs, save_arrays

MAP_PARAMS = {"pca_components": 50, "n_neighbors": 15, "min_dist": 0.1, "metric": "euclidean", "random_state": 0}


def compute_map(images: np.ndarray, params: dict = MAP_PARAMS) -> np.ndarray:
    """Embed glyph images in 2-D.

    Args:
        images: (N, H, W) float32 ink arrays.

    Returns:
        (N, 2) float32 coordinates.
    """
    import umap
    from sklearn.decomposition import PCA

    flat = images.reshape(len(images), -1)
    reduced = PCA(params["pca_components"], random_state=params["random_state"]).fit_transform(flat)
    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=params["n_neighbors"],
        min_dist=params["min_dist"],
        metric=params["metric"],
        random_state=params["random_state"],
    )
    return reducer.fit_transform(reduced).astype(np.float32)


def build_map(glyphs_path: Path = GLYPHS_FILE, out: Path = MAP_FILE) -> dict:
    """Compute the map of the shipped dataset and write it with its parameters."""
    glyphs = load_glyphs(glyphs_path)
    start = time.perf_counter()
    coords = compute_map(glyphs.images)
    seconds = time.perf_counter() - start
    import umap

    manifest = {"params": MAP_PARAMS, "umap_learn_version": umap.__version__, "count": len(glyphs), "seconds": round(seconds, 1)}
    return save_arrays(Path(out), {"coords": coords, "codepoints": glyphs.codepoints}, manifest)
