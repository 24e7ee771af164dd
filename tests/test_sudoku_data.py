"""Seeded Sudoku datasets: determinism, disjoint splits, uniqueness, cache corruption."""

import numpy as np
import pytest

from envs.sudoku import dataset
from envs.sudoku.dataset import DATASETS, SPLITS, build, load
from envs.sudoku.generator import symmetry_key
from envs.sudoku.solver import count_solutions, search
from tests.sudoku_reference import brute_solved


def test_small_sets_are_identical_for_a_seed_and_differ_across_seeds():
    spec = DATASETS["sudoku4x4-hard"]
    assert build(spec, 5, progress=False).digest() == build(spec, 5, progress=False).digest()
    assert build(spec, 5, progress=False).digest() != build(spec, 6, progress=False).digest()


def test_packaged_9x9_set_regenerates_from_its_seed():
    """A slice of every split rebuilt from (seed, pool index) equals the committed file."""
    spec = DATASETS["sudoku9x9"]
    stored = load("sudoku9x9", 0)
    for split in SPLITS:
        for i in range(3):
            j = int(stored.pool_index[split][i])
            assert np.array_equal(spec.puzzle(0, j), stored.puzzles[split][i]), (split, i)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_splits_have_the_promised_sizes_and_are_disjoint(name):
    spec = DATASETS[name]
    puzzle_set = load(name, 0)
    rows = {s: {p.tobytes() for p in puzzle_set.puzzles[s]} for s in SPLITS}
    for s, size in zip(SPLITS, spec.split_sizes):
        assert len(rows[s]) == size == len(puzzle_set.puzzles[s])
    assert not (rows["train"] & rows["test"]) and not (rows["train"] & rows["val"])
    assert not (rows["val"] & rows["test"])
    if spec.class_disjoint:
        sample = {s: puzzle_set.puzzles[s][:300] for s in SPLITS}
        keys = {s: {symmetry_key(p, spec.n) for p in sample[s]} for s in SPLITS}
        train_keys = {symmetry_key(p, spec.n) for p in puzzle_set.puzzles["train"]}
        assert not (keys["test"] & train_keys) and not (keys["val"] & train_keys)
        assert not (keys["test"] & keys["val"])


@pytest.mark.parametrize("name,low,high", [("sudoku4x4-easy", 1, 4), ("sudoku4x4-hard", 6, 8)])
def test_4x4_empties_in_band_and_every_puzzle_solvable(name, low, high):
    for split, puzzles in load(name, 0).puzzles.items():
        empties = (puzzles == 0).sum(axis=1)
        assert empties.min() >= low and empties.max() <= high, split
        for p in puzzles:
            solution = search(p.tolist(), limit=1)[1]
            assert solution is not None and brute_solved(np.array(solution), 2)


def test_9x9_puzzles_have_unique_solutions_and_clues_in_range():
    puzzles = load("sudoku9x9", 0).puzzles["test"]
    clues = (puzzles > 0).sum(axis=1)
    assert clues.min() >= 17 and clues.max() <= 35
    for p in puzzles[::50]:
        assert count_solutions(p.tolist(), limit=2) == 1


def test_symmetry_key_is_invariant_under_the_symmetries():
    rng = np.random.default_rng(0)
    for name in ("sudoku4x4-hard", "sudoku9x9"):
        spec = DATASETS[name]
        size = spec.n**2
        p = load(name, 0).puzzles["test"][0].reshape(size, size)
        relabel = np.concatenate([[0], rng.permutation(size) + 1])
        bands = rng.permutation(spec.n)
        rows = np.concatenate([b * spec.n + rng.permutation(spec.n) for b in bands])
        moved = relabel[p][rows][:, ::-1].T  # relabel, permute rows, mirror columns, transpose
        assert not np.array_equal(moved, p)
        assert symmetry_key(moved.ravel(), spec.n) == symmetry_key(p.ravel(), spec.n)


def test_corrupt_cache_is_detected_and_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("TRM_BENCH_CACHE", str(tmp_path))
    load.cache_clear()
    first = load("sudoku4x4-easy", 11)
    path = tmp_path / dataset.file_name(DATASETS["sudoku4x4-easy"], 11)
    assert path.exists()
    path.write_bytes(path.read_bytes()[:100])  # truncated file
    load.cache_clear()
    with pytest.warns(UserWarning, match="rebuilding"):
        again = load("sudoku4x4-easy", 11)
    assert again.digest() == first.digest()
    assert dataset.read(DATASETS["sudoku4x4-easy"], 11, path).digest() == first.digest()
    load.cache_clear()


def test_tampered_cache_fails_its_digest(tmp_path):
    spec = DATASETS["sudoku4x4-easy"]
    good = build(spec, 3, progress=False)
    good.puzzles["test"][0, 0] = (good.puzzles["test"][0, 0] % 4) + 1  # silent change
    path = tmp_path / "x.npz"
    np.savez(path, **{s: good.puzzles[s] for s in SPLITS},
             **{f"{s}_index": good.pool_index[s] for s in SPLITS},
             seed=3, version=spec.version, digest="0" * 64)
    with pytest.raises(ValueError, match="digest"):
        dataset.read(spec, 3, path)


def test_solver_counts_multiple_solutions():
    empty = [0] * 16
    assert count_solutions(empty, limit=2) == 2
    assert count_solutions([1, 1] + [0] * 14) == 0


def test_self_consistent_but_foreign_file_is_caught(tmp_path):
    """A file whose digest matches its own (wrong) contents is still refused."""
    spec = DATASETS["sudoku4x4-easy"]
    good = build(spec, 3, progress=False)
    puzzles = {s: good.puzzles[s].copy() for s in SPLITS}
    puzzles["test"][0] = good.puzzles["test"][1]
    path = tmp_path / "foreign.npz"
    dataset.save(dataset.PuzzleSet(spec, 3, puzzles, good.pool_index), path)
    with pytest.raises(ValueError, match="does not regenerate"):
        dataset.read(spec, 3, path)
