"""The static files a browser fetches when it opens the app, so simulated students fetch them too.

A browser opening the page gets ``/`` (the HTML, with the app's config inside), then about a
hundred scripts, style sheets and fonts under ``/assets/`` (Gradio's front end: 6.5 MB, 2.3 MB
compressed), then fires the page's events. A student whose browser has never seen the app
fetches all of them; on a two-core server they cost more than the events
(0.5 CPU-seconds a page, measured 2026-12-07).

:func:`browser_fetches` opens the page once in Chromium (Playwright driving ``/usr/bin/chromium``)
and lists the static files it asked for; without a browser, the files ``/`` names itself (its
entry script and style sheet, a lower bound). :func:`fetch_all` gets them as a browser does
(compressed, the bytes read and not decoded).
"""

from __future__ import annotations

import http.client
import re
import shutil
from urllib.parse import urljoin, urlsplit

import httpx

BROWSER_ENCODINGS = "gzip, deflate, br, zstd"  # what Chromium sends
STREAMS = ("/gradio_api/queue/", "/gradio_api/heartbeat/")  # the page's event streams, not files


def browser_fetches(url: str, settle_ms: int = 5000) -> list[str]:
    """Paths (with query) of the static files a fresh Chromium page fetched when opening ``url``."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            try:
                page = browser.new_page()
                asked: list[str] = []
                page.on("request", lambda request: asked.append(request.url) if request.method == "GET" else None)
                page.goto(url, wait_until="load")
                page.wait_for_timeout(settle_ms)
            finally:
                browser.close()
    except Exception:  # noqa: BLE001 - no browser here: what the HTML names
        return entry_files(url)
    paths = []
    for address in asked:
        parts = urlsplit(address)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.path != "/" and not parts.path.startswith(STREAMS) and path not in paths:
            paths.append(path)
    return paths


def entry_files(url: str) -> list[str]:
    """The scripts and style sheets the page's HTML names."""
    html = httpx.get(url, timeout=60).text
    named = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(\./assets/[^"]+)"', html)
    return [urlsplit(urljoin(url, name)).path for name in named]


def fetch_all(url: str, paths: list[str]) -> int:
    """GET each of ``paths`` from ``url`` as a browser does (one kept-alive connection, compressed,
    read and not decoded); the bytes that came over the wire. ``http.client``: a quarter of
    httpx's CPU a file, which matters when thirty students share the server's two cores.

    Raises:
        OSError: a file was not there (HTTP status other than 200) or the connection failed.
    """
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=600)
    wire = 0
    try:
        for path in paths:
            connection.request("GET", path, headers={"accept-encoding": BROWSER_ENCODINGS})
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise OSError(f"GET {path}: HTTP {response.status}")
            wire += len(body)
    finally:
        connection.close()
    return wire
