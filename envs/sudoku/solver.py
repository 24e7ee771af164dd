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
    """Number of completions of ``grid``, counted up to ``limit`` (2 answers 'unique?').

    Exact: without ``node_cap`` it never gives up. Uncapped counts use the propagating engine
    (:func:`count_completions`); a capped count keeps the plain search and its node semantics.
    """
    if node_cap is not None:
        return search(grid, limit=limit, node_cap=node_cap)[0]
    return count_completions(grid, limit=limit)


@lru_cache(maxsize=None)
def _peers(n: int) -> tuple[tuple[int, ...], ...]:
    """The cells sharing a row, column or box with each cell (the cell itself excluded)."""
    rows, cols, boxes = _cell_units(n)
    num = len(rows)
    return tuple(tuple(p for p in range(num) if p != c and (rows[p] == rows[c] or cols[p] == cols[c] or boxes[p] == boxes[c])) for c in range(num))


@lru_cache(maxsize=None)
def _unit_lists(n: int) -> tuple[tuple[int, ...], ...]:
    """The cells of every row, column and box."""
    rows, cols, boxes = _cell_units(n)
    size = n * n
    units = []
    for idx in (rows, cols, boxes):
        for u in range(size):
            units.append(tuple(c for c in range(len(idx)) if idx[c] == u))
    return tuple(units)


_POPCOUNT = tuple(bin(m).count("1") for m in range(1 << 9))


def _propagate(cand: list[int], queue: list[int], peers: tuple[tuple[int, ...], ...]) -> bool:
    """Remove the digit of every single-candidate cell in ``queue`` from its peers (naked
    singles, to a fixed point); False on a contradiction (a cell with no candidate left)."""
    while queue:
        c = queue.pop()
        bit = cand[c]
        for p in peers[c]:
            m = cand[p]
            if m & bit:
                m ^= bit
                if not m:
                    return False
                cand[p] = m
                if not m & (m - 1):
                    queue.append(p)
    return True


def _hidden_singles(cand: list[int], units, peers, full: int) -> bool | None:
    """Fix every digit that has one place left in a unit; None on a contradiction, else
    whether anything changed (propagated)."""
    changed = False
    for unit in units:
        once = twice = 0
        for c in unit:
            m = cand[c]
            twice |= once & m
            once |= m
        if once != full:
            return None
        lone = once & ~twice
        if not lone:
            continue
        for c in unit:
            m = cand[c]
            hit = m & lone
            if hit:
                if hit & (hit - 1):
                    return None  # two digits that each need this cell
                if m != hit:
                    cand[c] = hit
                    changed = True
                    if not _propagate(cand, [c], peers):
                        return None
    return changed


def count_completions(grid: Sequence[int], limit: int = 2, banned: dict[int, int] | None = None) -> int:
    """Exact number of completions of ``grid`` up to ``limit``, never giving up.

    Candidate bitmasks per cell with naked- and hidden-single propagation and branching on the
    cell with the fewest candidates; ``banned`` (``{cell: digit}``) forbids digits in empty cells.
    """
    num_cells = len(grid)
    n = box_size(num_cells)
    size = n * n
    full = (1 << size) - 1
    peers = _peers(n)
    cand = [full] * num_cells
    queue = []
    for c, v in enumerate(grid):
        if v:
            cand[c] = 1 << (int(v) - 1)
            queue.append(c)
    # clues that already clash: two clues of one digit in a unit
    for c in queue:
        bit = cand[c]
        for p in peers[c]:
            if grid[p] and cand[p] == bit:
                return 0
    for c, d in (banned or {}).items():
        cand[c] &= ~(1 << (d - 1))
        if not cand[c]:
            return 0
        if not cand[c] & (cand[c] - 1):
            queue.append(c)
    if not _propagate(cand, queue, peers):
        return 0
    return _count_from_candidates(cand, limit, n)


def _count_from_candidates(cand: list[int], limit: int, n: int, hidden: bool = True) -> int:
    """Completions (up to ``limit``) of a consistent candidate grid whose single-candidate cells
    are already propagated; ``hidden`` adds hidden-single propagation at every node."""
    num_cells = len(cand)
    size = n * n
    full = (1 << size) - 1
    peers = _peers(n)
    units = _unit_lists(n)
    pop = _POPCOUNT if size <= 9 else None

    def rec(cand: list[int]) -> int:
        while hidden:
            res = _hidden_singles(cand, units, peers, full)
            if res is None:
                return 0
            if not res:
                break
        best, best_count = -1, size + 1
        for c in range(num_cells):
            m = cand[c]
            if m & (m - 1):
                k = pop[m] if pop is not None else m.bit_count()
                if k < best_count:
                    best, best_count = c, k
                    if k == 2:
                        break
        if best < 0:
            return 1
        m = cand[best]
        total = 0
        while m:
            bit = m & -m
            m ^= bit
            new = cand[:]
            new[best] = bit
            if _propagate(new, [best], peers):
                total += rec(new)
                if total >= limit:
                    return total
        return total

    return min(rec(list(cand)), limit)


def other_completion_exists(grid: Sequence[int], rows: Sequence[int], cols: Sequence[int], boxes: Sequence[int], cell: int, digit: int) -> bool:
    """Whether the consistent ``grid`` (empty ``cell``) has a completion with ``cell != digit``.

    ``rows``/``cols``/``boxes`` are the used-digit bitmasks of the grid's clues. Exact, no cap.
    """
    n = box_size(len(grid))
    size = n * n
    full = (1 << size) - 1
    cell_row, cell_col, cell_box = _cell_units(n)
    cand = [0] * len(grid)
    queue = []
    for c, v in enumerate(grid):
        if v:
            cand[c] = 1 << (v - 1)
        else:
            m = full & ~(rows[cell_row[c]] | cols[cell_col[c]] | boxes[cell_box[c]])
            if c == cell:
                m &= ~(1 << (digit - 1))
            if not m:
                return False
            cand[c] = m
            if not m & (m - 1):
                queue.append(c)
    if not _propagate(cand, queue, _peers(n)):
        return False
    return _count_from_candidates(cand, 1, n, hidden=False) > 0


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
