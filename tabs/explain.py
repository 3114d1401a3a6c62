"""Every tab's opening at two depths: a few plain sentences, then "The details" (the maths).

The plain text is for a reader who knows no machine learning: two to four sentences, no
formula, no paper names, each true of the picture beside it with the shipped model at the
tab's default settings. Words in ``[[double brackets]]`` link to a short glossary that
closes the plain text (``[[shown words|term]]`` shows other words than the term's name);
the glossary is a native ``<details>`` element, which the browser opens when a link to a
term inside it is followed. The tab's own detailed text (its formulas and references)
follows in a collapsed accordion.
"""

from __future__ import annotations

import re

import gradio as gr

from tabs import common

GLOSSARY = {
    "distribution": "Which values come up, and how often. A bell curve is one; the set of all the glyphs is another, "
                    "much harder one.",
    "sample": "One value (or one picture) drawn at random from a distribution.",
    "fit": "Choosing the settings of a rule (here the centre and the width of a bell curve) so that it matches "
           "the numbers we were given as well as possible.",
    "glyph": "One Chinese character, drawn as a small picture of 64 by 64 pixels.",
    "pixel": "One dot of a picture, stored as a number: 0 for paper, 1 for ink.",
    "radical": "A part of a Chinese character that often hints at its meaning, such as 氵 for water or 金 for metal.",
    "map": "A flat picture of the data in which every glyph is one dot and glyphs that look alike sit close "
           "together.",
    "noise": "Random speckles added to a picture, drawn fresh each time, like the snow on an old television.",
    "step": "The counter t of the noising: 0 is a barely touched picture, 999 is pure noise.",
    "score": "At each point, the arrow that points uphill towards where the data are denser; its length says how "
             "steep the climb is.",
    "network": "A computer program with many adjustable numbers that learns a task from examples; here, to look at "
               "a noisy picture and guess what is hidden in it.",
    "training": "Showing the network many examples and, after each one, adjusting its numbers a little so that "
                "its next guess is closer to the right answer.",
    "prompt": "The English words (a definition) that tell the model what to draw, such as gold or water.",
    "guidance": "A dial that sets how strongly the model follows the prompt: at 0 it ignores it, higher values "
                "follow it more closely.",
    "sampler": "The recipe that turns the network's guesses into the next, slightly cleaner picture, step after "
               "step.",
}

