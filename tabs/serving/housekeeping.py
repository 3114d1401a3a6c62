"""Bounded memory and disk for a long-running app: session state and cached files.

Gradio keeps, per visitor session, a copy of the page's configuration (about 0.3 MB)
and the values of its ``gr.State`` components (a sampling run's frames: 2-22 MB), and it
writes every streamed picture into its cache folder. Left alone, both grow with every
visitor. :func:`install` bounds them:

* every ``gr.State`` gets a time-to-live (:data:`STATE_TTL_S` after its last update);
* a session is released when its page is closed (``demo.unload``) or when it has been idle
  for :data:`SESSION_IDLE_S`;
* the state of all sessions together stays under :data:`STATE_BUDGET_BYTES`: the least
  recently used sessions lose theirs first;
* the files this process wrote to Gradio's cache are swept by age (:data:`CACHE_MAX_AGE_S`)
  and, oldest first, down to :data:`CACHE_BUDGET_BYTES`; at start-up, files older than
  :data:`CACHE_MAX_AGE_S` left in the cache and the GIF folders by an earlier process
  (killed before its own clean-up ran) are removed too;
* the C allocator keeps at most :data:`MALLOC_ARENAS` heaps (:func:`limit_malloc_arenas`).

A daemon thread runs the sweep every :data:`SWEEP_EVERY_S` seconds while the app serves.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import gradio as gr
import numpy as np

log = logging.getLogger(__name__)

STATE_TTL_S = 1800
SESSION_IDLE_S = 3600
STATE_BUDGET_BYTES = 300 * 2**20
CACHE_MAX_AGE_S = 1800
CACHE_BUDGET_BYTES = 150 * 2**20
SWEEP_EVERY_S = 30
GIF_FOLDER_PREFIX = "glyffuser-gifs-"  # tabs.sampling.gif_folder's temporary folders
MALLOC_ARENAS = 2
M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)


def buffers(value, _depth: int = 0, found: dict[int, int] | None = None) -> dict[int, int]:
    """The memory ``value`` holds, as {id of each array (or string, or other object): its bytes},
    through dataclasses, lists and dicts: an array two sessions share appears in both, once."""
    found = {} if found is None else found
    if _depth > 6 or value is None:
        return found
    if isinstance(value, np.ndarray):
        found[id(value)] = int(value.nbytes)
    elif isinstance(value, (bytes, str)):
        found[id(value)] = len(value)
    elif isinstance(value, dict):
        for v in value.values():
            buffers(v, _depth + 1, found)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            buffers(v, _depth + 1, found)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            buffers(getattr(value, f.name, None), _depth + 1, found)
    else:
        found[id(value)] = 64
    return found


def nbytes(value) -> int:
    """About how many bytes ``value`` holds (:func:`buffers`, each counted once)."""
    return sum(buffers(value).values())


# --- sessions -----------------------------------------------------------------------------------------

def set_state_ttl(demo: gr.Blocks, seconds: float = STATE_TTL_S) -> int:
    """Give every gr.State of ``demo`` a time-to-live; returns how many there are."""
    states = [block for block in demo.blocks.values() if isinstance(block, gr.State)]
    for state in states:
        state.time_to_live = min(state.time_to_live, seconds)
    return len(states)


def forget_session(holder, session_hash: str) -> bool:
    """Drop one session's state values and its page copy; True if it was there."""
    if session_hash not in holder.session_data:
        return False
    holder.delete_state(session_hash)
    with holder.lock:
        holder.session_data.pop(session_hash, None)
        holder.time_last_used.pop(session_hash, None)
    return True


def forget_idle_sessions(holder, idle_s: float = SESSION_IDLE_S, now: float | None = None) -> int:
    """Drop the sessions unused for more than ``idle_s`` seconds; returns how many."""
    now = time.time() if now is None else now
    with holder.lock:
        idle = [s for s, used in holder.time_last_used.items() if now - used.timestamp() > idle_s]
    return sum(forget_session(holder, s) for s in idle)


