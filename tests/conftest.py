"""Shared fixtures: the whole app served once per test session, and a client for it.

``app_server`` builds the app exactly as ``python app.py`` does (every tab module that is
present, the same queue and launch options) and serves it in this process on a free
port. ``client`` is a ``gradio_client.Client`` on it; ``call`` and ``call_error`` run one
endpoint with a timeout, so a hung event fails the test instead of hanging the suite.
"""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

CALL_TIMEOUT = 120  # seconds for one endpoint; generous for a loaded 2-core machine
# Speed targets are checked by the scripts in bench/, on an idle machine. A test that times
# something only guards against a hang or a gross regression: it allows this factor over the target.
SLOW_MACHINE_FACTOR = 3.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def app_server():
    """The running app: ``.demo`` (the Blocks) and ``.url``."""
    import app
    import glyffuser.distributions.mapflow  # noqa: F401  (torch and scipy once, before concurrent events import them, as app.warm_up does)

    demo = app.build_demo()
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
                **app.launch_options())
    try:
        yield SimpleNamespace(demo=demo, url=f"http://127.0.0.1:{port}/")
    finally:
        demo.close()


@pytest.fixture(scope="session")
def client(app_server):
    from gradio_client import Client

    return Client(app_server.url, verbose=False)


@pytest.fixture(scope="session")
def call(client):
    """``call(api_name, *args, timeout=...)``: the endpoint's result (a tuple for several outputs)."""

    def run(api_name: str, *args, timeout: float = CALL_TIMEOUT):
        return client.submit(*args, api_name=api_name).result(timeout=timeout)

    return run


@pytest.fixture(scope="session")
def call_error(client):
    """``call_error(api_name, *args)``: the message of the error the endpoint raises.

    Fails the test if the endpoint answers normally or does not answer in time.
    """
    from gradio_client.exceptions import AppError

    def run(api_name: str, *args, timeout: float = CALL_TIMEOUT) -> str:
        job = client.submit(*args, api_name=api_name)
        try:
            result = job.result(timeout=timeout)
        except AppError as err:
            return str(err)
        pytest.fail(f"{api_name}{args!r:.200} answered {result!r:.200} instead of an error")

    return run


@pytest.fixture(scope="module")
def page(app_server):
    """A Chromium page on the running app, one per browser-test module (see tests/test_browser.py)."""
    from test_browser import browser_page

    with browser_page(app_server.url, 1600, 1000) as page:  # the first figures wait for torch, scipy and the data
        yield page


def pytest_configure(config):
    # Gradio's queue analytics call pandas options that pandas 3 deprecates; not ours to fix.
    config.addinivalue_line("filterwarnings", "ignore:'future.no_silent_downcasting' is deprecated")
    config.addinivalue_line("filterwarnings", "ignore:The copy keyword is deprecated")
