"""The shipped glyph dataset: one compressed ``.npz`` plus a JSON manifest.

The ``.npz`` holds only plain arrays (loaded with ``allow_pickle=False``):

    images      (N, 64, 64) uint8, ink coverage x 255 (255 = ink)
    codepoints  (N,) int32
    definitions (N,) unicode strings
    radicals    (N,) int16, Kangxi radical 1-214
    strokes     (N,) int16, residual strokes
    simplified  (N,) bool, the radical is written in its simplified form

The manifest records the sources, counts and the file's sha256, which the loader checks.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

ASSETS = Path(__file__).resolve().parents[2] / "assets"
GLYPHS_FILE = ASSETS / "glyphs.npz"
EXTENSION_A_FILE = ASSETS / "glyphs_extension_a.npz"  # the Extension A rows a model may also be trained on
MAP_FILE = ASSETS / "glyph_map.npz"
ARRAY_KEYS = ("images", "codepoints", "definitions", "radicals", "strokes", "simplified")


class DatasetError(RuntimeError):
    """A shipped asset (the dataset, the map, model weights) is missing, corrupt or inconsistent."""


def repo_path(path: Path) -> str:
    """``path`` relative to the repository root (for a `git checkout` hint run there), else as given."""
    try:
        return Path(path).resolve().relative_to(ASSETS.parent).as_posix()
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Glyphs:
    """The glyph dataset, all fields in the same order.

    Attributes:
        images: (N, 64, 64) float32, 1 = ink, 0 = paper.
        chars: (N,) the characters.
        codepoints: (N,) int32 code points.
        definitions: (N,) English definitions (captions).
        radicals: (N,) int16 Kangxi radical numbers 1-214.
        strokes: (N,) int16 residual stroke counts.
        simplified: (N,) bool, radical in simplified form (e.g. 钅 for 金).
    """

    images: np.ndarray
    chars: np.ndarray
    codepoints: np.ndarray
    definitions: np.ndarray
    radicals: np.ndarray
    strokes: np.ndarray
    simplified: np.ndarray

    def __len__(self) -> int:
        return len(self.codepoints)

    def index_of(self, char: str) -> int:
        """Row of ``char``; raises KeyError when it is not in the dataset."""
        hits = np.flatnonzero(self.codepoints == ord(char)) if len(char) == 1 else []
        if len(hits) == 0:
            raise KeyError(char)
        return int(hits[0])


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_path(data_path: Path) -> Path:
    return data_path.with_suffix(".json")


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then rename over ``path``, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_arrays(path: Path, arrays: dict, manifest: dict) -> dict:
    """Write arrays to a compressed npz and its manifest (with the npz's sha256), atomically."""
    atomic_write(path, lambda tmp: np.savez_compressed(open(tmp, "wb"), **arrays))
    manifest = dict(manifest, file=path.name, bytes=path.stat().st_size, sha256=sha256_of(path))
    atomic_write(
        manifest_path(path),
        lambda tmp: tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"),
    )
    return manifest


def read_arrays(path: Path, what: str, build_hint: str) -> tuple[dict, dict]:
    """Read and verify an npz written by :func:`save_arrays`.

    Raises:
        DatasetError: when the file or its manifest is missing, or the checksum differs.
    """
    path = Path(path)
    meta_path = manifest_path(path)
    missing = [p for p in (path, meta_path) if not p.is_file()]
    if missing:
        restore = " ".join(repo_path(p) for p in missing)
        raise DatasetError(f"The {what} is missing ({' and '.join(str(p) for p in missing)}). From the repository "
                           f"root, restore it with `git checkout -- {restore}` or rebuild it with `{build_hint}`.")
    try:
        manifest = json.loads(meta_path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise DatasetError(f"The {what} manifest {meta_path} is unreadable ({err}). Rebuild with `{build_hint}`.") from err
    if sha256_of(path) != manifest.get("sha256"):
        raise DatasetError(
            f"The {what} file {path} does not match its manifest's sha256 (corrupt or edited). "
            f"From the repository root, restore it with `git checkout -- {repo_path(path)}` or rebuild with `{build_hint}`."
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except Exception as err:  # a zip error, a bad header: all mean the same to the user
        raise DatasetError(f"The {what} file {path} cannot be read ({err}). From the repository root, restore it "
                           f"with `git checkout -- {repo_path(path)}` or rebuild with `{build_hint}`.") from err
    return arrays, manifest


def glyphs_from_arrays(arrays: dict) -> Glyphs:
    missing = [key for key in ARRAY_KEYS if key not in arrays]
    if missing:
        raise DatasetError(f"The glyph file lacks the arrays {missing}.")
    codepoints = arrays["codepoints"].astype(np.int32)
    return Glyphs(
        images=arrays["images"].astype(np.float32) / 255.0,
        chars=np.array([chr(c) for c in codepoints]),
        codepoints=codepoints,
        definitions=arrays["definitions"],
        radicals=arrays["radicals"].astype(np.int16),
        strokes=arrays["strokes"].astype(np.int16),
        simplified=arrays["simplified"].astype(bool),
    )


@lru_cache(maxsize=4)
def _load_glyphs_cached(path: str) -> Glyphs:
    arrays, _ = read_arrays(Path(path), "glyph dataset", "python -m glyffuser.data build")
    return glyphs_from_arrays(arrays)


def load_glyphs(path: str | Path = GLYPHS_FILE) -> Glyphs:
    """Load the shipped glyph dataset (verified against its manifest, cached).

    Raises:
        DatasetError: with what to do, when the file is missing or corrupt.
    """
    return _load_glyphs_cached(str(Path(path).resolve()))


def trained_on_extension_a(record: dict) -> bool:
    """Whether a model's training record (``config.extra``, its chain of runs, and the records of
    the checkpoints it averages, ``averaged``) used a ``--data`` file with Extension A
    (``python -m glyffuser.data build --extension-a``)."""
    while record:
        if record.get("train_config", {}).get("data"):
            return True
        if any(trained_on_extension_a(source.get("record") or {}) for source in record.get("averaged", ())):
            return True
        record = record.get("init") or {}
    return False


@dataclass(frozen=True)
class GlyphSets:
    """Several glyph sets read as one, row after row, without copying their arrays into one.

    Attributes:
        parts: the sets in order; row ``len(parts[0])`` is the first row of ``parts[1]``.
    """

    parts: tuple[Glyphs, ...]

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts)

    def take(self, rows) -> Glyphs:
        """(K,) rows, numbered across all the parts, as one small :class:`Glyphs` in that order.

        Raises:
            IndexError: for a row outside ``0 .. len(self) - 1``.
        """
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        starts = np.cumsum([0] + [len(part) for part in self.parts])
        if rows.size and (rows.min() < 0 or rows.max() >= starts[-1]):
            raise IndexError(f"rows must lie in 0..{starts[-1] - 1}")
        which = np.searchsorted(starts, rows, side="right") - 1
        local = [rows[which == k] - starts[k] for k in range(len(self.parts))]  # each part's rows, in part order
        order = np.argsort(np.concatenate([np.flatnonzero(which == k) for k in range(len(self.parts))]), kind="stable")
        return Glyphs(*(np.concatenate([getattr(part, field)[part_rows] for part, part_rows in zip(self.parts, local)])[order]
                        for field in Glyphs.__dataclass_fields__))


@lru_cache(maxsize=1)
def load_extension_a() -> Glyphs:
    """The shipped Extension A rows (``assets/glyphs_extension_a.npz``, verified, cached).

    Raises:
        DatasetError: with what to do, when the file is missing or corrupt.
    """
    arrays, _ = read_arrays(EXTENSION_A_FILE, "Extension A glyph file", "python -m glyffuser.data build --extension-a")
    return glyphs_from_arrays(arrays)


def training_glyphs(extension_a: bool) -> GlyphSets:
    """The dataset, followed by the shipped Extension A rows when ``extension_a``."""
    return GlyphSets((load_glyphs(), load_extension_a()) if extension_a else (load_glyphs(),))


def load_training_glyphs(record: dict) -> GlyphSets:
    """The glyphs a model was trained on, for telling its samples' copies from new glyphs: the
    dataset, then (if its record says so) the Extension A rows of ``assets/glyphs_extension_a.npz``.

    Args:
        record: the model's training record, ``config.extra``.
    """
    return training_glyphs(trained_on_extension_a(record))


@lru_cache(maxsize=4)
def _load_map_cached(path: str, glyphs_path: str) -> np.ndarray:
    arrays, manifest = read_arrays(Path(path), "glyph map", "python -m glyffuser.data map")
    coords = arrays.get("coords")
    glyphs = load_glyphs(glyphs_path)
    if coords is None or coords.shape != (len(glyphs), 2):
        raise DatasetError("The glyph map does not match the dataset; rebuild it with `python -m glyffuser.data map`.")
    if not np.array_equal(arrays.get("codepoints"), glyphs.codepoints):
        raise DatasetError("The glyph map's characters differ from the dataset's; rebuild it with `python -m glyffuser.data map`.")
    return coords.astype(np.float32)


def load_map(path: str | Path = MAP_FILE, glyphs_path: str | Path = GLYPHS_FILE) -> np.ndarray:
    """Load the 2-D UMAP coordinates of all glyphs.

    Returns:
        (N, 2) float32, row i is glyph i of :func:`load_glyphs`.
    """
    return _load_map_cached(str(Path(path).resolve()), str(Path(glyphs_path).resolve()))
