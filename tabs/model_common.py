"""What the three model tabs (training, conditioning, sampling) share.

* :data:`MODEL_EVENTS`: the keyword arguments of every event that runs the network. They
  share one queue, ``concurrency_id="model"``, two at a time: the CPU has two cores and
  each request runs the network on one (see :func:`pipeline`), so a second visitor's
  one-step picture does not wait for a first visitor's whole sampling run, and events
  without the model (sliders on the data tabs) never queue behind either.
* :func:`pipeline`: the shared pipeline, with torch limited to one thread per request.
* :func:`prompt` and :func:`pipeline_errors`: prompt checking and turning the pipeline's
  own argument errors into messages for the page.
"""

from __future__ import annotations

import contextlib
import threading

from tabs import validate

MODEL_CONCURRENCY_ID = "model"
MODEL_CONCURRENCY_LIMIT = 2
MODEL_EVENTS = dict(concurrency_id=MODEL_CONCURRENCY_ID, concurrency_limit=MODEL_CONCURRENCY_LIMIT)
MAX_PROMPT = 200
# The pipeline's limits, repeated here so that building the page does not import torch
# (tests/test_model_views.py checks they match glyffuser.pipeline and glyffuser.sampling).
SAMPLERS = ("ddpm", "ddim", "dpm")
MAX_STEPS = 1000
MAX_GLYPHS = 64
MAX_GUIDANCE = 20.0
PROMPT_EXAMPLES = ("gold", "water", "fire", "tree", "grass", "insect", "sickness", "bird", "fish", "speech")

_threads_set = threading.Event()


def pipeline(resources):
    """The shared :class:`glyffuser.pipeline.GlyphPipeline`, loaded on first use.

    Torch runs on one thread per request: on a small CPU shared with other requests and
    processes, two OpenMP threads per operation wait on each other and made a 16-glyph
    step 2-15x slower in measurements (0.28 s with one thread, 0.6-4.7 s with two, under
    load). The network itself runs in :mod:`glyffuser.batch_split`'s pool: each batch in
    halves on two single-threaded workers, which concurrent requests share in turn.
    """
    if not _threads_set.is_set():
        import torch

        torch.set_num_threads(1)
        _threads_set.set()
    return resources.pipeline()


def prompt(value, name: str = "prompt") -> str:
    """A prompt: text of at most :data:`MAX_PROMPT` characters, no control characters ("" allowed)."""
    return validate.text(value, name, max_len=MAX_PROMPT, allow_empty=True)


@contextlib.contextmanager
def pipeline_errors():
    """Re-raise the pipeline's :class:`PipelineInputError` as a message for the page."""
    from glyffuser.pipeline import PipelineInputError

    try:
        yield
    except PipelineInputError as err:
        raise validate.fail(str(err)) from None


def classifier():
    """The radical classifier of :mod:`glyffuser.evaluate`, or None when its weights are missing."""
    from glyffuser import evaluate

    try:
        return evaluate.load_classifier()
    except (OSError, RuntimeError):
        return None


def radical_meter_text(ink, prompt_text: str, glyphs) -> str:
    """One line: how many of the glyphs carry the prompt's radical, by the independent classifier.

    Args:
        ink: (B, S, S) glyphs, 1 = ink.
        prompt_text: the prompt; its radical comes from :func:`glyffuser.evaluate.radical_for_prompt`.
        glyphs: the dataset, for the radical's share of real glyphs (chance level).
    """
    return radical_meter_texts([ink], prompt_text, glyphs)[0]


def radical_meter_texts(inks, prompt_text: str, glyphs) -> list[str]:
    """:func:`radical_meter_text` for several (B_i, S, S) arrays, with one classifier pass."""
    import numpy as np

    from glyffuser import evaluate
    from glyffuser.lookup import top_radicals

    judge = classifier()
    if judge is None:
        return ["(The radical classifier is not installed: `python -m glyffuser.classifier` trains it.)"] * len(inks)
    predicted = np.split(judge.predict(np.concatenate(inks)), np.cumsum([len(ink) for ink in inks])[:-1])
    radical = evaluate.radical_for_prompt(prompt_text)
    lines = []
    for reading in predicted:
        if radical is not None:
            hits, chance = int((reading == radical).sum()), float((glyphs.radicals == radical).mean())
            lines.append(f"**{hits} of {len(reading)}** samples carry **{evaluate.radical_label(radical)}** "
                         f"(the classifier's reading; {chance:.1%} of training glyphs do)")
        else:
            (top, count), = top_radicals(reading, 1)
            lines.append(f"No radical is tied to this prompt; the classifier's commonest reading is "
                         f"{evaluate.radical_label(top)} in {count} of {len(reading)} samples")
    return lines


def quoted(text: str, limit: int = 60) -> str:
    """User text made safe to show inside Markdown: shortened, HTML and Markdown marks escaped."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!|~$" else c for c in text)
