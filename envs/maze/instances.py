"""Seeded maze instance sets (maze, start, goal) with disjoint train / val / test splits.

Every instance has its own seed ``(set seed, split, index)``, so a split is reproducible on its
own and does not change when another split grows. Test mazes are held out by *layout*: each wall
layout belongs to one split, decided by a hash of its walls (80% train, 10% val, 10% test), and a
draw whose layout belongs to another split is skipped. So no test maze was seen in training, not
even with another start and goal (a 5x5 lattice has only 192 perfect mazes: without this, every
test maze would be a training maze). Within a split, instances (walls, start, goal) are distinct.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import hashlib

import numpy as np

from envs.maze.generator import bfs_distances, perfect_maze, start_and_goal

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class LayoutSpec:
    """How the instances of a maze family are made.

    :param size: grid side ``S``.
    :param open_grid: no walls, start and goal in opposite corners (the TRM README's RL setting:
        one instance, repeated in every split).
    :param min_distance: least BFS distance from start to goal (perfect mazes).
    :param split_sizes: instances per split.
    """

    size: int
    open_grid: bool = False
    min_distance: int = 0
    split_sizes: tuple[tuple[str, int], ...] = (("train", 1000), ("val", 100), ("test", 100))


LAYOUTS: dict[str, LayoutSpec] = {
    "open5x5": LayoutSpec(5, open_grid=True, split_sizes=(("train", 1), ("val", 1), ("test", 1))),
    "maze5x5": LayoutSpec(5, min_distance=5),
    "maze8x8": LayoutSpec(8, min_distance=8),
    "maze10x10": LayoutSpec(10, min_distance=10),
    # the supervised path datasets, with the TRM README's split sizes (envs.maze.dataset)
    "paths8x8": LayoutSpec(8, min_distance=8, split_sizes=(("train", 300), ("val", 60), ("test", 30))),
    "paths10x10": LayoutSpec(10, min_distance=10, split_sizes=(("train", 500), ("val", 100), ("test", 50))),
}
"""Every maze family by name (the env ids map to these in :mod:`envs`)."""


@dataclass(frozen=True)
class MazeSet:
    """``N`` instances of one split; arrays lead with ``N``.

    :param walls: ``(N, S, S)`` bool, True = wall.
    :param start: ``(N, 2)`` int64 row, column.
    :param goal: ``(N, 2)`` int64 row, column.
    :param distance: ``(N, S, S)`` int64 BFS steps to the goal (``-1`` on walls).
    """

    walls: np.ndarray
    start: np.ndarray
    goal: np.ndarray
    distance: np.ndarray

    def __len__(self) -> int:
        return len(self.walls)

    @property
    def size(self) -> int:
        """Grid side ``S``."""
        return self.walls.shape[1]


LAYOUT_BUCKETS = {"train": range(0, 8), "val": range(8, 9), "test": range(9, 10)}
"""Split of a wall layout by ``layout_bucket`` (0-9)."""


def layout_bucket(walls: np.ndarray) -> int:
    """Bucket 0-9 of a wall layout: a hash of its bytes, so the same on every machine."""
    return hashlib.sha256(np.ascontiguousarray(walls).tobytes()).digest()[0] % 10


def _instance(spec: LayoutSpec, seed: int, split: str, index: int) -> tuple[np.ndarray, tuple, tuple]:
    rng = np.random.default_rng([seed, SPLITS.index(split), index])
    walls = perfect_maze(spec.size, rng)
    start, goal = start_and_goal(walls, rng, spec.min_distance)
    return walls, start, goal


@lru_cache(maxsize=32)
def _build(name: str, seed: int) -> dict[str, MazeSet]:
    spec = LAYOUTS[name]
    sets = {}
    for split, count in spec.split_sizes:
        items = []
        seen: set[bytes] = set()
        index = 0
        while len(items) < count:
            if index > 1000 * count:
                raise RuntimeError(f"{name}: cannot draw {count} distinct {split} instances")
            if spec.open_grid:
                s = spec.size - 1
                item = (np.zeros((spec.size, spec.size), dtype=bool), (0, 0), (s, s))
            else:
                item = _instance(spec, seed, split, index)
                index += 1
                key = item[0].tobytes() + bytes(item[1] + item[2])
                if key in seen or layout_bucket(item[0]) not in LAYOUT_BUCKETS[split]:
                    continue
                seen.add(key)
            items.append(item)
        walls = np.stack([w for w, _, _ in items])
        goal = np.array([g for _, _, g in items], dtype=np.int64)
        sets[split] = MazeSet(
            walls=walls,
            start=np.array([s for _, s, _ in items], dtype=np.int64),
            goal=goal,
            distance=np.stack([bfs_distances(w, tuple(g)) for w, g in zip(walls, goal)]),
        )
    return sets


def load_mazes(name: str, split: str = "train", seed: int = 0) -> MazeSet:
    """The ``split`` instances of maze family ``name`` for dataset seed ``seed``.

    :raises ValueError: unknown family, split or a negative / non-int seed.
    """
    if name not in LAYOUTS:
        raise ValueError(f"unknown maze family {name!r}; known: {sorted(LAYOUTS)}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return _build(name, int(seed))[split]


def layout_overlap(name: str, split: str = "test", seed: int = 0) -> float:
    """Share of ``split`` instances whose wall layout also occurs in the train split (0 for
    val and test by construction; 1 on the open grid, which has a single layout)."""
    train = {w.tobytes() for w in load_mazes(name, "train", seed).walls}
    return float(np.mean([w.tobytes() in train for w in load_mazes(name, split, seed).walls]))
