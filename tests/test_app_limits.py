"""The app's limits for a crowd, through its HTTP routes and ``gradio_client``.

Bounded queue, no run beside the queue, no uploads, the examples' events private and
answering bad values with a message, huge numbers and the seed field's own maximum
answered with specific messages, and no traceback in the server's output meanwhile.
The app is the one ``app_server`` (tests/conftest.py) serves.
"""

from __future__ import annotations

import sys

import pytest
import requests

import app
from bench.page_client import PageClient
from tabs import common
from tabs.serving import endpoints


def join_queue(url: str, fn_index: int, data: list) -> dict:
    """Run event ``fn_index`` the way the app's page does (queue/join, then its event stream).

    Returns:
        The last message of the stream ("process_completed"), with ``success`` and ``output``.
    """
    page = PageClient(url)
    try:
        return list(page.messages(fn_index, data))[-1]
    finally:
        page.close()


def fn_index(demo, api_name: str) -> int:
    return next(i for i, fn in demo.fns.items() if fn.api_name == api_name)


def test_queue_is_bounded_and_the_run_route_closed(app_server):
    queue = app_server.demo._queue
    assert queue.max_size == app.QUEUE_MAX_SIZE
    assert queue.sleep_when_free == app.QUEUE_POLL_S  # Gradio's own attribute: still there, still used
    assert sys.getswitchinterval() == pytest.approx(app.GIL_SWITCH_S)  # the serving process hands the lock on sooner
    answer = requests.post(f"{app_server.url}gradio_api/run/one_step", json={"data": ["gold", 3.0, 0]}, timeout=30)
    assert answer.status_code == 404 and "join the queue" in answer.text
    assert all(fn.queue for fn in app_server.demo.fns.values() if fn.fn is not None)


def test_uploads_are_refused(app_server):
    answer = requests.post(f"{app_server.url}gradio_api/upload", files={"files": ("big.bin", b"x" * 20_000_000)},
                           timeout=60)
    assert answer.status_code == 413
    assert requests.post(f"{app_server.url}gradio_api/upload", files={"files": ("a.txt", b"x")},
                         timeout=30).status_code == 413


def test_example_events_are_private(client, app_server):
    named = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    derived = {f"/{fn.api_name}" for fn in app_server.demo.fns.values()
               if fn.api_name and (fn.api_name.endswith(("_fill", "_1", "_2")) or fn.api_name.endswith("_example")
                                   and fn.api_name not in ("training_example", "random_training_example"))}
    assert derived and not derived & named
    assert {"/sample", "/one_step", "/training_example", "/random_training_example"} <= named


@pytest.mark.parametrize("api_name, data, message", [
    ("glyph_map_1", ["radical", 10**400, ""], "must be text, got a whole number of about 401 digits"),
    ("noise_glyph_1", ["锂", "abc", "cosine", 0], "t must be a number"),
    ("score_field_1", [10**400, "cosine", 21], "t must be between 0 and 999"),
    ("overview_chain_1", ["锂", 500, "cosine", None], "seed must be a number"),
    ("sample_fill", [99], "example must be a whole number from 0 to 4"),
    ("one_step_fill", ["../../etc/passwd"], "example must be"),
    ("fit_gaussian_example", [-1], "example must be"),
])
def test_example_events_answer_bad_values_with_a_message(app_server, capfd, api_name, data, message):
    answer = join_queue(app_server.url, fn_index(app_server.demo, api_name), data)
    assert answer["success"] is False
    assert message in (answer["output"].get("error") or ""), answer["output"]
    assert "Traceback" not in capfd.readouterr().err


def test_example_fill_still_fills(app_server):
    answer = join_queue(app_server.url, fn_index(app_server.demo, "sample_fill"), [1])
    assert answer["success"], answer
    assert answer["output"]["data"][0]["value"] == "water"


@pytest.mark.parametrize("api_name, args, message", [
    ("/joint_density", (10**400, 0), "y₁ must be between -3 and 4, got a whole number of about 401 digits"),
    ("/noise_glyph", ("锂", 10**400, "cosine", 0), "t must be between 0 and 999"),
    ("/fit_gaussian", (0, 1, 100, 10**400), "seed must be between 0 and 2147483647"),
    ("/one_step", ("gold", 3.0, -(10**400)), "seed must be between"),
])
def test_huge_numbers_get_a_specific_message(call_error, capfd, api_name, args, message):
    text = call_error(api_name, *args)
    assert message in text and "OverflowError" not in text
    assert "Traceback" not in capfd.readouterr().err


def test_seed_fields_accept_their_own_maximum(call):
    """Every seed field stops at common.SEED_FIELD_MAX, which the model tabs accept (seed + i for 64 glyphs)."""
    top = common.SEED_FIELD_MAX
    *_, caption = call("/one_step", "gold", 3.0, top)
    assert f"seeds {top}–{top + 15}" in caption


def test_tighten_counts(app_server):
    """A second pass changes nothing: the rules are already applied."""
    assert endpoints.tighten(app_server.demo) == {"raw": 0, "private": 0, "queued": 0}


def test_sampling_streams_in_its_own_slots(app_server):
    """Sampling waits on tabs.serving.shared_runs for the model, so it has its own group and does not hold the model's slots."""
    groups = {fn.api_name: (fn.concurrency_id, fn.concurrency_limit) for fn in app_server.demo.fns.values()}
    assert groups["sample"] == groups["sample_example"] == ("sampling", app.SAMPLING_CONCURRENCY)
    assert groups["one_step"] == ("model", 2) and groups["sampling_analysis"] == ("model", 2)
