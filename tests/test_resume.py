"""A run killed mid-training resumes from its checkpoint and lands the record an uninterrupted
run lands (UPI-TRM between iterations, SB3 agents between rollouts; real processes, a real
SIGKILL); batched envs hand their state over exactly."""

import json
import os
import subprocess
import sys

import pytest

from bench.checkpoints import INTERVAL_VARIABLE, interval
from tests.processes import kill_after_records

SAME = ("metrics", "curve", "steps_done", "checker_calls", "training_log", "params", "hyperparams", "key")
"""What must not differ between the resumed and the uninterrupted record (times may)."""


@pytest.mark.parametrize(
    ("agent", "steps", "kwargs"),
    [
        ("upi-trm", 4096, ["num_envs=8", "rollout_steps=16"]),  # between UPI iterations
        ("maskable-ppo", 4096, ["n_steps=64", "batch_size=32"]),  # on-policy, between rollouts
        ("maskable-dqn", 3000, ["learning_starts=200", "buffer_size=2000", "train_freq=8"]),  # the replay buffer too
    ],
)
def test_a_killed_run_resumes_from_its_checkpoint_to_the_same_record(tmp_path, agent, steps, kwargs):
    env = os.environ | {INTERVAL_VARIABLE: "0.2"}
    cmd = [sys.executable, "-m", "bench.cli", "run", "--agent", agent, "--env", "trm/Sudoku4x4-Easy-v0",
           "--env-kwargs", "masking=cell", "rules=poster", "--steps", str(steps), "--seeds", "0", "--episodes", "10",
           "--agent-kwargs", *kwargs]
    whole = subprocess.run([*cmd, "--results", str(tmp_path / "whole")], capture_output=True, text=True, env=env, timeout=600)
    assert whole.returncode == 0, whole.stderr
    cut = tmp_path / "cut"
    os.environ[INTERVAL_VARIABLE] = "0.2"  # for the process kill_after_records starts
    try:
        left = kill_after_records([*cmd, "--results", str(cut)], cut / "checkpoints", 1, timeout=300, pattern="*.pt")
    finally:
        del os.environ[INTERVAL_VARIABLE]
    assert not left and not list((cut / "runs").glob("*.json")) if (cut / "runs").exists() else True  # killed mid-run
    assert len(list((cut / "checkpoints").glob("*.pt"))) == 1
    resumed = subprocess.run([*cmd, "--results", str(cut)], capture_output=True, text=True, env=env, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from its checkpoint" in resumed.stderr
    (a,), (b,) = ([json.loads(p.read_text()) for p in (root / "runs").glob("*.json")] for root in (tmp_path / "whole", cut))
    assert {k: a[k] for k in SAME} == {k: b[k] for k in SAME}
    assert not list((cut / "checkpoints").glob("*"))  # removed when the record landed


def test_the_interval_is_read_from_the_environment(monkeypatch):
    monkeypatch.delenv(INTERVAL_VARIABLE, raising=False)
    assert interval() == 300.0
    monkeypatch.setenv(INTERVAL_VARIABLE, "2.5")
    assert interval() == 2.5
    monkeypatch.setenv(INTERVAL_VARIABLE, "soon")
    with pytest.raises(ValueError, match="must be a number of seconds >= 0, got 'soon'"):
        interval()


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        ("trm/Sudoku4x4-Hard-v0", {"masking": "cell", "rules": "poster"}),
        ("trm/Sudoku4x4-Easy-v0", {"masking": "constraint"}),
        ("trm/Sudoku9x9-v0", {"masking": "constraint-edit", "rules": "poster"}),
        ("trm/Maze5x5-v0", {}),
        ("trm/MazePath8x8-v0", {}),
    ],
)
def test_an_env_taking_another_ones_state_goes_on_exactly_as_it(env_id, kwargs):
    import gymnasium as gym
    import numpy as np

    import envs  # noqa: F401 - registers the ids

    rng = np.random.default_rng(0)
    first = gym.make_vec(env_id, 6, vectorization_mode="vector_entry_point", **kwargs)
    _, info = first.reset(seed=3)
    for _ in range(20):  # some episodes end and restart on the way
        _, _, _, _, info = first.step(np.array([rng.choice(np.flatnonzero(m)) for m in info["action_mask"]]))
    state = first.unwrapped.get_state()
    second = gym.make_vec(env_id, 6, vectorization_mode="vector_entry_point", **kwargs)
    second.reset(seed=99)  # another state entirely, then the first one's
    second.unwrapped.set_state(state)
    for _ in range(40):
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in info["action_mask"]])
        a, b = first.step(actions), second.step(actions)
        for x, y in zip(a[:4], b[:4]):
            assert np.array_equal(x, y)
        assert np.array_equal(a[4]["action_mask"], b[4]["action_mask"]) and np.array_equal(a[4]["puzzle_index"], b[4]["puzzle_index"])
        info = a[4]
