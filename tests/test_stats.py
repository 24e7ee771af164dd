"""Statistics on tiny hand-computed arrays."""

import math

import numpy as np
import pytest

from scipy import stats as scipy_stats

from bench.stats import iqm, ratio_interval, stratified_bootstrap_ci, success_interval, wilson_interval


def test_iqm_is_the_mean_of_the_middle_half():
    assert iqm(np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 100.0])) == pytest.approx(3.5)
    assert iqm(np.array([[1.0, 2.0], [3.0, 4.0]])) == pytest.approx(2.5)


def test_bootstrap_interval_brackets_the_mean_and_is_seeded():
    scores = np.array([0.2, 0.4, 0.6, 0.8])
    low, high = stratified_bootstrap_ci(scores, seed=1)
    assert 0.2 <= low < 0.5 < high <= 0.8
    assert stratified_bootstrap_ci(scores, seed=1) == (low, high)
    assert stratified_bootstrap_ci(np.array([0.7, 0.7, 0.7])) == pytest.approx((0.7, 0.7))
    assert all(math.isnan(v) for v in stratified_bootstrap_ci(np.zeros((0,))))


def test_bootstrap_is_stratified_by_task():
    """Runs are resampled per task: resampling whole runs (rows) would always give mean 0.5 here,
    resampling each task's column on its own does not."""
    scores = np.array([[0.0, 1.0], [1.0, 0.0]])
    low, high = stratified_bootstrap_ci(scores)
    assert low < 0.5 < high


def test_wilson_interval_by_hand():
    low, high = wilson_interval(18, 50)
    assert low == pytest.approx(0.2406, abs=1e-3) and high == pytest.approx(0.4994, abs=1e-3)


def test_ratio_interval_by_hand():
    point, low, high = ratio_interval(np.array([4.0, 4.0]), np.array([1.0, 1.0]))
    assert (point, low, high) == (4.0, 4.0, 4.0)
    point, low, high = ratio_interval(np.array([2.0, 6.0]), np.array([1.0, 1.0]))
    assert point == 4.0 and low == pytest.approx(2.0) and high == pytest.approx(6.0)


def test_one_seeds_success_interval_is_the_jeffreys_interval():
    """One seed: only its episodes vary, and the interval is the Jeffreys interval of k in n,
    the 2.5% and 97.5% quantiles of Beta(k + 1/2, n - k + 1/2) (to Monte Carlo error)."""
    for k, n in ((41, 50), (1, 50), (49, 50), (3, 150)):
        low, high = success_interval(np.array([k / n]), np.array([n]), reps=40_000)
        exact = scipy_stats.beta.ppf([0.025, 0.975], k + 0.5, n - k + 0.5)
        assert low == pytest.approx(exact[0], abs=4e-3) and high == pytest.approx(exact[1], abs=4e-3)
    # at the boundary the interval reaches it (no success seen: the rate may be 0, yet need not be)
    low, high = success_interval(np.array([0.0, 0.0]), np.array([50, 50]), reps=40_000)
    assert low == 0.0 and 0 < high
    assert success_interval(np.array([0.0]), np.array([50]), reps=40_000)[1] == pytest.approx(
        scipy_stats.beta.ppf(0.975, 0.5, 50.5), abs=4e-3)
    low, high = success_interval(np.array([1.0, 1.0]), np.array([50, 50]))
    assert high == 1.0 and low < 1


def test_equal_seeds_keep_their_episodes_noise():
    """Three seeds at the same rate: the seed bootstrap is one point, the interval here is that of
    the mean of three independent Beta draws (variance a b / ((a + b)^2 (a + b + 1)) / 3), about
    1.96 of its standard deviations each side."""
    k, n = 40, 50
    assert stratified_bootstrap_ci(np.array([k / n] * 3)) == pytest.approx((k / n, k / n))
    low, high = success_interval(np.array([k / n] * 3), np.array([n] * 3), reps=40_000)
    a, b = k + 0.5, n - k + 0.5
    sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)) / 3)
    assert high - low == pytest.approx(2 * 1.96 * sd, rel=0.05)
    assert low < k / n < high


def test_the_success_interval_widens_with_the_seeds_spread_and_is_seeded():
    rates, episodes = np.array([0.2, 0.5, 0.8]), np.array([50, 50, 50])
    low, high = success_interval(rates, episodes, seed=3)
    assert stratified_bootstrap_ci(rates) == pytest.approx((0.2, 0.8))  # 3 seeds: the range, each end 1/27 likely
    assert 0.2 < low < 0.3 and 0.7 < high < 0.8  # the episodes' noise smears the ends the seed range puts at 1/27 each
    assert success_interval(rates, episodes, seed=3) == (low, high)
    assert all(math.isnan(v) for v in success_interval(np.zeros(0), np.zeros(0)))
