"""How long the runs a ``bench table`` would compute take on this machine, before computing them.

Each run's time comes from the records already measured (the results folder's and the shipped
ones): the run's own earlier record when its code changed since (the same spec, so the same
work, timed), else the seconds per unit of :func:`bench.tables.estimated_cost` (per transition,
in effect) over the records of the same agent on the same env (a supervised model: at the same
maze size), else of the same agent on any env, else of every record. The wall time is the
makespan of the runs handed costliest first to ``jobs`` workers, each taking the next run when
it frees up, as :func:`bench.executors.execute` does. An estimate, never a result: the times
are those the records took on their machine under its load then (records made beside other work,
such as a tuning run, took longer than they would alone).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.runner import RunSpec
from bench.store import ResultStore
from bench.supervised import SupervisedSpec
from bench.tables import Spec, estimated_cost


@dataclass(frozen=True)
class WallEstimate:
    """Estimated wall time of a set of runs and where each run's time came from."""

    seconds: float
    """Makespan on ``jobs`` workers."""
    cpu_seconds: float
    """Sum of the runs' times."""
    jobs: int
    sources: dict[str, int]
    """Runs per source of their time: :data:`SOURCES`, and ``unknown`` (no record measured
    anything: left out of the sums)."""

    def line(self) -> str:
        """One line for the terminal and the log."""
        if not any(self.sources.get(s) for s in SOURCES):
            return "no measured run times to estimate from" if self.sources.get("unknown") else "nothing to compute"
        timed = ", ".join(f"{n} {SOURCES.get(s, 'unknown, left out')}" for s, n in self.sources.items() if n)
        return f"estimated {self.seconds / 60:.0f} min with {self.jobs} job{'s' if self.jobs > 1 else ''} ({self.cpu_seconds / 60:.0f} CPU-min; {timed})"


SOURCES = {
    "own": "from their own earlier record",
    "agent-env": "from their agent's time per transition on their env",
    "agent": "from their agent's time per transition elsewhere",
    "overall": "from every record's time per transition",
}
"""Where a run's time comes from, most specific first."""


def run_seconds(record: dict[str, Any]) -> float | None:
    """Training plus evaluation seconds of a record (None: not timed)."""
    train = record.get("train_time_s")
    return None if train is None else float(train) + float(record.get("eval_time_s") or 0.0)


def spec_of(record: dict[str, Any]) -> Spec:
    """The run spec a record was made from (a supervised one when its spec names a model)."""
    spec = dict(record["spec"])
    return SupervisedSpec(**spec) if "model" in spec else RunSpec(**spec)


def groups_of(run: Spec) -> dict[str, tuple]:
    """The groups whose time per cost unit may time ``run``, by source: its agent (a supervised
    run: its model) on its env (maze size), its agent, every run."""
    if isinstance(run, SupervisedSpec):
        return {"agent-env": (run.model, run.size), "agent": (run.model,), "overall": ()}
    return {"agent-env": (run.agent, run.env_id), "agent": (run.agent,), "overall": ()}


def rates(records: Iterable[dict[str, Any]]) -> dict[tuple, float]:
    """Seconds per unit of :func:`estimated_cost` of every group (:func:`groups_of`) with a
    timed record."""
    seconds: dict[tuple, float] = {}
    cost: dict[tuple, float] = {}
    for record in records:
        taken = run_seconds(record)
        if taken is None:
            continue
        run = spec_of(record)
        for group in groups_of(run).values():
            seconds[group] = seconds.get(group, 0.0) + taken
            cost[group] = cost.get(group, 0.0) + estimated_cost(run)
    return {g: seconds[g] / cost[g] for g in seconds if cost[g] > 0}


def makespan(durations: Sequence[float], jobs: int) -> float:
    """Wall time of ``durations`` taken in order by ``jobs`` workers, each taking the next run
    as soon as it is free."""
    free = [0.0] * max(1, min(jobs, len(durations)))
    for duration in durations:
        heapq.heapreplace(free, free[0] + duration)
    return max(free) if durations else 0.0


def estimate(runs: Sequence[Spec], store: ResultStore, jobs: int) -> WallEstimate:
    """Estimate the wall time of computing ``runs`` (in the order given) with ``jobs`` workers,
    from the records of ``store`` (see the module docstring)."""
    per_group = rates(list(store.all()) + list(store.bundled.values()))
    durations: list[float] = []
    sources = dict.fromkeys([*SOURCES, "unknown"], 0)
    for run in runs:
        earlier = store.lookup(run).record
        taken, source = (run_seconds(earlier), "own") if earlier is not None else (None, "unknown")
        if taken is None:
            source = next((s for s, g in groups_of(run).items() if g in per_group), "unknown")
            taken = None if source == "unknown" else per_group[groups_of(run)[source]] * estimated_cost(run)
        sources[source] += 1
        if taken is not None:
            durations.append(taken)
    return WallEstimate(makespan(durations, jobs), sum(durations), jobs, sources)
