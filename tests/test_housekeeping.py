"""Session state and cached files stay bounded (tabs/serving/housekeeping.py).

A small Blocks with a gr.State holding 1 MB per session is served and called from
several gradio_client sessions; the files tests use real files with set ages.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest

from tabs.serving import housekeeping

MB = 2**20


@pytest.fixture(scope="module")
def state_app():
    """A served Blocks whose /keep event stores 1 MB in the session's gr.State."""
    from conftest import free_port

    with gr.Blocks() as demo:
        state = gr.State(None)
        out = gr.Number()
        button = gr.Button()
        button.click(lambda n: (np.full(MB, 1, np.uint8), n), inputs=out, outputs=[state, out], api_name="keep")
    demo.queue()
    housekeeping.set_state_ttl(demo)
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    yield SimpleNamespace(demo=demo, url=f"http://127.0.0.1:{port}/", state=state)
    demo.close()


def sessions_with_state(state_app, count: int) -> list[str]:
    from gradio_client import Client

    hashes = []
    for i in range(count):
        client = Client(state_app.url, verbose=False)
        client.predict(i, api_name="/keep")
        hashes.append(client.session_hash)
        client.close()
    return hashes


def test_nbytes_counts_arrays_in_dataclasses():
    trajectory = SimpleNamespace  # not a dataclass: counted as a small object
    from glyffuser.diffusion.trajectory import Trajectory

    fields = {f: np.zeros(1) for f in Trajectory.__dataclass_fields__}
    fields.update(x_t=np.zeros((10, 4, 8, 8), np.uint8), pred_x0=np.zeros((10, 4, 8, 8), np.uint8), settings={})
    assert housekeeping.nbytes(Trajectory(**fields)) >= 2 * 10 * 4 * 64
    assert housekeeping.nbytes([np.zeros(100, np.float32), {"a": np.zeros(10)}]) == 480
    assert housekeeping.nbytes(trajectory()) == 64


def test_state_gets_a_time_to_live(state_app):
    assert state_app.state.time_to_live == housekeeping.STATE_TTL_S


def test_state_budget_drops_least_recently_used(state_app):
    holder = state_app.demo.state_holder
    hashes = sessions_with_state(state_app, 4)
    sizes = dict(housekeeping.state_bytes(holder))
    assert all(sizes[h] >= MB for h in hashes)
    released = housekeeping.enforce_state_budget(holder, budget=int(2.5 * MB))
    sizes = dict(housekeeping.state_bytes(holder))
    assert released >= MB and sum(sizes.values()) <= 2.5 * MB
    assert sizes[hashes[-1]] >= MB and sizes[hashes[0]] == 0  # the newest kept, the oldest dropped


def test_state_that_sessions_share_counts_once():
    """Thirty students of one shared run hold one trajectory: under budget, and nobody's is dropped."""
    shared, own = np.zeros(10 * MB, np.uint8), np.zeros(MB, np.uint8)
    holder = SimpleNamespace(lock=__import__("threading").Lock(), deleted=[])
    holder.session_data = {f"s{i}": SimpleNamespace(state_data={1: shared}) for i in range(30)}
    holder.session_data["mine"] = SimpleNamespace(state_data={1: own, 2: shared})
    holder.delete_state = lambda s: (holder.deleted.append(s), holder.session_data[s].state_data.clear())
    assert housekeeping.nbytes([shared, shared, {"a": shared}]) == 10 * MB
    assert housekeeping.enforce_state_budget(holder, budget=12 * MB) == 0 and holder.deleted == []
    # over budget: only a session whose state frees memory goes ("mine": its own 1 MB)
    assert housekeeping.enforce_state_budget(holder, budget=10 * MB) == MB and holder.deleted == ["mine"]


