"""Masked A2C and masked DQN: the baselines "with the same action mask" as UPI-TRM (DESIGN
section 4), thin over SB3 and sb3-contrib.

Both read the env's masks as MaskablePPO does (``env_method("action_masks")``, served by
:class:`agents.sb3_vecenv.SB3VectorAdapter`) and take them in ``predict(..., action_masks=)``.
A state without a legal action (possible under the poster's rules with ``constraint-edit``)
lets every action be taken: sb3-contrib's masked distribution does so for MaskableA2C, and
:func:`legal_or_all` for MaskableDQN (acting and target max alike).

No ``from __future__ import annotations`` here: the agent checks its kwargs against the
constructors' real annotations (:mod:`agents.sb3_config`).
"""

from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from sb3_contrib import MaskablePPO
from sb3_contrib.common.maskable.policies import MaskableActorCriticPolicy
from sb3_contrib.common.maskable.utils import get_action_masks
from stable_baselines3 import DQN
from stable_baselines3.common.buffers import ReplayBuffer
from stable_baselines3.common.type_aliases import GymEnv, Schedule
from stable_baselines3.common.vec_env import VecNormalize

NEXT_MASK = "next_action_mask"
"""Info key through which :class:`MaskableDQN` hands each transition's next mask to the buffer."""


def legal_or_all(mask: torch.Tensor) -> torch.Tensor:
    """``(B, A)`` bool mask with every all-False row made all-True: a state without a legal
    action may take any."""
    return mask | ~mask.any(dim=1, keepdim=True)


def masked_td_target(
    next_q: torch.Tensor, next_mask: torch.Tensor, rewards: torch.Tensor, dones: torch.Tensor, gamma: float
) -> torch.Tensor:
    """One-step TD target ``r + gamma * (1 - done) * max_{a' legal in s'} Q(s', a')``, ``(B, 1)``.

    :param next_q: target-network Q-values of the next states, ``(B, A)``.
    :param next_mask: their legal actions, ``(B, A)`` bool (:func:`legal_or_all` applies).
    :param rewards: ``(B, 1)``.
    :param dones: ``(B, 1)``, 1 for a termination (not for a truncation).
    """
    best = next_q.masked_fill(~legal_or_all(next_mask), -torch.inf).amax(dim=1, keepdim=True)
    return rewards + (1 - dones) * gamma * best


class MaskableA2C(MaskablePPO):
    """A2C sampling legal actions only: sb3-contrib's masked rollouts and policy, one gradient step per rollout.

    A subclass of MaskablePPO rather than of A2C because it is the thinner one: everything that
    touches masks (rollout collection with ``get_action_masks``, the MaskableRolloutBuffer that
    stores them, the masked policy in training, ``predict(action_masks=)``) is MaskablePPO's,
    and A2C's update is a special case of PPO's. With one epoch over the whole rollout as one
    batch, PPO takes a single gradient step at the parameters that collected the data, where the
    probability ratio is 1 and the clipped surrogate's gradient is A2C's ``-A * grad log pi``
    (value and entropy terms are the same in both). A subclass of A2C would have to rewrite its
    rollout collection, buffer and update to carry the masks. What is A2C's here: the
    constructor's arguments and defaults (RMSprop, ``n_steps=5``, ``gae_lambda=1``, no
    advantage normalisation); ``tests/test_masked_baselines.py`` checks one update against A2C's
    loss computed by hand.

    :param policy: the policy class or its alias (``"MlpPolicy"``); a MaskableActorCriticPolicy.
    :param env: the training env (with ``action_masks``).
    :param learning_rate, n_steps, gamma, gae_lambda, ent_coef, vf_coef, max_grad_norm: A2C's.
    :param rms_prop_eps, use_rms_prop: A2C's RMSprop optimizer (unless ``policy_kwargs`` names one).
    :param normalize_advantage: A2C's (off by default).
    :param stats_window_size, tensorboard_log, policy_kwargs, verbose, seed, device: SB3's.
    """

    def __init__(
        self,
        policy: str | type[MaskableActorCriticPolicy],
        env: GymEnv | str,
        learning_rate: float | Schedule = 7e-4,
        n_steps: int = 5,
        gamma: float = 0.99,
        gae_lambda: float = 1.0,
        ent_coef: float = 0.0,
        vf_coef: float = 0.5,
        max_grad_norm: float = 0.5,
        rms_prop_eps: float = 1e-5,
        use_rms_prop: bool = True,
        normalize_advantage: bool = False,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: torch.device | str = "auto",
        _init_setup_model: bool = True,
    ) -> None:
        policy_kwargs = dict(policy_kwargs or {})
        if use_rms_prop and "optimizer_class" not in policy_kwargs:
            policy_kwargs["optimizer_class"] = torch.optim.RMSprop
            policy_kwargs["optimizer_kwargs"] = {"alpha": 0.99, "eps": rms_prop_eps, "weight_decay": 0}
        super().__init__(
            policy,
            env,
            learning_rate=learning_rate,
            n_steps=n_steps,
            batch_size=None,  # the whole rollout in one batch ...
            n_epochs=1,  # ... once: a single gradient step, at ratio 1
            gamma=gamma,
            gae_lambda=gae_lambda,
            normalize_advantage=normalize_advantage,
            ent_coef=ent_coef,
            vf_coef=vf_coef,
            max_grad_norm=max_grad_norm,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            policy_kwargs=policy_kwargs,
            verbose=verbose,
            seed=seed,
            device=device,
            _init_setup_model=_init_setup_model,
        )


