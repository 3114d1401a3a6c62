"""What a browser loads to open the app, served from memory and compressed once.

A browser opening the app fetches the page (``/``: 520 kB of HTML with the app's config
inside), then about a hundred scripts, style sheets and fonts under ``/assets/`` (6.5 MB of
Gradio's front end). Gradio builds the page anew for every request (a deep copy of the
config, the API's description, the template: 30 ms), serves each file from disk through
its whole middleware stack, compresses it anew each time (Brotli), and sends no
``Cache-Control``: 0.3 CPU-seconds a page, so thirty students opening the app at once
waited 9 s for their pages on two cores. Two ASGI middlewares answer first:

* :class:`CachedStaticFiles`: ``GET /assets/<file>``, each file read and compressed once per
  encoding (Brotli, gzip or none, as the browser accepts), sent with a year-long
  ``immutable`` ``Cache-Control``: the files' names carry a hash of their content, so a
  name never changes meaning, and a browser that has them never asks again;
* :class:`CachedPage`: ``GET /``, the page as Gradio rendered it for the first request with
  the same address, query and proxy headers (all it depends on: the app has no login, and
  its config is fixed once it is launched), compressed once.

Both keep what they serve in one :class:`KeptBodies` each, bounded by bytes (least recently
used out first). ``GET /assets/`` of anything but one of the files (missing, outside the folder,
a name too long for the file system) is answered 404 here; other requests (a HEAD request, a
page that Gradio answers other than 200) go on to Gradio unchanged.

Usage (``app.launch_options``)::

    demo.launch(app_kwargs={"middleware": [Middleware(CachedStaticFiles), Middleware(CachedPage)]})
"""

from __future__ import annotations

import asyncio
import gzip
import mimetypes
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio.to_thread
import brotli

ASSETS = "/assets/"
FILES_BUDGET_BYTES = 48 * 2**20  # a page's files are 6.5 MB raw and 2.3 MB compressed
PAGES_BUDGET_BYTES = 8 * 2**20  # a page is 0.5 MB raw, 0.06 MB compressed: a few addresses and deep links
BROTLI_QUALITY = 6  # a tenth smaller than Gradio's 4 per request; 0.04 CPU-seconds for a page's files, once
COMPRESSIBLE = {".js", ".mjs", ".css", ".json", ".svg", ".html", ".txt", ".map"}
CACHE_FOREVER = b"public, max-age=31536000, immutable"
PAGE_HEADERS = (b"host", b"x-forwarded-host", b"x-forwarded-proto", b"x-gradio-server")  # what the page's root URL comes from


def front_end_folder() -> Path:
    """Where Gradio keeps its built front end (the files it serves under ``/assets/``)."""
    from gradio.routes import BUILD_PATH_LIB

    return Path(BUILD_PATH_LIB)


def chosen_encoding(accept_encoding: str, compressible: bool = True) -> str:
    """"br", "gzip" or "identity": what to send a browser that accepts ``accept_encoding``."""
    if not compressible:
        return "identity"
    accepted = {part.split(";")[0].strip() for part in accept_encoding.lower().split(",")}
    return "br" if "br" in accepted else "gzip" if "gzip" in accepted else "identity"


def encode(data: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=BROTLI_QUALITY)
    if encoding == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    return data


