"""Optuna search spaces, one per tunable agent, registered by agent name in :data:`SAMPLERS`.

Each ``sample_<space>(trial, backbone=None) -> agent kwargs`` samples in tuner-friendly
coordinates (powers of two, log scales, ``1 - gamma``) and returns the values the agent factory
takes (stored on the trial as its ``kwargs`` user attribute). The masked SB3 variants share their
base algorithm's space; UPI-TRM has its own, over the dials of ``agents.upi_trm.upi.UPIConfig``;
``ppo-trm`` (PPO on the TRM README's features extractor) has PPO's without the MLP's network.
An SB3 space samples the TRM backbone (``backbone="trm"``: its latent width and depth n, in place
of the MLP's ``policy_kwargs``) only when asked, so the studies without it keep their space. No
optuna import at runtime: ``sweeps.hyperparams`` reads :func:`space_version` to check tuned
files without loading the tuner.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import sys
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna

NET_ARCHS = {"tiny": [32], "small": [64, 64], "medium": [128, 128]}
"""Network sizes sampled by name so trials stay readable."""


def _common(trial: optuna.Trial, backbone: str | None) -> dict[str, Any]:
    """Learning rate, discount and network, shared by every SB3 algorithm: the MLP's size and
    activation by name, or the TRM backbone's dims (``backbone="trm"``)."""
    kwargs = {
        "learning_rate": trial.suggest_float("learning_rate", 1e-5, 3e-3, log=True),
        "gamma": 1 - trial.suggest_float("one_minus_gamma", 1e-3, 0.1, log=True),
    }
    if backbone == "trm":
        return kwargs | sample_trm_backbone(trial)
    arch = trial.suggest_categorical("net_arch", list(NET_ARCHS))
    return kwargs | {"policy_kwargs": {"net_arch": NET_ARCHS[arch], "activation_fn": trial.suggest_categorical("activation_fn", ["tanh", "relu"])}}


def sample_trm_backbone(trial: optuna.Trial) -> dict[str, Any]:
    """The TRM backbone of an SB3 agent: latent width d and refinement steps n (``depth``); its
    contraction and radius keep UPI-TRM's defaults."""
    return {
        "backbone": "trm",
        "latent_dim": 2 ** trial.suggest_int("backbone_latent_dim_pow", 4, 6),
        "depth": trial.suggest_int("backbone_depth", 1, 3),
    }


def sample_ppo(trial: optuna.Trial, backbone: str | None = None) -> dict[str, Any]:
    """PPO (and MaskablePPO): rollout size, minibatch, epochs, GAE, clipping, entropy bonus."""
    n_envs = 2 ** trial.suggest_int("n_envs_pow", 2, 4)
    n_steps = 2 ** trial.suggest_int("n_steps_pow", 4, 8)
    batch_size = min(2 ** trial.suggest_int("batch_size_pow", 5, 8), n_steps * n_envs)
    return _common(trial, backbone) | {
        "n_envs": n_envs,
        "n_steps": n_steps,
        "batch_size": batch_size,
        "n_epochs": trial.suggest_categorical("n_epochs", [1, 5, 10, 20]),
        "gae_lambda": trial.suggest_float("gae_lambda", 0.8, 1.0),
        "clip_range": trial.suggest_categorical("clip_range", [0.1, 0.2, 0.3]),
        "ent_coef": trial.suggest_float("ent_coef", 1e-8, 0.1, log=True),
    }


def sample_a2c(trial: optuna.Trial, backbone: str | None = None) -> dict[str, Any]:
    """A2C (and masked A2C): rollout length, GAE, entropy bonus, RMSprop or Adam."""
    return _common(trial, backbone) | {
        "n_envs": 2 ** trial.suggest_int("n_envs_pow", 2, 4),
        "n_steps": 2 ** trial.suggest_int("n_steps_pow", 2, 6),
        "gae_lambda": trial.suggest_float("gae_lambda", 0.8, 1.0),
        "ent_coef": trial.suggest_float("ent_coef", 1e-8, 0.1, log=True),
        "use_rms_prop": trial.suggest_categorical("use_rms_prop", [True, False]),
    }


