"""Tuned hyperparameters: one file per (agent, env id, regime), written by ``bench tune``.

The regime is what decides what a number means (DESIGN section 2): the env kwargs ``masking``
and ``rules`` a table column sets (Sudoku defaults ``constraint`` and ``suite``). The maze envs
have a ``masking`` (what the mask shows: ``moves`` or ``none`` when walking, ``cells`` or
``none`` when editing a path) and no rules: their regime is the masking alone, the env's own
default where not given (``none`` on the README's open grid, ``moves`` in mazes, ``cells`` in
path editing), so a column that names the default and one that does not share one file. A file
lives at ``sweeps/tuned/<env id>/<masking>-<rules>/<name>.yaml`` (mazes:
``sweeps/tuned/<env id>/<masking>/<name>.yaml``), ``<name>`` the agent, or
``<agent>+<backbone>`` when the SB3 agent's backbone was tuned too (``--backbone trm``). It holds
the study's provenance, then the agent kwargs::

    study: ppo__trm-Sudoku4x4-Easy-v0__cell-poster
    agent: ppo
    backbone: null
    env_id: trm/Sudoku4x4-Easy-v0
    masking: cell
    rules: poster
    space: ppo
    space_version: 0eb41a541358
    ...                      (budget, seeds, trials, objective, floor, date, commit)
    params:
      n_envs: 8
      policy_kwargs: {net_arch: [64, 64], activation_fn: tanh}

A run gets the file of its own env id and regime, or nothing (the agent's defaults): a file of
another regime is never reused. A file whose fields name another agent, env, regime or search
space than the one it is read for is refused (:class:`TunedFileError`), so a copied or stale file
cannot pass silently. Files from before the regime key (``sweeps/tuned/<env id>/<agent>.yaml``,
study names without env kwargs, commit a3f15b3) were tuned under the env's defaults of the time,
``masking="constraint"`` and what is now ``rules="suite"``: they serve that regime alone, and
only where it has no file of its own.

The values stay plain YAML: ``bench`` hands them to the agent factory (merged under the run's
agent config) and the agent turns names into objects. No torch here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from envs import SUDOKU_IDS

TUNED_DIR = Path(__file__).parent / "tuned"
"""The committed tuned files (``$TRM_BENCH_TUNED_DIR`` overrides it, e.g. for tests)."""
NO_FILE = "sb3-defaults"
"""The source :func:`load_tuned` names when no file applies (the runner records "agent defaults")."""


@dataclass(frozen=True)
class Regime:
    """The env kwargs that key studies and tuned files (``rules`` None: a maze, which has none)."""

    masking: str
    rules: str | None

    @property
    def slug(self) -> str:
        """``<masking>-<rules>``, or ``<masking>`` on a maze: the regime's folder under the env id's."""
        return self.masking if self.rules is None else f"{self.masking}-{self.rules}"

    @property
    def env_kwargs(self) -> dict[str, str]:
        """The regime as env kwargs."""
        return {"masking": self.masking} | ({} if self.rules is None else {"rules": self.rules})

    @property
    def label(self) -> str:
        """``masking=..., rules=...`` (mazes: ``masking=...``), as messages and reports say it."""
        return ", ".join(f"{k}={v}" for k, v in self.env_kwargs.items())


SUDOKU_DEFAULTS = Regime("constraint", "suite")
"""The Sudoku envs' regime when ``masking`` / ``rules`` are not given (``envs.sudoku.options``)."""
LEGACY_REGIME = SUDOKU_DEFAULTS
"""The regime the files without a regime folder were tuned under."""


def regime_of(env_id: str, env_kwargs: dict[str, Any] | None = None) -> Regime:
    """The regime of a run or study: its ``masking`` and ``rules`` env kwargs, the Sudoku
    defaults where not given; on a maze its ``masking`` alone, the env's default where not given
    (:func:`maze_masking`)."""
    kwargs = env_kwargs or {}
    if env_id in SUDOKU_IDS:
        return Regime(str(kwargs.get("masking", SUDOKU_DEFAULTS.masking)), str(kwargs.get("rules", SUDOKU_DEFAULTS.rules)))
    return Regime(str(kwargs.get("masking", maze_masking(env_id))), None)


def maze_masking(env_id: str) -> str:
    """The ``masking`` a maze env id runs under when none is given, without building its mazes:
    the navigation family's per-layout default (``none`` on the open grid, ``moves`` in mazes),
    ``cells`` in path editing (``envs.maze.path_edit.parse_options``; a test checks both against
    the built envs).

    :raises ValueError: for an id this suite does not own.
    """
    from envs import MAZE_IDS, family
    from envs.maze.navigation import default_options

    return str(default_options(MAZE_IDS[env_id])["masking"]) if family(env_id) == "maze" else "cells"


