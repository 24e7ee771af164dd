"""Whether a study's trials differ by more than their seeds do: did the tuning have a signal?

A trial's value is the mean over its seeds; where every configuration lands near the floor, the
spread between one trial's seeds can be as large as the spread between trials, and the "best"
trial is then the luckiest draw, not a better configuration. Every trial of a study runs the same
seeds, and a seed fixes its validation puzzles, so the seed is a block: the test is a two-way
ANOVA without interaction (trial + seed) over the per-seed objective values of the complete
trials, the trials' F statistic against the residual. A small p-value says some trials differ
beyond seed noise; a large one only that no difference was detected: the test has little power
(a few seeds, pruned trials left out, a bounded objective with ties), so the tuned file is then
not known to beat the other configurations it sampled.
"""

from __future__ import annotations

from collections.abc import Sequence
import math
from dataclasses import dataclass
from enum import Enum

import numpy as np
import optuna
from scipy import stats

ALPHA = 0.05
"""Significance level of the test."""


class Signal(Enum):
    """What the test says of a study's trials."""

    DIFFER = "the trials differ beyond seed noise"
    NOISE = "no difference between the trials detected beyond seed noise: the best trial is not known to beat the others"
    FLAT = "every complete trial scored the same on every seed: no signal"


@dataclass(frozen=True)
class TrialSpread:
    """The two-way ANOVA of a study's complete trials (trials x seeds)."""

    signal: Signal
    trials: int
    seeds: int
    statistic: float
    p_value: float

    def line(self) -> str:
        """One line for the tuning report."""
        if self.signal is Signal.FLAT:
            return f"- signal: {self.signal.value} ({self.trials} complete trials)"
        return (f"- signal: {self.signal.value} (two-way ANOVA, trial + seed, of the per-seed objective over "
                f"{self.trials} complete trials x {self.seeds} seeds, pruned trials left out: "
                f"F = {self.statistic:.2f}, p = {self.p_value:.3g})")


def per_seed_values(trials: Sequence[optuna.trial.FrozenTrial]) -> np.ndarray:
    """``(trials, seeds)`` per-seed objective values of the complete trials that ran every seed
    of the study (at least two), in the seeds' order; empty without such trials."""
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    groups = [sorted((r["seed"], float(r["value"])) for r in t.user_attrs.get("per_seed") or []) for t in complete]
    seeds = max((len(g) for g in groups), default=0)
    rows = [[v for _, v in g] for g in groups if len(g) == seeds] if seeds >= 2 else []
    return np.array(rows, dtype=float).reshape(len(rows), seeds if rows else 0)


def two_way_anova(values: np.ndarray) -> tuple[float, float]:
    """F statistic and p-value of the rows (trials) of ``values`` ``(rows, columns)``, the
    columns (seeds) a block, no interaction: F = (SS_rows / (r - 1)) / (SS_residual / ((r - 1)(c - 1)))."""
    rows, columns = values.shape
    grand = values.mean()
    ss_rows = columns * float(np.sum((values.mean(axis=1) - grand) ** 2))
    ss_columns = rows * float(np.sum((values.mean(axis=0) - grand) ** 2))
    ss_residual = float(np.sum((values - grand) ** 2)) - ss_rows - ss_columns
    df_rows, df_residual = rows - 1, (rows - 1) * (columns - 1)
    if ss_residual <= 1e-12 * max(float(np.sum((values - grand) ** 2)), 1e-300):
        return (math.inf, 0.0) if ss_rows > 0 else (math.nan, math.nan)
    statistic = (ss_rows / df_rows) / (ss_residual / df_residual)
    return statistic, float(stats.f.sf(statistic, df_rows, df_residual))


def trial_spread(trials: Sequence[optuna.trial.FrozenTrial]) -> TrialSpread | None:
    """The two-way ANOVA of ``trials``' per-seed values (None: fewer than two complete trials
    with two seeds or more each, as in a study of one seed per trial, or a value that is not a
    number)."""
    values = per_seed_values(trials)
    if values.shape[0] < 2 or not np.isfinite(values).all():
        return None
    rows, seeds = values.shape
    if np.all(values == values.flat[0]):
        return TrialSpread(Signal.FLAT, rows, seeds, math.nan, math.nan)
    statistic, p_value = two_way_anova(values)
    if math.isnan(statistic):  # the trials agree exactly; only the seeds differ
        return TrialSpread(Signal.NOISE, rows, seeds, 0.0, 1.0)
    return TrialSpread(Signal.DIFFER if p_value < ALPHA else Signal.NOISE, rows, seeds, statistic, p_value)
