"""UPI-TRM's network as the backbone of SB3 policies (agent kwarg ``backbone="trm"``).

The poster ran its baselines on "the same backbone" as UPI-TRM. This module builds SB3 policies
on :class:`agents.upi_trm.network.TinyRecursiveModel` itself: the board of the env id
(:func:`agents.upi_trm.boards.board_for_env`), a per-cell latent refined ``depth`` times by one
shared network, and the TRM's own heads:

* actor-critic (PPO, A2C, MaskablePPO, maskable-a2c): the action logits are the TRM's per-cell
  policy head flattened to the env's actions (``a = cell * N + digit - 1``), the value is its
  value head (in units of the env's ``C_max``, as UPI-TRM's); both read the same latent;
* DQN and maskable-dqn: ``Q(s, a)`` is the per-cell head over the same recursive core; the
  value head is dropped (Q-learning has no state value). SB3 keeps the target copy.

The network reads the legal-move mask as an input feature, exactly as UPI-TRM's does: the
observation the policy sees is ``[obs, mask]`` (:class:`MaskInObservation`, and
:func:`with_mask` at prediction), split again before the board's per-cell features. So PPO on
the TRM and UPI-TRM differ in the algorithm only, not in what the network sees. Whether the
mask also restricts the *actions* is the algorithm's: the maskable ones apply it to the
distribution (or the argmax), the plain ones act over every action, an illegal one being the
env's penalised no-op.

The backbone's dials (``latent_dim``, ``depth`` = n, ``contraction`` = L_z, ``radius`` = R)
take their defaults from :class:`agents.upi_trm.upi.UPIConfig`, their one home.
"""

from __future__ import annotations

import typing
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn as nn
from gymnasium import spaces
from sb3_contrib import MaskablePPO
from sb3_contrib.common.maskable.policies import MaskableActorCriticPolicy
from sb3_contrib.common.maskable.utils import get_action_masks
from stable_baselines3 import A2C, DQN, PPO
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.policies import ActorCriticPolicy, BasePolicy
from stable_baselines3.common.preprocessing import preprocess_obs
from stable_baselines3.common.type_aliases import Schedule
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
from stable_baselines3.common.vec_env.base_vec_env import VecEnvObs, VecEnvStepReturn
from stable_baselines3.dqn.policies import DQNPolicy

import envs
from agents.upi_trm import UPITRM
from agents.upi_trm.boards import board_for_env, board_from_spec
from agents.upi_trm.network import TinyRecursiveModel
from agents.upi_trm.upi import UPIConfig

BACKBONES = ("mlp", "trm")
"""Values of the ``backbone`` agent kwarg (``mlp``: SB3's ``MlpPolicy``, the default)."""
TRM_KWARGS = ("latent_dim", "depth", "contraction", "radius")
"""Agent kwargs of the trm backbone: UPI-TRM's dials of the network, same names."""
TRM_HINTS: dict[str, Any] = {name: typing.get_type_hints(UPIConfig)[name] for name in TRM_KWARGS}
"""Their types, read from UPI-TRM's config."""
TRM_FAMILIES: tuple[str, ...] = UPITRM.env_families
"""Env families with a TRM board (plan editing: Sudoku, maze path)."""


def trm_config(kwargs: dict[str, Any]) -> UPIConfig:
    """UPI-TRM's config with the backbone kwargs found in ``kwargs``, its defaults for the rest.

    :raises ValueError: a value out of range (UPI-TRM's own check, one sentence).
    """
    return UPIConfig(**{name: kwargs[name] for name in TRM_KWARGS if name in kwargs})


def trm_policy(algo: type[BaseAlgorithm]) -> type[BasePolicy] | None:
    """The TRM policy class for the SB3 algorithm ``algo``, None if there is none (QR-DQN)."""
    if issubclass(algo, DQN):
        return TRMDQNPolicy
    if issubclass(algo, MaskablePPO):
        return MaskableTRMActorCriticPolicy
    if issubclass(algo, PPO | A2C):
        return TRMActorCriticPolicy
    return None


