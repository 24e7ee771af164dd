"""What each ``bench`` subcommand does, given its parsed arguments (:mod:`bench.cli` parses and
dispatches). Heavy modules (torch, SB3) are imported inside the commands that need them."""

from __future__ import annotations

import argparse
import platform
from typing import TYPE_CHECKING

import envs
from bench.inputs import UsageError, check_results_folder, check_run_env_kwargs, key_values, load_table_specs

if TYPE_CHECKING:
    from bench.store import ResultStore
    from sweeps.hyperparams import Regime
    from sweeps.tune import TuneSpec


def cmd_data(args: argparse.Namespace) -> int:
    """Print the dataset card of each env."""
    from bench.data import dataset_card

    for env_id in args.env:
        episodes = args.episodes_per_puzzle or (4 if "4x4" in env_id else 1)
        print(dataset_card(env_id, episodes, args.seed), end="\n\n", flush=True)
    return 0


def cmd_perf(args: argparse.Namespace) -> int:
    """Print throughput tables."""
    from bench import perf

    if args.target == "envs":
        rows = perf.env_throughput(args.env or list(envs.ALL_IDS), args.num_envs, args.seconds)
        print(f"env steps/s on {platform.machine()}, {args.seconds:g} s per cell")
    else:
        from agents import registry

        unknown = sorted(set(args.agents) - set(registry.available()))
        if unknown:
            raise UsageError(f"unknown agent(s) {unknown}; known: {', '.join(registry.available())}")
        env_ids = args.env or list(perf.TRAIN_ENVS)
        rows = perf.training_throughput(args.agents, env_ids, args.steps)
        print(f"training on {platform.machine()}, one torch thread, {args.steps} transitions per run")
    from bench.markdown import table

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
        return str(value)

    print("\n".join(table(list(rows[0]), [[cell(v) for v in row.values()] for row in rows])), flush=True)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Print the registered agents, plugin failures and env ids."""
    from agents import registry

    failures = registry.discover()
    print("agents:")
    for name in registry.available():
        print(f"  {name:20s} {registry.describe(name)}")
    for name, error in failures.items():
        print(f"  {name:20s} FAILED TO LOAD: {error}")
    print("envs:")
    for env_id in envs.ALL_IDS:
        print(f"  {env_id}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run every (agent, env, seed) and print a summary over seeds."""
    import gymnasium as gym

    from agents import registry
    from bench.executors import execute
    from bench.runner import RunSpec
    from bench.store import ResultStore
    from bench.summary import drift_table, summary_table

    env_kwargs = key_values(args.env_kwargs, "--env-kwargs")
    agent_kwargs = key_values(args.agent_kwargs, "--agent-kwargs")
    probed = set()
    for name in args.agent:
        try:
            agent = registry.make_agent(name, **agent_kwargs)
        except (registry.UnknownAgentError, registry.AgentProtocolError, TypeError, ValueError) as err:
            raise UsageError(str(err)) from err
        if hasattr(agent, "depth_drift"):
            probed.add(name)
        unsupported = [env_id for env_id in args.env if not registry.supports(agent, env_id)]
        if unsupported:
            raise UsageError(f"agent {name!r} cannot play {unsupported} (it plays {agent.env_families} envs)")
    if args.probe_depths and not probed:
        raise UsageError("none of the agents has a depth-drift probe (--probe-depths)")
    check_run_env_kwargs(env_kwargs)
    for env_id in args.env:
        try:
            gym.make(env_id, **env_kwargs).close()
        except (gym.error.Error, OSError, TypeError, ValueError) as err:
            raise UsageError(f"{env_id}: {err}") from err
    for name in args.agent:
        agent = registry.make_agent(name, **agent_kwargs)
        for env_id in args.env:
            problem = registry.mask_problem(agent, name, env_id, env_kwargs)
            if problem:
                raise UsageError(problem)
    check_results_folder(args.results)
    specs = [
        RunSpec(
            agent=name,
            env_id=env_id,
            steps=args.steps,
            seed=seed,
            env_kwargs=env_kwargs,
            agent_config=agent_kwargs,
            episodes=args.episodes,
            splits=tuple(args.splits),
            probe_depths=tuple(args.probe_depths) if name in probed else (),
            sampled_eval=args.sampled_eval,
        )
        for name in args.agent
        for env_id in args.env
        for seed in args.seeds
    ]
    try:
        records = execute(specs, ResultStore(args.results), args.jobs, args.executor, args.address, args.force)
    except RuntimeError as err:
        raise UsageError(str(err)) from err
    splits = args.splits + [f"{split}-sampled" for split in args.splits if args.sampled_eval]
    print(summary_table(records, splits))
    if args.probe_depths:
        print()
        print(drift_table(records))
    return 0