def tuned_name(agent: str, backbone: str | None = None) -> str:
    """File (and study) name of an agent's tuned kwargs: ``agent``, or ``agent+backbone``."""
    return f"{agent}+{backbone}" if backbone else agent


class TunedFileError(ValueError):
    """A tuned file that cannot serve the run that asks for it (one line naming the file)."""


def tuned_dir() -> Path:
    """Folder tuned files are read from: ``$TRM_BENCH_TUNED_DIR`` or :data:`TUNED_DIR`."""
    return Path(os.environ.get("TRM_BENCH_TUNED_DIR", TUNED_DIR))


def tuned_path(env_id: str, name: str, env_kwargs: dict[str, Any] | None = None, root: Path | None = None) -> Path:
    """Where the tuned kwargs of ``name`` on ``env_id`` under the regime of ``env_kwargs`` live
    (default root: :func:`tuned_dir`)."""
    return (root or tuned_dir()) / env_id / regime_of(env_id, env_kwargs).slug / f"{name}.yaml"


def legacy_path(env_id: str, name: str, root: Path | None = None) -> Path:
    """Where a file from before the regime key lives (serves :data:`LEGACY_REGIME` only)."""
    return (root or tuned_dir()) / env_id / f"{name}.yaml"


def load_tuned(env_id: str, name: str, env_kwargs: dict[str, Any] | None = None, root: Path | None = None) -> tuple[dict[str, Any], str]:
    """``(params, source)``: the tuned kwargs of ``name`` (an agent, or ``agent+backbone``) on
    ``env_id`` under the regime of ``env_kwargs``, and where they came from.

    ``source`` is the file's path relative to the repository (``sweeps/tuned/...``) or its full
    path elsewhere; :data:`NO_FILE` when no file serves this regime (params then ``{}``).
    :raises TunedFileError: a file that is not YAML, not a mapping with a ``params`` mapping, or
        whose provenance names another agent, env, regime or search space.
    """
    regime = regime_of(env_id, env_kwargs)
    path = tuned_path(env_id, name, env_kwargs, root)
    legacy = not path.exists() and regime == LEGACY_REGIME
    if legacy:
        path = legacy_path(env_id, name, root)
    if not path.exists():
        return {}, NO_FILE
    committed = path.resolve().is_relative_to(TUNED_DIR.resolve())
    shown = f"sweeps/tuned/{path.resolve().relative_to(TUNED_DIR.resolve())}" if committed else str(path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise TunedFileError(f"{shown}: not valid YAML ({' '.join(str(err).split())})") from err
    if not isinstance(data, dict) or not isinstance(data.get("params"), dict):
        raise TunedFileError(f"{shown}: expected a mapping with a 'params' mapping")
    if not legacy:
        _check_provenance(data, shown, env_id, name, regime)
    return dict(data["params"]), shown


def _check_provenance(data: dict[str, Any], shown: str, env_id: str, name: str, regime: Regime) -> None:
    """Refuse a file whose provenance does not match what it is read for (see the module docstring)."""
    from sweeps.spaces import space_name, space_version

    agent, _, backbone = name.partition("+")
    try:
        space = space_name(agent, backbone or None)
        version = space_version(agent, backbone or None)
    except ValueError as err:
        raise TunedFileError(f"{shown}: {err}") from err
    expected = {
        "agent": agent,
        "backbone": backbone or None,
        "env_id": env_id,
        "masking": regime.masking,
        "rules": regime.rules,
        "space": space,
    }
    for key, value in expected.items():
        if data.get(key) != value:
            raise TunedFileError(
                f"{shown} was tuned for {key} {data.get(key)!r}, not {value!r}: a tuned file serves only the agent, env, "
                "regime and search space it was tuned for; run bench tune for this setting or remove the file"
            )
    if data.get("space_version") != version:
        raise TunedFileError(
            f"{shown} was tuned in version {data.get('space_version')!r} of the {space} search space, which is now "
            f"{version!r} (sweeps/spaces.py changed): run bench tune for this setting again or remove the file"
        )


def resolve_tuned(
    agent: str, env_id: str, env_kwargs: dict[str, Any], agent_config: dict[str, Any], root: Path | None = None
) -> tuple[dict[str, Any], str]:
    """The tuned kwargs a run of ``agent`` with ``agent_config`` on ``env_id`` with
    ``env_kwargs`` starts from (the runner merges ``agent_config`` on top), and their source.

    The file of the run's regime (:func:`load_tuned`), for ``agent+backbone`` when the config
    names a ``backbone``; none when the config names a ``preset`` (a named configuration, e.g. the
    poster's, is run as it is, not under another's tuned values).
    """
    if agent_config.get("preset") is not None:
        return {}, NO_FILE
    return load_tuned(env_id, tuned_name(agent, agent_config.get("backbone")), env_kwargs, root)
