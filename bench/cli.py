"""The ``bench`` command line: it parses and dispatches to :mod:`bench.commands`. A user mistake
prints one clear line and exits 2, never a traceback."""

from __future__ import annotations

import argparse
import difflib
import sys
import typing
from collections.abc import Callable, Sequence

import envs
from bench.commands import cmd_data, cmd_list, cmd_perf, cmd_report, cmd_run, cmd_supervised, cmd_table, cmd_tune
from bench.evaluation import DEFAULT_EPISODES
from bench.inputs import UsageError, check_results_folder, key_values
from bench.profiles import PROFILES
from sweeps.spaces import BACKBONES

__all__ = ["UsageError", "build_parser", "check_results_folder", "key_values", "main"]


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
        p.add_argument("--profile", choices=list(PROFILES), default="full",
                       help="budgets and seeds (thorough: the headline cells of the tables that have it)")
        p.add_argument("--results", default="results", help="results folder (default results/)")
        p.add_argument("--out", default="reports", help="folder of the report pages (default reports/)")
        p.add_argument(
            "--records", default=None, metavar="DIR",
            help="records shipped with reports, reused read-only (default: reports/records/; another folder: it, then reports/records/; 'none': ignore them)",
        )
        p.add_argument("--add-agent", default=None, metavar="AGENT", help="add a row for this registered agent (plugins too)")
        p.add_argument("--agent-kwargs", nargs="*", default=[], metavar="K=V", help="config of the --add-agent agent")
        p.set_defaults(func=func)
    table.add_argument("--jobs", type=positive_int, default=1, help="parallel runs (one torch thread each)")
    table.add_argument("--executor", choices=["local", "ray"], default="local", help="where runs execute")
    table.add_argument("--address", default=None, help="Ray cluster address (default: a local Ray)")
    table.add_argument("--dry-run", action="store_true",
                       help="say which runs are current, stale or missing and how long computing them would take "
                            "(estimated from the records' run times), then stop")

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

    tune_p = sub.add_parser("tune", help="Optuna tuning of learned agents, one setting at a time, one protocol (resumable)")
    tune_p.add_argument(
        "--agents", "--algo", nargs="+", dest="agents", default=None,
        help="agents to tune, each with the same trials (e.g. upi-trm ppo a2c dqn maskable-ppo; mazes: ppo ppo-trm)",
    )
    tune_p.add_argument("--env", type=env_id_arg, default=None, help="the setting's env id (a Sudoku or a maze)")
    tune_p.add_argument(
        "--env-kwargs", nargs="*", default=[], metavar="K=V",
        help="the setting's regime: masking=... rules=... (Sudoku default constraint, suite; mazes: masking alone, the env's default)",
    )
    tune_p.add_argument(
        "--steps", type=positive_int, default=None,
        help="transitions per seed (default: the budget of the table column with this env and regime, profile full)",
    )
    tune_p.add_argument("--trials", type=positive_int, default=None, help="finished trials per agent (default 30 on 4x4 and mazes, 20 on 9x9)")
    tune_p.add_argument("--seeds-per-trial", type=int_at_least(2), default=2, help="training seeds per trial (default 2)")
    tune_p.add_argument("--seed", type=non_negative_int, default=0, help="first training seed of every trial")
    tune_p.add_argument("--episodes", type=positive_int, default=50, help="validation episodes per seed")
    tune_p.add_argument(
        "--backbone", choices=sorted(BACKBONES), default=None, help="SB3 agents: also tune this backbone's dims (file <agent>+<backbone>.yaml)"
    )
    tune_p.add_argument("--storage", default=None, help="Optuna storage URL (default: SQLite in sweeps/)")
    tune_p.add_argument("--jobs", type=positive_int, default=1, help="worker processes on each study")
    tune_p.add_argument("--no-write", action="store_true", help="do not write sweeps/tuned/*.yaml")
    tune_p.add_argument(
        "--all", action="store_true",
        help="tune every setting the tables' learned rows use (bench/specs/*.yaml), those of --profile full first (resumable)",
    )
    tune_p.add_argument("--plan", action="store_true", help="list the settings --all tunes, in its order, and stop")
    tune_p.add_argument(
        "--profile", choices=["full", "thorough"], default="thorough",
        help="with --all / --plan: the tables of profile full only, or of full then thorough (default)",
    )
    tune_p.add_argument("--report", action="store_true", help="write the markdown summary of every study in the storage instead")
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
