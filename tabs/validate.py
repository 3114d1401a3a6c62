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

import functools
import inspect
import logging
import math
import unicodedata
from collections.abc import Callable, Sequence

import gradio as gr

from glyffuser.data import DatasetError

log = logging.getLogger(__name__)

MAX_TEXT = 200  # longest free text accepted (a word or a prompt)
MAX_SEED = 2**31 - 1


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
    text = repr(value)
    return text if len(text) <= 40 else f"a {type(value).__name__}"


def number(value, name: str, lo: float, hi: float) -> float:
    """A finite real number in ``[lo, hi]``.

    Raises:
        gradio.Error: for ``None``, booleans, text, lists, NaN, infinities or values outside.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(f"{name} must be a number between {lo:g} and {hi:g}, got {describe(value)}.")
    value = float(value)
    if not math.isfinite(value) or not lo <= value <= hi:
        raise fail(f"{name} must be between {lo:g} and {hi:g}, got {value:g}.")
    return value


def integer(value, name: str, lo: int, hi: int) -> int:
    """A whole number in ``[lo, hi]`` (``12.0`` is accepted as 12, ``12.5`` is not)."""
    x = number(value, name, lo, hi)
    if x != int(x):
        raise fail(f"{name} must be a whole number, got {x:g}.")
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


def guarded(what: str) -> Callable:
    """Decorate a tab function so that every failure reaches the caller as a ``gradio.Error``.

    ``gradio.Error`` passes through; a :class:`glyffuser.data.DatasetError` keeps its message
    (it says how to restore the data); anything else is logged with its traceback and
    reported as "``what`` failed". Works for plain and generator functions.
    """

    def convert(err: Exception) -> gr.Error:
        if isinstance(err, gr.Error):
            return err
        if isinstance(err, DatasetError):
            return fail(str(err))
        log.exception("%s failed", what)
        return fail(f"{what} failed ({type(err).__name__}). Try other settings.")

    def decorate(fn: Callable) -> Callable:
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def gen_wrapper(*args, **kwargs):
                try:
                    yield from fn(*args, **kwargs)
                except Exception as err:  # noqa: BLE001 - converted for the caller
                    raise convert(err) from None

            return gen_wrapper

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001 - converted for the caller
                raise convert(err) from None

        return wrapper

    return decorate
