"""The Agent protocol, ``@register``, and discovery of third-party agents by entry point.

An agent is anything with the five methods of :class:`Agent`. Register a factory (a class or a
function returning an agent) under a name::

    from agents.registry import register

    @register("my-agent")
    class MyAgent:
        ...

A package of your own makes its agents visible to ``bench`` through the entry-point group
``trm_bench.agents`` (see README "Adding an agent"), in either form:

* ``my-agent = "my_pkg.agents:MyAgent"`` registers the factory ``MyAgent`` under the entry
  point's name; discovery checks that ``MyAgent()`` builds an :class:`Agent`;
* ``my-pkg = "my_pkg.agents"`` imports the module, whose ``@register`` calls register its agents.

A plugin that fails (import error, no agent registered, factory breaking the protocol) is
remembered with the reason and skipped; the other agents still load.

Built-in agents are known by name from :data:`BUILTIN_AGENTS` without importing their modules
(which import torch and Stable-Baselines3): ``bench --help`` and ``bench list`` stay fast, and
a built-in's module is imported when :func:`make_agent` first builds one of its agents.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import sys
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

ENTRY_POINT_GROUP = "trm_bench.agents"
PROTOCOL_METHODS = ("learn", "predict", "save", "load", "num_params")


class Builtin(NamedTuple):
    """Where a built-in agent is registered, and what ``bench list`` says about it."""

    module: str
    """The module whose import registers the agent (and defines its factory)."""
    summary: str
    """The first line of the factory's docstring."""


BUILTIN_AGENTS: dict[str, Builtin] = {
    "random-masked": Builtin(
        "agents.references", "Uniform over the legal actions of the mask: the floor of every table."
    ),
    "most-constrained": Builtin(
        "agents.references",
        "Fill the empty cell with the fewest digits left (ties: first cell) with its smallest digit.",
    ),
    "checker-greedy": Builtin(
        "agents.references",
        "One-step lookahead: the legal action with the highest shaped reward (ties: lowest id).",
    ),
    "solver": Builtin(
        "agents.references",
        "The ceiling: solves the clue grid exactly, then writes the solution one cell per step.",
    ),
    "shortest-path": Builtin(
        "agents.shortest_path",
        "The maze ceiling: follows (or marks) the BFS shortest path read from the observation.",
    ),
    "ppo": Builtin("agents.sb3", "stable_baselines3 PPO (MlpPolicy)"),
    "a2c": Builtin("agents.sb3", "stable_baselines3 A2C (MlpPolicy)"),
    "dqn": Builtin("agents.sb3", "stable_baselines3 DQN (MlpPolicy)"),
    "maskable-ppo": Builtin("agents.sb3", "sb3_contrib MaskablePPO (MlpPolicy)"),
    "maskable-a2c": Builtin(
        "agents.sb3",
        "A2C sampling legal actions only: sb3-contrib's masked rollouts and policy, one gradient step per rollout.",
    ),
    "maskable-dqn": Builtin(
        "agents.sb3", "DQN with illegal actions excluded from exploration, the greedy action and the target max."
    ),
    "qrdqn": Builtin("agents.sb3", "sb3_contrib QRDQN (MlpPolicy)"),
    "ppo-trm": Builtin(
        "agents.sb3", "SB3 PPO on the TRM README's recursive core (features extractor, K cycles)"
    ),
    "upi-trm": Builtin(
        "agents.upi_trm",
        "Tiny Recursive Model trained by UPI from checker feedback (dials L_z, n, R, K, alpha).",
    ),
}
"""Every agent of this package: name -> where it is registered. Known without importing the
modules; tests/test_registry_builtins.py checks it against what importing them registers."""
REPO_ROOT = Path(__file__).resolve().parent.parent
"""The repository's root: its code is hashed into the code version; agents outside it are plugins."""


