"""The cell structures the TRM runs on: which cells exchange information, and how observations
and masks become per-cell inputs.

A board declares *mixers*: linear operators ``P_u`` on the cell axis with operator norm at most
1. The latent step adds ``P_u z W_u`` for each of them, so the contraction bound of
:mod:`agents.upi_trm.network` (sum of the spectral norms of the ``W_u``) holds on every board.

* :class:`SudokuBoard`: the means over a cell's row, column and box (orthogonal projections).
* :class:`GridBoard`: the four neighbour shifts of a square grid (zero beyond the edge: each is
  a partial isometry), for the maze path-editing env.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import torch


class Board(ABC):
    """Cells, per-cell inputs and mixers of one env family (see the module docstring)."""

    cells: int
    """Number of cells ``C``."""
    cell_features: int
    """Input features per cell."""
    actions_per_cell: int
    """Policy logits per cell (actions are cell-major: ``a = cell * k + j``)."""
    mixers: tuple[str, ...]
    """Names of the ``P_u`` operators (besides the identity ``self``)."""

    @property
    def num_actions(self) -> int:
        """Size of the action space."""
        return self.cells * self.actions_per_cell

    @abstractmethod
    def features(self, obs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``(B, C, cell_features)`` float inputs from flat observations and action masks."""

    @abstractmethod
    def mix(self, z: torch.Tensor, mats: dict[str, torch.Tensor]) -> torch.Tensor:
        """``sum_u P_u z W_u`` over :attr:`mixers` for a cell-major latent ``z`` ``(C, B, d)``."""

    @abstractmethod
    def spec(self) -> dict[str, Any]:
        """What :func:`board_from_spec` needs to rebuild the board (saved with a checkpoint)."""


class SudokuBoard(Board):
    """``N x N`` Sudoku (box size ``n``): one-hot clue, plan and the mask row of each cell."""

    mixers = ("row", "col", "box")

    def __init__(self, n: int) -> None:
        self.n, self.size = n, n * n
        self.cells = n**4
        self.cell_features = 3 * self.size
        self.actions_per_cell = self.size
        member = torch.zeros(3 * self.size, self.cells)  # rows, then columns, then boxes
        for cell in range(self.cells):
            row, col = divmod(cell, self.size)
            box = (row // n) * n + col // n
            member[[row, self.size + col, 2 * self.size + box], cell] = 1.0
        self.unit_mean = member / self.size
        """``(3N, C)``: the mean over each row, column and box."""
        self.unit_spread = member.t().contiguous()
        """``(C, 3N)``: each unit's value back to its cells."""

    def features(self, obs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Clue and plan one-hots (``2N``) and the cell's ``N`` mask entries. Only the grid part of
        the observation is read: the extras of the env's wider layouts (``observation="grid+mask"``,
        ``"grid+candidates"``) are what this network gets from ``mask`` anyway, or derive from the grid."""
        b = obs.shape[0]
        grid = obs.reshape(b, -1)[:, : self.cells * 2 * self.size]
        return torch.cat([grid.reshape(b, self.cells, 2 * self.size), mask.view(b, self.cells, self.size)], dim=2).float()

    def mix(self, z: torch.Tensor, mats: dict[str, torch.Tensor]) -> torch.Tensor:
        """Unit means times ``W_u``, spread back over the unit's cells: three matrix products
        over the whole batch (``P_u z W_u`` with ``P_u`` never formed)."""
        c, b, d = z.shape
        means = (self.unit_mean @ z.reshape(c, b * d)).view(3, self.size * b, d)
        weights = torch.stack([mats["row"], mats["col"], mats["box"]])
        mixed = torch.bmm(means, weights).view(3 * self.size, b * d)
        return (self.unit_spread @ mixed).view(c, b, d)

    def spec(self) -> dict[str, Any]:
        """``{"kind": "sudoku", "n": n}``."""
        return {"kind": "sudoku", "n": self.n}


class GridBoard(Board):
    """``S x S`` grid of the maze path-editing env: its ``planes`` observation planes and the
    cell's one mask entry (toggle) per cell; mixers are the four neighbour shifts."""

    mixers = ("up", "down", "left", "right")

    def __init__(self, size: int, planes: int = 4) -> None:
        self.size, self.planes = size, planes
        self.cells = size * size
        self.cell_features = planes + 1
        self.actions_per_cell = 1

    def features(self, obs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The cell's value in every plane, then its mask entry."""
        b = obs.shape[0]
        planes = obs.view(b, self.planes, self.cells).transpose(1, 2)
        return torch.cat([planes, mask.view(b, self.cells, 1)], dim=2).float()

    def mix(self, z: torch.Tensor, mats: dict[str, torch.Tensor]) -> torch.Tensor:
        """Each cell receives its upper, lower, left and right neighbour's latent (zero at the
        edge) through ``W_up``, ..., ``W_right``."""
        c, b, d = z.shape
        s = self.size
        grid = z.view(s, s, b, d)
        out = torch.zeros_like(grid)
        out[1:] += grid[:-1] @ mats["up"]
        out[:-1] += grid[1:] @ mats["down"]
        out[:, 1:] += grid[:, :-1] @ mats["left"]
        out[:, :-1] += grid[:, 1:] @ mats["right"]
        return out.view(c, b, d)

    def spec(self) -> dict[str, Any]:
        """``{"kind": "grid", "size": S, "planes": planes}``."""
        return {"kind": "grid", "size": self.size, "planes": self.planes}


def board_from_spec(spec: dict[str, Any]) -> Board:
    """Inverse of :meth:`Board.spec`."""
    if spec["kind"] == "sudoku":
        return SudokuBoard(spec["n"])
    return GridBoard(spec["size"], spec["planes"])


def board_for_env(env_id: str) -> Board:
    """The board of a plan-editing env id (Sudoku or maze path).

    :raises ValueError: for an env that is not plan editing.
    """
    import envs

    kind = envs.family(env_id)
    if kind == "sudoku":
        from envs.sudoku.dataset import DATASETS

        return SudokuBoard(DATASETS[envs.SUDOKU_IDS[env_id]].n)
    if kind == "maze_path":
        from envs.maze.instances import LAYOUTS

        return GridBoard(LAYOUTS[envs.MAZE_PATH_IDS[env_id]].size)
    raise ValueError(f"upi-trm edits plans; {env_id} is a {kind} env")
