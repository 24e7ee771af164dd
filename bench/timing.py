"""How long the runs a ``bench table`` would compute take on this machine, before computing them.

Each run's time comes from the records already measured (the results folder's and the shipped
ones): the run's own earlier record when its code changed since (the same spec, so the same
work, timed), else the seconds per unit of :func:`bench.tables.estimated_cost` (per transition,
in effect) over the records of the same row (agent and its config, such as ``backbone=trm`` or
a preset) on the same env (a supervised model: at the same maze size), else of the same agent on
that env, else of the same agent anywhere, else of every record of its kind (RL or supervised).
The wall time is the makespan of the runs handed costliest first to ``jobs`` workers, each taking
the next run when it frees up, as the local pool of :func:`bench.executors.execute` does (on Ray
the cluster's CPUs set the parallelism, not ``--jobs``). An estimate, never a result: the times
are those the records took on their machine under its load then (records made beside other work,
such as a tuning run, took longer than they would alone).
"""

from __future__ import annotations

import heapq
import json
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
    "row-env": "from their row's time per transition on their env",
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
    """The groups whose time per cost unit may time ``run``, by source, most specific first: its
    row (agent and config) on its env, its agent on its env, its agent, every run of its kind. A
    supervised run: its model and data at its maze size, its model at that size, its model,
    every supervised run."""
    if isinstance(run, SupervisedSpec):
        return {"row-env": ("supervised", run.model, run.legacy, run.epochs, run.size), "agent-env": ("supervised", run.model, run.size),
                "agent": ("supervised", run.model), "overall": ("supervised",)}
    config = json.dumps(run.agent_config, sort_keys=True, default=str)
    return {"row-env": ("rl", run.agent, config, run.env_id), "agent-env": ("rl", run.agent, run.env_id),
            "agent": ("rl", run.agent), "overall": ("rl",)}


class GroupTimes:
    """Seconds and cost units summed per group (:func:`groups_of`) over timed records, kept up to
    date as records come and go, so that :meth:`rates` costs the groups, not the records."""

    def __init__(self, records: Iterable[dict[str, Any]] = ()) -> None:
        self.seconds: dict[tuple, float] = {}
        self.cost: dict[tuple, float] = {}
        self.count: dict[tuple, int] = {}
        for record in records:
            self.add(record)

    def add(self, record: dict[str, Any], sign: float = 1.0) -> None:
        """Count ``record`` in its groups (``sign=-1``: take it out again); an untimed one counts nothing."""
        taken = run_seconds(record)
        if taken is None:
            return
        run = spec_of(record)
        for group in groups_of(run).values():
            self.seconds[group] = self.seconds.get(group, 0.0) + sign * taken
            self.cost[group] = self.cost.get(group, 0.0) + sign * estimated_cost(run)
            self.count[group] = self.count.get(group, 0) + (1 if sign > 0 else -1)

    def rates(self) -> dict[tuple, float]:
        """Seconds per unit of :func:`estimated_cost` of every group with a timed record."""
        return {g: self.seconds[g] / c for g, c in self.cost.items() if self.count[g] > 0 and c > 0}


def rates(records: Iterable[dict[str, Any]]) -> dict[tuple, float]:
    """Seconds per unit of :func:`estimated_cost` of every group (:func:`groups_of`) with a
    timed record."""
    return GroupTimes(records).rates()


def makespan(durations: Sequence[float], jobs: int) -> float:
    """Wall time of ``durations`` taken in order by ``jobs`` workers, each taking the next run
    as soon as it is free."""
    free = [0.0] * max(1, min(jobs, len(durations)))
    for duration in durations:
        heapq.heapreplace(free, free[0] + duration)
    return max(free) if durations else 0.0


def estimate(runs: Sequence[Spec], store: ResultStore, jobs: int,
             earlier: Sequence[dict[str, Any] | None] | None = None) -> WallEstimate:
    """Estimate the wall time of computing ``runs`` (in the order given) with ``jobs`` workers,
    from the records of ``store`` (see the module docstring). ``earlier``: each run's record
    already looked up (any code version; None: absent), when the caller has it."""
    records = earlier if earlier is not None else [store.lookup(run).record for run in runs]
    return estimate_from(runs, records, rates(known_records(store).values()), jobs)


def known_records(store: ResultStore) -> dict[str, dict[str, Any]]:
    """Every record ``store`` holds, shipped or computed, by key (a key once: the computed one)."""
    return {r["key"]: r for r in [*store.bundled.values(), *store.all()]}


def estimate_from(runs: Sequence[Spec], earlier: Sequence[dict[str, Any] | None], per_group: dict[tuple, float],
                  jobs: int) -> WallEstimate:
    """:func:`estimate` given each run's earlier record (None: absent) and the :func:`rates` of
    the groups."""
    durations: list[float] = []
    sources = dict.fromkeys([*SOURCES, "unknown"], 0)
    for run, record in zip(runs, earlier, strict=True):
        taken, source = (run_seconds(record), "own") if record is not None else (None, "unknown")
        if taken is None:
            source = next((s for s, g in groups_of(run).items() if g in per_group), "unknown")
            taken = None if source == "unknown" else per_group[groups_of(run)[source]] * estimated_cost(run)
        sources[source] += 1
        if taken is not None:
            durations.append(taken)
    return WallEstimate(makespan(durations, jobs), sum(durations), jobs, sources)


class TimeLeft:
    """The wall time left of a set of runs in progress: :func:`estimate` over the runs not yet
    landed, from the records known when the set started and every record landed since, so a
    fresh results folder's runs are timed by their own row as soon as its first run lands. A
    run in flight counts whole: the figure overstates by at most one run per job."""

    def __init__(self, runs: Sequence[Spec], earlier: Sequence[dict[str, Any] | None], store: ResultStore, jobs: int) -> None:
        """``earlier``: each run's record already looked up (any code version; None: absent)."""
        self.known = known_records(store)
        self.times = GroupTimes(self.known.values())
        self.left = {run.key(): (run, record) for run, record in zip(runs, earlier, strict=True)}
        self.jobs = jobs

    def landed(self, record: dict[str, Any]) -> float | None:
        """Count ``record`` (one of the runs) as landed, in place of the record of its key known
        before (a stale one); the seconds left, None while a run left has nothing that times it."""
        replaced = self.known.get(record["key"])
        if replaced is not None:
            self.times.add(replaced, sign=-1.0)
        self.known[record["key"]] = record
        self.times.add(record)
        self.left.pop(record["key"], None)
        return self.seconds()

    def seconds(self) -> float | None:
        """Estimated wall seconds of the runs left (None: some run left has nothing that times it)."""
        runs, earlier = zip(*self.left.values()) if self.left else ((), ())
        wall = estimate_from(runs, earlier, self.times.rates(), self.jobs)
        return None if wall.sources["unknown"] else wall.seconds
