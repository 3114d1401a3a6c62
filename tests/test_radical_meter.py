"""The radical meter against glyphs labelled by eye, and the words it shows.

``tests/data/labelled_glyphs.npz`` holds 32 glyphs drawn by the shipped 32x32 pipeline
(``tests/data/make_labelled_glyphs.py``: ten README prompts and the empty prompt,
guidance 0-3, seeds in the file) as uint8 ink, each with the radical a person saw on the
contact sheet ``labelled_glyphs.png`` (0 = no radical clearly visible) and a note of what
was seen; labels follow what is drawn, not what the prompt asked for (two "insect"
samples are 鼻, one "fire" sample shows no 火). ``labelled_glyphs_64.npz`` holds the same
plan drawn by the 64x64 model (training step 3,890), labelled the same way: the meter reads
the glyphs the explorer now shows at their own size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parent / "data" / "labelled_glyphs.npz"
DATA_64 = DATA.with_name("labelled_glyphs_64.npz")
# Agreement of the shipped classifier, measured on 2026-12-03: 25/30 and 24/26 (the classifier
# before augmentation and calibration: 23/30 and 21/26; its top guess matched 26/30, now 27/30).
# The test allows a margin of two glyphs for a retrained classifier.
VISIBLE_AGREEMENT = 25  # of 30 glyphs with a visible radical: calibrated p(that radical) >= threshold
PROMPT_AGREEMENT = 24   # of 26 prompted glyphs: "carries the prompt's radical" == the label says so
MARGIN = 2
# The 64x64 glyphs, measured on 2026-12-03: 28 of 29 with a visible radical (山 at p = 0.46 missed),
# 26 of 26 prompted; the three glyphs labelled unclear are read below 50% too.
VISIBLE_AGREEMENT_64, PROMPT_AGREEMENT_64 = 28, 26


@pytest.fixture(scope="module")
def judge():
    from tabs import model_common

    judge = model_common.classifier()
    if judge is None:
        pytest.skip("radical classifier weights are not installed")
    return judge


@pytest.fixture(scope="module")
def labelled():
    data = np.load(DATA)
    assert data["images"].dtype == np.uint8 and data["images"].shape == (32, 32, 32)
    return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def glyphs():
    from glyffuser.data import load_glyphs

    return load_glyphs()


def test_fixture_labels_are_radicals(labelled):
    labels = labelled["labels"]
    assert len(labels) == len(labelled["notes"]) == len(labelled["prompts"]) == 32
    assert ((labels == 0) | ((labels >= 1) & (labels <= 214))).all()
    assert (labels > 0).sum() == 30


def test_classifier_agrees_with_labels_by_eye(judge, labelled):
    from glyffuser.evaluate.measures import radical_for_prompt

    probs = judge.probabilities(labelled["images"] / 255.0)  # (32, 214)
    labels = labelled["labels"]
    visible = np.flatnonzero(labels > 0)
    found = sum(probs[i, labels[i] - 1] >= judge.threshold for i in visible)
    assert found >= VISIBLE_AGREEMENT - MARGIN, f"{found}/{len(visible)}"
    prompted = [(i, radical_for_prompt(str(p))) for i, p in enumerate(labelled["prompts"]) if str(p)]
    agree = sum((probs[i, r - 1] >= judge.threshold) == (labels[i] == r) for i, r in prompted)
    assert len(prompted) == 26 and agree >= PROMPT_AGREEMENT - MARGIN, f"{agree}/{len(prompted)}"


def test_classifier_agrees_with_labels_by_eye_at_64(judge):
    from glyffuser.evaluate.measures import radical_for_prompt

    data = np.load(DATA_64)
    images, labels, prompts = data["images"], data["labels"], data["prompts"]
    assert images.dtype == np.uint8 and images.shape == (32, 64, 64) and len(labels) == len(data["notes"]) == 32
    probs = judge.probabilities(images / 255.0)  # (32, 214)
    visible = np.flatnonzero(labels > 0)
    found = sum(probs[i, labels[i] - 1] >= judge.threshold for i in visible)
    assert len(visible) == 29 and found >= VISIBLE_AGREEMENT_64 - MARGIN, f"{found}/{len(visible)}"
    prompted = [(i, radical_for_prompt(str(p))) for i, p in enumerate(prompts) if str(p)]
    agree = sum((probs[i, r - 1] >= judge.threshold) == (labels[i] == r) for i, r in prompted)
    assert len(prompted) == 26 and agree >= PROMPT_AGREEMENT_64 - MARGIN, f"{agree}/{len(prompted)}"
    unclear = labels == 0
    assert (probs[unclear].max(1) < judge.threshold).all()  # what a person could not read, the meter does not claim


def test_radical_meter_counts_calibrated_probabilities(judge, labelled):
    from glyffuser.evaluate.measures import radical_meter

    ink = labelled["images"] / 255.0
    hits, total = radical_meter(ink, 167, judge)
    assert total == 32 and hits == int((judge.probabilities(ink)[:, 166] >= judge.threshold).sum())
    assert radical_meter(ink, 167, judge, threshold=0.0) == (32, 32)


def test_classifier_records_held_out_recall_per_radical(judge):
    from glyffuser.evaluate.prompt_sets import HELD_OUT_PROMPTS, README_PROMPTS, VALIDATION_PROMPTS

    info = judge.info
    assert info["threshold"] == judge.threshold == 0.5 and 0.2 < info["temperature"] < 5
    assert info["held_out_accuracy"] >= 0.88 and info["held_out_ece"] < 0.05
    for radical in set(README_PROMPTS.values()) | set(HELD_OUT_PROMPTS.values()) | set(VALIDATION_PROMPTS.values()):
        real = judge.held_out(radical)
        assert real["glyphs"] >= 10 and real["recall"] >= 0.75 and real["false_alarm"] < 0.01, (radical, real)


def test_meter_text_says_threshold_real_recall_and_chance(judge, labelled, glyphs):
    from tabs import model_common

    gold = labelled["images"][labelled["prompts"] == "gold"] / 255.0  # six samples that carry 金 by eye
    text = model_common.radical_meter_text(gold, "Gold", glyphs)
    real = judge.held_out(167)
    hits = int(text.split("**")[1].split(" of ")[0])
    assert hits >= 4 and "of 6**" in text and "金/钅 (167)" in text, text
    assert "probability ≥ 50%" in text and f"on {real['glyphs']} real held-out glyphs with 金" in text
    assert f"it finds it in {real['recall']:.0%}" in text and "4.4% of training glyphs" in text


def test_meter_shows_top_guesses_where_unsure(judge, labelled, glyphs):
    from tabs import model_common

    blur = np.stack([labelled["images"][i:i + 8].mean(0) / 255.0 for i in range(0, 32, 8)])  # averages of 8 glyphs
    probs = judge.probabilities(blur)
    assert (probs.max(1) < model_common.UNSURE_BELOW).all()  # an average of glyphs is no glyph
    text = model_common.radical_meter_text(blur, "a bird", glyphs)
    assert text.startswith("**0 of 4** samples carry **鳥/鸟 (196)**"), text
    assert "Unsure (top guess below 80%) on 4: #1 " in text and "; 1 more." in text and "%, " in text


def test_meter_without_a_prompt_radical(judge, labelled, glyphs):
    from tabs import model_common

    ink = labelled["images"][labelled["prompts"] == ""] / 255.0
    first, second = model_common.radical_meter_texts([ink, ink[:2]], "", glyphs)
    prefix = "No radical is tied to this prompt; the classifier"
    assert first.startswith(prefix) and "of 6 samples." in first and second.startswith(prefix) and "2 samples." in second
    blank = model_common.radical_meter_text(np.zeros((3, 32, 32)), "", glyphs)
    assert blank.startswith(prefix) and "3 samples" in blank


def test_the_validation_prompts_are_apart_from_the_held_out_ones():
    from glyffuser.evaluate.prompt_sets import HELD_OUT_PROMPTS, PROMPT_SETS, README_PROMPTS, VALIDATION_PROMPTS

    assert len(VALIDATION_PROMPTS) == 14 and list(PROMPT_SETS) == ["readme", "validation", "held_out"]
    assert not set(VALIDATION_PROMPTS) & (set(HELD_OUT_PROMPTS) | set(README_PROMPTS))
