"""Seeded Sudoku puzzle generation and symmetry classes.

Puzzle ``i`` of a dataset is drawn from its own generator seeded by ``(seed, i)``, so any slice of a
dataset can be regenerated alone and the result is the same on every machine: the only draws are
``Generator.random`` doubles, turned into orders by ``argsort``. Wall-clock time never enters,
and no uniqueness check has a node cap: each one is exact.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import permutations, product

import numpy as np

from envs.sudoku.core import geometry
from envs.sudoku.solver import _cell_units, box_size, other_completion_exists, random_complete_grid

DIG_ATTEMPTS_PER_GRID = 8
"""Digs (fresh random cell orders) tried on one complete grid before drawing a new grid."""
RETRY_MARGIN = 12
"""A failed dig is retried from its own state at ``high + RETRY_MARGIN`` clues (unique), in a
fresh random order: the cheap early removals are not redone."""
DIG_ATTEMPTS_MAX = 400
"""Digs after which :func:`dig_unique` gives up with an error (never reached in practice)."""


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


def _dig_once(grid: list[int], target: int, order: np.ndarray, snapshot_at: int = -1) -> tuple[list[int], list[int] | None]:
    """Remove clues of ``grid`` (uniquely solvable) in ``order`` while the solution stays unique.

    A clue is removed only if no completion then avoids its digit, decided by the exact
    :func:`other_completion_exists` (no node cap: it never gives up, so no check can accept wrongly).
    A removal whose cell is left with its own digit as its only candidate is unique at once.
    Stops when ``target`` clues remain or every cell was tried (a minimal puzzle). Returns the
    puzzle and a copy of it taken when ``snapshot_at`` clues remained (None if never).
    """
    n = box_size(len(grid))
    rows_of, cols_of, boxes_of = _cell_units(n)
    size = n * n
    full = (1 << size) - 1
    puzzle = list(grid)
    rows, cols, boxes = [0] * size, [0] * size, [0] * size
    for c, v in enumerate(puzzle):
        if not v:
            continue
        bit = 1 << (v - 1)
        rows[rows_of[c]] |= bit
        cols[cols_of[c]] |= bit
        boxes[boxes_of[c]] |= bit
    remaining = sum(1 for v in puzzle if v)
    snapshot = None
    for cell in order:
        if remaining == snapshot_at and snapshot is None:
            snapshot = list(puzzle)
        if remaining <= target:
            break
        cell = int(cell)
        digit = puzzle[cell]
        if not digit:
            continue
        bit = 1 << (digit - 1)
        r, k, b = rows_of[cell], cols_of[cell], boxes_of[cell]
        rows[r] ^= bit
        cols[k] ^= bit
        boxes[b] ^= bit
        puzzle[cell] = 0
        if full & ~(rows[r] | cols[k] | boxes[b]) != bit and other_completion_exists(puzzle, rows, cols, boxes, cell, digit):
            puzzle[cell] = digit  # another completion exists: the clue stays
            rows[r] |= bit
            cols[k] |= bit
            boxes[b] |= bit
        else:
            remaining -= 1
    return puzzle, snapshot


def dig_unique(n: int, clues: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Random puzzle with a unique solution and a clue count in ``clues`` (inclusive).

    A clue target is drawn uniformly in the band; the complete grid is dug in a random cell
    order (:func:`_dig_once`). A dig that ends above the band (the puzzle became minimal first)
    is retried with a fresh order from the first dig's state at ``high + RETRY_MARGIN`` clues,
    and after :data:`DIG_ATTEMPTS_PER_GRID` failures on a fresh complete grid, so every puzzle
    lands in its band; every removal is checked exactly.
    """
    low, high = clues
    grid = random_complete_grid(n, rng)
    target = _uniform_int(rng, low, high)
    start = grid
    for attempt in range(DIG_ATTEMPTS_MAX):
        if attempt and attempt % DIG_ATTEMPTS_PER_GRID == 0:
            start = grid = random_complete_grid(n, rng)
        fresh = start is grid
        puzzle, snapshot = _dig_once(start, target, np.argsort(rng.random(len(grid))), high + RETRY_MARGIN if fresh else -1)
        remaining = sum(1 for v in puzzle if v)
        if low <= remaining <= high:
            return np.array(puzzle, dtype=np.int8)
        if fresh and snapshot is not None:
            start = snapshot
    raise RuntimeError(f"no puzzle with {low}..{high} clues after {DIG_ATTEMPTS_MAX} digs")


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
