"""Where a server's memory goes as new sessions come: ``python -m bench.session_memory --warm 100 --sessions 250``.

Runs the app in this process (so it can look inside), opens ``--warm`` sessions each with a
small sampling run, then traces Python allocations (``tracemalloc``, one frame) while
``--sessions`` more do the same, and prints the resident memory every 50 sessions, the growth of
Gradio's per-session containers and the source lines whose allocations grew most. Each session
is a new page (``bench.page_client``: it opens the app's page, firing its opening events, then asks
for a run of its own seed), so every run is computed and kept: the
growth is what the bounded caches (finished runs, session state) take until they are full,
plus what is not bounded.

``--holders`` then says who keeps the runs' steps alive: every sampling step object left, counted
by the cache that holds it (finished runs, drawn pictures, player frames), and for those no cache
holds, the chain of referrers up to a module-level object. ``--run-cache-mb`` shrinks the cache of
finished runs so that it is full after a few sessions.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
import tracemalloc
import types


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


def describe(obj) -> str:
    """A short name for a referrer: its type, and its size for a container."""
    kind = type(obj).__name__
    return f"{kind}[{len(obj)}]" if isinstance(obj, (dict, list, tuple, set)) else kind


def holder_chain(obj, ignore: set[int], depth: int = 6) -> list[str]:
    """Referrers of ``obj``, one per level (the first not in ``ignore``), up to ``depth`` levels."""
    chain = []
    for _ in range(depth):
        referrers = [r for r in gc.get_referrers(obj) if id(r) not in ignore and not isinstance(r, types.FrameType)]
        if not referrers:
            break
        ignore.add(id(referrers))
        obj = referrers[0]
        chain.append(describe(obj))
    return chain


def report_holders(samples: int = 3) -> None:
    """Who holds the sampling steps still alive (see the module's docstring)."""
    from glyffuser.model.pipeline import PipelineStep
    from tabs.serving import shared_runs

    gc.collect()
    steps = [o for o in gc.get_objects() if isinstance(o, PipelineStep)]
    held = {
        "finished runs": {id(s) for run_steps, _, _ in shared_runs.RUNS._finished.values() for s in run_steps},
        "pictures": {id(owner) for owner, _ in shared_runs.PICTURES._calls._results.values()},
        "player frames": {id(owner) for owner, _ in shared_runs.PLAYER_FRAMES._calls._results.values()},
    }
    counts = {name: sum(id(s) in ids for s in steps) for name, ids in held.items()}
    loose = [s for s in steps if not any(id(s) in ids for ids in held.values())]
    size = sum(s.x_t.nbytes + s.pred_x0.nbytes for s in loose) / 2**20
    print(f"sampling steps alive: {len(steps)}; held by {counts}; by none of these: {len(loose)} ({size:.1f} MB)")
    ignore = {id(steps), id(loose), id(held)}
    for step in loose[:samples]:
        print("  " + " <- ".join(["PipelineStep"] + holder_chain(step, set(ignore))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=100, help="sessions before tracing starts")
    parser.add_argument("--sessions", type=int, default=250, help="sessions traced")
    parser.add_argument("--port", type=int, default=7915)
    parser.add_argument("--top", type=int, default=12, help="source lines to print")
    parser.add_argument("--holders", action="store_true", help="then say who keeps the runs' steps alive")
    parser.add_argument("--run-cache-mb", type=float, help="the finished runs' cache budget (default: the app's)")
    args = parser.parse_args()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import app
    from bench.page_client import PageClient

    if args.run_cache_mb is not None:
        from tabs.serving import shared_runs

        shared_runs.RUNS.cache_bytes = int(args.run_cache_mb * 2**20)
    demo = app.build_demo()
    demo.launch(server_name="127.0.0.1", server_port=args.port, prevent_thread_lock=True, **app.launch_options())
    app.warm_up()
    url = f"http://127.0.0.1:{args.port}/"

    def session(seed: int) -> None:
        page = PageClient(url)
        try:
            page.open()
            page.call("/sample", "gold", "ddim", 3, 3.0, seed, 2)
        finally:
            page.close()

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
    ignore = [tracemalloc.Filter(False, pattern) for pattern in ("*tracemalloc*", "*page_client*", "*httpx*", "*httpcore*")]
    growth = tracemalloc.take_snapshot().filter_traces(ignore).compare_to(first.filter_traces(ignore), "lineno")
    print(f"after {args.warm + args.sessions} sessions ({time.perf_counter() - start:.0f} s): RSS {after:.0f} MB, "
          f"{(after - before) / args.sessions:.3f} MB a session, {container_sizes(demo)}")
    print("allocations that grew most (traced, not counting the clients):")
    for stat in growth[:args.top]:
        frame = stat.traceback[0]
        print(f"  {stat.size_diff / 2**20:7.2f} MB in {stat.count_diff:6d} blocks  {frame.filename}:{frame.lineno}")
    if args.holders:
        report_holders()
    os._exit(0)  # the server's threads are not ours to join


if __name__ == "__main__":
    main()
