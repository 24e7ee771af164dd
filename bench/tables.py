"""Table specs (YAML in ``bench/specs/``): what runs a table needs, under which profile.

A spec names its rows (agents or supervised models), its columns (settings: an env id with env
kwargs, or a dataset variant), its profiles (``full``: the source's budgets; ``quick``: a smoke
run) and the source's claimed numbers, labelled as claimed (DESIGN section 6). This module turns
a spec and a profile into run specs; :mod:`bench.report` turns their records into a page.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bench.evaluation import DEFAULT_EPISODES
from bench.inputs import RUNNER_ENV_KWARGS
from bench.profiles import PROFILES, REQUIRED_PROFILES
from bench.runner import RunSpec, Spec
from bench.supervised import SupervisedSpec

SPECS_DIR = Path(__file__).parent / "specs"
KINDS = ("rl", "drift", "supervised")
"""``rl``: agents on envs; ``drift``: the same runs, reported through their depth-drift probe;
``supervised``: path predictors on maze datasets."""


class SpecError(ValueError):
    """A table spec that cannot be used (named in the message)."""


@dataclass(frozen=True)
class SourceBudget:
    """The source's own training budget of a column, read from its config (claimed data): it
    counted outer iterations, each collecting whole episodes of at most ``horizon`` edits."""

    iterations: int
    episodes_per_iteration: int
    horizon: int
    config: str
    """The source's config file the numbers come from."""

    @property
    def max_transitions(self) -> int:
        """Env transitions of the budget when every episode runs to the horizon (an upper bound:
        solved episodes end earlier; the configs do not record the mean episode length)."""
        return self.iterations * self.episodes_per_iteration * self.horizon

    def describe(self) -> str:
        """``5,000 iterations x 4 episodes x at most 16 edits = at most 320,000 transitions``."""
        return (
            f"{self.iterations:,} iterations x {self.episodes_per_iteration} episodes x at most {self.horizon} edits "
            f"= at most {self.max_transitions:,} transitions (`{self.config}`)"
        )


@dataclass(frozen=True)
class Column:
    """One setting of a table: an env (RL) or a dataset variant (supervised)."""

    id: str
    label: str
    env: str | None = None
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    sampled_eval: bool = False
    splits: tuple[str, ...] = ("test",)
    """Evaluated splits (``train`` too where the source measured in-sample)."""
    claim_split: str = "test"
    """Split whose metrics the claims are compared with (``test-sampled``: sampled actions)."""
    steps: dict[str, int] = field(default_factory=dict)
    """Per-profile budget overriding the profile's ``steps``."""
    legacy: bool = False
    source_budget: SourceBudget | None = None
    """The source's own budget for the claims of this column (stated beside ours on the page)."""


UNJUDGED = "unjudged"
"""Key of a row's claim entry mapping claimed metrics that a measurement here cannot test to the
reason (``{actor_params: "this build lacks ..."}``): shown, judged inconclusive with that reason."""
CLAIM_SETTINGS = ("n", "approx", "split", UNJUDGED)
"""Keys of a claim entry that qualify its claims instead of being one."""


@dataclass(frozen=True)
class Row:
    """One agent (RL) or model (supervised) of a table, with the source's claims per column."""

    id: str
    label: str
    agent: str | None = None
    agent_config: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    size: int | None = None
    claimed: dict[str, dict[str, Any]] = field(default_factory=dict)
    columns: tuple[str, ...] | None = None
    """Column ids the row runs in (None: all)."""
    probe_depths: tuple[int, ...] = ()
    """Depths of the depth-drift probe (agents with one: upi-trm)."""
    trivial: bool = False
    """The trivial reference every claim of its column is compared with."""
    reference: bool = False
    """A reference that is not trivial, every claim of its column compared with it too: the
    heuristic a learned agent must beat (most-constrained cell, DESIGN section 4)."""


@dataclass(frozen=True)
class HeadToHead:
    """Which rows a table compares head to head: each of ``ours`` (UPI-TRM's rows) against the
    strongest of ``baselines`` (learned agents) in every column, on ``metrics`` (the first
    decides which baseline is strongest, the next ones break ties)."""

    ours: tuple[str, ...]
    baselines: tuple[str, ...]
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """One factor changed at a time: between two rows (in every column both run) or between two
    columns (for every row that runs in both), ``before`` then ``after``."""

    name: str
    kind: str
    """``rows`` or ``columns``."""
    before: str
    after: str


