"""The opt-in Sudoku variants ``reward="progress"`` and ``observation="grid+mask"`` /
``"grid+candidates"``: at their defaults nothing changes; the progress return follows the
documented formula and rises with the final score; the observation extras equal the shown mask and
an independent candidate count; the vector env replays single envs under them."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import envs
from envs.sudoku.core import GAMMA, INVALID_PENALTY, MASKINGS, OBSERVATIONS, RULES, SOLVE_BONUS, observation_size
from envs.sudoku.lookahead import decode_boards
from envs.sudoku.options import ENV_KWARGS
from tests.sudoku_reference import brute_candidate_counts, brute_checker, brute_legal

IDS = tuple(envs.SUDOKU_IDS)
EASY = "trm/Sudoku4x4-Easy-v0"
SOLVED = np.array([1, 2, 3, 4, 3, 4, 1, 2, 2, 1, 4, 3, 4, 3, 2, 1])


def make_vec(env_id: str, num_envs: int = 4, **kwargs):
    """A batched env on the test split."""
    return gym.make_vec(env_id, num_envs, vectorization_mode="vector_entry_point", split="test", **kwargs)


def check_extras(obs: np.ndarray, observation: str, mask: np.ndarray) -> None:
    """The entries after the grid of each row of ``obs`` (``(B, D)``) hold what the layout promises:
    the shown ``mask`` (``(B, N**3)``), or each empty cell's candidate count one-hot (plain loops)."""
    _, plans, n = decode_boards(obs)
    size = n * n
    grid_width = size**3 * 2
    assert obs.shape[1] == observation_size(n, observation)
    if observation == "grid":
        return
    extras = obs[:, grid_width:]
    if observation == "grid+mask":
        assert np.array_equal(extras, mask.astype(np.int8))
        return
    for row, plan in zip(extras, plans):
        per_cell = row.reshape(size * size, size + 1)
        for cell, count in enumerate(brute_candidate_counts(plan, n)):
            expected = [0] * (size + 1)
            if count is not None:
                expected[count] = 1
            assert per_cell[cell].tolist() == expected


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("masking", MASKINGS)
@pytest.mark.parametrize("rules", RULES)
def test_variants_at_defaults_change_nothing_and_keep_the_dynamics(env_id, masking, rules):
    """On random trajectories (legal and illegal actions, through autoresets) every reward,
    observation, mask and ending of an env given ``reward="shaped", observation="grid"`` equals,
    bit for bit, that of an env built without them; the observation variants add only their
    extras (checked at every step); ``progress`` differs only on failing steps, by
    ``gamma * Phi(s_T)``."""
    base = make_vec(env_id, masking=masking, rules=rules)
    variants = {
        "explicit": make_vec(env_id, masking=masking, rules=rules, reward="shaped", observation="grid"),
        "grid+mask": make_vec(env_id, masking=masking, rules=rules, observation="grid+mask"),
        "grid+candidates": make_vec(env_id, masking=masking, rules=rules, observation="grid+candidates"),
    }
    if rules == "suite":
        variants["progress"] = make_vec(env_id, masking=masking, rules=rules, reward="progress")
    grid_width = base.single_observation_space.shape[0]
    obs, info = base.reset(seed=7)
    for vec in variants.values():
        o, inf = vec.reset(seed=7)
        assert np.array_equal(o[:, :grid_width], obs) and np.array_equal(inf["action_mask"], info["action_mask"])
    rng = np.random.default_rng(3)
    failures = 0
    for _ in range(90 if "9x9" in env_id else 40):  # past the horizon (81, 16)
        mask = info["action_mask"]
        actions = np.argmax(mask * rng.random(mask.shape), axis=1)
        actions = np.where(rng.random(len(actions)) < 0.2, rng.integers(0, mask.shape[1], len(actions)), actions)
        obs, reward, term, trunc, info = base.step(actions)
        failed = term & ~info["final_info"]["solved"] if "final_info" in info else np.zeros_like(term)
        failures += failed.sum()
        for name, vec in variants.items():
            o, r, te, tr, inf = vec.step(actions)
            assert np.array_equal(o[:, :grid_width], obs), name
            assert np.array_equal(te, term) and np.array_equal(tr, trunc), name
            assert np.array_equal(inf["action_mask"], info["action_mask"]), name
            assert np.array_equal(inf["score"], info["score"]) and np.array_equal(inf["steps"], info["steps"]), name
            if name == "progress":
                assert np.array_equal(r[~failed], reward[~failed])
                final_score = info["final_info"]["score"][failed] if failed.any() else np.zeros(0)
                assert np.allclose(r[failed], reward[failed] + GAMMA * final_score, atol=1e-4)
            else:
                assert r.dtype == reward.dtype and r.tobytes() == reward.tobytes(), name
            if name in ("grid+mask", "grid+candidates"):
                check_extras(o, name, inf["action_mask"])
                if "final_obs" in inf:
                    done = inf["_final_obs"]
                    assert np.array_equal(inf["final_obs"][done, :grid_width], info["final_obs"][done])
                    check_extras(inf["final_obs"][done], name, inf["final_info"]["action_mask"][done])
            elif "final_obs" in inf:
                assert np.array_equal(inf["final_obs"][inf["_final_obs"]], info["final_obs"][info["_final_obs"]])
    assert rules != "suite" or masking not in ("cell", "none") or failures > 0  # progress was exercised


