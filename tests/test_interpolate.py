"""The walk between two prompts: its mixing maths, and its end points equal the prompts' own samples."""

import numpy as np
import pytest
import torch

from glyffuser.model.interpolate import MASK_BIAS_SCALE, mix_conditions, walk_alphas


def test_mixed_mask_gives_the_log_weight_as_attention_bias():
    states_a, states_b = torch.randn(4, 3), torch.randn(4, 3)
    mask_a, mask_b = torch.tensor([1, 1, 0, 0]).bool(), torch.tensor([1, 1, 1, 0]).bool()
    states, keep = mix_conditions(states_a, mask_a, states_b, mask_b, [0.0, 0.25, 1.0])
    bias = (1 - keep) * -MASK_BIAS_SCALE  # what diffusers adds to the attention logits
    assert torch.equal(states[0], states_a) and torch.equal(states[2], states_b)
    assert torch.equal(keep[0], mask_a.float()) and torch.equal(keep[2], mask_b.float())
    assert torch.allclose(states[1], 0.75 * states_a + 0.25 * states_b)
    assert torch.allclose(bias[1, :2], torch.zeros(2), atol=1e-3)  # both prompts have the token
    assert abs(float(bias[1, 2]) - np.log(0.25)) < 2e-3  # only B has it: a quarter of its weight
    assert float(bias[1, 3]) == -MASK_BIAS_SCALE  # neither


def test_walk_alphas_include_both_ends():
    assert walk_alphas(7).tolist() == pytest.approx([0, 1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1])
    with pytest.raises(ValueError):
        walk_alphas(1)


@pytest.mark.parametrize("sampler", ["ddim", "dpm"])
def test_walk_end_points_are_the_two_prompts_own_samples(sampler):
    from glyffuser.model.interpolate import iter_walk
    from glyffuser.model.pipeline import load_pipeline

    pipe = load_pipeline()
    torch.set_num_threads(1)
    args = dict(n=2, steps=8, guidance=3.0, seed=5, sampler=sampler)
    for step in iter_walk(pipe, "water", "fire", points=3, **args):
        pass
    walk = step.x_t.reshape(3, 2, *step.x_t.shape[1:])  # (points, n, S, S)
    water, fire = pipe("water", **args), pipe("fire", **args)
    assert np.abs(walk[0] - water).max() < 1e-3
    assert np.abs(walk[-1] - fire).max() < 1e-3
    assert np.abs(water - fire).max() > 0.5  # the two prompts do differ, so the check has teeth
    assert np.abs(walk[1] - water).max() > 0.05 and np.abs(walk[1] - fire).max() > 0.05  # the middle is neither
