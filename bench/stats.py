"""Statistics as pure functions of arrays (shapes stated in each docstring)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def wilson_interval(successes: float, trials: float, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95% for ``z = 1.96``; pooled counts may be
    fractional).

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


def percentile_interval(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central ``confidence`` percentile interval of bootstrap ``draws``."""
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


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
    return percentile_interval(stats, confidence)


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
    low, high = percentile_interval(ratios, confidence)
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
    low, high = percentile_interval(diffs, confidence)
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
    low, high = percentile_interval(values, confidence)
    return point, float(low), float(high)


def _z(confidence: float) -> float:
    """The two-sided normal quantile of ``confidence`` (1.96 for 95%)."""
    from scipy.stats import norm

    return float(norm.ppf(1 - (1 - confidence) / 2))


def _pooled(rates: np.ndarray, counts: np.ndarray) -> tuple[float, float]:
    """(successes, trials) of seeds' ``rates`` over ``counts`` independent episodes each, pooled
    (fractional successes where a seed's rate repeats episodes beyond its distinct ones)."""
    return float(np.sum(rates * counts)), float(np.sum(counts))


def success_interval(rates: np.ndarray, counts: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """Interval of the mean success rate over seeds: the hull of the Wilson interval of every
    seed's episodes pooled (right when the seeds agree: only the episodes then vary) and the
    stratified bootstrap over seeds (their disagreement; with 3 seeds the seeds' range, which
    covers less than ``confidence`` when the seeds truly differ). A bootstrap over seeds alone
    reads 3 seeds at 41 of 50 each as the point [0.82, 0.82]; drawing each seed's episodes on top
    of it would count their noise twice (the seeds' spread already holds it).

    ``rates``: ``(seeds,)``; ``counts``: the independent episodes behind each rate (the distinct
    puzzles of a greedy evaluation). Returns ``(low, high)``; ``(nan, nan)`` without seeds.
    """
    rates, counts = np.asarray(rates, dtype=float), np.asarray(counts, dtype=float)
    if rates.size == 0:
        return math.nan, math.nan
    pooled_low, pooled_high = wilson_interval(*_pooled(rates, counts), z=_z(confidence))
    seed_low, seed_high = stratified_bootstrap_ci(rates, confidence=confidence)
    return min(pooled_low, seed_low), max(pooled_high, seed_high)


def success_difference_interval(
    x: tuple[np.ndarray, np.ndarray], y: tuple[np.ndarray, np.ndarray], confidence: float = 0.95
) -> tuple[float, float, float]:
    """``mean(x rates) - mean(y rates)`` of two independent groups of seeds, each ``(rates,
    counts)`` as in :func:`success_interval`, and its interval: the hull of Newcombe's hybrid
    score interval of the two pooled proportions (built from their Wilson intervals) and the
    bootstrap over both groups' seeds (:func:`difference_interval`). Returns ``(difference,
    low, high)``; ``nan`` throughout when a group has no seeds."""
    (xr, xc), (yr, yc) = [(np.asarray(r, dtype=float), np.asarray(c, dtype=float)) for r, c in (x, y)]
    if xr.size == 0 or yr.size == 0:
        return math.nan, math.nan, math.nan
    z = _z(confidence)
    (kx, nx), (ky, ny) = _pooled(xr, xc), _pooled(yr, yc)
    px, py = kx / nx, ky / ny
    (lx, ux), (ly, uy) = wilson_interval(kx, nx, z=z), wilson_interval(ky, ny, z=z)
    pooled_low = px - py - math.sqrt((px - lx) ** 2 + (uy - py) ** 2)
    pooled_high = px - py + math.sqrt((ux - px) ** 2 + (py - ly) ** 2)
    difference, seed_low, seed_high = difference_interval(xr, yr, confidence=confidence)
    return difference, min(pooled_low, seed_low), max(pooled_high, seed_high)