@dataclass(frozen=True)
class Factors:
    """The one-factor changes a page measures, on ``metrics``."""

    metrics: tuple[str, ...]
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Curve:
    """One budget curve: the columns that run one setting at several budgets, and the column of
    the budget whose ``ours`` result the other rows try to reach."""

    name: str
    reference: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Curves:
    """The budget curves of a table: ``ours`` (a row id) sets the level at each curve's
    reference budget; every other row's curve says at which budget it reaches it, on ``metrics``."""

    ours: str
    metrics: tuple[str, ...]
    curves: tuple[Curve, ...]


@dataclass(frozen=True)
class TableSpec:
    """A whole table (see the module docstring)."""

    name: str
    title: str
    kind: str
    source: str
    note: str
    profiles: dict[str, dict[str, Any]]
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    metrics: tuple[str, ...]
    gains: dict[str, dict[str, float]] = field(default_factory=dict)
    """Drift tables: claimed ratios first row / second row per column, ``{"delta_v@16": 4.1}``."""
    path: Path | None = None
    """The YAML file the spec was read from (named on its page)."""
    head_to_head: HeadToHead | None = None
    """Rows compared head to head on the page (None: no such section)."""
    factors: Factors | None = None
    """One-factor changes measured on the page (None: no such section)."""
    curves: Curves | None = None
    """Budget curves drawn and read on the page (None: no such section)."""
    runs_table: str | None = None
    """Table whose runs these are (None: this one). A spec with ``derived_from: <table>`` reports
    that table's runs (rows picked by ``rows: [ids]``, its columns, profiles and claims given
    here), so both pages read the same records: the drift table shows the feasibility table's
    UPI-TRM runs."""

    def cells(self, profile: str | None = None) -> list[tuple[Row, Column]]:
        """Every (row, column) pair that is run (under ``profile``: only its ``rows`` and
        ``columns`` where it names them)."""
        prof = self.profiles.get(profile, {}) if profile else {}
        return [
            (r, c) for r in self.rows for c in self.columns
            if (r.columns is None or c.id in r.columns) and r.id in prof.get("rows", [r.id]) and c.id in prof.get("columns", [c.id])
        ]

    def seeds(self, profile: str) -> list[int]:
        """Seeds of ``profile``."""
        return list(self.profiles[profile]["seeds"])

    def steps(self, column: Column, profile: str) -> int:
        """Transitions per run of ``column`` under ``profile`` (the column's own, else the profile's)."""
        return int(column.steps.get(profile, self.profiles[profile]["steps"]))

    def run_spec(self, row: Row, column: Column, seed: int, profile: str) -> Spec:
        """The run of one cell and seed under ``profile``."""
        prof = self.profiles[profile]
        if self.kind == "supervised":
            return SupervisedSpec(model=row.model, size=row.size, seed=seed, legacy=column.legacy, epochs=prof.get("epochs"))
        return RunSpec(
            agent=row.agent,
            env_id=column.env,
            steps=self.steps(column, profile),
            seed=seed,
            env_kwargs=dict(column.env_kwargs),
            agent_config=dict(row.agent_config),
            episodes=int(prof.get("episodes", DEFAULT_EPISODES)),
            splits=tuple(column.splits),
            probe_depths=tuple(row.probe_depths),
            sampled_eval=column.sampled_eval,
        )

    def run_specs(self, profile: str, rows: tuple[str, ...] | None = None) -> list[Spec]:
        """Every run the table needs under ``profile`` (only those of ``rows``, by id, if given)."""
        cells = [(r, c) for r, c in self.cells(profile) if rows is None or r.id in rows]
        return [self.run_spec(r, c, s, profile) for r, c in cells for s in self.seeds(profile)]

    def budget(self, column: Column, profile: str) -> str:
        """What one run of ``column`` costs under ``profile``, as a heading says it:
        ``5,000 transitions, 3 seeds (0, 1, 2), 50 episodes per split`` (epochs for models)."""
        prof = self.profiles[profile]
        seeds = self.seeds(profile)
        seed_text = f"{len(seeds)} seed{'s' if len(seeds) > 1 else ''} ({', '.join(map(str, seeds))})"
        if self.kind == "supervised":
            epochs = prof.get("epochs")
            return f"{epochs} epoch{'s' if epochs != 1 else ''}, {seed_text}" if epochs else f"the source's epochs, {seed_text}"
        steps = self.steps(column, profile)
        episodes = int(prof.get("episodes", DEFAULT_EPISODES))
        return f"{steps:,} transitions, {seed_text}, {episodes} evaluation episodes per split"

    def with_agent(self, agent: str, agent_config: dict[str, Any], columns: tuple[str, ...]) -> TableSpec:
        """This table with one more row: ``agent`` (with ``agent_config``) in ``columns``, as added
        by ``bench table --add-agent`` (its runs are the only new ones)."""
        config = " ".join(f"{k}={v}" for k, v in sorted(agent_config.items()))
        label = f"{agent} ({config}; added)" if config else f"{agent} (added)"
        row = Row(id=ADDED_ROW, label=label, agent=agent, agent_config=dict(agent_config), columns=columns)
        return replace(self, rows=(*self.rows, row))


