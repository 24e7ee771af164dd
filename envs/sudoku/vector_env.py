"""Batched Sudoku vector env over :class:`SudokuBatch` (``gym.make_vec(..., "vector_entry_point")``)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from envs.sudoku.core import SudokuBatch, validate_actions
from envs.sudoku.env import choose_puzzle, observation_space, render_grid
from envs.sudoku.options import RENDER_MODES, parse_options


class SudokuVectorEnv(gym.vector.VectorEnv):
    """``num_envs`` Sudoku plan-editing episodes stepped as one numpy batch.

    Same MDP, spaces and kwargs as :class:`envs.sudoku.env.SudokuEnv`; every array leads with
    ``num_envs``. Sub-env ``i`` draws its puzzles from its own generator seeded ``seed + i`` (as
    ``SyncVectorEnv`` seeds its envs), so it replays exactly the single env seeded ``seed + i``.

    Autoreset is ``SAME_STEP``: when an episode ends, the returned observation and info already
    belong to the next episode, and ``info["final_obs"]`` (``(num_envs, D)``, rows valid where
    ``info["_final_obs"]``) and ``info["final_info"]`` (a dict of ``(num_envs,)`` arrays with
    ``_key`` masks) hold the end of the finished one. ``info["action_mask"]`` is
    ``(num_envs, N**3)`` bool and ``action_masks()`` returns the same.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": list(RENDER_MODES)}

    def __init__(self, num_envs: int = 1, dataset: str = "sudoku4x4-easy", **kwargs: Any) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive int, got {num_envs!r}")
        self.options = opts = parse_options(dataset, **kwargs)
        self.render_mode = opts.render_mode
        self.num_envs = int(num_envs)
        self.core = SudokuBatch(
            opts.n, self.num_envs, opts.masking, opts.horizon, opts.horizon_truncates, opts.puzzles
        )
        self.single_observation_space = observation_space(opts.n)
        self.single_action_space = spaces.Discrete(self.core.geo.num_actions)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.puzzle_index = np.full(self.num_envs, -1, dtype=np.int64)
        self._rngs = [seeding.np_random()[0] for _ in range(self.num_envs)]
        self._all = np.ones(self.num_envs, dtype=bool)
        self._started = False

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every sub-env. ``seed``: int (env ``i`` gets ``seed + i``) or one per env;
        ``options={"puzzle_index": array of num_envs ints}`` picks the puzzles."""
        if seed is not None:
            if isinstance(seed, (int, np.integer)):
                seeds = [int(seed) + i for i in range(self.num_envs)]
            else:
                seeds = [int(s) for s in seed]
            if len(seeds) != self.num_envs:
                raise ValueError(f"expected {self.num_envs} seeds, got {len(seeds)}")
            self._rngs = [seeding.np_random(s)[0] for s in seeds]
        indices = None if not options else options.get("puzzle_index")
        if indices is not None:
            indices = np.asarray(indices)
            if indices.shape != (self.num_envs,) or indices.dtype.kind not in "iu":
                raise ValueError(
                    f"puzzle_index must be {self.num_envs} integers, got {indices.dtype} {indices.shape}"
                )
        rows = np.arange(self.num_envs)
        for i in rows:
            chosen = None if indices is None else {"puzzle_index": int(indices[i])}
            self.puzzle_index[i] = choose_puzzle(self._rngs[i], len(self.options.puzzles), chosen)
        self.core.load(rows, self.puzzle_index)
        self._started = True
        return self.core.observation().copy(), self._info()

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every sub-env; finished ones restart at once (``SAME_STEP`` autoreset)."""
        if not self._started:
            raise RuntimeError("call reset() before step()")
        actions = validate_actions(actions, self.num_envs, self.core.geo.num_actions)
        reward, terminated, truncated = self.core.step(actions)
        done = terminated | truncated
        final: dict[str, Any] = {}
        if done.any():
            final_info = self.core.info() | {
                "puzzle_index": self.puzzle_index.copy(),
                "action_mask": self.action_masks(),
            }
            final = {
                "final_obs": self.core.observation().copy(),
                "_final_obs": done.copy(),
                "final_info": with_masks(final_info, done),
                "_final_info": done.copy(),
            }
            rows = np.flatnonzero(done)
            for i in rows:
                self.puzzle_index[i] = choose_puzzle(self._rngs[i], len(self.options.puzzles), None)
            self.core.load(rows, self.puzzle_index[rows])
        obs = self.core.observation().copy()
        return obs, reward, terminated, truncated, self._info() | final

    def action_masks(self) -> np.ndarray:
        """``(num_envs, N**3)`` bool mask of the actions shown as legal."""
        return self.core.action_mask().copy()

    def render(self) -> tuple[str, ...] | None:
        """``"ansi"``: one text board per sub-env."""
        if self.render_mode != "ansi":
            return None
        n = self.options.n
        return tuple(render_grid(c, g, n) for c, g in zip(self.core.clues, self.core.grid))

    def _info(self) -> dict[str, Any]:
        info = self.core.info()
        info |= {"action_mask": self.action_masks(), "puzzle_index": self.puzzle_index.copy()}
        return with_masks(info, self._all)


def with_masks(info: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    """Add gymnasium's vector-info ``_key`` mask (which sub-envs the value is for) to every key."""
    return info | {f"_{key}": mask.copy() for key in info}
