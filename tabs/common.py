"""Widgets and wiring shared by the tabs, so every tab looks and behaves alike."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import gradio as gr

# $$...$$ for display formulas, $...$ inline.
LATEX = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
]

SCHEDULES = ("cosine", "linear")
NUM_STEPS = 1000  # T, the training timesteps of both schedules


def explanation(markdown: str) -> gr.Markdown:
    """The short text (with its key formula) that opens a tab."""
    return gr.Markdown(markdown, latex_delimiters=LATEX, elem_classes=["tab-intro"])


def note(markdown: str = "", **kwargs) -> gr.Markdown:
    """A small Markdown output for captions and numbers."""
    return gr.Markdown(markdown, latex_delimiters=LATEX, elem_classes=["tab-note"], **kwargs)


def plot(**kwargs) -> gr.Plot:
    """A figure output; the figure carries its own title."""
    kwargs.setdefault("show_label", False)
    kwargs.setdefault("format", "png")
    return gr.Plot(**kwargs)


def picture(label: str, **kwargs) -> gr.Image:
    """A greyscale picture output, shown pixel-sharp."""
    return gr.Image(label=label, format="png", image_mode="L", interactive=False,
                    elem_classes=["glyph-picture"], buttons=["download"], **kwargs)


def timestep_slider(value: int = 500, label: str = "timestep t", **kwargs) -> gr.Slider:
    return gr.Slider(0, NUM_STEPS - 1, value=value, step=1, label=label, **kwargs)


def moved(*sliders: gr.Slider) -> list:
    """Triggers for a figure that follows sliders: every change a user makes.

    A slider's ``input`` fires while it is dragged, for each arrow key and for a typed
    number (``release`` fires only when a mouse lets go). Wire it with
    ``trigger_mode="always_last"``, so a fast drag sends the newest value once the server
    is free instead of queueing every intermediate one.
    """
    return [s.input for s in sliders]


def schedule_radio(value: str = "cosine") -> gr.Radio:
    return gr.Radio(list(SCHEDULES), value=value, label="noise schedule",
                    info="cosine: Nichol & Dhariwal 2021 (the shipped model's); linear: Ho et al. 2020")


# A batch of up to 64 glyphs uses seeds seed, seed + 1, ..., so the field stops 64 below 2**31 - 1:
# every tab accepts the field's own maximum.
SEED_FIELD_MAX = 2**31 - 1 - 64


def seed_number(value: int = 0, label: str = "seed") -> gr.Number:
    return gr.Number(value=value, label=label, precision=0, minimum=0, maximum=SEED_FIELD_MAX)


OPENINGS: list[Callable[[], object]] = []  # every opening view of the built page (tabs.common.opening)


def opening(fn: Callable, outputs: Sequence[gr.components.Component], name: str) -> Callable[[], object]:
    """``fn()`` (a view at the tab's defaults) computed once for every page that opens.

    Every page opening the app asks for the same defaults: a class of thirty would compute each
    view thirty times (1.4 CPU-seconds a page before). The first page computes it (pages
    asking meanwhile wait for it), figures already serialised (``gr.Plot``'s PNG or JSON), and
    every later page gets the same outputs. A failure is not kept. The app's warm-up computes
    them all (:data:`OPENINGS`) before the first page opens.
    """
    from tabs import shared_runs

    outputs = list(outputs)

    def compute():
        values = fn()
        single = len(outputs) == 1
        values = [values] if single else list(values)
        values = [component.postprocess(value) if isinstance(component, gr.Plot) and value is not None else value
                  for component, value in zip(outputs, values)]
        return values[0] if single else tuple(values)

    view = lambda: shared_runs.OPENING((name,), compute)  # noqa: E731
    OPENINGS.append(view)
    return view


def on_load(fn: Callable, outputs: Sequence[gr.components.Component], api_name: str, **options):
    """Fill ``outputs`` when the page opens with ``fn()`` (which uses the defaults), computed once
    for every page (:func:`opening`). Returns the event (for ``.then``).

    The event is kept out of the API page (it only repeats a documented one with the
    default values) but stays callable by name; ``options`` go to ``gr.on``.
    """
    options = {"api_visibility": "undocumented", "show_progress": "minimal", **options}
    return gr.on(triggers=None, fn=opening(fn, outputs, api_name), inputs=None, outputs=list(outputs),
                 api_name=api_name, **options)


SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "assets" / "model"


def shipped_model_config() -> dict:
    """The shipped model's ``config.json`` (size, guidance range, training record), read without loading the model."""
    try:
        return json.loads((SHIPPED_MODEL / "config.json").read_text())
    except (OSError, ValueError):
        return {}


def shipped_guidance_max(default: float = 10.0) -> float:
    """The largest w the shipped model guides in one pass; sliders stop there, so the page never jumps to two passes."""
    return float(shipped_model_config().get("guidance_max") or default)
