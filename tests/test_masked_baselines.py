"""Masked A2C and masked DQN (agents/masked_sb3.py): real SB3 training on the Sudoku env, every
action the env receives checked against the env's own mask."""

import copy

import gymnasium as gym
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from stable_baselines3.common.logger import Logger

from agents.masked_sb3 import NEXT_MASK, MaskableA2C, MaskableDQN, masked_td_target
from agents.registry import make_agent
from agents.sb3_vecenv import SB3VectorAdapter

ENV = "trm/Sudoku4x4-Easy-v0"
SMALL = {
    "maskable-a2c": {"n_steps": 8},
    "maskable-dqn": {"learning_starts": 50, "buffer_size": 1000, "exploration_fraction": 0.2},
}
"""A few hundred steps see A2C updates, and DQN's warm-up, epsilon and greedy phases."""
MASKINGS = [{"masking": "constraint"}, {"masking": "cell"}, {"masking": "cell", "rules": "poster"}]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def stepped(monkeypatch):
    """Whether each action the env received was legal under the env's mask at that moment."""
    legal: list[bool] = []
    step_async = SB3VectorAdapter.step_async

    def checked(self, actions):
        legal.extend(self.action_masks()[np.arange(self.num_envs), np.asarray(actions).reshape(-1)])
        step_async(self, actions)

    monkeypatch.setattr(SB3VectorAdapter, "step_async", checked)
    return legal


