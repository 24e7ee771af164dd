"""Exact bitmask Sudoku search: complete-grid sampling, solution counting, uniqueness checks.

Grids are flat sequences of ``N*N`` ints in row-major order, ``0`` for an empty cell and
``1..N`` for a digit, with ``N = n*n`` and box size ``n`` (2 for 4x4, 3 for 9x9).
The search is a depth-first search over the empty cells, always branching on the cell with the
fewest candidates (minimum remaining values), with one bitmask of used digits per row, column
and box. It is the generator's uniqueness oracle and the ``solver`` reference's engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np


class SearchBudgetExceeded(Exception):
    """Raised when a search visits more nodes than its ``node_cap``."""


@lru_cache(maxsize=None)
def _cell_units(n: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Row, column and box index of every cell of an ``n*n`` Sudoku (flat, row-major)."""
    size = n * n
    rows = tuple(c // size for c in range(size * size))
    cols = tuple(c % size for c in range(size * size))
    boxes = tuple((r // n) * n + k // n for r, k in zip(rows, cols))
    return rows, cols, boxes


def box_size(num_cells: int) -> int:
    """Box side ``n`` of a grid with ``num_cells = n**4`` cells (4x4 -> 2, 9x9 -> 3)."""
    n = round(num_cells**0.25)
    if n**4 != num_cells or n < 2:
        raise ValueError(f"a Sudoku grid has n**4 cells (16 or 81); got {num_cells}")
    return n


def search(
    grid: Sequence[int],
    *,
    limit: int = 1,
    banned: dict[int, int] | None = None,
    digit_order: np.ndarray | None = None,
    node_cap: int | None = None,
) -> tuple[int, list[int] | None]:
    """Count completions of ``grid`` up to ``limit`` and return the first one found.

    :param grid: flat clue grid of length ``N*N`` (0 = empty).
    :param limit: stop after this many solutions.
    :param banned: ``{cell: digit}`` digits forbidden in those (empty) cells.
    :param digit_order: ``(N*N, N)`` array of digits 1..N giving the order in which the search
        tries the digits of each cell (a random order samples a random completion); default
        ascending.
    :param node_cap: raise :class:`SearchBudgetExceeded` after this many search nodes.
    :return: ``(count, first_solution)``; ``count`` is 0 if the clues already break a rule.
    """
    num_cells = len(grid)
    n = box_size(num_cells)
    size = n * n
    full = (1 << size) - 1
    cell_row, cell_col, cell_box = _cell_units(n)
    rows, cols, boxes = [0] * size, [0] * size, [0] * size
    cells = list(grid)
    empties = []
    for c, v in enumerate(cells):
        if v:
            bit = 1 << (v - 1)
            r, k, b = cell_row[c], cell_col[c], cell_box[c]
            if (rows[r] | cols[k] | boxes[b]) & bit:
                return 0, None
            rows[r] |= bit
            cols[k] |= bit
            boxes[b] |= bit
        else:
            empties.append(c)
    ban_bits = {c: 1 << (d - 1) for c, d in (banned or {}).items()}
    order = None if digit_order is None else [[int(d) for d in row] for row in digit_order]
    found = 0
    first: list[int] | None = None
    nodes = 0

    def dfs(k: int) -> bool:
        nonlocal found, first, nodes
        if k == len(empties):
            found += 1
            if first is None:
                first = list(cells)
            return found >= limit
        nodes += 1
        if node_cap is not None and nodes > node_cap:
            raise SearchBudgetExceeded
        best_i, best_cand, best_count = k, 0, size + 1
        for i in range(k, len(empties)):
            c = empties[i]
            cand = full & ~(rows[cell_row[c]] | cols[cell_col[c]] | boxes[cell_box[c]])
            cand &= ~ban_bits.get(c, 0)
            count = cand.bit_count()
            if count < best_count:
                best_i, best_cand, best_count = i, cand, count
                if count <= 1:
                    break
        if best_count == 0:
            return False
        empties[k], empties[best_i] = empties[best_i], empties[k]
        c = empties[k]
        r, col, b = cell_row[c], cell_col[c], cell_box[c]
        digits = order[c] if order is not None else range(1, size + 1)
        for d in digits:
            bit = 1 << (d - 1)
            if not best_cand & bit:
                continue
            rows[r] |= bit
            cols[col] |= bit
            boxes[b] |= bit
            cells[c] = d
            stop = dfs(k + 1)
            rows[r] ^= bit
            cols[col] ^= bit
            boxes[b] ^= bit
            cells[c] = 0
            if stop:
                return True
        return False

    dfs(0)
    return found, first


def solve(grid: Sequence[int], node_cap: int | None = None) -> list[int] | None:
    """Return one completion of ``grid`` (the exact-solver ceiling), or None if it has none."""
    return search(grid, limit=1, node_cap=node_cap)[1]


def count_solutions(grid: Sequence[int], limit: int = 2, node_cap: int | None = None) -> int:
    """Number of completions of ``grid``, counted up to ``limit`` (2 answers 'unique?')."""
    return search(grid, limit=limit, node_cap=node_cap)[0]


def random_complete_grid(n: int, rng: np.random.Generator) -> list[int]:
    """Sample a complete valid ``n*n`` Sudoku grid by randomised backtracking.

    Only ``rng.random`` is drawn (one ``(N*N, N)`` block), so the grid is reproducible from the
    generator's seed.
    """
    size = n * n
    digit_order = np.argsort(rng.random((size * size, size)), axis=1) + 1
    grid = search([0] * (size * size), limit=1, digit_order=digit_order)[1]
    assert grid is not None  # an empty grid always has a completion
    return grid