def sample_dqn(trial: optuna.Trial, backbone: str | None = None) -> dict[str, Any]:
    """DQN (and masked DQN): buffer, batch, target updates, train frequency, exploration schedule."""
    return _common(trial, backbone) | {
        "buffer_size": 2 ** trial.suggest_int("buffer_size_pow", 12, 17),
        "batch_size": 2 ** trial.suggest_int("batch_size_pow", 5, 8),
        "learning_starts": trial.suggest_categorical("learning_starts", [0, 100, 1000]),
        "target_update_interval": trial.suggest_categorical("target_update_interval", [100, 500, 2000]),
        "train_freq": trial.suggest_categorical("train_freq", [1, 4, 8]),
        "exploration_fraction": trial.suggest_float("exploration_fraction", 0.05, 0.5),
        "exploration_final_eps": trial.suggest_float("exploration_final_eps", 0.01, 0.2, log=True),
    }


def sample_qrdqn(trial: optuna.Trial, backbone: str | None = None) -> dict[str, Any]:
    """QR-DQN: the DQN space plus the number of quantiles (kept small: outputs are N**3 x it);
    no TRM backbone (it has no TRM policy)."""
    kwargs = sample_dqn(trial)
    kwargs["policy_kwargs"] = kwargs["policy_kwargs"] | {"n_quantiles": trial.suggest_categorical("n_quantiles", [5, 10, 25])}
    return kwargs


def sample_ppo_trm(trial: optuna.Trial, backbone: str | None = None) -> dict[str, Any]:
    """PPO on the TRM README's features extractor (``ppo-trm``): :func:`sample_ppo`'s coordinates
    and ranges without the MLP's ``policy_kwargs`` (the extractor and its fixed heads take the
    MLP's place) and with no backbone option. K cycles are the table's dial, never tuned: the
    trials train the factory's default.

    The lines are :func:`sample_ppo`'s rather than a call to it, so that the PPO space's version
    does not move; a test checks that the two agree on every value they share.
    """
    n_envs = 2 ** trial.suggest_int("n_envs_pow", 2, 4)
    n_steps = 2 ** trial.suggest_int("n_steps_pow", 4, 8)
    batch_size = min(2 ** trial.suggest_int("batch_size_pow", 5, 8), n_steps * n_envs)
    return {
        "learning_rate": trial.suggest_float("learning_rate", 1e-5, 3e-3, log=True),
        "gamma": 1 - trial.suggest_float("one_minus_gamma", 1e-3, 0.1, log=True),
        "n_envs": n_envs,
        "n_steps": n_steps,
        "batch_size": batch_size,
        "n_epochs": trial.suggest_categorical("n_epochs", [1, 5, 10, 20]),
        "gae_lambda": trial.suggest_float("gae_lambda", 0.8, 1.0),
        "clip_range": trial.suggest_categorical("clip_range", [0.1, 0.2, 0.3]),
        "ent_coef": trial.suggest_float("ent_coef", 1e-8, 0.1, log=True),
    }


def sample_upi_trm(trial: optuna.Trial, backbone: str | None = None) -> dict[str, Any]:
    """UPI-TRM: the poster's dials (L_z, n, R, K, alpha) and the training knobs of ``UPIConfig``
    (no backbone option: it is the TRM).

    ``contraction`` None is the poster's 9x9 setting (no contraction control); ``radius`` 0 turns
    the latent projection off; ``value_coef`` weighs the value loss against the distillation
    loss (the one Adam step size stands for both learning rates); ``target_ema`` is the online
    net's weight in the value target's EMA (the poster: 0.01).
    """
    return {
        "contraction": trial.suggest_categorical("contraction", [None, 0.5, 0.8, 0.9, 0.97]),
        "depth": trial.suggest_int("depth", 1, 3),
        "radius": trial.suggest_categorical("radius", [0.0, 5.0, 10.0, 20.0]),
        "bootstrap": trial.suggest_categorical("bootstrap", [1, 2, 4, 8]),
        "alpha": trial.suggest_float("alpha", 0.05, 1.0, log=True),
        "candidate_temperature": trial.suggest_float("candidate_temperature", 0.1, 3.0, log=True),
        "latent_dim": 2 ** trial.suggest_int("latent_dim_pow", 4, 6),
        "learning_rate": trial.suggest_float("learning_rate", 1e-4, 3e-3, log=True),
        "value_coef": trial.suggest_float("value_coef", 0.25, 4.0, log=True),
        "target_ema": trial.suggest_float("target_ema", 0.01, 1.0, log=True),
        "epochs": trial.suggest_categorical("epochs", [4, 8, 16]),
        "minibatch_size": 2 ** trial.suggest_int("minibatch_size_pow", 5, 8),
    }


