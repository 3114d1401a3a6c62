"""Pictures written to Gradio's cache once, atomically, so many students can fetch the same one.

Gradio names a cached picture by the hash of its bytes and writes it with
``Path.write_bytes``, which first empties the file. When two requests produce the same
picture (a class streaming one shared run, or moving a slider to the same value), the
second write empties the file while the first student's browser or client is still
downloading it: the download ends early ("peer closed connection without sending complete
message body", measured with 8 simulated students). :func:`install` replaces Gradio's two
byte-writing cache functions with ones that keep an existing file of the same content
(only touching it, so age-based sweeping counts from its last use) and otherwise write a
temporary file and rename it into place, which a reader never sees half-done.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gradio import processing_utils

_installed = []


def write_once(path: Path, data: bytes) -> None:
    """Put ``data`` at ``path`` (named by its hash): kept if already there, else written and renamed atomically."""
    try:
        if path.stat().st_size == len(data):
            os.utime(path)
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_pil_to_cache(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """Gradio's ``save_pil_to_cache`` (same path, same bytes), written with :func:`write_once`."""
    data = processing_utils.encode_pil_to_bytes(img, format)
    path = (Path(cache_dir) / processing_utils.hash_bytes(data) / f"{name}.{format}").resolve()
    write_once(path, data)
    return str(path)


def save_bytes_to_cache(data: bytes, file_name: str, cache_dir: str) -> str:
    """Gradio's ``save_bytes_to_cache`` (same path), written with :func:`write_once`."""
    folder = Path(cache_dir) / processing_utils.hash_bytes(data)
    if not Path(file_name).suffix:
        file_name = file_name + processing_utils.detect_audio_format(data)
    path = (folder / Path(file_name).name).resolve()
    write_once(path, data)
    return str(path)


def install() -> None:
    """Replace Gradio's functions (once per process)."""
    if _installed:
        return
    processing_utils.save_pil_to_cache = save_pil_to_cache
    processing_utils.save_bytes_to_cache = save_bytes_to_cache
    _installed.append(True)