ADDED_ROW = "added"
"""Row id of an agent added with ``bench table --add-agent``."""


COST_FACTORS = {
    "upi-trm": 6.0, "ppo-trm": 2.5, "qrdqn": 2.0, "maskable-ppo": 1.5, "maskable-a2c": 1.5, "maskable-dqn": 1.5, "transformer": 20.0,
}
"""Rough cost of a transition (or of an epoch, for models) relative to SB3 PPO, for ordering."""


def estimated_cost(run: Spec) -> float:
    """A rough cost of ``run`` for scheduling the costliest runs first (never a result)."""
    if isinstance(run, SupervisedSpec):
        return 1000.0 * COST_FACTORS.get(run.model, 1.0) * (run.size / 8) ** 2
    return run.steps * COST_FACTORS.get(run.agent, 1.0) * (3.0 if "9x9" in run.env_id else 1.0)


def available() -> list[str]:
    """Names of the specs in :data:`SPECS_DIR`."""
    return sorted(p.stem for p in SPECS_DIR.glob("*.yaml"))


def load_spec(name_or_path: str) -> TableSpec:
    """Read and check a spec by name (``bench/specs/<name>.yaml``) or path.

    :raises SpecError: unknown name, or a spec with a missing or bad field.
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = SPECS_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        close = difflib.get_close_matches(str(name_or_path), available(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise SpecError(f"no table spec {name_or_path!r}{hint} (available: {', '.join(available())})")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise SpecError(f"{path}: not valid YAML ({' '.join(str(err).split())})") from err
    if not isinstance(data, dict):
        raise SpecError(f"{path}: a table spec is a mapping")
    if "derived_from" in data:
        return _derived(data, path)
    try:
        spec = TableSpec(
            name=data["name"],
            title=data["title"],
            kind=data["kind"],
            source=data["source"],
            note=" ".join(str(data.get("note", "")).split()),
            profiles=dict(data["profiles"]),
            columns=tuple(_column(c, path) for c in data["columns"]),
            rows=tuple(
                Row(**{**r, "columns": tuple(r["columns"]) if "columns" in r else None, "probe_depths": tuple(r.get("probe_depths", ()))})
                for r in data["rows"]
            ),
            metrics=tuple(data["metrics"]),
            head_to_head=_head_to_head(data.get("head_to_head"), path),
            factors=_factors(data.get("factors"), path),
            curves=_curves(data.get("curves"), path),
            path=path,
        )
    except (KeyError, TypeError) as err:
        raise SpecError(f"{path}: bad or missing field ({err})") from err
    _check(spec, path)
    return spec


def _head_to_head(data: Any, path: Path) -> HeadToHead | None:
    """The ``head_to_head`` block of a spec file (None when absent): three non-empty lists."""
    if data is None:
        return None
    fields_ = ("ours", "baselines", "metrics")
    if not isinstance(data, dict) or set(data) != set(fields_) or not all(isinstance(data[f], list) and data[f] for f in fields_):
        raise SpecError(f"{path}: head_to_head needs exactly {list(fields_)}, each a non-empty list, got {data!r}")
    return HeadToHead(*(tuple(str(v) for v in data[f]) for f in fields_))


def _factors(data: Any, path: Path) -> Factors | None:
    """The ``factors`` block of a spec file (None when absent): ``metrics`` and ``changes``, each
    change a ``name`` with ``rows: [before, after]`` or ``columns: [before, after]``."""
    if data is None:
        return None
    if not isinstance(data, dict) or set(data) != {"metrics", "changes"} or not data["metrics"] or not data["changes"]:
        raise SpecError(f"{path}: factors needs exactly ['metrics', 'changes'], each a non-empty list, got {data!r}")
    changes = []
    for entry in data["changes"]:
        kinds = [k for k in ("rows", "columns") if isinstance(entry, dict) and k in entry]
        if len(kinds) != 1 or set(entry) != {"name", kinds[0]} or not isinstance(entry[kinds[0]], list) or len(entry[kinds[0]]) != 2:
            raise SpecError(f"{path}: a factor change is a name with rows: [before, after] or columns: [before, after], got {entry!r}")
        changes.append(Change(str(entry["name"]), kinds[0], *(str(v) for v in entry[kinds[0]])))
    return Factors(tuple(str(m) for m in data["metrics"]), tuple(changes))


def _curves(data: Any, path: Path) -> Curves | None:
    """The ``curves`` block of a spec file (None when absent): ``ours``, ``metrics`` and
    ``curves``, each curve a ``name``, a ``reference`` column and its ``columns``."""
    if data is None:
        return None
    shape = "curves needs ours (a row id), metrics and curves (each: name, reference, columns)"
    if not isinstance(data, dict) or set(data) != {"ours", "metrics", "curves"} or not data["metrics"] or not data["curves"]:
        raise SpecError(f"{path}: {shape}, got {data!r}")
    curves = []
    for entry in data["curves"]:
        if not isinstance(entry, dict) or set(entry) != {"name", "reference", "columns"} or not isinstance(entry["columns"], list):
            raise SpecError(f"{path}: {shape}, got {entry!r}")
        curves.append(Curve(str(entry["name"]), str(entry["reference"]), tuple(str(c) for c in entry["columns"])))
    return Curves(str(data["ours"]), tuple(str(m) for m in data["metrics"]), tuple(curves))


def _column(data: dict[str, Any], path: Path) -> Column:
    """A column of a spec file (its ``source_budget`` checked: four fields, positive ints)."""
    budget = data.get("source_budget")
    if budget is not None:
        fields_ = ("iterations", "episodes_per_iteration", "horizon", "config")
        if not isinstance(budget, dict) or set(budget) != set(fields_):
            raise SpecError(f"{path}: column {data.get('id')!r}: source_budget needs exactly {list(fields_)}, got {budget!r}")
        for name in fields_[:3]:
            _check_int(budget[name], 1, f"{path}: column {data.get('id')!r}: source_budget {name}")
        budget = SourceBudget(**budget)
    return Column(**{**data, "splits": tuple(data.get("splits", ("test",))), "source_budget": budget})


def _derived(data: dict[str, Any], path: Path) -> TableSpec:
    """A spec reporting some rows of another table's runs (see :attr:`TableSpec.runs_table`)."""
    base = load_spec(data["derived_from"])
    try:
        by_id = {r.id: r for r in base.rows}
        rows = []
        for entry in data["rows"]:
            if entry["id"] not in by_id:
                raise SpecError(f"{path}: row {entry['id']!r} is not a row of {base.name}")
            claimed = entry.get("claimed", {})
            rows.append(replace(by_id[entry["id"]], label=entry.get("label", by_id[entry["id"]].label), claimed=claimed))
        kept = {r.id for r in rows}
        profiles = {}
        for name, prof in base.profiles.items():  # a profile that picks rows keeps those of this table
            picked = [r for r in prof.get("rows", kept) if r in kept]
            if picked:
                profiles[name] = prof | ({"rows": picked} if "rows" in prof else {})
        spec = replace(
            base,
            profiles=profiles,
            name=data["name"],
            title=data["title"],
            kind=data["kind"],
            source=data["source"],
            note=" ".join(str(data.get("note", "")).split()),
            rows=tuple(rows),
            metrics=tuple(data["metrics"]),
            gains=dict(data.get("gains", {})),
            head_to_head=_head_to_head(data.get("head_to_head"), path),
            path=path,
            runs_table=base.name,
        )
    except (KeyError, TypeError) as err:
        raise SpecError(f"{path}: bad or missing field ({err})") from err
    _check(spec, path)
    return spec


