"""Perfect-maze generator and BFS against independent checks."""

import numpy as np
import pytest

from envs.maze.generator import MOVES, bfs_distances, perfect_maze, shortest_path_mask, start_and_goal


def free_edges(walls):
    """Pairs of orthogonally adjacent free cells."""
    free = ~walls
    return int((free[1:, :] & free[:-1, :]).sum() + (free[:, 1:] & free[:, :-1]).sum())


def relaxed_distances(walls, source):
    """Independent shortest paths: repeated relaxation until nothing changes."""
    inf = 10**9
    dist = np.full(walls.shape, inf)
    dist[source] = 0
    changed = True
    while changed:
        changed = False
        for r in range(walls.shape[0]):
            for c in range(walls.shape[1]):
                if walls[r, c]:
                    continue
                for dr, dc in MOVES:
                    nr, nc = r + dr, c + dc
                    if 0 <= nr < walls.shape[0] and 0 <= nc < walls.shape[1] and dist[nr, nc] + 1 < dist[r, c]:
                        dist[r, c] = dist[nr, nc] + 1
                        changed = True
    return np.where(dist >= inf, -1, dist)


@pytest.mark.parametrize("size", [5, 8, 9, 10])
def test_mazes_are_perfect_and_seeded(size):
    mazes = [perfect_maze(size, np.random.default_rng(seed)) for seed in range(20)]
    assert np.array_equal(mazes[0], perfect_maze(size, np.random.default_rng(0)))
    assert len({m.tobytes() for m in mazes}) > 10
    for walls in mazes:
        free = int((~walls).sum())
        assert free_edges(walls) == free - 1  # a tree: no cycle ...
        assert (bfs_distances(walls, (0, 0)) >= 0).sum() == free  # ... and connected


def test_bfs_matches_an_independent_search():
    rng = np.random.default_rng(3)
    for size in (5, 8, 10):
        walls = perfect_maze(size, rng)
        walls[1, 1] = not walls[1, 1]  # also a maze that is not perfect
        source = tuple(np.argwhere(~walls)[0])
        assert np.array_equal(bfs_distances(walls, source), relaxed_distances(walls, source))


def test_shortest_path_mask_is_a_shortest_contiguous_path():
    rng = np.random.default_rng(5)
    for _ in range(20):
        walls = perfect_maze(10, rng)
        start, goal = start_and_goal(walls, rng, min_distance=6)
        dist = bfs_distances(walls, start)
        assert dist[goal] >= 6
        mask = shortest_path_mask(walls, start, goal)
        assert mask[start] and mask[goal] and not (mask & walls).any()
        assert mask.sum() == dist[goal] + 1
        assert free_edges(~mask) == mask.sum() - 1  # the marked cells form one chain
    blocked = np.ones((5, 5), dtype=bool)
    blocked[0, 0] = blocked[4, 4] = False
    assert not shortest_path_mask(blocked, (0, 0), (4, 4)).any()
    with pytest.raises(ValueError, match="size >= 3"):
        perfect_maze(2, rng)
