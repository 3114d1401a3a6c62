"""Identical requests share one computation: a class asking for "gold" runs the model once.

:func:`iter_steps` stands in for ``pipe.iter_steps(**args)``:

* a request whose arguments match a run in flight joins it: it gets the steps computed so
  far at once, then each new step as it comes;
* a finished run is kept in a cache bounded by bytes (least recently used out first), and
  a later identical request replays it;
* the run itself goes on in a thread of its own, so a requester that goes away does not
  stop it for the others; when the last one goes away, it stops at the next step (and is
  not cached).

:func:`iter_shown` also says which steps to show: the run marks its first step, its last,
and the first step after each ``FRAME_INTERVAL_S`` of its own clock, so every listener (and
a later replay) streams the same frames, and :func:`picture` draws each of them once for
all; and whether a step is ``behind`` (a newer one was already there when it was read: a
late joiner catching up need not show it). :func:`shared_call` does the same for a one-shot result (the Conditioning tab's first step).
Everything here is thread-safe: the model's queue runs two events at once, and a joined
request reads the same list of steps the running one appends to, under one lock. The
steps are the pipeline's own :class:`glyffuser.model.pipeline.PipelineStep` objects, shared
read-only by every listener, so a joined or replayed run gives exactly the arrays of a
fresh one.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np

log = logging.getLogger(__name__)

COMPUTING_AT_ONCE = 2  # distinct runs computed at once (two cores); later ones wait their turn, first come first served
CACHE_BYTES = 160 * 2**20  # finished runs kept, all together (a 120-step run of 16 64x64 glyphs is 63 MB)
CALL_CACHE_ENTRIES = 64  # one-shot results (each well under 1 MB)
FRAME_INTERVAL_S = 0.25  # a run's shown steps are at least this far apart on its own clock (the first and last always)
PICTURES_KEPT = 32  # pictures drawn from shared steps (a 16-glyph frame is 1.3 MB): what listeners of a few runs share
PLAYER_FRAMES_KEPT = 512  # encoded player frames (about 65 kB each): every shown step of a few runs
OPENING_KEPT = 64  # more than the app's opening views: each is computed once
DETAILS_KEPT = 32  # glyphs picked on the glyph map (a few kB each), apart from the one-shot model results
RESULTS_KEPT = 8  # what a finished run leaves in each listener's session (a 120-step, 16-glyph trajectory is 16 MB)


class Shown(NamedTuple):
    """One step of a shared run, as :meth:`SharedRuns.iter_shown` hands it out."""

    step: object  # the pipeline's step (read-only arrays)
    shown: bool  # one of the run's marked frames
    behind: bool  # a newer step had arrived when this one was read


def shown_batch(steps: list, marks: list[bool]) -> Iterator[Shown]:
    """Steps read together, each with its mark; all but the last are ``behind``."""
    for i, (step, shown) in enumerate(zip(steps, marks)):
        yield Shown(step, shown, i < len(steps) - 1)


def step_bytes(step) -> int:
    return sum(int(getattr(step, name).nbytes) for name in ("x_t", "pred_x0") if hasattr(getattr(step, name, None), "nbytes"))


def run_key(pipe, args: dict) -> tuple:
    """The identity of a request: the pipeline object and its arguments (sorted by name)."""
    return (id(pipe), tuple(sorted((name, float(v) if isinstance(v, float) else v) for name, v in args.items())))


class _Run:
    """One computation in flight: the steps so far, and who listens."""

    def __init__(self, lock: threading.Lock):
        self.steps: list = []
        self.shown: list[bool] = []  # parallel to steps: the frames every listener streams
        self.last_shown = 0.0
        self.bytes = 0
        self.done = False
        self.cancelled = False
        self.error: BaseException | None = None
        self.listeners = 0
        self.changed = threading.Condition(lock)


class FifoGate:
    """At most ``slots`` holders at once, admitted in the order they asked."""

    def __init__(self, slots: int):
        self.slots = slots
        self._cond = threading.Condition()
        self._waiting: deque = deque()
        self._active = 0

    def ahead(self) -> int:
        """How many hold or wait for the gate now."""
        with self._cond:
            return self._active + len(self._waiting)

    def line_up(self) -> object:
        """A place in line, taken now (in the asker's thread, so the line keeps the order of asking)."""
        ticket = object()
        with self._cond:
            self._waiting.append(ticket)
        return ticket

    def enter(self, ticket: object, abandoned: Callable[[], bool]) -> bool:
        """Wait until ``ticket`` is first in line and a slot is free; False (leaving the line) if ``abandoned()``."""
        with self._cond:
            while self._waiting[0] is not ticket or self._active >= self.slots:
                if abandoned():
                    self._waiting.remove(ticket)
                    self._cond.notify_all()
                    return False
                self._cond.wait(0.25)
            self._waiting.popleft()
            self._active += 1
            self._cond.notify_all()
            return True

    def leave(self) -> None:
        with self._cond:
            self._active -= 1
            self._cond.notify_all()


def tell_waiting(ahead: int) -> None:
    """Show a waiting student where their run stands (a toast on the page; nothing outside an event)."""
    try:
        import gradio as gr

        gr.Info(f"{ahead} other glyph run{'s are' if ahead > 1 else ' is'} being computed or waiting; yours starts "
                "after them. Identical requests share one run.", duration=8)
    except Exception:  # noqa: BLE001 - only a courtesy
        pass


class SharedRuns:
    """Runs in flight and finished runs, keyed by :func:`run_key`.

    Attributes:
        stats: counters {"computed", "joined", "replayed", "cancelled"} (for the bench and tests).
    """

    def __init__(self, cache_bytes: int = CACHE_BYTES, computing_at_once: int = COMPUTING_AT_ONCE,
                 frame_interval_s: float = FRAME_INTERVAL_S):
        self.cache_bytes = cache_bytes
        self.frame_interval_s = frame_interval_s
        self.gate = FifoGate(computing_at_once)
        self._lock = threading.Lock()
        self._running: dict[tuple, _Run] = {}
        self._finished: OrderedDict[tuple, tuple[list, list, int]] = OrderedDict()
        self._finished_bytes = 0
        self.stats = {"computed": 0, "joined": 0, "replayed": 0, "cancelled": 0}

    # --- the cache of finished runs -----------------------------------------------------------
    def _store(self, key: tuple, run: _Run) -> None:
        """Keep a finished run (lock held); evict the least recently used beyond the budget."""
        if run.bytes > self.cache_bytes:
            return
        self._finished[key] = (run.steps, run.shown, run.bytes)
        self._finished_bytes += run.bytes
        while self._finished_bytes > self.cache_bytes:
            _, (_, _, dropped) = self._finished.popitem(last=False)
            self._finished_bytes -= dropped

    @property
    def cached_bytes(self) -> int:
        return self._finished_bytes

    def clear(self) -> None:
        with self._lock:
            self._finished.clear()
            self._finished_bytes = 0

    # --- running ------------------------------------------------------------------------------
    def _produce(self, key: tuple, run: _Run, ticket: object, start: Callable[[], Iterator]) -> None:
        """Wait for a computing slot, then drive the pipeline's generator in this thread, publishing each step."""
        if not self.gate.enter(ticket, lambda: run.cancelled):
            with self._lock:
                run.done = True
                self.stats["cancelled"] += 1
                if self._running.get(key) is run:
                    del self._running[key]
                run.changed.notify_all()
            return
        steps = start()
        try:
            for step in steps:
                for name in ("x_t", "pred_x0"):  # shared by every listener: read-only
                    array = getattr(step, name, None)
                    if isinstance(array, np.ndarray):
                        array.flags.writeable = False
                now = time.perf_counter()
                shown = not run.steps or getattr(step, "t", 0) < 0 or now - run.last_shown >= self.frame_interval_s
                if shown:
                    run.last_shown = now
                with self._lock:
                    if run.cancelled:
                        self.stats["cancelled"] += 1
                        break
                    run.steps.append(step)
                    run.shown.append(shown)
                    run.bytes += step_bytes(step)
                    run.changed.notify_all()
        except BaseException as err:  # noqa: BLE001 - handed to every listener
            run.error = err
        finally:
            steps.close()
            self.gate.leave()
            with self._lock:
                run.done = True
                if self._running.get(key) is run:
                    del self._running[key]
                if run.error is None and not run.cancelled:
                    self._store(key, run)
                run.changed.notify_all()

    def iter_steps(self, pipe, **args) -> Iterator:
        """``pipe.iter_steps(**args)``, shared with identical requests (see the module's docstring)."""
        for step, _, _ in self.iter_shown(pipe, **args):
            yield step

    def iter_shown(self, pipe, **args) -> Iterator[Shown]:
        """:meth:`iter_steps` as :class:`Shown` triples: ``shown`` marks the frames to stream (the same for
        every listener), ``behind`` those already overtaken by a newer step when read."""
        listening = self.join(pipe, **args)
        try:
            yield from listening
        finally:
            listening.close()

    def join(self, pipe, **args) -> Listening:
        """Take this request's place now: join the identical run in flight, replay a finished one, or
        line up a new one (so runs start in the order they were asked for, however late the
        asker starts reading). Iterate the result for :class:`Shown` triples; close it when done."""
        key = run_key(pipe, args)
        ahead = 0
        with self._lock:
            finished = self._finished.get(key)
            if finished is not None:
                self._finished.move_to_end(key)
                self.stats["replayed"] += 1
                return Listening(self, None, finished, 0)
            run = self._running.get(key)
            if run is None or run.cancelled:
                ahead = self.gate.ahead()
                run = _Run(self._lock)
                self._running[key] = run
                self.stats["computed"] += 1
                ticket = self.gate.line_up()
                threading.Thread(target=self._produce, args=(key, run, ticket, lambda: pipe.iter_steps(**args)),
                                 name="shared-run", daemon=True).start()
            else:
                self.stats["joined"] += 1
            run.listeners += 1
        return Listening(self, run, None, ahead)

    def _leave(self, run: _Run) -> None:
        with self._lock:
            run.listeners -= 1
            if run.listeners == 0 and not run.done:
                run.cancelled = True  # nobody listens: stop at the next step

    def _listen(self, run: _Run) -> Iterator:
        seen = 0
        try:
            while True:
                with self._lock:
                    while seen >= len(run.steps) and not run.done:
                        run.changed.wait()
                    new, marks, done, error = run.steps[seen:], run.shown[seen:], run.done, run.error
                yield from shown_batch(new, marks)  # outside the lock: the consumer may take its time
                seen += len(new)
                if done and seen >= len(run.steps):
                    if error is not None:
                        raise error
                    return
        finally:
            self._leave(run)


class Listening:
    """One request's place in a shared run (:meth:`SharedRuns.join`): iterate it once for the
    :class:`Shown` triples; ``close()`` gives the place up (also when it was never read)."""

    def __init__(self, runs: SharedRuns, run: _Run | None, finished: tuple | None, ahead: int):
        self._runs, self._run, self._finished, self._ahead = runs, run, finished, ahead
        self._reading = self._closed = False

    def __iter__(self) -> Iterator[Shown]:
        self._reading = True
        if self._finished is not None:
            steps, marks, _ = self._finished
            yield from shown_batch(steps, marks)
            return
        if self._ahead >= self._runs.gate.slots:
            tell_waiting(self._ahead)
        yield from self._runs._listen(self._run)

    def close(self) -> None:
        """Leave the run if it was never read (reading leaves it when the reading ends)."""
        if not self._reading and not self._closed and self._run is not None:
            self._runs._leave(self._run)
        self._closed = True


class SharedCalls:
    """Single-flight and an LRU cache of ``maxsize`` entries for a one-shot function of hashable arguments.

    Callers asking for the same key at once wait for the one computing it. With ``owner``, an
    entry counts only for that very object (keys such as ``id(step)`` are reused once the
    object is gone: the entry holds its owner, so it is not).
    """

    def __init__(self, maxsize: int = CALL_CACHE_ENTRIES):
        self.maxsize = maxsize
        self._lock = threading.Lock()
        self._results: OrderedDict[tuple, tuple[object, object]] = OrderedDict()  # key -> (owner, result)
        self._pending: dict[tuple, threading.Event] = {}
        self.stats = {"computed": 0, "shared": 0}

    def __call__(self, key: tuple, compute: Callable[[], object], owner: object = None):
        while True:
            with self._lock:
                held = self._results.get(key)
                if held is not None and same_owner(held[0], owner):
                    self._results.move_to_end(key)
                    self.stats["shared"] += 1
                    return held[1]
                waiting = self._pending.get(key)
                if waiting is None:
                    done = self._pending[key] = threading.Event()
                    break
            waiting.wait()  # the other request's result (or its failure: then compute here)
        try:
            result = compute()
            with self._lock:
                self.stats["computed"] += 1
                self._results[key] = (owner, result)
                self._results.move_to_end(key)
                while len(self._results) > self.maxsize:
                    self._results.popitem(last=False)
            return result
        finally:
            with self._lock:
                del self._pending[key]
            done.set()

    def forget(self, key: tuple) -> None:
        """Drop ``key``'s result (it went stale), so the next call computes it again."""
        with self._lock:
            self._results.pop(key, None)


def same_owner(held, owner) -> bool:
    """Whether a kept result belongs to ``owner``: the same object, or weak references to one live object."""
    if isinstance(held, weakref.ref) and isinstance(owner, weakref.ref):
        return held() is not None and held() is owner()
    return held is owner


class SharedPictures:
    """Pictures drawn from shared steps, drawn once for every listener (the ``maxsize`` newest kept).

    Keyed by the step (its id, with a weak reference to it: a kept picture does not keep the
    step's arrays alive, 0.5 MB for 16 glyphs, and a later step that reuses the id is drawn anew)
    and a kind ("frame", "player", ...), or by a hashable ``key`` (:meth:`by_key`, e.g. a
    request's arguments). Listeners asking at once wait for the one drawing (:class:`SharedCalls`).
    """

    def __init__(self, maxsize: int = PICTURES_KEPT):
        self._calls = SharedCalls(maxsize)
        self.stats = self._calls.stats  # {"computed": drawn, "shared": handed out again}

    def __call__(self, step, kind: str, draw: Callable[[], object]):
        return self._calls((id(step), kind), draw, owner=weakref.ref(step))

    def by_key(self, key: tuple, draw: Callable[[], object]):
        """``draw()`` once per equal ``key``."""
        return self._calls(("key", key), draw)


RUNS = SharedRuns()
CALLS = SharedCalls()
PICTURES = SharedPictures()
PLAYER_FRAMES = SharedPictures(PLAYER_FRAMES_KEPT)
RESULTS = SharedCalls(RESULTS_KEPT)
OPENING = SharedCalls(OPENING_KEPT)  # the views every opening page asks for (tabs.opening)
DETAILS = SharedCalls(DETAILS_KEPT)  # a picked glyph's details, for the students picking it (tabs.glyph_map)


def iter_steps(pipe, **args) -> Iterator:
    """The app's shared :meth:`SharedRuns.iter_steps`."""
    return RUNS.iter_steps(pipe, **args)


def picture(step, kind: str, draw: Callable[[], object]):
    """``draw()`` for this shared step and kind, drawn once for every listener (:class:`SharedPictures`);
    kind "player" (small encoded frames) is kept for many more steps than the page's large frames."""
    return (PLAYER_FRAMES if kind == "player" else PICTURES)(step, kind, draw)


def shared_result(key: tuple, make: Callable[[], object], owner: object = None):
    """``make()`` once for every listener of the run ``key`` (for ``owner`` only, when given: see
    :class:`SharedCalls`): what each keeps in its session or is sent, so a class holds and builds
    one copy (tabs.serving.housekeeping counts shared memory once)."""
    return RESULTS(key, make, owner=owner)


def picture_by_key(key: tuple, draw: Callable[[], object]):
    """``draw()`` once for every request with an equal ``key`` (e.g. a run's starting noise)."""
    return PICTURES.by_key(key, draw)


def shared_call(key: tuple, compute: Callable[[], object]):
    """The app's shared :class:`SharedCalls`."""
    return CALLS(key, compute)

