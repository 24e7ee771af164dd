"""Runner, store and executors: real runs, stored, resumed, deterministic, on both executors."""

import json
import subprocess
import sys
import time

import pytest

from bench.executors import execute
from bench.runner import RunSpec, evaluation_puzzles
from bench.store import ResultStore
from tests.processes import kill_after_records

PPO_SMALL = {"n_steps": 64, "batch_size": 32, "n_envs": 2}


def ppo_spec(seed, steps=256, **kw):
    return RunSpec("ppo", "trm/Sudoku4x4-Easy-v0", steps, seed, {"masking": "cell"}, PPO_SMALL, episodes=20, **kw)


def test_record_has_the_promised_fields_and_curve(tmp_path):
    store = ResultStore(tmp_path)
    (record,) = execute([ppo_spec(0, splits=("test", "train"))], store)
    assert set(record["metrics"]) == {"test", "train"}
    assert set(record["metrics"]["test"]) == {"success", "score", "delta", "stalled", "episodes"}
    assert 0.0 <= record["metrics"]["test"]["stalled"] <= 1.0
    assert [p["steps"] for p in record["curve"]][:3] == [64, 128, 192]
    assert record["params"] > 0 and record["versions"]["torch"].startswith("2.13")
    assert json.loads(store.path(record["key"]).read_text())["key"] == record["key"]


def test_finished_runs_are_not_recomputed_and_force_redoes_them(tmp_path):
    store = ResultStore(tmp_path)
    spec = RunSpec("random-masked", "trm/Sudoku4x4-Hard-v0", 10, 1)
    first = execute([spec], store)[0]
    stamp = store.path(spec.key()).stat().st_mtime_ns
    time.sleep(0.01)
    assert execute([spec], store)[0] == first
    assert store.path(spec.key()).stat().st_mtime_ns == stamp
    execute([spec], store, force=True)
    assert store.path(spec.key()).stat().st_mtime_ns != stamp


def test_corrupt_record_is_reported_and_recomputed(tmp_path):
    store = ResultStore(tmp_path)
    spec = RunSpec("random-masked", "trm/Sudoku4x4-Hard-v0", 10, 2)
    first = execute([spec], store)[0]
    store.path(spec.key()).write_text('{"key": "trunc')
    with pytest.warns(UserWarning, match="corrupt run record"):
        again = execute([spec], store)[0]
    assert again["metrics"] == first["metrics"] and store.get(spec.key()) is not None


def test_same_run_twice_gives_identical_metrics_and_process_pool_agrees(tmp_path):
    specs = [ppo_spec(0), ppo_spec(1)]
    a = execute(specs, ResultStore(tmp_path / "a"), jobs=1)
    b = execute(specs, ResultStore(tmp_path / "b"), jobs=2)
    for x, y in zip(a, b):
        assert x["metrics"] == y["metrics"] and x["curve"] == y["curve"]


def test_ray_executor_matches_local(tmp_path):
    pytest.importorskip("ray")
    specs = [ppo_spec(0, steps=128), RunSpec("most-constrained", "trm/Sudoku9x9-v0", 10, 0, episodes=5)]
    local = execute(specs, ResultStore(tmp_path / "local"), jobs=1)
    remote = execute(specs, ResultStore(tmp_path / "ray"), jobs=2, executor="ray")
    assert [r["metrics"] for r in local] == [r["metrics"] for r in remote]
    assert len(list((tmp_path / "ray" / "runs").glob("*.json"))) == 2


def test_interrupted_set_resumes_and_keeps_finished_runs(tmp_path):
    results = tmp_path / "res"
    cmd = [sys.executable, "-m", "bench.cli", "run", "--agent", "ppo", "--env", "trm/Sudoku4x4-Easy-v0",
           "--steps", "1500", "--seeds", "0", "1", "2", "--episodes", "10", "--results", str(results),
           "--agent-kwargs", "n_steps=64", "batch_size=32"]
    runs = results / "runs"
    kept = kill_after_records(cmd, runs, 1)
    assert 1 <= len(kept) < 3
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(list(runs.glob("*.json"))) == 3
    assert all(p.read_text() == text for p, text in kept.items())  # finished runs untouched
    assert not list(runs.glob(".*.tmp"))


def test_evaluation_puzzles_are_fixed_per_seed():
    assert list(evaluation_puzzles(50, 50, 3)) == list(range(50))
    a, b = evaluation_puzzles(1000, 50, 3), evaluation_puzzles(1000, 50, 3)
    assert list(a) == list(b) and len(set(a)) == 50
    assert list(evaluation_puzzles(1000, 50, 4)) != list(a)
