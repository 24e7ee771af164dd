"""Bad input gets a clear error or a documented no-op, never silent corruption."""

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401
from envs.sudoku.core import GAMMA, INVALID_PENALTY

EASY = "trm/Sudoku4x4-Easy-v0"
SOLVED = np.array([1, 2, 3, 4, 3, 4, 1, 2, 2, 1, 4, 3, 4, 3, 2, 1])


def test_unknown_kwarg_names_the_close_match():
    with pytest.raises(TypeError, match="did you mean 'masking'"):
        gym.make(EASY, maskin="cell")


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"masking": "cells"}, "masking must be one of"),
        ({"split": "dev"}, "split must be one of"),
        ({"horizon": 0}, "horizon must be a positive int"),
        ({"horizon": 2.5}, "horizon must be a positive int"),
        ({"seed": -1}, "seed must be a non-negative int"),
        ({"render_mode": "human"}, "render_mode"),
    ],
)
@pytest.mark.filterwarnings("ignore:.*render_mode")  # gymnasium warns before our error
def test_bad_kwarg_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gym.make(EASY, **kwargs)


def bad_sets():
    clash = SOLVED.copy()
    clash[:2] = [1, 1]
    clash[5] = 0
    out_of_range = SOLVED.copy()
    out_of_range[3] = 7
    ok = SOLVED.copy()
    ok[0] = 0
    full = SOLVED.copy()
    return [
        (np.stack([ok, ok, out_of_range]), r"puzzles\[2\] has a digit outside 0..4"),
        (np.stack([ok, clash, out_of_range]), r"puzzles\[1\] has clues that already break"),
        (np.stack([ok, full]), r"puzzles\[1\] has no empty cell"),
        (np.zeros((2, 15), dtype=int), "must have shape"),
        (np.zeros((2, 16)) + 0.5, "must hold integers"),
    ]


@pytest.mark.parametrize("puzzles,match", bad_sets())
def test_bad_puzzle_sets_name_the_first_bad_grid(puzzles, match):
    with pytest.raises(ValueError, match=match):
        gym.make(EASY, puzzles=puzzles)


def test_user_puzzles_from_npy_and_grid_shapes(tmp_path):
    ok = SOLVED.copy()
    ok[[0, 5]] = 0
    path = tmp_path / "mine.npy"
    np.save(path, ok.reshape(1, 4, 4))
    env = gym.make(EASY, puzzles=str(path)).unwrapped
    obs, info = env.reset(seed=0)
    assert info["puzzle_index"] == 0 and info["filled"] == 14
    with pytest.raises(ValueError, match="cannot read puzzles"):
        gym.make(EASY, puzzles=str(tmp_path / "missing.npy"))


@pytest.mark.parametrize("action,error", [(64, ValueError), (-1, ValueError), (1.5, TypeError), ("3", TypeError)])
def test_bad_actions_raise(action, error):
    env = gym.make(EASY).unwrapped
    env.reset(seed=0)
    with pytest.raises(error):
        env.step(action)


def test_vector_env_rejects_wrong_shape_and_names_the_bad_env():
    vec = gym.make_vec(EASY, 3, vectorization_mode="vector_entry_point")
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="expected 3 action"):
        vec.step(np.array([0, 1]))
    with pytest.raises(ValueError, match=r"action 99 \(env 2\)"):
        vec.step(np.array([0, 1, 99]))
    with pytest.raises(ValueError, match="puzzle_index must be 3 integers"):
        vec.reset(options={"puzzle_index": [0, 1]})


@pytest.mark.parametrize("masking", ["constraint", "cell", "none"])
def test_masked_action_is_a_penalised_no_op(masking):
    env = gym.make(EASY, masking=masking).unwrapped
    obs, info = env.reset(seed=1)
    clue_cell = int(np.flatnonzero(env.core.clues[0])[0])
    action = clue_cell * 4  # writing into a clue is never legal
    assert masking == "none" or not info["action_mask"][action]
    obs2, reward, terminated, truncated, info2 = env.step(action)
    assert np.array_equal(obs, obs2) and info2["score"] == info["score"]
    assert reward == pytest.approx(-INVALID_PENALTY + (GAMMA - 1) * info["score"])


def test_step_before_reset_and_bad_puzzle_index():
    env = gym.make(EASY).unwrapped
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    with pytest.raises(ValueError, match="puzzle_index"):
        env.reset(options={"puzzle_index": 10_000})


def test_more_bad_kwargs_found_in_review():
    with pytest.raises(ValueError, match="unknown Sudoku dataset"):
        gym.make(EASY, dataset="bogus")
    with pytest.raises(ValueError, match="horizon_truncates must be True or False"):
        gym.make(EASY, horizon_truncates="no")
    ok = SOLVED.copy()
    ok[0] = 0
    with pytest.raises(ValueError, match="do not pass 'split' or 'seed'"):
        gym.make(EASY, puzzles=ok[None], split="test")


def test_puzzle_without_completion_is_rejected():
    dead_start = np.array([1, 2, 0, 0, 0, 0, 3, 4, 2, 1, 4, 3, 3, 4, 1, 2])
    ok = SOLVED.copy()
    ok[0] = 0
    with pytest.raises(ValueError, match=r"puzzles\[1\] has an empty cell with no digit left"):
        gym.make(EASY, puzzles=np.stack([ok, dead_start]))


def test_vector_reset_accepts_numpy_seed_and_rejects_float_indices():
    vec = gym.make_vec(EASY, 3, vectorization_mode="vector_entry_point")
    a, _ = vec.reset(seed=np.int64(3))
    b, _ = vec.reset(seed=3)
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="puzzle_index must be 3 integers"):
        vec.reset(options={"puzzle_index": [0.7, 1.2, 2.9]})
    single = gym.make(EASY).unwrapped
    with pytest.raises(ValueError, match="puzzle_index"):
        single.reset(options={"puzzle_index": True})


def test_vector_info_masks_are_not_shared():
    vec = gym.make_vec(EASY, 2, vectorization_mode="vector_entry_point")
    _, info = vec.reset(seed=0)
    info["_score"][:] = False
    _, info2 = vec.reset(seed=0)
    assert info2["_score"].all() and info2["_solved"].all()