class MaskedReplayBufferSamples(NamedTuple):
    """SB3's ``ReplayBufferSamples`` fields (one-step, no ``discounts``) and the next states' masks."""

    observations: torch.Tensor
    actions: torch.Tensor
    next_observations: torch.Tensor
    dones: torch.Tensor
    rewards: torch.Tensor
    next_action_masks: torch.Tensor
    """``(B, A)`` bool."""


class MaskedReplayBuffer(ReplayBuffer):
    """SB3's replay buffer that also stores each transition's next action mask, read from
    ``infos[i][NEXT_MASK]`` in :meth:`add` (``next_action_masks``, ``(buffer_size, n_envs, A)``
    bool). Only terminated transitions ignore it (their target does not bootstrap)."""

    def __init__(
        self,
        buffer_size: int,
        observation_space: spaces.Space,
        action_space: spaces.Discrete,
        device: torch.device | str = "auto",
        n_envs: int = 1,
        optimize_memory_usage: bool = False,
        handle_timeout_termination: bool = True,
    ) -> None:
        if optimize_memory_usage:
            raise ValueError("MaskedReplayBuffer keeps next observations: optimize_memory_usage must be False")
        super().__init__(buffer_size, observation_space, action_space, device, n_envs, False, handle_timeout_termination)
        # zeros: allocated lazily like SB3's arrays; a slot is read only once written
        self.next_action_masks = np.zeros((self.buffer_size, self.n_envs, int(action_space.n)), dtype=bool)

    def add(
        self,
        obs: np.ndarray,
        next_obs: np.ndarray,
        action: np.ndarray,
        reward: np.ndarray,
        done: np.ndarray,
        infos: list[dict[str, Any]],
    ) -> None:
        """SB3's ``add``, and the next masks ``infos[i][NEXT_MASK]``."""
        self.next_action_masks[self.pos] = np.stack([info[NEXT_MASK] for info in infos])
        super().add(obs, next_obs, action, reward, done, infos)

    def _get_samples(self, batch_inds: np.ndarray, env: VecNormalize | None = None) -> MaskedReplayBufferSamples:  # type: ignore[override]
        # SB3's draws its env indices inside: drawn here, so that the masks match the transitions
        envs = np.random.randint(0, self.n_envs, size=len(batch_inds))
        # a truncation is not a termination: it bootstraps from the next state
        dones = self.dones[batch_inds, envs] * (1 - self.timeouts[batch_inds, envs])
        return MaskedReplayBufferSamples(
            observations=self.to_torch(self._normalize_obs(self.observations[batch_inds, envs], env)),
            actions=self.to_torch(self.actions[batch_inds, envs]),
            next_observations=self.to_torch(self._normalize_obs(self.next_observations[batch_inds, envs], env)),
            dones=self.to_torch(dones.reshape(-1, 1)),
            rewards=self.to_torch(self._normalize_reward(self.rewards[batch_inds, envs].reshape(-1, 1), env)),
            next_action_masks=self.to_torch(self.next_action_masks[batch_inds, envs]),
        )


