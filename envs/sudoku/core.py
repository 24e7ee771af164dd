"""Batched plan-editing Sudoku: the one implementation behind the single and the vector env.

``SudokuBatch`` holds ``B`` episodes as numpy arrays with the batch axis first and applies a
batch of edits at once. Every quantity is updated incrementally: an edit changes one cell, so only
the counts of its three units and the candidates of its peers are recomputed, never the board.

The MDP (DESIGN section 2):

* instance ``x`` = clue grid, plan ``y`` = current grid, ``y0 = x``;
* action ``a = cell * N + (digit - 1)`` in ``Discrete(N**3)``; clues never change;
* checker ``c(x, y) = filled - 2 * violations - 5 * dead`` where ``violations`` counts, in every
  row, column and box, the pairs of equal digits it holds (a pair sharing a row and a box counts
  twice, once per unit; under ``rules="poster"``: ``k - 1`` for a unit holding ``k`` copies of a
  digit), and ``dead`` counts empty cells with no digit absent from their row, column and box;
* reward: see :func:`shaped_reward` (``reward="progress"``: the failing step keeps the credit of
  its final score);
* observation: the one-hot clue | plan grid, optionally followed by the shown mask or one-hot
  candidate counts (:data:`OBSERVATIONS`, :func:`observation_size`).

Rule sets (``rules``, DESIGN section 2): ``"suite"`` (the default, above) and two versions of
the MDP of the UPI-TRM poster's public code (gopeshh/trm_bellman), re-derived independently:
``k - 1`` violations (``rl/sudoku_utils.py``, ``count_sudoku_violations_*``), no "no legal move"
ending (``rl/envs/plan_edit_env.py``, ``PlanEditEnv.step``: the episode runs to the horizon), a
masked action a no-op without penalty (``external_baselines/sudoku4x4_env.py``), and the ``cell``
mask offering a cell's current digit (a rewrite that changes nothing). The two differ only in
the reward of the terminal step (``plan_edit_env.compute_transition_reward``):

* ``"poster"``: shaped like every other step, ``r0 + gamma*Phi(s') - Phi(s)``, as in the
  ``plan_edit_env.py`` stored at the commits of the configs behind the poster's claims (6065a6e,
  the 4x4 Hard config ``upi_trm_feasibility_persistent_z_no_contraction_no_mask.yaml``; 8884572,
  ``configs/sudoku9x9/upi_trm_9x9.yaml``): the MDP the claims rest on;
* ``"poster-folded"``: ``r0 - Phi(s)``, the absorbing value folded into the last reward, as the
  code reads today (commits 5377a39, 0b0d79a).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np

from envs.batched import Lookahead

GAMMA = 0.99
"""Discount of the potential-based shaping (and of the MDP)."""
SOLVE_BONUS = 1.0
"""Base reward r0 of the step that solves the puzzle."""
INVALID_PENALTY = 1.0
"""A step whose action is outside the legal set is a no-op with base reward ``-INVALID_PENALTY``."""
VIOLATION_WEIGHT = 2
DEAD_WEIGHT = 5
MASKINGS = ("constraint", "constraint-edit", "cell", "none")
"""Masking regimes: the legal set of actions, and the mask shown to the agent (DESIGN section 2).
``constraint``: empty non-clue cells, digits absent from their row, column and box;
``constraint-edit`` (the poster code's ``SudokuConstraintTracker``, ``rl/task_config.py``): any
non-clue cell, filled or not, with a digit absent from its row, column and box (the cell's own
digit counts, so it is never offered again): a filled cell may be overwritten; ``cell``: any
non-clue cell, any digit but the one it holds (``rules="poster"``: that one too); ``none``: the
``cell`` set, every action shown."""
RULES = ("suite", "poster", "poster-folded")
"""Rule sets of the MDP (see the module docstring)."""
REWARDS = ("shaped", "progress")
"""Reward variants (:func:`shaped_reward`): ``shaped``, the MDP's own; ``progress``, the failing step
shaped like any other, so a failure keeps the credit of its final score (``rules="suite"`` only)."""
OBSERVATIONS = ("grid", "grid+mask", "grid+candidates")
"""Observation layouts (:func:`observation_size`): the one-hot clue | plan grid, alone or followed by
the shown action mask or by each empty cell's candidate count, one-hot."""
POSTER_RULES = ("poster", "poster-folded")
"""The rule sets of the poster's code: its checker, masks and endings (they differ in one reward)."""
REWARD = (
    f"r = r0 + {GAMMA:g}*Phi(s') - Phi(s), Phi = checker c = filled - {VIOLATION_WEIGHT}*violations - "
    f"{DEAD_WEIGHT}*dead; r0 = +{SOLVE_BONUS:g} on solve, -{INVALID_PENALTY:g} for an action outside the "
    "legal set (a no-op); failure (horizon, or no legal move left) is terminal: r = -C_max - Phi(s)"
)
"""One line naming the reward of :func:`shaped_reward` (read by :func:`envs.facts`)."""


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
    peer_units: np.ndarray  # (C, P, 3) int64: cell_units of each peer
    unit_cells: np.ndarray  # (3N, N) int64: the cells of each unit
    digit_bits: np.ndarray  # (N,) int32: 1 << (digit - 1)
    digits: np.ndarray  # (N,) int8: 1..N
    # per action a = cell * N + (digit - 1), precomputed so an edit needs few numpy calls:
    action_cell: np.ndarray  # (A,) int64
    action_digit: np.ndarray  # (A,) int8
    action_peers: np.ndarray  # (A, P) int64: peers of the cell
    action_self: np.ndarray  # (A,) int64: position of the cell in its peers row
    action_counts: np.ndarray  # (A, 3) int64: offsets of (unit, digit) in a (3N, N) count table
    action_obs: np.ndarray  # (A,) int64: offset of the plan one-hot entry in a (C, 2N) obs
    action_peer_legal: np.ndarray  # (A, P) int64: actions writing the digit into each peer
    action_clear: np.ndarray  # (A,) int32: ~(1 << (digit - 1))


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
    cell_of, digit_of = np.divmod(np.arange(size**3), size)
    self_in_peers = np.argmax(peers == cells[:, None], axis=1)
    return Geometry(
        n=n,
        size=size,
        num_cells=size * size,
        num_actions=size**3,
        cell_units=cell_units,
        peers=peers,
        peer_units=cell_units[peers],
        unit_cells=unit_cells,
        digit_bits=(1 << np.arange(size)).astype(np.int32),
        digits=np.arange(1, size + 1, dtype=np.int8),
        action_cell=cell_of,
        action_digit=(digit_of + 1).astype(np.int8),
        action_peers=peers[cell_of],
        action_self=self_in_peers[cell_of],
        action_counts=cell_units[cell_of] * size + digit_of[:, None],
        action_obs=cell_of * 2 * size + size + digit_of,
        action_peer_legal=peers[cell_of] * size + digit_of[:, None],
        action_clear=~(1 << digit_of).astype(np.int32),
    )


def max_score(n: int) -> float:
    """C_max of the board with boxes of side ``n``: its cell count ``N*N``, the best checker
    score (every cell filled, no violation) and minus the value of failure."""
    return float(geometry(n).num_cells)


def observation_size(n: int, observation: str = "grid") -> int:
    """Width of a flat observation of layout ``observation`` (one of :data:`OBSERVATIONS`), boxes of side ``n``.

    Every layout starts with the grid, ``C * 2N`` entries (cell ``c``: ``N`` one-hot clue digit
    entries, then ``N`` one-hot plan digit entries). ``grid+mask`` appends the shown action mask,
    ``N**3`` entries in action order (``cell * N + digit - 1``); ``grid+candidates`` appends
    ``C * (N + 1)`` entries: for an empty cell, entry ``k`` of its ``N + 1`` is 1 when exactly ``k``
    digits are absent from its row, column and box (``k = 0``: a dead cell); a filled cell's are all 0.
    """
    geo = geometry(n)
    extra = {"grid": 0, "grid+mask": geo.num_actions, "grid+candidates": geo.num_cells * (geo.size + 1)}
    return geo.num_cells * 2 * geo.size + extra[observation]


def observation_layout(width: int) -> tuple[int, str]:
    """Box side ``n`` and layout of a flat Sudoku observation ``width`` entries wide.

    :raises ValueError: if no 4x4 or 9x9 layout has that width.
    """
    for n in (2, 3):
        for observation in OBSERVATIONS:
            if observation_size(n, observation) == width:
                return n, observation
    raise ValueError(f"not a Sudoku observation: width {width}")


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
    rules: str = "suite",
    reward: str = "shaped",
) -> np.ndarray:
    """Reward of one transition, the single place where the convention lives.

    Under the poster's rules (its code's ``compute_transition_reward``) every step gets
    ``r0 + GAMMA * Phi(s') - Phi(s)``, a masked action included (a no-op without penalty), with
    ``r0 = +1`` on a solve, ``-C_max`` at the horizon unsolved, 0 otherwise; ``"poster-folded"``
    gives the terminal step ``r0 - Phi(s)`` instead. Under ``rules="suite"``:

    ``r = r0 + GAMMA * Phi(s') - Phi(s)`` with ``Phi = c`` and

    * ``r0 = 0`` for a legal edit, ``-INVALID_PENALTY`` for an action outside the legal set
      (a no-op: ``s' = s``);
    * ``r0 = +SOLVE_BONUS`` on the step that solves the puzzle (terminal);
    * on failure (horizon exhausted or no legal move left, unsolved) the episode enters an
      absorbing state of potential 0 with ``r0 = -C_max``: ``r = -C_max - Phi(s)``;
    * ``reward="progress"``: the failing step is shaped like any other instead,
      ``r = -C_max + GAMMA * Phi(s') - Phi(s)`` (``r0 = -C_max``, the absorbing state's potential
      is the final score ``Phi(s')``); every other step is unchanged.

    Hence the discounted return of an episode ``s_0 .. s_T`` telescopes to
    ``P + GAMMA**(T-1) + GAMMA**T C_max - Phi(s_0)`` when solved and to
    ``P - GAMMA**(T-1) C_max - Phi(s_0)`` when failed (``reward="progress"``:
    ``P - GAMMA**(T-1) C_max + GAMMA**T Phi(s_T) - Phi(s_0)``), where
    ``P = sum_{t<T-1} GAMMA**t r0_t`` holds the invalid-action penalties (0 under masked play).
    ``reward="progress"`` is defined under ``rules="suite"`` only (:class:`SudokuBatch` refuses
    the others): ``"poster"`` already shapes its failing step so, and ``"poster-folded"`` is the
    poster code's own folded reward.

    All arguments but ``c_max``, ``rules`` and ``reward`` are ``(B,)`` arrays; returns ``(B,)`` float32.
    """
    if rules == "poster":
        return (GAMMA * phi_after - phi_before + SOLVE_BONUS * solved - c_max * failed).astype(np.float32)
    if rules == "poster-folded":
        r = np.where(solved, SOLVE_BONUS - phi_before, GAMMA * phi_after - phi_before)
    else:
        r = GAMMA * phi_after - phi_before + SOLVE_BONUS * solved - INVALID_PENALTY * ~valid
    failure = -c_max - phi_before
    if reward == "progress":
        failure = failure + GAMMA * phi_after
    return np.where(failed, failure, r).astype(np.float32)


