"""Supervised maze datasets: solvable, perfect, seeded, disjoint, varied; the legacy ones degenerate."""

import numpy as np
import pytest

from envs.maze.dataset import SPLIT_SIZES, dataset_stats, load_path_dataset

SIZES = sorted(SPLIT_SIZES)
SPLITS = ("train", "val", "test")


def neighbours(cell, shape):
    r, c = cell
    for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
        if 0 <= nr < shape[0] and 0 <= nc < shape[1]:
            yield nr, nc


def reachable(allowed, source):
    """Independent search: iterative DFS over the ``allowed`` cells from ``source``."""
    seen = {tuple(source)}
    stack = [tuple(source)]
    while stack:
        for nxt in neighbours(stack.pop(), allowed.shape):
            if allowed[nxt] and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def free_components(walls):
    """Independent connectivity: union-find over adjacent free cells; returns the number of roots."""
    parent = {tuple(c): tuple(c) for c in np.argwhere(~walls)}

    def root(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for cell in parent:
        for nxt in neighbours(cell, walls.shape):
            if nxt in parent:
                parent[root(cell)] = root(nxt)
    return len({root(c) for c in parent})


def keys(ds):
    return {ds.walls[i].tobytes() + ds.start[i].tobytes() + ds.goal[i].tobytes() for i in range(len(ds))}


@pytest.mark.parametrize("size", SIZES)
def test_corrected_targets_are_the_tree_path(size):
    for split in SPLITS:
        ds = load_path_dataset(size, split)
        assert len(ds) == SPLIT_SIZES[size][split]
        for walls, start, goal, path in zip(ds.walls, ds.start, ds.goal, ds.path):
            start, goal = tuple(start), tuple(goal)
            assert path[start] and path[goal] and not (path & walls).any()
            assert goal in reachable(path, start)  # the marked cells connect start to goal
            degree = {cell: sum(path[n] for n in neighbours(cell, path.shape)) for cell in map(tuple, np.argwhere(path))}
            ends = [cell for cell, d in degree.items() if d == 1]
            assert sorted(ends) == sorted([start, goal])  # a simple chain: the unique path of the tree
            assert all(d in (1, 2) for d in degree.values())


@pytest.mark.parametrize("size", SIZES)
def test_corrected_mazes_are_perfect(size):
    for walls in load_path_dataset(size, "train").walls:
        free = ~walls
        edges = int((free[1:] & free[:-1]).sum() + (free[:, 1:] & free[:, :-1]).sum())
        assert edges == free.sum() - 1
        assert free_components(walls) == 1


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("size", SIZES)
def test_seeded(size, legacy):
    a, b = load_path_dataset(size, "val", seed=3, legacy=legacy), load_path_dataset(size, "val", seed=3, legacy=legacy)
    for field in ("walls", "start", "goal", "path"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.walls, load_path_dataset(size, "val", seed=4, legacy=legacy).walls)


@pytest.mark.parametrize("size", SIZES)
def test_corrected_splits_are_disjoint_and_varied(size):
    split_keys = {split: keys(load_path_dataset(size, split)) for split in SPLITS}
    assert not split_keys["train"] & split_keys["val"]
    assert not split_keys["train"] & split_keys["test"]
    assert not split_keys["val"] & split_keys["test"]
    for split in SPLITS:
        stats = dataset_stats(load_path_dataset(size, split))
        assert len(split_keys[split]) == stats["n"]
        assert stats["distinct_targets"] >= 0.9 * stats["n"]
        assert stats["empty_target_fraction"] == 0.0 and stats["zero_exact_acc"] == 0.0
        assert stats["mean_path_length"] >= size + 1  # start and goal at least `size` steps apart


def test_legacy_10x10_walls_in_the_goal():
    for split in SPLITS:
        ds = load_path_dataset(10, split, legacy=True)
        assert (ds.start == (1, 1)).all() and (ds.goal == (8, 8)).all()
        assert not ds.path.any()  # every target is empty ...
        for walls in ds.walls:
            assert (8, 8) not in reachable(~walls, (1, 1))  # ... because the goal is unreachable
        stats = dataset_stats(ds)
        assert stats["empty_target_fraction"] == 1.0 and stats["zero_per_cell_acc"] == 1.0


def test_legacy_8x8_targets_are_all_the_same_border_path():
    border = np.zeros((8, 8), dtype=bool)
    border[0, :] = border[:, 7] = True  # right along the top row, then down the right column
    for split in SPLITS:
        ds = load_path_dataset(8, split, legacy=True)
        assert (ds.path == border).all()
        assert not ds.walls[:, 0].any() and not ds.walls[:, -1].any()
        assert not ds.walls[:, :, 0].any() and not ds.walls[:, :, -1].any()
        assert dataset_stats(ds)["distinct_targets"] == 1
        assert len({w.tobytes() for w in ds.walls}) > 0.9 * len(ds)  # varied inputs, one answer


def test_inputs_encode_walls_start_and_goal():
    ds = load_path_dataset(8, "test")
    x = ds.inputs()
    assert x.shape == (len(ds), 3, 8, 8) and x.dtype == np.float32
    assert np.array_equal(x[:, 0] == 1, ds.walls)
    for i in range(len(ds)):
        assert np.argwhere(x[i, 1]).tolist() == [ds.start[i].tolist()]
        assert np.argwhere(x[i, 2]).tolist() == [ds.goal[i].tolist()]


@pytest.mark.parametrize("size, split", [(9, "train"), (5, "test"), (8, "training"), (10, "valid")])
def test_bad_size_or_split(size, split):
    with pytest.raises(ValueError, match=r"\[8, 10\]|\['test', 'train', 'val'\]"):
        load_path_dataset(size, split)
