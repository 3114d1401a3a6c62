"""The classroom bench's page client (bench/page_client.py) against the running app: what it
measures is what a page gets, its errors carry the app's message, and a State stays on the server."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bench.page_client import EventFailed, PageClient, event_stream_messages


def test_the_event_stream_is_read_line_by_line_across_chunks():
    body = (b'data: {"msg": "estimation", "rank": 0}\n\n: heartbeat\n\ndata: {"msg": "process_completed", '
            b'"output": {"data": ["\xe9\x87\x91 gold"]}}\r\n\ndata: {"msg": "close_stream"}\n\n')
    cuts = [0, 5, 6, 40, 41, 70, 90, 91, len(body)]  # inside "data:", on a newline, inside a character
    response = SimpleNamespace(iter_bytes=lambda: iter(body[a:b] for a, b in zip(cuts, cuts[1:])))
    assert list(event_stream_messages(response)) == [
        {"msg": "estimation", "rank": 0},
        {"msg": "process_completed", "output": {"data": ["金 gold"]}},
        {"msg": "close_stream"},
    ]


@pytest.fixture()
def page(app_server):
    page = PageClient(app_server.url)
    yield page
    page.close()


def test_a_light_event_returns_the_tabs_outputs(page):
    x_t, noise, schedule, dataset, live, strip, row = page.call("/noise_glyph", "锂", 250, "cosine", 0)
    assert x_t["path"].endswith(".png") and noise["path"].endswith(".png")
    assert schedule["type"] == dataset["type"] == row["type"] == "plotly" and strip["type"] == "matplotlib"
    assert live["caption"].startswith("<strong>t = 250</strong>, cosine schedule")


def test_a_run_streams_frames_before_it_completes_and_the_session_keeps_it(page):
    kinds = [message["msg"] for message in page.stream("/sample", "gold", "ddim", 4, 3.0, 7, 2)]
    assert kinds[-1] == "process_completed"
    generating = [k for k, kind in enumerate(kinds) if kind == "process_generating"]
    assert len(generating) >= 2 and generating[0] < len(kinds) - 1  # the starting noise, then steps
    frame, caption = page.call("/sampling_scrub", 2)  # the run, kept in this page's session state
    assert frame["path"].endswith(".png") and caption.startswith("Step 2 of 4")


def test_a_bad_value_fails_with_the_apps_message(page):
    with pytest.raises(EventFailed, match="t must be between 0 and 999, got -5"):
        page.call("/noise_glyph", "锂", -5, "cosine", 0)


def test_opening_fires_the_load_events_then_the_changes_they_set_off(page):
    fired = [name for name, seconds in page.open()]
    assert fired == ["/opening"]  # the views and the deep link (the glyph map's pick is already the page's)
    page._shown[page._ports["/glyph_map_initial"][1][3]] = ""  # a page whose pick started empty...
    assert [name for name, seconds in page.open()][1:] == ["/glyph_details"]  # ...sets off its change
