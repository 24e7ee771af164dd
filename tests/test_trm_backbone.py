"""``backbone="trm"``: every SB3 agent on UPI-TRM's network (agents/trm_backbone.py), trained for
a few hundred steps on the Sudoku env."""

import numpy as np
import pytest
import torch

from agents.registry import make_agent, supports
from agents.upi_trm.boards import board_for_env
from agents.upi_trm.network import TinyRecursiveModel
from agents.upi_trm.upi import UPIConfig
from tests.test_sb3_agents import SMALL as SB3_SMALL
from tests.test_masked_baselines import states

ENV = "trm/Sudoku4x4-Easy-v0"
MASKING = {"masking": "constraint"}
SMALL = {name: kwargs for name, kwargs in SB3_SMALL.items() if name != "qrdqn"}  # QR-DQN has no TRM policy
ACTOR_CRITIC = ("ppo", "a2c", "maskable-ppo", "maskable-a2c")


@pytest.fixture(scope="module")
def trained():
    """Each algorithm trained once on the TRM (300 transitions, seed 0)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    agents = {}
    for algo, kwargs in SMALL.items():
        agents[algo] = make_agent(algo, n_envs=2, backbone="trm", **kwargs)
        agents[algo].learn(ENV, MASKING, 300, seed=0)
    yield agents
    torch.set_num_threads(threads)


def upi_trm_network() -> TinyRecursiveModel:
    """The network UPI-TRM builds for the env with its default config."""
    board = board_for_env(ENV)
    cfg = UPIConfig().for_board(board)
    return TinyRecursiveModel(board, cfg.latent_dim, cfg.contraction, cfg.radius)


@pytest.mark.parametrize("algo", sorted(SMALL))
def test_trains_on_the_trm_and_counts_its_parameters(algo, trained, tmp_path):
    agent = trained[algo]
    assert agent.steps_done() == 300
    reference = upi_trm_network()
    value_head = sum(p.numel() for p in reference.value_head.parameters())
    if algo in ACTOR_CRITIC:  # the TRM's core and both heads, nothing else
        assert agent.num_params() == reference.num_params() and agent.actor_params() == reference.num_params() - value_head
    else:  # the core and the per-cell head, online and target copies
        assert agent.actor_params() == reference.num_params() - value_head and agent.num_params() == 2 * agent.actor_params()
    obs, mask = states(MASKING)
    agent.save(tmp_path)
    again = make_agent(algo)
    again.load(tmp_path)
    assert np.array_equal(agent.predict(obs, mask), again.predict(obs, mask))


@pytest.mark.parametrize("algo", ["maskable-ppo", "maskable-a2c"])
def test_maskable_policies_put_no_probability_on_illegal_actions(algo, trained):
    policy = trained[algo].model.policy
    obs, mask = states(MASKING)
    with torch.no_grad():
        probs = policy.get_distribution(torch.as_tensor(np.concatenate([obs, mask], 1)).float(), mask).distribution.probs
    assert mask.any(axis=1).all() and (probs[~torch.as_tensor(mask)] == 0).all()
    assert torch.allclose(probs.sum(dim=1), torch.ones(len(obs)))


def test_maskable_dqn_acts_legally_on_the_trm(trained):
    agent = trained["maskable-dqn"]
    obs, mask = states(MASKING)
    agent.model.exploration_rate = 1.0
    for deterministic in (True, False):
        assert mask[np.arange(len(obs)), agent.predict(obs, mask, deterministic=deterministic)].all()


def test_the_policy_is_upi_trms_network_reading_the_same_inputs(trained):
    """The maskable policy's distribution and value are what UPI-TRM's forward pass gives for the
    same weights, observations and masks."""
    policy = trained["maskable-ppo"].model.policy
    obs, mask = states(MASKING)
    rows = torch.as_tensor(np.concatenate([obs, mask], 1)).float()
    with torch.no_grad():
        value, log_probs = policy.core.trm(torch.as_tensor(obs), torch.as_tensor(mask), UPIConfig().depth)
        distribution = policy.get_distribution(rows, mask).distribution
        values = policy.predict_values(rows)
    legal = torch.as_tensor(mask)
    assert torch.allclose(distribution.logits[legal], log_probs[legal], atol=1e-5)
    assert torch.allclose(values.squeeze(1), value) and policy.core.trm.value_scale == 16


def test_backbone_kwargs_reach_the_network_with_upi_trms_defaults():
    agent = make_agent("ppo", backbone="trm", latent_dim=8, depth=3, n_steps=32, batch_size=32)
    agent.learn(ENV, MASKING, 32, seed=0)
    core = agent.model.policy.core
    defaults = UPIConfig()
    assert core.depth == 3 and core.trm.embed.out_features == 8
    assert (core.trm.contraction, core.trm.radius) == (defaults.contraction, defaults.radius)


def test_maze_path_has_a_board_other_mazes_are_refused():
    agent = make_agent("ppo", backbone="trm", n_steps=16, batch_size=16)
    assert supports(agent, "trm/MazePath8x8-v0") and not supports(agent, "trm/Maze5x5-v0")
    assert supports(make_agent("ppo"), "trm/Maze5x5-v0")
    agent.learn("trm/MazePath8x8-v0", {}, 16, seed=0)
    assert agent.steps_done() == 16 and agent.num_params() > 0
    with pytest.raises(ValueError, match=r"^backbone 'trm' runs on sudoku, maze_path envs; trm/Maze5x5-v0 is a maze env$"):
        agent.learn("trm/Maze5x5-v0", {}, 16, seed=0)


@pytest.mark.parametrize(
    "algo,kwargs,message",
    [
        ("ppo", {"backbone": "trn"}, "ppo: unknown backbone 'trn'; did you mean 'trm'? (known: mlp, trm)"),
        ("dqn", {"backbone": "transformer"}, "dqn: unknown backbone 'transformer' (known: mlp, trm)"),
        ("a2c", {"backbone": 1}, "a2c: backbone must be a string, got 1"),
        ("ppo", {"depth": 3}, "ppo: depth configures the trm backbone; pass backbone=trm with it (the backbone is mlp)"),
        ("ppo", {"backbone": "mlp", "radius": 1.0}, "ppo: radius configures the trm backbone"),
        ("qrdqn", {"backbone": "trm"}, "qrdqn: no trm backbone for QRDQN"),
        ("ppo", {"backbone": "trm", "policy_kwargs": {"net_arch": [8]}}, "ppo: policy_kwargs configures the mlp backbone"),
        ("maskable-a2c", {"backbone": "trm", "depth": 0}, "maskable-a2c: depth must be >= 1, got 0"),
        ("dqn", {"backbone": "trm", "depth": "2"}, "dqn: depth must be an int, got '2'"),
        ("ppo", {"backbone": "trm", "contraction": -1}, "ppo: contraction must be > 0 or None, got -1"),
    ],
)
def test_bad_backbone_config_is_refused_in_the_constructor(algo, kwargs, message):
    with pytest.raises(ValueError) as err:
        make_agent(algo, **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)
