"""Independent re-statement of the UPI-TRM poster code's Sudoku MDP, one board at a time.

Written from the definitions read in the poster's public code (gopeshh/trm_bellman), not from
``envs/``; numpy only, plain loops, meant to cross-check ``rules="poster"``. Boards are flat
``(N*N,)`` int arrays (a 2-D board is flattened), ``0`` = empty, ``1..N`` = digits, box side
``n`` (2 for 4x4, 3 for 9x9), ``N = n*n``. Actions follow the suite's layout
``a = cell * N + (digit - 1)``; :func:`poster_action` gives the poster's own index of the same edit.

Poster facts restated here (file / function they come from):

* violations: per row, column and box, a digit present ``k >= 1`` times counts ``k - 1``
  (``rl/sudoku_utils.py``: ``count_sudoku_violations_4x4`` / ``_9x9``);
* dead cells: empty cells whose row, column and box already hold every digit
  (``rl/sudoku_utils.py``: ``sudoku_zero_candidate_cells``); the mask plays no part;
* checker / potential: ``filled - 2*violations - 5*dead``, clues counted in ``filled``
  (``rl/sudoku_checkers.py``: ``sudoku_feasibility_checker``; weights from the configs);
* solved: every cell a digit and no violation (``rl/sudoku_utils.py``: ``sudoku_is_solved``);
* masks: ``"cell"`` = clue cells closed, every digit open elsewhere, the current one included
  (``PlanEditEnv.compute_batch_action_mask``, used with ``disable_constraint_masking: true``;
  ``external_baselines/sudoku4x4_env.py``: ``get_action_mask``); ``"constraint-edit"`` = clue
  cells closed, elsewhere a digit is open iff its count is 0 in the cell's row, column and box
  of the current plan, the cell itself counted, so a filled cell's own digit is closed
  (``rl/task_config.py``: ``SudokuConstraintTracker.get_valid_digits``,
  ``SudokuTaskConfig.compute_batch_action_mask``); no erase action in either;
* step: the budget counter advances on every action; an action outside the mask leaves the
  plan unchanged with no extra penalty (``external_baselines/sudoku4x4_env.py``: ``step``);
  the episode ends on a solve or when the budget ``horizon`` is spent, both terminations, never a
  truncation, and nothing else ends it (``rl/envs/plan_edit_env.py``: ``PlanEditEnv.step``);
* reward: non-terminal ``gamma*Phi(s') - Phi(s)``; terminal ``r0 - Phi(s)`` in the current
  ``compute_transition_reward`` (r0 = +1 on a solve, ``-C_max`` = ``fail_terminal_reward``
  otherwise; commits 5377a39 and 0b0d79a): ``fold_terminal=True``; the versions of
  ``plan_edit_env.py`` stored with the configs behind the claims (commit 6065a6e, the 4x4 Hard
  ``upi_trm_feasibility_persistent_z_no_contraction_no_mask.yaml``; commit 8884572,
  ``configs/sudoku9x9/upi_trm_9x9.yaml``) shaped the terminal step too,
  ``r0 + gamma*Phi(s') - Phi(s)``: ``fold_terminal=False``.
"""

from __future__ import annotations

import numpy as np

GAMMA = 0.99
"""Discount of the shaping (every poster config: ``gamma: 0.99``)."""
SOLVE_R0 = 1.0
"""Terminal base reward of a solve (configs: ``solve_terminal_reward: 1.0``)."""
VIOLATION_WEIGHT = 2.0
"""``feasibility_violation_weight`` of the configs."""
DEAD_WEIGHT = 5.0
"""``feasibility_zerocand_weight`` of the configs."""
MASKINGS = ("cell", "constraint-edit")
POSTER_MASKING = {2: "cell", 3: "constraint-edit"}
"""Regime of the poster's runs: 4x4 without constraint masking, 9x9 with the tracker mask."""


def c_max(n: int) -> float:
    """``C_max = N*N``; the failure base reward is ``-C_max`` (configs: ``C_max`` 16.0 / 81.0,
    ``fail_terminal_reward`` -16.0 / -81.0)."""
    return float((n * n) ** 2)


def default_horizon(n: int) -> int:
    """Edit budget ``N*N`` (configs: ``max_edits`` 16 for 4x4, 81 for 9x9)."""
    return (n * n) ** 2


def _board(grid: np.ndarray, n: int) -> list[int]:
    """``grid`` as a flat list of ints, its length and values checked."""
    size = n * n
    values = [int(v) for v in np.asarray(grid).reshape(-1)]
    if len(values) != size * size or any(v < 0 or v > size for v in values):
        raise ValueError(f"expected {size * size} cells with values in 0..{size}")
    return values


def _units(n: int) -> list[list[int]]:
    """Rows, then columns, then boxes, each as a list of flat cell indices."""
    size = n * n
    rows = [[r * size + c for c in range(size)] for r in range(size)]
    cols = [[r * size + c for r in range(size)] for c in range(size)]
    boxes = [
        [(top + i) * size + left + j for i in range(n) for j in range(n)]
        for top in range(0, size, n)
        for left in range(0, size, n)
    ]
    return rows + cols + boxes


def _seen(values: list[int], cell: int, n: int) -> set[int]:
    """Digits present in the row, column and box of ``cell``, the cell's own digit included."""
    return {values[p] for unit in _units(n) if cell in unit for p in unit if values[p]}


def violations(grid: np.ndarray, n: int) -> int:
    """Sum over the ``3N`` units of (filled cells - distinct digits): ``k`` copies count ``k - 1``.

    Follows ``rl/sudoku_utils.py`` ``count_sudoku_violations_4x4`` / ``count_sudoku_violations_9x9``.
    """
    values = _board(grid, n)
    total = 0
    for unit in _units(n):
        digits = [values[c] for c in unit if values[c]]
        total += len(digits) - len(set(digits))
    return total