PLAIN = {
    "distribution": (
        "A computer is given a pile of numbers drawn at random and has to find a rule that could produce more "
        "numbers like them: that is what learning a [[distribution]] means. Here the rule is a bell curve, and "
        "the top picture shows the numbers as bars, the true curve and the curve we [[fit]] to the numbers. Try "
        "a small and a large number of samples: with few, the fitted curve wanders away from the true one; with "
        "many, it settles on top of it."
    ),
    "glyph-map": (
        "The model learns from 14,486 Chinese characters, each a small black-and-white picture (a [[glyph]]) "
        "of 64 by 64 [[pixels|pixel]]. To a computer each picture is just a long list of numbers, one per "
        "pixel. The [[map]] squeezes every picture into one dot, so that pictures that look alike sit close "
        "together; the colours show that characters sharing a [[radical]] tend to gather in the same places. "
        "Hover a dot to read its character and meaning, and click it to see the picture."
    ),
    "noising": (
        "A diffusion model learns by watching pictures being destroyed: step by step, the picture fades and "
        "random speckles ([[noise]]) are added, until nothing of it is left. The slider sets the [[step]], "
        "from 0 (barely touched) to 999 (only noise); drag it and watch the glyph disappear. Further down, the "
        "same happens to every dot of the [[map]]: the clusters blur and melt into one round cloud."
    ),
    "score": (
        "At every place on the [[map]], an arrow (the [[score]]) points the way towards where the dots are "
        "denser. Here the arrows can be worked out exactly; a real model has to learn them from examples, and "
        "the red arrows show what a small [[network]] learned. With little [[noise]] the arrows swing sharply "
        "from one cluster to the next; with a lot of noise they all point smoothly to the middle. Dots that "
        "follow the arrows a little at a time travel from random places to the data: that is how a diffusion "
        "model draws."
    ),
    "overview": (
        "A diffusion model works in two directions. Forwards, a character is covered with a little more "
        "[[noise]] at each of 1,000 steps until only noise is left; this direction needs no learning. "
        "Backwards, a trained [[network]] starts from pure noise and removes a little of it at each step, until "
        "a character appears. The pictures show the character 锂 (lithium) along the way."
    ),
    "training": (
        "To teach the [[network]], we take a [[glyph]], cover it with a random amount of [[noise]] and ask the "
        "network what it sees. Its answer can be turned into a guess of the clean glyph and a guess of the "
        "noise; the picture shows both below the true ones, and the [[training]] nudges the network to make "
        "its errors smaller. With little noise the glyph is easy to recognise; with a lot, the network can only "
        "guess its rough shape. This is repeated for many thousands of glyphs, noise levels and noise draws."
    ),
    "conditioning": (
        "The [[prompt]], an English definition, steers which characters the model draws. It does not change "
        "which characters exist, only which ones are likely, like taking one slice of the picture below. "
        "The [[guidance]] dial sets how strongly the model follows the prompt. The last pictures show the "
        "model's very first guess from pure noise, without the prompt and with it: with it, a blur of the "
        "characters that fit the prompt."
    ),
    "sampling": (
        "To draw a new character, the model starts from pure [[noise]]. At each step it guesses what the clean "
        "character looks like and moves the picture a little way towards that guess (the [[sampler]] is the "
        "recipe for that move); after enough steps the noise is gone. Press Sample and watch the picture shed "
        "its noise on the left while the guess sharpens on the right. Afterwards, each new character is "
        "compared with its closest match among the training glyphs, to see whether it is new or a copy."
    ),
}

TERM = re.compile(r"\[\[([^\]|]+)(?:\|([^\]]+))?\]\]")


def anchor(tab_id: str, term: str) -> str:
    """The element id of ``term`` in ``tab_id``'s glossary."""
    return f"glossary-{tab_id}-{term}".replace(" ", "-")


def terms(text: str) -> list[str]:
    """The glossary terms ``text`` links to, in order of first use."""
    found = []
    for match in TERM.finditer(text):
        term = match.group(2) or match.group(1)
        if term not in found:
            found.append(term)
    return found


def plain_text(tab_id: str) -> str:
    """The tab's plain sentences as readable text (links shown as their words)."""
    return TERM.sub(lambda m: m.group(1), PLAIN[tab_id])


def plain_markdown(tab_id: str) -> str:
    """The tab's plain sentences with linked terms, followed by its glossary (``<details>``).

    Raises:
        KeyError: a term used in the text is not in ``GLOSSARY``.
    """
    text = PLAIN[tab_id]
    used = terms(text)
    linked = TERM.sub(lambda m: f"[{m.group(1)}](#{anchor(tab_id, m.group(2) or m.group(1))})", text)
    entries = "".join(f'<dt id="{anchor(tab_id, term)}"><b>{term}</b></dt><dd style="margin: 0 0 0.4em 1.2em">{GLOSSARY[term]}</dd>' for term in used)
    return (f"{linked}\n\n<details class=\"glossary\"><summary>Glossary: the linked words</summary>"
            f"<dl>{entries}</dl></details>")


def opening(tab_id: str, details: str) -> gr.Markdown:
    """A tab's opening: the plain sentences and glossary, then "The details" collapsed.

    Args:
        tab_id: the tab's id (``gr.Tab(..., id=tab_id)``), a key of ``PLAIN``.
        details: the tab's detailed Markdown (formulas in ``$``), shown as before with
            ``common.explanation`` inside the accordion.

    Returns:
        The detailed text's ``gr.Markdown``.
    """
    gr.Markdown(plain_markdown(tab_id), elem_id=f"{tab_id}-plain", elem_classes=["tab-plain"])
    with gr.Accordion("The details: the maths and where it comes from", open=False,
                      elem_id=f"{tab_id}-details", elem_classes=["tab-details"]):
        return common.explanation(details)