def request_headers(scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers", [])}


async def respond(send, body: bytes, encoding: str, headers: list[tuple[bytes, bytes]], status: int = 200) -> None:
    """Send a whole response: ``headers`` plus the body's length (and its encoding)."""
    headers = [*headers, (b"content-length", str(len(body)).encode()), (b"vary", b"Accept-Encoding")]
    if encoding != "identity":
        headers.append((b"content-encoding", encoding.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class KeptBodies:
    """Response bodies by key, bounded by bytes (least recently used out first); each made once,
    in a worker thread, while requests asking for one being made wait for it."""

    def __init__(self, budget_bytes: int):
        self.budget_bytes = budget_bytes
        self._kept: OrderedDict[tuple, bytes] = OrderedDict()
        self._bytes = 0
        self._pending: dict[tuple, asyncio.Future] = {}
        self.made = 0

    async def get(self, key: tuple, make: Callable[[], bytes]) -> bytes:
        body = self._kept.get(key)
        if body is not None:
            self._kept.move_to_end(key)
            return body
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = asyncio.ensure_future(anyio.to_thread.run_sync(make))
            pending.add_done_callback(lambda done: self._done(key, done))
        return await asyncio.shield(pending)

    def _done(self, key: tuple, done: asyncio.Future) -> None:
        del self._pending[key]
        if done.cancelled() or done.exception() is not None:
            return
        body = done.result()
        self.made += 1
        if len(body) > self.budget_bytes:
            return
        self._kept[key] = body
        self._bytes += len(body)
        while self._bytes > self.budget_bytes:
            _, dropped = self._kept.popitem(last=False)
            self._bytes -= len(dropped)


class CachedStaticFiles:
    """ASGI middleware: ``GET /assets/<file>`` from memory (see the module's docstring)."""

    def __init__(self, app, folder: Path | None = None, budget_bytes: int = FILES_BUDGET_BYTES):
        self.app = app
        self.folder = (folder or front_end_folder()).resolve()
        self.bodies = KeptBodies(budget_bytes)
        self._found: dict[str, tuple[Path, bytes, bool]] = {}  # request path -> what _served gives

    def _file(self, path: str) -> Path | None:
        """The file under the folder that ``/assets/<path>`` names, or None."""
        name = path[len(ASSETS):]
        if not name or "\\" in name or "\0" in name:
            return None
        try:
            candidate = (self.folder / name).resolve()
            return candidate if candidate.is_relative_to(self.folder) and candidate.is_file() else None
        except (OSError, ValueError):  # a name too long for the file system, ...: not one of the files
            return None

    def _served(self, path: str) -> tuple[Path, bytes, bool] | None:
        """``(file, content type, compressible)`` for ``/assets/<path>``, or None; a file found is
        remembered (the front end's files never change while the app runs: a page's hundred requests
        then cost no stat each) under its own name only; other names (missing files, ``./x.js``) are
        looked up each time, so hostile names cannot fill the memory."""
        if path in self._found:
            return self._found[path]
        file = self._file(path)
        if file is None:
            return None
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or file.suffix.lower() in {".js", ".mjs"}:
            content_type += "; charset=utf-8"
        found = (file, content_type.encode(), file.suffix.lower() in COMPRESSIBLE)
        if path == ASSETS + file.relative_to(self.folder).as_posix():  # one name per file: bounded by the folder
            self._found[path] = found
        return found

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope.get("method") != "GET" or not path.startswith(ASSETS):
            await self.app(scope, receive, send)
            return
        served = self._served(path)
        if served is None:  # Gradio would fail on some such names (too long for the file system) with a traceback
            await respond(send, b"Not found", "identity", [(b"content-type", b"text/plain; charset=utf-8")], status=404)
            return
        file, content_type, compressible = served
        encoding = chosen_encoding(request_headers(scope).get(b"accept-encoding", b"").decode("latin-1"), compressible)
        body = await self.bodies.get((str(file), encoding), lambda: encode(file.read_bytes(), encoding))
        await respond(send, body, encoding, [(b"content-type", content_type), (b"cache-control", CACHE_FOREVER)])


class CachedPage:
    """ASGI middleware: ``GET /`` as Gradio rendered it for the same address (see the module's docstring)."""

    def __init__(self, app, budget_bytes: int = PAGES_BUDGET_BYTES):
        self.app = app
        self.bodies = KeptBodies(budget_bytes)
        self._rendered: dict[tuple, tuple[bytes, list]] = {}  # key -> Gradio's body and headers (the newest few)
        self._rendering: dict[tuple, asyncio.Future] = {}  # key -> the render under way (its result, or None)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET" or scope.get("path") != "/":
            await self.app(scope, receive, send)
            return
        headers = request_headers(scope)
        key = (scope.get("scheme"), scope.get("root_path", ""), scope.get("query_string", b""),
               *(headers.get(name, b"") for name in PAGE_HEADERS))
        rendered = self._rendered.get(key)
        if rendered is None and key in self._rendering:  # a class opening the page at once: one render
            rendered = await asyncio.shield(self._rendering[key])
        if rendered is None:
            rendered = await self._render_once(key, scope, receive, send)
            if rendered is None:
                return  # sent as Gradio answered
        html, page_headers = rendered
        encoding = chosen_encoding(headers.get(b"accept-encoding", b"").decode("latin-1"))
        body = await self.bodies.get((*key, encoding), lambda: encode(html, encoding))
        await respond(send, body, encoding, page_headers)

    async def _render_once(self, key: tuple, scope, receive, send: Callable[[dict], Awaitable[None]]):
        """:meth:`_render`, kept for ``key`` when it is a page; requests for the same key meanwhile wait for it."""
        rendering = self._rendering[key] = asyncio.get_running_loop().create_future()
        rendered = None
        try:
            rendered = await self._render(scope, receive, send)
            if rendered is not None:
                self._rendered[key] = rendered
                while len(self._rendered) > 16:
                    self._rendered.pop(next(iter(self._rendered)))
            return rendered
        finally:
            if self._rendering.get(key) is rendering:
                del self._rendering[key]
            rendering.set_result(rendered)  # None: the waiting requests ask Gradio themselves

    async def _render(self, scope, receive, send: Callable[[dict], Awaitable[None]]):
        """Gradio's page for this request as (body, headers) when it is a 200 HTML answer; otherwise
        Gradio's answer is passed on as it was, and None returned."""
        messages: list[dict] = []

        async def hold(message: dict) -> None:
            messages.append(message)

        await self.app(scope, receive, hold)
        start = messages[0] if messages else {}
        headers = [(name, value) for name, value in start.get("headers", [])
                   if name.lower() not in (b"content-length", b"vary")]
        if start.get("status") == 200 and any(name.lower() == b"content-type" and value.startswith(b"text/html")
                                              for name, value in headers) \
                and not any(name.lower() == b"content-encoding" for name, value in headers):
            return b"".join(message.get("body", b"") for message in messages[1:]), headers
        for message in messages:
            await send(message)
        return None
