"""The prompt sets the model is judged on, each prompt with the radical it should draw.

``README_PROMPTS`` are the ten one-word prompts the README and the tabs use.
``HELD_OUT_PROMPTS`` were fixed on 2026-12-03, before the 64x64 model's training
began, and are never used to choose a recipe, a checkpoint or a setting: a result
that holds only for the prompts one tuned on is not a result. Eleven are Unihan
definitions of CJK Extension A characters (U+3400-4DBF), which the training data
(U+4E00-9FFF) does not contain; three are written for this set. Most have
several words or senses.

``VALIDATION_PROMPTS`` are what a checkpoint or a setting is chosen on, beside the README's:
fourteen Unihan definitions of CJK Extension A characters drawn at random (numpy
``default_rng(20261203)``, on 2026-12-03) from the 1,912 whose radical is one of the fourteen
the radical classifier recalls at 80% or more on real glyphs (with 20 or more of them), the
held-out characters excluded. Drawn, not written: some name their radical's meaning
("a kind of tree"), some do not ("to keep the mouth shut" under 糸), as real captions do.
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

VALIDATION_PROMPTS = {
    "mournful; melancholy; distressed; grieved; sad": 61,  # 㤦 U+3926
    "confuse, senile, stupid": 61,  # 㤶 U+3936
    "a kind of tree, (corrupted form of 杬) a kind of plant; (non-classical form 欖) the olive tree": 75,  # 㭇 U+3B47
    "variant of U+801C 耜: a farming instrument; a spade; a shovel": 75,  # 㭒 U+3B52
    "the varnish tree, paint, lacquer, varnish, to paint or varnish, black, sticky": 75,  # 㯃 U+3BC3
    "(same as 潊) name of a stream; Xushui (or Shuanglongjiang) in ancient times, waterside; shore": 85,  # 㵰 U+3D70
    "(simplified form 磾) dyestuff (black colored mineral)": 112,  # 䃅 U+40C5
    "hold on to one's own views, to keep the mouth shut, stingy; miserly; niggardly; parsimonious": 120,  # 䌠 U+4320
    "(same as 藾) a kind of plant; a kind of herb": 140,  # 䓶 U+44F6
    "lush growth; dense growth of trees and grass, to huddle together; to crowd together": 140,  # 䔿 U+453F
    "name of a variety of grass": 140,  # 䕛 U+455B
    "sound, noisy; full of confused noises; clamorous": 149,  # 䜎 U+470E
    "(same as 踡) coiled; curled; drawn together; not stretched, (dialect) to surround; to encircle; to enclose": 157,  # 䠰 U+4830
    "flying birds, a kind of bird": 196,  # 䳖 U+4CD6
}

PROMPT_SETS = {"readme": README_PROMPTS, "validation": VALIDATION_PROMPTS, "held_out": HELD_OUT_PROMPTS}
