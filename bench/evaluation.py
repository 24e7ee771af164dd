"""One evaluation protocol for every policy: fixed puzzles, batched episodes, plain metrics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

import envs  # noqa: F401 - registers the ids

DEFAULT_EPISODES = 50
"""Evaluation episodes per split of a run when nothing else is said (the one home of this default)."""
BatchPolicy = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``policy(obs (B, D), action_mask (B, A)) -> actions (B,)``."""


@dataclass(frozen=True)
class EpisodeResults:
    """Outcome of one episode per evaluated puzzle, each array ``(E,)``."""

    puzzle_index: np.ndarray
    solved: np.ndarray
    score: np.ndarray
    initial_score: np.ndarray
    length: np.ndarray
    stalled: np.ndarray
    """Steps whose action left the observation unchanged (a rewrite of the same digit, a masked
    no-op, a move into a wall): a deterministic policy that stalls once stalls to the horizon."""

    @property
    def success(self) -> float:
        """Share of episodes solved."""
        return float(self.solved.mean())

    @property
    def mean_score(self) -> float:
        """Mean checker score at episode end."""
        return float(self.score.mean())

    @property
    def mean_delta(self) -> float:
        """Mean of score minus initial score."""
        return float((self.score - self.initial_score).mean())

    @property
    def stall_share(self) -> float:
        """Mean over episodes of the share of their steps that changed nothing."""
        return float((self.stalled / np.maximum(self.length, 1)).mean())


def run_episodes(
    env_id: str,
    env_kwargs: dict[str, Any],
    policy: BatchPolicy,
    puzzle_indices: Sequence[int],
    seed: int = 0,
) -> EpisodeResults:
    """Play one episode from each puzzle of ``puzzle_indices``, all in one vector env batch.

    Episodes that end early keep stepping (their autoreset continuation is ignored); the first
    ending of each sub-env is what counts. A step stalls when the observation after it (on the
    last step, ``info["final_obs"]``) equals the one before it.
    """
    indices = np.asarray(puzzle_indices, dtype=np.int64)
    num = len(indices)
    vec = gym.make_vec(env_id, num, vectorization_mode="vector_entry_point", **env_kwargs)
    obs, info = vec.reset(seed=seed, options={"puzzle_index": indices})
    finished = np.zeros(num, dtype=bool)
    stalled = np.zeros(num, dtype=np.int64)
    out = {k: np.zeros(num, dtype=np.int64) for k in ("solved", "score", "initial_score", "steps")}
    while not finished.all():
        before = obs
        obs, _, terminated, truncated, info = vec.step(policy(obs, info["action_mask"]))
        ended = terminated | truncated
        after = np.where(ended[:, None], info["final_obs"], obs) if ended.any() else obs
        stalled += ~finished & (after == before).all(axis=1)
        newly = ended & ~finished
        if newly.any():
            for key, values in out.items():
                values[newly] = info["final_info"][key][newly]
            finished |= newly
    vec.close()
    return EpisodeResults(
        puzzle_index=indices,
        solved=out["solved"].astype(bool),
        score=out["score"],
        initial_score=out["initial_score"],
        length=out["steps"],
        stalled=stalled,
    )


def random_legal_play(env_id: str, env_kwargs: dict[str, Any], puzzle_indices: Sequence[int], seed: int = 0) -> EpisodeResults:
    """The floor: one episode from each of ``puzzle_indices`` played uniformly over the legal
    actions (the mask), seeded by ``seed``."""
    from agents.references import sample_masked

    rng = np.random.default_rng(seed)
    return run_episodes(env_id, env_kwargs, lambda obs, mask: sample_masked(mask, rng), puzzle_indices, seed)
