"""Maze navigation and path-editing envs: checkers, rewards, splits, single/vector agreement."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from envs import MAZE_IDS, MAZE_PATH_IDS
from envs.maze.generator import MOVES, bfs_distances, shortest_path_mask
from envs.maze.instances import load_mazes
from envs.maze.path_edit import path_breaks

ALL_MAZE_IDS = list(MAZE_IDS) + list(MAZE_PATH_IDS)


@pytest.mark.parametrize("env_id", ALL_MAZE_IDS)
def test_env_checkers_pass(env_id):
    check_env(gym.make(env_id).unwrapped, skip_render_check=True)


@pytest.mark.parametrize("env_id", ALL_MAZE_IDS)
def test_vector_env_replays_single_envs(env_id):
    """Sub-env i of the vector env seeded s is the single env seeded s + i, autoresets included."""
    num, seed = 3, 7
    vec = gym.make_vec(env_id, num, vectorization_mode="vector_entry_point")
    singles = [gym.make(env_id).unwrapped for _ in range(num)]
    vobs, vinfo = vec.reset(seed=seed)
    sobs = [env.reset(seed=seed + i)[0] for i, env in enumerate(singles)]
    rng = np.random.default_rng(0)
    for _ in range(120):
        np.testing.assert_array_equal(vobs, np.stack(sobs))
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in vinfo["action_mask"]])
        vobs, vrew, vterm, vtrunc, vinfo = vec.step(actions)
        for i, env in enumerate(singles):
            obs, rew, term, trunc, _ = env.step(int(actions[i]))
            assert (rew, term, trunc) == pytest.approx((vrew[i], vterm[i], vtrunc[i]))
            sobs[i] = env.reset()[0] if term or trunc else obs


def walk(env, policy_moves):
    total, info = 0.0, None
    for a in policy_moves:
        _, r, term, trunc, info = env.step(a)
        total += r
        if term or trunc:
            break
    return total, term, trunc, info


def test_open_grid_keeps_the_readme_rewards():
    env = gym.make("trm/MazeOpen5x5-v0").unwrapped
    obs, info = env.reset(seed=0)
    assert obs.shape == (25,) and obs[0] == 1.0 and obs[24] == 0.5 and info["score"] == -8
    up, right, down, left = range(4)
    assert env.step(up)[1] == pytest.approx(-0.5)  # bump: the agent stays
    assert env.step(right)[1] == pytest.approx(-0.01 + 0.2)
    assert env.step(left)[1] == pytest.approx(-0.01 - 0.2)
    total, term, _, info = walk(env, [right] * 4 + [down] * 3)
    assert not term
    _, r, term, trunc, info = env.step(down)
    assert term and not trunc and info["solved"] and r == pytest.approx(-0.01 + 0.2 + 10)
    env.reset(seed=0)
    _, term, trunc, info = walk(env, [up] * 60)
    assert trunc and not term and info["steps"] == 51 and info["bumps"] == 51


def test_open_grid_random_policy_succeeds_about_a_third_of_the_time():
    """The README's RL setting: a uniform random policy reaches the goal within 51 moves in about
    32% of episodes (exact computation 32.3%), the level of the README's claimed success rates."""
    num = 4000
    vec = gym.make_vec("trm/MazeOpen5x5-v0", num, vectorization_mode="vector_entry_point")
    vec.reset(seed=0)
    rng = np.random.default_rng(0)
    done = np.zeros(num, dtype=bool)
    solved = np.zeros(num, dtype=bool)
    while not done.all():
        _, _, term, trunc, info = vec.step(rng.integers(0, 4, num))
        newly = (term | trunc) & ~done
        if newly.any():
            solved[newly] = info["final_info"]["solved"][newly]
            done |= newly
    assert 0.29 < solved.mean() < 0.355


@pytest.mark.parametrize("env_id", list(MAZE_IDS)[1:])
def test_following_bfs_distances_solves_every_test_maze_in_the_fewest_moves(env_id):
    mazes = load_mazes(MAZE_IDS[env_id], "test")
    env = gym.make(env_id, split="test").unwrapped
    for k in range(0, len(mazes), 7):
        _, info = env.reset(options={"puzzle_index": k})
        dist = mazes.distance[k]
        total = 0.0
        for _ in range(-info["initial_score"]):
            r, c = env.core.pos[0]
            moves = [a for a, (dr, dc) in enumerate(MOVES) if info["action_mask"][a] and dist[r + dr, c + dc] == dist[r, c] - 1]
            _, rew, term, trunc, info = env.step(moves[0])
            total += rew
        assert term and info["solved"] and info["bumps"] == 0
        assert total == pytest.approx(-(0.01 - 0.2) * info["steps"] + 10, rel=1e-5)


