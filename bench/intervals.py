"""The 95% intervals the pages show, chosen per metric (DESIGN section 6).

A success rate is a share of a seed's episodes: its interval is the hull of the Wilson interval
of every seed's episodes pooled and the stratified bootstrap over seeds
(:func:`bench.stats.success_interval`), counting only the episodes that are independent: a greedy
evaluation replays the same puzzle the same way, so it counts each distinct puzzle once (one
layout: one episode per seed). Every other metric (a score, a delta) has only per-seed values in
the records: its interval is the stratified bootstrap over seeds, which with 3 seeds is the
seeds' range and covers less than 95%.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import numpy as np

from bench.cells import metric_values
from bench.stats import difference_interval, stratified_bootstrap_ci, success_difference_interval, success_interval
from bench.verdicts import Comparison, compare_gap

EPISODE_METRICS = ("success",)
"""Metrics that are a share of a seed's episodes (each episode a success or not)."""
SAMPLED = "-sampled"
"""Suffix of a split evaluated with sampled actions (independent episodes even on one puzzle)."""

Records = list[dict[str, Any] | None]


@lru_cache(maxsize=None)
def _distinct(env_id: str, split: str, env_kwargs: str) -> int:
    """Puzzles or layouts the env (``env_kwargs`` as JSON) draws from in ``split``: the
    runner's :func:`bench.runner.split_size`, once per env and split."""
    from bench.runner import split_size

    return split_size(env_id, json.loads(env_kwargs), split)


def independent_episodes(records: Records | None, split: str, metric: str) -> np.ndarray | None:
    """Per seed, the independent episodes behind ``split/metric`` when it is a share of episodes
    (:data:`EPISODE_METRICS`) and every record says how many it played: all of them when sampled,
    else at most the split's distinct puzzles (records naming their env); None otherwise."""
    episodes = metric_values(records, split, "episodes") if metric in EPISODE_METRICS else None
    if episodes is None or split.endswith(SAMPLED):
        return episodes
    caps = []
    for record, played in zip(records, episodes, strict=True):
        spec = record.get("spec") or {}
        env_id, kwargs = spec.get("env_id"), spec.get("env_kwargs") or {}
        caps.append(played if env_id is None else min(played, _distinct(env_id, split, json.dumps(kwargs, sort_keys=True))))
    return np.array(caps, dtype=float)


def interval(records: Records, split: str, metric: str, values: np.ndarray) -> tuple[float, float]:
    """The 95% interval of the mean of ``values`` (per seed of ``split/metric`` in ``records``)."""
    counts = independent_episodes(records, split, metric)
    return stratified_bootstrap_ci(values) if counts is None else success_interval(values, counts)


def difference(after: Records | None, before: Records | None, split: str, metric: str, after_values: np.ndarray,
               before_values: np.ndarray) -> tuple[float, float, float]:
    """Mean of ``after_values`` minus mean of ``before_values`` and its 95% interval, the two
    groups of seeds independent."""
    after_counts, before_counts = independent_episodes(after, split, metric), independent_episodes(before, split, metric)
    if after_counts is None or before_counts is None:
        return difference_interval(after_values, before_values)
    return success_difference_interval((after_values, after_counts), (before_values, before_counts))


def against(row: Records, reference: Records, split: str, metric: str, values: np.ndarray,
            reference_values: np.ndarray) -> Comparison:
    """Where ``row`` stands against a reference measured under the same rules: the interval of
    their difference (:func:`difference`), both sides' noise counted."""
    _, low, high = difference(row, reference, split, metric, values, reference_values)
    return compare_gap(low, high, min(len(values), len(reference_values)))
