"""One-step lookahead through the known edit and the checker, batched over legal actions.

Used by agents that plan with the env's own rules (the ``checker-greedy`` reference, UPI-TRM's
advantages): every legal action of every state is applied to a copy of its board in one
:class:`SudokuBatch`, so the rewards and successors are exactly the env's.
"""

from __future__ import annotations

import numpy as np

from envs.batched import Lookahead
from envs.sudoku.core import SudokuBatch, observation_layout


def decode_boards(obs: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Clue grids, plan grids (``(B, C)`` int8, 0 = empty) and box size from observations of any
    layout (:data:`envs.sudoku.core.OBSERVATIONS`: the grid comes first in each)."""
    obs = np.asarray(obs).reshape(len(obs), -1)
    n, _ = observation_layout(obs.shape[1])
    size = n * n
    onehot = obs[:, : size**3 * 2].reshape(len(obs), size * size, 2, size)
    digits = np.arange(1, size + 1, dtype=np.int8)
    clues = (onehot[:, :, 0] * digits).sum(-1).astype(np.int8)
    plans = (onehot[:, :, 1] * digits).sum(-1).astype(np.int8)
    return clues, plans, n


def one_step_lookahead(
    obs: np.ndarray,
    mask: np.ndarray,
    masking: str,
    horizon: int = 2**31 - 1,
    horizon_truncates: bool = False,
    steps_taken: np.ndarray | None = None,
    rules: str = "suite",
    reward: str = "shaped",
) -> Lookahead:
    """Apply every ``True`` action of ``mask`` (``(S, A)``) to a copy of its state (``obs``,
    ``(S, D)``, any layout; the successors' observations come in the same layout).

    :param masking: the env's masking regime (decides which edits are legal).
    :param rules: the env's rule set (one of :data:`envs.sudoku.core.RULES`).
    :param reward: the env's reward variant (one of :data:`envs.sudoku.core.REWARDS`).
    :param horizon: the env's horizon; with ``steps_taken`` (``(S,)``, edits already made in
        each episode) the lookahead reproduces failures at the horizon too.
    """
    state, action = np.nonzero(mask)
    obs = np.asarray(obs).reshape(len(obs), -1)
    clues, plans, n = decode_boards(obs)
    _, observation = observation_layout(obs.shape[1])
    trial = SudokuBatch(n, len(state), masking, horizon, horizon_truncates, rules=rules, reward=reward, observation=observation)
    trial.load_boards(np.arange(len(state)), clues, plans, pick=state)
    if steps_taken is not None:
        trial.steps[:] = steps_taken[state]
    reward, terminated, _ = trial.step(action.astype(np.int64))
    return Lookahead(state, action, reward, terminated, trial.observation(), trial.action_mask())