def episode_return(actions: list[int], reward: str, horizon: int = 4) -> tuple[float, dict, float]:
    """Play ``actions`` on the 4x4 board ``SOLVED`` with its diagonal emptied (``cell`` masking);
    the discounted return, the last info and Phi(s_0)."""
    puzzle = SOLVED.copy()
    puzzle[[0, 5, 10, 15]] = 0
    env = gym.make(EASY, puzzles=puzzle[None], masking="cell", horizon=horizon, reward=reward)
    _, info = env.reset(seed=0)
    phi0, ret, discount, done = info["score"], 0.0, 1.0, False
    for action in actions:
        assert not done
        _, r, terminated, truncated, info = env.step(action)
        ret += discount * r
        discount *= GAMMA
        done = terminated or truncated
    assert done
    return ret, info, phi0


def plan_after(actions: list[int]) -> np.ndarray:
    """The plan left by ``actions`` (legal writes into the empty diagonal; others no-ops)."""
    grid = SOLVED.copy()
    grid[[0, 5, 10, 15]] = 0
    for action in actions:
        cell, digit = divmod(action, 4)
        if cell in (0, 5, 10, 15):
            grid[cell] = digit + 1
    return grid


def test_progress_return_is_the_documented_one_and_rises_with_the_final_score():
    """Two failures at the horizon (T = 4, C_max = 16): ``low`` writes wrong digits and wastes a
    step on a clue (a penalised no-op at t = 1), ``high`` fills three cells right and the last one
    wrong. Under ``progress`` each returns ``P - gamma^3 C_max + gamma^4 Phi(s_T) - Phi(s_0)`` and
    ``high`` beats ``low``; under ``shaped`` the final score drops out; solving beats both."""
    low = [0 * 4 + 1, 1 * 4 + 0, 5 * 4 + 0, 10 * 4 + 0]  # cell 0 <- 2, clue cell 1 (no-op), 5 <- 1, 10 <- 1
    high = [0 * 4 + 0, 5 * 4 + 3, 10 * 4 + 3, 15 * 4 + 1]  # cells 0, 5, 10 right, cell 15 <- 2
    solve = [0 * 4 + 0, 5 * 4 + 3, 10 * 4 + 3, 15 * 4 + 0]
    c_max, last = 16.0, GAMMA**3
    returns = {}
    for name, actions, penalties in (("low", low, -GAMMA * INVALID_PENALTY), ("high", high, 0.0)):
        ret, info, phi0 = episode_return(actions, "progress")
        assert not info["solved"] and info["steps"] == 4
        final = brute_checker(plan_after(actions), 2)["score"]
        assert final == info["score"]
        assert ret == pytest.approx(penalties - last * c_max + GAMMA**4 * final - phi0, abs=1e-4)
        shaped, _, _ = episode_return(actions, "shaped")
        assert shaped == pytest.approx(penalties - last * c_max - phi0, abs=1e-4)  # whatever it filled
        returns[name] = (ret, final)
    assert returns["high"][1] > returns["low"][1] and returns["high"][0] > returns["low"][0]
    solved_return, info, phi0 = episode_return(solve, "progress")
    assert info["solved"]
    assert solved_return == pytest.approx(last * SOLVE_BONUS + GAMMA**4 * c_max - phi0, abs=1e-4)
    assert solved_return > returns["high"][0]
    assert solved_return == pytest.approx(episode_return(solve, "shaped")[0], abs=1e-6)


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("masking", MASKINGS)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**16), truncates=st.booleans())
def test_progress_return_on_random_episodes(env_id, masking, data, seed, truncates):
    """Random episodes (mostly legal actions): the discounted ``progress`` return equals the
    documented formula for a solve, a failure (horizon or no legal move) and a truncation."""
    env = gym.make(env_id, masking=masking, reward="progress", split="test", horizon_truncates=truncates).unwrapped
    n = env.options.n
    _, info = env.reset(seed=seed)
    clues, phi0 = env.core.clues[0].copy(), info["score"]
    ret, discount, penalties, terminated, truncated = 0.0, 1.0, 0.0, False, False
    while not (terminated or truncated):
        legal = np.flatnonzero(info["action_mask"])
        if data.draw(st.integers(0, 4)) == 0 or len(legal) == 0:
            action = data.draw(st.integers(0, env.action_space.n - 1))
        else:
            action = int(legal[data.draw(st.integers(0, len(legal) - 1))])
        was_legal = bool(brute_legal(clues, env.core.grid[0], n, masking)[action])
        _, reward, terminated, truncated, info = env.step(action)
        if not was_legal and not terminated:
            penalties += discount * -INVALID_PENALTY
        ret += discount * reward
        discount *= GAMMA
    last, final = discount / GAMMA, discount * info["score"]
    if info["solved"]:
        expected = penalties + last * SOLVE_BONUS + final - phi0
    elif terminated:
        expected = penalties - last * n**4 + final - phi0
    else:
        expected = penalties + final - phi0
    assert ret == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(
    "env_id,kwargs",
    [
        (EASY, {"observation": "grid+mask", "masking": "none"}),
        ("trm/Sudoku4x4-Hard-v0", {"observation": "grid+candidates", "masking": "constraint-edit", "rules": "poster"}),
        ("trm/Sudoku4x4-Hard-v0", {"reward": "progress", "observation": "grid+candidates", "masking": "cell", "horizon_truncates": True}),
        ("trm/Sudoku9x9-v0", {"reward": "progress", "observation": "grid+mask", "masking": "constraint"}),
    ],
)
def test_vector_env_replays_single_envs_under_the_variants(env_id, kwargs):
    """Sub-env i of the vector env seeded s is the single env seeded s + i, extras included,
    through ``SAME_STEP`` autoresets."""
    num_envs, seed = 3, 11
    vec = make_vec(env_id, num_envs, **kwargs)
    singles = [gym.make(env_id, split="test", **kwargs).unwrapped for _ in range(num_envs)]
    assert vec.single_observation_space == singles[0].observation_space
    obs, info = vec.reset(seed=seed)
    assert obs.shape == vec.observation_space.shape
    assert np.array_equal(obs, np.stack([e.reset(seed=seed + i)[0] for i, e in enumerate(singles)]))
    rng = np.random.default_rng(0)
    for _ in range(100 if "9x9" in env_id else 40):
        mask = info["action_mask"]
        actions = np.argmax(mask * rng.random(mask.shape), axis=1)
        obs, reward, term, trunc, info = vec.step(actions)
        for i, env in enumerate(singles):
            o, r, te, tr, inf = env.step(actions[i])
            assert r == reward[i] and (te, tr) == (term[i], trunc[i])
            if te or tr:
                assert np.array_equal(info["final_obs"][i], o)
                o, inf = env.reset()
            assert np.array_equal(obs[i], o) and np.array_equal(info["action_mask"][i], inf["action_mask"])


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("observation", OBSERVATIONS[1:])
def test_observation_variants_pass_the_env_checkers(env_id, observation):
    env = gym.make(env_id, observation=observation, disable_env_checker=True).unwrapped
    gym_check_env(env, skip_render_check=True)
    sb3_check_env(env, warn=False)
    obs, info = env.reset(seed=2)
    assert obs.dtype == np.int8 and obs.shape == env.observation_space.shape
    check_extras(obs[None], observation, info["action_mask"][None])


