"""The side-by-side comparison and the walk between prompts (tabs/compare.py, tabs/walk.py), run on the model."""

import numpy as np
import pytest
import torch

from tabs.compare import CompareView, parse_values


def pipe():
    from glyffuser.model.pipeline import load_pipeline

    torch.set_num_threads(1)
    return load_pipeline()


def finals(vary, columns):
    for _, inks, finished in CompareView._steps_together(pipe(), vary, columns):
        pass
    assert finished
    return inks


BASE = dict(prompt="gold", sampler="ddim", steps=10, guidance=0.0, seed=3, n=4)


def test_prompt_columns_share_their_noise_so_at_w_0_they_are_the_same_glyphs():
    # At w = 0 the model sees only the null condition: the prompt is ignored.
    water, fire = finals("prompt", [{**BASE, "prompt": "water"}, {**BASE, "prompt": "fire"}])
    assert np.abs(water - fire).max() < 1e-3
    water3, fire3 = finals("prompt", [{**BASE, "prompt": "water", "guidance": 3.0},
                                      {**BASE, "prompt": "fire", "guidance": 3.0}])
    assert np.abs(water3 - fire3).max() > 0.5  # with guidance the prompts do differ


def test_columns_run_in_turn_match_their_own_runs_and_stay_in_step():
    columns = [{**BASE, "steps": 4}, {**BASE, "steps": 10}]
    fractions = [(f, [len(i) for i in inks]) for f, inks, _ in CompareView._steps_together(pipe(), "steps", columns)]
    assert [f for f, _ in fractions] == pytest.approx(np.linspace(0, 1, 11).tolist())
    four, ten = finals("steps", columns)
    assert np.abs(four - pipe()(**{**BASE, "steps": 4})).max() < 1e-3
    assert np.abs(ten - pipe()(**{**BASE, "steps": 10})).max() < 1e-3


def test_values_are_checked():
    assert parse_values("guidance w", "0, 1, 3, 7") == [0.0, 1.0, 3.0, 7.0]
    assert parse_values("sampler", "DDIM, dpm") == ["ddim", "dpm"]
    for vary, text in [("steps", "5, five"), ("prompt", "a, b, c, d, e"), ("guidance w", "1, 1"), ("sampler", "euler")]:
        with pytest.raises(Exception, match="."):
            parse_values(vary, text)


def test_the_comparison_streams_frames_and_ends_with_one_meter_per_column():
    from tabs import resources

    *_, (player, meters, caption) = CompareView(resources).run("prompt", "water, fire", "gold", "ddim", 6, 3.0, 0, 4)
    assert len(player["frames"]) == 7 and player["frames"][0].startswith("data:image/png;base64,")
    assert meters.count("\n* ") == 1 and "“water”" in meters and "“fire”" in meters and "samples carry" in meters
    assert "the same noise" in caption and "Finished 2 columns" in caption


def test_the_walk_ends_on_the_prompts_own_samples():
    from tabs import resources
    from tabs.walk import WalkView

    *_, (player, strip, caption) = WalkView(resources).run("water", "fire", 3, 2, 6, "dpm", 3.0, 0)
    assert len(player["frames"]) == 7 and strip.width > strip.height
    assert "own samples" in caption


@pytest.mark.parametrize("api_name, args, message", [
    ("/compare_columns", ("prompt", "a, b, c, d, e", "gold", "ddim", 10, 3.0, 0, 4), "Give 1 to 4 values"),
    ("/compare_columns", ("steps", "5, five", "gold", "ddim", 10, 3.0, 0, 4), "steps must be a number"),
    ("/compare_columns", ("guidance w", "1, 1", "gold", "ddim", 10, 3.0, 0, 4), "a different value"),
    ("/compare_columns", ("steps", "500, 1000", "gold", "ddim", 10, 3.0, 0, 16), "glyph-steps"),
    ("/compare_columns", ("prompt", "water", "gold", "ddim", 10, 3.0, 0, 17), "glyphs per column must be between"),
    ("/walk_prompts", ("water", "water", 7, 2, 50, "dpm", 3.0, 0), "two different prompts"),
    ("/walk_prompts", ("water", "fire", 7, 2, 50, "ddpm", 3.0, 0), "sampler must be one of"),
    ("/walk_prompts", ("water", "fire", 12, 2, 50, "dpm", 3.0, 0), "points must be between 2 and 11"),
    ("/walk_prompts", ("water", "fire", 11, 4, 1000, "dpm", 3.0, 0), "too much work"),
])
def test_bad_values_get_a_clear_message(call_error, api_name, args, message):
    assert message in call_error(api_name, *args)
