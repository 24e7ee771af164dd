"""The ceiling of the maze tables: breadth-first search on the maze read from the observation.

On the navigation envs it steps to a neighbour one BFS step closer to the goal; on the
path-editing envs it first unmarks a marked cell off the shortest path, then marks the path
cell nearest the start that is still unmarked. No training, no parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from agents.references import _Reference
from agents.registry import register
from envs import family
from envs.maze.generator import MOVES, bfs_distances, shortest_path_mask


def _cell(mask: np.ndarray) -> tuple[int, int]:
    r, c = np.argwhere(mask)[0]
    return int(r), int(c)


def navigation_move(walls: np.ndarray, agent: np.ndarray, goal: np.ndarray) -> int:
    """Move (index into :data:`MOVES`) one BFS step closer to the goal (0 at the goal)."""
    to_goal = bfs_distances(walls, _cell(goal))
    r, c = _cell(agent)
    size = walls.shape[0]
    for move, (dr, dc) in enumerate(MOVES):
        nr, nc = r + dr, c + dc
        if 0 <= nr < size and 0 <= nc < size and 0 <= to_goal[nr, nc] < to_goal[r, c]:
            return move
    return 0


def path_toggle(walls: np.ndarray, start: np.ndarray, goal: np.ndarray, plan: np.ndarray) -> int:
    """Cell to toggle: a wrong mark first, else the unmarked path cell nearest the start."""
    path = shortest_path_mask(walls, _cell(start), _cell(goal))
    wrong = np.flatnonzero((plan & ~path).ravel())
    if wrong.size:
        return int(wrong[0])
    missing = np.flatnonzero((path & ~plan).ravel())
    if not missing.size:
        return 0
    to_start = bfs_distances(walls, _cell(start)).ravel()
    return int(missing[np.argmin(to_start[missing])])


@register("shortest-path")
class ShortestPath(_Reference):
    """The maze ceiling: follows (or marks) the BFS shortest path read from the observation."""

    env_families = ("maze", "maze_path")

    def __init__(self) -> None:
        super().__init__()
        self.family = "maze"

    def learn(
        self,
        env_id: str,
        env_kwargs: dict[str, Any],
        total_steps: int,
        seed: int,
        callback: Callable[[int], None] | None = None,
    ) -> None:
        """Nothing to learn; remembers which kind of maze env it plays."""
        super().learn(env_id, env_kwargs, total_steps, seed, callback)
        self.family = family(env_id)

    def save(self, path: Path) -> None:
        """Write the seed and the env family."""
        super().save(path)
        (Path(path) / "family.txt").write_text(self.family)

    def load(self, path: Path) -> None:
        """Read the seed and the env family back."""
        super().load(path)
        self.family = (Path(path) / "family.txt").read_text()

    def predict(self, obs: np.ndarray, action_mask: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """One action per row."""
        obs = np.asarray(obs)
        if self.family == "maze_path":
            size = int(round((obs.shape[1] / 4) ** 0.5))
            planes = obs.reshape(len(obs), 4, size, size).astype(bool)
            return np.array([path_toggle(p[0], p[1], p[2], p[3]) for p in planes])
        if obs.dtype == np.float32:  # the README's encoding: agent 1.0, goal 0.5, no walls
            size = int(round(obs.shape[1] ** 0.5))
            grids = obs.reshape(len(obs), size, size)
            return np.array([navigation_move(np.zeros_like(g, dtype=bool), g == 1.0, g == 0.5) for g in grids])
        size = int(round((obs.shape[1] / 3) ** 0.5))
        planes = obs.reshape(len(obs), 3, size, size).astype(bool)
        return np.array([navigation_move(p[0], p[1], p[2]) for p in planes])