def states(env_kwargs: dict, n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` observations and masks from random legal play (episodes at every stage)."""
    env = gym.make_vec(ENV, 8, vectorization_mode="vector_entry_point", **env_kwargs)
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    seen_obs, seen_mask = [], []
    while sum(len(o) for o in seen_obs) < n:
        seen_obs.append(obs)
        seen_mask.append(info["action_mask"])
        actions = [rng.choice(np.flatnonzero(m)) if m.any() else 0 for m in info["action_mask"]]
        obs, _, _, _, info = env.step(np.array(actions))
    return np.concatenate(seen_obs)[:n], np.concatenate(seen_mask)[:n]


def trained(algo: str, env_kwargs: dict, seed: int = 0, steps: int = 300):
    agent = make_agent(algo, n_envs=2, **SMALL[algo])
    agent.learn(ENV, env_kwargs, steps, seed=seed)
    return agent


@pytest.mark.parametrize("env_kwargs", MASKINGS, ids=lambda k: "-".join(k.values()))
@pytest.mark.parametrize("algo", sorted(SMALL))
def test_no_illegal_action_is_ever_stepped(algo, env_kwargs, stepped):
    agent = trained(algo, env_kwargs)
    assert len(stepped) == agent.steps_done() == 300 and all(stepped)


@pytest.mark.parametrize("algo", ["a2c", "dqn"])
def test_the_check_sees_the_illegal_actions_of_the_unmasked_ones(algo, stepped):
    make_agent(algo, n_envs=2, **SMALL[f"maskable-{algo}"]).learn(ENV, {"masking": "constraint"}, 300, seed=0)
    assert len(stepped) == 300 and not all(stepped)


def test_masked_target_is_the_max_over_legal_next_actions():
    next_q = torch.tensor([[1.0, 1e6, 3.0], [2.0, 5.0, 1e6], [4.0, 0.0, 0.0]])
    mask = torch.tensor([[True, False, True], [True, True, False], [False, False, False]])
    rewards = torch.tensor([[0.5], [1.0], [0.0]])
    dones = torch.tensor([[0.0], [1.0], [0.0]])
    # legal max 3 -> 0.5 + 0.9 * 3; terminated -> r; no legal action -> max over all (4)
    expected = torch.tensor([[3.2], [1.0], [3.6]])
    assert torch.allclose(masked_td_target(next_q, mask, rewards, dones, 0.9), expected)


@pytest.mark.parametrize("next_legal_everywhere", [False, True])
def test_dqn_update_ignores_an_illegal_next_action_with_a_huge_q_value(next_legal_everywhere):
    venv = SB3VectorAdapter.make(ENV, 1, {"masking": "constraint"})
    model = MaskableDQN("MlpPolicy", venv, buffer_size=64, batch_size=16, seed=0, device="cpu")
    model.set_logger(Logger(folder=None, output_formats=[]))
    obs = venv.reset()
    mask = np.ones(64, dtype=bool)
    mask[7] = next_legal_everywhere
    for _ in range(16):
        model.replay_buffer.add(obs, obs, np.array([[3]]), np.array([0.0]), np.array([0.0]), [{NEXT_MASK: mask}])
    with torch.no_grad():
        model.q_net_target.q_net[-1].bias[7] = 1e6
    model.train(gradient_steps=1, batch_size=16)
    loss = model.logger.name_to_value["train/loss"]
    # Huber loss of Q(s, 3) against 0.99 * max Q_target(s', .): ~1e6 only if action 7 counts
    assert (loss > 1e5) if next_legal_everywhere else (loss < 10)


@pytest.mark.parametrize("algo", sorted(SMALL))
def test_predict_never_returns_an_illegal_action(algo):
    agent = trained(algo, {"masking": "cell"})
    obs, _ = states({"masking": "cell"})
    rng = np.random.default_rng(1)
    only = np.zeros((len(obs), 64), dtype=bool)
    only[np.arange(len(obs)), rng.integers(0, 64, len(obs))] = True  # one legal action per state
    if algo == "maskable-dqn":
        agent.model.exploration_rate = 1.0  # deterministic=False: every action a random one
    for deterministic in (True, False):
        assert np.array_equal(agent.predict(obs, only, deterministic=deterministic), only.argmax(axis=1))
    none_legal = agent.predict(obs[:3], np.zeros((3, 64), dtype=bool))  # no crash: any action
    assert none_legal.shape == (3,) and ((0 <= none_legal) & (none_legal < 64)).all()


@pytest.mark.parametrize("algo", sorted(SMALL))
def test_save_load_gives_the_same_greedy_actions(algo, tmp_path):
    agent = trained(algo, {"masking": "constraint"})
    obs, mask = states({"masking": "constraint"})
    agent.save(tmp_path)
    again = make_agent(algo)
    again.load(tmp_path)
    assert type(again.model) is type(agent.model)
    assert np.array_equal(agent.predict(obs, mask), again.predict(obs, mask))


@pytest.mark.parametrize("algo", sorted(SMALL))
def test_same_seed_same_parameters(algo):
    first, second, other = (trained(algo, {"masking": "constraint"}, seed=s).model.policy.state_dict() for s in (3, 3, 4))
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not all(torch.equal(first[k], other[k]) for k in first)


def test_masked_a2c_update_is_the_a2c_gradient_step():
    """One rollout, one update with plain SGD: the parameters move by -lr times the gradient of
    A2C's loss, computed here by hand from the rollout the update used."""
    venv = SB3VectorAdapter.make(ENV, 2, {"masking": "constraint"})
    venv.seed(0)
    sgd = {"optimizer_class": torch.optim.SGD, "optimizer_kwargs": {}}
    model = MaskableA2C("MlpPolicy", venv, n_steps=8, ent_coef=0.01, max_grad_norm=1e9, learning_rate=0.1, policy_kwargs=sgd, seed=0)
    model.set_logger(Logger(folder=None, output_formats=[]))
    before = copy.deepcopy(model.policy)
    model.learn(16)  # one rollout of 8 steps x 2 envs, then one update
    data = model.rollout_buffer  # flattened by the update, in rollout order
    values, log_prob, entropy = before.evaluate_actions(
        torch.as_tensor(data.observations),
        torch.as_tensor(data.actions).long().flatten(),
        action_masks=torch.as_tensor(data.action_masks),
    )
    advantages, returns = torch.as_tensor(data.advantages).flatten(), torch.as_tensor(data.returns).flatten()
    loss = -(advantages * log_prob).mean() + 0.5 * F.mse_loss(returns, values.flatten()) - 0.01 * entropy.mean()
    loss.backward()
    for (name, old), new in zip(before.named_parameters(), model.policy.parameters(), strict=True):
        assert torch.allclose(new, old - 0.1 * old.grad, atol=1e-6), name


@pytest.mark.parametrize(
    "algo,kwargs,error,message",
    [
        ("maskable-dqn", {"n_steps": 3}, ValueError, "maskable-dqn: n_steps must be 1, got 3"),
        ("maskable-dqn", {"optimize_memory_usage": True}, ValueError, "maskable-dqn: optimize_memory_usage must be False"),
        ("maskable-dqn", {"exploration_fraction": 2}, ValueError, "maskable-dqn: exploration_fraction must lie in [0, 1]"),
        ("maskable-a2c", {"use_rms_prop": 1}, ValueError, "maskable-a2c: use_rms_prop must be true or false, got 1"),
        ("maskable-a2c", {"n_steps": 0}, ValueError, "maskable-a2c: n_steps must be a positive int"),
        ("maskable-a2c", {"n_epochs": 4}, TypeError, "maskable-a2c does not take 'n_epochs'"),
        ("maskable-a2c", {"n_stepz": 4}, TypeError, "did you mean 'n_steps'?"),
    ],
)
def test_bad_kwargs_are_refused_in_the_constructor(algo, kwargs, error, message):
    with pytest.raises(error) as err:
        make_agent(algo, **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a2c_defaults_and_optimizer():
    model = MaskableA2C("MlpPolicy", SB3VectorAdapter.make(ENV, 1, {}), device="cpu")
    assert (model.n_steps, model.gae_lambda, model.normalize_advantage, model.n_epochs, model.batch_size) == (5, 1.0, False, 1, None)
    assert isinstance(model.policy.optimizer, torch.optim.RMSprop)
    assert model.policy.optimizer.defaults["eps"] == 1e-5 and model.policy.optimizer.defaults["alpha"] == 0.99


@pytest.mark.parametrize("agent", ["maskable-ppo", "maskable-a2c", "maskable-dqn"])
def test_a_masked_agent_without_a_mask_is_refused_in_one_line(agent, capsys, tmp_path):
    from bench.cli import main

    argv = ["run", "--agent", agent, "--steps", "64", "--results", str(tmp_path)]
    assert main([*argv, "--env", "trm/Sudoku4x4-Easy-v0", "--env-kwargs", "masking=none"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(f"agent {agent!r} acts only among the legal actions of a mask; trm/Sudoku4x4-Easy-v0 with masking=none gives none (choose a masking, or the unmasked agent)")
    assert len(err.splitlines()) == 1
    assert main([*argv, "--env", "trm/MazeOpen5x5-v0"]) == 2  # the open grid's default masking is none
    assert "MazeOpen5x5-v0 with masking=none" in capsys.readouterr().err
    assert not list(tmp_path.rglob("*.json"))  # refused before any training


def test_tuning_a_masked_agent_without_a_mask_is_refused(capsys):
    from bench.cli import main

    assert main(["tune", "--agents", "maskable-ppo", "--env", "trm/MazeOpen5x5-v0", "--storage", "sqlite:///:memory:"]) == 2
    assert "acts only among the legal actions of a mask" in capsys.readouterr().err
