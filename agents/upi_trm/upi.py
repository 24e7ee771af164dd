"""UPI-TRM: unrolled policy iteration for a Tiny Recursive Model, from checker feedback alone.

One file, top to bottom (CleanRL style): the config, then the training loop of the poster:

1. collect transitions with the current (distilled, conservative) policy on the batched env;
2. regress the value ``U_n`` onto stop-gradient K-step bootstrap targets of an EMA target net;
3. advantages statewise centred with the exact baseline ``sum_a pi(a|s) Q(s,a)``, where
   ``Q(s,a) = r(s,a) + gamma * U_n(s')`` comes from a one-step lookahead through the known edit
   and the checker, batched over the legal actions (each a counted checker call, not a
   transition); on large boards over a subset drawn from pi, the others keeping advantage 0;
4. candidate policy from the advantages, ``pi_cand ~ pi exp(A / T)`` over the legal actions (a
   mirror-descent step: small but consistent advantages compound over iterations instead of
   being re-derived from scratch each time), conservative mixture
   ``(1-alpha) pi + alpha pi_cand``, distilled into the network by minimising
   ``KL(mixture || pi_phi)``.

The agent never sees a solution: rewards and lookahead come from the checker only.
"""

from __future__ import annotations

import copy
import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F

from agents.registry import Checkpoint
from agents.upi_trm.boards import Board
from agents.upi_trm.network import TinyRecursiveModel
from envs import facts