def state_buffers(holder) -> list[tuple[str, dict[int, int]]]:
    """(session, :func:`buffers` of its state values), least recently used first."""
    with holder.lock:
        sessions = list(holder.session_data.items())
    result = []
    for session, state in sessions:
        found: dict[int, int] = {}
        for value in list(state.state_data.values()):
            buffers(value, found=found)
        result.append((session, found))
    return result


def state_bytes(holder) -> list[tuple[str, int]]:
    """(session, bytes of its state values), least recently used first."""
    return [(s, sum(found.values())) for s, found in state_buffers(holder)]


def enforce_state_budget(holder, budget: int = STATE_BUDGET_BYTES) -> int:
    """Delete the state of the least recently used sessions until all together hold at most ``budget`` bytes.

    Memory several sessions share (the students of one shared run hold the same trajectory) counts
    once, and a session is dropped only if that frees something: one whose state is all shared
    with others keeps it.

    Returns:
        The bytes released.
    """
    sessions = state_buffers(holder)
    holders: dict[int, int] = {}
    size: dict[int, int] = {}
    for _, found in sessions:
        for key, count in found.items():
            holders[key] = holders.get(key, 0) + 1
            size[key] = count
    total, released = sum(size.values()), 0
    for session, found in sessions:
        if total <= budget:
            break
        freed = sum(size[key] for key in found if holders[key] == 1)
        if not freed:
            continue
        holder.delete_state(session)
        for key in found:
            holders[key] -= 1
        total -= freed
        released += freed
    return released


def release_on_unload(demo: gr.Blocks) -> None:
    """Forget a session as soon as its page is closed (Gradio's own clean-up waits an hour)."""

    def release(request: gr.Request):
        holder = getattr(demo, "state_holder", None)
        if holder is not None and request is not None and request.session_hash:
            forget_session(holder, request.session_hash)

    demo.unload(release)


# --- files --------------------------------------------------------------------------------------------

def remove_old_files(folder: Path, max_age_s: float, now: float | None = None) -> int:
    """Delete the files under ``folder`` not modified for ``max_age_s`` seconds, then empty folders; returns bytes."""
    now = time.time() if now is None else now
    freed = 0
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            path = Path(root) / name
            try:
                stat = path.lstat()
                if now - stat.st_mtime > max_age_s:
                    path.unlink()
                    freed += stat.st_size
            except OSError:
                continue
        for name in dirs:
            try:
                (Path(root) / name).rmdir()  # only when empty
            except OSError:
                continue
    return freed


def own_cache_files(demo: gr.Blocks) -> list[tuple[set, str]]:
    """(the set that tracks it, path) for every file this app wrote to Gradio's cache."""
    tracked = []
    for file_set in list(demo.temp_file_sets):
        for _ in range(3):  # the set may change while it is read; try again
            try:
                tracked.extend((file_set, path) for path in list(file_set))
                break
            except RuntimeError:
                continue
    return tracked


def sweep_own_cache(demo: gr.Blocks, max_age_s: float = CACHE_MAX_AGE_S, budget: int = CACHE_BUDGET_BYTES,
                    now: float | None = None) -> tuple[int, int]:
    """Delete this app's cached files older than ``max_age_s``, then the oldest until they total ``budget`` bytes.

    Returns:
        (files deleted, bytes left).
    """
    now = time.time() if now is None else now
    files = []
    for file_set, path in own_cache_files(demo):
        try:
            stat = os.stat(path)
        except OSError:
            file_set.discard(path)
            continue
        files.append((stat.st_mtime, stat.st_size, file_set, path))
    files.sort(key=lambda f: f[0])  # oldest first
    total, deleted = sum(f[1] for f in files), 0
    for mtime, size, file_set, path in files:
        if now - mtime <= max_age_s and total <= budget:
            break
        try:
            os.remove(path)
        except OSError:
            pass
        file_set.discard(path)
        total -= size
        deleted += 1
    return deleted, total