def cmd_supervised(args: argparse.Namespace) -> int:
    """Train path predictors on the maze datasets and print per-cell / exact-path accuracy
    beside the all-zero and constant predictors, mean +- std over seeds."""
    from bench.executors import execute
    from bench.store import ResultStore
    from bench.summary import supervised_table
    from bench.supervised import SupervisedSpec

    specs = [
        SupervisedSpec(model=model, size=size, seed=seed, legacy=legacy, epochs=args.epochs)
        for size in args.size
        for legacy in ([True, False] if args.data == "both" else [args.data == "legacy"])
        for model in args.model
        for seed in args.seeds
    ]
    for spec in specs:
        try:
            spec.config()
        except ValueError as err:
            raise UsageError(str(err)) from err
    check_results_folder(args.results)
    records = execute(specs, ResultStore(args.results), args.jobs, force=args.force)
    print(supervised_table(records))
    return 0


def table_command(args: argparse.Namespace, compute: bool) -> int:
    """``bench table`` (``compute``) and ``bench report``: see :func:`bench.publish.table_pages`."""
    from pathlib import Path

    from bench.publish import PublishError, plan_line, table_pages

    specs = load_table_specs(args.names)
    without = [spec.name for spec in specs if args.profile not in spec.profiles]
    if without and args.names:
        raise UsageError(f"{', '.join(without)} has no {args.profile!r} profile (tables with one: "
                         f"{', '.join(s.name for s in load_table_specs([]) if args.profile in s.profiles)})")
    specs = [spec for spec in specs if args.profile in spec.profiles]
    check_results_folder(args.results)
    add = None
    if getattr(args, "add_agent", None):
        add = (args.add_agent, key_values(args.agent_kwargs, "--agent-kwargs"))
    elif getattr(args, "agent_kwargs", None):
        raise UsageError("--agent-kwargs configures the agent of --add-agent; name one")
    store = records_store(args.results, args.records)
    try:
        if getattr(args, "dry_run", False):
            print(plan_line(specs, args.profile, store, args.jobs, add))
            return 0
        written = table_pages(specs, args.profile, store, Path(args.out), compute, getattr(args, "jobs", 1),
                              getattr(args, "executor", "local"), getattr(args, "address", None), add)
    except (PublishError, RuntimeError) as err:
        raise UsageError(str(err)) from err
    for path in written:
        print(f"wrote {path}")
    return 0


def records_store(results: str, records: str | None) -> ResultStore:
    """The store of ``bench table``/``bench report``: the results folder, the records folder
    (default: the shipped ``reports/records``; ``none``: none) and, when that is another folder
    (``make bench-thorough``'s ``reports/thorough/records``), the shipped records after it, read-only."""
    from pathlib import Path

    from bench.store import SHIPPED_RECORDS, ResultStore

    if records == "none":
        return ResultStore(results)
    folder = Path(records) if records else SHIPPED_RECORDS
    same = folder.resolve() == SHIPPED_RECORDS.resolve()
    return ResultStore(results, folder, () if same else (SHIPPED_RECORDS,))


