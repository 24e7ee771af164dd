"""A table's records by cell: what a page reads (one record per seed, fresh or absent)."""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.store import ResultStore
from bench.tables import TableSpec

MISSING = "missing"
TOP_LEVEL = ("params", "actor_params")
"""Metrics a record holds at its top level (parameter counts), not per split."""
Key = tuple[str, str]

class Cells(dict):
    """The records of a table: (row id, column id) -> one *fresh* record per seed (None where
    missing or stale); :attr:`stale` maps a cell to the components whose code changed since
    one of its records was computed."""

    def __init__(self) -> None:
        super().__init__()
        self.stale: dict[Key, tuple[str, ...]] = {}
        self.stale_records: list[dict[str, Any]] = []

    def absent(self, key: Key) -> str:
        """How a cell without (fresh) values shows: ``stale (agent changed)`` or ``missing``."""
        changed = self.stale.get(key)
        return f"stale ({', '.join(changed)} changed)" if changed else MISSING

    def count(self, status: str) -> int:
        """Runs that are ``fresh``, ``stale`` or ``missing``."""
        fresh = sum(r is not None for rs in self.values() for r in rs)
        total = sum(len(rs) for rs in self.values())
        stale = len(self.stale_records)
        return {"fresh": fresh, "stale": stale, "missing": total - fresh - stale}[status]

    def records(self) -> list[dict[str, Any]]:
        """Every record shown, fresh and stale (what ships with the page)."""
        return [r for rs in self.values() for r in rs if r is not None] + self.stale_records


def collect(spec: TableSpec, profile: str, store: ResultStore) -> Cells:
    """Records of every cell, one per seed of ``profile`` (None where a run has no fresh
    record; stale ones are named in :attr:`Cells.stale`)."""
    out = Cells()
    for row, column in spec.cells(profile):
        lookups = [store.lookup(spec.run_spec(row, column, s, profile)) for s in spec.seeds(profile)]
        out[(row.id, column.id)] = [lookup.fresh for lookup in lookups]
        changed = sorted({c for lookup in lookups for c in lookup.stale})
        if changed:
            out.stale[(row.id, column.id)] = tuple(changed)
            out.stale_records += [lookup.record for lookup in lookups if lookup.status == "stale"]
    return out


def metric_values(records: list[dict[str, Any] | None], split: str, metric: str) -> np.ndarray | None:
    """Per-seed values of ``split/metric``, or None if any is missing. ``params`` is top level;
    ``<name>@<depth>`` reads the depth-drift probe (``delta_v@16``)."""
    if not records or any(r is None for r in records):
        return None
    if metric in TOP_LEVEL:
        if any(metric not in r for r in records):
            return None
        return np.array([r[metric] for r in records], dtype=float)
    if "@" in metric:
        name, depth = metric.split("@")
        points = [{p["depth"]: p for p in r.get("drift") or []}.get(int(depth)) for r in records]
        if any(p is None or name not in p for p in points):
            return None
        return np.array([p[name] for p in points], dtype=float)
    if any(split not in r["metrics"] or metric not in r["metrics"][split] for r in records):
        return None
    return np.array([r["metrics"][split][metric] for r in records], dtype=float)
