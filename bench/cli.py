"""The ``bench`` command line. A user mistake prints one clear line and exits 2, never a traceback."""

from __future__ import annotations

import argparse
import difflib
import platform
import re
import sys
import typing
from collections.abc import Callable, Sequence

import envs
from bench.evaluation import DEFAULT_EPISODES


class UsageError(Exception):
    """A mistake in the user's input: reported as one line, exit status 2."""


class BenchArgumentParser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one line (``bench: error: ...``, exit status 2),
    without the usage block; ``--help`` still prints it. Subparsers inherit the class."""

    def error(self, message: str) -> typing.NoReturn:
        """Print ``message`` as one line on stderr and exit with status 2."""
        self.exit(2, f"bench: error: {' '.join(message.split())}\n")


def env_id_type(known: Sequence[str]) -> Callable[[str], str]:
    """Argparse type: one of the env ids ``known``, with a close-match hint otherwise."""

    def parse(value: str) -> str:
        if value in known:
            return value
        close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.7)  # ids share "trm/"
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise argparse.ArgumentTypeError(f"unknown env id {value!r}{hint} (known: {', '.join(known)})")

    return parse


env_id_arg = env_id_type(envs.ALL_IDS)
sudoku_id_arg = env_id_type(list(envs.SUDOKU_IDS))


def int_at_least(minimum: int) -> Callable[[str], int]:
    """Argparse type: an int >= ``minimum``."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value!r}")
        return number

    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def positive_float(value: str) -> float:
    """Argparse type: a float > 0."""
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {value!r}")
    return number


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
    headers = list(rows[0])
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for row in rows:
        cells = [f"{v:,.0f}" if isinstance(v, float) and abs(v) >= 100 else f"{v:.3g}" if isinstance(v, float) else str(v) for v in row.values()]
        print("| " + " | ".join(cells) + " |", flush=True)
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


EXPONENT_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


def key_values(items: list[str], what: str) -> dict[str, object]:
    """Parse ``k=v`` pairs; values are read as YAML scalars (``16`` -> int, ``true`` -> bool)."""
    import yaml

    out: dict[str, object] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise UsageError(f"{what} must be written key=value, got {item!r}")
        try:
            out[name] = yaml.safe_load(raw)
        except yaml.YAMLError:
            out[name] = raw
        if isinstance(out[name], str) and EXPONENT_NUMBER.match(raw):
            out[name] = float(raw)  # YAML 1.1 reads "1e-3" (no dot) as a string
    return out


def check_results_folder(path: str) -> None:
    """Refuse a ``--results`` folder that records could not be written to: an existing file, a
    path under a file, or a place that cannot be created or written (a read-only folder,
    ``/proc/x``). Called before any training, so nothing computed is lost. Missing folders are
    created to try and removed again, so a refused or later-failing command leaves nothing.

    :raises UsageError: naming the path and the reason, in one line.
    """
    import tempfile
    from pathlib import Path

    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--results {path!r} is a file, not a folder")
    missing = []
    existing = folder.absolute()
    while not existing.exists() and existing != existing.parent:
        missing.append(existing)
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"--results {path!r} cannot be created: {str(existing)!r} is a file, not a folder")
    created: list[Path] = []
    try:
        for part in reversed(missing):
            try:
                part.mkdir()
            except OSError as err:
                raise UsageError(f"--results {path!r} cannot be created ({err.strerror or err})") from err
            created.append(part)
        for sub in (folder, folder / "runs", folder / "tables"):
            if sub.exists() and not sub.is_dir():
                raise UsageError(f"--results {path!r} holds a file {sub.name!r} where records go in a folder")
            if sub.is_dir():
                with tempfile.TemporaryFile(dir=sub):
                    pass
    except OSError as err:
        raise UsageError(f"--results {path!r} cannot be written ({err.strerror or err})") from err
    finally:
        for part in reversed(created):
            try:
                part.rmdir()
            except OSError:
                pass


RUNNER_ENV_KWARGS = {
    "puzzles": "runs evaluate on the env's own splits (puzzles= is for direct env use: gym.make)",
    "split": "runs train on the train split and evaluate on --splits (split= is for direct env use)",
}
"""Env kwargs the runner decides itself: ``bench run`` refuses them up front (given to a run, the
runner fails after training (puzzles) or silently trains on another split (split))."""


