"""trm-bench environments. Importing this package registers every ``trm/...`` Gymnasium id."""

from __future__ import annotations

import gymnasium as gym

SUDOKU_IDS: dict[str, str] = {
    "trm/Sudoku4x4-Easy-v0": "sudoku4x4-easy",
    "trm/Sudoku4x4-Hard-v0": "sudoku4x4-hard",
    "trm/Sudoku9x9-v0": "sudoku9x9",
}
"""Env id -> dataset name of every Sudoku env (the one place both are written)."""


def _register_all() -> None:
    for env_id, dataset in SUDOKU_IDS.items():
        if env_id in gym.registry:
            continue
        gym.register(
            id=env_id,
            entry_point="envs.sudoku.env:SudokuEnv",
            vector_entry_point="envs.sudoku.vector_env:SudokuVectorEnv",
            kwargs={"dataset": dataset},
            disable_env_checker=False,
        )


_register_all()
