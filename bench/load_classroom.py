"""A classroom against one server: simulated students, each a light page client (``bench.page_client``).

Starts ``python app.py`` on 127.0.0.1 (its own Gradio cache folder, so its size can be
measured) and waits for its warm-up, or uses ``--url``. Three scenarios (``--scenario``):

* ``same``: each student opens the app (a new client: it fetches the page and the static
  files a fresh Chromium fetched with it, listed once at the start by ``bench.page_assets``,
  unless ``--no-assets``, and fires the events a page fires when it opens), moves the
  noising slider 5 times (drawn in the browser: nothing is sent, unless ``--slider-api``
  names an event to call per move, as the app did before), asks for "gold" (seed 0, the
  Sampling tab's defaults) and scrubs the result 3 times. Each opens the app and asks at two
  random moments within the window (the earlier one opening); ``--open-window 0`` opens all
  thirty pages at once instead, the worst case. Prints each student's time to the first
  streamed frame and to the last, against one run alone; light requests' p95 (the page and
  its files, opening events, scrubs, all); errors.
* ``different``: each student asks for a different prompt within the window. Prints when
  each finished against the sum of single runs, whether they finished in arrival order,
  and how many saw their queue position while waiting.
* ``sessions``: new sessions one after the other, each opening the page and asking for a
  sampling run; prints the server's RSS and the cache folder's size as they go.

The simulated students run on the same machine as the server, so they are kept light: they
read every streamed message but do not download the pictures it names (a browser would, at
the cost to the server of serving a static file). Even so they take up to a core of the two
(measured with ``top``): times here are upper bounds for the server's own.

Shrink them with ``--students``, ``--window``, ``--steps``, ``--count`` and ``--sessions``.
Run from the repository root: ``python -m bench.load_classroom --scenario same --students 10``
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.page_assets import browser_fetches
from bench.page_client import PageClient

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = ("gold", "water", "fire", "tree", "grass", "insect", "sickness", "bird", "fish", "speech", "horse", "rain",
           "mountain", "silk", "jade", "heart", "hand", "mouth", "eye", "ear", "stone", "rice", "bamboo", "boat",
           "knife", "door", "dog", "cow", "sheep", "wind")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process ``pid`` has used, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds used by the server (when started here) and by this process between start and stop."""

    def __init__(self, server):
        self.pid = server.proc.pid if server is not None else None
        self.begin = self._now()

    def _now(self) -> tuple[float, float, float]:
        own = os.times()
        return (time.perf_counter(), cpu_s(self.pid) if self.pid else float("nan"), own.user + own.system)

    def report(self, what: str) -> str:
        wall, server, own = (b - a for a, b in zip(self.begin, self._now()))
        cores = len(os.sched_getaffinity(0))
        return (f"  CPU during {what}: server {server:.1f} s, simulated students {own:.1f} s, over {wall:.1f} s "
                f"of wall time on {cores} cores ({(server + own) / (wall * cores):.0%} of the machine)")


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


class Server:
    """``python app.py`` on a free port with its own cache folder; waits for the warm-up to finish."""

    def __init__(self, timeout: float = 600):
        self.cache = Path(tempfile.mkdtemp(prefix="classroom-cache-"))
        self.port = free_port()
        env = dict(os.environ, GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(self.port),
                   GRADIO_TEMP_DIR=str(self.cache), GRADIO_ANALYTICS_ENABLED="False")
        self.proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.log: list[str] = []
        self.tracebacks = 0
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(timeout):
            self.stop()
            raise RuntimeError("the app did not finish its warm-up:\n" + "".join(self.log[-20:]))
        self.url = f"http://127.0.0.1:{self.port}/"

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.log.append(line)
            with open(self.cache.with_suffix(".log"), "a") as log:
                log.write(line)
            self.tracebacks += line.startswith("Traceback")
            if "default run is cached" in line or "warm-up failed" in line:
                self.ready.set()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Tally:
    """Thread-safe lists of timings and errors."""

    def __init__(self):
        self.lock = threading.Lock()
        self.light: dict[str, list[float]] = {}  # kind of light request -> seconds each
        self.errors: list[str] = []

    def timed(self, client, kind: str, api: str, *args):
        start = time.perf_counter()
        try:
            client.call(api, *args)
        except Exception as err:  # noqa: BLE001 - counted and reported
            with self.lock:
                self.errors.append(f"{api}: {type(err).__name__}: {str(err)[:120]}")
            return
        with self.lock:
            self.light.setdefault(kind, []).append(time.perf_counter() - start)

    def opening(self, client) -> None:
        """Fire the events the page fires when it opens (``PageClient.open``), timed as "opening"."""
        try:
            timings = client.open()
        except Exception as err:  # noqa: BLE001 - counted and reported
            with self.lock:
                self.errors.append(f"opening: {type(err).__name__}: {str(err)[:120]}")
            return
        with self.lock:
            self.light.setdefault("opening", []).extend(seconds for _, seconds in timings)

    def report(self) -> str:
        """p50 and p95 of each kind of light request, and of all of them."""
        kinds = {**self.light, "all": [s for seconds in self.light.values() for s in seconds]}
        return "; ".join(f"{kind} {len(s)}: p50 {percentile(s, 0.5):.2f} s, p95 {percentile(s, 0.95):.2f} s"
                         for kind, s in kinds.items())