@dataclass(frozen=True)
class StartStates:
    """Checker bookkeeping of each puzzle's start (``y0 = x``), computed once per puzzle set."""

    counts: np.ndarray  # (P, 3N, N) int16: digit count per unit
    cand: np.ndarray  # (P, C) int32: bitmask of digits absent from all units of each cell
    filled: np.ndarray  # (P,) int64
    violations: np.ndarray  # (P,) int64
    dead: np.ndarray  # (P,) int64


def legal_digits(cand: np.ndarray, empty: np.ndarray, geo: Geometry) -> np.ndarray:
    """``(..., N)`` bool: the digits of candidate bitmasks ``cand`` (``(...)``), for empty cells only."""
    return ((cand[..., None] & geo.digit_bits) != 0) & empty[..., None]


def unit_violations(counts: np.ndarray, rules: str) -> np.ndarray:
    """Violations of digit counts ``counts`` (``(..., 3N, N)``), summed over the last two axes:
    the pairs of equal digits per unit (``suite``) or ``k - 1`` per digit held ``k`` times in a
    unit (the poster's rules)."""
    per = np.maximum(counts - 1, 0) if rules in POSTER_RULES else counts * (counts - 1) // 2
    return per.sum(axis=(-2, -1))


def start_states(puzzles: np.ndarray, n: int, rules: str = "suite") -> StartStates:
    """Bookkeeping of every puzzle of ``puzzles`` (``(P, C)``), vectorised over the set."""
    geo = geometry(n)
    onehot = (puzzles[:, :, None] == geo.digits).astype(np.int16)
    counts = onehot[:, geo.unit_cells].sum(axis=2)  # (P, 3N, N)
    present = (counts > 0).astype(np.int32) @ geo.digit_bits  # (P, 3N) digits in each unit
    cand = ((1 << geo.size) - 1) & ~np.bitwise_or.reduce(present[:, geo.cell_units], axis=-1)
    return StartStates(
        counts=counts,
        cand=cand.astype(np.int32),
        filled=(puzzles > 0).sum(axis=1),
        violations=unit_violations(counts, rules),
        dead=((puzzles == 0) & (cand == 0)).sum(axis=1),
    )


