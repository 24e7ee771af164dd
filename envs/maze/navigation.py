"""Maze navigation: walk from the start to the goal (the TRM README's RL task, DESIGN section 3).

``NavigationBatch`` is the batched core; :class:`MazeEnv` and :class:`MazeVectorEnv` are its
single and vector views (:mod:`envs.batched`).

Reward of a step (the README's rule, with its Manhattan distance replaced by the BFS distance
``d`` to the goal, which is the same thing on the open grid):

* a move into a free cell: ``STEP_COST + PROGRESS_REWARD * (d_before - d_after)``;
* a bump (into a wall, off the grid, or any move the shown mask rules out): ``BUMP_PENALTY``
  instead, and the agent stays put;
* reaching the goal adds ``GOAL_REWARD`` and ends the episode.

``PROGRESS_REWARD * (d_before - d_after)`` is potential-based shaping with ``Phi = -0.2 d`` and
gamma 1, so it does not change which policies are optimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from envs.batched import (
    BatchEnv,
    BatchVectorEnv,
    check_kwargs,
    check_num_envs,
    check_positive_int,
    check_render_mode,
)
from envs.maze.generator import MOVES
from envs.maze.instances import LAYOUTS, SPLITS, MazeSet, load_mazes

STEP_COST = -0.01
PROGRESS_REWARD = 0.2
BUMP_PENALTY = -0.5
GOAL_REWARD = 10.0
GAMMA = 1.0
"""Discount of the MDP: the progress term is potential-based shaping with gamma 1."""
REWARD = (
    f"r = {STEP_COST:g} + {PROGRESS_REWARD:g}*(d - d') for a move into a free cell (d = BFS distance to the goal), "
    f"{BUMP_PENALTY:g} for a bump (no move); +{GOAL_REWARD:g} on reaching the goal; horizon: truncation"
)
"""One line naming the reward of the navigation env (read by :func:`envs.facts`)."""


def max_score(size: int) -> float:
    """C_max of an ``S x S`` maze: its cell count ``S*S``, above any BFS distance (the score is
    minus the distance to the goal, 0 at the goal)."""
    return float(size * size)

MASKINGS = ("moves", "none")
"""``moves``: the mask shows the moves into free cells; ``none``: all four shown (bumps happen)."""
OBSERVATIONS = ("channels", "readme")
ENV_KWARGS = ("split", "seed", "masking", "horizon", "observation", "render_mode")


@dataclass(frozen=True)
class NavigationOptions:
    """Resolved env configuration (see :func:`parse_options`)."""

    layout: str
    mazes: MazeSet
    masking: str
    horizon: int
    observation: str
    render_mode: str | None


def default_options(layout: str) -> dict[str, Any]:
    """Per-family defaults: the README's setting for the open grid, masked moves for mazes."""
    spec = LAYOUTS[layout]
    if spec.open_grid:  # the README's loop ends after `steps > 50`, i.e. after 51 moves
        return {"masking": "none", "horizon": 51, "observation": "readme"}
    return {"masking": "moves", "horizon": spec.size * spec.size, "observation": "channels"}


def parse_options(layout: str, **kwargs: Any) -> NavigationOptions:
    """Validate the kwargs of a navigation env id with clear messages.

    :param split: ``"train"`` (default), ``"val"`` or ``"test"``.
    :param seed: dataset seed (default 0), not the episode seed.
    :param masking: ``"moves"`` or ``"none"`` (default: ``none`` on the open grid, else ``moves``).
    :param horizon: moves per episode (default 51 on the open grid, ``S*S`` in mazes).
    :param observation: ``"channels"`` or ``"readme"`` (default: ``readme`` on the open grid).
    :raises TypeError: on an unknown keyword.
    :raises ValueError: on a bad value.
    """
    check_kwargs(kwargs, ENV_KWARGS, "maze")
    opts = default_options(layout) | kwargs
    if opts["masking"] not in MASKINGS:
        raise ValueError(f"masking must be one of {MASKINGS}, got {opts['masking']!r}")
    if opts["observation"] not in OBSERVATIONS:
        raise ValueError(f"observation must be one of {OBSERVATIONS}, got {opts['observation']!r}")
    if opts["observation"] == "readme" and not LAYOUTS[layout].open_grid:
        raise ValueError("observation='readme' shows no walls: it is for the open grid only")
    return NavigationOptions(
        layout=layout,
        mazes=load_mazes(layout, opts.get("split", "train"), opts.get("seed", 0)),
        masking=opts["masking"],
        horizon=check_positive_int("horizon", opts["horizon"]),
        observation=opts["observation"],
        render_mode=check_render_mode(opts.get("render_mode")),
    )


