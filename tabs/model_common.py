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
from collections import Counter

from tabs import validate

MODEL_CONCURRENCY_ID = "model"
MODEL_CONCURRENCY_LIMIT = 2
MODEL_EVENTS = dict(concurrency_id=MODEL_CONCURRENCY_ID, concurrency_limit=MODEL_CONCURRENCY_LIMIT)
MAX_PROMPT = 200
# The pipeline's limits, repeated here so that building the page does not import torch
# (tests/test_model_views.py checks they match glyffuser.model.pipeline and glyffuser.diffusion.sampling).
SAMPLERS = ("ddpm", "ddim", "dpm")
MAX_STEPS = 1000
MAX_GLYPHS = 64
MAX_GUIDANCE = 20.0
PROMPT_EXAMPLES = ("gold", "water", "fire", "tree", "grass", "insect", "sickness", "bird", "fish", "speech")

_threads_set = threading.Event()


def pipeline(resources):
    """The shared :class:`glyffuser.model.pipeline.GlyphPipeline`, loaded on first use.

    Torch runs on one thread per request: on a small CPU shared with other requests and
    processes, two OpenMP threads per operation wait on each other and made a 16-glyph
    step 2-15x slower in measurements (0.28 s with one thread, 0.6-4.7 s with two, under
    load). The network itself runs in :mod:`glyffuser.model.batch_split`'s pool: each batch in
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


def request_args(text, sampler, steps, guidance, seed, count, max_count: int, count_name: str) -> dict:
    """The checked arguments of one pipeline request, as a dict: ``count`` glyphs (1 to ``max_count``,
    called ``count_name`` in messages) from seeds ``seed`` .. ``seed + count - 1``."""
    return dict(
        prompt=prompt(text),
        sampler=validate.choice(sampler, "sampler", SAMPLERS),
        steps=validate.integer(steps, "steps", 1, MAX_STEPS),
        guidance=validate.number(guidance, "guidance w", 0.0, MAX_GUIDANCE),
        seed=validate.integer(seed, "seed", 0, validate.MAX_SEED - max_count),
        n=validate.integer(count, count_name, 1, max_count),
    )


@contextlib.contextmanager
def pipeline_errors():
    """Re-raise the pipeline's :class:`PipelineInputError` as a message for the page."""
    from glyffuser.model.pipeline import PipelineInputError

    try:
        yield
    except PipelineInputError as err:
        raise validate.fail(str(err)) from None


def classifier():
    """The radical classifier of :mod:`glyffuser.evaluate.measures`, or None when its weights are missing."""
    from glyffuser.evaluate import measures

    try:
        return measures.load_classifier()
    except (OSError, RuntimeError):
        return None


UNSURE_BELOW = 0.8  # a sample whose top guess has a lower calibrated probability is shown with its top guesses
MAX_UNSURE_SHOWN = 3


def radical_meter_text(ink, prompt_text: str, glyphs) -> str:
    """One line: how many of the glyphs carry the prompt's radical, by the independent classifier.

    A glyph counts when the classifier's calibrated probability of the radical is at
    least its threshold (50%); the line says how often the classifier finds the radical
    on real held-out glyphs that have it, and shows the top guesses where it is unsure.

    Args:
        ink: (B, S, S) glyphs, 1 = ink.
        prompt_text: the prompt; its radical comes from :func:`glyffuser.evaluate.measures.radical_for_prompt`.
        glyphs: the dataset, for the radical's share of real glyphs (chance level).
    """
    return radical_meter_texts([ink], prompt_text, glyphs)[0]


def _guesses(probs, k: int = 2) -> str:
    """e.g. ``"金 46%, 土 20%"`` for one sample's (214,) probabilities."""
    import numpy as np

    from glyffuser.evaluate.measures import radical_char

    top = np.argsort(-probs)[:k]
    return ", ".join(f"{radical_char(int(r) + 1)} {probs[r]:.0%}" for r in top)


def unsure_text(probs) -> str:
    """The samples whose top guess is below :data:`UNSURE_BELOW`, with their top guesses ("" if none)."""
    import numpy as np

    unsure = np.flatnonzero(probs.max(1) < UNSURE_BELOW)
    if not len(unsure):
        return ""
    shown = "; ".join(f"#{i + 1} {_guesses(probs[i])}" for i in unsure[:MAX_UNSURE_SHOWN])
    more = f"; {len(unsure) - MAX_UNSURE_SHOWN} more" if len(unsure) > MAX_UNSURE_SHOWN else ""
    return f" Unsure (top guess below {UNSURE_BELOW:.0%}) on {len(unsure)}: {shown}{more}."


def radical_meter_texts(inks, prompt_text: str, glyphs) -> list[str]:
    """:func:`radical_meter_text` for several (B_i, S, S) arrays, with one classifier pass."""
    import numpy as np

    from glyffuser.evaluate import measures

    judge = classifier()
    if judge is None:
        return ["(The radical classifier is not installed: `python -m glyffuser.evaluate.classifier` trains it.)"] * len(inks)
    probs = np.split(judge.probabilities(np.concatenate(inks)), np.cumsum([len(ink) for ink in inks])[:-1])
    radical, threshold = measures.radical_for_prompt(prompt_text), judge.threshold
    lines = []
    for p in probs:
        if radical is not None:
            hits = int((p[:, radical - 1] >= threshold).sum())
            chance = float((glyphs.radicals == radical).mean())
            real = judge.held_out(radical)
            found = (f"; on {real['glyphs']} real held-out glyphs with {measures.radical_char(radical)} "
                     f"it finds it in {real['recall']:.0%}" if real else "")
            line = (f"**{hits} of {len(p)}** samples carry **{measures.radical_label(radical)}** "
                    f"(classifier's probability ≥ {threshold:.0%}{found}; {chance:.1%} of training glyphs carry it).")
        else:
            confident = p.max(1) >= threshold
            readings = Counter((p[confident].argmax(1) + 1).tolist()).most_common(2)
            read = ", ".join(f"{measures.radical_label(r)} in {c}" for r, c in readings)
            line = (f"No radical is tied to this prompt; the classifier's commonest readings (probability ≥ "
                    f"{threshold:.0%}): {read} of {len(p)} samples." if readings else
                    f"No radical is tied to this prompt; the classifier gives no radical ≥ {threshold:.0%} "
                    f"in any of {len(p)} samples.")
        lines.append(line + unsure_text(p))
    return lines


def quoted(text: str, limit: int = 60) -> str:
    """User text made safe to show inside Markdown: shortened, HTML and Markdown marks escaped."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!|~$" else c for c in text)

