"""UPI-TRM is a function of its seed: two short real trainings with the same seed give the same
network bit for bit (and so the same greedy actions), another seed gives another network."""

import gymnasium as gym
import numpy as np
import pytest
import torch

import envs  # noqa: F401  (registers the trm/... ids)
from agents.registry import make_agent

ENV_ID = "trm/Sudoku4x4-Easy-v0"
STEPS = 256
CONFIG = {"num_envs": 16, "rollout_steps": 8, "epochs": 2, "latent_dim": 16, "minibatch_size": 64}
"""Two iterations of 16 x 8 transitions, small enough for a few seconds on one thread."""


pytestmark = pytest.mark.usefixtures("one_thread")


def trained(seed):
    agent = make_agent("upi-trm", **CONFIG)
    agent.learn(ENV_ID, {}, STEPS, seed)
    return agent


def held_out_states(num_envs=32, steps=3):
    """Test-split observations and masks, from the start and after a few random legal edits."""
    vec = gym.make_vec(ENV_ID, num_envs, vectorization_mode="vector_entry_point", split="test")
    rng = np.random.default_rng(7)
    obs, info = vec.reset(seed=100)
    seen_obs, seen_mask = [], []
    for _ in range(steps):
        seen_obs.append(obs)
        seen_mask.append(info["action_mask"])
        obs, _, _, _, info = vec.step(np.argmax(info["action_mask"] * rng.random(info["action_mask"].shape), axis=1))
    vec.close()
    return np.concatenate(seen_obs), np.concatenate(seen_mask)


def test_same_seed_same_network_and_predictions_other_seed_other_network():
    first = trained(3)
    # disturb every global generator between the runs: only the seed may matter
    torch.manual_seed(12345)
    np.random.seed(12345)
    torch.rand(17)
    second = trained(3)
    other = trained(4)

    assert first.steps_done() == second.steps_done() == STEPS
    assert first.checker_calls == second.checker_calls > 0
    a, b, c = first.net.state_dict(), second.net.state_dict(), other.net.state_dict()
    assert a.keys() == b.keys() == c.keys() and len(a) > 0
    for name in a:
        assert torch.equal(a[name], b[name]), f"{name} differs between two runs with the same seed"
    assert first.training_log() == second.training_log()
    assert any(not torch.equal(a[name], c[name]) for name in a), "seed 4 trained the same network as seed 3"

    obs, mask = held_out_states()
    greedy = first.predict(obs, mask)
    assert np.array_equal(greedy, second.predict(obs, mask))
    assert np.all(mask[np.arange(len(obs)), greedy])  # greedy actions are legal
    # the probabilities themselves agree exactly, not only their argmax
    with torch.no_grad():
        _, logp_a = first.net(torch.as_tensor(obs), torch.as_tensor(mask), first.config.depth)
        _, logp_b = second.net(torch.as_tensor(obs), torch.as_tensor(mask), second.config.depth)
    assert torch.equal(logp_a, logp_b)


def test_training_moves_the_network_away_from_its_seeded_start():
    """Identical networks are not trivially identical: the run changed every run's weights."""
    agent = trained(3)
    start = make_agent("upi-trm", **CONFIG)
    start.learn(ENV_ID, {}, 0, 3)  # a budget below one iteration: the seeded initial network only
    assert start.steps_done() == 0
    moved = [name for name, w in agent.net.state_dict().items() if not torch.equal(w, start.net.state_dict()[name])]
    assert len(moved) > 0