def observation_space(size: int, observation: str) -> spaces.Space:
    """``channels``: ``MultiBinary(3*S*S)`` (walls, agent, goal planes, each row-major);
    ``readme``: the README's ``Box(0, 1, (S*S,))`` float32 grid, agent 1.0, goal 0.5."""
    if observation == "readme":
        return spaces.Box(0.0, 1.0, (size * size,), dtype=np.float32)
    return spaces.MultiBinary(3 * size * size)


def render_maze(walls: np.ndarray, marks: dict[str, tuple[int, int] | np.ndarray]) -> str:
    """Text picture: ``#`` wall, ``.`` free, and each mark's letter at its cell(s)."""
    grid = np.where(walls, "#", ".").astype(object)
    for letter, where in marks.items():
        grid[where] = letter
    return "\n".join("".join(row) for row in grid)


class NavigationBatch:
    """``B`` navigation episodes as numpy arrays (batch axis first)."""

    num_actions = len(MOVES)

    def __init__(self, opts: NavigationOptions, batch_size: int) -> None:
        self.opts = opts
        self.mazes = opts.mazes
        s = self.mazes.size
        self.batch_size = batch_size
        self.walls = np.ones((batch_size, s, s), dtype=bool)
        self.distance = np.zeros((batch_size, s, s), dtype=np.int64)
        self.pos = np.zeros((batch_size, 2), dtype=np.int64)
        self.goal = np.zeros((batch_size, 2), dtype=np.int64)
        self.steps = np.zeros(batch_size, dtype=np.int64)
        self.bumps = np.zeros(batch_size, dtype=np.int64)
        self.solved = np.zeros(batch_size, dtype=bool)
        self.initial_score = np.zeros(batch_size, dtype=np.int64)
        self._rows = np.arange(batch_size)

    def load(self, rows: np.ndarray, indices: np.ndarray) -> None:
        """Start episodes ``rows`` at the start of mazes ``indices``."""
        m = self.mazes
        self.walls[rows] = m.walls[indices]
        self.distance[rows] = m.distance[indices]
        self.pos[rows] = m.start[indices]
        self.goal[rows] = m.goal[indices]
        self.steps[rows] = 0
        self.bumps[rows] = 0
        self.solved[rows] = False
        self.initial_score[rows] = -self.distance[rows, self.pos[rows, 0], self.pos[rows, 1]]

    def _targets(self) -> tuple[np.ndarray, np.ndarray]:
        """``(B, 4, 2)`` cells each move leads to (clipped to the grid) and ``(B, 4)`` legality."""
        s = self.mazes.size
        target = self.pos[:, None, :] + MOVES[None]
        inside = ((target >= 0) & (target < s)).all(-1)
        target = target.clip(0, s - 1)
        free = ~self.walls[self._rows[:, None], target[..., 0], target[..., 1]]
        return target, inside & free

    def action_mask(self) -> np.ndarray:
        """``(B, 4)`` bool: the moves into free cells (``moves``), or all four (``none``)."""
        if self.opts.masking == "none":
            return np.ones((self.batch_size, self.num_actions), dtype=bool)
        return self._targets()[1]

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Apply one move per episode; see the module docstring for the reward."""
        target, legal = self._targets()
        moved = legal[self._rows, actions]
        before = self.distance[self._rows, self.pos[:, 0], self.pos[:, 1]]
        self.pos[moved] = target[self._rows, actions][moved]
        after = self.distance[self._rows, self.pos[:, 0], self.pos[:, 1]]
        arrived = (after == 0) & moved
        self.steps += 1
        self.bumps += ~moved
        self.solved |= arrived
        reward = np.where(moved, STEP_COST + PROGRESS_REWARD * (before - after), BUMP_PENALTY)
        reward = (reward + GOAL_REWARD * arrived).astype(np.float32)
        truncated = (self.steps >= self.opts.horizon) & ~arrived
        return reward, arrived, truncated

    def observation(self) -> np.ndarray:
        """``(B, D)`` observations in the env's ``observation`` encoding."""
        b, s = self.batch_size, self.mazes.size
        agent = np.zeros((b, s, s), dtype=bool)
        agent[self._rows, self.pos[:, 0], self.pos[:, 1]] = True
        goal = np.zeros((b, s, s), dtype=bool)
        goal[self._rows, self.goal[:, 0], self.goal[:, 1]] = True
        if self.opts.observation == "readme":
            return np.where(goal, 0.5, agent.astype(np.float32)).reshape(b, -1).astype(np.float32)
        return np.stack([self.walls, agent, goal], axis=1).reshape(b, -1).astype(np.int8)

    def info(self, copy: bool = True) -> dict[str, np.ndarray]:
        """``solved``, ``score`` (minus the BFS distance left), ``initial_score``, ``steps``,
        ``bumps``, each ``(B,)``."""
        score = -self.distance[self._rows, self.pos[:, 0], self.pos[:, 1]]
        arrays = {
            "solved": self.solved,
            "score": score,
            "initial_score": self.initial_score,
            "steps": self.steps,
            "bumps": self.bumps,
        }
        return {k: v.copy() for k, v in arrays.items()} if copy else arrays

    def render(self, row: int) -> str:
        """Text picture of episode ``row``: ``A`` agent, ``G`` goal."""
        return render_maze(self.walls[row], {"G": tuple(self.goal[row]), "A": tuple(self.pos[row])})


