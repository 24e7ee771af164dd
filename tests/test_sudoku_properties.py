"""Property tests of the Sudoku MDP against independent brute-force rules (hypothesis)."""

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import envs  # noqa: F401 - registers the ids
from envs.sudoku.core import GAMMA, INVALID_PENALTY, MASKINGS, RULES, SOLVE_BONUS
from tests.sudoku_reference import brute_checker, brute_legal, brute_solved

IDS = ("trm/Sudoku4x4-Easy-v0", "trm/Sudoku4x4-Hard-v0", "trm/Sudoku9x9-v0")
CASES = [(eid, m, r) for eid in IDS for m in MASKINGS for r in RULES]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def draw_action(data, info, num_actions):
    """Mostly a legal action (so episodes make progress), sometimes any action at all."""
    legal = np.flatnonzero(info["action_mask"])
    if data.draw(st.booleans()) or len(legal) == 0:
        return data.draw(st.integers(0, num_actions - 1))
    return int(legal[data.draw(st.integers(0, len(legal) - 1))])


@pytest.mark.parametrize("env_id,masking,rules", CASES)
@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_episode_follows_the_rules(env_id, masking, rules, data, seed):
    """Clues fixed; checker, solved flag and legal set equal the brute-force ones at every step;
    the discounted shaped return telescopes to the documented value of each rule set."""
    env = gym.make(env_id, masking=masking, rules=rules, split="test").unwrapped
    n = env.options.n
    obs, info = env.reset(seed=seed)
    clues = env.core.clues[0].copy()
    phi0 = info["score"]
    assert phi0 == brute_checker(clues, n, rules)["score"] == info["initial_score"]
    ret, discount, penalties, done, steps = 0.0, 1.0, 0.0, False, 0
    while not done:
        action = draw_action(data, info, env.action_space.n)
        was_legal = bool(brute_legal(clues, env.core.grid[0], n, masking, rules)[action])
        obs, reward, terminated, truncated, info = env.step(action)
        done = terminated or truncated
        grid = env.core.grid[0]
        assert np.array_equal(grid[clues > 0], clues[clues > 0])
        ref = brute_checker(grid, n, rules)
        assert {k: info[k] for k in ref} == ref
        assert info["solved"] == brute_solved(grid, n)
        shown = brute_legal(clues, grid, n, masking, rules)
        if masking == "none":
            assert info["action_mask"].all()
        else:
            assert np.array_equal(info["action_mask"], shown)
        if not was_legal and not done:
            penalties += discount * -INVALID_PENALTY
        ret += discount * reward
        discount *= GAMMA
        steps += 1
    last = discount / GAMMA  # GAMMA ** (T - 1)
    if rules != "suite":  # no penalties, no "no legal move" ending
        r0 = SOLVE_BONUS if info["solved"] else -(n**4)
        # shaped to the end, a failure keeps its final potential; folded, r0 - Phi(s) cancels it
        expected = last * r0 - phi0 + (discount * info["score"] if rules == "poster" else 0.0)
        assert steps == env.options.horizon or info["solved"]
    elif info["solved"]:
        expected = penalties + last * SOLVE_BONUS + discount * info["score"] - phi0
    else:
        expected = penalties - last * n**4 - phi0
    assert ret == pytest.approx(expected, abs=1e-3)
    assert steps <= env.options.horizon


@pytest.mark.parametrize("env_id,masking,rules", CASES)
@SETTINGS
@given(seed=st.integers(0, 2**16), action_seed=st.integers(0, 2**16))
def test_vector_env_replays_single_envs(env_id, masking, rules, seed, action_seed):
    """Sub-env i of the vector env seeded s is the single env seeded s + i, through autoresets."""
    num_envs = 3
    kwargs = {"masking": masking, "rules": rules, "split": "test"}
    vec = gym.make_vec(env_id, num_envs, vectorization_mode="vector_entry_point", **kwargs)
    singles = [gym.make(env_id, **kwargs).unwrapped for _ in range(num_envs)]
    obs, info = vec.reset(seed=seed)
    pairs = [e.reset(seed=seed + i) for i, e in enumerate(singles)]
    assert np.array_equal(obs, np.stack([p[0] for p in pairs]))
    rng = np.random.default_rng(action_seed)
    for _ in range(40 if "9x9" not in env_id else 120):
        mask = info["action_mask"]
        actions = np.argmax(mask * rng.random(mask.shape), axis=1)
        obs, reward, term, trunc, info = vec.step(actions)
        for i, env in enumerate(singles):
            o, r, te, tr, inf = env.step(actions[i])
            assert r == pytest.approx(reward[i]) and (te, tr) == (term[i], trunc[i])
            if te or tr:
                assert np.array_equal(info["final_obs"][i], o)
                assert info["final_info"]["score"][i] == inf["score"]
                assert info["final_info"]["solved"][i] == inf["solved"]
                o, inf = env.reset()
            assert np.array_equal(obs[i], o)
            assert np.array_equal(info["action_mask"][i], inf["action_mask"])
            assert info["puzzle_index"][i] == inf["puzzle_index"]
