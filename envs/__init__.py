"""trm-bench environments. Importing this package registers every ``trm/...`` Gymnasium id."""

from __future__ import annotations

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