def test_masked_moves_are_the_moves_into_free_cells_and_bumps_cost():
    env = gym.make("trm/Maze8x8-v0").unwrapped
    _, info = env.reset(seed=3)
    walls = env.core.walls[0]
    r, c = env.core.pos[0]
    for a, (dr, dc) in enumerate(MOVES):
        inside = 0 <= r + dr < 8 and 0 <= c + dc < 8
        assert info["action_mask"][a] == (inside and not walls[r + dr, c + dc])
    blocked = int(np.flatnonzero(~info["action_mask"])[0])
    _, rew, _, _, info = env.step(blocked)
    assert rew == pytest.approx(-0.5) and tuple(env.core.pos[0]) == (r, c) and info["bumps"] == 1


@pytest.mark.parametrize("layout", ["maze5x5", "maze8x8", "maze10x10"])
def test_test_layouts_are_held_out_and_instances_distinct(layout):
    train = load_mazes(layout, "train")
    train_layouts = {w.tobytes() for w in train.walls}
    for split in ("val", "test"):
        held = load_mazes(layout, split)
        assert not {w.tobytes() for w in held.walls} & train_layouts
        keys = {w.tobytes() + s.tobytes() + g.tobytes() for w, s, g in zip(held.walls, held.start, held.goal)}
        assert len(keys) == len(held)
        assert (held.distance[np.arange(len(held)), held.start[:, 0], held.start[:, 1]] >= held.size).all()


def test_marking_the_shortest_path_from_the_start_closes_the_gap_one_cell_at_a_time():
    env = gym.make("trm/MazePath10x10-v0", split="test").unwrapped
    mazes = env.options.mazes
    for k in range(0, len(mazes), 9):
        _, info = env.reset(options={"puzzle_index": k})
        length = mazes.distance[k][tuple(mazes.start[k])]  # moves; the path has length + 1 cells
        assert info["score"] == -(length - 1) - 2 and not info["solved"]  # gap, two dangling ends
        to_start = bfs_distances(mazes.walls[k], tuple(mazes.start[k]))
        path = shortest_path_mask(mazes.walls[k], tuple(mazes.start[k]), tuple(mazes.goal[k]))
        inner = [c for c in np.flatnonzero(path.ravel()) if 0 < to_start.ravel()[c] < length]
        for step, cell in enumerate(sorted(inner, key=lambda c: to_start.ravel()[c]), start=1):
            assert not info["solved"]
            _, reward, term, _, info = env.step(int(cell))
            expected = 0 if step == length - 1 else -(length - 1 - step) - 2
            assert info["score"] == expected
        assert term and info["solved"] and reward > 1


def test_a_stray_mark_or_a_branch_costs_and_is_undone_by_toggling_back():
    env = gym.make("trm/MazePath8x8-v0").unwrapped
    _, info = env.reset(seed=0)
    before = info["score"]
    m, k = env.options.mazes, info["puzzle_index"]
    path = shortest_path_mask(m.walls[k], tuple(m.start[k]), tuple(m.goal[k]))
    stray = int(np.flatnonzero(info["action_mask"] & ~path.ravel())[0])  # a cell off the path
    _, reward, _, _, info = env.step(stray)
    assert info["score"] < before and reward < 0
    _, _, _, _, info = env.step(stray)
    assert info["score"] == before


def test_zero_breaks_exactly_when_the_plan_is_the_path():
    """The checker's solved test against the BFS path on random plans near the solution."""
    mazes = load_mazes("maze8x8", "val")
    rng = np.random.default_rng(0)
    hits = 0
    for k in range(len(mazes)):
        path = shortest_path_mask(mazes.walls[k], tuple(mazes.start[k]), tuple(mazes.goal[k]))
        start, goal = np.zeros_like(path), np.zeros_like(path)
        start[tuple(mazes.start[k])] = goal[tuple(mazes.goal[k])] = True
        for _ in range(20):
            flips = (rng.random(path.shape) < 0.05) & ~mazes.walls[k] & ~start & ~goal
            plan = path ^ flips if rng.random() < 0.7 else path.copy()
            zero = path_breaks(plan[None], start[None], goal[None], ~mazes.walls[k][None])[0] == 0
            assert zero == np.array_equal(plan, path)
            hits += zero
    assert hits > 100


@pytest.mark.parametrize(
    ("env_id", "kwargs", "error"),
    [
        ("trm/Maze8x8-v0", {"masking": "cell"}, ValueError),
        ("trm/Maze8x8-v0", {"horizn": 5}, TypeError),
        ("trm/Maze8x8-v0", {"split": "dev"}, ValueError),
        ("trm/MazePath8x8-v0", {"masking": "moves"}, ValueError),
        ("trm/MazePath8x8-v0", {"horizon": 0}, ValueError),
        ("trm/MazeOpen5x5-v0", {"observation": "pixels"}, ValueError),
        ("trm/Maze8x8-v0", {"observation": "readme"}, ValueError),
    ],
)
def test_bad_kwargs_are_named(env_id, kwargs, error):
    with pytest.raises(error, match=next(iter(kwargs)).rstrip("n")[:5]):
        gym.make(env_id, **kwargs)
