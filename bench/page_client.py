"""A light stand-in for one open page of the app: what a browser sends, with almost none of the cost.

``gradio_client`` polls each job from a thread of its own and asks for the API's schema when it
connects: thirty of them took more CPU than the server they were testing (85 against 78
CPU-seconds for the same-request class). A :class:`PageClient` talks to the queue as the page
does: it loads the page (``/``, the app's config inside) and, given their paths, the static files
a browser fetches with it (``bench.page_assets``), keeps a heartbeat open (so the server sees the page
close), posts each event to ``queue/join`` and reads that event's messages from the session's
stream, blocking, with no polling. :meth:`PageClient.open` fires the events a page fires when
it opens (its load events, listed in ``on_load``, then the change events their values set
off); :meth:`PageClient.call` runs one.

Usage::

    page = PageClient("http://127.0.0.1:7860/")
    page.call("/noise_glyph", "锂", 250, "cosine", 0)       # outputs of the last message
    for message in page.stream("/sample", "gold", "dpm", 120, 3.0, 0, 16):
        ...                                                   # {"msg": "estimation" | "process_generating" | ...}
    page.close()
"""

from __future__ import annotations

import functools
import json
import ssl
import threading
import time
import uuid
from collections.abc import Iterator, Sequence

import httpx
import orjson

from bench.page_assets import fetch_all

CONFIG_MARK = "window.gradio_config = "  # where the page's HTML holds the app's config


