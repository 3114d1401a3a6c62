"""Every tab's opening, and every section further down, at two depths: a few plain sentences,
then "The details" (the maths).

The plain text is for a reader who knows no machine learning: two to four sentences, no
formula, no paper names, each true of the picture beside it with the shipped model at the
tab's default settings. ``PLAIN`` holds the tabs' openings (:func:`opening`), ``SECTIONS``
the sections further down (:func:`section`, which keeps the section's heading in view).
Words in ``[[double brackets]]`` link to a short glossary that closes the plain text
(``[[shown words|term]]`` shows other words than the term's name); the glossary is a native
``<details>`` element, which the browser opens when a link to a term inside it is followed.
The detailed text (its formulas and references) follows in a collapsed accordion.
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

# The sections further down the tabs, by section id (the elements' ids start with it).
SECTIONS = {
    "distribution-implicit": (
        "Fitting a bell curve learns a [[distribution]] by its formula: afterwards we can say how likely any "
        "value is. Pictures of glyphs have no such formula, so a diffusion model learns something else: a recipe "
        "that turns [[noise]] into new data, without ever saying how likely anything is. The figure below does "
        "this for the numbers above: its green line turns each random noise value into a new number, and the "
        "green bars show 2,000 such numbers, roughly in the shape of the red fitted curve but never beyond the "
        "smallest and the largest of the numbers above."
    ),
    "glyph-as-numbers": (
        "This is all the model ever sees of a [[glyph]]: numbers, one per [[pixel]]. The picture beside it (below, "
        "on a narrow screen) shows the searched or clicked glyph, 锂 at first, with its numbers written in. To "
        "leave room for the labels, each number there is the average of a small square of 4 by 4 pixels; the "
        "data itself holds 64 by 64 of them."
    ),
    "glyph-structure": (
        "Many characters are made of two parts, either side by side, like 明, or one above the other, like 草. "
        "Colour the [[map]] by structure and the two kinds gather in different places, the stacked ones lower "
        "down and the side-by-side ones higher up: most of a glyph's nearest neighbours on the map are of its "
        "own kind. The computer sorts the glyphs by looking for a gap in the ink between the two parts, an empty "
        "column or an empty row, and gets most of them right, though not all."
    ),
    "score-network": (
        "The red arrows above were not worked out: a small [[network]] learned them from noisy examples of the "
        "dots, as a real diffusion model must. Near the data, where it saw many examples, its arrows roughly "
        "match the exact ones; far from the data, where it saw almost none, they still point the right way but "
        "are too short. The line chart walks out from the centre of the [[map]] to the right: in the grey "
        "stretch, where examples were rare, the exact arrow keeps growing while the learned one falls far behind."
    ),
    "score-live": (
        "Press the button and a small [[network]] learns the arrows from noisy examples, here and now, in about "
        "ten seconds; beside the exact arrows it draws the learned ones, over a colour that shows how wrong they "
        "are. First it only sees dots with a little [[noise]] (the first pair of pictures, at step 20): it learns "
        "the arrows near the data well, but outside the dashed line it has seen no examples, and there its "
        "arrows are wrong. Then a fresh network sees every amount of noise: with a lot of noise (the second "
        "pair, at step 600) the examples cover the whole picture, and its arrows are right almost everywhere."
    ),
    "score-flow": (
        "Press the button and 300 dots start at random places, as pure [[noise]], then each takes 40 small steps "
        "along the arrows of the [[score]]. At first the arrows pull every dot towards the middle; as the noise "
        "is taken away they point to the clusters, and the dots gather there. The dots end up close to the "
        "map's points but not on top of them, just as new examples of the data would: new points, not copies."
    ),
    "overview-posterior": (
        "Going one step back from a noisy picture is easy if we know which clean [[glyph]] it was made from: "
        "then there is an exact rule for it. The pictures take the same noisy 锂 one step back twice, once as if "
        "it came from 锂 and once as if from 金: the two results look the same, and only their difference (bottom "
        "right) shows that each is nudged a tiny bit towards its own glyph. The [[network]] never knows the "
        "clean glyph, so it guesses it and puts its guess into the same rule."
    ),
    "overview-guide": (
        "Each piece of the chain of pictures at the top of this tab has a tab of its own. Tabs 1 and 2 show "
        "what has to be learned, a [[distribution]] and the glyphs themselves; tab 3 the dashed arrows, the "
        "[[noise]] being added; tab 4 why the way back can be learned at all; tabs 6, 7 and 8 the solid arrows: "
        "how the [[network]] is trained, steered by words and run from pure noise to a new character. The "
        "buttons at the bottom of this tab open them."
    ),
    "overview-model": (
        "The model behind this explorer is a small cousin of the article's glyffuser, trained by this project "
        "on the same kind of data. Its [[network]] has about 5 million numbers to learn where the article's has "
        "119 million, it draws each [[glyph]] with 64 by 64 [[pixel]]s instead of 128 by 128, and it reads the "
        "[[prompt]] with a smaller language model. That is what lets it draw 16 glyphs in a few seconds on an "
        "ordinary computer; the details list every difference."
    ),
    "training-late": (
        "Near the end of the noising almost nothing of the glyph is left: at [[step]] 900 a faint trace, at "
        "step 999 nothing at all. The pictures show the [[network]]'s guesses of the clean glyph at these two "
        "steps, with its [[prompt]], the glyph's English definition (top row), and with no words (bottom row). "
        "At step 900 it finds 锂 either way; at step 999 it can only go by the words: with them it draws a grey "
        "mix of 锂 and 鋰, the two characters defined as lithium, and without them only a grey blur, roughly "
        "the average of all glyphs."
    ),
    "training-network": (
        "The [[network]] that makes these guesses is drawn below. It shrinks the noisy picture in stages, from "
        "64 by 64 down to 4 by 4, to take in its overall shape, then grows it back to full size; shortcuts (the "
        "dashed grey arrows) carry the fine detail straight across from the shrinking side to the growing side. "
        "The [[step]] and the words of the [[prompt]] are fed into every stage, so one network serves every "
        "amount of noise and every prompt."
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


def _plain(key: str) -> str:
    """The plain sentences of a tab (``PLAIN``) or of a section (``SECTIONS``)."""
    return PLAIN[key] if key in PLAIN else SECTIONS[key]


def plain_text(key: str) -> str:
    """A tab's or a section's plain sentences as readable text (links shown as their words)."""
    return TERM.sub(lambda m: m.group(1), _plain(key))


def plain_markdown(key: str) -> str:
    """A tab's or a section's plain sentences with linked terms, followed by its glossary (``<details>``).

    Raises:
        KeyError: a term used in the text is not in ``GLOSSARY``.
    """
    text = _plain(key)
    used = terms(text)
    linked = TERM.sub(lambda m: f"[{m.group(1)}](#{anchor(key, m.group(2) or m.group(1))})", text)
    if not used:
        return linked
    entries = "".join(f'<dt id="{anchor(key, term)}"><b>{term}</b></dt><dd style="margin: 0 0 0.4em 1.2em">{GLOSSARY[term]}</dd>' for term in used)
    return (f"{linked}\n\n<details class=\"glossary\"><summary>Glossary: the linked words</summary>"
            f"<dl>{entries}</dl></details>")


def split_heading(markdown: str) -> tuple[str, str]:
    """``(heading line, the rest)`` of a Markdown text that opens with a ``#`` heading; else ``("", text)``."""
    head, _, rest = markdown.strip().partition("\n")
    return (head, rest.strip()) if head.startswith("#") else ("", markdown)


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


def section(section_id: str, details: str, label: str = "The details: the maths and where it comes from") -> gr.Markdown:
    """A section further down a tab: its heading and plain sentences, then "The details" collapsed.

    Args:
        section_id: a key of ``SECTIONS``; the elements get the ids ``{section_id}-plain``
            and ``{section_id}-details``.
        details: the section's detailed Markdown; a ``#`` heading on its first line stays in
            view above the plain sentences, the rest goes into the accordion. A section whose
            details are filled later passes its heading alone.
        label: the accordion's label.

    Returns:
        The detailed text's ``gr.Markdown`` (to fill or update it later: without the heading).
    """
    heading, body = split_heading(details)
    gr.Markdown(f"{heading}\n\n{plain_markdown(section_id)}".strip(), elem_id=f"{section_id}-plain",
                elem_classes=["tab-plain", "section-plain"])
    with gr.Accordion(label, open=False, elem_id=f"{section_id}-details", elem_classes=["tab-details"]):
        return common.explanation(body)