class MazeEnv(BatchEnv):
    """Walk a maze from the start to the goal (DESIGN section 3).

    ## Description
    ``trm/MazeOpen5x5-v0`` is the TRM README's RL setting, kept faithfully: an empty 5x5 grid,
    start (0, 0), goal (4, 4), one instance. ``trm/Maze{5x5,8x8,10x10}-v0`` are perfect mazes
    (randomised DFS on a cell lattice) with start and goal at least ``S`` BFS steps apart, drawn
    from seeded train / val / test sets that share no instance (:mod:`envs.maze.instances`).

    ## Action Space
    ``Discrete(4)``: up, right, down, left (the README orders them up, down, left, right; the
    open grid is symmetric, so nothing depends on it). ``action_masks()`` and
    ``info["action_mask"]`` give the ``(4,)`` bool mask.

    ## Observation Space
    ``channels`` (maze default): ``MultiBinary(3*S*S)`` int8, the wall, agent and goal planes
    one after the other, each row-major. ``readme`` (open-grid default): the README's
    ``Box(0, 1, (S*S,))`` float32 grid, agent cell 1.0, goal cell 0.5, all else 0.

    ## Rewards
    ``-0.01 + 0.2 * (BFS progress)`` per move, ``-0.5`` instead for a bump (the agent stays),
    ``+10`` on reaching the goal: the README's rule (see :mod:`envs.maze.navigation`).

    ## Starting State
    A maze of the split drawn with the episode seed, or ``reset(options={"puzzle_index": i})``.

    ## Episode End
    Termination: the goal is reached. Truncation: ``horizon`` moves made (51 on the open grid,
    as the README's ``steps > 50`` check allows; ``S*S`` in mazes).

    ## Arguments
    ``split``, ``seed`` (dataset seed), ``masking`` (``moves``/``none``), ``horizon``,
    ``observation`` (``channels``/``readme``), ``render_mode`` (``"ansi"``).

    ## Info
    ``action_mask``, ``solved``, ``score`` (minus the BFS distance to the goal),
    ``initial_score``, ``steps``, ``bumps``, ``puzzle_index``.

    ## Version History
    * v0: initial version.
    """

    def __init__(self, layout: str = "maze5x5", **kwargs: Any) -> None:
        self.options = opts = parse_options(layout, **kwargs)
        space = observation_space(opts.mazes.size, opts.observation)
        super().__init__(NavigationBatch(opts, 1), space, len(opts.mazes), opts.render_mode)


class MazeVectorEnv(BatchVectorEnv):
    """Batched :class:`MazeEnv` (same MDP, kwargs and spaces; see :class:`BatchVectorEnv`)."""

    def __init__(self, num_envs: int = 1, layout: str = "maze5x5", **kwargs: Any) -> None:
        num_envs = check_num_envs(num_envs)
        self.options = opts = parse_options(layout, **kwargs)
        space = observation_space(opts.mazes.size, opts.observation)
        core = NavigationBatch(opts, num_envs)
        super().__init__(num_envs, core, space, len(opts.mazes), opts.render_mode)


__all__ = ["SPLITS", "MazeEnv", "MazeVectorEnv", "NavigationBatch", "parse_options"]
