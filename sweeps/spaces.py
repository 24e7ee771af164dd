"""Optuna search spaces: one ``sample_<algo>(trial) -> SB3 kwargs`` per algorithm.

Sampled in tuner-friendly coordinates (powers of two, log scales, ``1 - gamma``); the SB3 values
they map to are returned (and stored on the trial as the ``kwargs`` user attribute).
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from typing import Any

import optuna

NET_ARCHS = {"tiny": [32], "small": [64, 64], "medium": [128, 128]}
"""Network sizes sampled by name so trials stay readable."""


def _common(trial: optuna.Trial) -> dict[str, Any]:
    """Learning rate, discount and network size, shared by every algorithm."""
    arch = trial.suggest_categorical("net_arch", list(NET_ARCHS))
    return {
        "learning_rate": trial.suggest_float("learning_rate", 1e-5, 3e-3, log=True),
        "gamma": 1 - trial.suggest_float("one_minus_gamma", 1e-3, 0.1, log=True),
        "policy_kwargs": {"net_arch": NET_ARCHS[arch], "activation_fn": trial.suggest_categorical("activation_fn", ["tanh", "relu"])},
    }


def sample_ppo(trial: optuna.Trial) -> dict[str, Any]:
    """PPO (and MaskablePPO): rollout size, minibatch, epochs, GAE, clipping, entropy bonus."""
    n_envs = 2 ** trial.suggest_int("n_envs_pow", 2, 4)
    n_steps = 2 ** trial.suggest_int("n_steps_pow", 4, 8)
    batch_size = min(2 ** trial.suggest_int("batch_size_pow", 5, 8), n_steps * n_envs)
    return _common(trial) | {
        "n_envs": n_envs,
        "n_steps": n_steps,
        "batch_size": batch_size,
        "n_epochs": trial.suggest_categorical("n_epochs", [1, 5, 10, 20]),
        "gae_lambda": trial.suggest_float("gae_lambda", 0.8, 1.0),
        "clip_range": trial.suggest_categorical("clip_range", [0.1, 0.2, 0.3]),
        "ent_coef": trial.suggest_float("ent_coef", 1e-8, 0.1, log=True),
    }


def sample_a2c(trial: optuna.Trial) -> dict[str, Any]:
    """A2C: rollout length, GAE, entropy bonus, RMSprop or Adam."""
    return _common(trial) | {
        "n_envs": 2 ** trial.suggest_int("n_envs_pow", 2, 4),
        "n_steps": 2 ** trial.suggest_int("n_steps_pow", 2, 6),
        "gae_lambda": trial.suggest_float("gae_lambda", 0.8, 1.0),
        "ent_coef": trial.suggest_float("ent_coef", 1e-8, 0.1, log=True),
        "use_rms_prop": trial.suggest_categorical("use_rms_prop", [True, False]),
    }


def sample_dqn(trial: optuna.Trial) -> dict[str, Any]:
    """DQN: buffer, batch, target updates, train frequency, exploration schedule."""
    return _common(trial) | {
        "buffer_size": 2 ** trial.suggest_int("buffer_size_pow", 12, 17),
        "batch_size": 2 ** trial.suggest_int("batch_size_pow", 5, 8),
        "learning_starts": trial.suggest_categorical("learning_starts", [0, 100, 1000]),
        "target_update_interval": trial.suggest_categorical("target_update_interval", [100, 500, 2000]),
        "train_freq": trial.suggest_categorical("train_freq", [1, 4, 8]),
        "exploration_fraction": trial.suggest_float("exploration_fraction", 0.05, 0.5),
        "exploration_final_eps": trial.suggest_float("exploration_final_eps", 0.01, 0.2, log=True),
    }


def sample_qrdqn(trial: optuna.Trial) -> dict[str, Any]:
    """QR-DQN: the DQN space plus the number of quantiles (kept small: outputs are N**3 x it)."""
    kwargs = sample_dqn(trial)
    kwargs["policy_kwargs"] = kwargs["policy_kwargs"] | {"n_quantiles": trial.suggest_categorical("n_quantiles", [5, 10, 25])}
    return kwargs


SAMPLERS: dict[str, Callable[[optuna.Trial], dict[str, Any]]] = {
    "ppo": sample_ppo,
    "a2c": sample_a2c,
    "dqn": sample_dqn,
    "maskable-ppo": sample_ppo,
    "qrdqn": sample_qrdqn,
}
"""Tunable agent name -> its search space."""


def space_version(algo: str) -> str:
    """Hash of the search space's source (a study refuses to continue under another space)."""
    source = inspect.getsource(SAMPLERS[algo]) + inspect.getsource(_common) + repr(NET_ARCHS)
    if algo == "qrdqn":
        source += inspect.getsource(sample_dqn)
    return hashlib.sha256(source.encode()).hexdigest()[:12]
