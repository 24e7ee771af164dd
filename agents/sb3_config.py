"""The SB3 algorithms behind the agents and the checks of their configuration: every kwarg
name and value is checked against the SB3 constructor's signature (and the ``MlpPolicy``'s for
``policy_kwargs``; UPI-TRM's config for the trm backbone's) before any training, and plain YAML
names become SB3 objects (:func:`to_sb3_kwargs`)."""

from __future__ import annotations

import collections.abc
import difflib
import importlib
import inspect
import math
import types
import typing
from typing import Any

import torch.nn as nn
from sb3_contrib import MaskablePPO, QRDQN
from stable_baselines3 import A2C, DQN, PPO
from stable_baselines3.common.base_class import BaseAlgorithm

from agents.masked_sb3 import MaskableA2C, MaskableDQN
from agents.trm_backbone import BACKBONES, TRM_HINTS, TRM_KWARGS, trm_config, trm_policy

ALGORITHMS: dict[str, type[BaseAlgorithm]] = {
    "ppo": PPO,
    "a2c": A2C,
    "dqn": DQN,
    "maskable-ppo": MaskablePPO,
    "maskable-a2c": MaskableA2C,
    "maskable-dqn": MaskableDQN,
    "qrdqn": QRDQN,
}
"""Registered agent name -> SB3 class. One source of truth for the SB3 rows."""
MASKABLE = {"maskable-ppo", "maskable-a2c", "maskable-dqn"}
"""Algorithms that take the action masks (in training and in ``predict``)."""
FIXED: dict[str, dict[str, Any]] = {"maskable-dqn": {"n_steps": 1, "optimize_memory_usage": False}}
"""Kwargs of an SB3 signature that an algorithm supports with one value only."""
NOT_CONFIGURABLE = {"self", "policy", "env", "seed", "device", "verbose"}
"""SB3 constructor arguments the agent sets itself (and private ones, ``_init_setup_model``)."""

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "elu": nn.ELU, "leaky_relu": nn.LeakyReLU}
"""Activation functions by the name a YAML file or agent config uses."""
EXTRACTORS = {"trm": "agents.trm_extractor:TRMExtractor"}
"""Features extractors by the name a YAML file or agent config uses (imported when used)."""

POSITIVE = {"n_envs", "n_steps", "batch_size", "n_epochs", "buffer_size", "target_update_interval", "stats_window_size"}
"""Int kwargs that must be >= 1 (SB3's annotations give types, not ranges)."""
NON_NEGATIVE = {"learning_starts"}
UNIT_INTERVAL = {"gamma", "gae_lambda", "tau", "exploration_fraction", "exploration_initial_eps", "exploration_final_eps"}
"""Float kwargs that must lie in [0, 1]."""


def accepted_kwargs(algo: str) -> set[str]:
    """Keyword arguments an agent of ``algo`` accepts: the SB3 constructor's, plus ``n_envs``,
    ``backbone`` and the trm backbone's."""
    return set(_annotations(algo))


def _annotations(algo: str) -> dict[str, Any]:
    """``{kwarg: annotation}`` of the SB3 constructor's configurable arguments, plus ``n_envs``,
    ``backbone`` and the trm backbone's kwargs."""
    params = inspect.signature(ALGORITHMS[algo].__init__).parameters
    out = {
        name: p.annotation if p.annotation is not inspect.Parameter.empty else _from_default(p.default)
        for name, p in params.items()
        if name not in NOT_CONFIGURABLE and not name.startswith("_")
    }
    return out | {"n_envs": int, "backbone": str} | TRM_HINTS


def _policy_annotations(algo: str) -> dict[str, Any]:
    """``{kwarg: annotation}`` of the ``MlpPolicy`` class's ``policy_kwargs``."""
    policy = ALGORITHMS[algo].policy_aliases["MlpPolicy"]
    params = inspect.signature(policy.__init__).parameters
    skip = {"self", "observation_space", "action_space", "lr_schedule"}
    return {
        name: p.annotation if p.annotation is not inspect.Parameter.empty else _from_default(p.default)
        for name, p in params.items()
        if name not in skip
    }


