"""The Agent protocol, ``@register``, and discovery of third-party agents by entry point.

An agent is anything with the five methods of :class:`Agent`. Register a factory (a class or a
function returning an agent) under a name::

    from agents.registry import register

    @register("my-agent")
    class MyAgent:
        ...

A package of your own makes its agents visible to ``bench`` by declaring the module that
registers them in the entry-point group ``trm_bench.agents`` (see README "Adding an agent").
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

ENTRY_POINT_GROUP = "trm_bench.agents"
PROTOCOL_METHODS = ("learn", "predict", "save", "load", "num_params")
BUILTIN_MODULES = ("agents.references", "agents.shortest_path", "agents.sb3", "agents.upi_trm")
"""Modules of this package that register agents when imported."""
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


def supports(agent: object, env_id: str) -> bool:
    """Whether ``agent`` can play ``env_id``: an agent may declare ``env_families`` (a tuple of
    :func:`envs.family` names, e.g. ``("sudoku",)`` for a Sudoku-only heuristic); without it,
    every env."""
    import envs

    families = getattr(agent, "env_families", None)
    return families is None or envs.family(env_id) in families

_FACTORIES: dict[str, AgentFactory] = {}
_PLUGIN_ERRORS: dict[str, str] = {}
_discovered = False


class UnknownAgentError(KeyError):
    """No agent is registered under the requested name."""

    def __str__(self) -> str:
        return str(self.args[0])


class AgentProtocolError(TypeError):
    """A registered factory returned an object that is not an :class:`Agent`."""


def register(name: str) -> Callable[[AgentFactory], AgentFactory]:
    """Decorator registering ``factory`` (a class or function) under ``name``."""

    def decorate(factory: AgentFactory) -> AgentFactory:
        existing = _FACTORIES.get(name)
        if existing is not None and existing is not factory:
            raise ValueError(f"agent name {name!r} is already registered by {existing!r}")
        _FACTORIES[name] = factory
        return factory

    return decorate


def discover() -> dict[str, str]:
    """Import built-in agent modules and every ``trm_bench.agents`` entry point (once).

    A plugin that fails to import is skipped and remembered; the others still load.
    :return: ``{entry point name: error}`` of the plugins that failed.
    """
    global _discovered
    if not _discovered:
        _discovered = True
        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            try:
                entry.load()
            except Exception as err:  # a broken plugin must not break the others
                _PLUGIN_ERRORS[entry.name] = f"{entry.value}: {type(err).__name__}: {err}"
    return dict(_PLUGIN_ERRORS)


def refresh() -> None:
    """Forget discovery so the next call re-reads entry points (after installing a plugin)."""
    global _discovered
    _discovered = False
    _PLUGIN_ERRORS.clear()


def available() -> list[str]:
    """Sorted names of every registered agent (built-in and plugins)."""
    discover()
    return sorted(_FACTORIES)


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
    """Build the agent registered as ``name`` with ``config``.

    :raises UnknownAgentError: with the known names and a close-match hint.
    :raises AgentProtocolError: if the factory's product is not an Agent.
    """
    names = available()
    if name not in _FACTORIES:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        broken = f" (plugins that failed to load: {', '.join(_PLUGIN_ERRORS)})" if _PLUGIN_ERRORS else ""
        raise UnknownAgentError(f"unknown agent {name!r}{hint} Known agents: {', '.join(names)}{broken}")
    return check_agent(_FACTORIES[name](**config), name)


def plugin_source_version(name: str) -> str | None:
    """SHA-256 (16 hex digits) of the source of the package that registered agent ``name``, when
    that package lives outside this repository (a plugin); None for an agent of this repository
    (the code version covers it) or an unknown name.

    Run keys include it, so editing a plugin's code recomputes its runs instead of reusing the
    records of the old code.
    """
    discover()
    factory = _FACTORIES.get(name)
    module = sys.modules.get(factory.__module__) if factory is not None else None
    source = getattr(module, "__file__", None)
    if source is None or Path(source).resolve().is_relative_to(REPO_ROOT):
        return None
    top = sys.modules[factory.__module__.split(".")[0]]
    roots = [Path(p) for p in getattr(top, "__path__", [])] or [Path(top.__file__)]
    files = sorted(f for root in roots for f in (root.rglob("*.py") if root.is_dir() else [root]))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