def sample(client, args: tuple, tally: Tally) -> dict:
    """Run /sample; the times of the first streamed output and the last, and the queue ranks seen."""
    start = time.perf_counter()
    first, ranks = None, []
    try:
        for message in client.stream("/sample", *args):
            kind = message.get("msg")
            if kind == "estimation" and message.get("rank") is not None:
                ranks.append(message["rank"])  # held in Gradio's queue
            elif kind == "log" and "being computed or waiting" in str(message.get("log")):
                ranks.append(int(str(message["log"]).split()[0]))  # admitted, waiting its turn (tabs.serving.shared_runs)
            elif kind == "process_generating" and first is None:
                first = time.perf_counter() - start
    except Exception as err:  # noqa: BLE001 - counted and reported
        with tally.lock:
            tally.errors.append(f"/sample: {type(err).__name__}: {str(err)[:120]}")
    last = time.perf_counter() - start
    return {"first": first if first is not None else last, "last": last, "ranks": ranks, "start": start,
            "end": time.perf_counter()}


def single_run(url: str, args: tuple) -> float:
    client = PageClient(url)
    try:
        return sample(client, args, Tally())["last"]
    finally:
        client.close()


def scenario_same(url: str, opts, server=None) -> None:
    args = ("gold", "dpm", opts.steps, 3.0, opts.seed, opts.count)
    meter = CpuMeter(server)
    alone = single_run(url, ("gold", "dpm", opts.steps, 3.0, opts.seed + 1000, opts.count))
    alone_cpu = meter.report("the run alone")
    tally, results = Tally(), {}
    rng = random.Random(0)

    assets = [] if opts.no_assets else browser_fetches(url)
    print(f"  a page's static files: {len(assets)}" + (" (as Chromium fetched them)" if assets else ""))

    def student(k: int, moves: list[int], opens: float, asks: float) -> None:
        time.sleep(max(0.0, opens - (time.perf_counter() - begin)))
        try:
            client = PageClient(url, assets)
        except Exception as err:  # noqa: BLE001 - counted and reported
            with tally.lock:
                tally.errors.append(f"opening the page: {type(err).__name__}: {str(err)[:120]}")
            return
        with tally.lock:
            tally.light.setdefault("page and files", []).append(client.opened_s)
        try:
            tally.opening(client)
            for t in moves:  # the noising slider: drawn in the browser, unless --slider-api
                if opts.slider_api:
                    tally.timed(client, "slider", opts.slider_api, "锂", t, "cosine", 0)
            time.sleep(max(0.0, asks - (time.perf_counter() - begin)))
            results[k] = sample(client, args, tally)
            for step in (0, opts.steps // 2, opts.steps):
                tally.timed(client, "scrub", "/sampling_scrub", step)
        finally:
            client.close()

    meter = CpuMeter(server)
    begin = time.perf_counter()
    open_window = opts.window if opts.open_window is None else opts.open_window
    plans = []
    for _ in range(opts.students):  # slider moves, when the student opens the app, when they ask (not before)
        moves, opens, asks = rng.sample(range(0, 1000, 10), 5), rng.uniform(0, open_window), rng.uniform(0, opts.window)
        plans.append((moves, min(opens, asks), max(opens, asks)))
    threads = [threading.Thread(target=student, args=(k, *plan)) for k, plan in enumerate(plans)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    firsts = [r["first"] for r in results.values()]
    lasts = [r["last"] for r in results.values()]
    print(f"same request, {opts.students} students opening the app within {open_window:g} s and asking within "
          f"{opts.window:g} s ({opts.count} glyphs x {opts.steps} "
          f"steps, seed {opts.seed}):")
    print(f"  one run alone (uncached seed): {alone:.1f} s")
    print(alone_cpu)
    print(meter.report("the class"))
    print(f"  first frame: median {statistics.median(firsts):.2f} s, max {max(firsts):.2f} s (target <= 2 s)")
    print(f"  last frame: median {statistics.median(lasts):.1f} s, max {max(lasts):.1f} s "
          f"= {max(lasts) / alone:.2f}x one run alone (target <= 2x)")
    print(f"  light requests (target p95 <= 0.5 s): {tally.report()}")
    print(f"  errors: {len(tally.errors)} {tally.errors[:3]}")


def open_clients(url: str, count: int) -> list:
    """``count`` connected clients (a page each), opened a few at a time."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda _: PageClient(url), range(count)))


def scenario_different(url: str, opts) -> None:

    prompts = [PROMPTS[k % len(PROMPTS)] + ("" if k < len(PROMPTS) else f" {k}") for k in range(opts.students)]
    alone = single_run(url, ("moon", "dpm", opts.steps, 3.0, 0, opts.count))
    tally, results = Tally(), {}
    rng = random.Random(1)
    delays = sorted(rng.uniform(0, opts.window) for _ in prompts)

    # The pages are open before the teacher says "press Sample": connecting 30 clients at once takes
    # seconds, and inside the window it would bunch every request together, in no particular order.
    clients = open_clients(url, opts.students)

    def student(k: int) -> None:
        client = clients[k]
        try:
            time.sleep(max(0.0, delays[k] - (time.perf_counter() - begin)))
            results[k] = sample(client, (prompts[k], "dpm", opts.steps, 3.0, 0, opts.count), tally)
        finally:
            client.close()

    begin = time.perf_counter()
    threads = [threading.Thread(target=student, args=(k,)) for k in range(opts.students)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    arrival = sorted(results, key=lambda k: results[k]["start"])
    rank = {k: i for i, k in enumerate(arrival)}
    finish = [rank[k] for k in sorted(results, key=lambda k: results[k]["end"])]  # arrival ranks in finishing order
    displaced = max(abs(i - r) for i, r in enumerate(finish))
    waited = [r for r in results.values() if r["last"] > 1.5 * alone]
    saw_rank = sum(1 for r in waited if r["ranks"])
    last = max(r["end"] for r in results.values()) - begin
    print(f"different requests, {opts.students} students within {opts.window:g} s ({opts.count} glyphs x "
          f"{opts.steps} steps):")
    print(f"  one run alone: {alone:.1f} s; sum of single runs {alone * opts.students:.1f} s")
    print(f"  last finished {last:.1f} s after the first request = {last / (alone * opts.students):.2f}x the sum "
          "(target <= 1.2x)")
    print(f"  finishing order, as arrival ranks: {' '.join(map(str, finish))}; largest displacement {displaced} "
          "(two runs computed at once: neighbours may swap)")
    print(f"  queue position shown to {saw_rank} of {len(waited)} students who waited; "
          f"largest position {max((max(r['ranks']) for r in waited if r['ranks']), default=0)}")
    print(f"  errors: {len(tally.errors)} {tally.errors[:3]}")


def scenario_sessions(server: Server, opts) -> None:
    tally = Tally()
    start_rss, start_cache = rss_mb(server.proc.pid), folder_mb(server.cache)
    peak_rss, peak_cache, every = start_rss, start_cache, max(1, opts.sessions // 10)
    print(f"new sessions, each with a sampling run ({opts.count} glyphs x {opts.steps} steps, seed = session):")
    print(f"  after warm-up: RSS {start_rss:.0f} MB, cache {start_cache:.1f} MB")
    begin = time.perf_counter()
    for k in range(opts.sessions):
        client = PageClient(server.url)
        try:
            tally.opening(client)  # the page opens
            sample(client, ("gold", "ddim", opts.steps, 3.0, k, opts.count), tally)
        finally:
            client.close()
        rss, cache = rss_mb(server.proc.pid), folder_mb(server.cache)
        peak_rss, peak_cache = max(peak_rss, rss), max(peak_cache, cache)
        if (k + 1) % every == 0:
            print(f"  {k + 1:5d} sessions ({time.perf_counter() - begin:.0f} s): RSS {rss:.0f} MB "
                  f"({rss / start_rss:.2f}x), cache {cache:.1f} MB")
    print(f"  peak RSS {peak_rss:.0f} MB = {peak_rss / start_rss:.2f}x (target <= 1.5x); peak cache "
          f"{peak_cache:.1f} MB (target <= 200 MB); errors: {len(tally.errors)} {tally.errors[:3]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", choices=("same", "different", "sessions", "all"), default="all")
    parser.add_argument("--url", help="a running app (default: start python app.py here)")
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--window", type=float, default=10.0, help="seconds within which the students ask")
    parser.add_argument("--open-window", type=float, default=None, help="seconds within which the students open "
                        "the app (default: the same window; 0: all at once, the worst case)")
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--count", type=int, default=16, help="glyphs per run")
    parser.add_argument("--seed", type=int, default=0, help="the shared request's seed (0 is cached at warm-up)")
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--no-assets", action="store_true", help="students fetch only the page's HTML, not the "
                        "static files a browser fetches with it")
    parser.add_argument("--slider-api", default="", help="an event each noising-slider move calls (an app that "
                        "draws the slider on the server, e.g. /noising_step before 2026-12-07); default: none")
    opts = parser.parse_args(argv)
    print("load average before (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs")
    server = None if opts.url else Server()
    url = opts.url or server.url
    try:
        for name in ("same", "different", "sessions"):
            if opts.scenario not in (name, "all"):
                continue
            if name == "same":
                scenario_same(url, opts, server)
            elif name == "different":
                scenario_different(url, opts)
            elif server is not None:
                scenario_sessions(server, opts)
            else:
                print("sessions: needs the server started here (its RSS and cache folder), not --url")
    finally:
        if server is not None:
            print(f"server log: {server.tracebacks} tracebacks ({server.cache.with_suffix('.log')})")
            server.stop()
        print("load average after (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
