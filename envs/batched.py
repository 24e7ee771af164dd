"""Single and vector Gymnasium envs over one batched numpy core (every ``trm/...`` family).

A family (Sudoku, maze navigation, maze path editing) writes its MDP once, as a *core* holding
``B`` episodes with the batch axis first (:class:`BatchCore`). :class:`BatchEnv` is the
batch-of-one view of that core and :class:`BatchVectorEnv` the ``num_envs`` view with
``SAME_STEP`` autoreset, so the single env and the vector env cannot disagree. Both draw the
instance (puzzle or maze) of each episode from the env's instance set, uniformly with the episode
seed, or take it from ``reset(options={"puzzle_index": ...})``.
"""

from __future__ import annotations

import copy

import difflib
from dataclasses import dataclass
from typing import Any, Protocol

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space


class BatchCore(Protocol):
    """What a family's core provides; every array leads with the batch axis ``B``."""

    num_actions: int

    def load(self, rows: np.ndarray, indices: np.ndarray) -> None:
        """Start new episodes in ``rows`` from instances ``indices`` of the instance set."""

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Apply ``(B,)`` actions; return ``(B,)`` reward, terminated, truncated."""

    def observation(self) -> np.ndarray:
        """``(B, D)`` observations."""

    def action_mask(self) -> np.ndarray:
        """``(B, A)`` bool mask of the actions shown as legal."""

    def info(self, copy: bool = True) -> dict[str, np.ndarray]:
        """Per-episode ``(B,)`` arrays; at least ``solved``, ``score``, ``initial_score``, ``steps``."""

    def render(self, row: int) -> str:
        """Text picture of episode ``row``."""


RENDER_MODES = ("ansi",)


@dataclass(frozen=True)
class Lookahead:
    """The ``M`` legal (state, action) pairs of a batch of states and what each leads to,
    computed with the env's own rules (a planning agent's one-step lookahead)."""

    state: np.ndarray  # (M,) index of the state
    action: np.ndarray  # (M,) action id
    reward: np.ndarray  # (M,) reward of the transition
    terminated: np.ndarray  # (M,) the transition ends the episode
    next_obs: np.ndarray  # (M, D) successor observations
    next_mask: np.ndarray  # (M, A) successor action masks


def validate_actions(actions: object, batch_size: int, num_actions: int) -> np.ndarray:
    """Return ``actions`` as a ``(batch_size,)`` int64 array or raise a clear error.

    :raises TypeError: non-integer actions.
    :raises ValueError: wrong shape, or an action id outside ``[0, num_actions)``.
    """
    if batch_size == 1 and isinstance(actions, (int, np.integer)) and not isinstance(actions, bool):
        if 0 <= actions < num_actions:  # the single env's common case, kept cheap
            return np.array([actions], dtype=np.int64)
    arr = np.asarray(actions)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"actions must be integers in [0, {num_actions}), got dtype {arr.dtype}")
    if arr.size != batch_size or arr.ndim > 1:
        raise ValueError(f"expected {batch_size} action(s), got shape {arr.shape}")
    arr = arr.reshape(batch_size).astype(np.int64, copy=False)
    bad = (arr < 0) | (arr >= num_actions)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"action {arr[i]} (env {i}) is outside Discrete({num_actions})")
    return arr


def choose_instance(rng: np.random.Generator, num_instances: int, options: dict | None) -> int:
    """Instance of a new episode: ``options["puzzle_index"]`` if given, else uniform from ``rng``."""
    if options and options.get("puzzle_index") is not None:
        index = options["puzzle_index"]
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)) or not 0 <= index < num_instances:
            raise ValueError(f"puzzle_index must be an int in [0, {num_instances}), got {index!r}")
        return int(index)
    return int(rng.integers(num_instances))


def with_masks(info: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    """Add gymnasium's vector-info ``_key`` mask (which sub-envs the value is for) to every key."""
    return info | {f"_{key}": mask.copy() for key in info}


def check_kwargs(kwargs: dict[str, Any], valid: tuple[str, ...], family: str) -> None:
    """Raise a ``TypeError`` naming unknown keyword arguments, with the closest valid one."""
    unknown = sorted(set(kwargs) - set(valid))
    if unknown:
        hints = [difflib.get_close_matches(k, valid, n=1) for k in unknown]
        hint = "".join(f"; did you mean {h[0]!r} for {k!r}?" for k, h in zip(unknown, hints) if h)
        raise TypeError(f"unknown {family} env kwarg(s) {unknown}; valid: {list(valid)}{hint}")


