"""Run records: one JSON file per run under a results folder, plus the records shipped with the
reports (``reports/records/<table>.jsonl.gz``), read-only.

A record is found by its run's key (the run's identity, :meth:`bench.runner.RunSpec.key`) and is
*fresh* when the versions of the code it was computed with (its ``components``) equal today's,
*stale* otherwise (naming the components that changed), *missing* when there is none.
"""

from __future__ import annotations

import gzip
import json
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from agents.registry import REPO_ROOT

DEFAULT_RESULTS = Path("results")
SHIPPED_RECORDS = REPO_ROOT / "reports" / "records"
"""The records behind the committed reports (written by ``bench table``/``bench report``)."""
BUNDLE_SUFFIX = ".jsonl.gz"


class Keyed(Protocol):
    """What a lookup needs of a run's spec."""

    def key(self) -> str:
        """The run's identity."""

    def components(self) -> dict[str, str]:
        """Current versions of the code the run depends on."""


@dataclass(frozen=True)
class Lookup:
    """A run's record and whether it is current: ``stale`` names the components whose code
    changed since it was computed (empty: fresh); ``record`` is None when missing."""

    record: dict[str, Any] | None
    stale: tuple[str, ...] = ()

    @property
    def fresh(self) -> dict[str, Any] | None:
        """The record if it is current, else None."""
        return self.record if self.record is not None and not self.stale else None

    @property
    def status(self) -> str:
        """``fresh``, ``stale`` or ``missing``."""
        return "missing" if self.record is None else "stale" if self.stale else "fresh"


class ResultStore:
    """Records under ``root/runs/<key>.json``, the shipped bundles of ``shipped`` (read-only;
    None: none), and those of each ``also`` folder after them (read-only: another profile's shipped
    records, whose runs of the same key are the same runs, so ``make bench-thorough`` reuses what
    ``make bench`` computed; the pages then ship them in ``shipped``).

    A record is written to a temporary file and renamed into place, so a reader sees either the
    whole record or none. A file that does not parse, or whose ``key`` field disagrees with its
    name, is reported (a warning) and treated as absent.
    """

    def __init__(self, root: Path | str = DEFAULT_RESULTS, shipped: Path | str | None = None,
                 also: Iterable[Path | str] = ()) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.shipped = None if shipped is None else Path(shipped)
        self.also = tuple(Path(folder) for folder in also)

    def path(self, key: str) -> Path:
        """File of the record with ``key``."""
        return self.runs / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The record with ``key`` in this results folder (any code version), or None if absent
        or corrupt."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            record = json.loads(path.read_text())
            if not isinstance(record, dict) or record.get("key") != key or "metrics" not in record:
                raise ValueError("not a run record for this key")
        except (OSError, ValueError) as err:
            warnings.warn(f"corrupt run record {path} ({err}); ignored", stacklevel=2)
            return None
        return record

    @cached_property
    def bundles(self) -> list[dict[str, dict[str, Any]]]:
        """The records of ``shipped``, then of each ``also`` folder, by key (read once)."""
        return [read_folder(folder) for folder in (self.shipped, *self.also)]

    @cached_property
    def bundled(self) -> dict[str, dict[str, Any]]:
        """Every read-only record by key (of two with one key, the first folder's)."""
        merged: dict[str, dict[str, Any]] = {}
        for bundle in reversed(self.bundles):
            merged |= bundle
        return merged

    def lookup(self, spec: Keyed) -> Lookup:
        """The record of ``spec``: this folder's if fresh, else the first fresh one of the read-only
        folders in order, else the first stale one (naming what changed), else missing."""
        key, current = spec.key(), spec.components()
        found = [r for r in (self.get(key), *(bundle.get(key) for bundle in self.bundles)) if r is not None]
        for record in found:
            if record.get("components") == current:
                return Lookup(record)
        if not found:
            return Lookup(None)
        old = found[0].get("components") or {}
        return Lookup(found[0], tuple(sorted(c for c in current if old.get(c) != current[c])))

    def put(self, record: dict[str, Any]) -> Path:
        """Write ``record`` (which holds its ``key``) atomically; returns its path."""
        return write_json(self.path(record["key"]), record)

    def sessions(self, profile: str) -> list[dict[str, Any]]:
        """Every ``bench table`` session recorded under ``profile`` in this folder (oldest first)."""
        return read_sessions(self.root / "tables" / f"sessions-{profile}.json")

    def shipped_sessions(self, profile: str) -> list[dict[str, Any]]:
        """The sessions shipped with the records (those that computed the committed reports)."""
        return [] if self.shipped is None else read_sessions(self.shipped / f"sessions-{profile}.json")

    def put_sessions(self, profile: str, sessions: list[dict[str, Any]]) -> None:
        """Replace the session list of ``profile`` (atomic JSON)."""
        write_json(self.root / "tables" / f"sessions-{profile}.json", sessions)

    def all(self) -> list[dict[str, Any]]:
        """Every readable record of this folder (corrupt ones reported and skipped)."""
        if not self.runs.exists():
            return []
        records = (self.get(p.stem) for p in sorted(self.runs.glob("*.json")))
        return [r for r in records if r is not None]


def read_folder(folder: Path | None) -> dict[str, dict[str, Any]]:
    """The records of every bundle in ``folder`` by key (empty: None or no such folder)."""
    if folder is None or not folder.is_dir():
        return {}
    return {r["key"]: r for path in sorted(folder.glob(f"*{BUNDLE_SUFFIX}")) for r in read_bundle(path)}


def read_sessions(path: Path) -> list[dict[str, Any]]:
    """A session list (empty when the file is absent or unreadable)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return []


def read_bundle(path: Path) -> list[dict[str, Any]]:
    """The records of one gzipped JSON-lines bundle."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_bundle(path: Path, records: Iterable[dict[str, Any]]) -> Path:
    """Write ``records`` as gzipped JSON lines, sorted by key, byte-identical for the same
    records (no timestamp in the gzip header); atomic."""
    unique = {r["key"]: r for r in records}
    lines = "".join(json.dumps(unique[k], sort_keys=True, separators=(",", ":")) + "\n" for k in sorted(unique))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(gzip.compress(lines.encode(), mtime=0))
    os.replace(tmp, path)
    return path


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (temp file + rename), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)
    return path
