"""Tuning for real: Optuna studies at tiny budgets on the real envs, two seeds per trial, resume,
the objective, regime-keyed tuned files and the runner's choice of them, clear errors."""

import re
import shutil

import numpy as np
import optuna
import pytest
import torch
import yaml

from agents.registry import make_agent
from bench.cli import main
from bench.executors import duration
from bench.runner import RunSpec, evaluate, tuned_params
from envs import facts
from sweeps import spaces
from sweeps.hyperparams import NO_FILE, TUNED_DIR, Regime, load_tuned, regime_of
from sweeps.plan import Setting, progress, study_facts, time_left_line
from sweeps.tune import (
    CLIPPED_OBJECTIVE,
    OBJECTIVE,
    best_trial,
    TuneError,
    MAZE_FIXED,
    TuneSpec,
    counts,
    normalised_score,
    open_study,
    random_floor,
    run_worker,
    seed_value,
    table_budgets,
    trial_value,
    tune,
    trial_hours,
    tuning_report,
    write_tuned,
)

ENV = "trm/Sudoku4x4-Easy-v0"
POSTER = {"masking": "cell", "rules": "poster"}
MAZE = "trm/MazeOpen5x5-v0"


def spec_for(storage, trials, agent="ppo", **kw):
    return TuneSpec(agent, ENV, trials=trials, storage=f"sqlite:///{storage}", **({"steps": 128, "episodes": 5} | POSTER | kw))


@pytest.fixture(scope="module")
def study2(tmp_path_factory):
    """A finished 2-trial PPO study under the poster's regime (cell masking, poster rules)."""
    torch.set_num_threads(1)
    db = tmp_path_factory.mktemp("study") / "s.db"
    run_worker(spec_for(db, 2))
    return db


