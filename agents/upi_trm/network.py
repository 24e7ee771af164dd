"""The Tiny Recursive Model: one small shared network refining a per-cell latent ``z`` n times.

Each latent step mixes every cell with what the board's mixers bring it (on Sudoku the means of
its row, its column and its box, the constraint structure; on a maze grid its four neighbours),
plus the injected input ``e(x, y)``::

    z <- proj_R( tanh( z W_self + sum_u P_u z W_u + e ) )

Every ``P_u`` has operator norm at most 1 (:mod:`agents.upi_trm.boards`). With ``tanh`` and the
projection onto the ball of radius R both 1-Lipschitz, the z -> z map has Lipschitz constant at
most ``||W_self|| + sum_u ||W_u||`` (spectral norms). With ``contraction=L_z`` the matrices are
rescaled on every forward pass so that this sum is at most ``L_z``: the map is a contraction by
construction.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from agents.upi_trm.boards import Board


class TinyRecursiveModel(nn.Module):
    """TRM over a board's cells with value and masked policy heads.

    :param board: cells, per-cell inputs and mixers (:mod:`agents.upi_trm.boards`).
    :param latent_dim: per-cell latent width ``d``.
    :param contraction: Lipschitz target ``L_z`` of the z -> z map, or None for no control.
    :param radius: projection radius ``R`` of the latent after every step (0: off).
    :param value_scale: C_max of the env, ``envs.facts(env_id).max_score``: the value head
        predicts ``U / C_max``. A buffer, so a checkpoint keeps it; the trainer sets it to its
        env's (:meth:`set_value_scale`).
    """

    value_scale: torch.Tensor

    def __init__(
        self, board: Board, latent_dim: int, contraction: float | None, radius: float, value_scale: float = 1.0
    ) -> None:
        super().__init__()
        self.board = board
        self.cells = board.cells
        self.contraction = contraction
        self.radius = radius
        self.register_buffer("value_scale", torch.tensor(float(value_scale)))
        d = latent_dim
        self.embed = nn.Linear(board.cell_features, d)
        self.mix = nn.ParameterDict(
            {name: nn.Parameter(torch.randn(d, d) / d**0.5) for name in ("self", *board.mixers)}
        )
        self.value_head = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, 1))
        self.policy_head = nn.Linear(d, board.actions_per_cell)

    def set_value_scale(self, c_max: float) -> None:
        """Predict values in units of ``c_max`` (the env's ``envs.facts(env_id).max_score``)."""
        self.value_scale.fill_(float(c_max))

    # ------------------------------------------------------------------ recursion
    def mixing_matrices(self) -> dict[str, torch.Tensor]:
        """The ``(d, d)`` maps, rescaled so their spectral norms sum to at most ``L_z``."""
        mats = dict(self.mix.items())
        if self.contraction is None:
            return mats
        total = sum(torch.linalg.matrix_norm(w, ord=2) for w in mats.values())
        scale = torch.clamp(self.contraction / total, max=1.0)
        return {k: w * scale for k, w in mats.items()}

    def lipschitz_bound(self) -> float:
        """The proven bound on the z -> z Lipschitz constant (sum of spectral norms)."""
        with torch.no_grad():
            return float(sum(torch.linalg.matrix_norm(w, ord=2) for w in self.mixing_matrices().values()))

    def latent_step(self, z: torch.Tensor, e: torch.Tensor, mats: dict[str, torch.Tensor]) -> torch.Tensor:
        """One refinement ``z -> f(z; e)`` followed by the projection onto the R-ball, on
        cell-major latents ``(C, B, d)`` (the layout in which the mixers are single matrix
        products over the whole batch)."""
        return self.project(torch.tanh(z @ mats["self"] + self.board.mix(z, mats) + e))

    def project(self, z: torch.Tensor) -> torch.Tensor:
        """``z * min(1, R / ||z||)`` per sample of a cell-major ``(C, B, d)`` latent (Frobenius
        norm over cells and width); R=0: off."""
        if self.radius <= 0:
            return z
        norm = z.square().sum(dim=(0, 2)).sqrt().clamp_min(1e-12)
        return z * torch.clamp(self.radius / norm, max=1.0)[None, :, None]

    def latents(self, obs: torch.Tensor, mask: torch.Tensor, depth: int) -> list[torch.Tensor]:
        """``[z_1, ..., z_depth]`` from ``z_0 = 0``, each ``(B, C, d)``."""
        return [z.transpose(0, 1) for z in self._unroll(obs, mask, depth)]

    def _unroll(self, obs: torch.Tensor, mask: torch.Tensor, depth: int) -> list[torch.Tensor]:
        """The cell-major latents ``(C, B, d)`` of :meth:`latents`."""
        e = self.embed(self.board.features(obs, mask).transpose(0, 1))
        mats = self.mixing_matrices()
        z = torch.zeros_like(e)
        out = []
        for _ in range(depth):
            z = self.latent_step(z, e, mats)
            out.append(z)
        return out

    # ------------------------------------------------------------------ heads
    def heads(self, z: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Value ``U(s)`` ``(B,)`` (env reward units) and masked policy log-probabilities ``(B, A)``."""
        value = self.value_scale * self.value_head(z.mean(dim=1)).squeeze(-1)
        logits = self.policy_head(z).flatten(1)
        logits = logits.masked_fill(~mask.bool(), -1e9)
        return value, F.log_softmax(logits, dim=1)

    def forward(self, obs: torch.Tensor, mask: torch.Tensor, depth: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(U_depth(s), log pi_depth(.|s))`` for a batch of states."""
        return self.heads(self._unroll(obs, mask, depth)[-1].transpose(0, 1), mask)

    def num_params(self) -> int:
        """Trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