def test_lookahead_follows_the_env_variants():
    """The vector env's lookahead returns successors in the env's layout (extras correct) and
    the progress reward on failing successors; an all-False mask gives empty arrays."""
    kwargs = {"masking": "cell", "horizon": 3}
    plain = make_vec("trm/Sudoku4x4-Hard-v0", **kwargs)
    variant = make_vec("trm/Sudoku4x4-Hard-v0", reward="progress", observation="grid+candidates", **kwargs)
    obs, info = plain.reset(seed=1)
    vobs, vinfo = variant.reset(seed=1)
    for _ in range(2):  # two edits: every successor is then the horizon's last step
        actions = np.argmax(info["action_mask"], axis=1)
        obs, *_, info = plain.step(actions)
        vobs, *_, vinfo = variant.step(actions)
    ahead = plain.unwrapped.lookahead(obs, info["action_mask"], info["steps"])
    vahead = variant.unwrapped.lookahead(vobs, vinfo["action_mask"], vinfo["steps"])
    grid_width = obs.shape[1]
    assert np.array_equal(vahead.next_obs[:, :grid_width], ahead.next_obs)
    assert np.array_equal(vahead.next_mask, ahead.next_mask)
    check_extras(vahead.next_obs, "grid+candidates", vahead.next_mask)
    _, plans, _ = decode_boards(ahead.next_obs)
    phi_after = np.array([brute_checker(p, 2)["score"] for p in plans])
    assert ahead.terminated.all()
    assert np.allclose(vahead.reward, ahead.reward + np.where(phi_after == 16, 0.0, GAMMA * phi_after), atol=1e-4)
    empty = variant.unwrapped.lookahead(vobs, np.zeros_like(vinfo["action_mask"]), vinfo["steps"])
    assert empty.next_obs.shape == (0, vobs.shape[1]) and empty.next_mask.shape == (0, 64)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"reward": "progres"}, "reward must be one of .*did you mean 'progress'"),
        ({"observation": "grid+masks"}, "observation must be one of .*did you mean 'grid\\+mask'"),
        ({"observation": "grid+candidate"}, "did you mean 'grid\\+candidates'"),
        ({"reward": "progress", "rules": "poster"}, "reward='progress' is defined under rules='suite' only"),
        ({"reward": "progress", "rules": "poster-folded"}, "reward='progress' is defined under rules='suite' only"),
    ],
)
def test_bad_variant_values_are_refused_with_a_hint(kwargs, match):
    with pytest.raises(ValueError, match=match) as err:
        gym.make(EASY, **kwargs)
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match=match):
        make_vec(EASY, **kwargs)
    assert {"reward", "observation"} <= set(ENV_KWARGS)
