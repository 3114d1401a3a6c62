"""Every endpoint, every parameter in turn, with hostile values; counts tracebacks in the server's log.

Starts ``python app.py`` (as ``bench.load_classroom`` does) or takes ``--url`` (then the
log is not read). For each named endpoint (public and undocumented ones, from the API
page and the app's own list), each parameter is replaced by each hostile value while the
others keep cheap valid values (1 sampling step, 1 glyph). A call may answer or refuse;
what is counted is tracebacks in the server's log, hangs (no answer in ``--timeout``
seconds) and refusals without a message. The private events of gr.Examples are checked by
tests/test_app_limits.py through the queue, as the page calls them.

The page and the front end's files are asked for with hostile paths first (statuses printed).

Run from the repository root: ``python -m bench.hostile_sweep`` (``--values 6`` for fewer values).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from bench.load_classroom import Server

HOSTILE = [10**400, None, [1, 2], {"a": 1}, "\x00\x01\x1b", "x" * 10_000, "../../etc/passwd", float("nan"), -1, 1e308,
           "", "😀金 عربي", "<script>alert(1)</script>", float("inf"), float("-inf"), 0, 10**18, 2.5, True, 100_000,
           1e9, "12"]  # the commonest failures first, for --values
CHEAP = {"steps": 1, "count": 1, "n": 20, "particles": 10, "points": 2, "arrows": 5}
UNDOCUMENTED = {  # events the API page leaves out but a client may call
    "/opening": [], "/fit_gaussian_initial": [], "/glyph_map_initial": [], "/noise_glyph_initial": [], "/score_field_initial": [],
    "/overview_chain_initial": [], "/overview_posterior_initial": [], "/training_example_initial": [],
    "/late_guesses_initial": [], "/joint_density_initial": [], "/embed_prompt_initial": [], "/one_step_initial": [],
}
PAGE_PATHS = ["/assets/" + "a" * 5000, "/assets/%00", "/assets/..%2f..%2fetc%2fpasswd", "/assets/.", "/assets//etc/passwd",
              "/assets/%F0%9F%98%80.js", "/?x=%00", "/?" + "q=" * 3000, "/assets/" + "%2e%2e/" * 20 + "etc/passwd"]
SKIP = {"/learn_score", "/random_training_example", "/loss_curve", "/unet_diagram"}  # no parameters worth the time


def endpoints(client) -> dict[str, list[tuple[str, object]]]:
    info = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    found = {name: [(p["parameter_name"], CHEAP.get(p["parameter_name"], p.get("parameter_default")))
                    for p in ep["parameters"]] for name, ep in info.items()}
    found.update({name: [] for name in UNDOCUMENTED})
    return {name: params for name, params in sorted(found.items()) if name not in SKIP}


def sweep_paths(url: str) -> Counter:
    """GET the page and the front end's files with hostile paths (and one with a 3,000-character Host);
    the HTTP statuses."""
    import http.client
    from urllib.parse import urlsplit

    parts, statuses = urlsplit(url), Counter()
    for path, host in [(path, None) for path in PAGE_PATHS] + [("/", "h" * 3000)]:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            connection.putrequest("GET", path, skip_host=host is not None, skip_accept_encoding=True)
            if host is not None:
                connection.putheader("Host", host)
            connection.putheader("Accept-Encoding", "br;q=x, ,,gzip")
            connection.endheaders()
            response = connection.getresponse()
            response.read()
            statuses[response.status] += 1
        finally:
            connection.close()
    return statuses


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url")
    parser.add_argument("--values", type=int, default=len(HOSTILE), help="use the first N hostile values")
    parser.add_argument("--timeout", type=float, default=120)
    opts = parser.parse_args(argv)
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    server = None if opts.url else Server()
    url = opts.url or server.url
    client = Client(url, verbose=False)
    outcomes, hangs, bare = Counter(), [], []
    start = time.perf_counter()
    try:
        print(f"  the page and its files, {len(PAGE_PATHS) + 1} hostile requests: HTTP statuses "
              f"{dict(sweep_paths(url))}; {server.tracebacks if server else '?'} tracebacks", flush=True)
        for name, params in endpoints(client).items():
            calls = [[v for _, v in params]] if not params else [
                [value if j == i else v for j, (_, v) in enumerate(params)]
                for i in range(len(params)) for value in HOSTILE[:opts.values]]
            for args in calls:
                job = client.submit(*args, api_name=name)
                try:
                    job.result(timeout=opts.timeout)
                    outcomes["answered"] += 1
                except AppError as err:
                    outcomes["refused"] += 1
                    if not str(err).strip() or str(err).strip() == "Error":
                        bare.append(f"{name}{args!r:.80}")
                except TimeoutError:
                    hangs.append(f"{name}{args!r:.80}")
                    try:
                        job.cancel()
                    except Exception:  # noqa: BLE001 - a busy server may not answer the cancel either
                        pass
                except Exception as err:  # noqa: BLE001 - the client could not send the value (e.g. NaN in JSON)
                    outcomes[f"not sent ({type(err).__name__})"] += 1
            print(f"  {name}: {len(calls)} calls; so far {sum(outcomes.values()) + len(hangs)} calls, "
                  f"{len(hangs)} hangs, {len(bare)} bare refusals, "
                  f"{server.tracebacks if server else '?'} tracebacks ({time.perf_counter() - start:.0f} s)", flush=True)
    finally:
        client.close()
        tracebacks = server.tracebacks if server else None
        if server is not None:
            server.stop()
    total = sum(outcomes.values()) + len(hangs)
    print(f"{total} calls in {time.perf_counter() - start:.0f} s: {dict(outcomes)}")
    print(f"  hangs: {len(hangs)} {hangs[:3]}")
    print(f"  refusals without a message: {len(bare)} {bare[:3]}")
    print(f"  tracebacks in the server log: {tracebacks if tracebacks is not None else 'not read (--url)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
