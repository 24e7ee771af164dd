"""Agents on the maze envs: the TRM features extractor, PPO on it, sampled evaluation, and
clear errors for agents that only play Sudoku."""

import gymnasium as gym
import pytest
import torch

import envs  # noqa: F401
from agents.registry import make_agent
from agents.trm_extractor import TRMExtractor
from bench.cli import main
from bench.store import ResultStore


def test_trm_extractor_shares_weights_across_cycles():
    space = gym.make("trm/Maze8x8-v0").observation_space
    torch.manual_seed(0)
    k3 = TRMExtractor(space, k_cycles=3)
    k5 = TRMExtractor(space, k_cycles=5)
    k5.load_state_dict(k3.state_dict())  # same parameters: K only changes the loop
    x = torch.randint(0, 2, (4, space.n)).float()
    assert k3(x).shape == (4, 64)
    assert not torch.allclose(k3(x), k5(x))
    with pytest.raises(ValueError, match="k_cycles"):
        TRMExtractor(space, k_cycles=0)


def test_ppo_trm_trains_on_the_readme_maze_and_reports_sampled_success(tmp_path, capsys):
    argv = [
        "run", "--agent", "ppo-trm", "--env", "trm/MazeOpen5x5-v0", "--steps", "256",
        "--agent-kwargs", "k_cycles=5", "n_steps=128", "batch_size=64", "--episodes", "20",
        "--sampled-eval", "--results", str(tmp_path),
    ]
    assert main(argv) == 0
    records = ResultStore(tmp_path).all()
    assert len(records) == 1
    record = records[0]
    assert record["params"] > 0 and record["hyperparams"]["policy_kwargs"]["features_extractor_kwargs"] == {"k_cycles": 5}
    assert set(record["metrics"]) == {"test", "test-sampled"}
    assert record["steps_done"] >= 256 and record["metrics"]["test"]["episodes"] == 20
    assert "test-sampled/success" in capsys.readouterr().out


def test_sudoku_only_agents_are_refused_on_mazes(tmp_path, capsys):
    argv = ["run", "--agent", "most-constrained", "--env", "trm/Maze8x8-v0", "--steps", "10", "--results", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "cannot play ['trm/Maze8x8-v0']" in err and "Traceback" not in err


@pytest.mark.parametrize("env_id", ["trm/MazeOpen5x5-v0", "trm/Maze8x8-v0", "trm/Maze10x10-v0", "trm/MazePath8x8-v0", "trm/MazePath10x10-v0"])
def test_shortest_path_ceiling_solves_every_held_out_maze(env_id, tmp_path):
    from bench.runner import RunSpec, evaluate

    trained = make_agent("shortest-path")
    trained.learn(env_id, {}, 0, 0)
    trained.save(tmp_path)
    agent = make_agent("shortest-path")
    agent.load(tmp_path)  # the family travels with the checkpoint
    spec = RunSpec("shortest-path", env_id, 0, 0, episodes=100)
    results = evaluate(agent, spec, "test")
    assert results.success == 1.0
    assert (results.length == -results.initial_score).all() or "Path" in env_id


def test_actor_parameters_match_the_readme_mlp():
    """The README's MLP is 25 -> 128 -> 128 -> 4; PPO's actor with the same layers has its
    parameter count, whatever the critic adds."""
    agent = make_agent("ppo", policy_kwargs={"net_arch": {"pi": [128, 128], "vf": [128, 128]}}, n_steps=64, batch_size=32)
    agent.learn("trm/MazeOpen5x5-v0", {}, 64, 0)
    expected = (25 * 128 + 128) + (128 * 128 + 128) + (128 * 4 + 4)
    assert agent.actor_params() == expected < agent.num_params()
