"""Reference agents on real envs: the solver is the ceiling, the floor is seeded."""

import numpy as np
import pytest

from agents.references import candidates
from envs.sudoku.lookahead import decode_boards
from agents.registry import make_agent
from bench.evaluation import run_episodes


def evaluate(name, env_id, masking, puzzles, seed=0):
    agent = make_agent(name)
    agent.learn(env_id, {}, 0, seed)
    return run_episodes(
        env_id, {"split": "test", "masking": masking}, lambda o, m: agent.predict(o, m), puzzles, seed=seed
    )


@pytest.mark.parametrize("masking", ["constraint", "cell"])
@pytest.mark.parametrize("env_id,count", [("trm/Sudoku4x4-Hard-v0", 50), ("trm/Sudoku9x9-v0", 20)])
def test_solver_solves_every_test_puzzle(env_id, count, masking):
    assert evaluate("solver", env_id, masking, np.arange(count)).success == 1.0


def test_most_constrained_beats_the_floor_and_keeps_rules():
    greedy = evaluate("most-constrained", "trm/Sudoku4x4-Hard-v0", "cell", np.arange(50))
    floor = evaluate("random-masked", "trm/Sudoku4x4-Hard-v0", "cell", np.arange(50))
    assert greedy.success > floor.success
    assert greedy.mean_score > floor.mean_score


def test_random_masked_is_seeded():
    a = evaluate("random-masked", "trm/Sudoku4x4-Hard-v0", "constraint", np.arange(50), seed=3)
    b = evaluate("random-masked", "trm/Sudoku4x4-Hard-v0", "constraint", np.arange(50), seed=3)
    assert np.array_equal(a.solved, b.solved) and np.array_equal(a.score, b.score)


def test_decode_and_candidates_match_the_env(tmp_path):
    import gymnasium as gym

    env = gym.make("trm/Sudoku4x4-Hard-v0").unwrapped
    obs, info = env.reset(seed=2)
    clues, grid, n = decode_boards(obs[None])
    assert n == 2 and np.array_equal(clues[0], env.core.clues[0]) and np.array_equal(grid[0], env.core.grid[0])
    assert np.array_equal(candidates(grid, n).reshape(1, -1)[0], info["action_mask"])
    agent = make_agent("random-masked")
    agent.learn("x", {}, 0, 5)
    agent.save(tmp_path)
    other = make_agent("random-masked")
    other.load(tmp_path)
    assert other.seed == 5 and other.num_params() == 0


def test_one_step_lookahead_matches_the_real_env():
    import gymnasium as gym

    from envs.sudoku.lookahead import one_step_lookahead

    for masking in ("constraint", "cell"):
        env = gym.make("trm/Sudoku4x4-Hard-v0", masking=masking).unwrapped
        obs, info = env.reset(seed=7)
        ahead = one_step_lookahead(obs[None], info["action_mask"][None], masking, horizon=16)
        assert len(ahead.action) == info["action_mask"].sum()
        for action, reward, obs_next in zip(ahead.action, ahead.reward, ahead.next_obs):
            env.reset(seed=7)
            real_obs, real_reward, *_ = env.step(int(action))
            assert real_reward == pytest.approx(reward) and np.array_equal(real_obs, obs_next)
