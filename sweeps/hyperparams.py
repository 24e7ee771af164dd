"""Tuned hyperparameters: ``sweeps/tuned/<env id>/<algo>.yaml``, written by ``bench tune``.

A file holds the study's provenance and the SB3 keyword arguments::

    study: ppo__trm-Sudoku4x4-Easy-v0
    n_trials: 30
    best_value: ...
    date: 2026-11-24
    params:
      n_envs: 8
      learning_rate: 0.0003
      policy_kwargs: {net_arch: [64, 64], activation_fn: tanh}
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import torch.nn as nn
import yaml

TUNED_DIR = Path(__file__).parent / "tuned"
"""The committed tuned files (``$TRM_BENCH_TUNED_DIR`` overrides it, e.g. for tests)."""


def tuned_dir() -> Path:
    """Folder the agents read tuned files from: ``$TRM_BENCH_TUNED_DIR`` or :data:`TUNED_DIR`."""
    return Path(os.environ.get("TRM_BENCH_TUNED_DIR", TUNED_DIR))
ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "elu": nn.ELU, "leaky_relu": nn.LeakyReLU}
EXTRACTORS = {"trm": "agents.trm_extractor:TRMExtractor"}
"""Features extractors by the name a YAML file or agent config uses."""


def tuned_path(env_id: str, algo: str, root: Path | None = None) -> Path:
    """Where the tuned parameters of ``algo`` on ``env_id`` live (default root: :func:`tuned_dir`)."""
    return (root or tuned_dir()) / env_id / f"{algo}.yaml"


def load_tuned(env_id: str, algo: str, root: Path | None = None) -> tuple[dict[str, Any], str]:
    """``(params, source)``: the tuned SB3 kwargs and where they came from.

    ``source`` is the file's path relative to the repository (``sweeps/tuned/...``), or
    ``"sb3-defaults"`` when no file exists (params then ``{}``).
    :raises ValueError: on a file that is not a mapping with a ``params`` mapping.
    """
    path = tuned_path(env_id, algo, root)
    if not path.exists():
        return {}, "sb3-defaults"
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("params"), dict):
        raise ValueError(f"{path}: expected a mapping with a 'params' mapping")
    committed = path.resolve().is_relative_to(TUNED_DIR.resolve())
    return dict(data["params"]), f"sweeps/tuned/{env_id}/{algo}.yaml" if committed else str(path)


def to_sb3_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """Turn YAML values into SB3 objects (activation and features-extractor names into classes)."""
    kwargs = dict(params)
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
