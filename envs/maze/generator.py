"""Seeded perfect mazes on a cell lattice, and breadth-first search over their free cells.

A maze is an ``(S, S)`` bool grid, ``True`` = wall. Lattice cells sit at even coordinates
``(0, 2, 4, ...)``; a randomised depth-first search opens the wall cell between two lattice
cells when it first moves between them, so the free cells form a tree (a *perfect* maze: exactly
one path between any two free cells). For even ``S`` the last row and column stay walls.
"""

from __future__ import annotations

from collections import deque

import numpy as np

MOVES = np.array([(-1, 0), (0, 1), (1, 0), (0, -1)])
"""Up, right, down, left: the action order of the navigation envs."""


def perfect_maze(size: int, rng: np.random.Generator, root: tuple[int, int] | None = None) -> np.ndarray:
    """A random perfect maze of ``size x size`` cells (``size >= 3``), ``True`` = wall.

    :param root: lattice cell the search starts from; None draws it from ``rng``. (A fixed
        corner root gives far fewer distinct mazes: 14 on a 5x5 grid in 3000 draws, against 88
        with a random root.)
    """
    if size < 3:
        raise ValueError(f"a maze needs size >= 3, got {size}")
    walls = np.ones((size, size), dtype=bool)
    lattice = (size + 1) // 2
    visited = np.zeros((lattice, lattice), dtype=bool)
    start = root if root is not None else (int(rng.integers(lattice)), int(rng.integers(lattice)))
    visited[start] = True
    walls[2 * start[0], 2 * start[1]] = False
    stack = [start]
    while stack:
        r, c = stack[-1]
        options = [
            (r + dr, c + dc)
            for dr, dc in MOVES[np.argsort(rng.random(4))]
            if 0 <= r + dr < lattice and 0 <= c + dc < lattice and not visited[r + dr, c + dc]
        ]
        if not options:
            stack.pop()
            continue
        nr, nc = options[0]
        visited[nr, nc] = True
        walls[2 * nr, 2 * nc] = False
        walls[r + nr, c + nc] = False  # the wall cell between (2r, 2c) and (2nr, 2nc)
        stack.append((nr, nc))
    return walls


def bfs_distances(walls: np.ndarray, source: tuple[int, int]) -> np.ndarray:
    """Steps from ``source`` to every cell through free cells (``-1``: unreachable or wall)."""
    dist = np.full(walls.shape, -1, dtype=np.int64)
    if walls[source]:
        return dist
    dist[source] = 0
    queue = deque([source])
    while queue:
        r, c = queue.popleft()
        for dr, dc in MOVES:
            nr, nc = r + dr, c + dc
            if 0 <= nr < walls.shape[0] and 0 <= nc < walls.shape[1] and not walls[nr, nc] and dist[nr, nc] < 0:
                dist[nr, nc] = dist[r, c] + 1
                queue.append((nr, nc))
    return dist


def shortest_path_mask(walls: np.ndarray, start: tuple[int, int], goal: tuple[int, int]) -> np.ndarray:
    """``(S, S)`` bool mask of the cells on a shortest start -> goal path (both ends included);
    all False if the goal is unreachable. In a perfect maze the path is unique."""
    to_goal = bfs_distances(walls, goal)
    mask = np.zeros(walls.shape, dtype=bool)
    if to_goal[start] < 0:
        return mask
    r, c = start
    mask[r, c] = True
    while (r, c) != tuple(goal):
        for dr, dc in MOVES:
            nr, nc = r + dr, c + dc
            if 0 <= nr < walls.shape[0] and 0 <= nc < walls.shape[1] and to_goal[nr, nc] == to_goal[r, c] - 1:
                r, c = nr, nc
                break
        mask[r, c] = True
    return mask


def start_and_goal(
    walls: np.ndarray, rng: np.random.Generator, min_distance: int
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Random free start, then a random free goal at BFS distance >= ``min_distance`` from it
    (the farthest cell if none is that far)."""
    free = np.argwhere(~walls)
    start = tuple(int(v) for v in free[int(rng.random() * len(free))])
    dist = bfs_distances(walls, start)
    far = np.argwhere(dist >= min_distance)
    if len(far) == 0:
        far = np.argwhere(dist == dist.max())
    goal = tuple(int(v) for v in far[int(rng.random() * len(far))])
    return start, goal