def _from_default(default: Any) -> Any:
    """The type a default value implies (``Any`` when it says nothing)."""
    return type(default) if isinstance(default, bool | int | float | str) else Any


def _matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` fits the annotation ``hint`` (parts it cannot judge are accepted;
    bools are not numbers, ints are valid floats, a list stands for a tuple: YAML has none)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or isinstance(hint, str | typing.ForwardRef):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in args)
    if hint is None or hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if isinstance(value, bool) and hint in (int, float):
        return False
    if hint is int:
        return isinstance(value, int)
    if hint is float:
        return isinstance(value, int | float) and math.isfinite(value)
    if hint is str:
        return isinstance(value, str)
    if hint is list or origin is list:
        return isinstance(value, list) and (not args or all(_matches(v, args[0]) for v in value))
    if hint is dict or origin is dict:
        return isinstance(value, dict) and (len(args) < 2 or all(_matches(v, args[1]) for v in value.values()))
    if hint is tuple or origin is tuple:
        return isinstance(value, tuple | list)
    if origin is collections.abc.Callable or hint is collections.abc.Callable:
        return callable(value) and not isinstance(value, type)
    if hint is type or origin is type:
        return isinstance(value, type)
    return True


def _describe(hint: Any) -> str:
    """``int | None`` -> ``"an int or null"``: what a value of ``hint`` looks like, in words."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        words = dict.fromkeys(_describe(arg) for arg in args)
        return " or ".join(words)
    names = {bool: "true or false", int: "an int", float: "a number", str: "a string", type(None): "null"}
    if hint in names:
        return names[hint]
    if hint is list or origin is list:
        return f"a list of {_describe(args[0]).split(' ', 1)[-1]}s" if args and args[0] in (int, float, str) else "a list"
    if hint is dict or origin is dict:
        return "a mapping"
    if hint is tuple or origin is tuple:
        return "a tuple"
    if origin is collections.abc.Callable or hint is collections.abc.Callable:
        return "a schedule (callable)"
    if hint is type or origin is type:
        return "a class"
    return str(hint)


def check_kwargs(algo: str, kwargs: dict[str, Any]) -> None:
    """Raise TypeError naming unknown kwargs (with the closest accepted one)."""
    _refuse_unknown(algo, kwargs, accepted_kwargs(algo))


def _refuse_unknown(algo: str, kwargs: dict[str, Any], accepted: set[str], where: str = "") -> None:
    for name in sorted(set(kwargs) - accepted):
        close = difflib.get_close_matches(name, accepted, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise TypeError(f"{algo} does not take {name!r}{where}{hint}")


def check_values(algo: str, kwargs: dict[str, Any]) -> None:
    """Raise ValueError naming the first kwarg whose value does not fit: the type comes from the
    SB3 constructor's annotation (``n_steps: int``, ``learning_rate: float | Schedule``), ranges
    from :data:`POSITIVE`, :data:`NON_NEGATIVE` and :data:`UNIT_INTERVAL`; ``policy_kwargs``
    are checked against the ``MlpPolicy`` class the same way (names included)."""
    hints = _annotations(algo)
    for name, value in kwargs.items():
        hint = hints.get(name, Any)
        if not _matches(value, hint):
            raise ValueError(f"{algo}: {name} must be {_describe(hint)}, got {value!r}")
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if name in POSITIVE and number and value < 1:
            raise ValueError(f"{algo}: {name} must be a positive int, got {value!r}")
        if name in NON_NEGATIVE and number and value < 0:
            raise ValueError(f"{algo}: {name} must be a non-negative int, got {value!r}")
        if name in UNIT_INTERVAL and number and not 0 <= value <= 1:
            raise ValueError(f"{algo}: {name} must lie in [0, 1], got {value!r}")
        if name == "learning_rate" and number and not value > 0:
            raise ValueError(f"{algo}: learning_rate must be > 0, got {value!r}")
        fixed = FIXED.get(algo, {})
        if name in fixed and value != fixed[name]:
            raise ValueError(f"{algo}: {name} must be {fixed[name]!r}, got {value!r}")
    _check_backbone(algo, kwargs)
    if isinstance(kwargs.get("policy_kwargs"), dict):
        _check_policy_kwargs(algo, kwargs["policy_kwargs"])


def _check_backbone(algo: str, kwargs: dict[str, Any]) -> None:
    """The ``backbone`` name, and its kwargs: none with ``mlp``; with ``trm`` an algorithm that
    has a TRM policy, no ``policy_kwargs`` (the network is UPI-TRM's) and values in UPI-TRM's
    ranges."""
    backbone = kwargs.get("backbone", "mlp")
    if backbone not in BACKBONES:
        close = difflib.get_close_matches(backbone, BACKBONES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{algo}: unknown backbone {backbone!r}{hint} (known: {', '.join(BACKBONES)})")
    given = [name for name in TRM_KWARGS if name in kwargs]
    if backbone == "mlp" and given:
        raise ValueError(f"{algo}: {given[0]} configures the trm backbone; pass backbone=trm with it (the backbone is mlp)")
    if backbone == "mlp":
        return
    if trm_policy(ALGORITHMS[algo]) is None:
        raise ValueError(f"{algo}: no trm backbone for {ALGORITHMS[algo].__name__} (it has actor-critic and DQN policies)")
    if "policy_kwargs" in kwargs:
        raise ValueError(f"{algo}: policy_kwargs configures the mlp backbone; the trm backbone takes {', '.join(TRM_KWARGS)}")
    try:
        trm_config(kwargs)
    except ValueError as err:
        raise ValueError(f"{algo}: {str(err).removeprefix('upi-trm: ')}") from None


def _check_policy_kwargs(algo: str, policy_kwargs: dict[str, Any]) -> None:
    """Names and values of ``policy_kwargs`` (YAML names of activations and extractors allowed)."""
    hints = _policy_annotations(algo)
    _refuse_unknown(algo, policy_kwargs, set(hints), " in policy_kwargs")
    for name, value in policy_kwargs.items():
        named = {"activation_fn": ACTIVATIONS, "features_extractor_class": EXTRACTORS}.get(name)
        if named is not None and isinstance(value, str):
            if value not in named:
                close = difflib.get_close_matches(value, list(named), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"{algo}: unknown policy_kwargs {name} {value!r}{hint} (known: {', '.join(named)})")
        elif not _matches(value, hints[name]):
            raise ValueError(f"{algo}: policy_kwargs {name} must be {_describe(hints[name])}, got {value!r}")


def to_sb3_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """Turn plain YAML values into SB3 objects: activation and features-extractor names into
    classes (the extractor imported only then), lists into tuples where SB3 wants a tuple
    (``train_freq``)."""
    kwargs = dict(params)
    if isinstance(kwargs.get("train_freq"), list):
        kwargs["train_freq"] = tuple(kwargs["train_freq"])
    policy_kwargs = dict(kwargs.get("policy_kwargs") or {})
    activation = policy_kwargs.get("activation_fn")
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation_fn {activation!r}; known: {sorted(ACTIVATIONS)}")
        policy_kwargs["activation_fn"] = ACTIVATIONS[activation]
    extractor = policy_kwargs.get("features_extractor_class")
    if isinstance(extractor, str):
        if extractor not in EXTRACTORS:
            raise ValueError(f"unknown features_extractor_class {extractor!r}; known: {sorted(EXTRACTORS)}")
        module, name = EXTRACTORS[extractor].split(":")
        policy_kwargs["features_extractor_class"] = getattr(importlib.import_module(module), name)
    if policy_kwargs:
        kwargs["policy_kwargs"] = policy_kwargs
    return kwargs
