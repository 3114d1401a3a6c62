"""Checks for every value that reaches a tab's function, from the page or from the API.

Events are registered with ``preprocess=False``, so each function receives the raw JSON
value a caller sent (a number, a string, ``None``, a list...), not something a component
has already coerced. Every helper here either returns a clean Python value or raises
:class:`gradio.Error` with a message that says what was expected; :func:`guarded` turns
any other failure into such an error too, so callers never see a traceback.

Nothing here, or in any tab, turns user text into a path: characters are looked up in
the in-memory dataset only.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import math
import unicodedata
from collections.abc import Callable, Sequence
from html import escape

import gradio as gr

from glyffuser.data import DatasetError

log = logging.getLogger(__name__)

MAX_TEXT = 200  # longest free text accepted (a word or a prompt)
MAX_SEED = 2**31 - 1
MAX_EXACT_INT = 2**53  # whole numbers beyond this are refused before any float conversion


def fail(message: str) -> gr.Error:
    """A user-facing error (not logged with a traceback)."""
    return gr.Error(message, print_exception=False)


def describe(value) -> str:
    """A short, safe rendering of a bad value for an error message."""
    if isinstance(value, str):
        text = value if len(value) <= 24 else value[:21] + "..."
        return f"the text {text!r}" if len(value) <= 24 else f"a text of {len(value)} characters"
    if value is None:
        return "nothing"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_EXACT_INT:
        return f"a whole number of about {digits(value)} digits"  # repr() fails beyond 4,300 digits
    text = repr(value)
    return text if len(text) <= 40 else f"a {type(value).__name__}"


def digits(value: int) -> int:
    """About how many decimal digits ``value`` has, without str() (limited to 4,300 digits)."""
    return int(abs(value).bit_length() * math.log10(2)) + 1


def shown(x: float) -> str:
    """A bound or a value for a message: whole numbers in full (2147483647, not 2.14748e+09)."""
    if isinstance(x, int) or (isinstance(x, float) and math.isfinite(x) and x == int(x) and abs(x) < 1e16):
        return str(int(x))
    return f"{x:g}"


def number(value, name: str, lo: float, hi: float) -> float:
    """A finite real number in ``[lo, hi]``.

    On the app's page (inside :func:`guarded`) a finite number outside the range is taken
    as the nearest end, with a warning: a slider's box shows that value once it loses focus.

    Raises:
        gradio.Error: for ``None``, booleans, text, lists, NaN, infinities or (for API
        callers) values outside.
    """
    between = f"between {shown(lo)} and {shown(hi)}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(f"{name} must be a number {between}, got {describe(value)}.")
    if isinstance(value, int) and not -MAX_EXACT_INT <= value <= MAX_EXACT_INT:
        # too large for a float (10**400 would raise OverflowError) and far outside any range here
        raise fail(f"{name} must be {between}, got a whole number of about {digits(value)} digits.")
    value = float(value)
    if not math.isfinite(value):
        raise fail(f"{name} must be {between}, got {value:g}.")
    if not lo <= value <= hi:
        if not _IN_BROWSER.get():
            raise fail(f"{name} must be {between}, got {shown(value)}.")
        nearest = min(max(value, lo), hi)
        gr.Warning(f"{name} must be {between}; {shown(value)} was taken as {shown(nearest)}, "
                   "the nearest allowed value.", title="Out of range")
        return nearest
    return value


def integer(value, name: str, lo: int, hi: int) -> int:
    """A whole number in ``[lo, hi]`` (``12.0`` is accepted as 12, ``12.5`` is not)."""
    x = number(value, name, lo, hi)
    if x != int(x):
        raise fail(f"{name} must be a whole number, got {shown(x)}.")
    return int(x)


def timestep(value, num_steps: int = 1000, name: str = "t") -> int:
    """A diffusion timestep in ``[0, num_steps - 1]``."""
    return integer(value, name, 0, num_steps - 1)


def seed(value, name: str = "seed") -> int:
    """A random seed in ``[0, 2**31 - 1]``."""
    return integer(value, name, 0, MAX_SEED)


def choice(value, name: str, options: Sequence[str]) -> str:
    """One of ``options`` exactly."""
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise fail(f"{name} must be one of {listed}, got {describe(value)}.")
    return value


def text(value, name: str, max_len: int = MAX_TEXT, allow_empty: bool = True) -> str:
    """A single line of text, trimmed, at most ``max_len`` characters, no control characters."""
    if value is None and allow_empty:
        return ""
    if not isinstance(value, str):
        raise fail(f"{name} must be text, got {describe(value)}.")
    if len(value) > max_len:
        raise fail(f"{name} is too long ({len(value)} characters; the limit is {max_len}).")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co") and c not in "\t\n" for c in value):
        raise fail(f"{name} contains control characters.")
    value = " ".join(value.split())
    if not value and not allow_empty:
        raise fail(f"{name} is empty.")
    return value


def character(value, glyphs, name: str = "character") -> int:
    """The dataset row of one Chinese character.

    Args:
        value: the raw input; must be text holding exactly one character (spaces ignored).
        glyphs: the :class:`glyffuser.data.Glyphs` to look in.
        name: how the input is called in messages.

    Returns:
        The row index.
    """
    value = text(value, name, max_len=32, allow_empty=False)
    chars = value.replace(" ", "")
    if len(chars) != 1:
        raise fail(f"{name}: type exactly one Chinese character (e.g. 锂), got {describe(value)}.")
    try:
        return glyphs.index_of(chars)
    except KeyError:
        raise fail(
            f"{name}: {chars!r} (U+{ord(chars):04X}) is not in the dataset of {len(glyphs):,} "
            "glyphs (CJK Unified Ideographs with an English definition)."
        ) from None


BROWSER = "app"  # the x-gradio-user header Gradio's own page sends with each event (gradio_client: "api")
# True while a guarded function answers the app's own page (see guarded()).
_IN_BROWSER: contextvars.ContextVar[bool] = contextvars.ContextVar("in_browser", default=False)


def from_browser(request: gr.Request | None) -> bool:
    """Whether an event came from the app's own page rather than an API client.

    Gradio's page marks each event it sends with the header ``x-gradio-user: app``;
    ``gradio_client`` sends ``api``. Anything without the mark (a direct Python call,
    another client) counts as an API call.
    """
    headers = getattr(request, "headers", None)
    return headers is not None and headers.get("x-gradio-user") == BROWSER


def guarded(what: str) -> Callable:
    """Decorate a tab function so that every failure reaches the caller as a clear message.

    ``gradio.Error`` passes through; a :class:`glyffuser.data.DatasetError` keeps its message
    (it says how to restore the data); anything else is logged with its traceback and
    reported as "``what`` failed". Works for plain and generator functions.

    The answer depends on the caller (see :func:`from_browser`). An API caller gets the
    ``gradio.Error``. On the app's page an error would put a red "Error" badge over every
    output of the event and drop its figures, so there:

    * a number outside its range is taken as the nearest allowed value, as a slider's own
      box does when it loses focus, with a warning that says so (:func:`number`);
    * any other bad value shows its message as a warning and leaves the outputs as they
      were (``gr.skip()``).

    To tell the callers apart the wrapper takes one more positional parameter,
    ``request: gr.Request``, which Gradio fills in; direct Python calls leave it out and
    inherit the caller's mode (a guarded function calling another).
    """

    def convert(err: Exception) -> gr.Error:
        if isinstance(err, gr.Error):
            return err
        if isinstance(err, DatasetError):
            return fail(str(err))
        log.exception("%s failed", what)
        return fail(f"{what} failed ({type(err).__name__}). Try other settings.")

    def report(err: Exception, browser: bool):
        """The browser's answer to ``err`` (outputs unchanged), or raise it for the API."""
        error = convert(err)
        if not browser:
            raise error from None
        gr.Warning(escape(error.message), title="Not updated")
        return gr.skip()

    def decorate(fn: Callable) -> Callable:
        arity = len(inspect.signature(fn).parameters)

        def split(args: tuple, kwargs: dict) -> tuple[tuple, bool]:
            """``fn``'s own arguments, and whether the call answers the app's page."""
            if len(args) > arity:
                args, request = args[:arity], args[arity]
            else:
                request = kwargs.pop("request", None)
            return args, from_browser(request) if request is not None else _IN_BROWSER.get()

        def call(browser: bool, step: Callable, *args, **kwargs):
            token = _IN_BROWSER.set(browser)
            try:
                return step(*args, **kwargs)
            finally:
                _IN_BROWSER.reset(token)

        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                args, browser = split(args, kwargs)
                # Each step runs in the mode: Gradio may resume a generator in another context.
                steps = call(browser, fn, *args, **kwargs)
                while True:
                    try:
                        item = call(browser, next, steps)
                    except StopIteration:
                        return
                    except Exception as err:  # noqa: BLE001 - reported to the caller
                        yield report(err, browser)
                        return
                    yield item

        else:

            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                args, browser = split(args, kwargs)
                try:
                    return call(browser, fn, *args, **kwargs)
                except Exception as err:  # noqa: BLE001 - reported to the caller
                    return report(err, browser)

        wrapper.__guarded__ = True  # app.py turns Gradio's preprocessing off for every guarded event
        return with_request_parameter(wrapper, fn)

    return decorate


def with_request_parameter(wrapper: Callable, fn: Callable) -> Callable:
    """Give ``wrapper`` the signature of ``fn`` plus a last positional ``request: gr.Request``.

    Gradio injects a ``gr.Request`` only into positional parameters annotated with it, and
    reads the signature and annotations of the function it is given; the rest of
    ``fn``'s signature (``self``, a ``gr.Progress()`` default) is kept as it is.
    """
    signature = inspect.signature(fn)
    params = list(signature.parameters.values())
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.KEYWORD_ONLY) for p in params):
        raise TypeError(f"guarded functions take positional parameters only: {fn.__qualname__}{signature}")
    request = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None,
                                annotation=gr.Request)
    wrapper.__signature__ = signature.replace(parameters=[*params, request])
    wrapper.__annotations__ = {"request": gr.Request}
    return wrapper
