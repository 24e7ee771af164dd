"""Stable-Baselines3 (and sb3-contrib) algorithms behind the Agent protocol.

The factory's keyword arguments are the agent's whole configuration: SB3 constructor kwargs in
their plain YAML form (plus ``n_envs``), no file is read here. ``bench`` resolves tuned
hyperparameters (``sweeps.hyperparams.load_tuned``) and hands them in, merged under the user's
overrides (DESIGN section 1: agents never import ``bench`` or ``sweeps``). Names and values are
checked in the constructor, so a mistake stops ``bench run`` before any training; YAML names
(activation functions, the ``trm`` features extractor) become SB3 objects in :meth:`learn`
(:func:`to_sb3_kwargs`). Training runs on the batched vector env through
:class:`SB3VectorAdapter`.

Masks: PPO, A2C, DQN and QR-DQN act over all ``N**3`` actions; an action outside the legal set
is a penalised no-op step of the env (the same rule for all of them). MaskablePPO and our
maskable-a2c and maskable-dqn (:mod:`agents.masked_sb3`) receive the masks and take legal actions
only.

Backbone: ``backbone="mlp"`` (default) is SB3's ``MlpPolicy``; ``backbone="trm"`` runs the
algorithm on UPI-TRM's network, which reads the mask as an input as UPI-TRM's does
(:mod:`agents.trm_backbone`; kwargs ``latent_dim``, ``depth``, ``contraction``, ``radius``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.logger import Logger

from agents.registry import Checkpoint, register
from agents.sb3_resume import ResumeCallback, restore_training
from agents.sb3_config import ALGORITHMS, MASKABLE, check_kwargs, check_values, to_sb3_kwargs
from agents.sb3_vecenv import SB3VectorAdapter
from agents.trm_backbone import TRM_FAMILIES, TRM_KWARGS, MaskInObservation, trm_policy, trm_policy_kwargs, with_mask

__all__ = ["ALGORITHMS", "SB3Agent", "check_kwargs", "check_values", "to_sb3_kwargs"]


class BudgetCallback(BaseCallback):
    """Stops training once ``total_steps`` transitions are collected and reports progress."""

    def __init__(self, total_steps: int, report: Callable[[int], None] | None) -> None:
        super().__init__()
        self.total_steps = total_steps
        self.report = report

    def _on_step(self) -> bool:
        if self.report is not None:
            self.report(self.num_timesteps)
        return self.num_timesteps < self.total_steps


class SB3Agent:
    """One SB3 algorithm as an :class:`agents.registry.Agent`.

    :param algo: key of :data:`ALGORITHMS`.
    :param kwargs: SB3 constructor kwargs (and ``n_envs``, ``backbone`` and the trm backbone's)
        in plain YAML form: the caller's whole configuration (``bench`` merges tuned values under
        the user's overrides); SB3's defaults for the rest.
    :raises TypeError: an unknown name (with the closest accepted one).
    :raises ValueError: a value of the wrong type or range (one sentence naming it).
    """

    def __init__(self, algo: str, **kwargs: Any) -> None:
        check_kwargs(algo, kwargs)
        check_values(algo, kwargs)
        self.algo = algo
        self.model: BaseAlgorithm | None = None
        self.hyperparams: dict[str, Any] = dict(kwargs)
        """The kwargs the agent trains with, as given (JSON-able; SB3 defaults for the rest)."""
        if kwargs.get("backbone") == "trm":
            self.env_families = TRM_FAMILIES
        self.resumable = True
        """A killed run resumes from its last checkpoint, between two rollouts (:mod:`agents.sb3_resume`)."""
        self.needs_action_mask = algo in MASKABLE
        """Masked algorithms act only among the mask's legal actions (:func:`agents.registry.mask_problem`)."""

    def learn(
        self,
        env_id: str,
        env_kwargs: dict[str, Any],
        total_steps: int,
        seed: int,
        callback: Callable[[int], None] | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> None:
        """Train for ``total_steps`` env transitions (SB3's ``num_timesteps``) with ``seed``
        (saving to and resuming from ``checkpoint`` between rollouts, when given)."""
        kwargs = to_sb3_kwargs(self.hyperparams)
        n_envs = int(kwargs.pop("n_envs", 1))
        backbone = kwargs.pop("backbone", "mlp")
        trm = {name: kwargs.pop(name) for name in TRM_KWARGS if name in kwargs}
        venv = SB3VectorAdapter.make(env_id, n_envs, env_kwargs)
        venv.seed(seed)
        cls = ALGORITHMS[self.algo]
        policy: Any = "MlpPolicy"
        if backbone == "trm":
            kwargs["policy_kwargs"] = trm_policy_kwargs(env_id, venv.observation_space.shape[0], trm)
            venv, policy = MaskInObservation(venv), trm_policy(cls)
        self.model = cls(policy, venv, seed=seed, device="cpu", verbose=0, **kwargs)
        # a logger with no outputs: SB3's default one makes an empty SB3-<time> folder in the
        # temp directory on every learn(), one per SB3 run of `make bench`
        self.model.set_logger(Logger(folder=None, output_formats=[]))
        callbacks: list[BaseCallback] = [BudgetCallback(total_steps, callback)]
        saved = None
        if checkpoint is not None:
            callbacks.append(ResumeCallback(checkpoint))
            saved = checkpoint.restore()
            if saved is not None:
                restore_training(self.model, saved)
        self.model.learn(
            total_steps - self.model.num_timesteps, callback=CallbackList(callbacks), reset_num_timesteps=saved is None
        )

    def steps_done(self) -> int:
        """Transitions actually collected (the budget check stops within one vector step)."""
        return 0 if self.model is None else int(self.model.num_timesteps)

    def predict(self, obs: np.ndarray, action_mask: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Batched actions of the trained policy."""
        if self.model is None:
            raise RuntimeError(f"{self.algo}: learn() or load() first")
        if getattr(self.model.policy, "reads_action_mask", False):
            obs = with_mask(obs, action_mask)
        if self.algo in MASKABLE:
            actions, _ = self.model.predict(obs, action_masks=action_mask, deterministic=deterministic)
        else:
            actions, _ = self.model.predict(obs, deterministic=deterministic)
        return np.asarray(actions, dtype=np.int64)

    def save(self, path: Path) -> None:
        """Write ``model.zip`` into the folder ``path``."""
        if self.model is None:
            raise RuntimeError(f"{self.algo}: nothing to save before learn()")
        Path(path).mkdir(parents=True, exist_ok=True)
        self.model.save(Path(path) / "model.zip")

    def load(self, path: Path) -> None:
        """Read ``model.zip`` from the folder ``path``."""
        self.model = ALGORITHMS[self.algo].load(Path(path) / "model.zip", device="cpu")

    def num_params(self) -> int:
        """Trainable parameters of the policy (and value / Q networks it holds)."""
        if self.model is None:
            return 0
        return sum(p.numel() for p in self.model.policy.parameters() if p.requires_grad)

    def actor_params(self) -> int:
        """Parameters that choose the action: features extractor, policy layers and action head
        (actor-critic; the TRM's core and policy head), or the online Q-network (DQN, QR-DQN);
        no critic, no target network."""
        if self.model is None:
            return 0
        policy = self.model.policy
        if hasattr(policy, "actor_modules"):
            parts = policy.actor_modules()
        elif hasattr(policy, "action_net"):
            parts = [policy.pi_features_extractor, policy.mlp_extractor.policy_net, policy.action_net]
        else:
            parts = [policy.q_net if hasattr(policy, "q_net") else policy.quantile_net]
        return sum(p.numel() for part in parts for p in part.parameters() if p.requires_grad)


def _factory(algo: str) -> Callable[..., SB3Agent]:
    def make(**kwargs: Any) -> SB3Agent:
        return SB3Agent(algo, **kwargs)

    cls = ALGORITHMS[algo]
    package = cls.__module__.split(".")[0]
    # SB3's classes are named by package; ours (agents.masked_sb3) by their docstring's first line
    make.__doc__ = cls.__doc__.strip().splitlines()[0] if package == "agents" else f"{package} {cls.__name__} (MlpPolicy)"
    return make


for _name in ALGORITHMS:
    register(_name)(_factory(_name))

TRM_HEADS = {"pi": [32], "vf": [32]}
"""Policy and value heads on the TRM features: the README's action head is 64 -> 32 -> actions."""


@register("ppo-trm")
def make_ppo_trm(k_cycles: int = 3, **overrides: Any) -> SB3Agent:
    """SB3 PPO on the TRM README's recursive core (features extractor, K cycles)"""
    if isinstance(k_cycles, bool) or not isinstance(k_cycles, int) or k_cycles < 1:
        raise ValueError(f"ppo-trm: k_cycles must be a positive int, got {k_cycles!r}")
    extra = overrides.pop("policy_kwargs", None) or {}
    if not isinstance(extra, dict):
        raise ValueError(f"ppo-trm: policy_kwargs must be a mapping, got {extra!r}")
    policy_kwargs = {
        "features_extractor_class": "trm",
        "features_extractor_kwargs": {"k_cycles": k_cycles},
        "net_arch": TRM_HEADS,
    }
    return SB3Agent("ppo", policy_kwargs=policy_kwargs | extra, **overrides)

