"""``rules="poster"`` and ``"poster-folded"``: the env's checker, masks, rewards and endings equal
an independent re-implementation of the poster code's MDP (``tests/poster_reference.py``, written from
gopeshh/trm_bellman's definitions, not from ``envs/``) on every state of random episodes; the
suite's ``cell`` mask no longer offers a cell's current digit."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import envs
from tests import poster_reference as ref

EPISODES = {"trm/Sudoku4x4-Easy-v0": 400, "trm/Sudoku4x4-Hard-v0": 400, "trm/Sudoku9x9-v0": 40}
"""Random episodes per id in the test (the closing note's 1,000+ per id: ``PARITY_EPISODES``)."""


def decode(obs: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Clue and plan grids of one flat observation (its documented one-hot layout)."""
    size = n * n
    onehot = obs.reshape(size * size, 2, size)
    digits = np.arange(1, size + 1)
    return (onehot[:, 0] * digits).sum(-1), (onehot[:, 1] * digits).sum(-1)


FOLD_TERMINAL = {"poster": False, "poster-folded": True}
"""The reference's terminal reward for each of the poster's rule sets."""


def check_parity(env_id: str, masking: str, episodes: int, seed: int = 0) -> int:
    """Play ``episodes`` random legal episodes (and some illegal actions) on the env under both
    of the poster's rule sets in lockstep (the same actions, so the same states), comparing every
    step with the reference; returns the states checked."""
    n = 2 if "4x4" in env_id else 3
    horizon = ref.default_horizon(n)
    batch = 20
    envs_by_rules = {
        rules: gym.make_vec(env_id, batch, vectorization_mode="vector_entry_point", masking=masking, rules=rules, split="test")
        for rules in FOLD_TERMINAL
    }
    rng = np.random.default_rng(seed)
    checked = 0
    starts = {rules: env.reset(seed=seed) for rules, env in envs_by_rules.items()}
    obs, info = starts["poster"]
    assert np.array_equal(obs, starts["poster-folded"][0])
    steps = np.zeros(batch, dtype=int)
    finished = 0
    while finished < episodes:
        actions = np.empty(batch, dtype=np.int64)
        expected = {rules: [] for rules in FOLD_TERMINAL}
        for i in range(batch):
            clues, plan = decode(obs[i], n)
            mask = ref.legal_mask(plan, clues, n, masking)
            assert np.array_equal(info["action_mask"][i], mask), "mask"
            assert info["score"][i] == ref.checker(plan, clues, n), "checker"
            legal = np.flatnonzero(mask)
            illegal = rng.random() < 0.1 or not legal.size
            actions[i] = rng.integers(n**6) if illegal else rng.choice(legal)
            for rules, fold in FOLD_TERMINAL.items():
                expected[rules].append(ref.step(plan, clues, n, int(actions[i]), int(steps[i]), horizon, masking, fold_terminal=fold))
            checked += 1
        results = {rules: env.step(actions) for rules, env in envs_by_rules.items()}
        for rules, (_, reward, terminated, truncated, _) in results.items():
            for i, (_, r, term, trunc) in enumerate(expected[rules]):
                assert np.isclose(reward[i], r, atol=1e-4), f"{rules}: reward {reward[i]} != {r}"
                assert (terminated[i], truncated[i]) == (term, trunc)
        obs, _, terminated, _, info = results["poster"]
        assert np.array_equal(obs, results["poster-folded"][0])
        for i, (after, *_) in enumerate(expected["poster"]):
            steps[i] = 0 if terminated[i] else steps[i] + 1
            if terminated[i]:
                finished += 1
                assert info["final_info"]["solved"][i] == ref.solved(after, n)
            else:
                assert np.array_equal(decode(obs[i], n)[1], after)
    for env in envs_by_rules.values():
        env.close()
    return checked


@pytest.mark.parametrize("env_id", list(EPISODES))
@pytest.mark.parametrize("masking", ["cell", "constraint-edit"])
def test_poster_rules_equal_the_independent_reference(env_id, masking):
    assert check_parity(env_id, masking, EPISODES[env_id]) > EPISODES[env_id]


def test_suite_cell_mask_leaves_out_the_current_digit_and_poster_keeps_it():
    grids = {}
    for rules in ("suite", "poster"):
        env = gym.make("trm/Sudoku4x4-Easy-v0", masking="cell", rules=rules, split="test")
        obs, info = env.reset(seed=0)
        clues, _ = decode(obs, 2)
        cell = int(np.flatnonzero(clues == 0)[0])
        obs, *_, info = env.step(cell * 4 + 0)  # write 1
        grids[rules] = info["action_mask"][cell * 4: cell * 4 + 4]
    assert list(grids["suite"]) == [False, True, True, True]
    assert list(grids["poster"]) == [True, True, True, True]


def test_unknown_rules_and_masking_are_refused_with_a_hint():
    with pytest.raises(ValueError, match="did you mean 'poster'"):
        gym.make("trm/Sudoku4x4-Easy-v0", rules="postr")
    with pytest.raises(ValueError, match="did you mean 'constraint-edit'"):
        gym.make("trm/Sudoku4x4-Easy-v0", masking="constraint-edt")
    assert "rules" in envs.sudoku.options.ENV_KWARGS