def event_stream_messages(response: httpx.Response) -> Iterator[dict]:
    """The JSON of each ``data:`` line of a server-sent event stream, as the bytes come in.

    Lines split and parsed as bytes (orjson): a page's opening message is about 4 MB, and thirty
    simulated students decoding it to text and parsing it with ``json`` took about a second of
    the bench's CPU (one interpreter lock for all of them), on the machine that runs the server.
    """
    pending = []
    for chunk in response.iter_bytes():
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            pending.append(chunk[start:end])
            line = b"".join(pending) if len(pending) > 1 else pending[0]
            pending.clear()
            start = end + 1
            if line.startswith(b"data:"):
                yield orjson.loads(line[5:])
        if start < len(chunk):
            pending.append(chunk[start:])


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every page: httpx makes a new one per client otherwise, loading the CA
    bundle each time (30-40 ms of CPU, on the machine that runs the server, for each simulated student)."""
    return ssl.create_default_context()


class EventFailed(RuntimeError):
    """The event ended with an error (the server's message) or without completing."""


class PageClient:
    """One page: its own session, a heartbeat, events posted and streamed one at a time."""

    def __init__(self, url: str, assets: Sequence[str] = ()):
        """Open the page at ``url``, fetching ``assets`` (paths) as a browser does; ``opened_s`` is how long
        the page and its files took, ``wire_bytes`` what they weighed."""
        self.http = httpx.Client(base_url=url, timeout=httpx.Timeout(600.0, connect=30.0), verify=tls_context())
        self.session_hash = uuid.uuid4().hex[:11]
        start = time.perf_counter()
        config = self._page_config()
        self.wire_bytes = fetch_all(url, list(assets)) if assets else 0
        self.opened_s = time.perf_counter() - start
        kinds = {c["id"]: c.get("type") for c in config["components"]}
        shown = {c["id"]: (c.get("props") or {}).get("value") for c in config["components"]}
        self.events = {}  # "/api_name" -> (event id, is each input a State, each input's value on the opened page)
        self.on_load = []  # "/api_name" of each event the page fires when it opens, and of those they chain
        self._shown = shown
        self._ports = {}  # "/api_name" -> (its inputs' ids, its outputs' ids)
        self._on_change = {}  # component id -> "/api_name" of the events its change sets off
        opening = set()  # their ids
        for number, dep in enumerate(config["dependencies"]):
            if dep.get("api_name"):
                self.events["/" + dep["api_name"]] = (dep.get("id", number),
                                                      [kinds.get(i) == "state" for i in dep["inputs"]],
                                                      [shown.get(i) for i in dep["inputs"]])
                self._ports["/" + dep["api_name"]] = (dep["inputs"], dep["outputs"])
                for target, trigger in dep.get("targets", []):
                    if trigger == "change" and dep.get("backend_fn", True):
                        self._on_change.setdefault(target, []).append("/" + dep["api_name"])
                loads = any(target[1] == "load" for target in dep.get("targets", []))
                if loads or (dep.get("trigger_after") is not None and dep["trigger_after"] in opening):
                    opening.add(dep.get("id", number))
                    if dep.get("backend_fn", True):  # not the page's own scripts
                        self.on_load.append("/" + dep["api_name"])
        self._closed = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, daemon=True)
        self._heartbeat.start()

    def _page_config(self) -> dict:
        """The app's config, from the page's HTML as a browser gets it (``/config`` if it is not there)."""
        page = self.http.get("/", headers={"accept-encoding": "gzip, deflate, br, zstd"})
        page.raise_for_status()
        at = page.text.find(CONFIG_MARK)
        if at < 0:
            config = self.http.get("/config")
            config.raise_for_status()
            return config.json()
        return json.JSONDecoder().raw_decode(page.text, at + len(CONFIG_MARK))[0]

    def _beat(self) -> None:
        """Hold the heartbeat stream open until :meth:`close` (its end tells the server the page closed)."""
        try:
            with self.http.stream("GET", f"/gradio_api/heartbeat/{self.session_hash}") as response:
                for _ in response.iter_bytes():
                    if self._closed.is_set():
                        return
        except Exception:  # noqa: BLE001 - the page closed (or the server went away): the beat ends
            return

    def messages(self, fn_index: int, data: list) -> Iterator[dict]:
        """Post event ``fn_index`` with its raw inputs ``data`` (as the page sends them, ``None`` for a
        State) and yield its messages up to ``process_completed`` (heartbeats skipped), failed or not.

        Raises:
            EventFailed: the server refused the post, or the stream ended before the event did.
        """
        posted = self.http.post("/gradio_api/queue/join", json={
            "data": data, "event_data": None, "fn_index": fn_index, "trigger_id": None,
            "session_hash": self.session_hash})
        if posted.status_code != 200:
            raise EventFailed(f"event {fn_index}: HTTP {posted.status_code} {posted.text[:120]}")
        event_id = posted.json()["event_id"]
        with self.http.stream("GET", "/gradio_api/queue/data", params={"session_hash": self.session_hash}) as response:
            for message in event_stream_messages(response):
                if message.get("msg") == "close_stream":
                    break
                if message.get("event_id") != event_id:
                    continue
                yield message
                if message.get("msg") == "process_completed":
                    return
        raise EventFailed(f"event {fn_index}: the stream ended before the event completed")

    def stream(self, api_name: str, *args) -> Iterator[dict]:
        """Run the event named ``api_name`` with the values of its non-State inputs (those left out: their
        values on the opened page); yield its messages.

        Raises:
            EventFailed: the post was refused or the event failed (with the server's message).
        """
        fn_index, states, shown = self.events[api_name]
        values = iter(args)
        data = [None if state else next(values, value) for state, value in zip(states, shown)]  # the server keeps States
        for message in self.messages(fn_index, data):
            if message.get("msg") == "process_completed" and not message.get("success", False):
                output = message.get("output") or {}
                raise EventFailed(f"{api_name}: {str(output.get('error') or output)[:160]}")
            yield message

    def open(self) -> list[tuple[str, float]]:
        """Fire what a page fires when it opens: its load events (and those they chain), then the change
        events set off by the values they put in components; (api name, seconds) of each.

        Raises:
            EventFailed: an event failed.
        """
        timings, changed = [], {}
        for api_name in self.on_load:
            start = time.perf_counter()
            data = self.call(api_name)
            timings.append((api_name, time.perf_counter() - start))
            for component, value in zip(self._ports[api_name][1], data):
                if not (isinstance(value, dict) and "__type__" in value) and value != self._shown.get(component):
                    changed[component] = value
        for api_name in dict.fromkeys(name for c in changed for name in self._on_change.get(c, [])):
            inputs, states = self._ports[api_name][0], self.events[api_name][1]
            start = time.perf_counter()
            self.call(api_name, *(changed.get(i, self._shown.get(i)) for i, state in zip(inputs, states) if not state))
            timings.append((api_name, time.perf_counter() - start))
        return timings

    def call(self, api_name: str, *args) -> list:
        """Run one event to its end; the data of its last message."""
        output = None
        for message in self.stream(api_name, *args):
            output = message.get("output", output)
        return (output or {}).get("data", [])

    def close(self) -> None:
        self._closed.set()
        self.http.close()
