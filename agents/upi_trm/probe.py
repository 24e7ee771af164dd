"""Depth-drift probe (DESIGN section 5): how far the value, policy and latent of a trained TRM
move when it is unrolled deeper than it was trained, on a frozen batch of held-out states."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch

from agents.upi_trm.network import TinyRecursiveModel


def frozen_states(env_id: str, env_kwargs: dict[str, Any], puzzles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Initial observations and masks ``(P, D)``, ``(P, A)`` of the given held-out puzzles."""
    kwargs = dict(env_kwargs, split="test")
    vec = gym.make_vec(env_id, len(puzzles), vectorization_mode="vector_entry_point", **kwargs)
    obs, info = vec.reset(seed=0, options={"puzzle_index": np.asarray(puzzles)})
    vec.close()
    return obs, info["action_mask"]


@torch.no_grad()
def depth_drift(
    net: TinyRecursiveModel, obs: np.ndarray, mask: np.ndarray, depths: list[int], base_depth: int = 2
) -> list[dict[str, float]]:
    """Drift of each depth in ``depths`` against ``base_depth`` (the training depth).

    Per depth n: ``delta_v`` = mean |U_n - U_base| (reward units), ``delta_pi`` = mean
    KL(pi_base || pi_n), ``delta_z`` = mean L2 distance of the latents, ``agreement`` = share of
    states whose greedy action is unchanged, and its counts ``agreement_count`` (ints) out of
    ``states``, from which ``bench`` computes intervals.
    """
    mask_t = torch.as_tensor(mask)
    latents = net.latents(torch.as_tensor(obs), mask_t, max(depths + [base_depth]))
    z_base = latents[base_depth - 1]
    v_base, logp_base = net.heads(z_base, mask_t)
    p_base = logp_base.exp()
    rows = []
    for depth in depths:
        z = latents[depth - 1]
        v, logp = net.heads(z, mask_t)
        kl = (p_base * (logp_base - logp)).masked_fill(~mask_t.bool(), 0.0).sum(dim=1)
        agree = (logp.argmax(1) == logp_base.argmax(1)).numpy()
        rows.append(
            {
                "depth": depth,
                "delta_v": float((v - v_base).abs().mean()),
                "delta_pi": float(kl.mean()),
                "delta_z": float((z - z_base).flatten(1).norm(dim=1).mean()),
                "agreement": float(agree.mean()),
                "agreement_count": int(agree.sum()),
                "states": len(agree),
            }
        )
    return rows
