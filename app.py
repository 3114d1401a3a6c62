"""Glyffuser Explorer: every figure of the visual guide to diffusion models, made live.

This file only assembles the tabs. Each tab is a module in ``tabs/`` with a
``build_tab(resources)`` function that opens its own ``gr.Tab``; heavy objects load
lazily through ``tabs/resources.py``. A tab module that is not there (yet) is skipped.
A ``build_tab`` may return links, ``{button: tab id}``: buttons that open another tab.

The tab bar wraps onto more rows instead of hiding tabs behind an overflow menu, so every
tab is one click away at any width.

Run ``python app.py`` (port from ``GRADIO_SERVER_PORT``, default 7860, on 0.0.0.0).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import threading
from pathlib import Path

import gradio as gr

from tabs import deep_link, opening, resources
from tabs.serving import cache_files, endpoints, housekeeping, session_configs

# In learning order. Model tabs are optional modules.
TAB_MODULES = (
    "tabs.distribution",
    "tabs.glyph_map",
    "tabs.noising",
    "tabs.score",
    "tabs.overview",
    "tabs.training",
    "tabs.conditioning",
    "tabs.sampling",
)

# Light events (figures from the dataset) run this many at a time each; model events
# share one slot through concurrency_id="model" (set by the model tabs).
DEFAULT_CONCURRENCY = 2
MODEL_CONCURRENCY_ID = "model"
# Sampling runs stream this many at once; tabs.serving.shared_runs computes two distinct runs at a
# time (first come, first served), lets identical requests share one, and draws and encodes
# each frame once for all its listeners, so a listener costs little more than a waiting thread:
# a class of 30 asking for the same run all stream from the start.
SAMPLING_EVENTS = {"sample", "sample_example"}
SAMPLING_CONCURRENCY = 32
# Worker threads for events (Gradio's default is 40): every streaming listener holds one.
MAX_THREADS = 80

HEADER = """
# Glyffuser Explorer
A hands-on companion to a visual guide to diffusion models, built around *the glyffuser*,
a small model that draws Chinese glyphs from English definitions. Work through the tabs
from left to right: from fitting a single Gaussian to noising, scoring and, finally,
generating glyphs.
"""

CSS = (Path(__file__).parent / "tabs" / "style.css").read_text(encoding="utf-8")
JS = (Path(__file__).parent / "tabs" / "map_click.js").read_text(encoding="utf-8")
# System fonts only: the app must work offline (the stock themes fetch Google fonts).
THEME = gr.themes.Soft(
    primary_hue="indigo", neutral_hue="slate",
    font=["Inter", "Noto Sans", "Noto Sans CJK SC", "system-ui", "sans-serif"],
    font_mono=["DejaVu Sans Mono", "ui-monospace", "monospace"],
)
# Waiting events the queue holds at most, all sessions together; one more is refused with
# "Queue is full". A student's page fires one light event when it opens (tabs.opening), so
# this lets a class open the app at once and scrub while bounding what a flood of API calls piles up.
QUEUE_MAX_SIZE = 400
# Gradio's queue looks for an event it can start every millisecond, waking the server's event
# loop a thousand times a second (7% of a core on an idle server, and the interpreter lock taken
# as often under load); every 5 ms starts an event soon enough.
QUEUE_POLL_S = 0.005
# How long a Python thread may hold the interpreter lock while another waits for it (Python's
# default is 5 ms). A sampling run hands the lock back and forth dozens of times a step (every
# torch call releases it); while the event loop serves a class, each hand-back waited up to 5 ms:
# a run beside a busy Python thread took 11-14x its time alone, 2.2x at 0.1 ms (bench: a busy
# process on a core gives 2.0x). Only a thread that waits is concerned.
GIL_SWITCH_S = 0.0001
# The app takes no files: any upload with content is refused (HTTP 413).
MAX_UPLOAD = 0
# Sessions whose state Gradio keeps in memory (each about 0.3 MB even without a run).
SESSION_CAPACITY = 300


def launch_options() -> dict:
    """``demo.launch`` keywords (fresh each call: Gradio adds to its ``app_kwargs``). Run history
    would keep every figure (megabytes of JSON each) in the visitor's browser; the page and the
    front end's files are served from memory, compressed once (tabs.serving.front_end)."""
    from starlette.middleware import Middleware

    from tabs.serving.front_end import CachedPage, CachedStaticFiles

    return dict(theme=THEME, css=CSS, js=JS, run_history=False, max_file_size=MAX_UPLOAD,
                state_session_capacity=SESSION_CAPACITY, max_threads=MAX_THREADS,
                app_kwargs={"middleware": [Middleware(CachedStaticFiles), Middleware(CachedPage)]})


def available_tabs(names=TAB_MODULES) -> list:
    """The tab modules that exist, imported, in order (a missing module is skipped)."""
    modules = []
    for name in names:
        if importlib.util.find_spec(name) is None:
            logging.getLogger(__name__).info("tab %s not present; skipped", name)
            continue
        modules.append(importlib.import_module(name))
    return modules