def _check(spec: TableSpec, path: Path) -> None:
    if spec.kind not in KINDS:
        raise SpecError(f"{path}: kind must be one of {KINDS}, got {spec.kind!r}")
    missing = [p for p in REQUIRED_PROFILES if p not in spec.profiles]
    if missing:
        raise SpecError(f"{path}: profiles {missing} missing")
    unknown = sorted(set(spec.profiles) - set(PROFILES))
    if unknown:
        raise SpecError(f"{path}: unknown profiles {unknown} (profiles: {', '.join(PROFILES)})")
    needs = ("seeds",) if spec.kind == "supervised" else ("seeds", "steps")
    for name, profile in spec.profiles.items():
        if not isinstance(profile, dict) or any(k not in profile for k in needs):
            raise SpecError(f"{path}: profile {name!r} needs {list(needs)}")
        _check_profile(profile, f"{path}: profile {name!r}")
        for field_, ids in (("rows", {r.id for r in spec.rows}), ("columns", {c.id for c in spec.columns})):
            picked = profile.get(field_, list(ids))
            if not isinstance(picked, list) or not picked or set(picked) - ids:
                raise SpecError(f"{path}: profile {name!r}: {field_} must be a non-empty list of the table's {field_}, got {picked!r}")
    for column in spec.columns:
        _check_column(column, f"{path}: column {column.id!r}")
    for row in spec.rows:
        where = f"{path}: row {row.id!r}"
        if not isinstance(row.agent_config, dict):
            raise SpecError(f"{where}: agent_config must be a mapping, got {row.agent_config!r}")
        for depth in row.probe_depths:
            _check_int(depth, 1, f"{where}: probe_depths")
    column_ids = {c.id for c in spec.columns}
    for row in spec.rows:
        unknown = set(row.claimed) | set(row.columns or ())
        if unknown - column_ids:
            raise SpecError(f"{path}: row {row.id!r} names unknown columns {sorted(unknown - column_ids)}")
        for column_id, claim in row.claimed.items():
            if not isinstance(claim, dict):
                raise SpecError(f"{path}: row {row.id!r}, column {column_id!r}: a claim entry must map metrics to claimed values")
            unjudged = claim.get(UNJUDGED, {})
            if not isinstance(unjudged, dict) or set(unjudged) - set(claim):
                raise SpecError(f"{path}: row {row.id!r}, column {column_id!r}: {UNJUDGED} must map claimed metrics to the reason")
        needed = ("model", "size") if spec.kind == "supervised" else ("agent",)
        if any(getattr(row, f) is None for f in needed):
            raise SpecError(f"{path}: row {row.id!r} needs {needed}")
    if spec.kind != "supervised" and any(c.env is None for c in spec.columns):
        raise SpecError(f"{path}: every column of an {spec.kind} table needs an env")
    if spec.kind == "drift" and any(not r.probe_depths for r in spec.rows):
        raise SpecError(f"{path}: every row of a drift table needs probe_depths")
    if set(spec.gains) - column_ids:
        raise SpecError(f"{path}: gains name unknown columns {sorted(set(spec.gains) - column_ids)}")
    if spec.factors is not None:
        ids = {"rows": {r.id for r in spec.rows}, "columns": column_ids}
        for change in spec.factors.changes:
            unknown = sorted({change.before, change.after} - ids[change.kind])
            if spec.kind != "rl" or unknown:
                raise SpecError(f"{path}: factor {change.name!r} names unknown {change.kind} {unknown} (rl tables only)")
        if set(spec.factors.metrics) - set(spec.metrics):
            raise SpecError(f"{path}: factors measure {list(spec.factors.metrics)}, not all of the table's {list(spec.metrics)}")
    if spec.curves is not None:
        for curve in spec.curves.curves:
            unknown = sorted(set(curve.columns + (curve.reference,)) - column_ids)
            if spec.kind != "rl" or spec.curves.ours not in {r.id for r in spec.rows} or unknown or curve.reference not in curve.columns:
                raise SpecError(f"{path}: curve {curve.name!r}: ours must be a row, its reference one of its columns "
                                f"(unknown columns {unknown}; rl tables only)")
        if set(spec.curves.metrics) - set(spec.metrics):
            raise SpecError(f"{path}: curves measure {list(spec.curves.metrics)}, not all of the table's {list(spec.metrics)}")
    if spec.head_to_head is not None:
        h2h = spec.head_to_head
        unknown_rows = sorted(set(h2h.ours + h2h.baselines) - {r.id for r in spec.rows})
        if spec.kind != "rl" or unknown_rows or set(h2h.metrics) - set(spec.metrics) or set(h2h.ours) & set(h2h.baselines):
            raise SpecError(
                f"{path}: head_to_head compares rows of an rl table on its metrics, ours and baselines apart "
                f"(unknown rows {unknown_rows}, metrics {list(h2h.metrics)} of {list(spec.metrics)})"
            )
    _check_runs(spec, path)


