"""The Tiny Recursive Model: one small shared network refining a per-cell latent ``z`` n times.

Each latent step mixes every cell with the means of its row, its column and its box (the
Sudoku constraint structure), plus the injected input ``e(x, y)``::

    z <- proj_R( tanh( z W_s + P_row z W_r + P_col z W_c + P_box z W_b + e ) )

``P_u`` averages over the cells of a unit; it is an orthogonal projection, so its operator norm
is 1. With ``tanh`` and the projection onto the ball of radius R both 1-Lipschitz, the z -> z map
has Lipschitz constant at most ``||W_s|| + ||W_r|| + ||W_c|| + ||W_b||`` (spectral norms). With
``contraction=L_z`` the four matrices are rescaled on every forward pass so that this sum is
at most ``L_z``: the map is a contraction by construction.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyRecursiveModel(nn.Module):
    """TRM over Sudoku boards with value and masked policy heads.

    :param n: box size (2 for 4x4, 3 for 9x9).
    :param latent_dim: per-cell latent width ``d``.
    :param contraction: Lipschitz target ``L_z`` of the z -> z map, or None for no control.
    :param radius: projection radius ``R`` of the latent after every step (0: off).
    Input features per cell: one-hot clue, one-hot plan and the action mask row of the cell
    (``3N`` values).
    """

    def __init__(self, n: int, latent_dim: int, contraction: float | None, radius: float) -> None:
        super().__init__()
        self.n, self.size, self.cells = n, n * n, n**4
        self.contraction = contraction
        self.radius = radius
        self.value_scale = float(self.cells)  # the head predicts U / C_max
        d = latent_dim
        self.embed = nn.Linear(3 * self.size, d)
        self.mix = nn.ParameterDict(
            {name: nn.Parameter(torch.randn(d, d) / d**0.5) for name in ("self", "row", "col", "box")}
        )
        self.value_head = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, 1))
        self.policy_head = nn.Linear(d, self.size)

    # ------------------------------------------------------------------ recursion
    def mixing_matrices(self) -> dict[str, torch.Tensor]:
        """The four ``(d, d)`` maps, rescaled so their spectral norms sum to at most ``L_z``."""
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
        """One refinement ``z -> f(z; e)`` followed by the projection onto the R-ball.

        ``P_u z W_u`` is computed as the unit means of ``z`` times ``W_u``, broadcast back over
        the unit's cells (the same map, at a ninth of the cost on 9x9).
        """
        B, C, d = z.shape
        n, N = self.n, self.size
        grid = z.view(B, N, N, d)
        rows = grid.mean(dim=2, keepdim=True) @ mats["row"]  # (B, N, 1, d)
        cols = grid.mean(dim=1, keepdim=True) @ mats["col"]  # (B, 1, N, d)
        boxes = z.view(B, n, n, n, n, d).mean(dim=(2, 4), keepdim=True) @ mats["box"]
        pre = (z @ mats["self"] + e).view(B, N, N, d) + rows + cols
        pre = (pre.view(B, n, n, n, n, d) + boxes).view(B, C, d)
        return self.project(torch.tanh(pre))

    def project(self, z: torch.Tensor) -> torch.Tensor:
        """``z * min(1, R / ||z||)`` per sample (Frobenius norm over cells and width); R=0: off."""
        if self.radius <= 0:
            return z
        norm = z.flatten(1).norm(dim=1).clamp_min(1e-12)
        return z * torch.clamp(self.radius / norm, max=1.0)[:, None, None]

    def features(self, obs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Per-cell input ``(B, C, 3N)`` from flat observations and action masks."""
        B = obs.shape[0]
        return torch.cat([obs.view(B, self.cells, 2 * self.size), mask.view(B, self.cells, self.size)], dim=2)

    def latents(self, obs: torch.Tensor, mask: torch.Tensor, depth: int) -> list[torch.Tensor]:
        """``[z_1, ..., z_depth]`` from ``z_0 = 0`` (each ``(B, C, d)``)."""
        e = self.embed(self.features(obs.float(), mask.float()))
        mats = self.mixing_matrices()
        z = torch.zeros_like(e)
        out = []
        for _ in range(depth):
            z = self.latent_step(z, e, mats)
            out.append(z)
        return out

    # ------------------------------------------------------------------ heads
    def heads(self, z: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Value ``U(s)`` ``(B,)`` (env reward units) and masked policy log-probabilities ``(B, C*N)``."""
        value = self.value_scale * self.value_head(z.mean(dim=1)).squeeze(-1)
        logits = self.policy_head(z).flatten(1)
        logits = logits.masked_fill(~mask.bool(), -1e9)
        return value, F.log_softmax(logits, dim=1)

    def forward(self, obs: torch.Tensor, mask: torch.Tensor, depth: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(U_depth(s), log pi_depth(.|s))`` for a batch of states."""
        return self.heads(self.latents(obs, mask, depth)[-1], mask)

    def num_params(self) -> int:
        """Trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
