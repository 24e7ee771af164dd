"""Batched plan-editing Sudoku: the one implementation behind the single and the vector env.

``SudokuBatch`` holds ``B`` episodes as numpy arrays with the batch axis first and applies a
batch of edits at once. Every quantity is updated incrementally: an edit changes one cell, so only
the counts of its three units and the candidates of its peers are recomputed, never the board.

The MDP (DESIGN section 2):

* instance ``x`` = clue grid, plan ``y`` = current grid, ``y0 = x``;
* action ``a = cell * N + (digit - 1)`` in ``Discrete(N**3)``; clues never change;
* checker ``c(x, y) = filled - 2 * violations - 5 * dead`` where ``violations`` counts pairs of
  equal digits sharing a row, column or box, and ``dead`` counts empty cells with no digit left
  that breaks no rule;
* reward: see :func:`shaped_reward`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

GAMMA = 0.99
"""Discount of the potential-based shaping (and of the MDP)."""
SOLVE_BONUS = 1.0
"""Base reward r0 of the step that solves the puzzle."""
INVALID_PENALTY = 1.0
"""A step whose action is outside the legal set is a no-op with base reward ``-INVALID_PENALTY``."""
VIOLATION_WEIGHT = 2
DEAD_WEIGHT = 5
MASKINGS = ("constraint", "cell", "none")
"""Masking regimes: the legal set of actions, and the mask shown to the agent (DESIGN section 2)."""


@dataclass(frozen=True)
class Geometry:
    """Index tables of an ``N x N`` Sudoku with ``n x n`` boxes (``N = n*n``).

    Units are numbered rows ``0..N-1``, columns ``N..2N-1``, boxes ``2N..3N-1``.
    """

    n: int
    size: int  # N, digits 1..N
    num_cells: int  # C = N*N
    num_actions: int  # C*N
    cell_units: np.ndarray  # (C, 3) int64: row, column and box unit of each cell
    peers: np.ndarray  # (C, P) int64: the cells sharing a unit with each cell, itself included
    unit_cells: np.ndarray  # (3N, N) int64: the cells of each unit
    digit_bits: np.ndarray  # (N,) int32: 1 << (digit - 1)


@lru_cache(maxsize=None)
def geometry(n: int) -> Geometry:
    """Index tables for box size ``n`` (2 for 4x4, 3 for 9x9)."""
    size = n * n
    cells = np.arange(size * size)
    rows, cols = cells // size, cells % size
    boxes = (rows // n) * n + cols // n
    cell_units = np.stack([rows, size + cols, 2 * size + boxes], axis=1)
    unit_cells = np.stack([np.flatnonzero((cell_units == u).any(1)) for u in range(3 * size)])
    peers = np.stack(
        [np.unique(unit_cells[cell_units[c]].ravel()) for c in range(size * size)]
    )
    return Geometry(
        n=n,
        size=size,
        num_cells=size * size,
        num_actions=size**3,
        cell_units=cell_units,
        peers=peers,
        unit_cells=unit_cells,
        digit_bits=(1 << np.arange(size)).astype(np.int32),
    )


def checker_score(filled: np.ndarray, violations: np.ndarray, dead: np.ndarray) -> np.ndarray:
    """Feasibility checker ``c = filled - 2*violations - 5*dead`` (the shaping potential Phi)."""
    return filled - VIOLATION_WEIGHT * violations - DEAD_WEIGHT * dead


def shaped_reward(
    phi_before: np.ndarray,
    phi_after: np.ndarray,
    valid: np.ndarray,
    solved: np.ndarray,
    failed: np.ndarray,
    c_max: float,
) -> np.ndarray:
    """Reward of one transition, the single place where the convention lives.

    ``r = r0 + GAMMA * Phi(s') - Phi(s)`` with ``Phi = c`` and

    * ``r0 = 0`` for a legal edit, ``-INVALID_PENALTY`` for an action outside the legal set
      (a no-op: ``s' = s``);
    * ``r0 = +SOLVE_BONUS`` on the step that solves the puzzle (terminal);
    * on failure (horizon exhausted or no legal move left, unsolved) the episode enters an
      absorbing state of potential 0 with ``r0 = -C_max``: ``r = -C_max - Phi(s)``.

    Hence the discounted return of an episode ``s_0 .. s_T`` telescopes to
    ``sum_t GAMMA**t r0_t + GAMMA**T Phi(s_T) - Phi(s_0)`` when solved and to
    ``sum_{t<T-1} GAMMA**t r0_t - GAMMA**(T-1) C_max - Phi(s_0)`` when failed.

    All arguments are ``(B,)`` arrays; returns ``(B,)`` float32.
    """
    base = np.where(valid, 0.0, -INVALID_PENALTY) + np.where(solved, SOLVE_BONUS, 0.0)
    reward = base + GAMMA * phi_after - phi_before
    reward = np.where(failed, -c_max - phi_before, reward)
    return reward.astype(np.float32)


def validate_actions(actions: object, batch_size: int, num_actions: int) -> np.ndarray:
    """Return ``actions`` as a ``(batch_size,)`` int64 array or raise a clear error.

    :raises TypeError: non-integer actions.
    :raises ValueError: wrong shape, or an action id outside ``[0, num_actions)``.
    """
    arr = np.asarray(actions)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"actions must be integers in [0, {num_actions}), got dtype {arr.dtype}")
    if arr.size != batch_size or arr.ndim > 1:
        raise ValueError(f"expected {batch_size} action(s), got shape {arr.shape}")
    arr = arr.reshape(batch_size).astype(np.int64, copy=False)
    bad = (arr < 0) | (arr >= num_actions)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"action {arr[i]} (env {i}) is outside Discrete({num_actions})")
    return arr


class SudokuBatch:
    """``B`` plan-editing Sudoku episodes updated in place, batch axis first.

    :param n: box size (2 for 4x4, 3 for 9x9).
    :param batch_size: number of episodes ``B``.
    :param masking: one of :data:`MASKINGS`.
    :param horizon: edits per episode before failure.
    :param horizon_truncates: report horizon exhaustion as truncation (plain shaped reward, no
        failure value) instead of a terminal failure.
    """

    def __init__(
        self, n: int, batch_size: int, masking: str, horizon: int, horizon_truncates: bool = False
    ) -> None:
        if masking not in MASKINGS:
            raise ValueError(f"masking must be one of {MASKINGS}, got {masking!r}")
        geo = self.geo = geometry(n)
        self.masking = masking
        self.horizon = horizon
        self.horizon_truncates = horizon_truncates
        self.c_max = float(geo.num_cells)
        B, C, N = batch_size, geo.num_cells, geo.size
        self.batch_size = B
        self._full = np.int32((1 << N) - 1)
        self.clues = np.zeros((B, C), dtype=np.int8)
        self.grid = np.zeros((B, C), dtype=np.int8)
        self.counts = np.zeros((B, 3 * N, N), dtype=np.int16)  # digit count per unit
        self.unit_bits = np.zeros((B, 3 * N), dtype=np.int32)  # digits present per unit
        self.cand = np.zeros((B, C), dtype=np.int32)  # digits absent from all units of a cell
        self.legal = np.zeros((B, C, N), dtype=bool)  # legal set under the regime
        self.obs = np.zeros((B, C, 2 * N), dtype=np.int8)  # one-hot clue | one-hot plan
        self.filled = np.zeros(B, dtype=np.int64)
        self.violations = np.zeros(B, dtype=np.int64)
        self.dead = np.zeros(B, dtype=np.int64)
        self.steps = np.zeros(B, dtype=np.int64)
        self.initial_score = np.zeros(B, dtype=np.int64)
        self._shown_mask = np.ones((B, geo.num_actions), dtype=bool)

    # ------------------------------------------------------------------ views
    def score(self) -> np.ndarray:
        """Checker score ``c`` of every episode, ``(B,)`` int64."""
        return checker_score(self.filled, self.violations, self.dead)

    def solved(self) -> np.ndarray:
        """``(B,)`` bool: every cell filled and no rule broken."""
        return (self.filled == self.geo.num_cells) & (self.violations == 0)

    def action_mask(self) -> np.ndarray:
        """Mask shown to the agent, ``(B, N**3)`` bool (a view; copy before keeping it)."""
        if self.masking == "none":
            return self._shown_mask
        return self.legal.reshape(self.batch_size, -1)

    def observation(self) -> np.ndarray:
        """Flat one-hot observation, ``(B, C * 2N)`` int8 (a view; copy before keeping it)."""
        return self.obs.reshape(self.batch_size, -1)

    def info(self) -> dict[str, np.ndarray]:
        """Per-episode ``(B,)`` arrays of the env ``info``: ``solved``, ``score`` (checker c),
        ``initial_score`` (c of the clue grid), ``violations``, ``dead``, ``filled``, ``steps``."""
        return {
            "solved": self.solved(),
            "score": self.score(),
            "initial_score": self.initial_score.copy(),
            "violations": self.violations.copy(),
            "dead": self.dead.copy(),
            "filled": self.filled.copy(),
            "steps": self.steps.copy(),
        }

    def has_legal_move(self) -> np.ndarray:
        """``(B,)`` bool: the legal set is not empty (always true outside ``constraint``)."""
        if self.masking != "constraint":
            return np.ones(self.batch_size, dtype=bool)
        return ((self.grid == 0) & (self.cand != 0)).any(axis=1)

    # ------------------------------------------------------------------ reset
    def load(self, rows: np.ndarray, clues: np.ndarray) -> None:
        """Start new episodes from ``clues`` (``(len(rows), C)``) in batch ``rows``."""
        geo, N = self.geo, self.geo.size
        rows = np.asarray(rows, dtype=np.int64)
        clues = np.asarray(clues, dtype=np.int8)
        self.clues[rows] = clues
        self.grid[rows] = clues
        onehot = (clues[:, :, None] == np.arange(1, N + 1, dtype=np.int8)).astype(np.int16)
        counts = onehot[:, geo.unit_cells].sum(axis=2)  # (k, 3N, N)
        self.counts[rows] = counts
        self.unit_bits[rows] = (counts > 0).astype(np.int32) @ geo.digit_bits
        self.filled[rows] = (clues > 0).sum(axis=1)
        self.violations[rows] = (counts * (counts - 1) // 2).sum(axis=(1, 2))
        self.steps[rows] = 0
        self.obs[rows, :, :N] = onehot
        self.obs[rows, :, N:] = onehot
        cells = np.arange(geo.num_cells)
        self._refresh_cells(rows[:, None], np.broadcast_to(cells, (len(rows), geo.num_cells)))
        if self.masking != "constraint":
            self.legal[rows] = (clues == 0)[:, :, None]
        self.dead[rows] = self._dead_count(rows[:, None], cells)
        self.initial_score[rows] = self.score()[rows]

    # ------------------------------------------------------------------ step
    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Apply one action per episode.

        An episode ends solved (terminated), stuck with no legal move (terminated, failure) or
        at the horizon (terminated as a failure, or truncated if ``horizon_truncates``).

        :param actions: ``(B,)`` integer actions in ``[0, N**3)`` (already range-checked).
        :return: ``(reward, terminated, truncated)``, each ``(B,)``.
        """
        geo = self.geo
        actions = actions.astype(np.int64, copy=False)
        batch = np.arange(self.batch_size)
        cell, digit = actions // geo.size, (actions % geo.size + 1).astype(np.int8)
        flat_legal = self.legal.reshape(self.batch_size, -1)
        valid = flat_legal[batch, actions]
        phi_before = self.score()
        changed = np.flatnonzero(valid & (self.grid[batch, cell] != digit))
        if changed.size:
            self._edit(changed, cell[changed], digit[changed])
        self.steps += 1
        phi_after = self.score()
        solved = self.solved()
        stuck = ~solved & ~self.has_legal_move()
        out_of_time = ~solved & ~stuck & (self.steps >= self.horizon)
        truncated = out_of_time if self.horizon_truncates else np.zeros_like(out_of_time)
        failed = stuck | (out_of_time & ~truncated)
        reward = shaped_reward(phi_before, phi_after, valid, solved, failed, self.c_max)
        return reward, solved | failed, truncated

    def _edit(self, rows: np.ndarray, cell: np.ndarray, digit: np.ndarray) -> None:
        """Write ``digit`` into ``cell`` of episodes ``rows`` (legal, state-changing edits)."""
        geo, N = self.geo, self.geo.size
        r = rows[:, None]
        units = geo.cell_units[cell]  # (k, 3)
        peers = geo.peers[cell]  # (k, P)
        old = self.grid[rows, cell]
        dead_before = self._dead_count(r, peers)
        had = np.flatnonzero(old > 0)
        if had.size:  # overwrite (cell / none regimes): take the old digit out first
            rh, uh, dh = rows[had, None], units[had], (old[had] - 1)[:, None]
            self.counts[rh, uh, dh] -= 1
            left = self.counts[rh, uh, dh]
            self.violations[rows[had]] -= left.sum(axis=1)
            self.unit_bits[rh, uh] &= ~np.where(left == 0, geo.digit_bits[dh], 0)
            self.filled[rows[had]] -= 1
            self.obs[rows[had], cell[had], N + old[had] - 1] = 0
        d = (digit - 1)[:, None]
        self.violations[rows] += self.counts[r, units, d].sum(axis=1)
        self.counts[r, units, d] += 1
        self.unit_bits[r, units] |= geo.digit_bits[d]
        self.filled[rows] += 1
        self.grid[rows, cell] = digit
        self.obs[rows, cell, N + digit - 1] = 1
        self._refresh_cells(r, peers)
        self.dead[rows] += self._dead_count(r, peers) - dead_before

    def _dead_count(self, rows: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """Number of dead cells (empty, no candidate) among ``cells`` of each row, ``(k,)``."""
        return ((self.grid[rows, cells] == 0) & (self.cand[rows, cells] == 0)).sum(axis=-1)

    def _refresh_cells(self, rows: np.ndarray, cells: np.ndarray) -> None:
        """Recompute candidates (and the constraint mask) of ``cells`` (``(k, P)``) in ``rows``."""
        units = self.geo.cell_units[cells]  # (k, P, 3)
        used = self.unit_bits[rows[..., None], units]
        cand = self._full & ~(used[..., 0] | used[..., 1] | used[..., 2])
        self.cand[rows, cells] = cand
        if self.masking == "constraint":
            empty = self.grid[rows, cells] == 0
            bits = (cand[..., None] & self.geo.digit_bits) != 0
            self.legal[rows, cells] = bits & empty[..., None]
