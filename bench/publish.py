"""``bench table`` and ``bench report``: compute the runs a set of tables lacks, then write their
pages, the index of the pages in the folder, and the records behind them.

The records shown on a page ship beside it as ``records/<table>.jsonl.gz`` (with the sessions
that computed them), so a fresh clone's ``bench report`` reproduces the committed pages and its
``bench table`` computes only what is new (DESIGN section 6).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.pages import EXTRA_PAGES, index_page, performance_page, shown_sessions, wall_times
from bench.cells import collect
from bench.report import render
from bench.store import ResultStore, write_bundle, write_json
from bench.tables import ADDED_ROW, TableSpec, available, estimated_cost, load_spec

RECORDS_FOLDER = "records"
"""Folder beside the pages that holds the records they show."""


class PublishError(ValueError):
    """A request that cannot be served (named in the message); nothing was written."""


def added_agent_spec(spec: TableSpec, agent: str, agent_config: dict[str, Any]) -> TableSpec:
    """``spec`` with a row for ``agent`` under every column it can play.

    :raises PublishError: a table without agents (supervised, or reporting another table's
        runs), an agent that cannot be built with ``agent_config``, or one that plays none of
        the columns.
    """
    from agents import registry

    if spec.kind != "rl":
        raise PublishError(f"--add-agent adds a row to an RL table; {spec.name} is a {spec.kind} table")
    try:
        built = registry.make_agent(agent, **agent_config)
    except (registry.UnknownAgentError, registry.AgentProtocolError, TypeError, ValueError) as err:
        raise PublishError(str(err)) from err
    columns = tuple(c.id for c in spec.columns if registry.supports(built, c.env))
    if not columns:
        raise PublishError(f"agent {agent!r} plays none of the columns of {spec.name} ({', '.join(c.env for c in spec.columns)})")
    return spec.with_agent(agent, agent_config, columns)


def plan(specs: list[TableSpec], profile: str, store: ResultStore, jobs: int,
         rows: tuple[str, ...] | None = None) -> tuple[list, list, str]:
    """The runs of ``specs`` (only those of ``rows`` if given), costliest first, those of them
    that need computing, and a line saying how many are current, stale (by component) and
    missing, with the estimated wall time of the others on ``jobs`` workers (:mod:`bench.timing`)."""
    from bench.timing import estimate

    runs = list({run.key(): run for spec in specs for run in spec.run_specs(profile, rows)}.values())
    runs.sort(key=estimated_cost, reverse=True)
    lookups = [store.lookup(run) for run in runs]
    status = Counter(lookup.status for lookup in lookups)
    changed = Counter(c for lookup in lookups for c in lookup.stale)
    why = f" ({', '.join(f'{c} changed in {n}' for c, n in sorted(changed.items()))})" if changed else ""
    todo = [(run, lookup.record) for run, lookup in zip(runs, lookups) if lookup.status != "fresh"]
    pending = [run for run, _ in todo]
    timed = estimate(pending, store, jobs, [record for _, record in todo]) if todo else None
    line = (
        f"{len(runs)} runs: {status['fresh']} current, {status['stale']} stale{why}, {status['missing']} missing; "
        + (f"computing {len(pending)}, {timed.line()}" if timed else "nothing to compute")
    )
    return runs, pending, line


def run_tables(specs: list[TableSpec], profile: str, store: ResultStore, jobs: int, executor: str, address: str | None,
               rows: tuple[str, ...] | None = None) -> None:
    """Compute every stale or missing run of ``specs`` (of ``rows`` only, if given), timing the
    session in the results folder (a killed session counts up to its last record)."""
    from bench.executors import execute

    runs, pending, line = plan(specs, profile, store, jobs, rows)
    print(line, file=sys.stderr, flush=True)
    sessions = store.sessions(profile)
    session = {"started": time.time(), "ended": None, "runs": len(pending), "jobs": jobs}
    if pending:
        store.put_sessions(profile, sessions + [session])
    execute(runs, store, jobs, executor, address)
    if pending:
        session["ended"] = time.time()
        store.put_sessions(profile, sessions + [session])


def write_reports(specs: list[TableSpec], profile: str, store: ResultStore, out: Path) -> list[Path]:
    """Write one page per spec into ``out`` (figures in ``out/figures``), the records each page
    shows into ``out/records``, then the index and performance pages over every table page in
    ``out`` (those written now, and the others already there).

    :raises PublishError: a table without a single record (nothing is written then).
    """
    cells = {spec.name: collect(spec, profile, store) for spec in specs}
    empty = [spec.name for spec in specs if not cells[spec.name].records()]
    if empty:
        raise PublishError(
            f"no run records for {', '.join(empty)} under profile {profile!r} in {store.root} or the shipped "
            f"records; run `bench table {' '.join(empty)} --profile {profile}` first"
        )
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in specs:
        path = out / f"{spec.name}.md"
        path.write_text(render(spec, profile, cells[spec.name], out / "figures"))
        write_bundle(out / RECORDS_FOLDER / f"{spec.name}.jsonl.gz", cells[spec.name].records())
        written.append(path)
    others = [load_spec(name) for name in available() if name not in cells and (out / f"{name}.md").exists()]
    others = [spec for spec in others if profile in spec.profiles]
    every = specs + others
    cells |= {spec.name: collect(spec, profile, store) for spec in others}
    every.sort(key=lambda s: s.name)
    walls = wall_times(store, profile, cells)
    write_json(out / RECORDS_FOLDER / f"sessions-{profile}.json", shown_sessions(store, profile, cells))
    extra = [name for name in EXTRA_PAGES if (out / name).exists() or name == "performance.md"]
    (out / "performance.md").write_text(performance_page(every, profile, cells, walls))
    (out / "index.md").write_text(index_page(every, profile, cells, walls, extra))
    return written + [out / "performance.md", out / "index.md"]


def with_added_agent(specs: list[TableSpec], add_agent: tuple[str, dict[str, Any]] | None) -> tuple[list[TableSpec], tuple[str, ...] | None]:
    """The specs, each with a row for ``add_agent`` (name, config) if given, and the rows to
    compute (only the added one; None: all)."""
    if add_agent is None:
        return specs, None
    return [added_agent_spec(spec, *add_agent) for spec in specs], (ADDED_ROW,)


def plan_line(specs: list[TableSpec], profile: str, store: ResultStore, jobs: int = 1,
              add_agent: tuple[str, dict[str, Any]] | None = None) -> str:
    """What ``bench table --dry-run`` says: the runs current, stale and missing, and the
    estimated wall time of computing the others (nothing is computed or written)."""
    specs, rows = with_added_agent(specs, add_agent)
    return plan(specs, profile, store, jobs, rows)[2]


def table_pages(specs: list[TableSpec], profile: str, store: ResultStore, out: Path, compute: bool, jobs: int = 1,
                executor: str = "local", address: str | None = None, add_agent: tuple[str, dict[str, Any]] | None = None) -> list[Path]:
    """What ``bench table`` (``compute=True``) and ``bench report`` do: with ``add_agent``
    (name, config) every spec gets a row for that agent and only its runs are computed."""
    specs, rows = with_added_agent(specs, add_agent)
    if compute:
        run_tables(specs, profile, store, jobs, executor, address, rows)
    return write_reports(specs, profile, store, out)
