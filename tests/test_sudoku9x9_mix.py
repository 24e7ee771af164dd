"""The shipped 9x9 set reaches its designed clue mix (DESIGN section 2), every band unique."""

import numpy as np
import pytest

from envs.sudoku.dataset import DATASETS, PACKAGED_DATA, SPLITS, file_name, load
from envs.sudoku.generator import dig_unique, puzzle_rng
from envs.sudoku.solver import count_completions, count_solutions, random_complete_grid, search

BANDS = {(30, 35): 0.30, (24, 29): 0.40, (0, 23): 0.30}


def _independent_count(grid: list[int], limit: int = 2) -> int:
    """Solutions of a 9x9 grid up to ``limit``: plain set-based DFS, fewest candidates first."""
    cells = list(grid)
    peers = [
        {p for p in range(81) if p != c and (p // 9 == c // 9 or p % 9 == c % 9 or (p // 27, p % 9 // 3) == (c // 27, c % 9 // 3))} for c in range(81)
    ]

    def options(c):
        return set(range(1, 10)) - {cells[p] for p in peers[c]}

    def rec() -> int:
        empty = [c for c in range(81) if not cells[c]]
        if not empty:
            return 1
        c = min(empty, key=lambda e: len(options(e)))
        total = 0
        for d in sorted(options(c)):
            cells[c] = d
            total += rec()
            cells[c] = 0
            if total >= limit:
                break
        return total

    if any(v and v in {cells[p] for p in peers[c]} for c, v in enumerate(cells)):
        return 0
    return rec()


def test_packaged_file_is_the_current_version():
    spec = DATASETS["sudoku9x9"]
    assert spec.version >= 2
    assert (PACKAGED_DATA / file_name(spec, 0)).exists()
    assert sorted(p.name for p in PACKAGED_DATA.glob("sudoku9x9-seed0-*.npz")) == [file_name(spec, 0)]


@pytest.mark.parametrize("split", SPLITS)
def test_clue_mix_per_split_meets_the_design(split):
    clues = (load("sudoku9x9", 0).puzzles[split] > 0).sum(axis=1)
    assert clues.min() >= 17 and clues.max() <= 35
    for (low, high), share in BANDS.items():
        got = ((clues >= low) & (clues <= high)).mean()
        assert abs(got - share) <= 0.02, (split, low, high, got)


@pytest.mark.parametrize("split", SPLITS)
def test_a_sample_of_every_band_has_exactly_one_solution(split):
    puzzles = load("sudoku9x9", 0).puzzles[split]
    clues = (puzzles > 0).sum(axis=1)
    for low, high in BANDS:
        picked = np.flatnonzero((clues >= low) & (clues <= high))
        sample = picked[np.linspace(0, len(picked) - 1, 4).astype(int)]
        for i in sample:
            grid = puzzles[i].tolist()
            assert _independent_count(grid) == 1, (split, i)
            assert count_solutions(grid, limit=2) == 1, (split, i)


def test_fresh_digs_land_in_their_band_and_stay_unique():
    for index, band in enumerate(((30, 35), (24, 29), (17, 23))):
        puzzle = dig_unique(3, band, puzzle_rng(123, index))
        assert band[0] <= int((puzzle > 0).sum()) <= band[1]
        assert _independent_count(puzzle.tolist()) == 1


def test_exact_counter_agrees_with_the_plain_search():
    rng = np.random.default_rng(7)
    for n, keep in ((3, (20, 40)), (2, (0, 12))):
        for _ in range(60):
            grid = np.array(random_complete_grid(n, rng))
            k = int(rng.integers(*keep))
            grid[rng.permutation(grid.size)[k:]] = 0
            assert count_completions(grid.tolist(), limit=3) == search(grid.tolist(), limit=3)[0]
