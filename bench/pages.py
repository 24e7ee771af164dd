"""The pages around the tables: ``reports/index.md`` (every table, its verdicts and wall time)
and ``reports/performance.md`` (training throughput per agent from the run records, wall time
per table, machine)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

import pandas as pd

from bench.report import Cells, claim_rows, collect, gain_claims
from bench.runner import code_version
from bench.store import ResultStore
from bench.tables import TableSpec

Wall = tuple[float, int] | None
"""Minutes and number of ``bench table`` sessions (:func:`wall_minutes`), or None."""

EXTRA_PAGES = {
    "datasets.md": "dataset cards: sizes, clue histograms, class overlap, random-masked floors per masking regime",
    "perf-envs.md": "environment throughput: single env, batched vector env, SB3 loop",
    "tuning.md": "Optuna studies of the baselines and their tuned hyperparameters",
    "performance.md": "training throughput per agent, wall time per table, machine",
}


def collect_all(specs: list[TableSpec], profile: str, store: ResultStore) -> dict[str, Cells]:
    """The records of every table, read once: table name -> :func:`bench.report.collect`."""
    return {spec.name: collect(spec, profile, store) for spec in specs}


def wall_sentence(wall: Wall) -> list[str]:
    """The lines saying how long the ``bench table`` sessions took (nothing if untimed)."""
    if not wall:
        return []
    minutes, sessions = wall
    plural = "s" if sessions > 1 else ""
    return [
        "",
        f"Wall time of the `bench table` sessions that computed these records: **{minutes:.1f} min** "
        f"({sessions} session{plural}; a killed one counts up to its last record).",
    ]


def wall_minutes(store: ResultStore, profile: str) -> Wall:
    """Wall time of the ``bench table`` sessions that computed the current code version's
    records under ``profile`` (minutes) and their count. A killed session counts up to its
    last finished record."""
    code = code_version()
    sessions = [s for s in store.sessions(profile) if s["code"] == code]
    if not sessions:
        return None
    finished = sorted(
        datetime.strptime(r["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
        for r in store.all()
        if r.get("code_version") == code
    )
    total = 0.0
    for i, session in enumerate(sessions):
        if session["ended"] is not None:
            total += session["ended"] - session["started"]
            continue
        limit = sessions[i + 1]["started"] if i + 1 < len(sessions) else float("inf")
        inside = [t for t in finished if session["started"] <= t <= limit]
        total += (inside[-1] - session["started"]) if inside else 0.0
    return total / 60, len(sessions)


def compute_minutes(runs: dict) -> float:
    """Training + evaluation time of the records of a table, summed over its runs (minutes)."""
    records = [r for rs in runs.values() for r in rs if r is not None]
    return sum(r.get("train_time_s", 0.0) + r.get("eval_time_s", 0.0) for r in records) / 60


def verdict_counts(spec: TableSpec, cells: Cells) -> Counter:
    """How many claims of the table hold, do not hold, or are inconclusive (claimed drift gains
    included)."""
    counts: Counter = Counter()
    for column in spec.columns:
        for claim in claim_rows(spec, column, cells) + gain_claims(spec, column, cells):
            counts[claim["verdict"].split(" (")[0]] += 1
    return counts


def index_page(specs: list[TableSpec], profile: str, cells: dict[str, Cells], wall: Wall, extra: list[str]) -> str:
    """``reports/index.md``: one line per table with its claims' verdicts and wall time
    (``cells`` from :func:`collect_all`, ``wall`` from :func:`wall_minutes`)."""
    lines = ["# trm-bench reports", "", f"Profile `{profile}`. Every page is generated from run records by `bench report`.", ""]
    lines += ["| table | claims: holds / does not hold / inconclusive | runs with records | compute |", "|---|---|---|---|"]
    for spec in specs:
        runs = cells[spec.name]
        counts = verdict_counts(spec, runs)
        have = sum(r is not None for rs in runs.values() for r in rs)
        total = sum(len(rs) for rs in runs.values())
        verdicts = f"{counts['holds']} / {counts['does not hold']} / {counts['inconclusive']}"
        compute = f"{compute_minutes(runs):.1f} min"
        if spec.runs_table:
            compute = f"(runs of {spec.runs_table})"
        lines.append(f"| [{spec.title}]({spec.name}.md) | {verdicts} | {have} of {total} | {compute} |")
    lines += wall_sentence(wall)
    lines += ["", "Other pages:", ""]
    lines += [f"- [{name}]({name}): {EXTRA_PAGES[name]}" for name in extra]
    return "\n".join(lines) + "\n"


def performance_page(specs: list[TableSpec], profile: str, cells: dict[str, Cells], wall: Wall) -> str:
    """``reports/performance.md``: env transitions per second of training, per agent and env,
    measured in the table runs themselves; compute per table; wall time; the machine."""
    rows, machines = [], set()
    seen = set()
    for spec in specs:
        for records in cells[spec.name].values():
            for r in records:
                if r is None or r.get("kind") == "supervised" or r["key"] in seen or not r["steps_done"]:
                    continue
                seen.add(r["key"])
                machines.add(f"{r['machine']['platform']}, {r['machine']['cpus']} CPUs")
                rows.append(
                    {"agent": r["spec"]["agent"], "env": r["spec"]["env_id"], "steps/s": r["steps_done"] / max(r["train_time_s"], 1e-9)}
                )
    lines = ["# Performance", "", f"Profile `{profile}`. Training throughput is env transitions per second of `learn`, "]
    lines[-1] += "one torch thread per run, measured in the table runs (jobs share the machine's cores)."
    lines += ["", "| agent | env | runs | transitions/s (mean) | min | max |", "|---|---|---|---|---|---|"]
    if rows:
        frame = pd.DataFrame(rows).groupby(["agent", "env"], sort=True)["steps/s"]
        for (agent, env), part in frame:
            lines.append(f"| {agent} | {env} | {len(part)} | {part.mean():,.0f} | {part.min():,.0f} | {part.max():,.0f} |")
    lines += ["", "| table | compute (training + evaluation, summed over runs) |", "|---|---|"]
    for spec in specs:
        if not spec.runs_table:
            lines.append(f"| {spec.name} | {compute_minutes(cells[spec.name]):.1f} min |")
    lines += wall_sentence(wall)
    lines += ["", "Machine: " + ("; ".join(sorted(machines)) or "-")]
    return "\n".join(lines) + "\n"
