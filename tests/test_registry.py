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


def write_distribution(root, name, module, source):
    """A package plus the dist-info an installer writes, so importlib.metadata finds it."""
    (root / f"{module}.py").write_text(source)
    info = root / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[trm_bench.agents]\n{name} = {module}\n")


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


def test_editing_a_plugin_changes_its_run_keys(plugins, tmp_path):
    from bench.runner import RunSpec

    spec = RunSpec("first-legal", "trm/Sudoku4x4-Hard-v0", steps=1, seed=0)
    before, key = registry.plugin_source_version("first-legal"), spec.key()
    assert len(before) == 16 and registry.plugin_source_version("random-masked") is None
    plugin = tmp_path / "my_plugin.py"
    plugin.write_text(plugin.read_text().replace("np.argmax(action_mask, axis=1)", "action_mask.argmax(1)"))
    assert registry.plugin_source_version("first-legal") != before and spec.key() != key


def test_agent_missing_protocol_methods_is_named(plugins):
    with pytest.raises(registry.AgentProtocolError, match="half-agent.*learn, predict"):
        registry.make_agent("half-agent")


def test_unknown_agent_lists_known_ones_with_a_hint():
    with pytest.raises(registry.UnknownAgentError, match="did you mean 'random-masked'.*solver"):
        registry.make_agent("random-maskd")


def test_duplicate_name_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        registry.register("solver")(lambda: None)
