"""`bench table --dry-run`: how long computing a table's runs would take, from the run times of
real records, without computing anything."""

import json

import pytest
import torch
import yaml

from bench.cli import main
from bench.runner import RunSpec, run
from bench.store import ResultStore
from bench.tables import estimated_cost
from bench.timing import TimeLeft, estimate, makespan, rates

ENV = "trm/Sudoku4x4-Easy-v0"
CELL = {"masking": "cell"}


def test_makespan_hands_each_run_to_the_first_free_worker():
    assert makespan([5, 4, 3, 3], jobs=2) == 8  # 5 | 4, then 3 after the 4 (7), then 3 after the 5 (8)
    assert makespan([5, 4, 3, 3], jobs=1) == 15
    assert makespan([5, 4, 3, 3], jobs=8) == 5
    assert makespan([1, 1, 1, 10], jobs=2) == 11  # in the order given, not rearranged
    assert makespan([], jobs=2) == 0


@pytest.fixture(scope="module")
def timed(tmp_path_factory):
    """A results folder with two real records: PPO and random legal play on 4x4 Easy."""
    torch.set_num_threads(1)
    store = ResultStore(tmp_path_factory.mktemp("results"))
    ppo = RunSpec("ppo", ENV, 256, 0, dict(CELL), {"n_steps": 64, "batch_size": 32}, episodes=5)
    rand = RunSpec("random-masked", ENV, 256, 0, dict(CELL), episodes=5)
    records = {spec.agent: store.put(run(spec)) for spec in (ppo, rand)}
    return store, ppo, {agent: json.loads(path.read_text()) for agent, path in records.items()}


def seconds(record):
    return record["train_time_s"] + record["eval_time_s"]


def test_each_run_is_timed_by_the_most_specific_records(timed):
    store, ppo, records = timed
    ppo_rate = seconds(records["ppo"]) / estimated_cost(ppo)
    rand = RunSpec("random-masked", ENV, 256, 0, dict(CELL), episodes=5)
    every_rate = (seconds(records["ppo"]) + seconds(records["random-masked"])) / (estimated_cost(ppo) + estimated_cost(rand))

    longer = RunSpec("ppo", ENV, 1024, 1, dict(CELL), {"n_steps": 64, "batch_size": 32}, episodes=5)  # same row, 4x the transitions
    one = estimate([longer], store, jobs=1)
    assert one.sources["row-env"] == 1 and one.seconds == pytest.approx(4 * seconds(records["ppo"]))
    other_row = RunSpec("ppo", ENV, 1024, 1, dict(CELL), {"backbone": "trm"}, episodes=5)  # same agent, another network
    assert estimate([other_row], store, jobs=1).sources["agent-env"] == 1

    elsewhere = RunSpec("ppo", "trm/Sudoku4x4-Hard-v0", 512, 0, dict(CELL))
    assert estimate([elsewhere], store, 1).sources["agent"] == 1
    assert estimate([elsewhere], store, 1).seconds == pytest.approx(ppo_rate * estimated_cost(elsewhere))

    unmeasured = RunSpec("dqn", ENV, 512, 0, dict(CELL))
    assert estimate([unmeasured], store, 1).sources["overall"] == 1
    assert estimate([unmeasured], store, 1).seconds == pytest.approx(every_rate * estimated_cost(unmeasured))

    both = estimate([longer, unmeasured], store, jobs=2)
    assert both.seconds == pytest.approx(max(4 * seconds(records["ppo"]), every_rate * estimated_cost(unmeasured)))
    assert both.cpu_seconds == pytest.approx(4 * seconds(records["ppo"]) + every_rate * estimated_cost(unmeasured))
    assert "estimated" in both.line() and "with 2 jobs" in both.line()


def test_a_stale_run_is_timed_by_its_own_earlier_record(timed, tmp_path):
    store, ppo, records = timed
    copy = ResultStore(tmp_path / "results")
    copy.put(records["ppo"] | {"components": records["ppo"]["components"] | {"env": "an-older-env"}})  # its code changed since
    assert copy.lookup(ppo).status == "stale"
    own = estimate([ppo], copy, jobs=1)
    assert own.sources["own"] == 1 and own.seconds == pytest.approx(seconds(records["ppo"]))