def cache_folder(demo: gr.Blocks | None = None) -> Path:
    """Gradio's cache folder (``GRADIO_TEMP_DIR``, by default ``<tmp>/gradio``)."""
    folder = getattr(demo, "GRADIO_CACHE", None) or os.environ.get("GRADIO_TEMP_DIR") \
        or str(Path(tempfile.gettempdir()) / "gradio")
    return Path(folder)


def gif_folders() -> Iterable[Path]:
    return Path(tempfile.gettempdir()).glob(GIF_FOLDER_PREFIX + "*")


def sweep_leftovers(demo: gr.Blocks | None = None, max_age_s: float = CACHE_MAX_AGE_S) -> int:
    """Remove files older than ``max_age_s`` from the cache and the GIF folders (an earlier process's); returns bytes."""
    freed = 0
    for folder in [cache_folder(demo), *gif_folders()]:
        if folder.is_dir():
            freed += remove_old_files(folder, max_age_s)
            if folder.name.startswith(GIF_FOLDER_PREFIX):
                try:
                    folder.rmdir()  # only when empty
                except OSError:
                    pass
    return freed


def folder_bytes(folder: Path) -> int:
    """Total size of the files under ``folder``."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                continue
    return total


# --- the sweeper ----------------------------------------------------------------------------------------

def sweep_once(demo: gr.Blocks) -> dict:
    """One pass of every bound; returns what it did (for the log and the tests)."""
    report = {"sessions_forgotten": 0, "state_bytes_released": 0, "files_deleted": 0, "cache_bytes": 0}
    holder = getattr(demo, "state_holder", None)
    if holder is not None:
        report["sessions_forgotten"] = forget_idle_sessions(holder)
        report["state_bytes_released"] = enforce_state_budget(holder)
    report["files_deleted"], report["cache_bytes"] = sweep_own_cache(demo)
    for folder in gif_folders():
        remove_old_files(folder, CACHE_MAX_AGE_S)
    return report


def sweeper(demo: gr.Blocks, stop: threading.Event, every_s: float = SWEEP_EVERY_S) -> None:
    while not stop.wait(every_s):
        try:
            report = sweep_once(demo)
            if report["sessions_forgotten"] or report["state_bytes_released"] or report["files_deleted"]:
                log.info("housekeeping: %s", report)
        except Exception:  # noqa: BLE001 - the next pass tries again
            log.exception("housekeeping pass failed")


def limit_malloc_arenas(count: int = MALLOC_ARENAS) -> bool:
    """Let the C allocator (glibc's malloc) keep at most ``count`` heaps for all threads; True if it took.

    glibc gives each new thread that allocates a heap (arena) of its own, up to eight per core,
    and memory freed in a heap is reused only from that heap. The server runs a worker thread
    for every listening student (up to 80), so its memory grew with each new session and was
    never given back: 2,000 new sessions took it to 1.46x its size after warm-up, still rising;
    with two heaps, 1.25x at most, flat from the 800th session on (``bench.load_classroom
    --scenario sessions``). Heaps made before the call stay. Elsewhere (macOS, musl) nothing changes.
    """
    try:
        return ctypes.CDLL(None).mallopt(M_ARENA_MAX, count) == 1
    except (OSError, AttributeError):  # no glibc: its own allocator, its own behaviour
        return False


def install(demo: gr.Blocks) -> threading.Event:
    """Apply every bound of this module to ``demo`` (before launch); returns the event that stops the sweeper."""
    limit_malloc_arenas()
    set_state_ttl(demo)
    release_on_unload(demo)
    freed = sweep_leftovers(demo)
    if freed:
        log.info("removed %.1f MB of cached files left by an earlier process", freed / 2**20)
    stop = threading.Event()
    threading.Thread(target=sweeper, args=(demo, stop), name="housekeeping", daemon=True).start()
    return stop
