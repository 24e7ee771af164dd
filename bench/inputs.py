"""Checks of what a user gives the ``bench`` command line: ``k=v`` pairs, results folders,
env kwargs, table names. A mistake raises :class:`UsageError` (one line, exit status 2)."""

from __future__ import annotations

import re

class UsageError(Exception):
    """A mistake in the user's input: reported as one line, exit status 2."""


EXPONENT_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


def key_values(items: list[str], what: str) -> dict[str, object]:
    """Parse ``k=v`` pairs; values are read as YAML scalars (``16`` -> int, ``true`` -> bool)."""
    import yaml

    out: dict[str, object] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise UsageError(f"{what} must be written key=value, got {item!r}")
        try:
            out[name] = yaml.safe_load(raw)
        except yaml.YAMLError:
            out[name] = raw
        if isinstance(out[name], str) and EXPONENT_NUMBER.match(raw):
            out[name] = float(raw)  # YAML 1.1 reads "1e-3" (no dot) as a string
    return out


def check_results_folder(path: str) -> None:
    """Refuse a ``--results`` folder that records could not be written to: an existing file, a
    path under a file, or a place that cannot be created or written (a read-only folder,
    ``/proc/x``). Called before any training, so nothing computed is lost. Missing folders are
    created to try and removed again, so a refused or later-failing command leaves nothing.

    :raises UsageError: naming the path and the reason, in one line.
    """
    import tempfile
    from pathlib import Path

    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--results {path!r} is a file, not a folder")
    missing = []
    existing = folder.absolute()
    while not existing.exists() and existing != existing.parent:
        missing.append(existing)
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"--results {path!r} cannot be created: {str(existing)!r} is a file, not a folder")
    created: list[Path] = []
    try:
        for part in reversed(missing):
            try:
                part.mkdir()
            except OSError as err:
                raise UsageError(f"--results {path!r} cannot be created ({err.strerror or err})") from err
            created.append(part)
        for sub in (folder, folder / "runs", folder / "tables"):
            if sub.exists() and not sub.is_dir():
                raise UsageError(f"--results {path!r} holds a file {sub.name!r} where records go in a folder")
            if sub.is_dir():
                with tempfile.TemporaryFile(dir=sub):
                    pass
    except OSError as err:
        raise UsageError(f"--results {path!r} cannot be written ({err.strerror or err})") from err
    finally:
        for part in reversed(created):
            try:
                part.rmdir()
            except OSError:
                pass


RUNNER_ENV_KWARGS = {
    "puzzles": "runs evaluate on the env's own splits (puzzles= is for direct env use: gym.make)",
    "split": "runs train on the train split and evaluate on --splits (split= is for direct env use)",
}
"""Env kwargs the runner decides itself: ``bench run`` and table columns (:mod:`bench.tables`) refuse them up front (given to a run, the
runner fails after training (puzzles) or silently trains on another split (split))."""


def check_run_env_kwargs(env_kwargs: dict[str, object]) -> None:
    """Refuse env kwargs :data:`RUNNER_ENV_KWARGS` names (a ``None`` value is the default)."""
    for name, reason in RUNNER_ENV_KWARGS.items():
        if env_kwargs.get(name) is not None:
            raise UsageError(f"--env-kwargs {name}= cannot be used with bench run: {reason}")


def load_table_specs(names: list[str]) -> list:
    """The table specs named (all in bench/specs/ when none), or a UsageError."""
    from bench.tables import SpecError, available, load_spec

    try:
        return [load_spec(name) for name in (names or available())]
    except SpecError as err:
        raise UsageError(str(err)) from err
