"""trm-bench environments. Importing this package registers every ``trm/...`` Gymnasium id."""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym

SUDOKU_IDS: dict[str, str] = {
    "trm/Sudoku4x4-Easy-v0": "sudoku4x4-easy",
    "trm/Sudoku4x4-Hard-v0": "sudoku4x4-hard",
    "trm/Sudoku9x9-v0": "sudoku9x9",
}
"""Env id -> dataset name of every Sudoku env (the one place both are written)."""

MAZE_IDS: dict[str, str] = {
    "trm/MazeOpen5x5-v0": "open5x5",
    "trm/Maze5x5-v0": "maze5x5",
    "trm/Maze8x8-v0": "maze8x8",
    "trm/Maze10x10-v0": "maze10x10",
}
"""Env id -> maze family (:data:`envs.maze.instances.LAYOUTS`) of every navigation env."""

MAZE_PATH_IDS: dict[str, str] = {
    "trm/MazePath8x8-v0": "maze8x8",
    "trm/MazePath10x10-v0": "maze10x10",
}
"""Env id -> maze family of every path-editing env."""

ALL_IDS: tuple[str, ...] = (*SUDOKU_IDS, *MAZE_IDS, *MAZE_PATH_IDS)
"""Every registered ``trm/...`` id."""

_ENTRY_POINTS = {
    "sudoku": ("envs.sudoku.env:SudokuEnv", "envs.sudoku.vector_env:SudokuVectorEnv", "dataset"),
    "maze": ("envs.maze.navigation:MazeEnv", "envs.maze.navigation:MazeVectorEnv", "layout"),
    "maze_path": ("envs.maze.path_edit:MazePathEnv", "envs.maze.path_edit:MazePathVectorEnv", "layout"),
}


def family(env_id: str) -> str:
    """``"sudoku"``, ``"maze"`` or ``"maze_path"``; a clear error for an id this suite does not own."""
    for name, ids in (("sudoku", SUDOKU_IDS), ("maze", MAZE_IDS), ("maze_path", MAZE_PATH_IDS)):
        if env_id in ids:
            return name
    raise ValueError(f"unknown env id {env_id!r}; known: {list(ALL_IDS)}")


def num_instances(env_id: str, split: str, seed: int = 0) -> int:
    """Number of puzzles or mazes the env ``env_id`` draws from in ``split``."""
    if family(env_id) == "sudoku":
        from envs.sudoku.dataset import DATASETS, SPLITS

        return DATASETS[SUDOKU_IDS[env_id]].split_sizes[SPLITS.index(split)]
    from envs.maze.instances import load_mazes

    return len(load_mazes((MAZE_IDS | MAZE_PATH_IDS)[env_id], split, seed))


@dataclass(frozen=True)
class EnvFacts:
    """What an env id says about its own MDP, for agents and tuning to read instead of
    restating (DESIGN section 1: the env owns its facts)."""

    discount: float
    """gamma of the MDP, the one its potential-based shaping uses."""
    max_score: float
    """C_max, the scale of the checker score. Sudoku: the best score (``N*N``, every cell
    filled, no violation) and minus the value of failure. Mazes, whose best score is 0 (no break,
    at the goal) and whose score is minus a count of cells (breaks, BFS distance): the cell count
    ``S*S``. UPI-TRM's value head predicts ``U / C_max``; tuning divides scores by it."""
    reward: str
    """One line naming the reward formula (the env's default rules)."""


def facts(env_id: str) -> EnvFacts:
    """The discount, C_max and reward formula of ``env_id``, each read from its family module
    (no torch import).

    :raises ValueError: for an id this suite does not own.
    """
    kind = family(env_id)
    if kind == "sudoku":
        from envs.sudoku import core
        from envs.sudoku.dataset import DATASETS

        return EnvFacts(core.GAMMA, core.max_score(DATASETS[SUDOKU_IDS[env_id]].n), core.REWARD)
    from envs.maze.instances import LAYOUTS

    if kind == "maze_path":
        from envs.maze import path_edit

        size = LAYOUTS[MAZE_PATH_IDS[env_id]].size
        return EnvFacts(path_edit.GAMMA, path_edit.max_score(size), path_edit.REWARD)
    from envs.maze import navigation as nav

    size = LAYOUTS[MAZE_IDS[env_id]].size
    return EnvFacts(nav.GAMMA, nav.max_score(size), nav.REWARD)


def _register_all() -> None:
    for ids, kind in ((SUDOKU_IDS, "sudoku"), (MAZE_IDS, "maze"), (MAZE_PATH_IDS, "maze_path")):
        entry, vector_entry, arg = _ENTRY_POINTS[kind]
        for env_id, name in ids.items():
            if env_id not in gym.registry:
                gym.register(
                    id=env_id,
                    entry_point=entry,
                    vector_entry_point=vector_entry,
                    kwargs={arg: name},
                    disable_env_checker=False,
                )


_register_all()
