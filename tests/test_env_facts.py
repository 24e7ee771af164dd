"""The env owns its facts (DESIGN section 1): ``envs.facts(env_id)`` gives the discount, C_max and
reward formula of every id, each agreeing with what a real env's rewards imply, and UPI-TRM and
tuning read them instead of restating them."""

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import envs
from envs import EnvFacts, facts
from envs.sudoku.lookahead import decode_boards


def test_every_id_has_facts_and_reading_them_imports_no_torch():
    code = (
        "import sys, envs\n"
        "out = [envs.facts(i) for i in envs.ALL_IDS]\n"
        "assert 'torch' not in sys.modules, 'facts imported torch'\n"
        "print(len(out))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(len(envs.ALL_IDS))
    for env_id in envs.ALL_IDS:
        f = facts(env_id)
        assert isinstance(f, EnvFacts) and 0 < f.discount <= 1 and f.max_score > 0
        assert f.reward and "\n" not in f.reward
    with pytest.raises(ValueError, match="unknown env id"):
        facts("CartPole-v1")
    with pytest.raises(AttributeError):
        facts("trm/Sudoku4x4-Easy-v0").discount = 0.5  # frozen


def _wrong_digit_action(obs: np.ndarray) -> int:
    """An edit of the first empty cell with a digit its row already holds: legal under ``cell``
    masking, a violation, so repeating it never solves the puzzle."""
    clues, plan, n = decode_boards(obs[None])
    size = n * n
    cell = int(np.flatnonzero(plan[0] == 0)[0])
    row = plan[0].reshape(size, size)[cell // size]
    digit = int(row[row > 0][0])
    return cell * size + digit - 1


@pytest.mark.parametrize("env_id", list(envs.SUDOKU_IDS))
def test_sudoku_facts_agree_with_the_rewards_of_a_failing_episode(env_id):
    """Every legal step of a failing episode pays ``discount * Phi(s') - Phi(s)`` and its last one
    ``-max_score - Phi(s)`` (Phi = the checker score in ``info``)."""
    f = facts(env_id)
    env = gym.make(env_id, masking="cell", rules="poster-folded")  # its cell mask offers a rewrite; its last step folds
    obs, info = env.reset(seed=0, options={"puzzle_index": 0})
    action = _wrong_digit_action(obs)
    steps, terminated, truncated = 0, False, False
    while not (terminated or truncated):
        assert info["action_mask"][action]
        before = info["score"]
        obs, reward, terminated, truncated, info = env.step(action)
        steps += 1
        if not terminated:
            assert reward == pytest.approx(f.discount * info["score"] - before, abs=1e-4)
    assert terminated and not truncated and not info["solved"]
    assert steps == f.max_score  # the horizon is N*N edits
    assert reward == pytest.approx(-f.max_score - before, abs=1e-4)
    env.close()


def test_sudoku_max_score_is_the_score_of_a_solved_board():
    from agents.registry import make_agent

    for env_id in envs.SUDOKU_IDS:
        env = gym.make(env_id)
        solver = make_agent("solver")
        solver.learn(env_id, {}, 0, 0)
        obs, info = env.reset(seed=1)
        terminated = truncated = False
        while not (terminated or truncated):
            action = solver.predict(obs[None], info["action_mask"][None])[0]
            obs, _, terminated, truncated, info = env.step(int(action))
        assert info["solved"] and info["score"] == facts(env_id).max_score
        env.close()


@pytest.mark.parametrize("env_id", list(envs.MAZE_PATH_IDS))
def test_path_editing_facts_agree_with_its_rewards(env_id):
    """A legal toggle that does not solve pays ``discount * c' - c``; C_max is the cell count."""
    f = facts(env_id)
    env = gym.make(env_id)
    obs, info = env.reset(seed=0)
    assert f.max_score == env.action_space.n  # one toggle per cell
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(20):
        action = int(rng.choice(np.flatnonzero(info["action_mask"])))
        before = info["score"]
        obs, reward, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break
        assert reward == pytest.approx(f.discount * info["score"] - before, abs=1e-4)
        checked += info["score"] != 0
    assert checked > 0  # the discount was seen on nonzero scores
    env.close()


@pytest.mark.parametrize("env_id", list(envs.MAZE_IDS))
def test_navigation_facts_agree_with_its_rewards(env_id):
    """A move into a free cell pays ``STEP_COST + discount * Phi(s') - Phi(s)`` with
    ``Phi = PROGRESS_REWARD * score`` (score = minus the BFS distance), below C_max in size."""
    from envs.maze.navigation import PROGRESS_REWARD, STEP_COST

    f = facts(env_id)
    env = gym.make(env_id, masking="moves")
    obs, info = env.reset(seed=0)
    assert 0 < -info["score"] < f.max_score
    rng = np.random.default_rng(0)
    for _ in range(10):
        action = int(rng.choice(np.flatnonzero(info["action_mask"])))
        before = info["score"]
        obs, reward, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break
        shaping = PROGRESS_REWARD * (f.discount * info["score"] - before)
        assert reward == pytest.approx(STEP_COST + shaping, abs=1e-5)
    env.close()


def test_upi_trm_and_tuning_read_the_env_facts(monkeypatch, tmp_path):
    """UPI-TRM's value scale comes from ``envs.facts`` (and survives save/load); neither UPI-TRM
    nor tuning restates a discount or C_max of its own."""
    import inspect

    import agents.upi_trm.network
    import agents.upi_trm.upi as upi
    import sweeps.tune
    from agents.registry import make_agent

    for module in (upi, agents.upi_trm.network, sweeps.tune):
        source = inspect.getsource(module)
        assert "GAMMA" not in source and "n ** 4" not in source and "float(self.cells)" not in source
    assert upi.facts is envs.facts and sweeps.tune.facts is envs.facts

    env_id = "trm/MazePath8x8-v0"
    agent = make_agent("upi-trm", num_envs=8, rollout_steps=2)
    agent.learn(env_id, {}, 16, 0)
    assert float(agent.net.value_scale) == facts(env_id).max_score
    agent.save(tmp_path)
    again = make_agent("upi-trm")
    again.load(tmp_path)
    assert float(again.net.value_scale) == facts(env_id).max_score

    seen = []

    def other_facts(name):
        seen.append(name)
        return EnvFacts(discount=0.5, max_score=7.0, reward="test")

    monkeypatch.setattr(upi, "facts", other_facts)
    agent = make_agent("upi-trm", num_envs=8, rollout_steps=2)
    agent.learn("trm/Sudoku4x4-Easy-v0", {}, 16, 0)
    assert seen == ["trm/Sudoku4x4-Easy-v0"] and float(agent.net.value_scale) == 7.0
