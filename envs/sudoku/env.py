"""Single Sudoku plan-editing env: the batch-of-one view of :class:`SudokuBatch`."""

from __future__ import annotations

from typing import Any

from gymnasium import spaces

from envs.batched import BatchEnv
from envs.sudoku.core import SudokuBatch, observation_size
from envs.sudoku.options import parse_options


def observation_space(n: int, observation: str = "grid") -> spaces.MultiBinary:
    """Flat observation of layout ``observation``: ``MultiBinary(N*N * 2N)`` for ``grid`` (one-hot
    clue and plan per cell), wider for the layouts with extras (:func:`envs.sudoku.core.observation_size`)."""
    return spaces.MultiBinary(observation_size(n, observation))


class SudokuEnv(BatchEnv):
    """Sudoku as plan editing from checker feedback (the UPI-TRM MDP, DESIGN section 2).

    ## Description
    An episode starts from a clue grid ``x`` drawn from the env's puzzle set; the plan ``y``
    starts as ``x``. Each step writes one digit into one non-clue cell. The agent never sees a
    solution: its only signal is the feasibility checker ``c = filled - 2*violations - 5*dead``.

    ## Action Space
    ``Discrete(N**3)``: ``a = cell * N + (digit - 1)``, cells row-major. The legal set depends on
    ``masking``: ``constraint`` = empty non-clue cells with digits absent from their row, column
    and box; ``constraint-edit`` = any non-clue cell, filled or not, with a digit absent from its
    row, column and box (the cell's own digit counts, so a filled cell may be overwritten with
    another consistent digit: the poster code's tracker mask); ``cell`` = any digit in any
    non-clue cell but the digit it holds (the poster's rules: that one too, as the poster's
    fill-only mask); ``none`` = as ``cell``, but the mask shown is all ones. An action outside the
    legal set is a no-op step, penalised by ``INVALID_PENALTY`` under ``rules="suite"`` (this is
    how masks reach agents that cannot use them) and not under the poster's rules.
    ``action_masks()`` and ``info["action_mask"]`` give the mask, ``(N**3,)`` bool.

    ## Observation Space
    ``observation="grid"`` (default): ``MultiBinary(N*N * 2N)`` int8, cell-major: for cell ``c``
    the ``2N`` entries ``[c*2N : c*2N + N]`` one-hot the clue digit (all zero if not a clue) and
    ``[c*2N + N : (c+1)*2N]`` one-hot the plan digit (all zero if empty). Two layouts append,
    after those ``G = N*N * 2N`` entries, what a masked or planning agent reads beside the board:

    * ``"grid+mask"``: the shown action mask, ``N**3`` entries in action order: entry
      ``G + a`` is ``action_masks()[a]``. It is the mask shown to the agent (what UPI-TRM's
      network reads), so under ``masking="none"`` it is all ones, as ``action_masks()`` is.
    * ``"grid+candidates"``: ``N + 1`` entries per cell, cell-major: for an empty cell ``c``,
      entry ``G + c*(N+1) + k`` is 1 when exactly ``k`` digits are absent from its row, column
      and box (``k = 0``: a dead cell); a filled cell's entries (clue or plan) are all 0. The
      count does not depend on ``masking`` (under ``constraint`` it is the cell's legal digits).

    | env id | N | cells | actions | grid | grid+mask | grid+candidates |
    |---|---|---|---|---|---|---|
    | trm/Sudoku4x4-Easy-v0, trm/Sudoku4x4-Hard-v0 | 4 | 16 | 64 | 128 | 192 | 208 |
    | trm/Sudoku9x9-v0 | 9 | 81 | 729 | 1458 | 2187 | 2268 |

    ## Rewards
    Potential-based shaping with ``Phi = c`` and gamma 0.99, ``+1`` on solving, an absorbing
    failure value ``-C_max`` (``C_max = N*N``); see :func:`envs.sudoku.core.shaped_reward`.
    With the absorbing failure value, every failed episode returns
    ``sum_{t<T-1} gamma^t r0_t - gamma^(T-1) C_max - Phi(s_0)`` whatever it filled: the steps
    before the last pay ``r0_t + gamma*Phi(s_{t+1}) - Phi(s_t)``, whose shaping terms telescope
    to ``gamma^(T-1) Phi(s_{T-1}) - Phi(s_0)``; the failing step pays ``-C_max - Phi(s_{T-1})``
    (the absorbing value ``-C_max`` stands where ``gamma*Phi(s_T)`` would), which cancels
    ``Phi(s_{T-1})``. So only solving carries signal in the return
    (``P + gamma^(T-1) (1 + gamma C_max) - Phi(s_0)``, ``P = sum_{t<T-1} gamma^t r0_t`` the
    invalid-action penalties, 0 under masked play).

    ``reward="progress"`` (``rules="suite"`` only) shapes the failing step like any other:
    ``-C_max + gamma*Phi(s_T) - Phi(s_{T-1})``, every other step unchanged. A failed episode then
    returns ``P - gamma^(T-1) C_max + gamma^T Phi(s_T) - Phi(s_0)``, rising with its final score,
    so filling more correct cells pays even unsolved; a solve returns as above. An unsolved
    board scores ``Phi(s_T) <= C_max - 1``, so the failure's last terms
    ``gamma^(T-1) (gamma Phi(s_T) - C_max)`` stay below 0 and the solve's
    ``gamma^(T-1) (1 + gamma C_max)`` above: solving beats every failure that paid the same
    penalties ``P`` (every failure, under masked play). With ``horizon_truncates=True`` the
    horizon is a truncation with the plain shaped reward under both; ``progress`` then changes
    only the "no legal move" ending.

    Under ``rules="poster"`` every step pays ``r0 + gamma*Phi(s') - Phi(s)`` (r0 = +1 solved,
    ``-C_max`` failed at the horizon, 0 otherwise, a masked action included): the return is
    ``gamma^(T-1) r0 + gamma^T Phi(s_T) - Phi(s_0)``, so a failed episode keeps the credit of
    what it filled (the ``progress`` return, without penalties). Under ``rules="poster-folded"``
    the terminal step pays ``r0 - Phi(s)`` instead: the return is ``gamma^(T-1) r0 - Phi(s_0)``,
    and a solving step's own reward (``1 - Phi(s)``, about ``1 - C_max``) is the lowest of its
    state's choices. ``reward="progress"`` is refused under both: it would change nothing under
    ``poster`` and turn ``poster-folded`` into ``poster``.

    ## Starting State
    A puzzle of the split drawn uniformly with the episode seed, or
    ``reset(options={"puzzle_index": i})``.

    ## Episode End
    Termination: solved (all cells filled, no rule broken); no legal move left (failure; only
    under ``constraint`` and ``constraint-edit``, never under the poster's rules); ``horizon``
    steps used (failure). With ``horizon_truncates=True`` the last one is a truncation instead,
    with the plain shaped reward.

    ## Arguments
    ``split`` (train/val/test), ``masking`` (constraint/constraint-edit/cell/none), ``rules``
    (``suite``, the default; ``poster``: the MDP of the poster's public code as its claims ran
    it; ``poster-folded``: the same with today's folded terminal reward; see
    :mod:`envs.sudoku.core` and the README's table of the differences), ``reward`` (``shaped``,
    the default; ``progress``: the failing step keeps its final score's credit, see Rewards),
    ``observation`` (``grid``, the default; ``grid+mask``; ``grid+candidates``: see Observation
    Space), ``horizon`` (default ``N*N``), ``seed`` (dataset seed), ``puzzles`` (your own clue
    grids), ``horizon_truncates``, ``render_mode`` (``"ansi"``).

    ## Info
    ``action_mask``, ``solved``, ``score``, ``initial_score``, ``violations``, ``dead``,
    ``filled``, ``steps``, ``puzzle_index``.

    ## Version History
    * v0: initial version; ``rules`` and ``constraint-edit`` added, and under the suite's rules
      the ``cell`` mask no longer offers a cell's current digit (a rewrite that changes nothing:
      a trained MaskablePPO filled one cell and rewrote it to the horizon). The id stays v0: the
      records of the old dynamics show as stale (their env code changed), not as current.
      ``rules="poster"`` then took the shaped terminal step of the code behind the poster's
      claims; the folded one of today's code became ``rules="poster-folded"``. Then the opt-in
      ``reward="progress"`` and ``observation="grid+mask"`` / ``"grid+candidates"`` were added
      (the fair-baselines study's variants); at their defaults every reward, observation, mask
      and ending is bit for bit what it was, so the id stays v0.
    """

    def __init__(self, dataset: str = "sudoku4x4-easy", **kwargs: Any) -> None:
        self.options = opts = parse_options(dataset, **kwargs)
        core = SudokuBatch(
            opts.n, 1, opts.masking, opts.horizon, opts.horizon_truncates, opts.puzzles, opts.rules, opts.reward, opts.observation
        )
        super().__init__(core, observation_space(opts.n, opts.observation), len(opts.puzzles), opts.render_mode)
