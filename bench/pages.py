"""The pages around the tables: ``reports/index.md`` (every table, its verdicts and wall time)
and ``reports/performance.md`` (training throughput per agent from the run records, wall time
per table, machine)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from bench.markdown import table
from bench.cells import Cells, collect
from bench.report import judgements
from bench.store import ResultStore
from bench.tables import TableSpec


@dataclass(frozen=True)
class Wall:
    """Wall time of the ``bench table`` sessions of one results folder that computed records
    shown on the pages."""

    folder: str
    minutes: float
    sessions: int


@dataclass(frozen=True)
class WallTimes:
    """The wall time of the sessions behind the records a set of pages shows."""

    folders: list[Wall]
    untimed: int
    """Records shown that none of those sessions computed."""


EXTRA_PAGES = {
    "datasets.md": "dataset cards: sizes, clue histograms, class overlap, random-masked floors per masking regime",
    "perf-envs.md": "environment throughput: single env, batched vector env, SB3 loop",
    "tuning.md": "Optuna studies of every learned agent, per setting, and their tuned hyperparameters",
    "performance.md": "training throughput per agent, wall time per table, machine",
}


def collect_all(specs: list[TableSpec], profile: str, store: ResultStore) -> dict[str, Cells]:
    """The records of every table, read once: table name -> :func:`bench.cells.collect`."""
    return {spec.name: collect(spec, profile, store) for spec in specs}


def wall_sentence(walls: WallTimes) -> list[str]:
    """The lines saying how long the ``bench table`` sessions took, per results folder
    (nothing if untimed)."""
    if not walls.folders:
        return []
    parts = [f"**{w.minutes:.1f} min** in {w.sessions} session{'s' if w.sessions > 1 else ''} of `{w.folder}`" for w in walls.folders]
    outside = (f"; {walls.untimed} of the records were computed outside them (the same runs reused from another "
               "profile's records, or copied in) and are not counted" if walls.untimed else "")
    return [
        "",
        f"Wall time of the `bench table` sessions that computed these records: {'; '.join(parts)} "
        f"(a killed session counts up to its last record){outside}.",
    ]


def finished_at(records: list[dict[str, Any]]) -> list[float]:
    """When each record was finished (its ``created``, UTC, whole seconds), in order."""
    return sorted(datetime.strptime(r["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp() for r in records)


def finished_in(session: dict[str, Any], limit: float, at: float) -> bool:
    """Whether a record finished ``at`` belongs to ``session`` (whose records end by ``limit``,
    :func:`session_windows`); ``created`` has whole seconds, so a second of slack each side."""
    return session["started"] - 1 <= at <= limit + 1


def session_windows(sessions: list[dict[str, Any]]) -> list[tuple[dict[str, Any], float]]:
    """Each session, oldest first, with the time up to which a finished record is its: its end,
    or for a killed session (never ended) the next session's start (the last: no limit)."""
    ordered = sorted(sessions, key=lambda s: s["started"])
    return [
        (s, s["ended"] if s["ended"] is not None else ordered[i + 1]["started"] if i + 1 < len(ordered) else float("inf"))
        for i, s in enumerate(ordered)
    ]


def session_minutes(sessions: list[dict[str, Any]], records: list[dict[str, Any]]) -> tuple[float, int]:
    """Wall time (minutes) of the ``sessions`` that computed at least one of ``records`` (a
    record counts for the session it was finished in), and their count. A killed session
    (never ended) counts up to its last finished record."""
    finished = finished_at(records)
    total, used = 0.0, 0
    for session, limit in session_windows(sessions):
        inside = [t for t in finished if finished_in(session, limit, t)]
        if not inside:
            continue
        used += 1
        total += (session["ended"] if session["ended"] is not None else inside[-1]) - session["started"]
    return total / 60, used


def outside_sessions(sessions: list[dict[str, Any]], records: list[dict[str, Any]]) -> int:
    """How many of ``records`` no session of ``sessions`` finished (reused from another
    profile's records, or computed by ``bench run`` and copied in)."""
    windows = session_windows(sessions)
    return sum(not any(finished_in(s, limit, t) for s, limit in windows) for t in finished_at(records))


def wall_times(store: ResultStore, profile: str, cells: dict[str, Cells]) -> WallTimes:
    """Wall time per results folder (this store's, and the shipped records') of the sessions
    that computed the records in ``cells``, and how many of those records none of them computed."""
    records = list({r["key"]: r for c in cells.values() for rs in c.values() for r in rs if r is not None}.values())
    shipped = store.shipped_sessions(profile)
    local = [s for s in store.sessions(profile) if s not in shipped]  # a folder that computed the shipped records
    walls = []
    for folder, sessions in ((str(store.root), local), (str(store.shipped), shipped)):
        minutes, used = session_minutes(sessions, records)
        if used:
            walls.append(Wall(_shown(folder), minutes, used))
    return WallTimes(walls, outside_sessions(local + shipped, records))


def shown_sessions(store: ResultStore, profile: str, cells: dict[str, Cells]) -> list[dict[str, Any]]:
    """The sessions (of this folder and the shipped ones) that computed records in ``cells``:
    what is shipped beside those records."""
    records = [r for c in cells.values() for rs in c.values() for r in rs if r is not None]
    out = []
    for session in store.shipped_sessions(profile) + store.sessions(profile):
        if session_minutes([session], records)[1] and session not in out:
            out.append(session)
    return sorted(out, key=lambda s: s["started"])