def test_nothing_measured_says_so():
    empty = estimate([RunSpec("ppo", ENV, 256, 0)], ResultStore("/nonexistent-results"), jobs=2)
    assert empty.sources["unknown"] == 1 and empty.seconds == 0 and empty.line() == "no measured run times to estimate from"


def dry_spec(quick_steps: int) -> dict:
    return {
        "name": "dry-check", "title": "Dry run check", "kind": "rl", "source": "none (a test table)",
        "profiles": {"full": {"steps": 512, "seeds": [0, 1]}, "quick": {"steps": quick_steps, "seeds": [0, 1], "episodes": 5}},
        "columns": [{"id": "easy", "label": "4x4 Easy", "env": ENV, "env_kwargs": CELL}],
        "rows": [{"id": "ppo", "label": "PPO", "agent": "ppo"}, {"id": "random", "label": "random", "agent": "random-masked", "trivial": True}],
        "metrics": ["success", "score"],
    }


def test_dry_run_computes_and_writes_nothing_and_times_from_the_records_it_finds(tmp_path, capsys):
    path = tmp_path / "dry-check.yaml"
    path.write_text(yaml.safe_dump(dry_spec(256)))
    argv = ["table", str(path), "--profile", "quick", "--jobs", "2", "--results", str(tmp_path / "r"),
            "--out", str(tmp_path / "out"), "--records", "none"]
    assert main([*argv, "--dry-run"]) == 0
    assert "4 runs: 0 current, 0 stale, 4 missing; computing 4, no measured run times to estimate from" in capsys.readouterr().out
    assert not (tmp_path / "out").exists() and not (tmp_path / "r" / "runs").exists()
    assert main(argv) == 0  # computed for real: four records
    assert len(list((tmp_path / "r" / "runs").glob("*.json"))) == 4
    path.write_text(yaml.safe_dump(dry_spec(512)))  # twice the budget: new runs, timed by those records
    capsys.readouterr()
    assert main([*argv, "--dry-run"]) == 0
    said = capsys.readouterr().out
    assert "4 runs: 0 current, 0 stale, 4 missing; computing 4, estimated" in said and "4 from their row's time per transition on their env" in said
    assert len(list((tmp_path / "r" / "runs").glob("*.json"))) == 4


def test_the_time_left_learns_from_each_record_that_lands(timed, tmp_path):
    """A fresh results folder: nothing times the runs until the first lands, then its row times
    the rest; the runs left are handed to the jobs as :func:`estimate` hands them."""
    _, ppo, records = timed
    row = dict(CELL), {"n_steps": 64, "batch_size": 32}
    runs = [ppo, *(RunSpec("ppo", ENV, 256, seed, *row, episodes=5) for seed in (1, 2, 3))]
    left = TimeLeft(runs, [None] * len(runs), ResultStore(tmp_path / "fresh"), jobs=2)
    assert left.seconds() is None
    assert left.landed(records["ppo"]) == pytest.approx(2 * seconds(records["ppo"]))  # 3 runs like it on 2 jobs
    assert left.landed(records["ppo"] | {"key": runs[1].key(), "train_time_s": 3 * records["ppo"]["train_time_s"],
                                          "eval_time_s": 3 * records["ppo"]["eval_time_s"]}) == pytest.approx(2 * seconds(records["ppo"]))
    # the row's rate is now the two records' mean (2x the first's): 2 runs left, one per job


def test_a_run_landing_over_its_own_earlier_record_times_the_rest_by_the_new_record_alone(timed, tmp_path):
    """A stale record of a run times it until the run lands again; its new record then replaces
    the old one in its row's rate (not averaged with it), as a count from scratch gives."""
    _, ppo, records = timed
    store = ResultStore(tmp_path / "s")
    store.put(records["ppo"])
    row = dict(CELL), {"n_steps": 64, "batch_size": 32}
    runs = [ppo, RunSpec("ppo", ENV, 256, 1, *row, episodes=5)]
    left = TimeLeft(runs, [records["ppo"], None], store, jobs=1)
    assert left.seconds() == pytest.approx(2 * seconds(records["ppo"]))  # its own record, and its row's rate for the other
    slower = records["ppo"] | {"train_time_s": 5 * records["ppo"]["train_time_s"], "eval_time_s": 5 * records["ppo"]["eval_time_s"]}
    assert left.landed(slower) == pytest.approx(5 * seconds(records["ppo"]))
    assert left.times.rates() == pytest.approx(rates(left.known.values()))  # as counted from scratch
