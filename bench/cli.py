"""The ``bench`` command line."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of every ``bench`` subcommand."""
    parser = argparse.ArgumentParser(prog="bench", description="trm-bench command line")
    parser.add_subparsers(dest="command", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``bench`` console script."""
    args = build_parser().parse_args(argv)
    return 0 if args else 1


if __name__ == "__main__":
    sys.exit(main())
