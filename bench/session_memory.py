"""Where a server's memory goes as new sessions come: ``python -m bench.session_memory --warm 100 --sessions 250``.

Runs the app in this process (so it can look inside), opens ``--warm`` sessions each with a
small sampling run, then traces Python allocations (``tracemalloc``, one frame) while
``--sessions`` more do the same, and prints the resident memory every 50 sessions, the growth of
Gradio's per-session containers and the source lines whose allocations grew most. Each session
is a new ``gradio_client`` that asks for its own seed, so every run is computed and kept: the
growth is what the bounded caches (finished runs, session state) take until they are full,
plus what is not bounded.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc


def rss_mb() -> float:
    for line in open(f"/proc/{os.getpid()}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def container_sizes(demo) -> dict[str, int]:
    """Sizes of the per-session containers Gradio's queue and state holder keep."""
    queue, holder = demo._queue, demo.state_holder
    return {"queue.pending_messages_per_session": len(queue.pending_messages_per_session),
            "queue.pending_event_ids_session": len(queue.pending_event_ids_session),
            "queue.event_analytics": len(queue.event_analytics),
            "state_holder.session_data": len(holder.session_data)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=100, help="sessions before tracing starts")
    parser.add_argument("--sessions", type=int, default=250, help="sessions traced")
    parser.add_argument("--port", type=int, default=7915)
    parser.add_argument("--top", type=int, default=12, help="source lines to print")
    args = parser.parse_args()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from gradio_client import Client

    import app

    demo = app.build_demo()
    demo.launch(server_name="127.0.0.1", server_port=args.port, prevent_thread_lock=True, **app.LAUNCH_OPTIONS)
    app.warm_up()
    url = f"http://127.0.0.1:{args.port}/"

    def session(seed: int) -> None:
        client = Client(url, verbose=False, download_files=False)
        try:
            client.submit("gold", "ddim", 3, 3.0, seed, 2, api_name="/sample").result(timeout=120)
        finally:
            client.close()

    start = time.perf_counter()
    for k in range(args.warm):
        session(k)
    before, sizes = rss_mb(), container_sizes(demo)
    print(f"after {args.warm} sessions ({time.perf_counter() - start:.0f} s): RSS {before:.0f} MB, {sizes}", flush=True)
    tracemalloc.start(1)
    first = tracemalloc.take_snapshot()
    start = time.perf_counter()
    for k in range(args.warm, args.warm + args.sessions):
        session(k)
        if (k + 1) % 50 == 0:
            print(f"  {k + 1} sessions: RSS {rss_mb():.0f} MB", flush=True)
    after = rss_mb()
    ignore = [tracemalloc.Filter(False, pattern) for pattern in ("*tracemalloc*", "*gradio_client*", "*httpx*", "*httpcore*")]
    growth = tracemalloc.take_snapshot().filter_traces(ignore).compare_to(first.filter_traces(ignore), "lineno")
    print(f"after {args.warm + args.sessions} sessions ({time.perf_counter() - start:.0f} s): RSS {after:.0f} MB, "
          f"{(after - before) / args.sessions:.3f} MB a session, {container_sizes(demo)}")
    print("allocations that grew most (traced, not counting the clients):")
    for stat in growth[:args.top]:
        frame = stat.traceback[0]
        print(f"  {stat.size_diff / 2**20:7.2f} MB in {stat.count_diff:6d} blocks  {frame.filename}:{frame.lineno}")
    os._exit(0)  # the server's threads are not ours to join


if __name__ == "__main__":
    main()
