"""Time the model tabs of the explorer, as visitors see them through the server.

Prints:

* first frame: from submitting ``/sample`` (16 glyphs, w = 3) to the first streamed frame
  (the starting noise), and to the first frame with the model's prediction, over a few
  runs with the pipeline loaded (as after the page has opened); the runs are 3 steps
  long, since nothing after the first step changes these two times;
* one step: ``/one_step`` ("Gold", 16 seeds, one batch of 32 through the U-Net): the tab
  function alone and the client's round trip;
* the whole animation: ``/sample`` of 16 glyphs x 120 steps, alone on the server;
* two visitors: while one client samples, a second calls a light data-tab endpoint
  (``/noise_glyph``, "Forward noising" drawn for a glyph; its t slider is drawn in the
  browser and calls nothing) and a third asks for a one-step
  picture; their latencies are printed beside the same calls on an idle server. The
  light call is timed to the server's answer (the outputs' data, pictures as addresses,
  which a browser then fetches side by side); its time with ``gradio_client`` fetching
  the two pictures one after the other is printed for the idle server.

The server is warmed up first as ``python app.py`` does it (``app.warm_up``: data, map,
model and its graphs), so the times are those of a visitor after the app has started.

Run from the repository root: ``python -m bench.bench_app_model``
"""

from __future__ import annotations

import socket
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_ARGS = ("gold", "dpm", 120, 3.0, 0, 16)
FIRST_FRAME_ARGS = ("gold", "dpm", 3, 3.0, 0, 16)
LIGHT_API, LIGHT_ARGS = "/noise_glyph", ("锂", 300, "cosine", 0)
RUNS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def summary(values: list[float]) -> str:
    return f"median {ms(statistics.median(values))}, max {ms(max(values))} (n = {len(values)})"


def round_trip(client, api: str, *args) -> float:
    start = time.perf_counter()
    client.submit(*args, api_name=api).result(timeout=300)
    return time.perf_counter() - start


def first_frames(client, args=FIRST_FRAME_ARGS) -> tuple[float, float]:
    """Seconds from submitting ``/sample`` to its first and second streamed outputs.

    The run is short (the first two frames come before any later step could matter) and
    is left to finish, so that no earlier run competes with the next measurement.
    """
    times: list[float] = []
    start = time.perf_counter()
    job = client.submit(*args, api_name="/sample")
    for _ in job:  # a job iterates over its outputs as they arrive
        times.append(time.perf_counter() - start)
    job.result(timeout=300)
    return times[0], times[1]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from gradio_client import Client

    import app
    from tabs import resources
    from tabs.conditioning import ConditioningTab

    demo = app.build_demo()
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
                **app.launch_options())
    url = f"http://127.0.0.1:{port}/"
    sampler, other, fetching = (Client(url, verbose=False) for _ in range(3))
    light = Client(url, verbose=False, download_files=False)
    try:
        start = time.perf_counter()
        app.warm_up()
        print(f"warm-up (data, map, model and its graphs; in the background of python app.py): "
              f"{time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        sampler.submit("锂", 0, 500, False, api_name="/training_example").result(timeout=300)
        print(f"first training example: {ms(time.perf_counter() - start)}")

        frames = [first_frames(sampler) for _ in range(RUNS)]
        print(f"/sample {FIRST_FRAME_ARGS}: first frame (noise) {summary([f for f, _ in frames])}; "
              f"first model frame {summary([s for _, s in frames])}")

        tab = ConditioningTab(resources)
        tab.one_step("Gold", 3.0, 0)
        function = []
        for seed in range(RUNS * 2):
            start = time.perf_counter()
            tab.one_step("Gold", 3.0, seed)
            function.append(time.perf_counter() - start)
        trips = [round_trip(other, "/one_step", "Gold", 3.0, seed) for seed in range(RUNS * 2)]
        print(f"/one_step (16 seeds, w = 3): function {summary(function)}; round trip {summary(trips)}")

        alone = round_trip(sampler, "/sample", *SAMPLE_ARGS)
        print(f"/sample {SAMPLE_ARGS} alone: {alone:.1f} s from the click to the finished run, streaming frames")

        round_trip(light, LIGHT_API, *LIGHT_ARGS)
        idle_light = [round_trip(light, LIGHT_API, *LIGHT_ARGS) for _ in range(10)]
        round_trip(fetching, LIGHT_API, *LIGHT_ARGS)
        idle_fetching = [round_trip(fetching, LIGHT_API, *LIGHT_ARGS) for _ in range(10)]
        idle_step = [round_trip(other, "/one_step", "Gold", 3.0, 0) for _ in range(3)]

        start = time.perf_counter()
        job = sampler.submit(*SAMPLE_ARGS, api_name="/sample")
        time.sleep(1.0)  # let the sampling run start
        busy_light, busy_step = [], []
        while not job.done() and len(busy_light) < 30:
            busy_light.append(round_trip(light, LIGHT_API, *LIGHT_ARGS))
            if len(busy_light) % 10 == 0:
                busy_step.append(round_trip(other, "/one_step", "Gold", 3.0, 0))
        job.result(timeout=600)
        total = time.perf_counter() - start
        print(f"while one client samples 16 glyphs x 120 steps ({total:.1f} s in all):")
        print(f"  {LIGHT_API} (light, data tab), server's answer: idle {summary(idle_light)}; "
              f"during sampling {summary(busy_light)}")
        print(f"  {LIGHT_API} with gradio_client fetching its two pictures in turn, idle: {summary(idle_fetching)}")
        print(f"  /one_step (model, second visitor): idle {summary(idle_step)}; during sampling {summary(busy_step)}")
    finally:
        for client in (sampler, light, other, fetching):
            client.close()
        demo.close()


if __name__ == "__main__":
    main()
