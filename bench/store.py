"""Run records: one JSON file per run, content-addressed, written atomically."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

DEFAULT_RESULTS = Path("results")


class ResultStore:
    """Records under ``root/runs/<key>.json``.

    A record is written to a temporary file and renamed into place, so a reader sees either the
    whole record or none. A file that does not parse, or whose ``key`` field disagrees with its
    name, is reported (a warning) and treated as missing, so the run is recomputed.
    """

    def __init__(self, root: Path | str = DEFAULT_RESULTS) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"

    def path(self, key: str) -> Path:
        """File of the record with ``key``."""
        return self.runs / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The record with ``key``, or None if absent or corrupt."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            record = json.loads(path.read_text())
            if not isinstance(record, dict) or record.get("key") != key or "metrics" not in record:
                raise ValueError("not a run record for this key")
        except (OSError, ValueError) as err:
            warnings.warn(f"corrupt run record {path} ({err}); it will be recomputed", stacklevel=2)
            return None
        return record

    def put(self, record: dict[str, Any]) -> Path:
        """Write ``record`` (which holds its ``key``) atomically; returns its path."""
        return _write_json(self.path(record["key"]), record)

    def sessions(self, profile: str) -> list[dict[str, Any]]:
        """Every ``bench table`` session recorded under ``profile`` (oldest first)."""
        try:
            return json.loads((self.root / "tables" / f"sessions-{profile}.json").read_text())
        except (OSError, ValueError):
            return []

    def put_sessions(self, profile: str, sessions: list[dict[str, Any]]) -> None:
        """Replace the session list of ``profile`` (atomic JSON)."""
        _write_json(self.root / "tables" / f"sessions-{profile}.json", sessions)

    def all(self) -> list[dict[str, Any]]:
        """Every readable record (corrupt ones reported and skipped)."""
        if not self.runs.exists():
            return []
        records = (self.get(p.stem) for p in sorted(self.runs.glob("*.json")))
        return [r for r in records if r is not None]


def _write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (temp file + rename), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)
    return path
