"""The evaluation protocol's stall count on real envs, against policies whose stalls are known."""

import numpy as np

from agents.registry import make_agent
from bench.evaluation import run_episodes

HARD = "trm/Sudoku4x4-Hard-v0"
POSTER_CELL = {"split": "test", "masking": "cell", "rules": "poster"}


def first_illegal(mask: np.ndarray) -> np.ndarray:
    """A masked action per row: under the poster's rules a no-op without penalty."""
    return np.argmin(mask, axis=1)


def test_a_policy_of_masked_actions_stalls_on_every_step():
    results = run_episodes(HARD, POSTER_CELL, lambda obs, mask: first_illegal(mask), np.arange(10))
    assert not results.solved.any()
    assert (results.stalled == results.length).all() and results.length.min() > 1
    assert results.stall_share == 1.0


def test_the_solver_never_stalls():
    solver = make_agent("solver")
    results = run_episodes(HARD, POSTER_CELL, lambda obs, mask: solver.predict(obs, mask), np.arange(20))
    assert results.solved.all() and (results.stalled == 0).all() and results.stall_share == 0.0


def test_alternating_no_ops_and_solver_moves_stall_on_every_other_step():
    """Even steps play a masked no-op, odd steps the solver's fill: a puzzle with k empties is
    solved after 2k steps, k of them stalled (the last, solving, step included in the length)."""
    solver = make_agent("solver")
    step = {"t": 0}
    empties = {}

    def policy(obs, mask):
        if step["t"] == 0:
            empties["k"] = (obs.reshape(len(obs), 16, 8)[:, :, :4].sum(axis=2) == 0).sum(axis=1)  # no clue digit
        step["t"] += 1
        return first_illegal(mask) if step["t"] % 2 == 1 else solver.predict(obs, mask)

    results = run_episodes(HARD, POSTER_CELL, policy, np.arange(20))
    assert results.solved.all()
    assert np.array_equal(results.length, 2 * empties["k"])
    assert np.array_equal(results.stalled, empties["k"])
    assert np.isclose(results.stall_share, 0.5)