class MaskableDQN(DQN):
    """DQN with illegal actions excluded from exploration, the greedy action and the target max.

    Exploration draws uniformly among the legal actions (warm-up and epsilon steps alike), the
    greedy action is the argmax over the legal ones, and the TD target maximises the target
    network's Q over the legal actions of the next state, whose mask the
    :class:`MaskedReplayBuffer` stores with the transition (the final state's
    ``info["action_mask"]`` for a finished episode; all actions if the env gives none). The rest
    is SB3's DQN. One-step returns only (``n_steps=1``).
    """

    def _setup_model(self) -> None:
        if self.n_steps != 1:
            raise ValueError(f"MaskableDQN learns from one-step returns: n_steps must be 1, got {self.n_steps}")
        if self.replay_buffer_class is None:
            self.replay_buffer_class = MaskedReplayBuffer
        if not issubclass(self.replay_buffer_class, MaskedReplayBuffer):
            raise ValueError(f"MaskableDQN needs a MaskedReplayBuffer, got {self.replay_buffer_class.__name__}")
        super()._setup_model()

    def _random_legal(self, legal: torch.Tensor) -> np.ndarray:
        """One action per row drawn uniformly among the row's legal actions (the action space's RNG)."""
        return np.array([self.action_space.sample(mask=row.astype(np.int8)) for row in legal.cpu().numpy()])

    def predict(  # type: ignore[override]
        self,
        observation: np.ndarray,
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
        action_masks: np.ndarray | None = None,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """DQN's epsilon-greedy action (greedy if ``deterministic``) among the legal actions of
        ``action_masks`` (``(B, A)``, or ``(A,)`` for one observation; None: all)."""
        obs, vectorized = self.policy.obs_to_tensor(observation)
        n_actions = int(self.action_space.n)
        if action_masks is None:
            legal = torch.ones(obs.shape[0], n_actions, dtype=torch.bool)
        else:
            legal = legal_or_all(torch.as_tensor(np.asarray(action_masks, dtype=bool).reshape(-1, n_actions)))
        if not deterministic and np.random.rand() < self.exploration_rate:
            actions = self._random_legal(legal)
        else:
            self.policy.set_training_mode(False)
            with torch.no_grad():
                q = self.q_net(obs)
            actions = q.masked_fill(~legal.to(q.device), -torch.inf).argmax(dim=1).cpu().numpy()
        return (actions if vectorized else actions[0]), state

    def _sample_action(self, learning_starts: int, action_noise: Any = None, n_envs: int = 1) -> tuple[np.ndarray, np.ndarray]:
        masks = get_action_masks(self.env)
        if self.num_timesteps < learning_starts:
            actions = self._random_legal(legal_or_all(torch.as_tensor(masks)))
        else:
            actions, _ = self.predict(self._last_obs, deterministic=False, action_masks=masks)
        return actions, actions

    def _store_transition(
        self,
        replay_buffer: ReplayBuffer,
        buffer_action: np.ndarray,
        new_obs: np.ndarray,
        reward: np.ndarray,
        dones: np.ndarray,
        infos: list[dict[str, Any]],
    ) -> None:
        masks = get_action_masks(self.env)  # of new_obs: a finished episode's reset state ...
        for i in np.flatnonzero(dones):
            masks[i] = infos[i].get("action_mask", True)  # ... so its final state's instead
        infos = [info | {NEXT_MASK: mask} for info, mask in zip(infos, masks, strict=True)]
        super()._store_transition(replay_buffer, buffer_action, new_obs, reward, dones, infos)

    def train(self, gradient_steps: int, batch_size: int = 100) -> None:
        """SB3 DQN's update (Huber loss, gradient clipping) with the masked target max of
        :func:`masked_td_target`."""
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        losses = []
        for _ in range(gradient_steps):
            data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)
            with torch.no_grad():
                next_q = self.q_net_target(data.next_observations)
                target = masked_td_target(next_q, data.next_action_masks, data.rewards, data.dones, self.gamma)
            q = self.q_net(data.observations).gather(1, data.actions.long())
            loss = F.smooth_l1_loss(q, target)
            losses.append(loss.item())
            self.policy.optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
            self.policy.optimizer.step()
        self._n_updates += gradient_steps
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/loss", np.mean(losses))