def dead(grid: np.ndarray, n: int) -> int:
    """Empty cells whose row, column and box together already hold all ``N`` digits.

    Follows ``rl/sudoku_utils.py`` ``sudoku_zero_candidate_cells``: candidates are the digits absent
    from the three units, whatever the masking regime.
    """
    values = _board(grid, n)
    size = n * n
    return sum(1 for cell, v in enumerate(values) if v == 0 and len(_seen(values, cell, n)) == size)


def solved(grid: np.ndarray, n: int) -> bool:
    """No empty cell and no violation (``rl/sudoku_utils.py``: ``sudoku_is_solved``)."""
    return all(_board(grid, n)) and violations(grid, n) == 0


def checker(grid: np.ndarray, clues: np.ndarray, n: int) -> float:
    """Feasibility score ``c = filled - 2*violations - 5*dead``, the potential ``Phi``.

    Follows ``rl/sudoku_checkers.py`` ``sudoku_feasibility_checker``. ``filled`` counts every digit,
    clues included; the poster's checker reads only the plan, so ``clues`` is only validated here.
    """
    _board(clues, n)
    filled = sum(1 for v in _board(grid, n) if v)
    return filled - VIOLATION_WEIGHT * violations(grid, n) - DEAD_WEIGHT * dead(grid, n)


def legal_mask(grid: np.ndarray, clues: np.ndarray, n: int, masking: str) -> np.ndarray:
    """``(N**3,)`` bool mask over ``a = cell * N + (digit - 1)``.

    * ``"cell"``: every digit in every non-clue cell, its current digit included
      (``rl/envs/plan_edit_env.py`` ``PlanEditEnv.compute_batch_action_mask``;
      ``external_baselines/sudoku4x4_env.py`` ``Sudoku4x4ExternalEnv.get_action_mask``).
    * ``"constraint-edit"``: in every non-clue cell, filled or not, the digits with count 0 in its
      row, column and box of the current plan; the cell's own digit counts, so rewriting it is
      never legal (``rl/task_config.py`` ``SudokuConstraintTracker.get_valid_digits`` /
      ``compute_full_mask``; the same rule in ``SudokuTaskConfig.compute_batch_action_mask``).

    Neither regime has an erase action; the poster's STOP slot (disabled) has no counterpart here.
    """
    if masking not in MASKINGS:
        raise ValueError(f"masking must be one of {MASKINGS}, got {masking!r}")
    values, givens = _board(grid, n), _board(clues, n)
    size = n * n
    mask = np.zeros((size * size, size), dtype=bool)
    for cell in range(size * size):
        if givens[cell]:
            continue
        if masking == "cell":
            mask[cell, :] = True
        else:
            seen = _seen(values, cell, n)
            for digit in range(1, size + 1):
                mask[cell, digit - 1] = digit not in seen
    return mask.reshape(-1)


def poster_action(action: int, n: int) -> int:
    """The poster's index of edit ``action``: ``cell * (N + 2) + token``, ``token = digit + 1``
    (tokens 0 = pad, 1 = empty; STOP is ``N*N*(N+2)``), e.g. 97 / 892 actions for 4x4 / 9x9."""
    size = n * n
    cell, digit = divmod(int(action), size)
    return cell * (size + 2) + digit + 2


def step(
    grid: np.ndarray,
    clues: np.ndarray,
    n: int,
    action: int,
    t: int,
    horizon: int,
    masking: str | None = None,
    fold_terminal: bool = True,
) -> tuple[np.ndarray, float, bool, bool]:
    """Apply one action; returns ``(new grid, reward, terminated, truncated)``.

    Follows ``rl/envs/plan_edit_env.py`` ``PlanEditEnv.step`` / ``compute_transition_reward`` and
    ``external_baselines/sudoku4x4_env.py`` ``Sudoku4x4ExternalEnv.step``:

    * ``t`` edits were made before this one; every action uses one unit of budget;
    * an action outside ``legal_mask(grid, clues, n, masking)`` leaves the plan unchanged and adds
      no penalty (its reward is still the shaped ``gamma*Phi(s) - Phi(s)``);
    * terminated when the new plan is solved (r0 = +1) or ``t + 1 >= horizon`` (r0 = ``-C_max``);
      a solve on the last edit counts as a solve; ``truncated`` is always False;
    * reward ``gamma*Phi(s') - Phi(s)`` when not terminal; when terminal ``r0 - Phi(s)`` with
      ``fold_terminal`` (the current code), ``r0 + gamma*Phi(s') - Phi(s)`` without (the
      versions stored with the configs behind the claims).

    :param masking: ``"cell"`` or ``"constraint-edit"``; None = the poster's regime for ``n``.
    """
    size = n * n
    if not 0 <= int(action) < size**3:
        raise ValueError(f"action {action} outside [0, {size**3})")
    if not 0 <= t < horizon:
        raise ValueError(f"step {t} outside an episode of {horizon} edits")
    masking = POSTER_MASKING[n] if masking is None else masking
    before = np.asarray(grid).reshape(-1).astype(np.int64)
    after = before.copy()
    if legal_mask(before, clues, n, masking)[int(action)]:
        cell, digit = divmod(int(action), size)
        after[cell] = digit + 1
    phi_before, phi_after = checker(before, clues, n), checker(after, clues, n)
    is_solved = solved(after, n)
    terminated = is_solved or t + 1 >= horizon
    if not terminated:
        return after, GAMMA * phi_after - phi_before, False, False
    r0 = SOLVE_R0 if is_solved else -c_max(n)
    if fold_terminal:
        return after, r0 - phi_before, True, False
    return after, r0 + GAMMA * phi_after - phi_before, True, False