def open_tab(tab_id: str):
    """The update that selects tab ``tab_id`` of the course."""
    return gr.Tabs(selected=tab_id)


def link_buttons(tabs: gr.Tabs, links: dict) -> None:
    """Wire each button of ``links`` ({button: tab id}) to open its tab.

    Selecting a tab is a server update (``gr.Tabs(selected=...)``), which works whether or
    not the tab's button is on screen; it waits only for its own concurrency slots, so a busy
    model never delays it.
    """
    for button, tab_id in links.items():
        button.click(lambda tab_id=tab_id: open_tab(tab_id), inputs=None, outputs=tabs,
                     api_visibility="private", show_progress="hidden")


def build_demo() -> gr.Blocks:
    """The whole app: a header and one tab per available tab module, queue on."""
    # streamed frames are cached files: sweep those older than 30 minutes every 10 minutes
    with gr.Blocks(title="Glyffuser Explorer", delete_cache=(600, 1800)) as demo:
        gr.Markdown(HEADER, elem_classes=["app-header"])
        links = {}
        # "wrap": all tabs stay in the bar, on more rows when narrow (the default "menu"
        # hides those that do not fit behind an unlabelled overflow button)
        with gr.Tabs(overflow_behavior="wrap", elem_id="course-tabs") as tabs:
            for module in available_tabs():
                links.update(module.build_tab(resources) or {})
        link_buttons(tabs, links)
        deep_link.install(tabs)  # the address carries the tab and its settings; "Share this view" copies it
        opening.opening_event()  # what each tab shows when the page opens, and the deep link's settings, in one event
    # Gradio recomputes its monitoring page's summary (pandas, over up to 10,000 events) after every
    # event; the app has no monitoring page, so it is left to once a million events.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(10**6))
    sys.setswitchinterval(GIL_SWITCH_S)  # a sampling run beside the busy event loop gets the lock back sooner
    # api_open=False: /gradio_api/run/<name> refuses queued events, so nothing runs beside the queue
    demo.queue(default_concurrency_limit=DEFAULT_CONCURRENCY, max_size=QUEUE_MAX_SIZE, api_open=False)
    if hasattr(demo._queue, "sleep_when_free"):  # Gradio's queue: how often it looks for an event it can start
        demo._queue.sleep_when_free = QUEUE_POLL_S
    endpoints.tighten(demo)
    endpoints.own_slots(demo, SAMPLING_EVENTS, "sampling", SAMPLING_CONCURRENCY)
    # session state with a time-to-live and a byte budget, cached files swept by age and size
    demo.housekeeping_stop = housekeeping.install(demo)
    cache_files.install()  # a picture many students fetch is written once, atomically
    session_configs.install()  # a new session copies the components' configs when it needs them, not all at once
    return demo


def warm_up() -> None:
    """Import the heavy libraries, load the dataset, the map and the model, so first requests are quick.

    Run in the background once the server answers; the loaders are the cached ones of
    ``tabs.resources``, so a request arriving meanwhile waits for the same load. Two tiny
    samples record the model's graphs (with w, and without), about a second each; then the
    views every page opens with are computed once (``tabs.opening``), and the Sampling
    tab's default run.
    """
    log = logging.getLogger(__name__)
    try:
        import glyffuser.distributions.mapflow  # noqa: F401  (torch, scipy)
        import viz.noising  # noqa: F401  (plotly, matplotlib)

        resources.standard_map()
        resources.map_density()
        resources.map_hover()
        log.info("dataset, map and libraries loaded")
        pipe = resources.pipeline()
        for guidance in (3.0, 1.0):
            pipe.first_step("gold", n=2, steps=2, guidance=guidance)
        log.info("model loaded and traced")
        opening.warm_up()
        log.info("the views a page opens with are computed")
        precompute_default_sample(pipe)
        log.info("the Sampling tab's default run is cached")
    except Exception:  # noqa: BLE001 - the tabs report the same failure to the user
        log.exception("warm-up failed")


def precompute_default_sample(pipe) -> None:
    """Run the Sampling tab's default request once, into the shared cache: a class pressing Sample first gets it at once."""
    if importlib.util.find_spec("tabs.sampling") is None:
        return
    from tabs import model_common
    from tabs.sampling import DEFAULTS
    from tabs.serving import shared_runs

    prompt, sampler, steps, guidance, seed, count = DEFAULTS
    args = dict(prompt=model_common.prompt(prompt), sampler=sampler, steps=int(steps), guidance=float(guidance),
                seed=int(seed), n=int(count))
    for _ in shared_runs.iter_steps(pipe, **args):
        pass


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    demo = build_demo()
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        prevent_thread_lock=True,
        **launch_options(),
    )
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    demo.block_thread()


if __name__ == "__main__":
    main()