def test_idle_and_closed_sessions_are_forgotten(state_app):
    holder = state_app.demo.state_holder
    first, second = sessions_with_state(state_app, 2)
    assert housekeeping.forget_session(holder, first) and first not in holder.session_data
    assert housekeeping.forget_idle_sessions(holder, idle_s=3600) == 0
    assert housekeeping.forget_idle_sessions(holder, idle_s=3600, now=time.time() + 7200) >= 1
    assert second not in holder.session_data


def test_the_app_releases_sessions_on_unload(app_server):
    demo = app_server.demo
    unloads = [fn for fn in demo.fns.values() if any(t[1] == "unload" for t in fn.targets)]
    assert unloads and all(fn.api_visibility == "private" for fn in unloads)
    states = [b for b in demo.blocks.values() if isinstance(b, gr.State)]
    assert states and all(s.time_to_live <= housekeeping.STATE_TTL_S for s in states)
    assert demo.state_holder.capacity == 300


def write(path: Path, size: int, age_s: float) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    then = time.time() - age_s
    os.utime(path, (then, then))
    return str(path)


HEAPS_OF_TWELVE_THREADS = """
import ctypes, sys, threading
from tabs.serving import housekeeping
if sys.argv[1] == "limited":
    assert housekeeping.limit_malloc_arenas()
together = threading.Barrier(13)
def allocate():
    block = bytearray(50_000)  # from the C allocator, in this thread's heap
    together.wait()
    together.wait()
threads = [threading.Thread(target=allocate) for _ in range(12)]
for thread in threads:
    thread.start()
together.wait()
ctypes.CDLL(None).malloc_stats()  # one "Arena N:" section per heap, on stderr
together.wait()
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the heaps are glibc's")
def test_the_c_allocator_keeps_few_heaps_for_many_threads():
    def heaps(mode: str) -> int:
        done = subprocess.run([sys.executable, "-c", HEAPS_OF_TWELVE_THREADS, mode], capture_output=True, text=True,
                              timeout=120, cwd=Path(__file__).parent.parent, check=True)
        return sum(line.startswith("Arena ") for line in done.stderr.splitlines())

    assert heaps("limited") <= housekeeping.MALLOC_ARENAS < heaps("as glibc does")


def test_remove_old_files_keeps_young_ones(tmp_path):
    old = write(tmp_path / "a" / "old.png", 1000, 7200)
    young = write(tmp_path / "b" / "young.png", 1000, 10)
    assert housekeeping.remove_old_files(tmp_path, max_age_s=1800) == 1000
    assert not os.path.exists(old) and os.path.exists(young)
    assert not (tmp_path / "a").exists()  # the emptied folder went too


def test_own_cache_swept_by_age_then_size(tmp_path):
    files = [write(tmp_path / f"{i}" / "frame.png", 100_000, age) for i, age in enumerate((4000, 300, 200, 100, 10))]
    demo = SimpleNamespace(temp_file_sets=[set(files)])
    deleted, left = housekeeping.sweep_own_cache(demo, max_age_s=1800, budget=250_000)
    assert deleted == 3 and left == 200_000
    assert [os.path.exists(f) for f in files] == [False, False, False, True, True]
    assert demo.temp_file_sets[0] == set(files[3:])


def test_leftovers_of_an_earlier_process(tmp_path, monkeypatch):
    monkeypatch.setattr(housekeeping.tempfile, "gettempdir", lambda: str(tmp_path))
    cache = tmp_path / "cache"
    old_frame = write(cache / "abc" / "image.png", 5000, 7200)
    old_gif = write(tmp_path / "glyffuser-gifs-x1" / "sampling-1.gif", 3000, 7200)
    new_frame = write(cache / "def" / "image.png", 5000, 5)
    demo = SimpleNamespace(GRADIO_CACHE=str(cache))
    assert housekeeping.sweep_leftovers(demo, max_age_s=1800) == 8000
    assert not os.path.exists(old_frame) and not os.path.exists(old_gif) and os.path.exists(new_frame)
    assert not (tmp_path / "glyffuser-gifs-x1").exists()
    assert housekeeping.folder_bytes(cache) == 5000