RUN_SPLITS = ("train", "val", "test")


def _check_int(value: Any, minimum: int, where: str) -> None:
    """Raise SpecError unless ``value`` is an int (not a bool) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        kind = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise SpecError(f"{where} must be {kind}, got {value!r}")


def _check_profile(profile: dict[str, Any], where: str) -> None:
    """Types and ranges of a profile: ``seeds`` a non-empty list of ints >= 0, ``steps`` and
    ``episodes`` positive ints, ``epochs`` a positive int or null."""
    seeds = profile["seeds"]
    if not isinstance(seeds, list) or not seeds:
        raise SpecError(f"{where}: seeds must be a non-empty list of ints >= 0, got {seeds!r}")
    for seed in seeds:
        _check_int(seed, 0, f"{where}: each seed")
    for name in ("steps", "episodes"):
        if name in profile:
            _check_int(profile[name], 1, f"{where}: {name}")
    if profile.get("epochs") is not None:
        _check_int(profile["epochs"], 1, f"{where}: epochs")


def _check_column(column: Column, where: str) -> None:
    """Types and ranges of a column: ``steps`` maps profile names to positive ints, ``splits``
    are run splits, ``env_kwargs`` a mapping without the kwargs the runner decides."""
    if not isinstance(column.steps, dict):
        raise SpecError(f"{where}: steps must map profiles {list(PROFILES)} to positive ints, got {column.steps!r}")
    for name, steps in column.steps.items():
        if name not in PROFILES:
            raise SpecError(f"{where}: steps names unknown profile {name!r} (profiles: {', '.join(PROFILES)})")
        _check_int(steps, 1, f"{where}: steps {name!r}")
    if not column.splits or any(split not in RUN_SPLITS for split in column.splits):
        raise SpecError(f"{where}: splits must be a non-empty list of {list(RUN_SPLITS)}, got {list(column.splits)!r}")
    if not isinstance(column.env_kwargs, dict):
        raise SpecError(f"{where}: env_kwargs must be a mapping, got {column.env_kwargs!r}")
    for name in RUNNER_ENV_KWARGS:
        if column.env_kwargs.get(name) is not None:
            raise SpecError(f"{where}: env_kwargs {name!r} cannot be used in a table (runs train on the "
                            "train split and evaluate on the column's splits)")


def _check_runs(spec: TableSpec, path: Path) -> None:
    """Every agent, env, env kwarg and model the spec names exists and fits, so a mistake
    stops the table before any run starts, not inside a worker."""
    import gymnasium as gym

    from agents import registry

    if spec.kind == "supervised":
        for row in spec.rows:
            try:
                SupervisedSpec(model=row.model, size=row.size, seed=0).config()
            except ValueError as err:
                raise SpecError(f"{path}: row {row.id!r}: {err}") from err
        return
    masking = {}
    for column in spec.columns:
        try:
            masking[column.id] = _built_masking(column.env, column.env_kwargs)
        except (gym.error.Error, TypeError, ValueError) as err:
            raise SpecError(f"{path}: column {column.id!r}: {err}") from err
    for row, column in spec.cells():
        try:
            agent = registry.make_agent(row.agent, **row.agent_config)
        except (registry.UnknownAgentError, registry.AgentProtocolError, TypeError, ValueError) as err:
            raise SpecError(f"{path}: row {row.id!r}: {err}") from err
        if not registry.supports(agent, column.env):
            raise SpecError(f"{path}: row {row.id!r} cannot play {column.env} (column {column.id!r})")
        problem = registry.mask_problem(agent, row.agent, column.env, column.env_kwargs) if masking[column.id] == "none" else None
        if problem:
            raise SpecError(f"{path}: row {row.id!r}, column {column.id!r}: {problem}")


_MASKINGS: dict[str, str] = {}
"""(env id, env kwargs) -> the masking of the env they build: the columns of the specs repeat."""


def _built_masking(env_id: str, env_kwargs: dict[str, Any]) -> str:
    """The masking of ``env_id`` built with ``env_kwargs`` (building it checks them; once per
    process for each pair). Only an env whose masking is ``none`` can leave a masked agent
    nothing to act on, so the rows' check asks :func:`agents.registry.mask_problem` (which
    builds the env again) of those columns alone.

    :raises gymnasium.error.Error, TypeError, ValueError: what the env says of bad kwargs.
    """
    import gymnasium as gym

    key = repr((env_id, sorted(env_kwargs.items())))
    if key not in _MASKINGS:
        env = gym.make(env_id, **env_kwargs)
        _MASKINGS[key] = env.unwrapped.options.masking
        env.close()
    return _MASKINGS[key]
