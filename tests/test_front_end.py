"""The page and the front end's files served from memory (tabs/serving/front_end.py): the same bytes as
from disk or as Gradio rendered them, compressed once, kept within their budget; anything else
goes on to the app unchanged; and in the running app, the page a browser gets is Gradio's."""

from __future__ import annotations

import gzip

import brotli
import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from tabs.serving.front_end import CACHE_FOREVER, CachedPage, CachedStaticFiles, chosen_encoding

SCRIPT = "export const answer = 42;\n" * 400


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "index-abc123.js").write_text(SCRIPT)
    (tmp_path / "font-def456.woff2").write_bytes(bytes(range(256)) * 8)
    (tmp_path.parent / "secret.txt").write_text("not to be served")
    return tmp_path


def inner_app(rendered: list) -> Starlette:
    """A stand-in for Gradio: a page naming its root URL and counting renders, a 404 for other files."""

    def page(request):
        rendered.append(request.url)
        if request.query_params.get("fail"):
            return PlainTextResponse("broken", status_code=500)
        return HTMLResponse(f"<html>{request.base_url} {request.url.query}" + " " * 2000 + "</html>")

    def other(request):
        return PlainTextResponse("from the app", status_code=404)

    return Starlette(routes=[Route("/", page), Route("/assets/{path:path}", other, methods=["GET", "HEAD"])])


@pytest.fixture()
def served(folder):
    rendered = []
    app = inner_app(rendered)
    app.user_middleware = [Middleware(CachedStaticFiles, folder=folder), Middleware(CachedPage)]
    with TestClient(app) as client:
        yield client, rendered, folder


@pytest.mark.parametrize("encoding, decode", [("br", brotli.decompress), ("gzip", gzip.decompress),
                                              ("identity", lambda body: body)])
def test_a_file_is_the_disk_file_in_the_encoding_the_browser_accepts(served, encoding, decode):
    client, _, _ = served
    response = client.get("/assets/index-abc123.js", headers={"accept-encoding": encoding})
    assert response.status_code == 200
    assert response.headers.get("content-encoding", "identity") == encoding
    assert response.headers["cache-control"] == CACHE_FOREVER.decode()
    # Gradio's page route registers application/javascript for .js; either is a script
    assert response.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")
    assert response.content.decode() == SCRIPT  # the test client decodes br and gzip
    if encoding != "identity":
        assert int(response.headers["content-length"]) < len(SCRIPT) / 10


def test_a_file_is_encoded_once_for_many_requests(served):
    client, _, _ = served
    bodies = {client.get("/assets/index-abc123.js", headers={"accept-encoding": "gzip, br"}).content for _ in range(5)}
    assert bodies == {SCRIPT.encode()}
    middleware = find(client.app, CachedStaticFiles)
    assert middleware.bodies.made == 1


def test_a_file_is_remembered_under_its_own_name_only(served):
    client, _, _ = served
    middleware = find(client.app, CachedStaticFiles)
    for path in ["/assets/index-abc123.js", "/assets/./index-abc123.js", "/assets/missing.js"] * 2:
        middleware._served(path)
    assert list(middleware._found) == ["/assets/index-abc123.js"]
    assert middleware._served("/assets/./index-abc123.js")[0] == middleware._served("/assets/index-abc123.js")[0]


def test_fonts_are_sent_as_they_are(served, folder):
    client, _, _ = served
    response = client.get("/assets/font-def456.woff2", headers={"accept-encoding": "br"})
    assert "content-encoding" not in response.headers
    assert response.content == (folder / "font-def456.woff2").read_bytes()


@pytest.mark.parametrize("path", ["/assets/missing.js", "/assets/../secret.txt", "/assets/", "/assets/%2e%2e/secret.txt",
                                  "/assets/" + "a" * 5000, "/assets/%00.js"])
def test_anything_else_under_assets_is_not_found(served, path):
    client, _, _ = served
    response = client.get(path)
    assert response.status_code == 404 and "not to be served" not in response.text
    assert find(client.app, CachedStaticFiles)._file(path) is None  # even where a client sends it unnormalised


def test_other_requests_go_on_to_the_app(served):
    client, _, _ = served
    response = client.head("/assets/index-abc123.js")
    assert response.status_code == 404 and "cache-control" not in response.headers  # the app's answer
    assert client.get("/elsewhere").status_code == 404