@runtime_checkable
class Agent(Protocol):
    """What the runner needs from an agent (DESIGN section 4)."""

    def learn(
        self,
        env_id: str,
        env_kwargs: dict[str, Any],
        total_steps: int,
        seed: int,
        callback: Callable[[int], None] | None = None,
    ) -> None:
        """Train for ``total_steps`` environment transitions; call ``callback(steps_done)`` now
        and then so the runner can evaluate learning curves."""

    def predict(self, obs: np.ndarray, action_mask: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Actions ``(B,)`` for observations ``(B, D)`` and action masks ``(B, A)``."""

    def save(self, path: Path) -> None:
        """Write everything ``load`` needs into the folder ``path``."""

    def load(self, path: Path) -> None:
        """Restore what ``save`` wrote."""

    def num_params(self) -> int:
        """Number of trainable parameters (0 for a hand-written policy)."""


AgentFactory = Callable[..., Agent]


class Checkpoint(Protocol):
    """What an agent that can resume (``resumable = True``) receives as ``learn(...,
    checkpoint=...)``: it saves its training state when :meth:`due`, between two iterations, and
    starts from :meth:`restore`'s state when there is one (``bench.checkpoints.RunCheckpoint``)."""

    def due(self) -> bool:
        """Whether to save now."""

    def save(self, agent_state: dict[str, Any]) -> None:
        """Store the agent's training state (anything picklable) with the run's progress."""

    def restore(self) -> dict[str, Any] | None:
        """The stored training state (global random states set back), or None: start afresh."""


def mask_problem(agent: object, name: str, env_id: str, env_kwargs: dict[str, Any]) -> str | None:
    """Why ``agent`` (registered as ``name``) cannot run on ``env_id`` with ``env_kwargs``, or
    None: an agent that declares ``needs_action_mask`` acts only among the mask's legal actions,
    so an env whose masking (given, or its default) is ``none`` leaves it nothing to act on."""
    if not getattr(agent, "needs_action_mask", False):
        return None
    import gymnasium as gym

    import envs  # noqa: F401 - registers the ids

    env = gym.make(env_id, **env_kwargs)
    masking = env.unwrapped.options.masking
    env.close()
    if masking != "none":
        return None
    return f"agent {name!r} acts only among the legal actions of a mask; {env_id} with masking=none gives none (choose a masking, or the unmasked agent)"


def supports(agent: object, env_id: str) -> bool:
    """Whether ``agent`` can play ``env_id``: an agent may declare ``env_families`` (a tuple of
    :func:`envs.family` names, e.g. ``("sudoku",)`` for a Sudoku-only heuristic); without it,
    every env."""
    import envs

    families = getattr(agent, "env_families", None)
    return families is None or envs.family(env_id) in families

_FACTORIES: dict[str, AgentFactory] = {}
_PLUGIN_ERRORS: dict[str, str] = {}
_MODULE_AGENTS: dict[str, set[str]] = {}
"""Entry-point module -> the agents its import registered. Kept across :func:`refresh`: a module
runs once per process, so importing it again on re-discovery registers nothing new."""
_discovered = False


class UnknownAgentError(KeyError):
    """No agent is registered under the requested name."""

    def __str__(self) -> str:
        return str(self.args[0])


class AgentProtocolError(TypeError):
    """A registered factory returned an object that is not an :class:`Agent`."""


class PluginError(Exception):
    """An entry point of ``trm_bench.agents`` that yields no usable agent."""


def register(name: str) -> Callable[[AgentFactory], AgentFactory]:
    """Decorator registering ``factory`` (a class or function) under ``name``.

    :raises ValueError: if ``name`` is taken by another factory, or is a built-in's name (even
        before its module is imported) and ``factory`` is not from that built-in's module.
    """

    def decorate(factory: AgentFactory) -> AgentFactory:
        builtin = BUILTIN_AGENTS.get(name)
        if builtin is not None and getattr(factory, "__module__", None) != builtin.module:
            raise ValueError(f"agent name {name!r} is already registered by the built-in {builtin.module}")
        existing = _FACTORIES.get(name)
        if existing is not None and existing is not factory:
            raise ValueError(f"agent name {name!r} is already registered by {existing!r}")
        _FACTORIES[name] = factory
        return factory

    return decorate


def _load_entry(entry: EntryPoint) -> None:
    """Register the agents of one entry point, or raise why it yields none.

    ``module:factory`` registers ``factory`` under the entry point's name once ``factory()`` has
    built an :class:`Agent`; ``module`` must register at least one agent when imported.
    """
    before = set(_FACTORIES)
    loaded = entry.load()
    if entry.attr:
        try:
            agent = loaded()
        except Exception as err:
            raise PluginError(f"{entry.attr}() raised {type(err).__name__}: {err}") from err
        check_agent(agent, entry.name)
        register(entry.name)(loaded)
        return
    names = _MODULE_AGENTS.setdefault(entry.module, set())
    names |= _FACTORIES.keys() - before
    # The module may have been imported before discovery: the factories it defines are its own.
    names |= {n for n, f in _FACTORIES.items() if getattr(f, "__module__", None) == entry.module}
    if not names & _FACTORIES.keys():
        raise PluginError("registers no agent")


def discover() -> dict[str, str]:
    """Load every ``trm_bench.agents`` entry point (once; built-ins need no discovery).

    A plugin that fails (import error, no agent registered, a factory breaking the protocol) is
    skipped and remembered; the others still load.
    :return: ``{entry point name: "<entry point value>: <reason>"}`` of the plugins that failed.
    """
    global _discovered
    if not _discovered:
        _discovered = True
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            try:
                _load_entry(entry)
            except (PluginError, AgentProtocolError) as err:
                _PLUGIN_ERRORS[entry.name] = f"{entry.value}: {err}"
            except Exception as err:  # a broken plugin must not break the others
                _PLUGIN_ERRORS[entry.name] = f"{entry.value}: {type(err).__name__}: {err}"
    return dict(_PLUGIN_ERRORS)


def refresh() -> None:
    """Forget discovery so the next call re-reads entry points (after installing a plugin)."""
    global _discovered
    _discovered = False
    _PLUGIN_ERRORS.clear()


def available() -> list[str]:
    """Sorted names of every agent: built-ins (not imported) and plugins (discovered)."""
    discover()
    return sorted(BUILTIN_AGENTS.keys() | _FACTORIES.keys())


def _factory(name: str) -> AgentFactory:
    """The factory registered as ``name``, importing a built-in's module on first use.

    :raises UnknownAgentError: with the known names and a close-match hint.
    """
    builtin = BUILTIN_AGENTS.get(name)
    if builtin is not None:
        importlib.import_module(builtin.module)
    else:
        discover()
    if name not in _FACTORIES:
        names = available()
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        broken = f" (plugins that failed to load: {', '.join(_PLUGIN_ERRORS)})" if _PLUGIN_ERRORS else ""
        raise UnknownAgentError(f"unknown agent {name!r}{hint} Known agents: {', '.join(names)}{broken}")
    return _FACTORIES[name]


def describe(name: str) -> str:
    """One line about agent ``name`` (``bench list``): a built-in's summary, read without
    importing its module; else the first line of the factory's docstring ("" without one).

    :raises UnknownAgentError: for an unknown name.
    """
    builtin = BUILTIN_AGENTS.get(name)
    if builtin is not None:
        return builtin.summary
    lines = (_factory(name).__doc__ or "").strip().splitlines()
    return lines[0] if lines else ""


def agent_module(name: str) -> str | None:
    """The module that defines agent ``name``'s factory: a built-in's from :data:`BUILTIN_AGENTS`
    (without importing it), a plugin's factory ``__module__`` after discovery; None for an
    unknown name."""
    builtin = BUILTIN_AGENTS.get(name)
    if builtin is not None:
        return builtin.module
    discover()
    factory = _FACTORIES.get(name)
    return None if factory is None else getattr(factory, "__module__", None)


def check_agent(agent: object, name: str) -> Agent:
    """Return ``agent`` if it has every protocol method, else raise :class:`AgentProtocolError`."""
    missing = [m for m in PROTOCOL_METHODS if not callable(getattr(agent, m, None))]
    if missing:
        raise AgentProtocolError(
            f"agent {name!r} ({type(agent).__name__}) does not implement {', '.join(missing)} "
            f"of the Agent protocol ({', '.join(PROTOCOL_METHODS)})"
        )
    return agent  # type: ignore[return-value]


def make_agent(name: str, **config: Any) -> Agent:
    """Build the agent registered as ``name`` with ``config`` (importing a built-in's module).

    :raises UnknownAgentError: with the known names and a close-match hint.
    :raises AgentProtocolError: if the factory's product is not an Agent.
    """
    return check_agent(_factory(name)(**config), name)


def plugin_source_version(name: str) -> str | None:
    """SHA-256 (16 hex digits) of the source of the package that registered agent ``name``, when
    that package lives outside this repository (a plugin); None for an agent of this repository
    (the code version covers it) or an unknown name.

    Run keys include it, so editing a plugin's code recomputes its runs instead of reusing the
    records of the old code.
    """
    module_name = agent_module(name)
    module = sys.modules.get(module_name) if module_name is not None else None
    source = getattr(module, "__file__", None)
    if source is None or Path(source).resolve().is_relative_to(REPO_ROOT):
        return None
    top = sys.modules[module_name.split(".")[0]]
    roots = [Path(p) for p in getattr(top, "__path__", [])] or [Path(top.__file__)]
    files = sorted(f for root in roots for f in (root.rglob("*.py") if root.is_dir() else [root]))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
