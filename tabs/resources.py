"""The one cached loader for everything heavy the tabs share.

Nothing loads at import: each function loads its object on first call, once (concurrent
first calls wait for the same load), and returns the same object afterwards. All the
objects are read-only, so requests can share them.

    glyphs()           the glyph dataset (images, characters, definitions, radicals)
    glyph_map()        (N, 2) UMAP coordinates of the glyphs
    standard_map()     the same, standardised: the 2-D "data" x0 of the noising tabs
    map_bandwidth()    kernel sd of the standardised map's density (Scott's rule)
    map_density()      (grid_x, grid_y, density) of the raw map, for "The glyph data"
    map_hover()        (N, 3) hover fields of the map points
    schedule(name)     a NoiseSchedule ("linear" or "cosine")
    pipeline()         the shipped text-to-glyph pipeline (glyffuser.load_pipeline())
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TypeVar

import numpy as np

T = TypeVar("T")
MAP_GRID_SIZE = 200


def load_once(loader: Callable[[], T]) -> Callable[[], T]:
    """Cache a no-argument loader; concurrent first calls run it only once."""
    lock = threading.Lock()
    missing = object()
    value = [missing]

    @functools.wraps(loader)
    def get() -> T:
        if value[0] is missing:
            with lock:
                if value[0] is missing:
                    value[0] = loader()
        return value[0]

    def cache_clear() -> None:
        with lock:
            value[0] = missing

    get.cache_clear = cache_clear  # type: ignore[attr-defined]
    return get


@load_once
def glyphs():
    from glyffuser.data import load_glyphs

    return load_glyphs()


@load_once
def glyph_map() -> np.ndarray:
    from glyffuser.data import load_map

    glyphs()  # the map is checked against the dataset
    return load_map()


@load_once
def standard_map() -> np.ndarray:
    from glyffuser.distributions.mapflow import standardize

    return standardize(glyph_map())


@load_once
def map_bandwidth() -> float:
    from glyffuser.distributions.mapflow import scott_bandwidth

    return scott_bandwidth(len(standard_map()))


@load_once
def map_density() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from glyffuser.distributions.density import bounding_grid, kde_grid, scott_covariance

    points = glyph_map()
    cov = scott_covariance(points)
    grid_x, grid_y = bounding_grid(points, margin=3 * float(np.sqrt(cov.diagonal().max())), size=MAP_GRID_SIZE)
    return grid_x, grid_y, kde_grid(points, cov, grid_x, grid_y)


@load_once
def map_hover() -> np.ndarray:
    from glyffuser.data.lookup import radical_symbol
    from viz.glyph_map import hover_data

    data = glyphs()
    labels = [f"{r} {radical_symbol(r)}" for r in data.radicals]
    return hover_data(data.chars, data.definitions, labels)


@functools.lru_cache(maxsize=None)
def schedule(name: str):
    """The named :class:`glyffuser.diffusion.schedule.NoiseSchedule` (immutable, shared)."""
    from glyffuser.diffusion.schedule import get_schedule

    return get_schedule(name)


@load_once
def training_glyphs():
    """The glyphs the shipped model was trained on (the dataset, plus Extension A if it saw it), and (M, 1024)
    the same at 32x32: what its samples are compared with to tell copies from new glyphs."""
    from glyffuser.data.store import load_training_glyphs
    from glyffuser.evaluate.measures import training_reference
    from tabs import common

    record = common.shipped_model_config().get("extra") or {}
    return load_training_glyphs(record), training_reference(record)


@load_once
def pipeline():
    """The shipped text-to-glyph pipeline, loaded on first use."""
    import glyffuser

    return glyffuser.load_pipeline()