def cmd_table(args: argparse.Namespace) -> int:
    """Run every stale or missing run of the tables (resuming; the costliest first, so the
    cores stay busy to the end), record the wall time, then write the report pages."""
    return table_command(args, compute=True)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report pages from the records already stored (no training)."""
    return table_command(args, compute=False)


def cmd_tune(args: argparse.Namespace) -> int:
    """Run (or resume) the studies of one setting, one per agent with the same trial count, and
    write their tuned files; or every setting the tables need (``--all``), or list them
    (``--plan``); or write the report of every study in the storage."""
    from pathlib import Path

    from bench.tables import SpecError
    from sweeps.plan import PLAN_PROFILES, progress, study_facts, time_left_line, tuning_plan
    from sweeps.tune import DEFAULT_STORAGE, TuneError, study_names, tuning_report

    storage = args.storage or DEFAULT_STORAGE
    try:
        if args.report:
            text = tuning_report(storage)
            out = Path(args.report_path)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text)
            print(f"wrote {out}")
            return 0
        if args.plan or args.all:
            if args.agents or args.env or args.env_kwargs or args.backbone or args.steps:
                raise UsageError("bench tune --plan / --all take the settings from the tables: drop --agents, --env, --env-kwargs, --backbone and --steps")
            plan = tuning_plan(PLAN_PROFILES[: PLAN_PROFILES.index(args.profile) + 1])
            if args.plan:
                facts = study_facts(storage, set(study_names(storage)))
                left: list[float | None] = []
                for setting in plan:
                    studies = progress(setting, facts)
                    left += [p.seconds_left for p in studies.values() if p.done < p.target]
                    trials = ", ".join(f"{agent} {p}" for agent, p in studies.items())
                    print(f"{setting.profile:<9} bench tune {' '.join(setting.arguments())}  [trials: {trials}]")
                print(time_left_line(left, args.jobs))
                return 0
            studies = [setting_studies(args, list(s.agents), s.env_id, s.regime.env_kwargs, s.backbone) for s in plan]
            for number, (setting, specs) in enumerate(zip(plan, studies, strict=True), 1):
                print(f"setting {number}/{len(plan)} ({setting.profile}): bench tune {' '.join(setting.arguments())}", flush=True)
                tune_studies(specs, args.jobs, args.no_write)
            return 0
        if not args.agents or not args.env:
            raise UsageError("bench tune needs --agents and --env (a setting), --all or --plan (every setting the tables use), or --report")
        specs = setting_studies(args, args.agents, args.env, key_values(args.env_kwargs, "--env-kwargs"), args.backbone)
        tune_studies(specs, args.jobs, args.no_write)
    except (TuneError, SpecError) as err:
        raise UsageError(str(err)) from err
    return 0


def setting_studies(args: argparse.Namespace, agents: list[str], env_id: str, env_kwargs: dict[str, object],
                    backbone: str | None) -> list[TuneSpec]:
    """The studies of ``agents`` on ``env_id`` under the regime of ``env_kwargs`` (with ``args``'
    budget, trials, seeds and storage), checked so that every mistake shows before any study is
    created.

    :raises UsageError: a bad agent, backbone or setting.
    :raises TuneError: an agent that cannot be tuned there.
    """
    from sweeps.tune import TuneSpec, check_agent, default_trials

    agents = tune_agents(agents, backbone)
    regime, steps = tune_setting(env_id, env_kwargs, args.steps)
    trials = args.trials or default_trials(env_id)
    specs = [
        TuneSpec(agent, env_id, steps, trials, regime.masking, regime.rules, args.seeds_per_trial, args.seed, args.episodes,
                 args.storage, backbone)
        for agent in agents
    ]
    for spec in specs:
        check_agent(spec)
    return specs


def tune_studies(specs: list[TuneSpec], jobs: int, no_write: bool) -> None:
    """Run (or resume) the studies of one setting (:func:`setting_studies`) with ``jobs``
    workers each and write their tuned files (not with ``no_write``).

    :raises TuneError: a study the storage cannot hold or continue.
    """
    import sys

    from sweeps.tune import best_trial, open_study, tune, write_tuned

    for spec in specs:
        open_study(spec)
    first = specs[0]
    print(f"tuning {', '.join(spec.name for spec in specs)} on {first.env_id} ({first.regime.label}): {first.trials} trials each, "
          f"{first.seeds} seeds x {first.steps:,} transitions per trial", file=sys.stderr, flush=True)
    for spec in specs:
        study = tune(spec, jobs)
        best = best_trial(study, spec.trials)
        if best is None:
            print(f"{spec.study_name}: no complete trial, nothing written", flush=True)
            continue
        where = "not written (--no-write)" if no_write else f"-> {write_tuned(study, spec)}"
        print(f"{spec.study_name}: best value {best.value:.6f} {where}", flush=True)


def tune_agents(names: list[str], backbone: str | None) -> list[str]:
    """The agents of ``names`` to tune: each must have a search space (that takes ``backbone``);
    one whose space is ready but which is not registered yet is skipped with a note on stderr.

    :raises UsageError: an unknown name (with the closest tunable one), a backbone the agent
        cannot take, or nothing left to tune.
    """
    import difflib
    import sys

    from agents import registry
    from sweeps.spaces import SAMPLERS, check_tunable

    unknown = [name for name in names if name not in SAMPLERS]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(SAMPLERS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"no search space for {unknown}{hint}; tunable: {', '.join(SAMPLERS)}")
    for name in names:
        try:
            check_tunable(name, backbone)
        except ValueError as err:
            raise UsageError(str(err)) from err
    registered = set(registry.available())
    for name in names:
        if name not in registered:
            print(f"bench tune: skipping {name}: its search space is ready, the agent is not registered (yet)", file=sys.stderr)
    left = list(dict.fromkeys(name for name in names if name in registered))
    if not left:
        raise UsageError(f"none of {names} is a registered agent; nothing to tune")
    return left


def tune_setting(env_id: str, env_kwargs: dict[str, object], steps: int | None) -> tuple[Regime, int]:
    """``(regime, steps)`` of a setting: the regime of ``env_kwargs`` (the only env kwargs a study
    is keyed by; a maze takes ``masking`` alone), checked by the env itself, and the budget:
    ``steps``, else that of the table column running ``env_id`` under this regime (profile ``full``).

    :raises UsageError: another env kwarg, a bad regime name (with the closest one on Sudoku), or
        no budget.
    """
    import gymnasium as gym

    from sweeps.hyperparams import regime_of
    from sweeps.tune import table_budgets

    other = sorted(set(env_kwargs) - {"masking", "rules"})
    if other:
        raise UsageError(f"--env-kwargs {other[0]}=: a study is keyed by masking and rules only (the env kwargs of a table column)")
    try:
        gym.make(env_id, **env_kwargs).close()
    except (gym.error.Error, TypeError, ValueError) as err:
        raise UsageError(f"{env_id}: {err}") from err
    regime = regime_of(env_id, env_kwargs)
    if steps is None:
        budgets = table_budgets(env_id, regime)
        where = f"{env_id} under {regime.label}"
        if not budgets:
            raise UsageError(f"no table column runs {where}: give the budget with --steps")
        if len(budgets) > 1:
            raise UsageError(f"table columns run {where} at different budgets {budgets}: choose one with --steps")
        steps = next(iter(budgets))
    return regime, steps
