"""Throughput benchmarks (``bench perf``): numbers measured on this machine, never asserted in tests."""

from __future__ import annotations

import time
from collections.abc import Callable

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import DummyVecEnv

import envs
from agents.references import sample_masked


def _rate(step: Callable[[], int], seconds: float) -> float:
    """Transitions per second of repeated ``step()`` calls (each returns its transition count),
    timed for about ``seconds`` after one warm-up call."""
    step()
    done, start = 0, time.perf_counter()
    while done == 0 or time.perf_counter() - start < seconds:
        done += step()
    return done / (time.perf_counter() - start)


def single_env_rate(env_id: str, masking: str, seconds: float) -> float:
    """Steps/s of one ``gym.make`` env (default wrappers; ``step`` and ``reset`` timed) driven by
    random legal actions drawn outside the timed region."""
    env = gym.make(env_id, masking=masking)
    rng = np.random.default_rng(0)
    state = {"info": env.reset(seed=0)[1], "elapsed": 0.0, "steps": 0}

    def step() -> int:
        action = int(sample_masked(state["info"]["action_mask"][None], rng)[0])
        start = time.perf_counter()
        _, _, terminated, truncated, state["info"] = env.step(action)
        if terminated or truncated:
            state["info"] = env.reset()[1]
        state["elapsed"] += time.perf_counter() - start
        state["steps"] += 1
        return 1

    _rate(step, seconds)
    return state["steps"] / state["elapsed"]


def vector_env_rate(env_id: str, masking: str, num_envs: int, seconds: float) -> float:
    """Env steps/s of the batched vector env (observations, masks and autoreset included),
    random legal actions drawn outside the timed region."""
    vec = gym.make_vec(env_id, num_envs, vectorization_mode="vector_entry_point", masking=masking)
    rng = np.random.default_rng(0)
    _, info = vec.reset(seed=0)
    state = {"info": info, "elapsed": 0.0, "steps": 0}

    def step() -> int:
        actions = sample_masked(state["info"]["action_mask"], rng)
        start = time.perf_counter()
        _, _, _, _, state["info"] = vec.step(actions)
        state["elapsed"] += time.perf_counter() - start
        state["steps"] += num_envs
        return num_envs

    _rate(step, seconds)
    return state["steps"] / state["elapsed"]


def sb3_random_rate(env_id: str, masking: str, seconds: float) -> float:
    """Steps/s of SB3's ``DummyVecEnv`` around one env with uniform random actions
    (``action_space.sample()``): the loop an SB3 agent's env side runs."""
    vec = DummyVecEnv([lambda: gym.make(env_id, masking=masking)])
    vec.seed(0)
    vec.reset()
    space = vec.action_space
    space.seed(0)

    def step() -> int:
        vec.step(np.array([space.sample()]))
        return 1

    return _rate(step, seconds)


MASKINGS_MEASURED = {"sudoku": ("constraint", "cell"), "maze": ("moves", "none"), "maze_path": ("cells", "none")}
"""Masking regimes measured per env family (the default first)."""


def env_throughput(env_ids: list[str], num_envs: int, seconds: float) -> list[dict[str, object]]:
    """One row per (env id, masking regime of its family) with the three rates."""
    rows = []
    for env_id in env_ids:
        for masking in MASKINGS_MEASURED[envs.family(env_id)]:
            rows.append(
                {
                    "env": env_id,
                    "masking": masking,
                    "single": single_env_rate(env_id, masking, seconds),
                    f"vector x{num_envs}": vector_env_rate(env_id, masking, num_envs, seconds),
                    "sb3 DummyVecEnv random": sb3_random_rate(env_id, masking, seconds),
                }
            )
    return rows


TRAIN_AGENTS = ("ppo", "a2c", "dqn", "maskable-ppo", "qrdqn", "upi-trm")
TRAIN_ENVS = ("trm/Sudoku4x4-Easy-v0", "trm/Sudoku9x9-v0")


def training_throughput(agents: list[str], env_ids: list[str], steps: int) -> list[dict[str, object]]:
    """Env transitions per second of each agent's ``learn`` (one torch thread, its tuned or
    default hyperparameters), and the runner's own overhead for that run (everything in
    :func:`bench.runner.run` that is neither training nor evaluation)."""
    import tempfile

    import torch

    from bench.runner import RunSpec, run_and_store

    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as root:
        for env_id in env_ids:
            for agent in agents:
                start = time.perf_counter()
                record = run_and_store(RunSpec(agent, env_id, steps, 0, episodes=10), root)
                total = time.perf_counter() - start
                overhead = total - record["train_time_s"] - record["eval_time_s"]
                rows.append(
                    {
                        "env": env_id,
                        "agent": agent,
                        "train steps/s": record["steps_done"] / record["train_time_s"],
                        "train s": record["train_time_s"],
                        "eval s": record["eval_time_s"],
                        "runner overhead s": overhead,
                        "overhead %": 100 * overhead / total,
                    }
                )
    return rows