def check_run_env_kwargs(env_kwargs: dict[str, object]) -> None:
    """Refuse env kwargs :data:`RUNNER_ENV_KWARGS` names (a ``None`` value is the default)."""
    for name, reason in RUNNER_ENV_KWARGS.items():
        if env_kwargs.get(name) is not None:
            raise UsageError(f"--env-kwargs {name}= cannot be used with bench run: {reason}")


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


def load_table_specs(names: list[str]) -> list:
    """The table specs named (all in bench/specs/ when none), or a UsageError."""
    from bench.tables import SpecError, available, load_spec

    try:
        return [load_spec(name) for name in (names or available())]
    except SpecError as err:
        raise UsageError(str(err)) from err


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


def perf_agents() -> tuple[str, ...]:
    """Agents ``bench perf train`` measures by default: ``bench.perf.TRAIN_AGENTS``, spelled out
    because importing ``bench.perf`` (SB3, torch) would slow every ``bench`` command down; a test
    checks the two agree."""
    return ("ppo", "a2c", "dqn", "maskable-ppo", "qrdqn", "upi-trm")


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of every ``bench`` subcommand."""
    parser = BenchArgumentParser(prog="bench", description="trm-bench command line")
    sub = parser.add_subparsers(dest="command", required=True)
    all_ids = list(envs.SUDOKU_IDS)

    data = sub.add_parser("data", help="print dataset cards (sizes, clue histogram, overlap, random floors)")
    data.add_argument("--env", nargs="+", type=sudoku_id_arg, default=all_ids, help="env ids (default: all)")
    data.add_argument(
        "--episodes-per-puzzle",
        type=positive_int,
        default=None,
        help="random-masked episodes per test puzzle (default 4 for 4x4, 1 for 9x9)",
    )
    data.add_argument("--seed", type=non_negative_int, default=0, help="seed of the random-masked episodes")
    data.set_defaults(func=cmd_data)

    listing = sub.add_parser("list", help="list registered agents (built-in and plugins) and env ids")
    listing.set_defaults(func=cmd_list)

    run = sub.add_parser("run", help="train and evaluate agents on envs for a budget and seeds")
    run.add_argument("--agent", nargs="+", required=True, help="registered agent names (see bench list)")
    run.add_argument("--env", nargs="+", type=env_id_arg, required=True, help="env ids")
    run.add_argument("--steps", type=positive_int, required=True, help="budget in env transitions")
    run.add_argument("--seeds", nargs="+", type=non_negative_int, default=[0], help="seeds (default 0)")
    run.add_argument("--env-kwargs", nargs="*", default=[], metavar="K=V", help="env kwargs, e.g. masking=cell")
    run.add_argument("--agent-kwargs", nargs="*", default=[], metavar="K=V", help="agent config overrides")
    run.add_argument(
        "--episodes", type=positive_int, default=DEFAULT_EPISODES, help=f"evaluation episodes per split (default {DEFAULT_EPISODES})"
    )
    run.add_argument(
        "--splits", nargs="+", choices=["test", "train", "val"], default=["test"], help="evaluated splits"
    )
    run.add_argument(
        "--probe-depths", nargs="*", type=positive_int, default=[], help="depth-drift probe depths (upi-trm)"
    )
    run.add_argument(
        "--sampled-eval", action="store_true", help="also evaluate with sampled actions (<split>-sampled)"
    )
    run.add_argument("--jobs", type=positive_int, default=1, help="parallel runs (one torch thread each)")
    run.add_argument("--results", default="results", help="results folder (default results/)")
    run.add_argument("--executor", choices=["local", "ray"], default="local", help="where runs execute")
    run.add_argument("--address", default=None, help="Ray cluster address (default: a local Ray)")
    run.add_argument("--force", action="store_true", help="recompute runs that already have a record")
    run.set_defaults(func=cmd_run)

    table = sub.add_parser("table", help="run the tables of bench/specs/ (resuming) and write their reports")
    report = sub.add_parser("report", help="write the tables' reports from stored records only (no training)")
    for p, func in ((table, cmd_table), (report, cmd_report)):
        p.add_argument("names", nargs="*", help="table specs (names in bench/specs/ or paths; default: all)")
        p.add_argument("--profile", choices=["full", "quick"], default="full", help="budgets and seeds")
        p.add_argument("--results", default="results", help="results folder (default results/)")
        p.add_argument("--out", default="reports", help="folder of the report pages (default reports/)")
        p.add_argument(
            "--records", default=None, metavar="DIR",
            help="records shipped with reports, reused read-only (default: reports/records/; 'none': ignore them)",
        )
        p.add_argument("--add-agent", default=None, metavar="AGENT", help="add a row for this registered agent (plugins too)")
        p.add_argument("--agent-kwargs", nargs="*", default=[], metavar="K=V", help="config of the --add-agent agent")
        p.set_defaults(func=func)
    table.add_argument("--jobs", type=positive_int, default=1, help="parallel runs (one torch thread each)")
    table.add_argument("--executor", choices=["local", "ray"], default="local", help="where runs execute")
    table.add_argument("--address", default=None, help="Ray cluster address (default: a local Ray)")

    sup = sub.add_parser("supervised", help="train maze path predictors (the TRM README's supervised table)")
    sup.add_argument("--model", nargs="+", default=["cnn", "trm"], help="cnn, transformer, trm")
    sup.add_argument("--size", nargs="+", type=int, choices=[8, 10], default=[8], help="maze sizes")
    sup.add_argument("--data", choices=["corrected", "legacy", "both"], default="both", help="dataset generator")
    sup.add_argument("--seeds", nargs="+", type=non_negative_int, default=[0], help="seeds (default 0)")
    sup.add_argument("--epochs", type=positive_int, default=None, help="epochs (default: the source's)")
    sup.add_argument("--jobs", type=positive_int, default=1, help="parallel runs (one torch thread each)")
    sup.add_argument("--results", default="results", help="results folder (default results/)")
    sup.add_argument("--force", action="store_true", help="recompute runs that already have a record")
    sup.set_defaults(func=cmd_supervised)

    tune_p = sub.add_parser("tune", help="Optuna tuning of the SB3 baselines (resumable)")
    tune_p.add_argument("--algo", nargs="+", default=["ppo", "a2c", "dqn"], help="algorithms to tune")
    tune_p.add_argument("--env", nargs="+", type=sudoku_id_arg, default=all_ids, help="env ids")
    tune_p.add_argument("--trials", type=positive_int, default=30, help="finished trials per study")
    tune_p.add_argument("--steps", type=positive_int, default=20000, help="transitions per trial")
    tune_p.add_argument("--episodes", type=positive_int, default=50, help="validation episodes")
    tune_p.add_argument("--seed", type=non_negative_int, default=0, help="training seed of every trial")
    tune_p.add_argument("--storage", default=None, help="Optuna storage URL (default: SQLite in sweeps/)")
    tune_p.add_argument("--env-kwargs", nargs="*", default=[], metavar="K=V", help="env kwargs")
    tune_p.add_argument("--jobs", type=positive_int, default=1, help="worker processes on the study")
    tune_p.add_argument("--no-write", action="store_true", help="do not write sweeps/tuned/*.yaml")
    tune_p.add_argument("--report", action="store_true", help="write the markdown summary instead")
    tune_p.add_argument("--report-path", default="reports/tuning.md", help="where --report writes")
    tune_p.set_defaults(func=cmd_tune)

    perf = sub.add_parser("perf", help="throughput benchmarks")
    perf.add_argument("target", choices=["envs", "train"], help="env throughput, or agents' training")
    perf.add_argument("--env", nargs="+", type=env_id_arg, default=None, help="env ids (default: all; train: the 4x4 Easy and 9x9 Sudoku)")
    perf.add_argument("--num-envs", type=positive_int, default=1024, help="vector env batch size")
    perf.add_argument("--seconds", type=positive_float, default=2.0, help="envs: time per measurement")
    perf.add_argument("--agents", nargs="+", default=list(perf_agents()), help="train: agents")
    perf.add_argument("--steps", type=positive_int, default=4000, help="train: transitions per run")
    perf.set_defaults(func=cmd_perf)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``bench`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UsageError as err:
        print(f"bench: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
