"""Numbers the Sampling tab states, recomputed from the data."""

import numpy as np
import torch

from tabs.sampling import COMPARE_SAMPLER, COMPARE_STEPS, COPY_BELOW, NEAR_BELOW, TRAINING_SPACING


def nearest_other_distances() -> np.ndarray:
    """(N,) RMS distance at 32x32 from each training glyph to the closest other one."""
    from glyffuser.evaluate.measures import _reference_32

    ref = torch.from_numpy(_reference_32(False)).double()
    sq = (ref**2).sum(1)
    best = np.empty(len(ref))
    for start in range(0, len(ref), 2048):
        d2 = (sq[start:start + 2048, None] + sq[None] - 2 * ref[start:start + 2048] @ ref.T) / ref.shape[1]
        rows = torch.arange(d2.shape[0])
        d2[rows, rows + start] = float("inf")
        best[start:start + 2048] = d2.clamp(min=0).min(1).values.sqrt().numpy()
    return best


def test_the_copy_thresholds_match_how_close_distinct_training_glyphs_are():
    best = nearest_other_distances()
    assert abs(best.min() - TRAINING_SPACING["closest_pair"]) < 0.0005
    assert abs((best < COPY_BELOW).mean() - TRAINING_SPACING["within_copy"]) < 0.0005
    assert abs((best < NEAR_BELOW).mean() - TRAINING_SPACING["within_near"]) < 0.0005


def test_the_step_comparison_uses_ddim_down_to_one_step():
    assert COMPARE_SAMPLER == "ddim" and COMPARE_STEPS[:2] == (1, 2) and COMPARE_STEPS[-1] == 120
