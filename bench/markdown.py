"""Markdown tables: the one helper every page and summary uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def table(headers: Sequence[object], rows: Iterable[Sequence[object]]) -> list[str]:
    """Lines of a markdown table with ``headers`` and one line per row (cells as ``str``)."""
    lines = ["| " + " | ".join(map(str, headers)) + " |", "|" + "---|" * len(headers)]
    return lines + ["| " + " | ".join(map(str, row)) + " |" for row in rows]
