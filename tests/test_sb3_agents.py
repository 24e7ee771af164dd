"""SB3 agents behind the protocol: real training for a few hundred steps."""

import tempfile

import numpy as np
import pytest
import torch

from agents.registry import make_agent
from agents.sb3 import ALGORITHMS
from bench.evaluation import run_episodes
from sweeps.hyperparams import load_tuned, to_sb3_kwargs

ENV = "trm/Sudoku4x4-Easy-v0"
SMALL = {
    "ppo": {"n_steps": 64, "batch_size": 32},
    "a2c": {"n_steps": 8},
    "dqn": {"learning_starts": 50, "buffer_size": 1000},
    "maskable-ppo": {"n_steps": 64, "batch_size": 32},
    "qrdqn": {"learning_starts": 50, "buffer_size": 1000, "policy_kwargs": {"n_quantiles": 5}},
}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("algo", sorted(ALGORITHMS))
def test_trains_predicts_saves_and_loads(algo, tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    agent = make_agent(algo, n_envs=2, **SMALL[algo])
    seen = []
    agent.learn(ENV, {"masking": "cell"}, 300, seed=0, callback=seen.append)
    assert not list(scratch.glob("SB3-*"))  # no logger folder left in the temp directory
    assert 300 <= agent.steps_done() < 300 + 2 and seen[-1] == agent.steps_done()
    assert agent.num_params() > 0 and agent.hyperparams_source.startswith("sb3-defaults")
    result = run_episodes(ENV, {"split": "test", "masking": "cell"}, lambda o, m: agent.predict(o, m), np.arange(8))
    agent.save(tmp_path)
    again = make_agent(algo)
    again.load(tmp_path)
    result2 = run_episodes(ENV, {"split": "test", "masking": "cell"}, lambda o, m: again.predict(o, m), np.arange(8))
    assert np.array_equal(result.score, result2.score) and again.num_params() == agent.num_params()


def test_same_seed_same_policy():
    def train():
        agent = make_agent("ppo", **SMALL["ppo"])
        agent.learn(ENV, {}, 256, seed=3)
        obs = np.eye(128, dtype=np.int8)[:16]
        return agent.model.policy.evaluate_actions(torch.as_tensor(obs).float(), torch.zeros(16))[1]

    assert torch.equal(train(), train())


def test_tuned_file_is_read_and_named(tmp_path):
    path = tmp_path / ENV / "ppo.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("study: s\nparams:\n  n_steps: 32\n  policy_kwargs: {net_arch: [16], activation_fn: relu}\n")
    params, source = load_tuned(ENV, "ppo", root=tmp_path)
    assert params["n_steps"] == 32 and source == str(path)
    assert to_sb3_kwargs(params)["policy_kwargs"]["activation_fn"] is torch.nn.ReLU
    assert load_tuned(ENV, "a2c", root=tmp_path) == ({}, "sb3-defaults")
    path.write_text("- not a mapping\n")
    with pytest.raises(ValueError, match="expected a mapping"):
        load_tuned(ENV, "ppo", root=tmp_path)


def test_committed_tuned_files_are_valid():
    from agents.sb3 import ALGORITHMS, check_kwargs
    from sweeps.hyperparams import TUNED_DIR

    for path in TUNED_DIR.rglob("*.yaml"):
        algo = path.stem
        env_id = str(path.parent.relative_to(TUNED_DIR))
        params, source = load_tuned(env_id, algo, root=TUNED_DIR)
        assert algo in ALGORITHMS and source == f"sweeps/tuned/{env_id}/{algo}.yaml"
        check_kwargs(algo, params)
        to_sb3_kwargs(params)
