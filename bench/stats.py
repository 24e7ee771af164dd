"""Statistics as pure functions of arrays (shapes stated in each docstring)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95% for ``z = 1.96``).

    Returns ``(low, high)``; ``(0.0, 1.0)`` when ``trials == 0``.
    """
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean of ``(runs,)`` or ``(runs, tasks)`` scores: the mean of the middle 50%
    of all values (rliable's IQM: ``scipy.stats.trim_mean(..., 0.25)`` over the flattened array)."""
    from scipy.stats import trim_mean

    return float(trim_mean(np.asarray(scores, dtype=float).ravel(), proportiontocut=0.25))


def mean(scores: np.ndarray) -> float:
    """Mean of ``(runs,)`` or ``(runs, tasks)`` scores over every value."""
    return float(np.mean(np.asarray(scores, dtype=float)))


def stratified_bootstrap_ci(
    scores: np.ndarray,
    statistic: Callable[[np.ndarray], float] = mean,
    confidence: float = 0.95,
    reps: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over ``(runs, tasks)`` scores (``(runs,)``
    is one task), resampling the runs of each task independently (stratified by task), as
    rliable's ``get_interval_estimates`` does. Seeded: the same input gives the same interval.

    Returns ``(low, high)``; ``(nan, nan)`` without runs.
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 1:
        scores = scores[:, None]
    runs, tasks = scores.shape
    if runs == 0:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, runs, size=(reps, runs, tasks))
    resampled = np.take_along_axis(scores[None].repeat(reps, axis=0), picks, axis=1)
    if statistic is mean:  # the same values, one vectorised call instead of ``reps``
        stats = resampled.reshape(reps, -1).mean(axis=1)
    else:
        stats = np.array([statistic(sample) for sample in resampled])
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(stats, [tail, 100 - tail])
    return float(low), float(high)


def ratio_interval(
    numerator: np.ndarray, denominator: np.ndarray, confidence: float = 0.95, reps: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """``mean(numerator) / mean(denominator)`` of two independent groups of runs (``(runs,)``
    each) and its percentile bootstrap interval, each group resampled on its own.

    Returns ``(ratio, low, high)``; ``inf`` where a denominator mean is 0.
    """
    numerator, denominator = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    rng = np.random.default_rng(seed)
    top = numerator[rng.integers(0, len(numerator), (reps, len(numerator)))].mean(axis=1)
    bottom = denominator[rng.integers(0, len(denominator), (reps, len(denominator)))].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1.0), np.inf)
        point = numerator.mean() / denominator.mean() if denominator.mean() > 0 else math.inf
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(ratios, [tail, 100 - tail])
    return float(point), float(low), float(high)


