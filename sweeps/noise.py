"""Whether a study's trials differ by more than their seeds do: did the tuning have a signal?

A trial's value is the mean over its seeds; where every configuration lands near the floor, the
spread between one trial's seeds can be as large as the spread between trials, and the "best"
trial is then the luckiest draw, not a better configuration. The test is a one-way ANOVA
(``scipy.stats.f_oneway``) over the per-seed objective values of the complete trials, one group
per trial: a small p-value says some trials differ beyond seed noise; a large one says the
study's ranking cannot be told from seed noise, so its tuned file is no better known than any of
the configurations it sampled.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    NOISE = "the trials' ranking is within seed noise: the best trial is not known to be better than the others"
    FLAT = "every complete trial scored the same on every seed: no signal"


@dataclass(frozen=True)
class TrialSpread:
    """The ANOVA of a study's complete trials (one group of per-seed values per trial)."""

    signal: Signal
    trials: int
    statistic: float
    p_value: float

    def line(self) -> str:
        """One line for the tuning report."""
        if self.signal is Signal.FLAT:
            return f"- signal: {self.signal.value} ({self.trials} complete trials)"
        return (f"- signal: {self.signal.value} (one-way ANOVA of the per-seed objective over {self.trials} complete trials: "
                f"F = {self.statistic:.2f}, p = {self.p_value:.3g})")


def per_seed_values(trials: Sequence[optuna.trial.FrozenTrial]) -> list[list[float]]:
    """The per-seed objective values of each complete trial that ran every seed of the study (at
    least two)."""
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    groups = [[float(r["value"]) for r in t.user_attrs.get("per_seed") or []] for t in complete]
    seeds = max((len(g) for g in groups), default=0)
    return [g for g in groups if len(g) == seeds] if seeds >= 2 else []


def trial_spread(trials: Sequence[optuna.trial.FrozenTrial]) -> TrialSpread | None:
    """The one-way ANOVA of ``trials``' per-seed values (None: fewer than two complete trials with
    two seeds or more each, as in a study of one seed per trial)."""
    groups = per_seed_values(trials)
    if len(groups) < 2:
        return None
    values = np.concatenate(groups)
    if np.all(values == values[0]):
        return TrialSpread(Signal.FLAT, len(groups), float("nan"), float("nan"))
    within = sum(float(np.sum((np.asarray(g) - np.mean(g)) ** 2)) for g in groups)
    if within == 0.0:  # seeds agree exactly and trials do not: the difference is not noise
        return TrialSpread(Signal.DIFFER, len(groups), float("inf"), 0.0)
    result = stats.f_oneway(*groups)
    statistic, p_value = float(result.statistic), float(result.pvalue)
    return TrialSpread(Signal.DIFFER if p_value < ALPHA else Signal.NOISE, len(groups), statistic, p_value)
