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

The values stay plain YAML: ``bench`` hands them to the agent factory (merged under the user's
overrides) and the agent turns names into objects (``agents.sb3.to_sb3_kwargs``). No torch here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

TUNED_DIR = Path(__file__).parent / "tuned"
"""The committed tuned files (``$TRM_BENCH_TUNED_DIR`` overrides it, e.g. for tests)."""


def tuned_dir() -> Path:
    """Folder tuned files are read from: ``$TRM_BENCH_TUNED_DIR`` or :data:`TUNED_DIR`."""
    return Path(os.environ.get("TRM_BENCH_TUNED_DIR", TUNED_DIR))


def tuned_path(env_id: str, algo: str, root: Path | None = None) -> Path:
    """Where the tuned parameters of ``algo`` on ``env_id`` live (default root: :func:`tuned_dir`)."""
    return (root or tuned_dir()) / env_id / f"{algo}.yaml"


def load_tuned(env_id: str, algo: str, root: Path | None = None) -> tuple[dict[str, Any], str]:
    """``(params, source)``: the tuned SB3 kwargs and where they came from.

    ``source`` is the file's path relative to the repository (``sweeps/tuned/...``), or
    ``"sb3-defaults"`` when no file exists (params then ``{}``).
    :raises ValueError: on a file that is not YAML, or not a mapping with a ``params`` mapping.
    """
    path = tuned_path(env_id, algo, root)
    if not path.exists():
        return {}, "sb3-defaults"
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML ({err})") from err
    if not isinstance(data, dict) or not isinstance(data.get("params"), dict):
        raise ValueError(f"{path}: expected a mapping with a 'params' mapping")
    committed = path.resolve().is_relative_to(TUNED_DIR.resolve())
    return dict(data["params"]), f"sweeps/tuned/{env_id}/{algo}.yaml" if committed else str(path)