def trm_policy_kwargs(env_id: str, obs_size: int, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``policy_kwargs`` of a TRM policy on ``env_id`` (observations of ``obs_size`` entries):
    UPI-TRM's board of the env, its config for the backbone kwargs (``latent_dim`` resolved for
    the board as UPI-TRM resolves it), the env's ``C_max`` as the value scale.

    :raises ValueError: the env has no TRM board, or its observation is not the board's layout.
    """
    family = envs.family(env_id)
    if family not in TRM_FAMILIES:
        raise ValueError(f"backbone 'trm' runs on {', '.join(TRM_FAMILIES)} envs; {env_id} is a {family} env")
    board = board_for_env(env_id)
    expected = board.cells * board.cell_features - board.num_actions
    if obs_size != expected:
        raise ValueError(f"backbone 'trm' reads {expected} observation entries on {env_id}, these env kwargs give {obs_size}")
    cfg = trm_config(kwargs).for_board(board)
    return {
        "board": board.spec(),
        "latent_dim": cfg.latent_dim,
        "depth": cfg.depth,
        "contraction": cfg.contraction,
        "radius": cfg.radius,
        "value_scale": envs.facts(env_id).max_score,
    }


def with_mask(obs: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``[obs, mask]`` along the last axis, ``(..., D + A)`` in the observation's dtype."""
    return np.concatenate([obs, np.asarray(mask).astype(obs.dtype)], axis=-1)


class MaskInObservation(VecEnvWrapper):
    """Observations followed by their action masks, ``(num_envs, D + A)`` (``MultiBinary``),
    terminal observations included (with the final state's ``info["action_mask"]``); masks are
    still served by ``env_method("action_masks")``."""

    def __init__(self, venv: VecEnv) -> None:
        size = int(venv.observation_space.shape[0] + venv.action_space.n)
        super().__init__(venv, observation_space=spaces.MultiBinary(size))

    def reset(self) -> VecEnvObs:
        """Reset, with the masks of the first observations."""
        obs = self.venv.reset()
        return with_mask(obs, get_action_masks(self.venv))

    def step_wait(self) -> VecEnvStepReturn:
        """Step, with the masks of the new (and of the terminal) observations."""
        obs, rewards, dones, infos = self.venv.step_wait()
        for i in np.flatnonzero(dones):
            infos[i]["terminal_observation"] = with_mask(infos[i]["terminal_observation"], infos[i]["action_mask"])
        return with_mask(obs, get_action_masks(self.venv)), rewards, dones, infos


class TRMCore(nn.Module):
    """A :class:`TinyRecursiveModel` on ``[obs, mask]`` rows, unrolled ``depth`` times.

    :param board: :meth:`Board.spec` of the env's board.
    :param latent_dim: per-cell latent width ``d``.
    :param depth: latent refinement steps ``n``.
    :param contraction: Lipschitz target ``L_z`` (None: off).
    :param radius: latent projection radius ``R`` (0: off).
    :param value_scale: the env's ``C_max`` (values are predicted in its units).
    :param value_head: keep the TRM's value head (False for a Q-network).
    """

    def __init__(
        self,
        board: dict[str, Any],
        latent_dim: int,
        depth: int,
        contraction: float | None,
        radius: float,
        value_scale: float,
        value_head: bool = True,
    ) -> None:
        super().__init__()
        self.depth = depth
        self.trm = TinyRecursiveModel(board_from_spec(board), latent_dim, contraction, radius, value_scale)
        if not value_head:
            self.trm.value_head = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The last latent ``(B, C, d)`` of float ``[obs, mask]`` rows ``(B, D + A)``."""
        split = x.shape[1] - self.trm.board.num_actions
        return self.trm.latents(x[:, :split], x[:, split:], self.depth)[-1]


class TRMPolicy:
    """The constructor of every TRM policy (mixed in before SB3's policy class): keeps the
    :class:`TRMCore` kwargs for the build step SB3's constructor calls, then runs that
    constructor with the rest.

    :param board, latent_dim, depth, contraction, radius, value_scale: :class:`TRMCore`'s.
    :param sb3_kwargs: SB3's policy kwargs that still apply: the optimizer's (A2C's RMSprop
        arrives here), ``use_sde`` (always False: discrete actions).
    """

    reads_action_mask: ClassVar[bool] = True
    """The policy's observation is ``[obs, mask]`` (:func:`with_mask`)."""

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Discrete,
        lr_schedule: Schedule,
        board: dict[str, Any],
        latent_dim: int,
        depth: int,
        contraction: float | None,
        radius: float,
        value_scale: float,
        **sb3_kwargs: Any,
    ) -> None:
        self.core_kwargs = dict(
            board=board, latent_dim=latent_dim, depth=depth, contraction=contraction, radius=radius, value_scale=value_scale
        )
        super().__init__(observation_space, action_space, lr_schedule, **sb3_kwargs)  # type: ignore[call-arg]