def _two_group_resamples(x: np.ndarray, y: np.ndarray, reps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``reps`` bootstrap resamples of two independent ``(runs, tasks)`` groups, each group's runs
    resampled within each task (stratified), shapes ``(reps, runs_x, tasks)`` and ``(reps, runs_y, tasks)``."""
    rng = np.random.default_rng(seed)
    out = []
    for group in (x, y):
        picks = rng.integers(0, group.shape[0], size=(reps, *group.shape))
        out.append(np.take_along_axis(group[None].repeat(reps, axis=0), picks, axis=1))
    return out[0], out[1]


def _as_runs_by_tasks(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    return scores[:, None] if scores.ndim == 1 else scores


def difference_interval(
    x: np.ndarray, y: np.ndarray, confidence: float = 0.95, reps: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """``mean(x) - mean(y)`` of two independent groups of runs (``(runs,)`` or ``(runs, tasks)``)
    and its percentile bootstrap interval, each group resampled on its own (stratified by task).

    Returns ``(difference, low, high)``; ``nan`` throughout when a group has no runs.
    """
    x, y = _as_runs_by_tasks(x), _as_runs_by_tasks(y)
    if x.shape[0] == 0 or y.shape[0] == 0:
        return math.nan, math.nan, math.nan
    rx, ry = _two_group_resamples(x, y, reps, seed)
    diffs = rx.reshape(reps, -1).mean(axis=1) - ry.reshape(reps, -1).mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return float(x.mean() - y.mean()), float(low), float(high)


def probability_of_improvement(x: np.ndarray, y: np.ndarray) -> float:
    """P(X > Y) as rliable defines it: per task, the share of run pairs (one of ``x``, one of
    ``y``) where x's score is higher, ties counting one half (the Mann-Whitney U statistic over
    ``runs_x * runs_y``); averaged over tasks. ``x`` and ``y``: ``(runs,)`` or ``(runs, tasks)``."""
    x, y = _as_runs_by_tasks(x), _as_runs_by_tasks(y)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must score the same tasks, got {x.shape[1]} and {y.shape[1]}")
    return float(_pairwise_improvement(x[None], y[None])[0])


def _pairwise_improvement(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """:func:`probability_of_improvement` of each of ``reps`` resamples ``(reps, runs, tasks)``."""
    above = (x[:, :, None, :] > y[:, None, :, :]).mean(axis=(1, 2))
    equal = (x[:, :, None, :] == y[:, None, :, :]).mean(axis=(1, 2))
    return (above + 0.5 * equal).mean(axis=1)


def probability_of_improvement_interval(
    x: np.ndarray, y: np.ndarray, confidence: float = 0.95, reps: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """:func:`probability_of_improvement` and its percentile interval over stratified bootstrap
    resamples of both groups (each group's runs resampled within each task, as rliable does).

    Returns ``(probability, low, high)``.
    """
    x, y = _as_runs_by_tasks(x), _as_runs_by_tasks(y)
    point = probability_of_improvement(x, y)
    rx, ry = _two_group_resamples(x, y, reps, seed)
    values = _pairwise_improvement(rx, ry)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return point, float(low), float(high)


def _success_means(rates: np.ndarray, episodes: np.ndarray, rng: np.random.Generator, reps: int) -> np.ndarray:
    """``reps`` draws of the mean success rate over seeds: the seeds resampled with replacement,
    each resampled seed's rate drawn from the Jeffreys posterior of its successes (``(reps,)``)."""
    successes = np.round(rates * episodes)
    picks = rng.integers(0, rates.size, size=(reps, rates.size))
    return rng.beta(successes[picks] + 0.5, episodes[picks] - successes[picks] + 0.5).mean(axis=1)


def success_interval(
    rates: np.ndarray, episodes: np.ndarray, confidence: float = 0.95, reps: int = 4000, seed: int = 0
) -> tuple[float, float]:
    """Percentile interval of the mean success rate over seeds that counts both sources of noise:
    the seeds (resampled with replacement, as :func:`stratified_bootstrap_ci` does) and each
    seed's finite episodes (a resampled seed's rate is drawn from the Jeffreys posterior
    ``Beta(k + 1/2, n - k + 1/2)`` of its ``k`` successes in ``n`` episodes). A seed bootstrap
    alone reads 3 seeds at 41/50 each as ``[0.82, 0.82]``; one seed's interval here is the
    Jeffreys interval of a binomial proportion, never empty at 0 or n successes, and reaching 0
    (1) when no seed solved any (every) episode.

    ``rates`` and ``episodes``: ``(seeds,)``. Returns ``(low, high)``; ``(nan, nan)`` without seeds.
    """
    rates, episodes = np.asarray(rates, dtype=float), np.asarray(episodes, dtype=float)
    if rates.size == 0:
        return math.nan, math.nan
    means = _success_means(rates, episodes, np.random.default_rng(seed), reps)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    # no success (every success) seen: the rate may be 0 (1) itself, as the Jeffreys interval's
    # usual modification at the boundary says (Brown, Cai and DasGupta 2001)
    return (0.0 if not rates.any() else float(low)), (1.0 if (rates == 1).all() else float(high))


def success_difference_interval(
    x: tuple[np.ndarray, np.ndarray], y: tuple[np.ndarray, np.ndarray], confidence: float = 0.95, reps: int = 4000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """``mean(x rates) - mean(y rates)`` of two independent groups of seeds, each given as
    ``(rates, episodes)``, and its percentile interval, each group drawn as in
    :func:`success_interval`. Returns ``(difference, low, high)``; ``nan`` throughout when a group
    has no seeds."""
    (xr, xe), (yr, ye) = [(np.asarray(r, dtype=float), np.asarray(e, dtype=float)) for r, e in (x, y)]
    if xr.size == 0 or yr.size == 0:
        return math.nan, math.nan, math.nan
    rng = np.random.default_rng(seed)
    diffs = _success_means(xr, xe, rng, reps) - _success_means(yr, ye, rng, reps)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return float(xr.mean() - yr.mean()), float(low), float(high)