Sampler = Callable[["optuna.Trial", "str | None"], dict[str, Any]]

SAMPLERS: dict[str, Sampler] = {
    "ppo": sample_ppo,
    "maskable-ppo": sample_ppo,
    "ppo-trm": sample_ppo_trm,
    "a2c": sample_a2c,
    "maskable-a2c": sample_a2c,
    "dqn": sample_dqn,
    "maskable-dqn": sample_dqn,
    "qrdqn": sample_qrdqn,
    "upi-trm": sample_upi_trm,
}
"""Tunable agent name -> its search space (an agent may be named here before it is registered:
``bench tune`` skips it until it is)."""

BACKBONES = ("trm",)
"""Backbones whose dims an SB3 space samples on request (``mlp``, the default, is ``policy_kwargs``)."""
NO_BACKBONE = {"upi-trm", "qrdqn", "ppo-trm"}
"""Agents that take no ``backbone`` option (UPI-TRM is a TRM; QR-DQN has no TRM policy; ppo-trm's
network is the TRM README's extractor)."""


def check_tunable(agent: str, backbone: str | None = None) -> None:
    """Raise ValueError (one sentence) unless ``agent`` has a space that takes ``backbone``."""
    if agent not in SAMPLERS:
        raise ValueError(f"no search space for {agent!r}; tunable: {', '.join(SAMPLERS)}")
    if backbone is not None and backbone not in BACKBONES:
        raise ValueError(f"unknown backbone {backbone!r}; known: {', '.join(BACKBONES)}")
    if backbone is not None and agent in NO_BACKBONE:
        raise ValueError(f"{agent} takes no backbone option (its network is its own)")


def space_name(agent: str, backbone: str | None = None) -> str:
    """The space's name as provenance says it: the sampler's (``ppo`` for ``maskable-ppo``),
    plus ``+<backbone>`` when the backbone dims are sampled."""
    check_tunable(agent, backbone)
    name = SAMPLERS[agent].__name__.removeprefix("sample_").replace("_", "-")
    return f"{name}+{backbone}" if backbone else name


def sample(agent: str, trial: optuna.Trial, backbone: str | None = None) -> dict[str, Any]:
    """The agent kwargs of one trial: ``agent``'s space, with ``backbone``'s dims when given."""
    check_tunable(agent, backbone)
    return SAMPLERS[agent](trial, backbone)


def space_version(agent: str, backbone: str | None = None) -> str:
    """Hash (12 hex digits) of the space's code: its sampler and every function and constant of
    this module it uses, docstrings and comments left out, and the backbone asked for. A study
    refuses to continue under another version; a tuned file of another version is refused."""
    check_tunable(agent, backbone)
    parts = _code_parts(SAMPLERS[agent], {SAMPLERS[agent].__name__}) + [f"backbone = {backbone!r}"]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def _code_parts(func: Callable[..., Any], seen: set[str]) -> list[str]:
    """``func``'s AST without docstrings, then (recursively) the module globals it names."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            node.body = body[1:] or [ast.Pass()]
    parts = [ast.dump(tree)]
    module = sys.modules[func.__module__]
    for name in sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - seen):
        value = getattr(module, name, None)
        seen.add(name)
        if inspect.isfunction(value) and value.__module__ == func.__module__:
            parts += _code_parts(value, seen)
        elif isinstance(value, dict | list | tuple | int | float | str):  # constants (no functions in them)
            parts.append(f"{name} = {value!r}")
    return parts
