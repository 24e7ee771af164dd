"""Built-in agents are known by name from ``BUILTIN_AGENTS``: the table matches what importing the
modules registers, and ``bench --help`` / ``bench list`` import neither torch nor SB3."""

import json
import subprocess
import sys
import textwrap

import pytest

from agents import registry
from agents.registry import BUILTIN_AGENTS, REPO_ROOT

HEAVY = ("torch", "stable_baselines3", "sb3_contrib")


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter at the repository root; return its last stdout line."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_builtin_table_matches_what_importing_the_modules_registers():
    out = run_python(
        """
        import importlib, json, pkgutil
        import agents
        from agents import registry

        imported_alone = {}
        for module in sorted({b.module for b in registry.BUILTIN_AGENTS.values()}):
            importlib.import_module(module)
            imported_alone[module] = sorted(registry._FACTORIES)
        for info in pkgutil.walk_packages(agents.__path__, "agents."):
            importlib.import_module(info.name)
        print(json.dumps({
            "imported_alone": imported_alone,
            "registered": {
                name: [f.__module__, ((f.__doc__ or "").strip().splitlines() or [""])[0]]
                for name, f in registry._FACTORIES.items()
            },
        }))
        """
    )
    found = json.loads(out)
    # Importing every module of the package registers exactly the table's names, each factory
    # defined in the table's module (agent_module) with the table's summary (bench list).
    assert found["registered"] == {name: [b.module, b.summary] for name, b in BUILTIN_AGENTS.items()}
    # make_agent imports the table's module only: that import alone registers the name.
    for name, builtin in BUILTIN_AGENTS.items():
        assert name in found["imported_alone"][builtin.module]


def test_bench_help_and_list_import_neither_torch_nor_sb3():
    out = run_python(
        f"""
        import json, sys
        from bench.cli import main
        from agents import registry

        assert main(["list"]) == 0
        try:
            main(["--help"])
        except SystemExit:
            pass
        modules = [registry.agent_module(name) for name in registry.BUILTIN_AGENTS]
        versions = [registry.plugin_source_version(name) for name in registry.BUILTIN_AGENTS]
        print(json.dumps({{
            "heavy": [m for m in {HEAVY!r} if m in sys.modules],
            "modules": modules,
            "versions": versions,
            "available": registry.available(),
        }}))
        """
    )
    found = json.loads(out)
    assert found["heavy"] == []
    assert found["modules"] == [b.module for b in BUILTIN_AGENTS.values()]
    assert found["versions"] == [None] * len(BUILTIN_AGENTS)
    assert set(BUILTIN_AGENTS) <= set(found["available"])


def test_bench_list_describes_every_builtin(capsys):
    from bench.cli import main

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name, builtin in BUILTIN_AGENTS.items():
        assert f"  {name:20s} {builtin.summary}\n" in out


def test_make_agent_imports_a_builtin_module_on_first_use():
    out = run_python(
        """
        import sys
        from agents import registry

        before = "agents.references" in sys.modules
        agent = registry.make_agent("random-masked")
        print(before, "agents.references" in sys.modules, type(agent).__name__, "agents.sb3" in sys.modules)
        """
    )
    assert out == "False True RandomMasked False"


def test_agent_module_of_unknown_name_is_none():
    assert registry.agent_module("no-such-agent") is None
    assert registry.plugin_source_version("no-such-agent") is None


def test_builtin_name_cannot_be_taken_before_its_module_is_imported():
    # Whether agents.sb3 is imported yet or not, a factory from elsewhere cannot take "ppo".
    with pytest.raises(ValueError, match="'ppo' is already registered"):
        registry.register("ppo")(lambda: None)


def test_perf_agents_are_bench_perf_train_agents():
    from bench.cli import perf_agents
    from bench.perf import TRAIN_AGENTS

    assert perf_agents() == TRAIN_AGENTS
    assert set(TRAIN_AGENTS) <= set(BUILTIN_AGENTS)
