"""Maze path editing: mark the cells of the start -> goal path, from checker feedback alone.

The plan-editing view of a maze (DESIGN section 3), so that UPI-TRM, which edits plans, runs on
mazes too. The instance ``x`` is the maze with its start and goal; the plan ``y`` is the set of
marked cells, ``y0 = {start, goal}``; an action toggles one free cell (start and goal stay
marked).

Checker: ``breaks = gap + degree errors``, and the score is ``c = -breaks``.

* ``gap``: the free cells missing between the marked component of the start and that of the
  goal (one less than their BFS distance through free cells; 0 once they are connected). It
  is what makes the feedback dense: each right cell added closes the gap by one.
* ``degree errors``: ``sum over marked cells m of |deg(m) - want(m)|``, where ``deg`` counts
  the marked 4-neighbours of ``m`` and ``want`` is 1 for the start and goal and 2 for every
  other cell (a dangling end, a branch, a stray mark).

In a perfect maze the free cells form a tree, so the marked cells form a forest; with zero
degree errors every component is a path whose two ends have degree 1, and only the start and
goal may, so the plan is exactly the unique start -> goal path, which is the shortest.
``breaks == 0`` is therefore the solved test. The checker reads only the maze and the plan:
no solution is stored or shown.

Reward: potential-based shaping on the checker, ``GAMMA * c' - c``, ``+SOLVE_BONUS`` on the
solving step, and a no-op with ``-INVALID_PENALTY`` for an action outside the legal set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from envs.batched import (
    BatchEnv,
    Lookahead,
    BatchVectorEnv,
    check_kwargs,
    check_num_envs,
    check_positive_int,
    check_render_mode,
)
from envs.maze.instances import MazeSet, load_mazes
from envs.maze.navigation import render_maze

GAMMA = 0.99
"""Discount of the potential-based shaping (and of the MDP)."""
SOLVE_BONUS = 1.0
INVALID_PENALTY = 1.0
REWARD = (
    f"r = {GAMMA:g}*c' - c with c = -breaks (gap + degree errors); +{SOLVE_BONUS:g} on solving (zero "
    f"breaks); -{INVALID_PENALTY:g} for an action outside the legal set (a no-op); horizon: truncation"
)
"""One line naming the reward of :meth:`MazePathBatch.step` (read by :func:`envs.facts`)."""
MASKINGS = ("cells", "none")
"""``cells``: the mask shows the toggleable cells (free, not start or goal); ``none``: all."""
ENV_KWARGS = ("split", "seed", "masking", "horizon", "render_mode")


@dataclass(frozen=True)
class PathOptions:
    """Resolved env configuration (see :func:`parse_options`)."""

    layout: str
    mazes: MazeSet
    masking: str
    horizon: int
    render_mode: str | None


def parse_options(layout: str, **kwargs: Any) -> PathOptions:
    """Validate the kwargs of a path-editing env id with clear messages.

    :param split: ``"train"`` (default), ``"val"`` or ``"test"``.
    :param seed: dataset seed (default 0), not the episode seed.
    :param masking: ``"cells"`` (default) or ``"none"``.
    :param horizon: toggles per episode (default ``S*S``); running out is a truncation.
    :raises TypeError: on an unknown keyword.
    :raises ValueError: on a bad value.
    """
    check_kwargs(kwargs, ENV_KWARGS, "maze path")
    mazes = load_mazes(layout, kwargs.get("split", "train"), kwargs.get("seed", 0))
    masking = kwargs.get("masking", "cells")
    if masking not in MASKINGS:
        raise ValueError(f"masking must be one of {MASKINGS}, got {masking!r}")
    return PathOptions(
        layout=layout,
        mazes=mazes,
        masking=masking,
        horizon=check_positive_int("horizon", kwargs.get("horizon", mazes.size**2)),
        render_mode=check_render_mode(kwargs.get("render_mode")),
    )


def max_score(size: int) -> float:
    """C_max of an ``S x S`` maze: its cell count ``S*S``, the scale by which scores and values
    are normalised. The best score is 0 (no break); the score is minus the breaks, which a plan
    has at most a few per cell (the gap is under the free cells, each marked cell adds at most 3
    degree errors)."""
    return float(size * size)


def marked_degrees(plan: np.ndarray) -> np.ndarray:
    """``(B, S, S)`` number of marked 4-neighbours of every cell of ``(B, S, S)`` bool plans."""
    p = plan.astype(np.int64)
    deg = np.zeros_like(p)
    deg[:, 1:, :] += p[:, :-1, :]
    deg[:, :-1, :] += p[:, 1:, :]
    deg[:, :, 1:] += p[:, :, :-1]
    deg[:, :, :-1] += p[:, :, 1:]
    return deg


def dilate(cells: np.ndarray) -> np.ndarray:
    """``(B, S, S)`` bool: ``cells`` and their 4-neighbours."""
    out = cells.copy()
    out[:, 1:, :] |= cells[:, :-1, :]
    out[:, :-1, :] |= cells[:, 1:, :]
    out[:, :, 1:] |= cells[:, :, :-1]
    out[:, :, :-1] |= cells[:, :, 1:]
    return out


def flood(seed: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """``(B, S, S)`` the cells of ``allowed`` connected to ``seed`` through ``allowed``."""
    region = seed & allowed
    while True:
        grown = dilate(region) & allowed
        if np.array_equal(grown, region):
            return region
        region = grown


def connection_gap(plan: np.ndarray, start: np.ndarray, goal: np.ndarray, free: np.ndarray) -> np.ndarray:
    """``(B,)`` free cells missing between the marked components of start and goal (0 if joined)."""
    from_start = flood(start, plan)
    to_goal = flood(goal, plan)
    gap = np.zeros(len(plan), dtype=np.int64)
    open_rows = np.flatnonzero(~(from_start & to_goal).any(axis=(1, 2)))
    front, target = from_start[open_rows], to_goal[open_rows]
    distance = 0
    while len(open_rows):
        distance += 1
        front = dilate(front) & free[open_rows]
        hit = (front & target).any(axis=(1, 2))
        gap[open_rows[hit]] = distance - 1
        if not distance < plan.shape[1] * plan.shape[2]:  # unreachable goal: not in our mazes
            gap[open_rows[~hit]] = distance
            break
        open_rows, front, target = open_rows[~hit], front[~hit], target[~hit]
    return gap


def path_breaks(plan: np.ndarray, start: np.ndarray, goal: np.ndarray, free: np.ndarray) -> np.ndarray:
    """``(B,)`` checker breaks (gap plus degree errors) of ``(B, S, S)`` plans, given the start
    and goal cells and the free cells as ``(B, S, S)`` bool arrays."""
    ends = start | goal
    want = np.where(ends, 1, 2)
    degree_errors = (np.abs(marked_degrees(plan) - want) * plan).sum(axis=(1, 2))
    return connection_gap(plan, start, goal, free) + degree_errors


def observation_space(size: int) -> spaces.MultiBinary:
    """Wall, start, goal and plan planes, each row-major: ``MultiBinary(4*S*S)``."""
    return spaces.MultiBinary(4 * size * size)


class MazePathBatch:
    """``B`` path-editing episodes as numpy arrays (batch axis first)."""

    def __init__(self, opts: PathOptions, batch_size: int) -> None:
        self.opts = opts
        s = opts.mazes.size
        self.size = s
        self.num_actions = s * s
        self.batch_size = batch_size
        self.walls = np.ones((batch_size, s, s), dtype=bool)
        self.ends = np.zeros((batch_size, s, s), dtype=bool)
        self.start = np.zeros((batch_size, s, s), dtype=bool)
        self.plan = np.zeros((batch_size, s, s), dtype=bool)
        self.steps = np.zeros(batch_size, dtype=np.int64)
        self.score = np.zeros(batch_size, dtype=np.int64)
        self.initial_score = np.zeros(batch_size, dtype=np.int64)
        self.solved = np.zeros(batch_size, dtype=bool)

    def load(self, rows: np.ndarray, indices: np.ndarray) -> None:
        """Start episodes ``rows`` on mazes ``indices`` with only start and goal marked."""
        m = self.opts.mazes
        self.walls[rows] = m.walls[indices]
        self.start[rows] = False
        self.start[rows, m.start[indices, 0], m.start[indices, 1]] = True
        self.ends[rows] = self.start[rows]
        self.ends[rows, m.goal[indices, 0], m.goal[indices, 1]] = True
        self.load_plans(rows, self.ends[rows])

    def load_plans(self, rows: np.ndarray, plans: np.ndarray) -> None:
        """Set the plans of episodes ``rows`` (their mazes already loaded); steps restart at 0."""
        self.plan[rows] = plans
        self.steps[rows] = 0
        self.score[rows] = -self._breaks(rows)
        self.initial_score[rows] = self.score[rows]
        self.solved[rows] = self.score[rows] == 0

    def _breaks(self, rows: np.ndarray) -> np.ndarray:
        start = self.start[rows]
        return path_breaks(self.plan[rows], start, self.ends[rows] & ~start, ~self.walls[rows])

    def legal(self) -> np.ndarray:
        """``(B, S*S)`` bool: the toggleable cells (free, neither start nor goal)."""
        return (~self.walls & ~self.ends).reshape(self.batch_size, -1)

    def action_mask(self) -> np.ndarray:
        """``(B, S*S)`` bool mask shown to the agent."""
        if self.opts.masking == "none":
            return np.ones((self.batch_size, self.num_actions), dtype=bool)
        return self.legal()

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Toggle one cell per episode; see the module docstring for the reward."""
        rows = np.arange(self.batch_size)
        valid = self.legal()[rows, actions]
        r, c = np.divmod(actions, self.size)
        self.plan[rows[valid], r[valid], c[valid]] ^= True
        before = self.score.copy()
        self.score = -self._breaks(rows)
        self.solved = self.score == 0
        self.steps += 1
        reward = GAMMA * self.score - before + SOLVE_BONUS * self.solved - INVALID_PENALTY * ~valid
        truncated = (self.steps >= self.opts.horizon) & ~self.solved
        return reward.astype(np.float32), self.solved.copy(), truncated

    def observation(self) -> np.ndarray:
        """``(B, 4*S*S)`` int8: wall, start, goal and plan planes."""
        goal = self.ends & ~self.start
        planes = np.stack([self.walls, self.start, goal, self.plan], axis=1)
        return planes.reshape(self.batch_size, -1).astype(np.int8)

    def info(self, copy: bool = True) -> dict[str, np.ndarray]:
        """``solved``, ``score`` (minus the breaks), ``initial_score``, ``steps``, ``marked``."""
        arrays = {
            "solved": self.solved,
            "score": self.score,
            "initial_score": self.initial_score,
            "steps": self.steps,
            "marked": self.plan.sum(axis=(1, 2)),
        }
        return {k: v.copy() for k, v in arrays.items()} if copy else arrays

    def successors(self, obs: np.ndarray, mask: np.ndarray, steps_taken: np.ndarray) -> Lookahead:
        """One-step lookahead: every ``True`` action of ``mask`` applied to a copy of the state
        its row of ``obs`` shows (:meth:`envs.batched.BatchVectorEnv.lookahead`)."""
        state, action = np.nonzero(mask)
        s = self.size
        planes = np.asarray(obs).reshape(len(obs), 4, s, s).astype(bool)[state]
        trial = MazePathBatch(self.opts, len(state))
        trial.walls[:] = planes[:, 0]
        trial.start[:] = planes[:, 1]
        trial.ends[:] = planes[:, 1] | planes[:, 2]
        trial.load_plans(np.arange(len(state)), planes[:, 3])
        trial.steps[:] = steps_taken[state]
        reward, terminated, _ = trial.step(action.astype(np.int64))
        return Lookahead(state, action, reward, terminated, trial.observation(), trial.action_mask())

    def render(self, row: int) -> str:
        """Text picture of episode ``row``: ``o`` marked, ``S`` start, ``G`` goal."""
        goal = self.ends[row] & ~self.start[row]
        return render_maze(self.walls[row], {"o": self.plan[row], "S": self.start[row], "G": goal})


