"""SB3 agents behind the protocol: real training for a few hundred steps."""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

from agents.registry import make_agent
from agents.sb3 import ALGORITHMS, to_sb3_kwargs
from bench.evaluation import run_episodes
from sweeps.hyperparams import load_tuned

ENV = "trm/Sudoku4x4-Easy-v0"
SMALL = {
    "ppo": {"n_steps": 64, "batch_size": 32},
    "a2c": {"n_steps": 8},
    "dqn": {"learning_starts": 50, "buffer_size": 1000},
    "maskable-ppo": {"n_steps": 64, "batch_size": 32},
    "maskable-a2c": {"n_steps": 8},
    "maskable-dqn": {"learning_starts": 50, "buffer_size": 1000},
    "qrdqn": {"learning_starts": 50, "buffer_size": 1000, "policy_kwargs": {"n_quantiles": 5}},
}


pytestmark = pytest.mark.usefixtures("one_thread")


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
    assert agent.num_params() > 0 and agent.hyperparams == {"n_envs": 2, **SMALL[algo]}
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
    from agents.sb3 import ALGORITHMS, check_kwargs, check_values
    from sweeps.hyperparams import TUNED_DIR

    legacy = [p for p in TUNED_DIR.rglob("*.yaml") if len(p.relative_to(TUNED_DIR).parts) == 3]  # <family>/<env>/<algo>.yaml
    assert legacy  # the regime files (one folder deeper) are checked in tests/test_tune.py
    for path in legacy:
        algo = path.stem
        env_id = str(path.parent.relative_to(TUNED_DIR))
        params, source = load_tuned(env_id, algo, root=TUNED_DIR)
        assert algo in ALGORITHMS and source == f"sweeps/tuned/{env_id}/{algo}.yaml"
        check_kwargs(algo, params)
        check_values(algo, params)
        to_sb3_kwargs(params)
        assert make_agent(algo, **params).hyperparams == params


def test_tuned_params_are_handed_in_and_applied():
    params = {"n_steps": 32, "batch_size": 32, "policy_kwargs": {"net_arch": [16], "activation_fn": "relu"}}
    agent = make_agent("ppo", **params)
    assert agent.hyperparams == params and not hasattr(agent, "hyperparams_source")
    agent.learn(ENV, {}, 32, seed=0)
    policy = agent.model.policy
    assert agent.model.n_steps == 32 and policy.activation_fn is torch.nn.ReLU and policy.net_arch == [16]
    assert params["policy_kwargs"]["activation_fn"] == "relu"  # the agent's config stays plain YAML


def test_ppo_trm_resolves_its_extractor_by_name():
    from agents.trm_extractor import TRMExtractor

    agent = make_agent("ppo-trm", k_cycles=2, n_steps=32, batch_size=32)
    assert agent.hyperparams["policy_kwargs"]["features_extractor_class"] == "trm"
    assert to_sb3_kwargs(agent.hyperparams)["policy_kwargs"]["features_extractor_class"] is TRMExtractor
    with pytest.raises(ValueError, match="ppo-trm: policy_kwargs must be a mapping"):
        make_agent("ppo-trm", policy_kwargs="big")


def test_imports_go_one_way():
    """DESIGN section 1: no module of agents imports sweeps or bench; sweeps.hyperparams needs
    no torch (each checked in a fresh interpreter)."""
    agents_only = (
        "import importlib, pkgutil, sys, agents;"
        "[importlib.import_module(m.name) for m in pkgutil.walk_packages(agents.__path__, 'agents.')];"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('sweeps', 'bench')); assert not bad, bad"
    )
    no_torch = "import sys, sweeps.hyperparams; assert 'torch' not in sys.modules"
    root = Path(__file__).resolve().parent.parent
    for code in (agents_only, no_torch):
        subprocess.run([sys.executable, "-c", code], check=True, cwd=root, timeout=120)


@pytest.mark.parametrize(
    "algo,kwargs,message",
    [
        ("ppo", {"n_steps": "abc"}, "ppo: n_steps must be an int, got 'abc'"),
        ("ppo", {"n_steps": 64.0}, "ppo: n_steps must be an int, got 64.0"),
        ("ppo", {"learning_rate": "fast"}, "ppo: learning_rate must be a number or a schedule"),
        ("ppo", {"learning_rate": 0}, "ppo: learning_rate must be > 0"),
        ("ppo", {"normalize_advantage": 1}, "ppo: normalize_advantage must be true or false, got 1"),
        ("ppo", {"target_kl": "x"}, "ppo: target_kl must be a number or null, got 'x'"),
        ("ppo", {"n_envs": 0}, "ppo: n_envs must be a positive int, got 0"),
        ("ppo", {"n_envs": "4"}, "ppo: n_envs must be an int, got '4'"),
        ("a2c", {"n_steps": True}, "a2c: n_steps must be an int, got True"),
        ("dqn", {"exploration_fraction": 1.5}, "dqn: exploration_fraction must lie in [0, 1]"),
        ("dqn", {"learning_starts": -1}, "dqn: learning_starts must be a non-negative int"),
        ("qrdqn", {"policy_kwargs": {"n_quantiles": "x"}}, "qrdqn: policy_kwargs n_quantiles must be an int"),
        ("maskable-ppo", {"policy_kwargs": {"activation_fn": "rleu"}}, "did you mean 'relu'?"),
        ("ppo", {"policy_kwargs": {"net_arch": "big"}}, "ppo: policy_kwargs net_arch must be a list of ints or a mapping"),
    ],
)
def test_values_of_the_wrong_type_or_range_are_refused_in_the_constructor(algo, kwargs, message):
    with pytest.raises(ValueError) as err:
        make_agent(algo, **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_values_of_the_right_type_are_accepted():
    make_agent("ppo", learning_rate=lambda progress: 1e-3 * progress, clip_range_vf=None, n_steps=16, gamma=1)
    make_agent("dqn", train_freq=[1, "episode"], learning_rate=1)
    with pytest.raises(TypeError, match="does not take 'n_stepz'; did you mean 'n_steps'"):
        make_agent("ppo", n_stepz=3)
