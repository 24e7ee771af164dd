"""Optuna tuning for real: SQLite studies, resume, failed trials, provenance, clear errors."""

import optuna
import pytest
import yaml

from agents.registry import make_agent
from sweeps import spaces
from sweeps.hyperparams import load_tuned
from sweeps.tune import TuneError, TuneSpec, open_study, run_worker, tune, tuning_report, write_tuned

ENV = "trm/Sudoku4x4-Easy-v0"


def spec_for(tmp_path, trials, **kw):
    return TuneSpec("ppo", ENV, trials, steps=128, episodes=5, storage=f"sqlite:///{tmp_path / 's.db'}", **kw)


def test_study_runs_resumes_and_writes_tuned_params(tmp_path):
    spec = spec_for(tmp_path, 2)
    study = tune(spec, jobs=2)
    first = {t.number: t.params for t in study.trials}
    assert len(first) >= 2 and all(t.state.name == "COMPLETE" for t in study.trials)
    assert all(len(t.intermediate_values) == 3 for t in study.trials)  # pruner sees 25/50/75%
    again = tune(spec_for(tmp_path, len(first) + 1), jobs=1)
    assert len(again.trials) == len(first) + 1
    assert {t.number: t.params for t in again.trials[: len(first)]} == first  # resumed, not redone
    path = write_tuned(again, spec, root=tmp_path / "tuned")
    data = yaml.safe_load(path.read_text())
    assert data["study"] == spec.study_name and data["n_trials"] == len(first) + 1
    params, source = load_tuned(ENV, "ppo", root=tmp_path / "tuned")
    assert params == again.best_trial.user_attrs["kwargs"] and source == str(path)
    agent = make_agent("ppo", **params)
    agent.learn(ENV, {}, 64, 0)
    assert agent.num_params() > 0
    report = tuning_report([spec])
    assert "best value" in report and spec.study_name in report


def test_invalid_kwargs_fail_the_trial_with_its_reason_and_the_study_goes_on(tmp_path, monkeypatch):
    calls = {"n": 0}

    def flaky(trial):
        calls["n"] += 1
        kwargs = spaces.sample_ppo(trial)
        return kwargs | {"n_stepz": 3} if calls["n"] == 1 else kwargs

    monkeypatch.setitem(spaces.SAMPLERS, "ppo", flaky)
    monkeypatch.setattr("sweeps.tune.SAMPLERS", spaces.SAMPLERS)
    spec = spec_for(tmp_path, 2)
    run_worker(spec)
    study = optuna.load_study(study_name=spec.study_name, storage=spec.storage_url)
    states = [t.state.name for t in study.trials]
    assert states == ["FAIL", "COMPLETE"]  # a failed trial counts as finished: no endless retries
    assert "n_stepz" in study.trials[0].user_attrs["fail_reason"]


def test_a_study_made_with_another_space_or_budget_is_refused(tmp_path):
    spec = spec_for(tmp_path, 1)
    study = open_study(spec)
    study.set_user_attr("space_version", "something-else")
    with pytest.raises(TuneError, match="another search space"):
        open_study(spec)
    other = spec_for(tmp_path / "b", 1)
    (tmp_path / "b").mkdir()
    open_study(other)
    with pytest.raises(TuneError, match="steps=128"):
        open_study(TuneSpec("ppo", ENV, 1, steps=256, episodes=5, storage=other.storage))


def test_unreachable_storage_is_a_clear_error_and_writes_nothing(tmp_path):
    missing = tmp_path / "no" / "such" / "dir" / "s.db"
    with pytest.raises(TuneError, match="cannot open Optuna storage"):
        open_study(TuneSpec("ppo", ENV, 1, 128, storage=f"sqlite:///{missing}"))
    assert not missing.parent.exists()


def test_every_space_yields_kwargs_the_agent_accepts():
    from agents.sb3 import check_kwargs

    for algo, sampler in spaces.SAMPLERS.items():
        trial = optuna.trial.FixedTrial({})
        study = optuna.create_study()
        trial = study.ask()
        check_kwargs(algo, sampler(trial))