class MazePathEnv(BatchEnv):
    """Mark the start -> goal path of a perfect maze by toggling cells (DESIGN section 3).

    ## Description
    The plan-editing maze: from the start and goal alone marked, toggle free cells until the
    marked set is the unique start -> goal path. The only signal is the checker (the path's
    breaks); no solution is shown. Mazes are those of ``trm/Maze{8x8,10x10}-v0``.

    ## Action Space
    ``Discrete(S*S)``: toggle cell ``a`` (row-major). Legal: free cells other than start and
    goal. An illegal action is a no-op with ``-1``. ``action_masks()`` gives the ``(S*S,)`` mask.

    ## Observation Space
    ``MultiBinary(4*S*S)`` int8: wall, start, goal and plan planes, each row-major.

    ## Rewards
    ``0.99 * c' - c`` with ``c = -breaks``, ``+1`` on solving (see :mod:`envs.maze.path_edit`).

    ## Starting State
    A maze of the split drawn with the episode seed, or ``reset(options={"puzzle_index": i})``.

    ## Episode End
    Termination: solved (zero breaks, i.e. the marked cells are exactly the shortest path).
    Truncation: ``horizon`` toggles made (default ``S*S``).

    ## Arguments
    ``split``, ``seed`` (dataset seed), ``masking`` (``cells``/``none``), ``horizon``,
    ``render_mode`` (``"ansi"``).

    ## Info
    ``action_mask``, ``solved``, ``score``, ``initial_score``, ``steps``, ``marked``,
    ``puzzle_index``.

    ## Version History
    * v0: initial version.
    """

    def __init__(self, layout: str = "maze8x8", **kwargs: Any) -> None:
        self.options = opts = parse_options(layout, **kwargs)
        super().__init__(MazePathBatch(opts, 1), observation_space(opts.mazes.size), len(opts.mazes), opts.render_mode)


class MazePathVectorEnv(BatchVectorEnv):
    """Batched :class:`MazePathEnv` (same MDP, kwargs and spaces; see :class:`BatchVectorEnv`)."""

    def __init__(self, num_envs: int = 1, layout: str = "maze8x8", **kwargs: Any) -> None:
        num_envs = check_num_envs(num_envs)
        self.options = opts = parse_options(layout, **kwargs)
        core = MazePathBatch(opts, num_envs)
        super().__init__(num_envs, core, observation_space(opts.mazes.size), len(opts.mazes), opts.render_mode)
