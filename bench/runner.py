"""One run, start to finish: resolve the tuned hyperparameters, build the agent, train within
the budget, evaluate, record.

A run is ``(agent, agent config, env id, env kwargs, budget, seed)`` plus the evaluation
settings; its key hashes these (the run's identity: the same run in two tables is one record).
Its record also stores the versions of the code it depends on (:mod:`bench.versions`), so a
record whose code changed is *stale*, not lost (DESIGN section 6). The runner owns seeding,
evaluation (one protocol for every agent) and the record's contents.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from agents.registry import Agent, make_agent, mask_problem, supports
from bench import versions
from bench.checkpoints import CHECKPOINT_FOLDER, RunCheckpoint
from bench.checkpoints import interval as checkpoint_interval
from bench.evaluation import DEFAULT_EPISODES, EpisodeResults, run_episodes
from bench.store import ResultStore
from envs import num_instances
from sweeps.hyperparams import TunedFileError, resolve_tuned, tuned_dir

CURVE_FRACTIONS = (0.25, 0.5, 0.75)
"""Budget fractions at which the learning curve is evaluated (the final point is the result)."""
PACKAGES = ("numpy", "torch", "gymnasium", "stable_baselines3", "sb3_contrib")


class Spec(Protocol):
    """What the executors and the store need of a run's spec (RunSpec, SupervisedSpec)."""

    def key(self) -> str:
        """Content hash of the run's identity (its fields, no code version)."""

    def components(self) -> dict[str, str]:
        """Current version of each component of the code the run depends on."""

    def label(self) -> str:
        """Short human-readable name."""

    def execute(self, progress_position: int | None = None, checkpoints: Path | None = None) -> dict[str, Any]:
        """Compute the run's record (resuming from its checkpoint in ``checkpoints`` where it can)."""


@dataclass(frozen=True)
class RunSpec:
    """Everything that decides a run's outcome (and so its key)."""

    agent: str
    env_id: str
    steps: int
    seed: int
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    agent_config: dict[str, Any] = field(default_factory=dict)
    episodes: int = DEFAULT_EPISODES
    splits: tuple[str, ...] = ("test",)
    probe_depths: tuple[int, ...] = ()
    """Depths for the depth-drift probe (agents with ``depth_drift`` only; empty: no probe)."""
    sampled_eval: bool = False
    """Also evaluate with sampled actions, as ``<split>-sampled`` metrics (the TRM README scored
    its maze agents on sampled episodes)."""

    def key(self) -> str:
        """Content hash of the spec's fields (24 hex digits): the run's identity."""
        payload = json.dumps({"spec": asdict(self)}, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:24]

    def components(self) -> dict[str, str]:
        """Versions of the env family's code, the agent's code, the tuned hyperparameters it
        uses and the protocol (:mod:`bench.versions`)."""
        return {
            "env": versions.env_version(self.env_id),
            "agent": versions.agent_version(self.agent),
            "tuned": versions.data_version(tuned_params(self)[0]),
            "protocol": versions.protocol_version("rl"),
        }

    def label(self) -> str:
        """Short human-readable name: agent on env (kwargs), seed."""
        kwargs = " ".join(f"{k}={v}" for k, v in sorted(self.env_kwargs.items()))
        return f"{self.agent} on {self.env_id}{f' [{kwargs}]' if kwargs else ''} seed {self.seed}"

    def execute(self, progress_position: int | None = None, checkpoints: Path | None = None) -> dict[str, Any]:
        """Train and evaluate; return the record (not yet stored). See :func:`run`."""
        return run(self, progress_position, checkpoints)


def tuned_params(spec: RunSpec) -> tuple[dict[str, Any], str]:
    """The tuned hyperparameters ``spec`` starts from and their source: the file of its env id
    and regime (masking, rules), never another regime's (:func:`sweeps.hyperparams.resolve_tuned`).

    :raises RuntimeError: a tuned file made for another agent, env, regime or search space (one
        line naming it; the commands report it with exit status 2, before any training).
    """
    config = json.dumps([spec.env_kwargs, spec.agent_config], sort_keys=True, default=str)
    params, source = _tuned(spec.agent, spec.env_id, config, str(tuned_dir()))
    return copy.deepcopy(params), source


