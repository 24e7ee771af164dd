"""Seeded Sudoku puzzle generation and symmetry classes.

Puzzle ``i`` of a dataset is drawn from its own generator seeded by ``(seed, i)``, so any slice of a
dataset can be regenerated alone and the result is the same on every machine: the only draws are
``Generator.random`` doubles, turned into orders by ``argsort``. Wall-clock time never enters:
search effort is capped in solver nodes.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import permutations, product

import numpy as np

from envs.sudoku.core import geometry
from envs.sudoku.solver import SearchBudgetExceeded, random_complete_grid, search

UNIQUENESS_NODE_CAP = 20_000
"""Solver nodes allowed for one 'is this removal still unique?' check; over it, the clue stays."""


def puzzle_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of puzzle ``index`` of the dataset with ``seed``."""
    return np.random.default_rng(np.random.SeedSequence([seed, index]))


def _uniform_int(rng: np.random.Generator, low: int, high: int) -> int:
    """An int in ``[low, high]`` from one ``random()`` draw."""
    return low + int(rng.random() * (high - low + 1))


def dig_any(n: int, empties: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Random complete grid with a uniform number of empties in ``empties`` at random cells.

    No uniqueness: any checker-valid completion solves the puzzle (4x4 datasets).
    """
    grid = np.array(random_complete_grid(n, rng), dtype=np.int8)
    k = _uniform_int(rng, *empties)
    grid[np.argsort(rng.random(grid.size))[:k]] = 0
    return grid


def dig_unique(n: int, clues: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Random puzzle with a unique solution, dug towards a clue count drawn in ``clues``.

    Cells are tried in random order; a clue is removed only if no other completion then exists
    (checked by searching for a completion that avoids the removed digit). A check that exceeds
    :data:`UNIQUENESS_NODE_CAP` keeps the clue, so the reached clue count may stay above the
    target for the hardest band; the dataset card prints the real histogram.
    """
    grid = random_complete_grid(n, rng)
    target = _uniform_int(rng, *clues)
    remaining = len(grid)
    for cell in np.argsort(rng.random(len(grid))):
        if remaining <= target:
            break
        cell, digit = int(cell), grid[int(cell)]
        grid[cell] = 0
        try:
            other, _ = search(grid, limit=1, banned={cell: digit}, node_cap=UNIQUENESS_NODE_CAP)
        except SearchBudgetExceeded:
            other = 1
        if other:
            grid[cell] = digit
        else:
            remaining -= 1
    return np.array(grid, dtype=np.int8)


@lru_cache(maxsize=None)
def _geometric_symmetries(n: int) -> np.ndarray:
    """All ``(S, C)`` cell permutations from band/stack, row/column-within and transpose moves."""
    size = n * n
    line_orders = []
    for bands in permutations(range(n)):
        for inner in product(*[list(permutations(range(n)))] * n):
            line_orders.append([b * n + inner[i][j] for i, b in enumerate(bands) for j in range(n)])
    perms = []
    idx = np.arange(size * size).reshape(size, size)
    for rows in line_orders:
        for cols in line_orders:
            moved = idx[np.ix_(rows, cols)]
            perms.append(moved.ravel())
            perms.append(moved.T.ravel())
    return np.unique(np.array(perms), axis=0)


def _relabel_first_seen(grids: np.ndarray) -> np.ndarray:
    """Rename digits of each row of ``grids`` (``(S, C)``) in order of first appearance."""
    out = np.zeros_like(grids)
    for s, grid in enumerate(grids):
        names: dict[int, int] = {}
        for c, v in enumerate(grid):
            if v:
                out[s, c] = names.setdefault(int(v), len(names) + 1)
    return out


def symmetry_key(puzzle: np.ndarray, n: int) -> bytes:
    """Key shared by all puzzles in the symmetry class of ``puzzle`` (flat ``(C,)``).

    Symmetries: digit relabelling, band/stack permutations, row/column permutations within them,
    transpose. For 4x4 (``n == 2``) the key is the exact canonical form (lexicographic minimum over
    the class), so equal keys mean the same class. For 9x9 the class is far too large to
    enumerate; the key is an invariant (sorted per-clue features: the clue counts of its row and
    column as an unordered pair, of its box, and of its digit), so puzzles of one class always
    share it and different classes almost never do: splitting by it keeps classes disjoint.
    """
    puzzle = np.asarray(puzzle)
    if n == 2:
        transformed = _relabel_first_seen(puzzle[_geometric_symmetries(n)])
        return min(row.tobytes() for row in transformed.astype(np.int8))
    geo = geometry(n)
    present = puzzle > 0
    unit_counts = present[geo.unit_cells].sum(axis=1)  # (3N,)
    digit_counts = np.bincount(puzzle, minlength=geo.size + 1)
    feats = []
    for c in np.flatnonzero(present):
        r, k, b = unit_counts[geo.cell_units[c]]
        feats.append((min(r, k), max(r, k), b, digit_counts[puzzle[c]]))
    return np.array(sorted(feats), dtype=np.int16).tobytes()
