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
            state=state, value=0.0 if state == COMPLETE else None,  # the test reads the per-seed values only
            user_attrs={"per_seed": [{"seed": s, "value": v} for s, v in enumerate(values)]},
            intermediate_values={0: 0.0} if state == PRUNED else None))
    return study.get_trials()


def test_the_statistic_and_p_value_are_the_hand_computed_ones():
    """Trials (1, 2), (3, 4), (5, 9): grand mean 4, SS_trials = 2 (2.5^2 + 0.5^2 + 3^2) = 31,
    SS_seeds = 3 (1 + 1) = 6, SS_total = 40, SS_residual = 3; F = (31 / 2) / (3 / 2) on (2, 2)
    degrees of freedom, whose tail is 1 / (1 + F)."""
    spread = trial_spread(study_of([[1.0, 2.0], [3.0, 4.0], [5.0, 9.0]]))
    assert spread.statistic == pytest.approx(31 / 3)
    assert spread.p_value == pytest.approx(1 / (1 + 31 / 3))
    assert spread.signal is Signal.NOISE and (spread.trials, spread.seeds) == (3, 2)
    assert "no difference between the trials detected" in spread.line() and "3 complete trials x 2 seeds" in spread.line()


def test_the_seed_is_a_block():
    """Seed 1 scores 10 more than seed 0 in every trial: a one-way test would call that 10 the
    noise; as a block it is explained, and trials 1 apart then differ."""
    spread = trial_spread(study_of([[0.0, 10.0], [1.0, 11.1], [2.0, 11.9], [3.0, 13.0]]))
    assert spread.signal is Signal.DIFFER and spread.p_value < 0.01
    from scipy.stats import f_oneway

    assert f_oneway([0.0, 10.0], [1.0, 11.1], [2.0, 11.9], [3.0, 13.0]).pvalue > 0.5


def test_equal_trials_are_noise_and_identical_values_are_flat():
    spread = trial_spread(study_of([[0.0, 10.0], [0.0, 10.0]]))  # only the seeds differ
    assert spread.signal is Signal.NOISE and spread.statistic == 0.0
    flat = trial_spread(study_of([[2.0, 2.0], [2.0, 2.0], [2.0, 2.0]]))
    assert flat.signal is Signal.FLAT and "no signal" in flat.line()


def test_seeds_that_agree_exactly_while_trials_differ_are_a_signal():
    spread = trial_spread(study_of([[1.0, 1.0], [2.0, 2.0]]))
    assert spread.signal is Signal.DIFFER and spread.statistic == math.inf and spread.p_value == 0.0


def test_only_complete_trials_with_every_seed_count():
    """A pruned trial, and a complete one that ran fewer seeds than the study's, are left out; one
    seed per trial (the legacy studies), one trial, or a value that is not a number give no test."""
    trials = study_of([[1.0, 2.0], [3.0, 4.0], [5.0, 9.0], [100.0, -100.0], [50.0]],
                      states=[COMPLETE, COMPLETE, COMPLETE, PRUNED, COMPLETE])
    assert trial_spread(trials).statistic == pytest.approx(31 / 3)
    assert trial_spread(study_of([[1.0], [2.0], [3.0]])) is None
    assert trial_spread(study_of([[1.0, 2.0]])) is None
    assert trial_spread(study_of([[1.0, float("nan")], [2.0, 3.0]])) is None


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
