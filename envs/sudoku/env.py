"""Single Sudoku plan-editing env: the batch-of-one view of :class:`SudokuBatch`."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs.sudoku.core import SudokuBatch, validate_actions
from envs.sudoku.options import RENDER_MODES, parse_options


def observation_space(n: int) -> spaces.MultiBinary:
    """One-hot clue and plan per cell, flat: ``MultiBinary(N*N * 2N)``."""
    return spaces.MultiBinary(n**4 * 2 * n * n)


def choose_puzzle(rng: np.random.Generator, num_puzzles: int, options: dict | None) -> int:
    """Puzzle of a new episode: ``options["puzzle_index"]`` if given, else uniform from ``rng``."""
    if options and options.get("puzzle_index") is not None:
        index = options["puzzle_index"]
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)) or not 0 <= index < num_puzzles:
            raise ValueError(f"puzzle_index must be an int in [0, {num_puzzles}), got {index!r}")
        return int(index)
    return int(rng.integers(num_puzzles))


def render_grid(clues: np.ndarray, grid: np.ndarray, n: int) -> str:
    """Text picture of one board: clues in brackets, plan digits plain, ``.`` for empty."""
    size = n * n
    lines = []
    for r in range(size):
        cells = []
        for c in range(size):
            v = int(grid[r * size + c])
            text = "." if v == 0 else str(v)
            cells.append(f"[{text}]" if clues[r * size + c] else f" {text} ")
            if c % n == n - 1 and c != size - 1:
                cells.append("|")
        lines.append("".join(cells))
        if r % n == n - 1 and r != size - 1:
            lines.append("-" * len(lines[-1]))
    return "\n".join(lines)


class SudokuEnv(gym.Env):
    """Sudoku as plan editing from checker feedback (the UPI-TRM MDP, DESIGN section 2).

    ## Description
    An episode starts from a clue grid ``x`` drawn from the env's puzzle set; the plan ``y``
    starts as ``x``. Each step writes one digit into one non-clue cell. The agent never sees a
    solution: its only signal is the feasibility checker ``c = filled - 2*violations - 5*dead``.

    ## Action Space
    ``Discrete(N**3)``: ``a = cell * N + (digit - 1)``, cells row-major. The legal set depends on
    ``masking``: ``constraint`` = empty non-clue cells with digits absent from their row, column
    and box; ``cell`` = any digit in any non-clue cell (overwriting allowed); ``none`` = as
    ``cell``, but the mask shown is all ones. An action outside the legal set is a no-op step
    penalised by ``INVALID_PENALTY`` (this is how masks reach agents that cannot use them).
    ``action_masks()`` and ``info["action_mask"]`` give the mask, ``(N**3,)`` bool.

    ## Observation Space
    ``MultiBinary(N*N * 2N)`` int8, cell-major: for cell ``c`` the ``2N`` entries
    ``[c*2N : c*2N + N]`` one-hot the clue digit (all zero if not a clue) and
    ``[c*2N + N : (c+1)*2N]`` one-hot the plan digit (all zero if empty).

    | env id | N | cells | actions | observation |
    |---|---|---|---|---|
    | trm/Sudoku4x4-Easy-v0, trm/Sudoku4x4-Hard-v0 | 4 | 16 | 64 | 128 |
    | trm/Sudoku9x9-v0 | 9 | 81 | 729 | 1458 |

    ## Rewards
    Potential-based shaping with ``Phi = c`` and gamma 0.99, ``+1`` on solving, an absorbing
    failure value ``-C_max`` (``C_max = N*N``); see :func:`envs.sudoku.core.shaped_reward`.

    ## Starting State
    A puzzle of the split drawn uniformly with the episode seed, or
    ``reset(options={"puzzle_index": i})``.

    ## Episode End
    Termination: solved (all cells filled, no rule broken); no legal move left (failure; only
    under ``constraint``); ``horizon`` steps used (failure). With ``horizon_truncates=True`` the
    last one is a truncation instead, with the plain shaped reward.

    ## Arguments
    ``split`` (train/val/test), ``masking`` (constraint/cell/none), ``horizon`` (default
    ``N*N``), ``seed`` (dataset seed), ``puzzles`` (your own clue grids), ``horizon_truncates``,
    ``render_mode`` (``"ansi"``).

    ## Info
    ``action_mask``, ``solved``, ``score``, ``initial_score``, ``violations``, ``dead``,
    ``filled``, ``steps``, ``puzzle_index``.

    ## Version History
    * v0: initial version.
    """

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": 4}

    def __init__(self, dataset: str = "sudoku4x4-easy", **kwargs: Any) -> None:
        self.options = opts = parse_options(dataset, **kwargs)
        self.render_mode = opts.render_mode
        self.core = SudokuBatch(
            opts.n, 1, opts.masking, opts.horizon, opts.horizon_truncates, opts.puzzles
        )
        self._row = np.zeros(1, dtype=np.int64)
        self.observation_space = observation_space(opts.n)
        self.action_space = spaces.Discrete(self.core.geo.num_actions)
        self._puzzle_index = -1
        self._done = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode; ``options={"puzzle_index": i}`` picks the puzzle."""
        super().reset(seed=seed)
        puzzles = self.options.puzzles
        self._puzzle_index = choose_puzzle(self.np_random, len(puzzles), options)
        self.core.load(self._row, np.array([self._puzzle_index]))
        self._done = False
        return self.core.observation()[0].copy(), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Apply one edit; see the class docstring for the rules."""
        if self._done:
            raise RuntimeError("call reset() before step(): the episode is over or not started")
        actions = validate_actions(action, 1, self.core.geo.num_actions)
        reward, terminated, truncated = self.core.step(actions)
        self._done = bool(terminated[0] or truncated[0])
        obs = self.core.observation()[0].copy()
        return obs, float(reward[0]), bool(terminated[0]), bool(truncated[0]), self._info()

    def action_masks(self) -> np.ndarray:
        """Mask of the actions shown as legal, ``(N**3,)`` bool (MaskablePPO's contract)."""
        return self.core.action_mask()[0].copy()

    def render(self) -> str | None:
        """``"ansi"``: the board as text (clues in brackets)."""
        if self.render_mode != "ansi":
            return None
        return render_grid(self.core.clues[0], self.core.grid[0], self.options.n)

    def _info(self) -> dict[str, Any]:
        info: dict[str, Any] = {k: v[0].item() for k, v in self.core.info(copy=False).items()}
        info["action_mask"] = self.action_masks()
        info["puzzle_index"] = self._puzzle_index
        return info