def test_one_more_solved_episode_outranks_any_score_gain():
    floor, ceiling, episodes = 10.0, 16.0, 50
    for solved in range(0, 2 * episodes):  # episodes solved over both seeds
        worse = [(solved // 2 / episodes, ceiling + 5), ((solved - solved // 2) / episodes, ceiling)]  # best possible scores
        better = [((solved // 2 + 1) / episodes, floor - 5), ((solved - solved // 2) / episodes, floor)]  # one more solved, worst scores
        assert trial_value(better, floor, ceiling, episodes) > trial_value(worse, floor, ceiling, episodes)
        far_below = [((solved // 2 + 1) / episodes, -1e9), ((solved - solved // 2) / episodes, -1e9)]
        assert trial_value(far_below, floor, ceiling, episodes) > trial_value(worse, floor, ceiling, episodes)
    # where nothing is solved the score still ranks the trials, below the floor too
    assert trial_value([(0, 14.0), (0, 14.0)], floor, ceiling, episodes) > trial_value([(0, 12.0), (0, 12.0)], floor, ceiling, episodes) > 0
    assert 0 > trial_value([(0, 9.0), (0, 9.0)], floor, ceiling, episodes) > trial_value([(0, 5.0), (0, 5.0)], floor, ceiling, episodes)


def test_score_is_normalised_between_floor_and_ceiling():
    assert normalised_score(13.0, 10.0, 16.0) == pytest.approx(0.5)
    assert normalised_score(17.0, 10.0, 16.0) == 1.0
    # below the floor it keeps ranking: x / (1 - x), increasing and above -1
    assert normalised_score(7.0, 10.0, 16.0) == pytest.approx(-0.5 / 1.5)
    assert normalised_score(-1e9, 10.0, 16.0) > -1.0
    assert normalised_score(4.0, 10.0, 16.0) < normalised_score(7.0, 10.0, 16.0) < normalised_score(10.0, 10.0, 16.0) == 0.0
    assert normalised_score(16.0, 16.0, 16.0) == 0.0  # a floor at the ceiling leaves success alone
    assert seed_value(0.1, 13.0, 10.0, 16.0, seeds=2, episodes=50) == pytest.approx(0.1 + 0.5 / 200)
    assert trial_value([(0.1, 13.0), (0.0, 16.0)], 10.0, 16.0, 50) == pytest.approx((0.1 + 0.5 / 200 + 1 / 200) / 2)


def test_floor_is_random_legal_play_under_the_studys_regime(study2):
    study = optuna.load_study(study_name=spec_for(study2, 2).study_name, storage=f"sqlite:///{study2}")
    assert study.user_attrs["floor"] == random_floor(ENV, POSTER)
    assert study.user_attrs["ceiling"] == facts(ENV).max_score == 16
    assert study.user_attrs["objective"] == OBJECTIVE
    suite = random_floor(ENV, {"masking": "constraint", "rules": "suite"})
    assert study.user_attrs["floor"] < suite < 16  # random legal play fills 4x4 Easy under constraint masking


def test_each_trial_trains_one_agent_per_seed_and_reports_the_seed_mean(study2):
    torch.set_num_threads(1)
    spec = spec_for(study2, 2)
    study = optuna.load_study(study_name=spec.study_name, storage=spec.storage_url)
    floor, ceiling = study.user_attrs["floor"], study.user_attrs["ceiling"]
    trial = study.trials[0]
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE"]
    per_seed = trial.user_attrs["per_seed"]
    assert [r["seed"] for r in per_seed] == [0, 1] and all(r["steps_done"] >= 128 for r in per_seed)
    # 3 evaluations per seed, at the trial's cumulative transitions: the pruner sees both seeds
    assert sorted(trial.intermediate_values) == [32, 64, 96, 160, 192, 224]
    assert trial.value == pytest.approx(trial_value([(r["success"], r["score"]) for r in per_seed], floor, ceiling, 5))
    for record in per_seed:  # each seed's result is that of an agent trained with that seed
        agent = make_agent("ppo", **trial.user_attrs["kwargs"])
        agent.learn(ENV, POSTER, 128, record["seed"])
        result = evaluate(agent, RunSpec("ppo", ENV, 128, record["seed"], POSTER, episodes=5), "val")
        assert (result.success, result.mean_score) == (record["success"], record["score"])


def test_a_study_resumes_without_rerunning_finished_trials(study2, tmp_path):
    db = tmp_path / "s.db"
    shutil.copy(study2, db)
    spec = spec_for(db, 3)
    study = optuna.load_study(study_name=spec.study_name, storage=spec.storage_url)
    before = [(t.number, t.params, t.value, t.datetime_complete) for t in study.trials]
    study.ask()  # a trial cut short by an interruption: not finished, replaced
    assert counts(study) == {"complete": 2, "pruned": 0, "failed": 0, "unfinished": 1, "finished": 2, "beyond": 0}
    run_worker(spec)
    trials = study.get_trials()
    assert [(t.number, t.params, t.value, t.datetime_complete) for t in trials[:2]] == before
    assert [t.state.name for t in trials[2:]] == ["RUNNING", "COMPLETE"] and counts(study)["finished"] == 3
    assert len(tune(spec).trials) == 4  # a finished study starts nothing


def test_every_agent_of_a_setting_rests_on_the_same_number_of_trials():
    """Parallel workers may finish a trial beyond the count: the result uses the first ones only."""
    from optuna.trial import TrialState, create_trial

    study = optuna.create_study(direction="maximize")
    dist = {"x": optuna.distributions.FloatDistribution(0, 1)}
    for value in (0.1, 0.2, 0.9):
        study.add_trial(create_trial(params={"x": value}, distributions=dist, value=value))
    study.add_trial(create_trial(state=TrialState.FAIL, user_attrs={"fail_reason": "ValueError: bad"}))
    study.add_trial(create_trial(state=TrialState.FAIL))  # cut short by an interruption
    assert best_trial(study, 2).value == 0.2 and best_trial(study).value == 0.9
    assert counts(study, 2) == {"complete": 2, "pruned": 0, "failed": 0, "unfinished": 1, "finished": 2, "beyond": 2}
    assert counts(study) == {"complete": 3, "pruned": 0, "failed": 1, "unfinished": 1, "finished": 4, "beyond": 0}


def test_a_failed_trial_keeps_its_reason_and_counts_as_finished(tmp_path, monkeypatch):
    calls = {"n": 0}

    def flaky(trial, backbone=None):
        calls["n"] += 1
        kwargs = spaces.sample_ppo(trial, backbone)
        return kwargs | {"n_stepz": 3} if calls["n"] == 1 else kwargs

    monkeypatch.setitem(spaces.SAMPLERS, "ppo", flaky)
    spec = spec_for(tmp_path / "s.db", 2)
    run_worker(spec)
    study = optuna.load_study(study_name=spec.study_name, storage=spec.storage_url)
    assert [t.state.name for t in study.trials] == ["FAIL", "COMPLETE"]
    assert "n_stepz" in study.trials[0].user_attrs["fail_reason"] and counts(study)["failed"] == 1


def test_a_study_made_with_another_space_budget_or_seeds_is_refused(tmp_path):
    spec = spec_for(tmp_path / "s.db", 1)
    open_study(spec).set_user_attr("space_version", "something-else")
    with pytest.raises(TuneError, match="another version of the search space"):
        open_study(spec)
    other = spec_for(tmp_path / "b.db", 1)
    open_study(other)
    with pytest.raises(TuneError, match="steps=128"):
        open_study(spec_for(tmp_path / "b.db", 1, steps=256))
    with pytest.raises(TuneError, match=r"seeds=\[0, 1\]"):
        open_study(spec_for(tmp_path / "b.db", 1, seeds=3))


def test_a_study_scored_with_the_clipped_objective_carries_over_only_where_nothing_was_below_the_floor(study2, tmp_path):
    import shutil

    db = tmp_path / "old.db"
    shutil.copy(study2, db)
    spec = spec_for(db, 2)
    study = optuna.load_study(study_name=spec.study_name, storage=spec.storage_url)
    study.set_user_attr("objective", CLIPPED_OBJECTIVE)
    floor = study.user_attrs["floor"]
    lowest = min(r["score"] for t in study.trials for r in t.user_attrs["per_seed"])
    study.set_user_attr("floor", min(floor, lowest))  # every seed at or above the floor
    assert "it carries over when next opened" in tuning_report(spec.storage_url)
    with pytest.raises(TuneError, match="steps=128"):  # another identity: refused, not carried over
        open_study(spec_for(db, 2, steps=256))
    assert optuna.load_study(study_name=spec.study_name, storage=spec.storage_url).user_attrs["objective"] == CLIPPED_OBJECTIVE
    opened = open_study(spec)
    assert opened.user_attrs["objective"] == OBJECTIVE and opened.user_attrs["objective_carried_from"] == CLIPPED_OBJECTIVE
    assert "no seed ended below the floor, so every value is the same" in tuning_report(spec.storage_url)
    opened.set_user_attr("objective", CLIPPED_OBJECTIVE)
    opened.set_user_attr("floor", lowest + 1.0)  # now some seed ended below it
    assert "of its seeds ended below the floor and count as the floor's" in tuning_report(spec.storage_url)
    with pytest.raises(TuneError, match=r"clipped at the floor and \d+ of its seeds ended below the floor.*optuna delete-study"):
        open_study(spec)
    empty = spec_for(tmp_path / "empty.db", 1)
    open_study(empty).set_user_attr("objective", CLIPPED_OBJECTIVE)
    moved = open_study(empty)  # nothing to carry: the current objective, no mark
    assert moved.user_attrs["objective"] == OBJECTIVE and "objective_carried_from" not in moved.user_attrs


def test_at_or_above_the_floor_the_clipped_and_current_objectives_agree():
    """Why a study with no seed below its floor carries over: its values are the same."""
    rng = np.random.default_rng(0)
    floor, ceiling, episodes = 10.0, 16.0, 50
    for _ in range(200):
        seeds = int(rng.integers(2, 5))
        results = [(rng.integers(0, episodes + 1) / episodes, float(rng.uniform(floor, ceiling + 3))) for _ in range(seeds)]
        clipped = np.mean([s + np.clip((c - floor) / (ceiling - floor), 0, 1) / (2 * seeds * episodes) for s, c in results])
        assert trial_value(results, floor, ceiling, episodes) == pytest.approx(clipped, abs=1e-15)


def test_the_tuned_file_carries_provenance_and_the_runner_reads_it_for_its_regime_only(study2, tmp_path, monkeypatch):
    spec = spec_for(study2, 2)
    study = optuna.load_study(study_name=spec.study_name, storage=spec.storage_url)
    root = tmp_path / "tuned"
    path = write_tuned(study, spec, root=root)
    assert path == root / ENV / "cell-poster" / "ppo.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["study"] == spec.study_name and (data["masking"], data["rules"]) == ("cell", "poster")
    assert data["space"] == "ppo" and data["space_version"] == spaces.space_version("ppo")
    assert data["trials"] == {"finished": 2, "complete": 2, "pruned": 0, "failed": 0, "beyond": 0} and data["seeds"] == [0, 1]
    assert data["budget"] == 128 and data["objective"] == OBJECTIVE and data["floor"] == study.user_attrs["floor"]
    assert data["date"] and data["commit"] and data["params"] == study.best_trial.user_attrs["kwargs"]
    # a rerun that finds the study as it was keeps the file, its tuning's date and commit with it
    path.write_text(path.read_text().replace(f"commit: {data['commit']}", "commit: the-tuning-commit"))
    assert write_tuned(study, spec, root=root) == path and yaml.safe_load(path.read_text())["commit"] == "the-tuning-commit"
    study.set_user_attr("floor", data["floor"] - 1.0)  # another field, the same result: updated, the stamp kept
    write_tuned(study, spec, root=root)
    again = yaml.safe_load(path.read_text())
    assert again["floor"] == data["floor"] - 1.0 and again["commit"] == "the-tuning-commit"
    study.set_user_attr("floor", data["floor"])
    path.write_text(path.read_text().replace(f"best_trial: {data['best_trial']}", "best_trial: 99"))  # another result
    write_tuned(study, spec, root=root)
    assert yaml.safe_load(path.read_text()) == data

    monkeypatch.setenv("TRM_BENCH_TUNED_DIR", str(root))
    poster = RunSpec("ppo", ENV, 64, 0, dict(POSTER))
    assert tuned_params(poster) == (data["params"], str(path))
    assert tuned_params(RunSpec("maskable-ppo", ENV, 64, 0, dict(POSTER))) == ({}, NO_FILE)  # same space, not its file
    for other in ({}, {"masking": "cell"}, {"masking": "constraint-edit", "rules": "poster"}):
        assert tuned_params(RunSpec("ppo", ENV, 64, 0, other)) == ({}, NO_FILE)  # another regime's file is never reused
    legacy = root / ENV / "ppo.yaml"  # a file from before the regime key: (constraint, suite) only
    legacy.write_text("study: ppo__trm-Sudoku4x4-Easy-v0\nparams: {n_steps: 32}\n")
    assert tuned_params(RunSpec("ppo", ENV, 64, 0, {"masking": "constraint"})) == ({"n_steps": 32}, str(legacy))
    assert tuned_params(RunSpec("ppo", ENV, 64, 1, dict(POSTER)))[0] == data["params"]
    assert tuned_params(RunSpec("ppo", ENV, 64, 0, {"masking": "none"})) == ({}, NO_FILE)
    # a regime file of its own wins over the legacy one (a fresh root: lookups are cached per root)
    shutil.copytree(root, tmp_path / "tuned2")
    suite = tmp_path / "tuned2" / ENV / "constraint-suite" / "ppo.yaml"
    suite.parent.mkdir()
    suite.write_text(yaml.safe_dump(data | {"masking": "constraint", "rules": "suite", "params": {"n_steps": 64}}))
    monkeypatch.setenv("TRM_BENCH_TUNED_DIR", str(tmp_path / "tuned2"))
    assert tuned_params(RunSpec("ppo", ENV, 64, 2, {})) == ({"n_steps": 64}, str(suite))
    # a preset (the poster's configuration) is run as it is
    assert tuned_params(RunSpec("upi-trm", ENV, 64, 0, {}, {"preset": "poster-4x4"})) == ({}, NO_FILE)


def test_a_file_tuned_for_the_legacy_regime_replaces_the_legacy_file(tmp_path):
    """A file from before the regime key serves (constraint, suite) only while that regime has no
    file of its own; the tuning that writes one removes it (it could never be read again)."""
    torch.set_num_threads(1)
    spec = spec_for(tmp_path / "s.db", 1, masking="constraint", rules="suite")
    run_worker(spec)
    root = tmp_path / "tuned"
    (root / ENV).mkdir(parents=True)
    for agent in ("ppo", "a2c"):
        (root / ENV / f"{agent}.yaml").write_text(f"study: {agent}__trm-Sudoku4x4-Easy-v0\nparams: {{n_steps: 32}}\n")
    path = write_tuned(optuna.load_study(study_name=spec.study_name, storage=spec.storage_url), spec, root=root)
    assert path == root / ENV / "constraint-suite" / "ppo.yaml" and path.exists()
    assert not (root / ENV / "ppo.yaml").exists() and (root / ENV / "a2c.yaml").exists()  # another agent's stays


def test_the_committed_files_serve_the_regime_they_were_tuned_under():
    """The files from before the regime key were tuned with the env defaults (constraint, suite):
    they serve that regime and no other. Every regime file is read for its own regime (its
    provenance, search-space version included, checked) and builds its agent."""
    for path in TUNED_DIR.glob("*/*/*.yaml"):
        env_id, algo = str(path.parent.relative_to(TUNED_DIR)), path.stem
        assert "__" not in yaml.safe_load(path.read_text())["study"].split("__", 1)[1]  # no env kwargs in the study name
        params, source = load_tuned(env_id, algo, {"masking": "constraint", "rules": "suite"}, root=TUNED_DIR)
        assert params and source == f"sweeps/tuned/{env_id}/{algo}.yaml"
        assert load_tuned(env_id, algo, {}, root=TUNED_DIR) == (params, source)
        other = load_tuned(env_id, algo, {"masking": "cell", "rules": "poster"}, root=TUNED_DIR)
        assert other[1] != source and other[1] in (NO_FILE, f"sweeps/tuned/{env_id}/cell-poster/{algo}.yaml")  # never the legacy file
    for path in TUNED_DIR.glob("*/*/*/*.yaml"):
        env_id, regime = "/".join(path.relative_to(TUNED_DIR).parts[:2]), path.parent.name
        data = yaml.safe_load(path.read_text())
        assert Regime(data["masking"], data["rules"]).slug == regime
        params, source = load_tuned(env_id, path.stem, Regime(data["masking"], data["rules"]).env_kwargs, root=TUNED_DIR)
        assert params == data["params"] and source == f"sweeps/tuned/{path.relative_to(TUNED_DIR)}"
        make_agent(data["agent"], **params)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"masking": "constraint"}, "was tuned for masking 'constraint', not 'cell'"),
        ({"agent": "a2c"}, "was tuned for agent 'a2c', not 'ppo'"),
        ({"space_version": "0123456789ab"}, "version '0123456789ab' of the ppo search space"),
    ],
)
def test_a_tuned_file_of_another_regime_or_space_is_refused_through_the_cli(tmp_path, monkeypatch, capsys, change, message):
    root = tmp_path / "tuned"
    path = root / ENV / "cell-poster" / "ppo.yaml"
    path.parent.mkdir(parents=True)
    provenance = {"agent": "ppo", "backbone": None, "env_id": ENV, "space": "ppo", "space_version": spaces.space_version("ppo")}
    path.write_text(yaml.safe_dump(provenance | POSTER | change | {"params": {"n_steps": 32}}))
    monkeypatch.setenv("TRM_BENCH_TUNED_DIR", str(root))
    argv = ["run", "--agent", "ppo", "--env", ENV, "--steps", "64", "--env-kwargs", "masking=cell", "rules=poster", "--results", str(tmp_path / "r")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not list((tmp_path / "r").rglob("*.json"))  # refused before any training


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--agents", "pop"], "no search space for ['pop'] (did you mean 'ppo'?)"),
        (["--agents", "solver"], "no search space for ['solver']"),
        (["--agents", "ppo", "--env-kwargs", "masking=constrant"], "did you mean 'constraint'?"),
        (["--agents", "ppo", "--env-kwargs", "rules=postr"], "did you mean 'poster'?"),
        (["--agents", "ppo", "--env-kwargs", "horizon=4"], "keyed by masking and rules only"),
        (["--agents", "ppo", "--env-kwargs", "masking=none"], "give the budget with --steps"),
        (["--agents", "upi-trm", "--backbone", "trm"], "upi-trm takes no backbone option"),
        (["--agents", "ppo", "--storage", "sqlite:////nonexistent-dir/x/s.db"], "cannot open Optuna storage"),
        (["--agents", "ppo", "--seeds-per-trial", "1"], "expected an integer >= 2"),
        (["--agents", "ppo", "--env", MAZE, "--env-kwargs", "masking=cell"], "masking must be one of ('moves', 'none'), got 'cell'"),
        (["--agents", "ppo", "--env", MAZE, "--env-kwargs", "rules=poster"], "unknown maze env kwarg(s) ['rules']"),
        (["--agents", "ppo", "--env", MAZE, "--env-kwargs", "horizon=9"], "keyed by masking and rules only"),
        (["--agents", "ppo-trm", "--env", MAZE, "--backbone", "trm"], "ppo-trm takes no backbone option"),
        (["--agents", "ppo", "--env", MAZE, "--env-kwargs", "masking=moves"], "no table column runs trm/MazeOpen5x5-v0 under masking=moves"),
        (["--agents", "ppo", "--env", "trm/MazeOpen9x9-v0"], "unknown env id 'trm/MazeOpen9x9-v0'"),
    ],
)
def test_bad_tune_input_is_one_line_and_exit_2(capsys, tmp_path, argv, message):
    try:
        status = main(["tune", "--env", ENV, "--storage", f"sqlite:///{tmp_path / 's.db'}", *argv])
    except SystemExit as stop:  # argparse's own checks exit from parse_args
        status = stop.code
    assert status == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s.db").exists() or not optuna.get_all_study_summaries(f"sqlite:///{tmp_path / 's.db'}")


def test_budgets_come_from_the_tables_columns():
    from sweeps.hyperparams import Regime

    assert list(table_budgets(ENV, Regime("cell", "poster"))) == [5000]
    assert list(table_budgets("trm/Sudoku4x4-Hard-v0", Regime("constraint", "suite"))) == [20000]
    assert list(table_budgets("trm/Sudoku9x9-v0", Regime("constraint-edit", "poster"))) == [50000]
    assert table_budgets(ENV, Regime("none", "suite")) == {}
    for env_id, column in [(MAZE, "readme"), ("trm/Maze5x5-v0", "maze5"), ("trm/Maze8x8-v0", "maze8"), ("trm/MazePath8x8-v0", "path8")]:
        assert table_budgets(env_id, regime_of(env_id)) == {25000: [f"readme-rl-maze:{column}"]}
    assert table_budgets("trm/Maze8x8-v0", Regime("none", None)) == {}


def test_a_maze_regime_is_its_masking_the_envs_own_default_where_not_given():
    """Mazes have a masking and no rules: a column naming the default masking and one naming none
    share one regime (and file), read without building the mazes; checked against the built envs."""
    import gymnasium as gym

    from envs import MAZE_IDS, MAZE_PATH_IDS

    for env_id in [*MAZE_IDS, *MAZE_PATH_IDS]:
        masking = gym.make(env_id).unwrapped.options.masking
        assert regime_of(env_id) == regime_of(env_id, {"masking": masking}) == Regime(masking, None)
        assert regime_of(env_id).slug == masking and regime_of(env_id).env_kwargs == {"masking": masking}
    assert regime_of(MAZE) == Regime("none", None) and regime_of("trm/Maze5x5-v0") == Regime("moves", None)
    assert regime_of("trm/MazePath8x8-v0", {"masking": "none"}).slug == "none"


def test_a_maze_setting_is_tuned_through_the_cli_and_the_table_rows_read_its_files(tmp_path, monkeypatch, capsys):
    """ppo and ppo-trm on the README's open grid: one study each, files in the regime folder
    ``none`` (the open grid's masking), read by the runner for the readme-rl-maze rows."""
    from bench.tables import load_spec

    monkeypatch.setenv("TRM_BENCH_TUNED_DIR", str(tmp_path / "tuned"))
    storage = f"sqlite:///{tmp_path / 's.db'}"
    argv = ["tune", "--agents", "ppo", "ppo-trm", "--env", MAZE, "--steps", "256", "--trials", "1", "--episodes", "5", "--storage", storage]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert f"tuning ppo, ppo-trm on {MAZE} (masking=none): 1 trials each" in err
    files = {agent: tmp_path / "tuned" / MAZE / "none" / f"{agent}.yaml" for agent in ("ppo", "ppo-trm")}
    data = {agent: yaml.safe_load(path.read_text()) for agent, path in files.items()}
    for agent, d in data.items():
        assert str(files[agent]) in out and d["study"] == f"{agent}__trm-MazeOpen5x5-v0__none"
        assert (d["env_id"], d["masking"], d["rules"], d["budget"], d["seeds"]) == (MAZE, "none", None, 256, [0, 1])
        assert d["ceiling"] == 0.0 and -5 < d["floor"] < 0  # minus the BFS distance left: 0 at the goal, random play ends about 3 away
    assert data["ppo"]["space_version"] == spaces.space_version("ppo") and data["ppo"]["fixed"] == MAZE_FIXED["ppo"]
    assert data["ppo"]["params"]["policy_kwargs"] == {"net_arch": [128, 128], "activation_fn": "tanh"}
    assert data["ppo-trm"]["space"] == "ppo-trm" and data["ppo-trm"]["fixed"] == {}
    assert not {"policy_kwargs", "k_cycles"} & set(data["ppo-trm"]["params"])

    spec = load_spec("readme-rl-maze")
    column = next(c for c in spec.columns if c.env == MAZE)
    for row in spec.rows:
        if row.agent in files:
            run = RunSpec(row.agent, MAZE, 64, 0, dict(column.env_kwargs), dict(row.agent_config))
            assert tuned_params(run) == (data[row.agent]["params"], str(files[row.agent]))
    assert tuned_params(RunSpec("ppo", MAZE, 64, 0, {"masking": "none"})) == (data["ppo"]["params"], str(files["ppo"]))
    assert tuned_params(RunSpec("ppo", MAZE, 64, 0, {"masking": "moves"})) == ({}, NO_FILE)  # another regime's file is never reused

    # the mlp row's network overrides the tuned one with the same network: the study tuned the network that runs
    mlp = next(row for row in spec.rows if row.id == "mlp")
    params = data["ppo"]["params"] | {"n_envs": 1, "n_steps": 32, "batch_size": 32}
    policies = []
    for kwargs in (params, params | mlp.agent_config):
        agent = make_agent("ppo", **kwargs)
        agent.learn(MAZE, {}, 32, 0)
        policies.append((str(agent.model.policy), agent.num_params()))
    assert policies[0] == policies[1]

    assert main(["tune", "--report", "--storage", storage, "--report-path", str(tmp_path / "tuning.md")]) == 0
    report = (tmp_path / "tuning.md").read_text()
    assert f"## {MAZE}, masking=none, 256 transitions per seed" in report and "Finished trials per agent: the same" in report
    assert "held fixed (the table row's network)" in report and f"tuned file: `{files['ppo-trm']}`" in report


def test_ppo_trm_tunes_ppos_space_without_the_network():
    """The same coordinates and ranges as PPO's, no policy_kwargs, no K cycles, no backbone."""
    params = {"n_envs_pow": 3, "n_steps_pow": 5, "batch_size_pow": 8, "learning_rate": 3e-4, "one_minus_gamma": 0.01,
              "net_arch": "small", "activation_fn": "relu", "n_epochs": 5, "gae_lambda": 0.9, "clip_range": 0.2, "ent_coef": 1e-3}
    ppo = spaces.sample_ppo(optuna.trial.FixedTrial(params))
    ppo_trm = spaces.sample_ppo_trm(optuna.trial.FixedTrial(params))
    assert ppo_trm == {k: v for k, v in ppo.items() if k != "policy_kwargs"} and ppo_trm["batch_size"] == 256
    agent = make_agent("ppo-trm", **ppo_trm)
    assert agent.hyperparams["policy_kwargs"]["features_extractor_kwargs"] == {"k_cycles": 3}  # the factory's default K
    assert spaces.space_name("ppo-trm") == "ppo-trm" and spaces.space_version("ppo-trm") != spaces.space_version("ppo")
    with pytest.raises(ValueError, match="ppo-trm takes no backbone option"):
        spaces.sample("ppo-trm", optuna.trial.FixedTrial(params), "trm")


def test_the_sudoku_spaces_keep_their_versions():
    """Adding the maze spaces changed no existing space: their studies and tuned files stay valid."""
    versions = {"ppo": "c89903667b5e", "a2c": "619d2a66ba1c", "dqn": "370af5c84314", "qrdqn": "2684fd831ba5", "upi-trm": "9c52921a33b7"}
    assert {agent: spaces.space_version(agent) for agent in versions} == versions
    assert spaces.space_version("ppo", "trm") == "b6957938a6eb"


def test_upi_trm_is_tuned_under_the_same_protocol_through_the_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRM_BENCH_TUNED_DIR", str(tmp_path / "tuned"))
    storage = f"sqlite:///{tmp_path / 's.db'}"
    argv = ["tune", "--agents", "upi-trm", "--env", ENV, "--env-kwargs", "masking=cell", "rules=poster", "--steps", "256",
            "--trials", "2", "--episodes", "5", "--storage", storage]
    assert main(argv) == 0
    path = tmp_path / "tuned" / ENV / "cell-poster" / "upi-trm.yaml"
    out, err = capsys.readouterr()
    assert str(path) in out
    # progress in a log, not a terminal: a line per finished trial, with the time left while trials remain
    assert re.search(r"upi-trm__trm-Sudoku4x4-Easy-v0__cell-poster: 1/2 trials finished, best .*, \d+ s, about [\d.]+ (s|min|h) left\n", err)
    assert re.search(r"cell-poster: 2/2 trials finished, best .*, \d+ s\n", err)
    study = optuna.load_study(study_name="upi-trm__trm-Sudoku4x4-Easy-v0__cell-poster", storage=storage)
    first = study.trials[0]  # one worker: at 1/2, the time left is one more trial as long as the first
    assert f"1/2 trials finished, best {first.value:.4f} (trial 0), " in err
    assert f"about {duration((first.datetime_complete - first.datetime_start).total_seconds())} left" in err
    data = yaml.safe_load(path.read_text())
    assert data["space"] == "upi-trm" and [r["seed"] for r in data["best_per_seed"]] == [0, 1]
    make_agent("upi-trm", **data["params"])
    assert main(["tune", "--report", "--storage", storage, "--report-path", str(tmp_path / "tuning.md")]) == 0
    report = (tmp_path / "tuning.md").read_text()
    assert "## trm/Sudoku4x4-Easy-v0, masking=cell, rules=poster, 256 transitions per seed" in report
    assert OBJECTIVE in report and "upi-trm__trm-Sudoku4x4-Easy-v0__cell-poster" in report and "Finished trials per agent: the same" in report


def test_the_report_lists_the_legacy_studies_with_their_regime(tmp_path):
    db = tmp_path / "legacy.db"
    shutil.copy(TUNED_DIR.parent / "studies.db", db)  # the committed studies, read from a copy
    report = tuning_report(f"sqlite:///{db}")
    assert "## trm/Sudoku9x9-v0, masking=constraint, rules=suite, 10000 transitions per seed (legacy)" in report
    assert "`ppo__trm-Sudoku4x4-Easy-v0`" in report and "objective success + 1e-4 * score / C_max" in report


def test_every_space_yields_kwargs_the_agent_accepts():
    from agents import registry

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for agent in set(spaces.SAMPLERS) & set(registry.available()):
        for backbone in [None] + ([] if agent in spaces.NO_BACKBONE else list(spaces.BACKBONES)):
            for _ in range(5):
                make_agent(agent, **spaces.sample(agent, study.ask(), backbone))
    with pytest.raises(ValueError, match="no search space"):
        spaces.space_version("solver")
    assert spaces.space_version("maskable-ppo") == spaces.space_version("ppo") != spaces.space_version("ppo", "trm")


def test_the_plan_tunes_what_the_tables_run_and_nothing_else():
    """``make tune`` (``bench tune --all``) writes exactly the tuned files that the learned rows
    of the full and thorough tables read (the runner's path for a run, the writer's for a
    study), each once, those the full tables read first."""
    from bench.tables import available, load_spec
    from sweeps.hyperparams import tuned_name, tuned_path
    from sweeps.plan import tuning_plan

    plan = tuning_plan()
    written = {}
    for setting in plan:
        for agent in setting.agents:
            study = TuneSpec(agent, setting.env_id, 1, 1, setting.regime.masking, setting.regime.rules, backbone=setting.backbone)
            path = tuned_path(study.env_id, study.name, study.env_kwargs)
            assert path not in written, f"{path} planned twice"
            written[path] = setting.profile
    profiles = [s.profile for s in plan]
    assert profiles == sorted(profiles, key=("full", "thorough").index), "a thorough-only setting before a full one"
    read = {}
    specs = [load_spec(name) for name in available()]
    for profile in ("full", "thorough"):
        for spec in specs:
            if spec.kind == "supervised" or profile not in spec.profiles:
                continue
            for run in spec.run_specs(profile):
                if run.agent in spaces.SAMPLERS and run.agent_config.get("preset") is None:
                    read.setdefault(tuned_path(run.env_id, tuned_name(run.agent, run.agent_config.get("backbone")), run.env_kwargs), profile)
    assert written == read
    # facts of today's specs: the poster's 9x9 MaskablePPO runs in make bench; PPO on 4x4 Easy
    # under the suite's regime runs in no table; 9x9's reward=progress column reads its regime's file
    assert written[tuned_path("trm/Sudoku9x9-v0", "maskable-ppo", {"masking": "constraint-edit", "rules": "poster"})] == "full"
    assert tuned_path(ENV, "ppo", {"masking": "constraint", "rules": "suite"}) not in written
    assert tuned_path("trm/Sudoku9x9-v0", "upi-trm", {"masking": "constraint", "reward": "progress"}) in written
    for setting in plan:  # every setting has one budget, its columns'
        assert len(table_budgets(setting.env_id, setting.regime)) == 1, setting


def test_the_plan_is_listed_with_each_studys_trials_and_takes_no_setting(capsys, tmp_path):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    assert main(["tune", "--plan", "--profile", "full", "--storage", storage]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines and all(line.startswith("full ") and "[trials: " in line for line in lines[:-1])
    assert any("--agents ppo ppo-trm --env trm/MazeOpen5x5-v0 --env-kwargs masking=none  [trials: ppo 0/30 (time unknown), ppo-trm 0/30 (time unknown)]" in line for line in lines[:-1])
    assert lines[-1] == f"{sum(line.count('(time unknown)') for line in lines)} studies to run: time unknown (no trial of their agents on their envs yet)"
    # a study created with `bench tune --trials 7` is counted against its own 7
    open_study(TuneSpec("ppo", "trm/MazeOpen5x5-v0", 25_000, 7, "none", None, storage=storage))
    assert main(["tune", "--plan", "--profile", "full", "--storage", storage]) == 0
    assert "[trials: ppo 0/7 (time unknown), ppo-trm 0/30 (time unknown)]" in capsys.readouterr().out
    assert main(["tune", "--all", "--env", ENV, "--storage", storage]) == 2
    err = capsys.readouterr().err
    assert "take the settings from the tables" in err and len(err.strip().splitlines()) == 1
    assert main(["tune", "--plan", "--storage", "sqlite:////nonexistent-dir/x/s.db"]) == 2
    err = capsys.readouterr().err
    assert "cannot open Optuna storage" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_the_report_gives_each_studys_trial_time(study2):
    """The time a study took, as ``make tune`` costs it: its trials' durations summed; one worker
    ran study2's trials one after the other, so the sum fits in the span from first start to last end."""
    url = f"sqlite:///{study2}"
    study = optuna.load_study(study_name=optuna.get_all_study_names(url)[0], storage=url)
    trials = study.get_trials()
    span = (max(t.datetime_complete for t in trials) - min(t.datetime_start for t in trials)).total_seconds()
    assert 0 < trial_hours(study) * 3600 <= span
    assert f", {trial_hours(study):.2f} h of trial time" in tuning_report(url)


def test_a_broken_table_spec_stops_the_plan_in_one_line(tmp_path, monkeypatch, capsys):
    import bench.tables

    specs = tmp_path / "specs"
    shutil.copytree(bench.tables.SPECS_DIR, specs)
    (specs / "broken.yaml").write_text("name: broken\ntitle: [unclosed\n")
    monkeypatch.setattr(bench.tables, "SPECS_DIR", specs)
    assert main(["tune", "--all", "--storage", f"sqlite:///{tmp_path / 's.db'}"]) == 2
    err = capsys.readouterr().err
    assert "broken.yaml: not valid YAML" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s.db").exists()


def test_the_plan_times_the_trials_left_by_the_studys_own_trials_else_by_its_agent_on_its_env(study2, tmp_path):
    """study2 (PPO, 4x4 Easy, the poster's regime) has 2 finished trials: asked for 5, it has 3 left
    at their mean time; PPO on the same env under another regime, with no trial yet, is timed by
    them too; an agent with no trial on that env is not timed."""
    db = tmp_path / "s.db"
    shutil.copy(study2, db)
    url = f"sqlite:///{db}"
    study = open_study(spec_for(db, 5))
    ran = [(t.datetime_complete - t.datetime_start).total_seconds() for t in study.get_trials()]
    mean = sum(ran) / len(ran)
    facts = study_facts(url, set(optuna.get_all_study_names(url)))
    poster = progress(Setting(ENV, Regime("cell", "poster"), None, ("ppo",), "full"), facts)["ppo"]
    assert (poster.done, poster.target) == (2, 5) and poster.seconds_left == pytest.approx(3 * mean)
    suite = progress(Setting(ENV, Regime("constraint", "suite"), None, ("ppo", "dqn"), "full"), facts)
    assert suite["ppo"].seconds_left == pytest.approx(30 * mean) and suite["dqn"].seconds_left is None
    assert str(suite["dqn"]) == "0/30 (time unknown)"
    assert time_left_line([poster.seconds_left, suite["ppo"].seconds_left, None], jobs=2) == (
        f"3 studies to run: about {33 * mean / 3600:.1f} h of trial time, {33 * mean / 7200:.1f} h with --jobs 2, "
        "plus 1 not yet timed (no trial of their agent on their env)")
