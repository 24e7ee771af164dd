"""Batched Sudoku vector env over :class:`SudokuBatch` (``gym.make_vec(..., "vector_entry_point")``)."""

from __future__ import annotations

from typing import Any

from envs.batched import BatchVectorEnv, check_num_envs
from envs.sudoku.core import SudokuBatch
from envs.sudoku.env import observation_space
from envs.sudoku.options import parse_options


class SudokuVectorEnv(BatchVectorEnv):
    """``num_envs`` Sudoku plan-editing episodes stepped as one numpy batch.

    Same MDP, spaces and kwargs as :class:`envs.sudoku.env.SudokuEnv`; seeding, ``SAME_STEP``
    autoreset and the info layout are :class:`envs.batched.BatchVectorEnv`'s.
    ``info["action_mask"]`` is ``(num_envs, N**3)`` bool.
    """

    def __init__(self, num_envs: int = 1, dataset: str = "sudoku4x4-easy", **kwargs: Any) -> None:
        num_envs = check_num_envs(num_envs)
        self.options = opts = parse_options(dataset, **kwargs)
        core = SudokuBatch(
            opts.n, num_envs, opts.masking, opts.horizon, opts.horizon_truncates, opts.puzzles, opts.rules, opts.reward, opts.observation
        )
        super().__init__(num_envs, core, observation_space(opts.n, opts.observation), len(opts.puzzles), opts.render_mode)
