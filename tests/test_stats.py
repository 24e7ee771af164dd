"""Statistics on tiny hand-computed arrays."""

import math
from statistics import NormalDist

import numpy as np
import pytest

from bench.stats import iqm, ratio_interval, stratified_bootstrap_ci, success_difference_interval, success_interval, wilson_interval


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


Z95 = NormalDist().inv_cdf(0.975)


def test_the_success_interval_is_the_hull_of_the_pooled_wilson_interval_and_the_seed_bootstrap():
    """Seeds that agree (40 of 50 each): the seed bootstrap is one point, the interval is the
    Wilson interval of 120 of 150; seeds that disagree (0.2, 0.5, 0.8): the seeds' range, wider
    than the pooled Wilson interval of 75 of 150."""
    low, high = success_interval(np.array([0.8] * 3), np.array([50] * 3))
    assert (low, high) == pytest.approx(wilson_interval(120, 150, z=Z95))
    assert stratified_bootstrap_ci(np.array([0.8] * 3)) == pytest.approx((0.8, 0.8))
    rates = np.array([0.2, 0.5, 0.8])
    assert success_interval(rates, np.array([50] * 3)) == pytest.approx((0.2, 0.8))
    assert wilson_interval(75, 150, z=Z95)[0] > 0.2
    # no success in 150 episodes: from 0 to the Wilson bound; fractional counts pool too
    assert success_interval(np.zeros(3), np.array([50] * 3)) == pytest.approx((0.0, wilson_interval(0, 150, z=Z95)[1]))
    assert success_interval(np.array([1.0, 0.0]), np.array([1, 1]))[1] == pytest.approx(1.0)
    assert all(math.isnan(v) for v in success_interval(np.zeros(0), np.zeros(0)))


def test_the_success_difference_interval_by_hand():
    """Newcombe's hybrid score interval of 40/50 - 20/50 from the two Wilson intervals, hulled
    with the seed bootstrap (one seed a side: the point difference)."""
    (lx, ux), (ly, uy) = wilson_interval(40, 50, z=Z95), wilson_interval(20, 50, z=Z95)
    diff, low, high = success_difference_interval((np.array([0.8]), np.array([50])), (np.array([0.4]), np.array([50])))
    assert diff == pytest.approx(0.4)
    assert low == pytest.approx(0.4 - math.sqrt((0.8 - lx) ** 2 + (uy - 0.4) ** 2))
    assert high == pytest.approx(0.4 + math.sqrt((ux - 0.8) ** 2 + (0.4 - ly) ** 2))
    assert all(math.isnan(v) for v in success_difference_interval((np.zeros(0), np.zeros(0)), (np.ones(1), np.ones(1))))
