"""Statistics on tiny hand-computed arrays."""

import math

import numpy as np
import pytest

from bench.stats import iqm, ratio_interval, stratified_bootstrap_ci, wilson_interval


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
