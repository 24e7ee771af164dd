"""Did a tuning study have a signal: the one-way ANOVA of its trials' per-seed values, checked
against values computed by hand, on trials of a real Optuna study and on a real tuning run."""

import math

import optuna
import pytest
import torch

from sweeps.noise import Signal, trial_spread
from sweeps.tune import TuneSpec, counted, run_worker, tuning_report

COMPLETE, PRUNED = optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED


def study_of(groups, states=None):
    """A real in-memory Optuna study whose trial i holds the per-seed values ``groups[i]``."""
    study = optuna.create_study(direction="maximize")
    for i, values in enumerate(groups):
        state = states[i] if states else COMPLETE
        study.add_trial(optuna.trial.create_trial(
            state=state, value=sum(values) / len(values) if state == COMPLETE else None,
            user_attrs={"per_seed": [{"seed": s, "value": v} for s, v in enumerate(values)]},
            intermediate_values={0: 0.0} if state == PRUNED else None))
    return study.get_trials()


def test_the_statistic_and_p_value_are_the_hand_computed_ones():
    """Groups {1, 3} and {5, 7}: between-trial mean square 16 (1 df), within 2 (2 df), F = 8; for
    F(1, 2), F = t^2 with t on 2 df, whose two-sided tail at x is 1 - x / sqrt(2 + x^2)."""
    spread = trial_spread(study_of([[1.0, 3.0], [5.0, 7.0]]))
    assert spread.signal is Signal.NOISE
    assert spread.statistic == pytest.approx(8.0)
    assert spread.p_value == pytest.approx(1 - math.sqrt(8) / math.sqrt(10))
    assert spread.trials == 2


def test_trials_far_apart_beside_their_seed_spread_differ():
    """Means 0.5, 10.5, 20.5 with each trial's seeds 1 apart: F = 200 / 0.5 = 400 on (2, 3) df."""
    spread = trial_spread(study_of([[0.0, 1.0], [10.0, 11.0], [20.0, 21.0]]))
    assert spread.signal is Signal.DIFFER
    assert spread.statistic == pytest.approx(400.0)
    assert spread.p_value < 0.001


def test_equal_means_are_noise_and_identical_values_are_flat():
    assert trial_spread(study_of([[0.0, 10.0], [1.0, 9.0]])).statistic == pytest.approx(0.0)
    assert trial_spread(study_of([[0.0, 10.0], [1.0, 9.0]])).signal is Signal.NOISE
    flat = trial_spread(study_of([[2.0, 2.0], [2.0, 2.0], [2.0, 2.0]]))
    assert flat.signal is Signal.FLAT and "no signal" in flat.line()


def test_seeds_that_agree_exactly_while_trials_differ_are_a_signal():
    spread = trial_spread(study_of([[1.0, 1.0], [2.0, 2.0]]))
    assert spread.signal is Signal.DIFFER and spread.statistic == math.inf and spread.p_value == 0.0


def test_only_complete_trials_with_every_seed_count():
    """A pruned trial, and a complete one that ran fewer seeds than the study's, are left out; one
    seed per trial (the legacy studies) gives no test."""
    trials = study_of([[1.0, 3.0], [5.0, 7.0], [100.0, -100.0], [50.0]], states=[COMPLETE, COMPLETE, PRUNED, COMPLETE])
    assert trial_spread(trials).statistic == pytest.approx(8.0)
    assert trial_spread(study_of([[1.0], [2.0], [3.0]])) is None
    assert trial_spread(study_of([[1.0, 2.0]])) is None


def test_the_report_gives_the_test_of_a_real_tuning_run(tmp_path):
    """A real 3-trial study (2 seeds each): the report's signal line is the test of its counted trials."""
    torch.set_num_threads(1)
    spec = TuneSpec("ppo", "trm/Sudoku4x4-Easy-v0", trials=3, storage=f"sqlite:///{tmp_path / 's.db'}",
                    steps=128, episodes=5, masking="cell", rules="poster")
    run_worker(spec)
    study = optuna.load_study(study_name=spec.study_name, storage=spec.storage_url)
    spread = trial_spread(counted(study, 3))
    complete = [t for t in study.get_trials() if t.state == COMPLETE]
    assert len(complete) >= 2, "the median pruner waits for its startup trials: the first ones complete"
    assert spread.trials == len(complete)
    assert spread.line() in tuning_report(spec.storage_url)
