"""What each ``bench`` subcommand does, given its parsed arguments (:mod:`bench.cli` parses and
dispatches). Heavy modules (torch, SB3) are imported inside the commands that need them."""

from __future__ import annotations

import argparse
import platform

import envs
from bench.inputs import UsageError, check_results_folder, check_run_env_kwargs, key_values, load_table_specs

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

    from bench.publish import PublishError, table_pages
    from bench.store import SHIPPED_RECORDS, ResultStore

    specs = load_table_specs(args.names)
    check_results_folder(args.results)
    add = None
    if getattr(args, "add_agent", None):
        add = (args.add_agent, key_values(args.agent_kwargs, "--agent-kwargs"))
    elif getattr(args, "agent_kwargs", None):
        raise UsageError("--agent-kwargs configures the agent of --add-agent; name one")
    store = ResultStore(args.results, None if args.records == "none" else args.records or SHIPPED_RECORDS)
    try:
        written = table_pages(specs, args.profile, store, Path(args.out), compute, getattr(args, "jobs", 1),
                              getattr(args, "executor", "local"), getattr(args, "address", None), add)
    except (PublishError, RuntimeError) as err:
        raise UsageError(str(err)) from err
    for path in written:
        print(f"wrote {path}")
    return 0


def cmd_table(args: argparse.Namespace) -> int:
    """Run every stale or missing run of the tables (resuming; the costliest first, so the
    cores stay busy to the end), record the wall time, then write the report pages."""
    return table_command(args, compute=True)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report pages from the records already stored (no training)."""
    return table_command(args, compute=False)


def cmd_tune(args: argparse.Namespace) -> int:
    """Run (or resume) Optuna studies, write the tuned YAML files, or the tuning report."""
    from sweeps.spaces import SAMPLERS
    from sweeps.tune import TuneError, TuneSpec, tune, tuning_report, write_tuned

    unknown = sorted(set(args.algo) - set(SAMPLERS))
    if unknown:
        raise UsageError(f"no search space for {unknown}; tunable: {', '.join(SAMPLERS)}")
    env_kwargs = key_values(args.env_kwargs, "--env-kwargs")
    specs = [
        TuneSpec(algo, env_id, args.trials, args.steps, args.seed, args.episodes, args.storage, env_kwargs)
        for algo in args.algo
        for env_id in args.env
    ]
    try:
        if args.report:
            from pathlib import Path

            out = Path(args.report_path)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(tuning_report(specs))
            print(f"wrote {out}")
            return 0
        for spec in specs:
            study = tune(spec, args.jobs)
            if env_kwargs or args.no_write:
                print(f"{spec.study_name}: best value {study.best_value:.4f} (not written to sweeps/tuned)")
            else:
                print(f"{spec.study_name}: best value {study.best_value:.4f} -> {write_tuned(study, spec)}")
    except TuneError as err:
        raise UsageError(str(err)) from err
    return 0
