"""The 95% intervals the pages show, chosen per metric (DESIGN section 6).

A success rate is a share of a seed's episodes, so its interval resamples the seeds and, within
each, its episodes (:func:`bench.stats.success_interval`): a stratified bootstrap over 3 seeds
alone is the seeds' range, which covers less than 95% and reads three seeds at the same rate as
a point. Every other metric (a score, a delta, a count) has only per-seed values in the records:
its interval is the stratified bootstrap over seeds (:func:`bench.stats.stratified_bootstrap_ci`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.cells import metric_values
from bench.stats import difference_interval, stratified_bootstrap_ci, success_difference_interval, success_interval

EPISODE_METRICS = ("success",)
"""Metrics that are a share of a seed's episodes (each episode a success or not)."""

Records = list[dict[str, Any] | None]


def episodes_behind(records: Records, split: str, metric: str) -> np.ndarray | None:
    """Per-seed episode counts behind ``split/metric`` when it is a share of episodes
    (:data:`EPISODE_METRICS`) and every record says how many; else None."""
    return metric_values(records, split, "episodes") if metric in EPISODE_METRICS else None


def interval(records: Records, split: str, metric: str, values: np.ndarray) -> tuple[float, float]:
    """The 95% interval of the mean of ``values`` (per seed of ``split/metric`` in ``records``)."""
    episodes = episodes_behind(records, split, metric)
    return stratified_bootstrap_ci(values) if episodes is None else success_interval(values, episodes)


def difference(after: Records, before: Records, split: str, metric: str, after_values: np.ndarray,
               before_values: np.ndarray) -> tuple[float, float, float]:
    """Mean of ``after_values`` minus mean of ``before_values`` and its 95% interval, the two
    groups of seeds independent."""
    after_episodes, before_episodes = episodes_behind(after, split, metric), episodes_behind(before, split, metric)
    if after_episodes is None or before_episodes is None:
        return difference_interval(after_values, before_values)
    return success_difference_interval((after_values, after_episodes), (before_values, before_episodes))
