"""The plain opening of every tab, and of every section further down: short, formula-free, its
terms in the glossary, every tab and every detailed text covered."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tabs import explain

# What a formula or a citation looks like in running text.
FORMULA = re.compile(r"[=∇$\\_^√∑∫≈±]|\blog\b|x_t|[\u0370-\u03ff\u1f00-\u1fff]")
PAPERS = re.compile(r"et al|Ho\b|Song\b|Nichol|Dhariwal|Ermon|Vincent|Salimans|Karras|Lu\b|\b(?:19|20)\d\d\b|"
                    r"DDIM|DDPM|DPM|ODE|UMAP|MiniLM|U-Net|probability-flow|distillation|Gaussian|Markov")
# The tab ids that app.py's tabs open with (gr.Tab(..., id=...)).
TAB_IDS = {"distribution", "glyph-map", "noising", "score", "overview", "training", "conditioning", "sampling"}
# Where each section is built: (tab module, its id).
SECTION_MODULES = {
    "distribution-implicit": "distribution", "glyph-as-numbers": "glyph_map", "glyph-structure": "glyph_map",
    "score-network": "score", "score-live": "score_live", "score-flow": "score", "overview-posterior": "overview",
    "overview-guide": "overview", "overview-model": "overview", "training-late": "training", "training-network": "training",
}
TABS = Path(__file__).resolve().parent.parent / "tabs"


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip()) if s]


def test_every_tab_has_a_plain_opening():
    assert set(explain.PLAIN) == TAB_IDS


@pytest.mark.parametrize("tab_id", sorted(TAB_IDS | set(SECTION_MODULES)))
def test_plain_text_has_no_formula_and_no_paper_names(tab_id):
    text = explain.plain_text(tab_id)
    assert not FORMULA.search(text), FORMULA.search(text)
    assert not PAPERS.search(text), PAPERS.search(text)
    assert 2 <= len(sentences(text)) <= 5, sentences(text)  # 2-4 sentences, one may invite the reader to act
    for term in explain.terms(explain.PLAIN.get(tab_id) or explain.SECTIONS[tab_id]):
        definition = explain.GLOSSARY[term]
        assert not FORMULA.search(definition) and not PAPERS.search(definition), (term, definition)


def test_formula_check_catches_formulas():
    for bad in ("x_t = a x0", "the score ∇ log q", "ᾱ near 1", "$q_t$", "Ho et al. 2020", "a DDIM step"):
        assert FORMULA.search(bad) or PAPERS.search(bad), bad


@pytest.mark.parametrize("tab_id", sorted(TAB_IDS | set(SECTION_MODULES)))
def test_links_point_into_the_tabs_own_glossary(tab_id):
    markdown = explain.plain_markdown(tab_id)
    links = re.findall(r"\]\(#([\w-]+)\)", markdown)
    ids = re.findall(r'<dt id="([\w-]+)">', markdown)
    assert links and set(links) == set(ids), (links, ids)
    assert all(i.startswith(f"glossary-{tab_id}-") for i in ids)


def test_every_section_has_plain_text_and_is_built():
    assert set(explain.SECTIONS) == set(SECTION_MODULES)
    assert not set(explain.SECTIONS) & set(explain.PLAIN)  # one id, one text
    for section_id, module in SECTION_MODULES.items():
        assert f'explain.section("{section_id}"' in (TABS / f"{module}.py").read_text(encoding="utf-8"), section_id


def explanation_calls() -> list[str]:
    """``file:line`` of every ``common.explanation(...)`` call in the tab modules but explain.py."""
    found = []
    for path in sorted(TABS.glob("*.py")):
        if path.name == "explain.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "explanation"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "common"):
                found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_detailed_text_is_shown_outside_a_details_fold():
    """Every detailed (formula) text goes through explain.opening or explain.section, never straight to the page."""
    assert explanation_calls() == []


@pytest.mark.parametrize("details", [
    "#### What a network learns instead\nA diffusion model never sees $q_t$.",
    "\n#### Where each piece lives in this explorer\n- tab 3: the arrows $q$\n",
])
def test_a_sections_heading_stays_in_view(details):
    heading, body = explain.split_heading(details)
    assert heading.startswith("#### ") and "$" not in heading and body.startswith(("A diffusion", "- tab 3"))
    assert explain.split_heading("no heading, $x$") == ("", "no heading, $x$")


def section_headings() -> dict[str, str]:
    """The heading each section keeps in view, read from the module's detailed text as built."""
    from tabs import common, distribution, glyph_map, overview, resources, score, score_live, training

    late = training.intro_texts(resources.schedule("cosine"))[1]
    texts = {"distribution-implicit": distribution.IMPLICIT, "glyph-as-numbers": glyph_map.NUMBERS,
             "glyph-structure": glyph_map.STRUCTURE, "score-network": score.LEARNED_INTRO,
             "score-live": score_live.DETAILS, "score-flow": score.PARTICLE_INTRO,
             "overview-posterior": overview.POSTERIOR, "overview-guide": overview.GUIDE, "training-late": late,
             "overview-model": overview.model_differences(common.shipped_model_config()),
             "training-network": training.NETWORK}
    return {key: explain.split_heading(text)[0] for key, text in texts.items()}


@pytest.mark.parametrize("section_id", sorted(SECTION_MODULES))
def test_each_section_keeps_a_plain_heading(section_id):
    heading = section_headings()[section_id]
    assert heading.startswith("#### "), heading
    assert not FORMULA.search(heading[5:]) and not PAPERS.search(heading), heading


def test_plain_numbers_follow_the_code():
    """The numbers the plain sections state are the ones the code uses."""
    from tabs import distribution, score, score_live, training

    live = explain.plain_text("score-live")
    assert f"step {score_live.SMALL_T}" in live and f"step {score_live.LARGE_T}" in live
    flow = explain.plain_text("score-flow")
    assert f"{score.PARTICLE_DEFAULTS[0]} dots" in flow and f"{score.PARTICLE_DEFAULTS[1]} small steps" in flow
    assert f"{distribution.IMPLICIT_DRAWS:,} such numbers" in explain.plain_text("distribution-implicit")
    late = explain.plain_text("training-late")
    assert all(f"step {t}" in late for t in training.LATE_STEPS) and training.DEFAULTS[0] in late
    import glyffuser
    from tabs import common

    model = explain.plain_text("overview-model")
    parameters = sum(p.numel() for p in glyffuser.load_pipeline().model.parameters())
    assert f"about {parameters / 1e6:.0f} million" in model
    size = common.shipped_model_config()["image_size"]
    assert f"{size} by {size}" in model
