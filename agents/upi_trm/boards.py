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
        """``sum_u P_u z W_u`` over :attr:`mixers` for ``z`` ``(B, C, d)``."""

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

    def features(self, obs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Clue and plan one-hots (``2N``) and the cell's ``N`` mask entries."""
        b = obs.shape[0]
        return torch.cat([obs.view(b, self.cells, 2 * self.size), mask.view(b, self.cells, self.size)], dim=2).float()

    def mix(self, z: torch.Tensor, mats: dict[str, torch.Tensor]) -> torch.Tensor:
        """Unit means times ``W_u``, broadcast back over the unit's cells (``P_u z W_u`` at a
        ninth of the cost on 9x9)."""
        b, c, d = z.shape
        n, size = self.n, self.size
        grid = z.view(b, size, size, d)
        rows = grid.mean(dim=2, keepdim=True) @ mats["row"]  # (B, N, 1, d)
        cols = grid.mean(dim=1, keepdim=True) @ mats["col"]  # (B, 1, N, d)
        boxes = z.view(b, n, n, n, n, d).mean(dim=(2, 4), keepdim=True) @ mats["box"]
        out = (rows + cols).expand(b, size, size, d).reshape(b, n, n, n, n, d) + boxes
        return out.reshape(b, c, d)

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
        b, c, d = z.shape
        s = self.size
        grid = z.view(b, s, s, d)
        out = torch.zeros_like(grid)
        out[:, 1:] += grid[:, :-1] @ mats["up"]
        out[:, :-1] += grid[:, 1:] @ mats["down"]
        out[:, :, 1:] += grid[:, :, :-1] @ mats["left"]
        out[:, :, :-1] += grid[:, :, 1:] @ mats["right"]
        return out.view(b, c, d)

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
