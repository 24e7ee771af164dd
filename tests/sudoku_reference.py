"""Independent brute-force Sudoku rules, written with plain loops, to check the incremental core."""

from __future__ import annotations

import numpy as np


def units_of(size: int, n: int) -> list[list[int]]:
    """Every row, column and box as a list of flat cell indices."""
    rows = [[r * size + c for c in range(size)] for r in range(size)]
    cols = [[r * size + c for r in range(size)] for c in range(size)]
    boxes = [
        [(br + i) * size + bc + j for i in range(n) for j in range(n)]
        for br in range(0, size, n)
        for bc in range(0, size, n)
    ]
    return rows + cols + boxes


def brute_checker(grid: np.ndarray, n: int, rules: str = "suite") -> dict[str, int]:
    """filled, violations (equal pairs in a unit; the poster's rules: k - 1 for k copies), dead (empty
    cells with no free digit), score."""
    size = n * n
    units = units_of(size, n)
    values = [int(v) for v in grid]
    violations = 0
    for unit in units:
        if rules != "suite":  # the poster's rule sets
            digits = [values[c] for c in unit if values[c]]
            violations += len(digits) - len(set(digits))
            continue
        for i, a in enumerate(unit):
            for b in unit[i + 1 :]:
                if values[a] and values[a] == values[b]:
                    violations += 1
    dead = 0
    for cell in range(size * size):
        if values[cell]:
            continue
        seen = {values[p] for unit in units if cell in unit for p in unit}
        if all(d in seen for d in range(1, size + 1)):
            dead += 1
    filled = sum(v > 0 for v in values)
    return {
        "filled": filled,
        "violations": violations,
        "dead": dead,
        "score": filled - 2 * violations - 5 * dead,
    }


def brute_solved(grid: np.ndarray, n: int) -> bool:
    """Complete and every unit holds each digit exactly once."""
    size = n * n
    if any(int(v) == 0 for v in grid):
        return False
    return all(sorted(int(grid[c]) for c in unit) == list(range(1, size + 1)) for unit in units_of(size, n))


def brute_legal(clues: np.ndarray, grid: np.ndarray, n: int, masking: str, rules: str = "suite") -> np.ndarray:
    """The legal set of a regime, ``(N**3,)`` bool, from the rules in the env docstring."""
    size = n * n
    units = units_of(size, n)
    legal = np.zeros((size * size, size), dtype=bool)
    for cell in range(size * size):
        if clues[cell]:
            continue
        seen = {int(grid[p]) for unit in units if cell in unit for p in unit}  # the cell's own digit too
        if masking == "none" or (masking == "cell" and rules != "suite"):
            legal[cell] = True
        elif masking == "cell":
            legal[cell] = [d != grid[cell] for d in range(1, size + 1)]
        elif masking == "constraint-edit" or grid[cell] == 0:
            legal[cell] = [d not in seen for d in range(1, size + 1)]
    return legal.ravel()


def brute_candidate_counts(grid: np.ndarray, n: int) -> list[int | None]:
    """Per cell, the number of digits absent from its row, column and box; None for a filled cell."""
    size = n * n
    units = units_of(size, n)
    counts: list[int | None] = []
    for cell in range(size * size):
        if grid[cell]:
            counts.append(None)
            continue
        seen = {int(grid[p]) for unit in units if cell in unit for p in unit}
        counts.append(sum(1 for d in range(1, size + 1) if d not in seen))
    return counts
