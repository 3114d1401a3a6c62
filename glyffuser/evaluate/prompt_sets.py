"""The prompt sets the model is judged on, each prompt with the radical it should draw.

``README_PROMPTS`` are the ten one-word prompts the README and the tabs use.
``HELD_OUT_PROMPTS`` were fixed on 2026-12-03, before the 64x64 model's training
began, and are never used to choose a recipe, a checkpoint or a setting: a result
that holds only for the prompts one tuned on is not a result. Eleven are Unihan
definitions of CJK Extension A characters (U+3400-4DBF), which the training data
(U+4E00-9FFF) does not contain; three are written for this set. Most have
several words or senses.
"""

from __future__ import annotations

README_PROMPTS = {
    "gold": 167, "water": 85, "fire": 86, "tree": 75, "grass": 140,
    "insect": 142, "sickness": 104, "bird": 196, "fish": 195, "speech": 149,
}

HELD_OUT_PROMPTS = {
    "the globefish; blowfish; puffer": 195,                 # 䲅 U+4C85
    "a kind of scorpion, a poisonous insect": 142,          # 䘍 U+460D
    "silk fabrics with the color of new leaves": 120,       # 䌮 U+432E
    "maternal grandmother, a midwife, an old woman": 38,    # 㜒 U+3712
    "to feel about; to grope in the dark": 64,              # 㨞 U+3A1E
    "Artemisia, a kind of plant with edible leaves": 140,   # 䕲 U+4572
    "a chill, a cold, malaria, a wart; a pimple": 104,      # 㾑 U+3F91
    "to stagger; to fall; to drop; to stumble": 157,        # 䟙 U+47D9
    "sad; sorrowful; grieved; miserable": 61,               # 㦧 U+39A7
    "a kind of water bird": 196,                            # 䳶 U+4CF6
    "mountain rocks, a black stone resembling jade": 112,   # 䃈 U+40C8
    "copper coins and silver ingots": 167,
    "a tall tree with hard wood": 75,
    "to wash clothes in the river": 85,
}

PROMPT_SETS = {"readme": README_PROMPTS, "held_out": HELD_OUT_PROMPTS}
