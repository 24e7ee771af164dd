"""Two-group statistics by hand and against scipy: the difference of means with its bootstrap
interval, and rliable's probability of improvement."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from bench.stats import difference_interval, probability_of_improvement, probability_of_improvement_interval


def test_probability_of_improvement_by_hand():
    # pairs of x=[1,2,3] and y=[2,2,0]: x=1 wins 1 of 3, x=2 ties twice and wins once (2), x=3 wins 3
    assert probability_of_improvement(np.array([1, 2, 3]), np.array([2, 2, 0])) == pytest.approx(6 / 9)
    assert probability_of_improvement(np.zeros(3), np.zeros(3)) == 0.5  # all ties
    assert probability_of_improvement(np.ones(3), np.zeros(4)) == 1.0
    # two tasks average: task 1 as above (6/9), task 2 x always below (0)
    x = np.array([[1, 0], [2, 0], [3, 0]])
    y = np.array([[2, 1], [2, 1], [0, 1]])
    assert probability_of_improvement(x, y) == pytest.approx((6 / 9 + 0) / 2)


def test_probability_of_improvement_is_the_mann_whitney_statistic():
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 5, 7).astype(float), rng.integers(0, 5, 9).astype(float)
    u = scipy_stats.mannwhitneyu(x, y).statistic
    assert probability_of_improvement(x, y) == pytest.approx(u / (len(x) * len(y)))


def test_probability_interval_contains_the_point_and_is_seeded():
    x, y = np.array([0.3, 0.5, 0.4, 0.6]), np.array([0.2, 0.1, 0.4])
    point, low, high = probability_of_improvement_interval(x, y)
    assert low <= point <= high and 0.0 <= low and high <= 1.0
    assert probability_of_improvement_interval(x, y) == (point, low, high)
    assert probability_of_improvement_interval(np.ones(3), np.zeros(3)) == (1.0, 1.0, 1.0)


def test_tasks_must_match():
    with pytest.raises(ValueError, match="same tasks"):
        probability_of_improvement(np.zeros((3, 2)), np.zeros((3, 1)))


def test_difference_by_hand_and_against_scipy():
    assert difference_interval(np.array([1.0, 1.0]), np.array([0.0, 0.0, 0.0])) == (1.0, 1.0, 1.0)
    assert np.isnan(difference_interval(np.array([]), np.array([1.0]))[0])
    rng = np.random.default_rng(0)
    x, y = rng.normal(1.0, 1.0, 40), rng.normal(0.0, 2.0, 30)
    diff, low, high = difference_interval(x, y, reps=20000)
    assert diff == pytest.approx(x.mean() - y.mean())
    reference = scipy_stats.bootstrap(
        (x, y), lambda a, b, axis: a.mean(axis=axis) - b.mean(axis=axis), n_resamples=20000, method="percentile",
        random_state=1, vectorized=True,
    ).confidence_interval
    assert low == pytest.approx(reference.low, abs=0.05) and high == pytest.approx(reference.high, abs=0.05)


def test_the_stratified_interval_of_one_task_agrees_with_scipy():
    from bench.stats import iqm, stratified_bootstrap_ci

    x = np.random.default_rng(3).normal(0.4, 0.2, 30)
    mean_ci = scipy_stats.bootstrap((x,), np.mean, n_resamples=20000, method="percentile", random_state=2).confidence_interval
    assert stratified_bootstrap_ci(x, reps=20000) == pytest.approx((mean_ci.low, mean_ci.high), abs=0.02)

    def trimmed(a, axis):
        return scipy_stats.trim_mean(a, 0.25, axis=axis)

    iqm_ci = scipy_stats.bootstrap((x,), trimmed, n_resamples=4000, method="percentile", random_state=2).confidence_interval
    assert stratified_bootstrap_ci(x, iqm, reps=4000) == pytest.approx((iqm_ci.low, iqm_ci.high), abs=0.02)
