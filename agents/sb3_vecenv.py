"""SB3 ``VecEnv`` view of a Gymnasium vector env with ``SAME_STEP`` autoreset.

Lets SB3 algorithms train on the batched numpy envs directly (one process, no per-env Python
objects), and serves the action masks to sb3-contrib's MaskablePPO through
``env_method("action_masks")``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvObs, VecEnvStepReturn

import envs  # noqa: F401 - registers the ids


class SB3VectorAdapter(VecEnv):
    """Present ``vec`` (a Gymnasium ``VectorEnv`` with ``SAME_STEP`` autoreset) as an SB3 VecEnv.

    Finished episodes put ``terminal_observation``, ``TimeLimit.truncated`` and the env's final
    info (``solved``, ``score``, ...) into that sub-env's info dict, as SB3 expects.
    """

    def __init__(self, vec: gym.vector.VectorEnv) -> None:
        self.vec = vec
        super().__init__(vec.num_envs, vec.single_observation_space, vec.single_action_space)
        self._actions: np.ndarray | None = None
        self._mask: np.ndarray | None = None

    @classmethod
    def make(cls, env_id: str, num_envs: int, env_kwargs: dict[str, Any]) -> SB3VectorAdapter:
        """Adapter over ``gym.make_vec(env_id, num_envs, "vector_entry_point", **env_kwargs)``."""
        return cls(gym.make_vec(env_id, num_envs, vectorization_mode="vector_entry_point", **env_kwargs))

    def reset(self) -> VecEnvObs:
        """Reset all sub-envs, using the seeds set by ``seed()`` if any."""
        seeds = None if self._seeds[0] is None else [int(s) for s in self._seeds]
        obs, info = self.vec.reset(seed=seeds)
        self._seeds = [None] * self.num_envs
        self._mask = info["action_mask"]
        self.reset_infos = [{} for _ in range(self.num_envs)]
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        """Remember the actions for ``step_wait``."""
        self._actions = np.asarray(actions).reshape(self.num_envs)

    def step_wait(self) -> VecEnvStepReturn:
        """Step the vector env; SB3's info conventions for finished episodes."""
        obs, reward, terminated, truncated, info = self.vec.step(self._actions)
        self._mask = info["action_mask"]
        dones = terminated | truncated
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if dones.any():
            final = info["final_info"]
            keys = [k for k in final if not k.startswith("_")]
            for i in np.flatnonzero(dones):
                infos[i] = {k: final[k][i] for k in keys}
                infos[i]["terminal_observation"] = info["final_obs"][i]
                infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
        return obs, reward.astype(np.float32), dones, infos

    def action_masks(self) -> np.ndarray:
        """``(num_envs, A)`` masks of the current observations."""
        assert self._mask is not None, "reset() first"
        return self._mask

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **method_kwargs: Any
    ) -> list[Any]:
        """Only ``action_masks`` is served (what MaskablePPO asks for)."""
        if method_name != "action_masks":
            raise AttributeError(f"{type(self).__name__} serves env_method('action_masks') only")
        return list(self.action_masks()[self._get_indices(indices)])

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """The vector env's attribute, once per requested sub-env."""
        value = getattr(self.vec, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Sub-envs share one batched state: attributes cannot be set per env."""
        raise AttributeError("the batched env has no per-env attributes to set")

    def env_is_wrapped(self, wrapper_class: type, indices: VecEnvIndices = None) -> list[bool]:
        """The batched env carries no Gymnasium wrappers."""
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        """No image rendering."""
        return [None] * self.num_envs

    def close(self) -> None:
        """Close the vector env."""
        self.vec.close()
