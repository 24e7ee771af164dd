"""Supervised maze datasets: (maze, start, goal) -> mask of the cells on the shortest path.

Two settings per maze size (8 and 10), with the split sizes of the TRM repository README:

* **corrected** (default): the maze instances ``paths8x8`` / ``paths10x10`` of
  :mod:`envs.maze.instances` (perfect mazes, start and goal at BFS distance >= ``size``, test
  and val layouts held out from train, no repeated instance in a split); the target is the
  unique start -> goal path.
* **legacy** (``legacy=True``): the source's own generators, re-implemented from what its scripts
  do, degeneracy included (DESIGN section 8), so their 100% can be shown for what it is:

  - 8x8 (experiments/simple_maze_comparison.py, ``SimpleMazeDataset``): an open grid with 5-14
    obstacle draws at rows and columns 1..S-2 (repeats allowed), start (0, 0), goal (S-1, S-1),
    target the BFS path. The border is never blocked, so every target is the same top-row,
    right-column path.
  - 10x10 (experiments/maze_comparison.py, ``MazeGenerator``): a randomised DFS carving odd cells
    1..S-3 of an all-wall grid, start (1, 1), goal (S-2, S-2) opened afterwards. Row and column
    S-2 are never carved, so the goal is walled in and every target is empty.

  In both, the source's first-found BFS path coincides with :func:`shortest_path_mask` (which
  prefers up, right, down, left from the start): the 8x8 target is the unique all-right-then-down
  path along the free border, and the 10x10 goal is unreachable. The source draws from the
  global, unseeded numpy RNG; here item ``i`` of a split has its own seed ``(seed, size, split, i)``.

Model input (both settings, as in both source scripts): channels wall (1 = wall), start marker,
goal marker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from envs.maze.generator import perfect_maze, shortest_path_mask
from envs.maze.instances import LAYOUTS, load_mazes

SPLIT_SIZES: dict[int, dict[str, int]] = {
    size: dict(LAYOUTS[f"paths{size}x{size}"].split_sizes) for size in (8, 10)
}
"""Mazes per split and size: 300/60/30 (8x8) and 500/100/50 (10x10) train/val/test, as built
by experiments/simple_maze_comparison.py and experiments/maze_comparison.py of the TRM
repository (the sizes live in :data:`envs.maze.instances.LAYOUTS`)."""
_SPLIT_CODES = {"train": 0, "val": 1, "test": 2}


@dataclass(frozen=True)
class PathDataset:
    """``N`` mazes of ``size x size`` cells with their shortest-path targets.

    :param walls: ``(N, S, S)`` bool, ``True`` = wall.
    :param start: ``(N, 2)`` int64 start cells (row, column).
    :param goal: ``(N, 2)`` int64 goal cells.
    :param path: ``(N, S, S)`` bool, cells on the shortest start -> goal path (all False if none).
    :param size: maze side ``S``.
    :param split: ``train``, ``val`` or ``test``.
    :param legacy: built by the source's generators instead of ours.
    """

    walls: np.ndarray
    start: np.ndarray
    goal: np.ndarray
    path: np.ndarray
    size: int
    split: str
    legacy: bool

    def __len__(self) -> int:
        return len(self.walls)

    def inputs(self) -> np.ndarray:
        """``(N, 3, S, S)`` float32 model input: wall, start-marker and goal-marker channels."""
        x = np.zeros((len(self), 3, self.size, self.size), dtype=np.float32)
        x[:, 0] = self.walls
        rows = np.arange(len(self))
        x[rows, 1, self.start[:, 0], self.start[:, 1]] = 1.0
        x[rows, 2, self.goal[:, 0], self.goal[:, 1]] = 1.0
        return x


def _item_rng(seed: int, size: int, split: str, index: int) -> np.random.Generator:
    """The generator of one legacy item: seeded from ``(seed, size, split, index)``."""
    return np.random.default_rng(np.random.SeedSequence([seed, size, _SPLIT_CODES[split], index]))


def _legacy_item(size: int, rng: np.random.Generator) -> tuple[np.ndarray, tuple, tuple]:
    """One maze of the source's generator for ``size`` (see the module docstring)."""
    if size == 8:
        walls = np.zeros((size, size), dtype=bool)
        for _ in range(rng.integers(5, 15)):
            walls[tuple(rng.integers(1, size - 1, 2))] = True
        return walls, (0, 0), (size - 1, size - 1)
    # Carving odd cells 1..S-3 of an all-wall S x S grid is our lattice generator on S-2 cells
    # shifted by one: lattice cells (1, 3, .., S-3), last inner row and column left as walls.
    walls = np.ones((size, size), dtype=bool)
    walls[1:-1, 1:-1] = perfect_maze(size - 2, rng, root=(0, 0))
    goal = (size - 2, size - 2)
    walls[goal] = False
    return walls, (1, 1), goal


def _check(size: int, split: str) -> None:
    if size not in SPLIT_SIZES:
        raise ValueError(f"maze size must be one of {sorted(SPLIT_SIZES)}, got {size!r}")
    if split not in _SPLIT_CODES:
        raise ValueError(f"split must be one of {sorted(_SPLIT_CODES)}, got {split!r}")


def _pack(items: list[tuple[np.ndarray, tuple, tuple]], size: int, split: str, legacy: bool) -> PathDataset:
    walls = np.stack([w for w, _, _ in items])
    start = np.array([s for _, s, _ in items], dtype=np.int64)
    goal = np.array([g for _, _, g in items], dtype=np.int64)
    path = np.stack([shortest_path_mask(w, s, g) for w, s, g in items])
    return PathDataset(walls, start, goal, path, size, split, legacy)


def load_path_dataset(size: int, split: str, seed: int = 0, legacy: bool = False) -> PathDataset:
    """The ``split`` of the ``size x size`` path dataset for ``seed`` (built in memory, < 1 s).

    :param size: 8 or 10.
    :param split: ``train``, ``val`` or ``test`` (sizes in :data:`SPLIT_SIZES`).
    :param seed: dataset seed.
    :param legacy: the source's degenerate generators instead of ours.
    """
    _check(size, split)
    if legacy:
        items = [_legacy_item(size, _item_rng(seed, size, split, i)) for i in range(SPLIT_SIZES[size][split])]
        return _pack(items, size, split, legacy=True)
    mazes = load_mazes(f"paths{size}x{size}", split, seed)
    items = [(w, tuple(st), tuple(g)) for w, st, g in zip(mazes.walls, mazes.start, mazes.goal)]
    return _pack(items, size, split, legacy=False)


def dataset_stats(ds: PathDataset) -> dict[str, float | int]:
    """Summary of a dataset's targets, and what the all-zero predictor scores on it.

    Keys: ``n``, ``distinct_targets``, ``empty_target_fraction``, ``mean_path_length`` (cells,
    both ends included), ``path_cell_fraction`` (share of all cells on a path),
    ``zero_per_cell_acc`` (= 1 - path_cell_fraction) and ``zero_exact_acc`` (= share of empty
    targets).
    """
    n = len(ds)
    lengths = ds.path.reshape(n, -1).sum(axis=1)
    empty = float((lengths == 0).mean())
    path_fraction = float(ds.path.mean())
    return {
        "n": n,
        "distinct_targets": len({p.tobytes() for p in ds.path}),
        "empty_target_fraction": empty,
        "mean_path_length": float(lengths.mean()),
        "path_cell_fraction": path_fraction,
        "zero_per_cell_acc": 1.0 - path_fraction,
        "zero_exact_acc": empty,
    }
