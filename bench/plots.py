"""Figures of the report pages (seaborn): learning curves with a 95% band over seeds, and the
depth-drift probe against the unroll depth. Each function draws one column of a table from its
run records and returns False when there is nothing to draw."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

Cells = dict[tuple[str, str], list[dict[str, Any] | None]]


def _save(fig: plt.Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def learning_curves(rows: list[tuple[str, list[dict[str, Any] | None]]], metric: str, title: str, path: Path) -> bool:
    """Test-split ``metric`` against transitions, one line per row (mean, 95% bootstrap band
    over seeds); rows without a curve (references: nothing to learn) are dashed levels."""
    points, levels = [], []
    for label, records in rows:
        found = [r for r in records if r is not None]
        if found and all(len(r.get("curve") or []) <= 1 for r in found):
            levels.append((label, sum(r["metrics"]["test"][metric] for r in found) / len(found)))
            continue
        for record in found:
            for point in record.get("curve") or []:
                points.append({"row": label, "transitions": point["steps"], metric: point[metric]})
    if not points and not levels:
        return False
    _lines_and_levels(points, metric, levels, title, path, log_x=False)
    return True


def _lines_and_levels(
    points: list[dict[str, Any]], metric: str, levels: list[tuple[str, float]], title: str, path: Path, log_x: bool
) -> None:
    """``metric`` against ``transitions``, one line per ``row`` of ``points`` (mean and 95%
    bootstrap band over seeds), ``levels`` as dashed horizontal lines; saved to ``path``."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    if points:
        sns.lineplot(pd.DataFrame(points), x="transitions", y=metric, hue="row", errorbar=("ci", 95), n_boot=500, seed=0, marker="o", ax=ax)
    for (label, level), colour in zip(levels, sns.color_palette("dark", len(levels))):
        ax.axhline(level, linestyle="--", linewidth=1, color=colour, label=label)
    if log_x:
        ax.set_xscale("log")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    _save(fig, path)


def budget_curves(points: list[dict[str, Any]], metric: str, levels: list[tuple[str, float]], title: str, path: Path) -> bool:
    """``metric`` against the training budget (transitions, log scale), one line per row over
    ``points`` (``{"row", "transitions", metric}``, one per seed and budget; mean and 95% bootstrap
    band over seeds), with ``levels`` as dashed horizontal lines (the level to reach)."""
    if not points:
        return False
    _lines_and_levels(points, metric, levels, title, path, log_x=True)
    return True


def drift_curves(rows: list[tuple[str, list[dict[str, Any] | None]]], title: str, path: Path) -> bool:
    """dV and dpi of the depth-drift probe against the depth (log scale), one line per row."""
    points = []
    for label, records in rows:
        for record in records:
            for point in (record or {}).get("drift") or []:
                points.append({"row": label, "depth": point["depth"], "dV": point["delta_v"], "dpi": point["delta_pi"]})
    if not points:
        return False
    frame = pd.DataFrame(points)
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
    for ax, name in zip(axes, ("dV", "dpi")):
        sns.lineplot(frame, x="depth", y=name, hue="row", errorbar=("ci", 95), n_boot=500, seed=0, marker="o", ax=ax)
        ax.set_yscale("log")
        ax.set_xscale("log", base=2)
        if name == "dpi":
            ax.legend(fontsize=7)
        else:
            ax.get_legend().remove()
    fig.suptitle(title, fontsize=9)
    _save(fig, path)
    return True


def accuracy_bars(
    rows: list[tuple[str, list[dict[str, Any] | None]]], metrics: list[str], trivial: dict[str, str], title: str, path: Path
) -> bool:
    """Test-split accuracies of each row beside those of the trivial predictors stored in its
    records (``<key>_<metric>``, shown under their names ``trivial[key]``), one panel per
    metric, bars with a 95% band over seeds."""
    points = []
    for label, records in rows:
        for record in records:
            if record is None:
                continue
            test = record["metrics"]["test"]
            for metric in metrics:
                points.append({"row": label, "predictor": "model", "metric": metric, "value": test[metric]})
                for key, name in trivial.items():
                    points.append({"row": label, "predictor": name, "metric": metric, "value": test[f"{key}_{metric}"]})
    if not points:
        return False
    frame = pd.DataFrame(points)
    grid = sns.catplot(
        frame, kind="bar", x="row", y="value", hue="predictor", col="metric", errorbar=("ci", 95), n_boot=500, seed=0,
        height=3.2, aspect=1.3,
    )
    grid.set_xticklabels(rotation=20, fontsize=7)
    grid.figure.suptitle(title, fontsize=9, y=1.03)
    _save(grid.figure, path)
    return True
