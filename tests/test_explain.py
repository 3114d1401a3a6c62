"""The plain opening of every tab: short, formula-free, its terms in the glossary, every tab covered."""

from __future__ import annotations

import re

import pytest

from tabs import explain

# What a formula or a citation looks like in running text.
FORMULA = re.compile(r"[=∇$\\_^√∑∫≈±]|\blog\b|x_t|[\u0370-\u03ff\u1f00-\u1fff]")
PAPERS = re.compile(r"et al|Ho\b|Song\b|Nichol|Dhariwal|Ermon|Vincent|Salimans|Karras|Lu\b|\b(?:19|20)\d\d\b|"
                    r"DDIM|DDPM|DPM|ODE|UMAP|MiniLM|U-Net|probability-flow|distillation|Gaussian|Markov")
# The tab ids that app.py's tabs open with (gr.Tab(..., id=...)).
TAB_IDS = {"distribution", "glyph-map", "noising", "score", "overview", "training", "conditioning", "sampling"}


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip()) if s]


def test_every_tab_has_a_plain_opening():
    assert set(explain.PLAIN) == TAB_IDS


@pytest.mark.parametrize("tab_id", sorted(TAB_IDS))
def test_plain_text_has_no_formula_and_no_paper_names(tab_id):
    text = explain.plain_text(tab_id)
    assert not FORMULA.search(text), FORMULA.search(text)
    assert not PAPERS.search(text), PAPERS.search(text)
    assert 2 <= len(sentences(text)) <= 5, sentences(text)  # 2-4 sentences, one may invite the reader to act
    for term in explain.terms(explain.PLAIN[tab_id]):
        definition = explain.GLOSSARY[term]
        assert not FORMULA.search(definition) and not PAPERS.search(definition), (term, definition)


def test_formula_check_catches_formulas():
    for bad in ("x_t = a x0", "the score ∇ log q", "ᾱ near 1", "$q_t$", "Ho et al. 2020", "a DDIM step"):
        assert FORMULA.search(bad) or PAPERS.search(bad), bad


@pytest.mark.parametrize("tab_id", sorted(TAB_IDS))
def test_links_point_into_the_tabs_own_glossary(tab_id):
    markdown = explain.plain_markdown(tab_id)
    links = re.findall(r"\]\(#([\w-]+)\)", markdown)
    ids = re.findall(r'<dt id="([\w-]+)">', markdown)
    assert links and set(links) == set(ids), (links, ids)
    assert all(i.startswith(f"glossary-{tab_id}-") for i in ids)
