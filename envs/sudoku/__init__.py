"""Sudoku plan editing: solver, generator, datasets, the batched core, single and vector envs."""