class TRMActorCritic(TRMPolicy):
    """What the two TRM actor-critic policies share: SB3's actor-critic interface answered by
    the TRM's heads, the action masks (when given) applied to the distribution."""

    core: TRMCore

    def _build(self, lr_schedule: Schedule) -> None:
        """The TRM (instead of SB3's MLP, action and value layers) and the optimizer."""
        self.core = TRMCore(**self.core_kwargs)
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)

    def actor_modules(self) -> list[nn.Module]:
        """The modules that choose the action: the recursive core and the per-cell policy head."""
        trm = self.core.trm
        return [trm.embed, trm.mix, trm.policy_head]

    def _distribution_and_values(self, obs: torch.Tensor, action_masks: np.ndarray | None = None) -> tuple[Any, torch.Tensor]:
        """The action distribution (masked when ``action_masks`` is given) and the values ``(B, 1)``."""
        z = self.core(self.extract_features(obs))
        everything = torch.ones(z.shape[0], self.core.trm.board.num_actions, dtype=torch.bool, device=z.device)
        values, log_probs = self.core.trm.heads(z, everything)
        distribution = self.action_dist.proba_distribution(action_logits=log_probs)
        if action_masks is not None:
            distribution.apply_masking(action_masks)
        return distribution, values.unsqueeze(1)

    def forward(
        self, obs: torch.Tensor, deterministic: bool = False, action_masks: np.ndarray | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Actions, values and log-probabilities of the actions."""
        distribution, values = self._distribution_and_values(obs, action_masks)
        actions = distribution.get_actions(deterministic=deterministic)
        return actions, values, distribution.log_prob(actions)

    def evaluate_actions(
        self, obs: torch.Tensor, actions: torch.Tensor, action_masks: np.ndarray | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Values, log-probabilities of ``actions`` and entropies."""
        distribution, values = self._distribution_and_values(obs, action_masks)
        return values, distribution.log_prob(actions), distribution.entropy()

    def get_distribution(self, obs: torch.Tensor, action_masks: np.ndarray | None = None) -> Any:
        """The action distribution."""
        return self._distribution_and_values(obs, action_masks)[0]

    def predict_values(self, obs: torch.Tensor) -> torch.Tensor:
        """Values ``(B, 1)``."""
        return self._distribution_and_values(obs)[1]

    def _predict(self, observation: torch.Tensor, deterministic: bool = False, action_masks: np.ndarray | None = None) -> torch.Tensor:
        return self.get_distribution(observation, action_masks).get_actions(deterministic=deterministic)


class TRMActorCriticPolicy(TRMActorCritic, ActorCriticPolicy):
    """SB3 actor-critic policy on the TRM (PPO, A2C): acts over every action."""


class MaskableTRMActorCriticPolicy(TRMActorCritic, MaskableActorCriticPolicy):
    """sb3-contrib maskable actor-critic policy on the TRM (MaskablePPO, maskable-a2c)."""


class TRMQNetwork(BasePolicy):
    """``Q(s, .)`` ``(B, A)``: the TRM's per-cell head over its recursive core (no value head).

    :param core_kwargs: those of :class:`TRMCore`.
    """

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Discrete, **core_kwargs: Any) -> None:
        super().__init__(observation_space, action_space)
        self.core = TRMCore(**core_kwargs, value_head=False)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Q-values of every action."""
        z = self.core(preprocess_obs(obs, self.observation_space))
        return self.core.trm.policy_head(z).flatten(1)

    def _predict(self, observation: torch.Tensor, deterministic: bool = True) -> torch.Tensor:
        return self(observation).argmax(dim=1)


class TRMDQNPolicy(TRMPolicy, DQNPolicy):
    """SB3 DQN policy whose Q-network (and its target copy) is a :class:`TRMQNetwork`."""

    def make_q_net(self) -> TRMQNetwork:  # type: ignore[override]
        """A fresh TRM Q-network (SB3 makes two: online and target)."""
        return TRMQNetwork(self.observation_space, self.action_space, **self.core_kwargs).to(self.device)
