"""Widgets and wiring shared by the tabs, so every tab looks and behaves alike."""

from __future__ import annotations

import json
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
