"""Reference policies that make every table readable: the floor and hand-written ceilings.

They need no training (``learn`` only records the seed) and have no parameters. Each reads the
Sudoku board back from the observation (one-hot clue and plan per cell, see ``SudokuEnv``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from agents.registry import register
from envs.sudoku.core import geometry, legal_digits, start_states
from envs.sudoku.lookahead import decode_boards, one_step_lookahead
from envs.sudoku.solver import solve


def sample_masked(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Uniform random action among the ``True`` entries of each row of ``mask`` (``(B, A)``).

    A row with no ``True`` entry yields action 0 (the env treats it as an illegal no-op).
    Returns ``(B,)`` int64.
    """
    return np.argmax(mask * rng.random(mask.shape, dtype=np.float32), axis=1)


def candidates(grid: np.ndarray, n: int) -> np.ndarray:
    """``(B, C, N)`` bool: digits absent from the row, column and box of each empty cell."""
    return legal_digits(start_states(grid, n).cand, grid == 0, geometry(n))


class _Reference:
    """Shared no-training part of the references."""

    def __init__(self) -> None:
        self.seed = 0

    def learn(
        self,
        env_id: str,
        env_kwargs: dict[str, Any],
        total_steps: int,
        seed: int,
        callback: Callable[[int], None] | None = None,
    ) -> None:
        """Nothing to learn; remembers ``seed``."""
        self.seed = seed

    def save(self, path: Path) -> None:
        """Write the seed (all the state a reference has)."""
        Path(path).mkdir(parents=True, exist_ok=True)
        (Path(path) / "reference.json").write_text(json.dumps({"seed": self.seed}))

    def load(self, path: Path) -> None:
        """Read the seed back."""
        self.seed = json.loads((Path(path) / "reference.json").read_text())["seed"]

    def num_params(self) -> int:
        """References have no parameters."""
        return 0

    def steps_done(self) -> int:
        """References use no environment transitions to learn."""
        return 0


@register("random-masked")
class RandomMasked(_Reference):
    """Uniform over the legal actions of the mask: the floor of every table."""

    def __init__(self) -> None:
        super().__init__()
        self._rng = np.random.default_rng(0)

    def learn(self, env_id: str, env_kwargs: dict[str, Any], total_steps: int, seed: int, callback: Callable[[int], None] | None = None) -> None:
        """Seed the action sampler."""
        super().learn(env_id, env_kwargs, total_steps, seed, callback)
        self._rng = np.random.default_rng(seed)

    def predict(self, obs: np.ndarray, action_mask: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """A uniform legal action per row (random even when ``deterministic``: it is the floor)."""
        return sample_masked(action_mask, self._rng)


@register("most-constrained")
class MostConstrained(_Reference):
    """Fill the empty cell with the fewest digits left (ties: first cell) with its smallest digit.

    A classic ten-line heuristic: a learned agent that cannot beat it has learned less.
    If no empty cell has a digit left, it falls back to the first action of the mask.
    """

    env_families = ("sudoku",)

    def predict(self, obs: np.ndarray, action_mask: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Most-constrained-cell action per row."""
        _, grid, n = decode_boards(obs)
        cand = candidates(grid, n)
        count = cand.sum(axis=2)
        count = np.where(count == 0, n**4 + 1, count)
        cell = np.argmin(count, axis=1)
        rows = np.arange(len(grid))
        digit = np.argmax(cand[rows, cell], axis=1)
        stuck = count[rows, cell] > n**4
        return np.where(stuck, np.argmax(action_mask, axis=1), cell * n * n + digit)


@register("checker-greedy")
class CheckerGreedy(_Reference):
    """One-step lookahead: the legal action with the highest shaped reward (ties: lowest id).

    Every legal action of every state is tried on a copy of the board in a batched
    :class:`SudokuBatch` under the env's masking regime (read from ``env_kwargs`` at ``learn``),
    (:func:`envs.sudoku.lookahead.one_step_lookahead`), so the reward is exactly the env's,
    horizon aside. Each try is a checker call, counted in
    ``checker_calls``.
    """

    env_families = ("sudoku",)

    def __init__(self) -> None:
        super().__init__()
        self.masking = "constraint"
        self.rules = "suite"
        self.reward = "shaped"
        self.checker_calls = 0

    def learn(self, env_id: str, env_kwargs: dict[str, Any], total_steps: int, seed: int, callback: Callable[[int], None] | None = None) -> None:
        """Remember the masking regime, rule set and reward variant the lookahead must reproduce."""
        super().learn(env_id, env_kwargs, total_steps, seed, callback)
        self.masking = env_kwargs.get("masking", "constraint")
        self.rules = env_kwargs.get("rules", "suite")
        self.reward = env_kwargs.get("reward", "shaped")

    def predict(self, obs: np.ndarray, action_mask: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Greedy action per row (action 0 for a row with an empty mask)."""
        ahead = one_step_lookahead(obs, action_mask, self.masking, rules=self.rules, reward=self.reward)
        self.checker_calls += len(ahead.state)
        num_states = len(action_mask)
        best = np.full(num_states, -np.inf)
        np.maximum.at(best, ahead.state, ahead.reward)
        first_best = np.full(num_states, np.iinfo(np.int64).max)
        is_best = ahead.reward == best[ahead.state]
        np.minimum.at(first_best, ahead.state[is_best], ahead.action[is_best])
        return np.where(np.isfinite(best), first_best, 0)


@register("solver")
class ExactSolver(_Reference):
    """The ceiling: solves the clue grid exactly, then writes the solution one cell per step.

    The first empty cell whose plan digit differs from the solution is written next. Solutions
    are computed from the clues alone (never stored in the dataset) and cached per clue grid.
    """

    env_families = ("sudoku",)

    def __init__(self) -> None:
        super().__init__()
        self._solutions: dict[bytes, np.ndarray] = {}

    def predict(self, obs: np.ndarray, action_mask: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Next solution digit per row (first mask action if the clues have no solution)."""
        clues, grid, n = decode_boards(obs)
        size = n * n
        actions = np.argmax(action_mask, axis=1)
        for b, (clue_row, plan_row) in enumerate(zip(clues, grid)):
            key = clue_row.tobytes()
            if key not in self._solutions:
                found = solve(clue_row.tolist())
                self._solutions[key] = np.array(found if found is not None else [], dtype=np.int8)
            solution = self._solutions[key]
            if solution.size:
                wrong = np.flatnonzero(plan_row != solution)
                if wrong.size:
                    cell = int(wrong[0])
                    actions[b] = cell * size + int(solution[cell]) - 1
        return actions
