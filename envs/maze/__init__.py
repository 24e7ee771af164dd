"""Mazes: seeded perfect-maze generator and BFS (envs and datasets build on these)."""