@lru_cache(maxsize=None)
def _tuned(agent: str, env_id: str, config: str, root: str) -> tuple[dict[str, Any], str]:
    """:func:`tuned_params`, cached per (agent, env id, JSON of env kwargs and agent config, root)."""
    env_kwargs, agent_config = json.loads(config)
    try:
        return resolve_tuned(agent, env_id, env_kwargs, agent_config, Path(root))
    except TunedFileError as err:
        raise RuntimeError(str(err)) from err


def evaluation_puzzles(num_puzzles: int, episodes: int, seed: int) -> np.ndarray:
    """The fixed puzzle list of a seed: ``episodes`` distinct puzzles drawn with ``seed``
    (all of them, in order, when the split has no more than ``episodes``; repeats beyond)."""
    if episodes >= num_puzzles:
        extra = np.random.default_rng(seed).choice(num_puzzles, episodes - num_puzzles)
        return np.concatenate([np.arange(num_puzzles), extra])
    return np.sort(np.random.default_rng(seed).choice(num_puzzles, episodes, replace=False))


def split_size(env_id: str, env_kwargs: dict[str, Any], split: str) -> int:
    """Number of puzzles the env draws from for ``split``."""
    if env_kwargs.get("puzzles") is not None:
        raise ValueError("runs evaluate on the env's own splits; 'puzzles' is for direct env use")
    return num_instances(env_id, split, env_kwargs.get("seed", 0))


def evaluate(agent: Agent, spec: RunSpec, split: str, deterministic: bool = True) -> EpisodeResults:
    """The protocol: the seed's fixed puzzle list of ``split``, greedy actions unless
    ``deterministic=False``."""
    kwargs = dict(spec.env_kwargs, split=split)
    puzzles = evaluation_puzzles(split_size(spec.env_id, kwargs, split), spec.episodes, spec.seed)
    return run_episodes(
        spec.env_id, kwargs, lambda obs, mask: agent.predict(obs, mask, deterministic=deterministic), puzzles, spec.seed
    )


def summarize(results: EpisodeResults) -> dict[str, float]:
    """Plain metric names of one split: success, score, delta, stalled (share of steps that
    changed nothing), episodes."""
    return {
        "success": results.success,
        "score": results.mean_score,
        "delta": results.mean_delta,
        "stalled": results.stall_share,
        "episodes": int(len(results.solved)),
    }


