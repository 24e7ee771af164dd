"""Random-masked floors measured on the test split order as the masking regimes imply."""

import numpy as np
import pytest

from bench.data import random_floor


@pytest.fixture(scope="module")
def floors():
    """Success of the uniform-over-legal policy, 300 test episodes per (set, regime)."""
    return {
        (level, masking): random_floor(f"trm/Sudoku4x4-{level}-v0", masking, 6, seed=0)["success"]
        for level in ("Easy", "Hard")
        for masking in ("constraint", "cell")
    }


def test_constraint_masking_floor_is_above_cell_masking(floors):
    for level in ("Easy", "Hard"):
        assert floors[(level, "constraint")] > floors[(level, "cell")]


def test_hard_floor_is_below_easy_within_each_regime(floors):
    for masking in ("constraint", "cell"):
        assert floors[("Hard", masking)] < floors[("Easy", masking)]


def test_floor_episodes_are_deterministic_for_a_seed():
    a = random_floor("trm/Sudoku4x4-Hard-v0", "constraint", 2, seed=4)
    b = random_floor("trm/Sudoku4x4-Hard-v0", "constraint", 2, seed=4)
    assert a == b and a["episodes"] == 100
    assert 0.0 <= a["ci_low"] <= a["success"] <= a["ci_high"] <= 1.0
    assert np.isfinite(a["score"])