def _shown(folder: str) -> str:
    """A folder as pages name it: relative to the working directory when inside it."""
    path = Path(folder).resolve()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def compute_minutes(runs: dict) -> float:
    """Training + evaluation time of the records of a table, summed over its runs (minutes)."""
    records = [r for rs in runs.values() for r in rs if r is not None]
    return sum(r.get("train_time_s", 0.0) + r.get("eval_time_s", 0.0) for r in records) / 60


def verdict_counts(spec: TableSpec, cells: Cells) -> Counter:
    """How many claims of the table hold, do not hold, or are inconclusive (claimed drift gains
    included), by :class:`bench.verdicts.Verdict`."""
    return Counter(j.verdict for column in spec.columns for j in judgements(spec, column, cells))


def head_to_head_counts(spec: TableSpec, cells: Cells) -> Counter:
    """How often the table's UPI-TRM rows are ahead of, behind, or not told apart from the
    strongest baseline of a column (per row, column and metric), by :class:`bench.verdicts.Comparison`."""
    from bench.comparisons import head_to_head

    return Counter(r.comparison for column in spec.columns for r in head_to_head(spec, column, cells) if r.strongest)


def index_page(specs: list[TableSpec], profile: str, cells: dict[str, Cells], walls: WallTimes, extra: list[str]) -> str:
    """``index.md``: one line per table written, with its claims' verdicts, its runs (current,
    stale, missing) and its compute, and the wall time (``cells`` from :func:`collect_all`,
    ``walls`` from :func:`wall_times`)."""
    from bench.verdicts import Comparison, Verdict

    lines = ["# trm-bench reports", "", f"Profile `{profile}`. Every page is generated from run records by `bench report`.", ""]
    rows = []
    for spec in specs:
        runs = cells[spec.name]
        counts = verdict_counts(spec, runs)
        verdicts = " / ".join(str(counts[v]) for v in (Verdict.HOLDS, Verdict.DOES_NOT_HOLD, Verdict.INCONCLUSIVE))
        have = f"{runs.count('fresh')} / {runs.count('stale')} / {runs.count('missing')}"
        compute = f"(runs of {spec.runs_table})" if spec.runs_table else f"{compute_minutes(runs):.1f} min"
        versus = head_to_head_counts(spec, runs)
        h2h = " / ".join(str(versus[c]) for c in (Comparison.AHEAD, Comparison.NOT_TOLD_APART, Comparison.BEHIND)) if versus else "-"
        rows.append([f"[{spec.title}]({spec.name}.md)", verdicts, h2h, have, compute])
    headers = [
        "table", "claims: holds / does not hold / inconclusive",
        "UPI-TRM vs the strongest baseline: ahead / not told apart / behind", "runs: current / stale / missing", "compute",
    ]
    lines += table(headers, rows)
    lines += wall_sentence(walls)
    if extra:
        lines += ["", "Other pages:", ""]
        lines += [f"- [{name}]({name}): {EXTRA_PAGES[name]}" for name in extra]
    return "\n".join(lines) + "\n"


def performance_page(specs: list[TableSpec], profile: str, cells: dict[str, Cells], walls: WallTimes) -> str:
    """``performance.md``: env transitions per second of training, per agent and env,
    measured in the table runs themselves; compute per table; wall time; the machine."""
    rows, machines = [], set()
    seen = set()
    for spec in specs:
        for records in cells[spec.name].values():
            for r in records:
                if r is None or r.get("kind") == "supervised" or r["key"] in seen or not r["steps_done"]:
                    continue
                seen.add(r["key"])
                machines.add(f"{r['machine']['platform']}, {r['machine']['cpus']} CPUs, CPU capability {r['machine'].get('cpu_capability', 'unrecorded')}")
                rows.append(
                    {"agent": r["spec"]["agent"], "env": r["spec"]["env_id"], "steps/s": r["steps_done"] / max(r["train_time_s"], 1e-9)}
                )
    lines = ["# Performance", "", f"Profile `{profile}`. Training throughput is env transitions per second of `learn`, "]
    lines[-1] += "one torch thread per run, measured in the table runs (jobs share the machine's cores)."
    throughput = []
    if rows:
        frame = pd.DataFrame(rows).groupby(["agent", "env"], sort=True)["steps/s"]
        throughput = [[agent, env, len(part), f"{part.mean():,.0f}", f"{part.min():,.0f}", f"{part.max():,.0f}"] for (agent, env), part in frame]
    lines += ["", *table(["agent", "env", "runs", "transitions/s (mean)", "min", "max"], throughput)]
    compute = [[spec.name, f"{compute_minutes(cells[spec.name]):.1f} min"] for spec in specs if not spec.runs_table]
    lines += ["", *table(["table", "compute (training + evaluation, summed over runs)"], compute)]
    lines += wall_sentence(walls)
    lines += ["", "Machine: " + ("; ".join(sorted(machines)) or "-")]
    return "\n".join(lines) + "\n"
