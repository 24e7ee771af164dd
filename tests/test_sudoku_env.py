"""Real Sudoku envs under Gymnasium's and SB3's env checkers, spaces and bad input."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import envs
from envs.sudoku.core import MASKINGS

IDS = list(envs.SUDOKU_IDS)


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("masking", MASKINGS)
def test_env_checkers_pass(env_id, masking):
    env = gym.make(env_id, masking=masking, disable_env_checker=True).unwrapped
    gym_check_env(env, skip_render_check=True)
    sb3_check_env(env, warn=False)


@pytest.mark.parametrize("env_id", IDS)
def test_spaces_match_docstring_table(env_id):
    env = gym.make(env_id)
    size = env.unwrapped.options.n ** 2
    assert env.action_space.n == size**3
    assert env.observation_space.shape == (size * size * 2 * size,)
    obs, info = env.reset(seed=3)
    assert obs.dtype == np.int8 and obs.shape == env.observation_space.shape
    assert info["action_mask"].shape == (size**3,) and info["action_mask"].dtype == bool
    assert {"solved", "score", "initial_score", "violations"} <= set(info)


def test_ansi_render_marks_clues_and_shows_edits():
    env = gym.make("trm/Sudoku4x4-Hard-v0", render_mode="ansi")
    _, info = env.reset(seed=0)
    before = env.render()
    assert before.count("[") == info["filled"]
    action = int(np.flatnonzero(info["action_mask"])[0])
    env.step(action)
    after = env.render()
    assert after.count("[") == info["filled"] and after != before
    assert after.count(".") == before.count(".") - 1
