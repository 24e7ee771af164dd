"""The TRM README's hierarchical recursive core as an SB3 features extractor (``ppo-trm``).

Re-implemented from the description of ``TRMRecursiveCore`` in trm_core/trm_rl.py of the TRM
repository (acharyaanusha/Tiny-Recursive-Model): a high level ``h`` (width ``h_dim``) and a low
level ``l`` (width ``l_dim``), refined for ``k_cycles`` cycles with shared weights::

    h = embed(obs)
    repeat K times:
        h_start = h
        h = H_2(H_1(h))                      # pre-LayerNorm SwiGLU blocks, residual
        h = h + carry(h_start)               # from the second cycle on
        l = L(h_to_l(h))                     # pre-LayerNorm ReLU block, residual
        h = h + l_to_h(l)
    features = h

K changes only how often the loop runs, not the parameters. Differences from the source, all
forced by PPO: the source feeds the previous action back through a linear projection of the
state (its policy is not Markov in the observation) and has its own action head; here the policy
and value heads are SB3's (``net_arch``), so PPO's clipped objective and value baseline apply
unchanged. The source's per-cycle "deep supervision" outputs are unused there too, so none are
kept.
"""

from __future__ import annotations

import gymnasium as gym
import torch
import torch.nn as nn
import torch.nn.functional as F
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor


class SwiGLUBlock(nn.Module):
    """``x + W_out(silu(W_gate LN(x)) * W_up LN(x))``, hidden width ``2 * dim``."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.gate = nn.Linear(dim, 2 * dim)
        self.up = nn.Linear(dim, 2 * dim)
        self.out = nn.Linear(2 * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """One residual block on ``(B, dim)``."""
        y = self.norm(x)
        return x + self.out(F.silu(self.gate(y)) * self.up(y))


class ReLUBlock(nn.Module):
    """``x + W_2 relu(W_1 LN(x))``, hidden width ``2 * dim``."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """One residual block on ``(B, dim)``."""
        return x + self.net(x)


class TRMExtractor(BaseFeaturesExtractor):
    """Hierarchical recursive features of a flat observation (see the module docstring).

    :param observation_space: a flat Box or MultiBinary space.
    :param k_cycles: K, recursion cycles (the README compares 3 and 5).
    :param h_dim: width of the high level (README: 64); also the features' width.
    :param l_dim: width of the low level (README: 32).
    """

    def __init__(self, observation_space: gym.Space, k_cycles: int = 3, h_dim: int = 64, l_dim: int = 32) -> None:
        super().__init__(observation_space, features_dim=h_dim)
        if k_cycles < 1:
            raise ValueError(f"k_cycles must be >= 1, got {k_cycles}")
        self.k_cycles = k_cycles
        self.embed = nn.Linear(int(torch.tensor(observation_space.shape).prod()), h_dim)
        self.high = nn.Sequential(SwiGLUBlock(h_dim), SwiGLUBlock(h_dim))
        self.carry = nn.Linear(h_dim, h_dim)
        self.h_to_l = nn.Linear(h_dim, l_dim)
        self.low = ReLUBlock(l_dim)
        self.l_to_h = nn.Linear(l_dim, h_dim)

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        """``(B, D)`` observations -> ``(B, h_dim)`` features after ``k_cycles`` cycles."""
        h = self.embed(observations.flatten(1).float())
        for cycle in range(self.k_cycles):
            h_start = h
            h = self.high(h)
            if cycle > 0:
                h = h + self.carry(h_start)
            h = h + self.l_to_h(self.low(self.h_to_l(h)))
        return h
