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

PNGs are written at zlib level 1, not Pillow's default 6: four times faster (10 ms against 38 ms
for a 1610 x 824 sampling frame) for about a fifth more bytes (123 kB against 103 kB), the
better trade on two CPUs shared by a class.

The same picture *object* handed out again (one frame of a shared run, drawn once for the
whole class by ``tabs.serving.shared_runs.picture``) is encoded only the first time: its file's path
is remembered for the newest ``PICTURES_KEPT`` pictures. Pictures are never changed after
they are shown, so the object stands for its bytes.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from gradio import processing_utils

from tabs.serving.shared_runs import SharedCalls

_installed = []
PICTURES_KEPT = 32
PNG_LEVEL = 1
_saved = SharedCalls(PICTURES_KEPT)  # (id, format, name, folder) -> the file, for that picture object only


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


def encode(img, format: str) -> bytes:
    """Gradio's ``encode_pil_to_bytes`` (its metadata kept), with PNGs at zlib level :data:`PNG_LEVEL`."""
    if format.lower() != "png":
        return processing_utils.encode_pil_to_bytes(img, format)
    buffer = io.BytesIO()
    img.save(buffer, "png", pnginfo=processing_utils.get_pil_metadata(img), compress_level=PNG_LEVEL)
    return buffer.getvalue()


def save_pil_to_cache(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """Gradio's ``save_pil_to_cache`` (same path, same bytes), written with :func:`write_once`;
    a picture object saved before returns its file at once (see the module's docstring)."""
    def write() -> str:
        data = encode(img, format)
        path = (Path(cache_dir) / processing_utils.hash_bytes(data) / f"{name}.{format}").resolve()
        write_once(path, data)
        return str(path)

    key = (id(img), format, name, str(cache_dir))
    path = _saved(key, write, owner=img)  # students streaming one frame at once: one encodes, the others wait
    try:
        os.utime(path)  # still there (not swept): its age counts from now
        return path
    except OSError:
        _saved.forget(key)
        return _saved(key, write, owner=img)


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