class SudokuBatch:
    """``B`` plan-editing Sudoku episodes updated in place, batch axis first.

    :param n: box size (2 for 4x4, 3 for 9x9).
    :param batch_size: number of episodes ``B``.
    :param masking: one of :data:`MASKINGS`.
    :param horizon: edits per episode before failure.
    :param horizon_truncates: report horizon exhaustion as truncation (plain shaped reward, no
        failure value) instead of a terminal failure.
    :param puzzles: ``(P, C)`` int8 clue grids the episodes start from (validated), needed by
        :meth:`load`; a batch filled only through :meth:`load_boards` may pass None.
    :param rules: one of :data:`RULES`.
    :param reward: one of :data:`REWARDS` (``progress`` only under ``rules="suite"``).
    :param observation: one of :data:`OBSERVATIONS`.
    """

    def __init__(
        self,
        n: int,
        batch_size: int,
        masking: str,
        horizon: int,
        horizon_truncates: bool,
        puzzles: np.ndarray | None = None,
        rules: str = "suite",
        reward: str = "shaped",
        observation: str = "grid",
    ) -> None:
        choices = (("masking", masking, MASKINGS), ("rules", rules, RULES), ("reward", reward, REWARDS), ("observation", observation, OBSERVATIONS))
        for name, value, known in choices:
            if value not in known:
                raise ValueError(f"{name} must be one of {known}, got {value!r}")
        if reward == "progress" and rules != "suite":
            raise ValueError(
                f"reward='progress' is defined under rules='suite' only, got rules={rules!r}: 'poster' already shapes "
                "its failing step so, 'poster-folded' is the poster code's own reward"
            )
        geo = self.geo = geometry(n)
        self.num_actions = geo.num_actions
        self.masking = masking
        self.rules = rules
        self.reward_kind = reward
        self.observation_kind = observation
        self.poster = rules in POSTER_RULES
        self.horizon = horizon
        self.horizon_truncates = horizon_truncates
        self.c_max = max_score(n)
        self.puzzles = puzzles
        self._start = None if puzzles is None else start_states(puzzles, n, rules)
        B, C, N = batch_size, geo.num_cells, geo.size
        self.batch_size = B
        self._full = np.int32((1 << N) - 1)
        self.clues = np.zeros((B, C), dtype=np.int8)
        self.grid = np.zeros((B, C), dtype=np.int8)
        self.counts = np.zeros((B, 3 * N, N), dtype=np.int16)  # digit count per unit
        self.cand = np.zeros((B, C), dtype=np.int32)  # digits absent from all units of a cell
        self.legal = np.zeros((B, C, N), dtype=bool)  # legal set under the regime
        self.obs = np.zeros((B, C, 2 * N), dtype=np.int8)  # one-hot clue | one-hot plan
        self.filled = np.zeros(B, dtype=np.int64)
        self.violations = np.zeros(B, dtype=np.int64)
        self.dead = np.zeros(B, dtype=np.int64)
        self.steps = np.zeros(B, dtype=np.int64)
        self.score = np.zeros(B, dtype=np.int64)  # checker c, kept current
        self.solved = np.zeros(B, dtype=bool)  # kept current
        self.initial_score = np.zeros(B, dtype=np.int64)
        self._shown_mask = np.ones((B, geo.num_actions), dtype=bool)
        self._grid_width = C * 2 * N
        # row m < 2**N: candidate bitmask m's count one-hot over 0..N; row 2**N (a filled cell): zeros
        counts = np.array([bin(m).count("1") for m in range(1 << N)])
        self._count_onehot = np.vstack([counts[:, None] == np.arange(N + 1), np.zeros((1, N + 1), dtype=bool)]).astype(np.int8)
        self._shown_obs = None if observation == "grid" else np.zeros((B, observation_size(n, observation)), dtype=np.int8)
        # flat views and per-row offsets: 1-D gathers are the cheapest numpy indexing
        self._grid_flat = self.grid.reshape(-1)
        self._cand_flat = self.cand.reshape(-1)
        self._counts_flat = self.counts.reshape(-1)
        self._obs_flat = self.obs.reshape(-1)
        self._legal_cells = self.legal.reshape(B * C, N)
        self._legal_flat = self.legal.reshape(-1)
        self._row_cells = np.arange(B) * C
        self._row_actions = np.arange(B) * geo.num_actions
        self._row_counts = np.arange(B) * (3 * N * N)
        self._row_obs = np.arange(B) * (C * 2 * N)

    # ------------------------------------------------------------------ views
    def successors(self, obs: np.ndarray, mask: np.ndarray, steps_taken: np.ndarray) -> Lookahead:
        """One-step lookahead under this batch's rules (:meth:`envs.batched.BatchVectorEnv.lookahead`)."""
        from envs.sudoku.lookahead import one_step_lookahead

        return one_step_lookahead(
            obs, mask, self.masking, self.horizon, self.horizon_truncates, steps_taken, self.rules, self.reward_kind
        )

    def render(self, row: int) -> str:
        """Text picture of episode ``row``: clues in brackets, plan digits plain, ``.`` empty."""
        n, size = self.geo.n, self.geo.size
        lines = []
        for r in range(size):
            cells = []
            for c in range(size):
                v = int(self.grid[row, r * size + c])
                text = "." if v == 0 else str(v)
                cells.append(f"[{text}]" if self.clues[row, r * size + c] else f" {text} ")
                if c % n == n - 1 and c != size - 1:
                    cells.append("|")
            lines.append("".join(cells))
            if r % n == n - 1 and r != size - 1:
                lines.append("-" * len(lines[-1]))
        return "\n".join(lines)

    def action_mask(self) -> np.ndarray:
        """Mask shown to the agent, ``(B, N**3)`` bool (a view; copy before keeping it)."""
        if self.masking == "none":
            return self._shown_mask
        return self.legal.reshape(self.batch_size, self.num_actions)

    def observation(self) -> np.ndarray:
        """Flat observation of the batch's layout, ``(B, observation_size(n, observation))`` int8
        (a view; copy before keeping it). The extras of ``grid+mask`` and ``grid+candidates`` are
        read from the incrementally kept mask and candidate sets when asked for."""
        grid = self.obs.reshape(self.batch_size, self._grid_width)
        if self.observation_kind == "grid":
            return grid
        out = self._shown_obs
        out[:, : self._grid_width] = grid
        if self.observation_kind == "grid+mask":
            out[:, self._grid_width :] = self.action_mask()
        else:
            rows = np.where(self.grid == 0, self.cand, 1 << self.geo.size)  # (B, C) rows of the one-hot table
            out[:, self._grid_width :] = self._count_onehot[rows].reshape(self.batch_size, out.shape[1] - self._grid_width)
        return out

    def info(self, copy: bool = True) -> dict[str, np.ndarray]:
        """Per-episode ``(B,)`` arrays of the env ``info``: ``solved``, ``score`` (checker c),
        ``initial_score`` (c of the clue grid), ``violations``, ``dead``, ``filled``, ``steps``.
        With ``copy=False`` they are views of the live state."""
        arrays = {
            "solved": self.solved,
            "score": self.score,
            "initial_score": self.initial_score,
            "violations": self.violations,
            "dead": self.dead,
            "filled": self.filled,
            "steps": self.steps,
        }
        return {k: v.copy() for k, v in arrays.items()} if copy else arrays

    def has_legal_move(self) -> np.ndarray:
        """``(B,)`` bool: the legal set is not empty (always true under ``cell`` and ``none``).

        Under ``constraint`` the legal cells are the empty ones with a candidate, i.e. the empty
        cells that are not dead.
        """
        if self.masking == "constraint":
            return self.filled + self.dead < self.geo.num_cells
        if self.masking == "constraint-edit":
            return self.legal.reshape(self.batch_size, self.num_actions).any(axis=1)
        return np.ones(self.batch_size, dtype=bool)

    # ------------------------------------------------------------------ reset
    def load(self, rows: np.ndarray, puzzle_ids: np.ndarray) -> None:
        """Start new episodes in batch ``rows`` from puzzles ``puzzle_ids`` of the puzzle set."""
        start = self._start
        clues = self.puzzles[puzzle_ids]
        self._set(rows, clues, clues, *(getattr(start, f.name)[puzzle_ids] for f in fields(start)))

    def load_boards(self, rows: np.ndarray, clues: np.ndarray, plans: np.ndarray, pick: np.ndarray) -> None:
        """Put board ``pick[i]`` of ``clues`` and ``plans`` (``(k, C)`` grids) into batch row
        ``rows[i]``, e.g. to look one step ahead from states met in other episodes; the
        bookkeeping is computed once per given board however often it is picked."""
        start = start_states(plans, self.geo.n, self.rules)
        self._set(rows, clues[pick], plans[pick], *(getattr(start, f.name)[pick] for f in fields(start)))

    def _set(
        self,
        rows: np.ndarray,
        clues: np.ndarray,
        plans: np.ndarray,
        counts: np.ndarray,
        cand: np.ndarray,
        filled: np.ndarray,
        violations: np.ndarray,
        dead: np.ndarray,
    ) -> None:
        N, digits = self.geo.size, self.geo.digits
        self.clues[rows] = clues
        self.grid[rows] = plans
        self.counts[rows] = counts
        self.cand[rows] = cand
        self.filled[rows] = filled
        self.violations[rows] = violations
        self.dead[rows] = dead
        self.steps[rows] = 0
        self.obs[rows, :, :N] = clues[:, :, None] == digits
        self.obs[rows, :, N:] = plans[:, :, None] == digits
        if self.masking == "constraint":
            self.legal[rows] = legal_digits(cand, plans == 0, self.geo)
        elif self.masking == "constraint-edit":
            self.legal[rows] = legal_digits(cand, clues == 0, self.geo)
        elif self.masking == "cell" and not self.poster:
            self.legal[rows] = (clues == 0)[..., None] & (plans[..., None] != digits)
        else:
            self.legal[rows] = (clues == 0)[..., None]
        self._rescore()
        self.initial_score[rows] = self.score[rows]

    # ------------------------------------------------------------------ step
    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Apply one action per episode.

        An episode ends solved (terminated), stuck with no legal move (terminated, failure; not
        under ``rules="poster"``) or at the horizon (terminated as a failure, or truncated if
        ``horizon_truncates``).

        :param actions: ``(B,)`` int64 actions in ``[0, N**3)`` (already range-checked).
        :return: ``(reward, terminated, truncated)``, each ``(B,)``.
        """
        geo = self.geo
        valid = self._legal_flat[self._row_actions + actions]
        current = self._grid_flat[self._row_cells + geo.action_cell[actions]]
        changed = np.nonzero(valid & (current != geo.action_digit[actions]))[0]
        phi_before = self.score.copy()
        if changed.size:
            self._edit(changed, actions[changed])
            self._rescore()
        self.steps += 1
        solved = self.solved
        out_of_time = ~solved & (self.steps >= self.horizon)
        if self.masking in ("constraint", "constraint-edit") and not self.poster:
            stuck = ~solved & ~self.has_legal_move()
            out_of_time &= ~stuck
        else:
            stuck = np.zeros_like(solved)
        if self.horizon_truncates:
            truncated, failed = out_of_time, stuck
        else:
            truncated, failed = np.zeros_like(solved), stuck | out_of_time
        reward = shaped_reward(phi_before, self.score, valid, solved, failed, self.c_max, self.rules, self.reward_kind)
        return reward, solved | failed, truncated

    def _rescore(self) -> None:
        np.copyto(self.score, checker_score(self.filled, self.violations, self.dead))
        np.copyto(self.solved, (self.filled == self.geo.num_cells) & (self.violations == 0))

    def _edit(self, rows: np.ndarray, actions: np.ndarray) -> None:
        """Apply ``actions`` to episodes ``rows`` (legal, state-changing edits).

        Adding digit d to a cell removes d from the candidates of all its peers (and, under
        ``constraint``, from their legal set); taking an old digit out (an overwrite, only under
        ``cell`` / ``none``) gives it back to the peers where no unit still holds it.
        """
        geo, N = self.geo, self.geo.size
        row_cells = self._row_cells[rows]
        at = row_cells + geo.action_cell[actions]
        peers = row_cells[:, None] + geo.action_peers[actions]  # (k, P) flat cell ids
        old = self._grid_flat[at]
        empty = self._grid_flat[peers] == 0
        cand = self._cand_flat[peers]
        dead_before = (empty & (cand == 0)).sum(axis=1)
        if (old > 0).any():
            had = np.nonzero(old > 0)[0]
            gone = old[had] - 1
            cell_had = geo.action_cell[actions[had]]
            out = self._row_counts[rows[had], None] + geo.cell_units[cell_had] * N + gone[:, None]
            self._counts_flat[out] -= 1
            left = self._counts_flat[out]  # copies of the old digit still in each unit
            self.violations[rows[had]] -= (left > 0).sum(axis=1) if self.poster else left.sum(axis=1)
            self.filled[rows[had]] -= 1
            self._obs_flat[self._row_obs[rows[had]] + cell_had * 2 * N + N + gone] = 0
            peer_counts = self._row_counts[rows[had], None, None] + geo.peer_units[cell_had] * N
            free_again = ~(self._counts_flat[peer_counts + gone[:, None, None]] > 0).any(axis=2)
            cand[had] |= np.where(free_again, geo.digit_bits[gone, None], 0)
        into = self._row_counts[rows, None] + geo.action_counts[actions]  # (k, 3)
        held = self._counts_flat[into]  # copies of the new digit already in each unit
        self.violations[rows] += (held > 0).sum(axis=1) if self.poster else held.sum(axis=1)
        self._counts_flat[into] += 1
        self.filled[rows] += 1
        self._grid_flat[at] = geo.action_digit[actions]
        self._obs_flat[self._row_obs[rows] + geo.action_obs[actions]] = 1
        cand &= geo.action_clear[actions, None]
        self._cand_flat[peers] = cand
        if self.masking == "constraint":  # no overwrites here: legal only shrinks
            self._legal_flat[self._row_actions[rows, None] + geo.action_peer_legal[actions]] = False
            self._legal_cells[at] = False
        elif self.masking == "constraint-edit":  # the peers' candidates are the legal digits
            open_cells = self.clues.reshape(-1)[peers] == 0
            self._legal_cells[peers] = ((cand[..., None] & geo.digit_bits) != 0) & open_cells[..., None]
        elif self.masking == "cell" and not self.poster:  # every digit but the new one
            self._legal_cells[at] = True
            self._legal_flat[self._row_actions[rows] + actions] = False
        empty[np.arange(len(rows)), geo.action_self[actions]] = False  # the edited cell is filled
        self.dead[rows] += (empty & (cand == 0)).sum(axis=1) - dead_before
