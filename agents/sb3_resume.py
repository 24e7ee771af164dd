"""Checkpoint and resume of SB3 training between two rollouts (:class:`agents.registry.Checkpoint`).

At the start of a rollout (after the previous update, before any new transition) the state of an
SB3 algorithm is its network and optimizer (``get_parameters``), a few counters and the last
observation, the replay buffer's filled part (off-policy), the env's state and the random state of
its action space; the global random states travel with the checkpoint itself. The rollout
buffer is empty at that point and needs nothing.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.buffers import ReplayBuffer
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

from agents.registry import Checkpoint
from agents.sb3_vecenv import SB3VectorAdapter

COUNTERS = (
    "num_timesteps", "_episode_num", "_n_updates", "_current_progress_remaining", "_last_obs", "_last_episode_starts",
    "_last_original_obs", "ep_info_buffer", "ep_success_buffer", "_n_calls", "exploration_rate",
)
"""The algorithm's attributes that change as it trains (those it has are stored)."""
ADAPTER_FIELDS = ("_mask", "reset_infos", "_seeds")
"""The env adapter's own fields that change (the batched env's state is taken on its own)."""


def adapter_of(env: VecEnv) -> SB3VectorAdapter:
    """The :class:`SB3VectorAdapter` under ``env``'s wrappers."""
    while isinstance(env, VecEnvWrapper):
        env = env.venv
    if not isinstance(env, SB3VectorAdapter):
        raise TypeError(f"no SB3VectorAdapter under {type(env).__name__}")
    return env


def training_state(model: BaseAlgorithm) -> dict[str, Any]:
    """Everything :func:`restore_training` needs to go on exactly from here (see the module docstring)."""
    adapter = adapter_of(model.get_env())
    state: dict[str, Any] = {
        "parameters": model.get_parameters(),
        "counters": {name: copy.deepcopy(getattr(model, name)) for name in COUNTERS if hasattr(model, name)},
        "action_space": copy.deepcopy(model.action_space.np_random.bit_generator.state),
        "env": adapter.vec.unwrapped.get_state(),
        "adapter": {name: copy.deepcopy(getattr(adapter, name)) for name in ADAPTER_FIELDS},
    }
    buffer = getattr(model, "replay_buffer", None)
    if isinstance(buffer, ReplayBuffer):
        filled = buffer.buffer_size if buffer.full else buffer.pos
        arrays = {name: value[:filled].copy() for name, value in vars(buffer).items() if _per_slot(buffer, value)}
        state["replay"] = {"arrays": arrays, "pos": buffer.pos, "full": buffer.full}
    return state


def restore_training(model: BaseAlgorithm, state: dict[str, Any]) -> None:
    """Put ``model`` (freshly built with the same configuration and env) in the saved state."""
    model.set_parameters(state["parameters"], exact_match=True, device=model.device)
    for name, value in state["counters"].items():
        setattr(model, name, copy.deepcopy(value))
    model.action_space.np_random.bit_generator.state = state["action_space"]
    adapter = adapter_of(model.get_env())
    adapter.vec.unwrapped.set_state(state["env"])
    for name, value in state["adapter"].items():
        setattr(adapter, name, copy.deepcopy(value))
    if "replay" in state:
        buffer = model.replay_buffer
        for name, value in state["replay"]["arrays"].items():
            getattr(buffer, name)[: len(value)] = value
        buffer.pos, buffer.full = state["replay"]["pos"], state["replay"]["full"]


def _per_slot(buffer: ReplayBuffer, value: Any) -> bool:
    """Whether ``value`` is one of the buffer's per-transition arrays (first axis: its slots)."""
    return isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == buffer.buffer_size


class ResumeCallback(BaseCallback):
    """Saves the training state to ``checkpoint`` at the start of a rollout when it is due."""

    def __init__(self, checkpoint: Checkpoint) -> None:
        super().__init__()
        self.checkpoint = checkpoint

    def _on_rollout_start(self) -> None:
        if self.model.num_timesteps > 0 and self.checkpoint.due():
            self.checkpoint.save(training_state(self.model))

    def _on_step(self) -> bool:
        return True
