"""UPI-TRM presets of the poster's configurations: they expand into UPIConfig fields, an explicit
kwarg wins over a preset, a bad preset is one line at the command line."""

from __future__ import annotations

import pytest

from agents import registry
from agents.upi_trm.presets import PRESETS, resolve
from bench.cli import main
from bench.tables import load_spec


def test_presets_expand_and_explicit_kwargs_win():
    agent = registry.make_agent("upi-trm", preset="poster-9x9")
    assert (agent.config.contraction, agent.config.depth, agent.config.bootstrap, agent.config.alpha) == (None, 1, 1, 0.1)
    free = registry.make_agent("upi-trm", preset="poster-4x4", contraction=None)
    assert free.config.contraction is None and free.config.depth == 2 and free.config.alpha == 0.1
    assert resolve({"alpha": 0.3}) == {"alpha": 0.3}  # no preset: untouched
    assert resolve({"preset": "poster-4x4", "alpha": 0.3})["alpha"] == 0.3


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_builds_a_valid_config(name):
    assert registry.make_agent("upi-trm", preset=name).config.alpha == PRESETS[name]["alpha"]


def test_unknown_preset_is_one_line_with_a_hint(tmp_path, capsys):
    argv = ["run", "--agent", "upi-trm", "--agent-kwargs", "preset=poster-9x", "--env", "trm/Sudoku4x4-Easy-v0",
            "--steps", "8", "--results", str(tmp_path / "r")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "did you mean 'poster-9x9'" in err[0]
    assert not (tmp_path / "r").exists()


def test_poster_columns_state_the_posters_budget_in_transitions():
    spec = load_spec("poster-9x9")
    poster = next(c for c in spec.columns if c.id == "poster")
    assert poster.env_kwargs == {"masking": "constraint-edit", "rules": "poster"}
    assert poster.source_budget.max_transitions == 50_000 * 2 * 81
    assert "= at most 8,100,000 transitions" in poster.source_budget.describe()
    easy = next(c for c in load_spec("poster-4x4-feasibility").columns if c.id == "easy-cell")
    assert easy.source_budget.max_transitions == 5_000 * 4 * 16 and easy.env_kwargs["rules"] == "poster"