def check_positive_int(name: str, value: object) -> int:
    """``value`` as an int if it is a positive int; a clear error otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def check_render_mode(render_mode: object) -> str | None:
    """``render_mode`` if it is None or ``"ansi"``; a clear error otherwise."""
    if render_mode is not None and render_mode not in RENDER_MODES:
        raise ValueError(f"render_mode must be None or one of {RENDER_MODES}, got {render_mode!r}")
    return render_mode  # type: ignore[return-value]


class BatchEnv(gym.Env):
    """The batch-of-one view of a core (subclasses document the MDP and build the core)."""

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": 4}

    def __init__(
        self, core: BatchCore, observation_space: spaces.Space, num_instances: int, render_mode: str | None
    ) -> None:
        self.core = core
        self.render_mode = render_mode
        self.observation_space = observation_space
        self.action_space = spaces.Discrete(core.num_actions)
        self.num_instances = num_instances
        self._row = np.zeros(1, dtype=np.int64)
        self._puzzle_index = -1
        self._done = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode; ``options={"puzzle_index": i}`` picks the instance."""
        super().reset(seed=seed)
        self._puzzle_index = choose_instance(self.np_random, self.num_instances, options)
        self.core.load(self._row, np.array([self._puzzle_index]))
        self._done = False
        return self.core.observation()[0].copy(), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Apply one action; see the subclass docstring for the rules."""
        if self._done:
            raise RuntimeError("call reset() before step(): the episode is over or not started")
        actions = validate_actions(action, 1, self.core.num_actions)
        reward, terminated, truncated = self.core.step(actions)
        self._done = bool(terminated[0] or truncated[0])
        obs = self.core.observation()[0].copy()
        return obs, float(reward[0]), bool(terminated[0]), bool(truncated[0]), self._info()

    def action_masks(self) -> np.ndarray:
        """Mask of the actions shown as legal, ``(A,)`` bool (MaskablePPO's contract)."""
        return self.core.action_mask()[0].copy()

    def render(self) -> str | None:
        """``"ansi"``: the current state as text."""
        return self.core.render(0) if self.render_mode == "ansi" else None

    def _info(self) -> dict[str, Any]:
        info: dict[str, Any] = {k: v[0].item() for k, v in self.core.info(copy=False).items()}
        info["action_mask"] = self.action_masks()
        info["puzzle_index"] = self._puzzle_index
        return info


class BatchVectorEnv(gym.vector.VectorEnv):
    """``num_envs`` episodes of a core stepped as one numpy batch.

    Sub-env ``i`` draws its instances from its own generator seeded ``seed + i`` (as
    ``SyncVectorEnv`` seeds its envs), so it replays exactly the single env seeded ``seed + i``.

    Autoreset is ``SAME_STEP``: when an episode ends, the returned observation and info already
    belong to the next episode, and ``info["final_obs"]`` (``(num_envs, D)``, rows valid where
    ``info["_final_obs"]``) and ``info["final_info"]`` (a dict of ``(num_envs,)`` arrays with
    ``_key`` masks) hold the end of the finished one. ``info["action_mask"]`` is
    ``(num_envs, A)`` bool and ``action_masks()`` returns the same.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": list(RENDER_MODES)}

    def __init__(
        self,
        num_envs: int,
        core: BatchCore,
        single_observation_space: spaces.Space,
        num_instances: int,
        render_mode: str | None,
    ) -> None:
        self.num_envs = num_envs
        self.core = core
        self.render_mode = render_mode
        self.num_instances = num_instances
        self.single_observation_space = single_observation_space
        self.single_action_space = spaces.Discrete(core.num_actions)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.puzzle_index = np.full(self.num_envs, -1, dtype=np.int64)
        self._rngs = [seeding.np_random()[0] for _ in range(self.num_envs)]
        self._all = np.ones(self.num_envs, dtype=bool)
        self._started = False

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every sub-env. ``seed``: int (env ``i`` gets ``seed + i``) or one per env;
        ``options={"puzzle_index": array of num_envs ints}`` picks the instances."""
        if seed is not None:
            if isinstance(seed, (int, np.integer)):
                seeds = [int(seed) + i for i in range(self.num_envs)]
            else:
                seeds = [int(s) for s in seed]
            if len(seeds) != self.num_envs:
                raise ValueError(f"expected {self.num_envs} seeds, got {len(seeds)}")
            self._rngs = [seeding.np_random(s)[0] for s in seeds]
        indices = None if not options else options.get("puzzle_index")
        if indices is not None:
            indices = np.asarray(indices)
            if indices.shape != (self.num_envs,) or indices.dtype.kind not in "iu":
                raise ValueError(
                    f"puzzle_index must be {self.num_envs} integers, got {indices.dtype} {indices.shape}"
                )
        rows = np.arange(self.num_envs)
        for i in rows:
            chosen = None if indices is None else {"puzzle_index": int(indices[i])}
            self.puzzle_index[i] = choose_instance(self._rngs[i], self.num_instances, chosen)
        self.core.load(rows, self.puzzle_index)
        self._started = True
        return self.core.observation().copy(), self._info()

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every sub-env; finished ones restart at once (``SAME_STEP`` autoreset)."""
        if not self._started:
            raise RuntimeError("call reset() before step()")
        actions = validate_actions(actions, self.num_envs, self.core.num_actions)
        reward, terminated, truncated = self.core.step(actions)
        done = terminated | truncated
        final: dict[str, Any] = {}
        if done.any():
            final_info = self.core.info() | {
                "puzzle_index": self.puzzle_index.copy(),
                "action_mask": self.action_masks(),
            }
            final = {
                "final_obs": self.core.observation().copy(),
                "_final_obs": done.copy(),
                "final_info": with_masks(final_info, done),
                "_final_info": done.copy(),
            }
            rows = np.flatnonzero(done)
            for i in rows:
                self.puzzle_index[i] = choose_instance(self._rngs[i], self.num_instances, None)
            self.core.load(rows, self.puzzle_index[rows])
        obs = self.core.observation().copy()
        return obs, reward, terminated, truncated, self._info() | final

    def action_masks(self) -> np.ndarray:
        """``(num_envs, A)`` bool mask of the actions shown as legal."""
        return self.core.action_mask().copy()

    def get_state(self) -> dict[str, Any]:
        """A copy of everything that changes as the batch steps: the core's arrays (those it owns;
        its views follow them), the instance drawn per sub-env and the sub-envs' generators. With
        :meth:`set_state` on an env made with the same id and kwargs, it goes on exactly as this
        one would (a checkpoint of a training run)."""
        core = {name: value.copy() for name, value in vars(self.core).items() if isinstance(value, np.ndarray) and value.base is None}
        return {"core": core, "puzzle_index": self.puzzle_index.copy(), "rngs": copy.deepcopy(self._rngs), "started": self._started}

    def set_state(self, state: dict[str, Any]) -> None:
        """Take the state :meth:`get_state` returned, in place (the core's views stay views)."""
        for name, value in state["core"].items():
            np.copyto(getattr(self.core, name), value)
        self.puzzle_index[:] = state["puzzle_index"]
        self._rngs = copy.deepcopy(state["rngs"])
        self._started = state["started"]

    def lookahead(self, obs: np.ndarray, mask: np.ndarray, steps_taken: np.ndarray) -> Lookahead:
        """Every ``True`` action of ``mask`` (``(S, A)``) applied to a copy of its state
        (``obs`` ``(S, D)``, ``steps_taken`` ``(S,)`` actions already made in its episode), under
        this env's rules; for the plan-editing families (Sudoku, maze path)."""
        if not hasattr(self.core, "successors"):
            raise TypeError(f"{type(self).__name__} has no one-step lookahead")
        return self.core.successors(obs, mask, steps_taken)

    def render(self) -> tuple[str, ...] | None:
        """``"ansi"``: one text picture per sub-env."""
        if self.render_mode != "ansi":
            return None
        return tuple(self.core.render(i) for i in range(self.num_envs))

    def _info(self) -> dict[str, Any]:
        info = self.core.info()
        info |= {"action_mask": self.action_masks(), "puzzle_index": self.puzzle_index.copy()}
        return with_masks(info, self._all)


def check_num_envs(num_envs: object) -> int:
    """``num_envs`` as an int, or a clear error if it is not a positive int."""
    return check_positive_int("num_envs", num_envs)