def test_the_page_is_rendered_once_per_address_and_compressed(served):
    client, rendered, _ = served
    first = client.get("/", headers={"accept-encoding": "br"})
    again = client.get("/", headers={"accept-encoding": "gzip"})
    plain = client.get("/", headers={"accept-encoding": "identity"})
    assert first.text == again.text == plain.text and first.text.startswith("<html>http://testserver/")
    assert first.headers["content-encoding"] == "br" and again.headers["content-encoding"] == "gzip"
    assert "cache-control" not in first.headers  # the page itself is asked for again on each visit
    assert len(rendered) == 1
    other_host = client.get("/", headers={"host": "example.org"})
    deep_link = client.get("/?tab=sampling")
    assert other_host.text.startswith("<html>http://example.org/")
    assert deep_link.text.startswith("<html>http://testserver/ tab=sampling")
    assert len(rendered) == 3


def test_pages_asked_at_once_wait_for_one_render(folder):
    import asyncio
    import threading
    import time

    rendered, lock = [], threading.Lock()

    def slow_page(request):
        with lock:
            rendered.append(request.url)
        time.sleep(0.2)  # Gradio's render: long enough for the others to arrive meanwhile
        fail = request.query_params.get("fail")
        return PlainTextResponse("broken", 500) if fail else HTMLResponse("<html>page" + " " * 2000 + "</html>")

    app = Starlette(routes=[Route("/", slow_page)])
    app.user_middleware = [Middleware(CachedStaticFiles, folder=folder), Middleware(CachedPage)]

    async def open_pages(query: str, count: int):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await asyncio.gather(*(client.get("/" + query) for _ in range(count)))

    pages = asyncio.run(open_pages("", 8))
    assert {page.text for page in pages} == {"<html>page" + " " * 2000 + "</html>"} and len(rendered) == 1
    failed = asyncio.run(open_pages("?fail=1", 3))  # not a page: each asks the app itself, nothing kept
    assert [page.status_code for page in failed] == [500] * 3 and len(rendered) == 1 + 3


def test_a_failed_page_is_passed_on_and_not_kept(served):
    client, rendered, _ = served
    assert client.get("/?fail=1").status_code == 500
    assert client.get("/?fail=1").status_code == 500
    assert len(rendered) == 2


def test_kept_bodies_stay_within_their_budget(folder):
    app = inner_app([])
    app.user_middleware = [Middleware(CachedStaticFiles, folder=folder, budget_bytes=len(SCRIPT) + 10)]
    with TestClient(app) as client:
        for encoding in ("identity", "gzip", "br", "identity"):
            assert client.get("/assets/index-abc123.js", headers={"accept-encoding": encoding}).content == SCRIPT.encode()
        middleware = find(client.app, CachedStaticFiles)
        assert middleware.bodies._bytes <= len(SCRIPT) + 10
        assert middleware.bodies.made == 4  # the raw file was dropped for the compressed ones, then read again


def test_chosen_encoding_prefers_brotli_then_gzip():
    assert chosen_encoding("gzip, deflate, br, zstd") == "br"
    assert chosen_encoding("gzip;q=1.0, deflate") == "gzip"
    assert chosen_encoding("") == "identity"
    assert chosen_encoding("br", compressible=False) == "identity"


def find(app, kind):
    """The middleware instance of type ``kind`` in a started Starlette app's stack."""
    layer = app.middleware_stack
    while layer is not None and not isinstance(layer, kind):
        layer = getattr(layer, "app", None)
    assert layer is not None, f"no {kind.__name__} in the stack"
    return layer


def test_the_running_app_serves_gradios_page_and_files(app_server):
    with httpx.Client(base_url=app_server.url, timeout=60) as http:
        page = http.get("/", headers={"accept-encoding": "gzip, br"})
        assert page.status_code == 200 and page.headers["content-encoding"] == "br"
        assert "window.gradio_config = " in page.text and '"root":"http://127.0.0.1' in page.text
        assert http.get("/", headers={"accept-encoding": "identity"}).text == page.text
        entry = next(part.split('"')[0] for part in page.text.split('src="./assets/')[1:])
        script = http.get(f"/assets/{entry}", headers={"accept-encoding": "br"})
        assert script.status_code == 200 and script.headers["cache-control"] == CACHE_FOREVER.decode()
        from tabs.serving.front_end import front_end_folder

        assert script.content == (front_end_folder() / entry).read_bytes()
