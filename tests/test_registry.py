"""Agent registry: built-ins, a real third-party plugin found by entry point, clear errors."""

import sys
import textwrap

import numpy as np
import pytest

from agents import registry
from bench.cli import main
from bench.evaluation import run_episodes

PLUGIN = '''
import numpy as np
from agents.registry import register


@register("first-legal")
class FirstLegal:
    """Always the first legal action."""

    def learn(self, env_id, env_kwargs, total_steps, seed, callback=None):
        pass

    def predict(self, obs, action_mask, deterministic=True):
        return np.argmax(action_mask, axis=1)

    def save(self, path):
        pass

    def load(self, path):
        pass

    def num_params(self):
        return 0


@register("half-agent")
def half_agent():
    return object()
'''


def write_distribution(root, name, module, source, entries=None):
    """A package plus the dist-info an installer writes, so importlib.metadata finds it.

    ``entries``: the ``trm_bench.agents`` entry points, name -> value (default ``name = module``).
    """
    (root / f"{module}.py").write_text(source)
    info = root / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    lines = "".join(f"{key} = {value}\n" for key, value in (entries or {name: module}).items())
    (info / "entry_points.txt").write_text(f"[trm_bench.agents]\n{lines}")


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    write_distribution(tmp_path, "my-plugin", "my_plugin", textwrap.dedent(PLUGIN))
    write_distribution(tmp_path, "broken-plugin", "broken_plugin", "raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.refresh()
    yield
    for name in ("first-legal", "half-agent"):
        registry._FACTORIES.pop(name, None)
    for module in ("my_plugin", "broken_plugin"):
        sys.modules.pop(module, None)
    registry.refresh()


def test_builtin_references_are_registered():
    assert {"random-masked", "most-constrained", "solver"} <= set(registry.available())


def test_plugin_agent_is_discovered_listed_and_evaluated(plugins, capsys, tmp_path):
    assert "first-legal" in registry.available()
    assert "broken-plugin" in registry.discover()
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "first-legal" in out and "broken-plugin" in out and "boom" in out
    agent = registry.make_agent("first-legal")
    result = run_episodes(
        "trm/Sudoku4x4-Easy-v0", {"split": "test"}, lambda o, m: agent.predict(o, m), np.arange(10)
    )
    assert len(result.solved) == 10
    argv = ["run", "--agent", "first-legal", "random-masked", "--env", "trm/Sudoku4x4-Hard-v0",
            "--steps", "1", "--episodes", "5", "--results", str(tmp_path / "res")]
    assert main(argv) == 0
    table = capsys.readouterr().out
    assert "| first-legal | trm/Sudoku4x4-Hard-v0 |" in table and "| random-masked |" in table


def test_editing_a_plugin_makes_its_records_stale(plugins, tmp_path):
    from bench.runner import RunSpec

    spec = RunSpec("first-legal", "trm/Sudoku4x4-Hard-v0", steps=1, seed=0)
    before, key, components = registry.plugin_source_version("first-legal"), spec.key(), spec.components()
    assert len(before) == 16 and registry.plugin_source_version("random-masked") is None
    plugin = tmp_path / "my_plugin.py"
    plugin.write_text(plugin.read_text().replace("np.argmax(action_mask, axis=1)", "action_mask.argmax(1)"))
    assert registry.plugin_source_version("first-legal") != before
    # the run keeps its identity; its agent component changes, so its record shows as stale
    assert spec.key() == key and spec.components() == components | {"agent": spec.components()["agent"]}
    assert spec.components()["agent"] != components["agent"]


def test_agent_missing_protocol_methods_is_named(plugins):
    with pytest.raises(registry.AgentProtocolError, match="half-agent.*learn, predict"):
        registry.make_agent("half-agent")


def test_unknown_agent_lists_known_ones_with_a_hint():
    with pytest.raises(registry.UnknownAgentError, match="did you mean 'random-masked'.*solver"):
        registry.make_agent("random-maskd")


def test_duplicate_name_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        registry.register("solver")(lambda: None)


FACTORY_PLUGIN = '''
import numpy as np


class LastLegal:
    """Always the last legal action."""

    def learn(self, env_id, env_kwargs, total_steps, seed, callback=None):
        pass

    def predict(self, obs, action_mask, deterministic=True):
        return action_mask.shape[1] - 1 - np.argmax(action_mask[:, ::-1], axis=1)

    def save(self, path):
        pass

    def load(self, path):
        pass

    def num_params(self):
        return 0


def no_methods():
    return object()


def needs_a_size(size):
    return LastLegal()


def raises():
    raise RuntimeError("no GPU here")


NOT_CALLABLE = 3
'''


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """``install(name, module, source, entries)`` writes a distribution on ``sys.path``; the
    agents and modules it brings are removed again afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    agents_before, modules = set(registry._FACTORIES), []

    def install(name, module, source, entries=None):
        write_distribution(tmp_path, name, module, textwrap.dedent(source), entries)
        modules.append(module)
        registry.refresh()

    yield install
    for name in set(registry._FACTORIES) - agents_before:
        del registry._FACTORIES[name]
    for module in modules:
        sys.modules.pop(module, None)
    registry.refresh()


def test_module_factory_entry_point_registers_the_factory_under_its_name(installed, capsys):
    installed("last-legal-dist", "last_legal", FACTORY_PLUGIN, {"last-legal": "last_legal:LastLegal"})
    assert "last-legal" in registry.available() and registry.discover() == {}
    assert registry.agent_module("last-legal") == "last_legal"
    assert len(registry.plugin_source_version("last-legal")) == 16
    agent = registry.make_agent("last-legal")
    mask = np.array([[1, 1, 0, 0], [0, 1, 0, 1]], dtype=bool)
    assert agent.predict(np.zeros((2, 3)), mask).tolist() == [1, 3]
    assert main(["list"]) == 0
    assert "  last-legal           Always the last legal action.\n" in capsys.readouterr().out


def test_module_entry_point_registering_by_decorator_still_works(installed):
    installed("my-plugin", "my_plugin", PLUGIN)
    assert {"first-legal", "half-agent"} <= set(registry.available()) and registry.discover() == {}
    assert registry.agent_module("first-legal") == "my_plugin"
    assert type(registry.make_agent("first-legal")).__name__ == "FirstLegal"
    # refresh() re-reads the entry points: the module, already imported, still owns its agents.
    registry.refresh()
    assert registry.discover() == {} and "first-legal" in registry.available()


def test_module_imported_before_discovery_still_owns_its_agents(installed):
    installed("early-plugin", "early_plugin", PLUGIN.replace('"first-legal"', '"early-first"').replace(
        '"half-agent"', '"early-half"'))
    import early_plugin  # noqa: F401  (registers before discovery runs)

    assert registry.discover() == {} and "early-first" in registry.available()


def test_entry_point_registering_nothing_is_named_in_bench_list(installed, capsys):
    installed("my-plugin", "my_plugin", PLUGIN)
    installed("empty-plugin", "empty_plugin", "import numpy\nX = 1\n")
    assert registry.discover() == {"empty-plugin": "empty_plugin: registers no agent"}
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "  empty-plugin         FAILED TO LOAD: empty_plugin: registers no agent\n" in out
    assert "  first-legal          Always the first legal action.\n" in out and "  solver " in out


def test_factory_breaking_the_protocol_is_named_and_skipped(installed, capsys):
    installed("bad-factories", "bad_factories", FACTORY_PLUGIN, {
        "no-methods": "bad_factories:no_methods",
        "needs-args": "bad_factories:needs_a_size",
        "raises": "bad_factories:raises",
        "not-callable": "bad_factories:NOT_CALLABLE",
        "missing-attr": "bad_factories:nowhere",
        "ppo": "bad_factories:LastLegal",
        "good": "bad_factories:LastLegal",
    })
    failures = registry.discover()
    assert failures["no-methods"] == (
        "bad_factories:no_methods: agent 'no-methods' (object) does not implement learn, predict, save, "
        "load, num_params of the Agent protocol (learn, predict, save, load, num_params)"
    )
    assert failures["needs-args"].startswith("bad_factories:needs_a_size: needs_a_size() raised TypeError:")
    assert failures["raises"] == "bad_factories:raises: raises() raised RuntimeError: no GPU here"
    assert failures["not-callable"].startswith("bad_factories:NOT_CALLABLE: NOT_CALLABLE() raised TypeError")
    assert failures["missing-attr"].startswith("bad_factories:nowhere: AttributeError:")
    assert "'ppo' is already registered by the built-in agents.sb3" in failures["ppo"]
    assert set(failures) == {"no-methods", "needs-args", "raises", "not-callable", "missing-attr", "ppo"}
    assert registry.agent_module("ppo") == "agents.sb3"
    assert "good" in registry.available() and "no-methods" not in registry.available()
    with pytest.raises(registry.UnknownAgentError, match="plugins that failed to load: no-methods"):
        registry.make_agent("no-methods")
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "  raises               FAILED TO LOAD: bad_factories:raises: raises() raised RuntimeError" in out
    assert "  no-methods           FAILED TO LOAD: bad_factories:no_methods: agent 'no-methods'" in out
    assert "  good                 Always the last legal action.\n" in out
