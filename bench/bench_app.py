"""Time the explorer: start-up, and the response to the score tab's t slider and the noising tab's views.

(The noising tab's t slider is drawn in the browser and sends nothing; ``/noise_glyph`` is what
the server draws when the glyph, schedule or seed change, here at each t.) Four numbers per
endpoint, over t = 0, 50, ..., 950 after one warm-up call:

* function: the tab function alone (validation, maths, figure objects);
* process: ``Blocks.process_api`` for one event of an open session: pre-processing, the
  function, post-processing (figure JSON, PNG encoding, files into the cache), i.e. the
  server's own work for a slider release;
* queue: the same event through the running server's queue, from leaving the queue to the
  finished result, as Gradio's queue records it (adds the event loop's hand-offs);
* round trip: a client's view (``gradio_client``, one session, as a browser tab),
  from submitting until the result is back, figures and pictures downloaded; this adds
  Gradio's fixed per-event overhead, which a trivial endpoint (``/glyph_details`` with an
  empty input) shows on its own.

Start-up is timed separately: ``python app.py`` in a subprocess until ``GET /`` answers.

Run from the repository root: ``python -m bench.bench_app``
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
STEPS = range(0, 1000, 50)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def startup_seconds(timeout: float = 60.0) -> float:
    """Seconds from launching ``python app.py`` to the first successful ``GET /``."""
    port = free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < timeout:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=1.0).status_code == 200:
                    return time.perf_counter() - start
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the app did not answer in time")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def round_trip_ms(client, api: str, data: list) -> float:
    start = time.perf_counter()
    client.predict(*data, api_name=f"/{api}")
    return (time.perf_counter() - start) * 1000


def main() -> None:
    sys.path.insert(0, str(ROOT))
    print(f"start-up (python app.py until GET / answers): {startup_seconds():.1f} s")

    import app
    from tabs import resources
    from tabs.noising import NoisingTab
    from tabs.score import ScoreTab

    noising, score = NoisingTab(resources), ScoreTab(resources)
    endpoints = {
        "noise_glyph": (noising.noise_glyph, lambda t: ["锂", t, "cosine", 0]),
        "score_field": (score.score_field, lambda t: [t, "cosine", 21]),
        "glyph_details": (lambda c: None, lambda t: [""]),
    }
    demo = app.build_demo()
    from gradio.state_holder import SessionState

    session = SessionState(demo)
    loop = asyncio.new_event_loop()

    def process_ms(api: str, data: list) -> float:
        fn = next(f for f in demo.fns.values() if f.api_name == api)
        start = time.perf_counter()
        loop.run_until_complete(demo.process_api(block_fn=fn, inputs=data, state=session))
        return (time.perf_counter() - start) * 1000

    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
                **app.launch_options())
    from gradio_client import Client

    client = Client(f"http://127.0.0.1:{port}/", verbose=False)
    try:
        for api, (fn, args) in endpoints.items():
            fn(*args(1))
            round_trip_ms(client, api, args(1))  # warm-up
            function = []
            for t in STEPS:
                start = time.perf_counter()
                fn(*args(t))
                function.append((time.perf_counter() - start) * 1000)
            process_ms(api, args(1))
            process = [process_ms(api, args(t)) for t in STEPS]
            before = set(demo._queue.event_analytics)
            trips = [round_trip_ms(client, api, args(t)) for t in STEPS]
            server = [a["process_time"] * 1000 for key, a in demo._queue.event_analytics.items()
                      if key not in before and a.get("process_time") is not None]
            print(f"/{api}: median (max) in ms: function {statistics.median(function):.0f} ({max(function):.0f}); "
                  f"process {statistics.median(process):.0f} ({max(process):.0f}); "
                  f"queue {statistics.median(server):.0f} ({max(server):.0f}); "
                  f"round trip {statistics.median(trips):.0f} ({max(trips):.0f})")
    finally:
        demo.close()
        loop.close()


if __name__ == "__main__":
    main()