def run(spec: RunSpec, progress_position: int | None = None, checkpoints: Path | None = None) -> dict[str, Any]:
    """Train and evaluate ``spec``; return its record (not yet stored). With ``checkpoints`` (a
    folder) an agent that can resume (``resumable``) checkpoints there as it trains, and a run
    whose checkpoint is found continues from it (:mod:`bench.checkpoints`)."""
    from tqdm.auto import tqdm

    torch.manual_seed(spec.seed)
    np.random.seed(spec.seed)
    tuned, source = tuned_params(spec)
    agent = make_agent(spec.agent, **(tuned | spec.agent_config))
    if not supports(agent, spec.env_id):
        raise ValueError(f"agent {spec.agent!r} cannot play {spec.env_id} (it plays {agent.env_families} envs)")
    problem = mask_problem(agent, spec.agent, spec.env_id, spec.env_kwargs)
    if problem:
        raise ValueError(problem)
    # the runner's progress, as a checkpoint stores it: curve points, marks left, seconds spent
    progress: dict[str, Any] = {
        "curve": [], "marks": [int(f * spec.steps) for f in CURVE_FRACTIONS if int(f * spec.steps) > 0],
        "eval_time": 0.0, "train_time": 0.0,
    }
    checkpoint = None
    if checkpoints is not None and getattr(agent, "resumable", False):
        checkpoint = RunCheckpoint(checkpoints / f"{spec.key()}.pt", lambda: runner_state(), checkpoint_interval())
        saved = checkpoint.load()
        if saved is not None:
            progress |= saved
            print(f"{spec.label()}: resuming from its checkpoint", file=sys.stderr, flush=True)
    started, eval_before, train_before = time.perf_counter(), progress["eval_time"], progress["train_time"]

    def runner_state() -> dict[str, Any]:
        """The progress now: training time = before this session + this session's, less its evaluations."""
        session_eval = progress["eval_time"] - eval_before
        return progress | {"train_time": train_before + time.perf_counter() - started - session_eval}

    curve, marks = progress["curve"], progress["marks"]
    bar = tqdm(
        total=spec.steps, desc=spec.label(), position=progress_position, leave=False, disable=None,
        unit="step", unit_scale=True,
    )

    def on_progress(steps_done: int) -> None:
        bar.update(max(0, min(steps_done, spec.steps) - bar.n))
        while marks and steps_done >= marks[0]:
            start = time.perf_counter()
            curve.append({"steps": marks.pop(0), **summarize(evaluate(agent, spec, "test"))})
            progress["eval_time"] += time.perf_counter() - start

    extra = {"checkpoint": checkpoint} if checkpoint is not None else {}
    agent.learn(spec.env_id, dict(spec.env_kwargs), spec.steps, spec.seed, on_progress, **extra)
    train_time = runner_state()["train_time"]
    eval_time = progress["eval_time"]
    bar.close()
    start = time.perf_counter()
    metrics = {split: summarize(evaluate(agent, spec, split)) for split in spec.splits}
    if spec.sampled_eval:
        metrics |= {f"{split}-sampled": summarize(evaluate(agent, spec, split, False)) for split in spec.splits}
    eval_time += time.perf_counter() - start
    drift = None
    if spec.probe_depths:
        if not hasattr(agent, "depth_drift"):
            raise ValueError(f"agent {spec.agent!r} has no depth-drift probe")
        test_kwargs = dict(spec.env_kwargs, split="test")
        puzzles = evaluation_puzzles(split_size(spec.env_id, test_kwargs, "test"), spec.episodes, spec.seed)
        drift = agent.depth_drift(spec.env_id, spec.env_kwargs, puzzles, list(spec.probe_depths))
    steps_done = agent.steps_done() if hasattr(agent, "steps_done") else spec.steps
    curve.append({"steps": steps_done, **metrics["test" if "test" in metrics else spec.splits[0]]})
    return {
        "key": spec.key(),
        "spec": asdict(spec),
        "label": spec.label(),
        "metrics": metrics,
        "curve": curve,
        "drift": drift,
        "steps_done": steps_done,
        "checker_calls": int(getattr(agent, "checker_calls", 0)),
        "training_log": agent.training_log() if hasattr(agent, "training_log") else None,
        "params": agent.num_params(),
        "actor_params": agent.actor_params() if hasattr(agent, "actor_params") else agent.num_params(),
        "hyperparams": getattr(agent, "hyperparams", tuned | spec.agent_config),
        "hyperparams_source": (source if tuned else "agent defaults") + (" + overrides" if spec.agent_config else ""),
        "train_time_s": train_time,
        "eval_time_s": eval_time,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **provenance(spec),
    }


def provenance(spec: Spec) -> dict[str, Any]:
    """What every record says about where it was computed: the versions of the code it depends
    on, package versions, machine (with the CPU capability torch's kernels used: results agree
    bit for bit only on the same capability), command."""
    machine = {
        "platform": platform.platform(),
        "cpus": _cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }
    return {
        "components": spec.components(),
        "versions": {"python": platform.python_version(), **{p: version(p.replace("_", "-")) for p in PACKAGES}},
        "machine": machine,
        "command": " ".join(sys.argv),
    }


def run_and_store(spec: Spec, root: str, progress_position: int | None = None) -> dict[str, Any]:
    """Execute ``spec`` (a :class:`RunSpec` or any spec with ``key``, ``label`` and ``execute``,
    e.g. :class:`bench.supervised.SupervisedSpec`) and write its record under ``root`` (what
    every executor calls)."""
    checkpoints = Path(root) / CHECKPOINT_FOLDER
    record = json.loads(json.dumps(spec.execute(progress_position, checkpoints)))  # exactly what the file holds
    ResultStore(root).put(record)
    (checkpoints / f"{spec.key()}.pt").unlink(missing_ok=True)
    return record


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