@dataclass
class UPIConfig:
    """Dials of the poster (L_z, n, R, K, alpha) and the training knobs."""

    contraction: float | None = 0.9
    """L_z: Lipschitz target of the latent map (None: no contraction control)."""
    depth: int = 2
    """n: latent refinement steps used for training and acting."""
    radius: float = 10.0
    """R: projection radius of the latent after every step (0: off)."""
    bootstrap: int = 4
    """K: horizon of the bootstrapped value targets."""
    alpha: float = 0.5
    """Mixture weight of the candidate policy in the conservative update."""
    latent_dim: int | None = None
    """Per-cell latent width d (None: 64 on boards of at most 16 cells (4x4), else 32)."""
    candidate_temperature: float = 1.0
    """T of the candidate policy over the legal actions (see ``candidate_prior``); 0 is the
    greedy argmax of the advantage."""
    candidate_prior: bool = True
    """Weight the candidate by the current policy: ``pi_cand ~ pi exp(A / T)`` (mirror-descent
    step, improvements compound over iterations) instead of ``exp(A / T)``."""
    num_envs: int = 64
    """Parallel episodes of the batched env."""
    rollout_steps: int = 8
    """Steps per env per iteration (an iteration collects num_envs * rollout_steps transitions)."""
    lookahead_states: int = 512
    """Collected states per iteration whose advantages are computed (0: all of them; the default
    is all of the default iteration's 64 x 8)."""
    lookahead_actions: int | None = None
    """Legal actions per state scored by the lookahead (None: all of them when the board has at
    most 128 actions, else 32, as on 9x9 Sudoku, where a start state has hundreds of legal
    actions; 0: all). A subset is drawn from pi without replacement
    (Gumbel-top-k); the actions left out keep advantage 0, their Q completed by the baseline."""
    learning_rate: float = 2e-3
    epochs: int = 16
    minibatch_size: int = 128
    value_coef: float = 1.0
    target_ema: float = 0.1
    """Weight of the online net in each EMA update of the value target net. A smaller weight (a
    slower target) keeps long 9x9 runs improving past the poster's budget, where this default
    starts to decline, but learns slower within it (see the UPI-TRM notes in the README)."""
    lookahead_chunk: int = 128
    """States per network call when scoring successors and targets: small enough that a call's
    latents stay in the CPU cache (large chunks make the forward pass memory bound, several
    times slower per state on 9x9)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> UPIConfig:
        """Refuse an unknown field by name, with the closest known one (before the dataclass
        ``__init__`` would raise Python's bare "unexpected keyword argument")."""
        import difflib

        known = [f.name for f in dataclasses.fields(cls)]
        for name in sorted(set(kwargs) - set(known)):
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (it takes {', '.join(known)})"
            raise TypeError(f"upi-trm does not take {name!r}{hint}")
        return super().__new__(cls)

    def __post_init__(self) -> None:
        """Refuse a field of the wrong type or outside its range, naming it (a user's
        ``--agent-kwargs`` typo must not surface as a traceback inside training)."""
        hints = typing.get_type_hints(UPIConfig)
        for name, expected in hints.items():
            value = getattr(self, name)
            allowed = typing.get_args(expected) or (expected,)
            if not any(_is_instance(value, kind) for kind in allowed):
                raise TypeError(f"upi-trm: {name} must be {UPIConfig.__annotations__[name]}, got {value!r}")
        for name, low in _LOWER_BOUNDS.items():
            value = getattr(self, name)
            if value is not None and not value >= low:
                raise ValueError(f"upi-trm: {name} must be >= {low}, got {value!r}")
        if not 0 < self.alpha <= 1 or not 0 < self.target_ema <= 1:
            raise ValueError(f"upi-trm: alpha and target_ema must lie in (0, 1], got {self.alpha}, {self.target_ema}")
        if self.contraction is not None and not self.contraction > 0:
            raise ValueError(f"upi-trm: contraction must be > 0 or None, got {self.contraction!r}")

    def for_board(self, board: Board) -> UPIConfig:
        """A copy with every automatic (None) field resolved for ``board``."""
        return dataclasses.replace(
            self,
            latent_dim=self.latent_dim if self.latent_dim is not None else (64 if board.cells <= 16 else 32),
            lookahead_actions=self.lookahead_actions
            if self.lookahead_actions is not None
            else (0 if board.num_actions <= 128 else 32),
        )


_LOWER_BOUNDS = {
    "depth": 1,
    "radius": 0,
    "bootstrap": 1,
    "latent_dim": 1,
    "candidate_temperature": 0,
    "num_envs": 1,
    "rollout_steps": 1,
    "lookahead_states": 0,
    "lookahead_actions": 0,
    "learning_rate": 1e-12,
    "epochs": 1,
    "minibatch_size": 1,
    "value_coef": 0,
    "lookahead_chunk": 1,
}
"""The smallest value of each numeric field (``alpha``, ``target_ema``, ``contraction``: see
``__post_init__``)."""


def _is_instance(value: Any, kind: Any) -> bool:
    """``isinstance`` for config fields: bools are not numbers, ints are valid floats."""
    if kind is type(None):
        return value is None
    if isinstance(value, bool):
        return kind is bool
    return isinstance(value, kind) or (kind is float and isinstance(value, int))


@dataclass
class TrainStats:
    """What one training run reports beside its metrics."""

    steps_done: int = 0
    checker_calls: int = 0
    iterations: int = 0
    distill_kl: list[float] = field(default_factory=list)
    value_loss: list[float] = field(default_factory=list)


def sample_actions(log_probs: torch.Tensor, generator: torch.Generator) -> np.ndarray:
    """One action per row of ``(B, A)`` log-probabilities."""
    return torch.multinomial(log_probs.exp(), 1, generator=generator).squeeze(1).numpy()


def bootstrap_targets(
    rewards: np.ndarray, dones: np.ndarray, next_values: np.ndarray, horizon: int, gamma: float
) -> np.ndarray:
    """K-step targets ``G_t = r_t + gamma r_{t+1} + ... + gamma^K U(s_{t+K})``, all ``(T, B)``,
    with the env's discount ``gamma`` (``envs.facts(env_id).discount``).

    ``next_values[t]`` is the target net's value of the state reached by transition ``t`` (0 if
    it terminated). The sum stops at an episode's end and at the end of the buffer, where it
    bootstraps from ``next_values``.
    """
    targets = rewards + gamma * next_values  # K = 1
    for _ in range(horizon - 1):
        longer = targets.copy()
        longer[:-1] = rewards[:-1] + gamma * np.where(dones[:-1], next_values[:-1], targets[1:])
        targets = longer
    return targets


def centred_advantages(state: np.ndarray, q: np.ndarray, pi: np.ndarray, num_states: int) -> np.ndarray:
    """``A(s,a) = Q(s,a) - sum_b pi(b|s) Q(s,b) / sum_b pi(b|s)`` over the ``M`` scored pairs
    (``state`` ``(M,)`` indexes the ``num_states`` states, ``q`` and ``pi`` ``(M,)``): the exact
    statewise baseline of pi restricted to the scored actions, so the advantages sum to zero
    under it for every state (and under pi itself when every legal action is scored)."""
    weighted, mass = np.zeros(num_states), np.zeros(num_states)
    np.add.at(weighted, state, pi * q)
    np.add.at(mass, state, pi)
    return q - (weighted / np.maximum(mass, 1e-30))[state]


def sample_without_replacement(log_pi: np.ndarray, mask: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``(S, A)`` mask of at most ``k`` legal actions per state, drawn from ``pi`` without
    replacement (the ``k`` largest of ``log pi + Gumbel noise``); every legal action if ``k`` is
    0 or a state has at most ``k``."""
    if k <= 0 or k >= mask.shape[1]:
        return mask
    keys = np.where(mask, log_pi + rng.gumbel(size=mask.shape), -np.inf)
    top = np.argpartition(-keys, k - 1, axis=1)[:, :k]
    subset = np.zeros_like(mask)
    np.put_along_axis(subset, top, True, axis=1)
    return subset & mask


def candidate_policy(
    state: np.ndarray,
    action: np.ndarray,
    advantage: np.ndarray,
    shape: tuple[int, int],
    temperature: float,
    log_prior: np.ndarray | None = None,
) -> np.ndarray:
    """``(S, A)`` candidate: greedy on the advantage (first best action), or its softmax at
    ``temperature`` over the legal actions, times ``exp(log_prior)`` per pair when given."""
    num_states = shape[0]
    candidate = np.zeros(shape)
    if temperature > 0:
        scaled = advantage / temperature
        if log_prior is not None:
            scaled = scaled + log_prior
        peak = np.full(num_states, -np.inf)
        np.maximum.at(peak, state, scaled)
        weight = np.exp(scaled - peak[state])
        total = np.zeros(num_states)
        np.add.at(total, state, weight)
        candidate[state, action] = weight / total[state]
        return candidate
    best = np.full(num_states, -np.inf)
    np.maximum.at(best, state, advantage)
    first = np.full(num_states, np.iinfo(np.int64).max)
    top = advantage == best[state]
    np.minimum.at(first, state[top], action[top])
    candidate[np.arange(num_states), first] = 1.0
    return candidate


def conservative_mixture(pi: np.ndarray, candidate: np.ndarray, alpha: float) -> np.ndarray:
    """``(1 - alpha) pi + alpha pi_cand``, renormalised (``pi`` restricted to legal actions).

    A state without a legal action (possible where the episode runs on to the horizon, e.g. the
    poster's rules under ``constraint-edit``) gets an all-zero row: no policy target, so its
    distillation loss is 0 instead of NaN."""
    mixture = (1 - alpha) * pi + alpha * candidate
    total = mixture.sum(axis=1, keepdims=True)
    return np.divide(mixture, total, out=np.zeros_like(mixture), where=total > 0)


def mixture_kl(target: torch.Tensor, log_probs: torch.Tensor) -> torch.Tensor:
    """Mean ``KL(target || pi_phi)`` over rows; the distillation loss."""
    return (target * (torch.log(target.clamp_min(1e-12)) - log_probs)).sum(dim=1).mean()


@torch.no_grad()
def evaluate_net(
    net: TinyRecursiveModel, obs: np.ndarray, mask: np.ndarray, depth: int, chunk: int
) -> tuple[np.ndarray, np.ndarray]:
    """Values ``(S,)`` and log-policies ``(S, A)`` of many states, in chunks."""
    values, logps = [], []
    for start in range(0, len(obs), chunk):
        v, lp = net(torch.as_tensor(obs[start : start + chunk]), torch.as_tensor(mask[start : start + chunk]), depth)
        values.append(v.numpy())
        logps.append(lp.numpy())
    return np.concatenate(values), np.concatenate(logps)


def train(
    net: TinyRecursiveModel,
    env_id: str,
    env_kwargs: dict[str, Any],
    total_steps: int,
    seed: int,
    cfg: UPIConfig,
    callback: Callable[[int], None] | None = None,
    checkpoint: Checkpoint | None = None,
) -> TrainStats:
    """Train ``net`` in place by UPI for at most ``total_steps`` environment transitions. With
    ``checkpoint``, the whole training state (networks, optimizer, env, generators, statistics)
    is saved between two iterations when due, and a stored one is resumed from: the run goes on
    exactly as if it had never stopped."""
    # ---------------------------------------------------------------- setup
    cfg = cfg.for_board(net.board)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    B = cfg.num_envs
    env = gym.make_vec(env_id, B, vectorization_mode="vector_entry_point", **env_kwargs)
    env_facts = facts(env_id)  # the env's discount and C_max, never restated here
    gamma, c_max = env_facts.discount, env_facts.max_score
    net.set_value_scale(c_max)
    target = copy.deepcopy(net).requires_grad_(False)
    optimizer = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate)
    stats = TrainStats()
    obs, info = env.reset(seed=seed)
    saved = checkpoint.restore() if checkpoint is not None else None
    if saved is not None:
        env.unwrapped.set_state(saved["env"])
        obs, info, stats = saved["obs"], saved["info"], saved["stats"]
        net.load_state_dict(saved["net"])
        target.load_state_dict(saved["target"])
        optimizer.load_state_dict(saved["optimizer"])
        generator.set_state(saved["generator"])
        rng.bit_generator.state = saved["rng"]
    mask = info["action_mask"]

    while stats.steps_done + B <= total_steps:
        if checkpoint is not None and stats.iterations and checkpoint.due():
            checkpoint.save({
                "env": env.unwrapped.get_state(), "obs": obs, "info": info, "stats": stats, "net": net.state_dict(), "target": target.state_dict(),
                "optimizer": optimizer.state_dict(), "generator": generator.get_state(), "rng": rng.bit_generator.state,
            })
        T = min(cfg.rollout_steps, (total_steps - stats.steps_done) // B)
        # ------------------------------------------------------------ 1. collect
        buf_obs = np.zeros((T, B, obs.shape[1]), dtype=np.int8)
        buf_mask = np.zeros((T, B, mask.shape[1]), dtype=bool)
        buf_env_steps = np.zeros((T, B), dtype=np.int64)
        rewards = np.zeros((T, B), dtype=np.float32)
        dones = np.zeros((T, B), dtype=bool)
        terms = np.zeros((T, B), dtype=bool)
        next_obs = np.zeros_like(buf_obs)
        next_mask = np.zeros_like(buf_mask)
        for t in range(T):
            buf_obs[t], buf_mask[t], buf_env_steps[t] = obs, mask, info["steps"]
            with torch.no_grad():
                _, log_probs = net(torch.as_tensor(obs), torch.as_tensor(mask), cfg.depth)
            obs, rewards[t], terms[t], truncated, info = env.step(sample_actions(log_probs, generator))
            mask = info["action_mask"]
            dones[t] = terms[t] | truncated
            next_obs[t], next_mask[t] = obs, mask
            if dones[t].any():  # the true successor of a finished episode is its final state
                next_obs[t][dones[t]] = info["final_obs"][dones[t]]
                next_mask[t][dones[t]] = info["final_info"]["action_mask"][dones[t]]
        stats.steps_done += T * B
        if callback is not None:
            callback(stats.steps_done)

        # ------------------------------------------------------------ 2. value targets
        flat = T * B
        s_obs, s_mask = buf_obs.reshape(flat, -1), buf_mask.reshape(flat, -1)
        next_v, _ = evaluate_net(target, next_obs.reshape(flat, -1), next_mask.reshape(flat, -1), cfg.depth, cfg.lookahead_chunk)
        next_v = np.where(terms.reshape(flat), 0.0, next_v).reshape(T, B)
        value_targets = bootstrap_targets(rewards, dones, next_v, cfg.bootstrap, gamma).reshape(flat)

        # ------------------------------------------------------------ 3. centred advantages
        chosen = np.arange(flat)
        if 0 < cfg.lookahead_states < flat:
            chosen = np.sort(rng.choice(flat, cfg.lookahead_states, replace=False))
        _, log_pi = evaluate_net(net, s_obs[chosen], s_mask[chosen], cfg.depth, cfg.lookahead_chunk)
        scored = sample_without_replacement(log_pi, s_mask[chosen], cfg.lookahead_actions, rng)
        ahead = env.lookahead(s_obs[chosen], scored, buf_env_steps.reshape(flat)[chosen])
        stats.checker_calls += len(ahead.state)
        succ_v, _ = evaluate_net(net, ahead.next_obs, ahead.next_mask, cfg.depth, cfg.lookahead_chunk)
        q = ahead.reward + gamma * np.where(ahead.terminated, 0.0, succ_v)
        advantage = np.zeros(log_pi.shape)
        advantage[ahead.state, ahead.action] = centred_advantages(
            ahead.state, q, np.exp(log_pi[ahead.state, ahead.action]), len(chosen)
        )

        # ------------------------------------------------------------ 4. candidate, mixture
        state, action = np.nonzero(s_mask[chosen])  # unscored legal actions: advantage 0
        prior = log_pi[state, action] if cfg.candidate_prior else None
        candidate = candidate_policy(
            state, action, advantage[state, action], log_pi.shape, cfg.candidate_temperature, prior
        )
        mixture = conservative_mixture(np.exp(log_pi) * s_mask[chosen], candidate, cfg.alpha)

        # ------------------------------------------------------------ distil + regress
        policy_rows = np.full(flat, -1)
        policy_rows[chosen] = np.arange(len(chosen))
        t_obs, t_mask = torch.as_tensor(s_obs), torch.as_tensor(s_mask)
        t_targets = torch.as_tensor(value_targets / c_max, dtype=torch.float32)
        t_mixture = torch.as_tensor(mixture, dtype=torch.float32)
        t_rows = torch.as_tensor(policy_rows)
        for _ in range(cfg.epochs):
            for batch in torch.randperm(flat, generator=generator).split(cfg.minibatch_size):
                value, log_probs = net(t_obs[batch], t_mask[batch], cfg.depth)
                value_loss = F.mse_loss(value / c_max, t_targets[batch])
                rows = t_rows[batch]
                has = rows >= 0
                kl = mixture_kl(t_mixture[rows[has]], log_probs[has]) if has.any() else torch.zeros(())
                optimizer.zero_grad()
                (cfg.value_coef * value_loss + kl).backward()
                optimizer.step()
        with torch.no_grad():
            _, log_probs = net(torch.as_tensor(s_obs[chosen]), torch.as_tensor(s_mask[chosen]), cfg.depth)
            remaining = mixture_kl(t_mixture, log_probs)
            for online, slow in zip(net.parameters(), target.parameters()):
                slow.mul_(1 - cfg.target_ema).add_(cfg.target_ema * online)
        stats.distill_kl.append(float(remaining))
        stats.value_loss.append(float(value_loss.detach()))
        stats.iterations += 1
    env.close()
    return stats
