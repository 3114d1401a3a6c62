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

The same picture *object* handed out again (one frame of a shared run, drawn once for the
whole class by ``tabs.shared_runs.picture``) is encoded only the first time: its file's path
is remembered for the newest ``PICTURES_KEPT`` pictures. Pictures are never changed after
they are shown, so the object stands for its bytes.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from gradio import processing_utils

_installed = []
PICTURES_KEPT = 32
_saved: OrderedDict[tuple, tuple[object, str]] = OrderedDict()  # (id, format, name, folder) -> (picture, path)
_saved_lock = threading.Lock()


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
    """Gradio's ``save_pil_to_cache`` (same path, same bytes), written with :func:`write_once`;
    a picture object saved before returns its file at once (see the module's docstring)."""
    key = (id(img), format, name, str(cache_dir))
    with _saved_lock:
        held = _saved.get(key)
    if held is not None and held[0] is img:
        try:
            os.utime(held[1])  # still there (not swept): its age counts from now
            return held[1]
        except OSError:
            pass
    data = processing_utils.encode_pil_to_bytes(img, format)
    path = (Path(cache_dir) / processing_utils.hash_bytes(data) / f"{name}.{format}").resolve()
    write_once(path, data)
    with _saved_lock:
        _saved[key] = (img, str(path))
        _saved.move_to_end(key)
        while len(_saved) > PICTURES_KEPT:
            _saved.popitem(last=False)
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
