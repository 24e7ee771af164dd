"""Run records that survive edits and ship with the reports: code versions ignore comments and
docstrings, a changed component makes exactly its records stale, shipped records reproduce a
page, and any agent becomes a row of a table computing only its own runs."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from agents.registry import REPO_ROOT
from bench.cli import main
from bench.versions import code_tokens

TINY_TABLE = {
    "name": "tiny-table",
    "title": "Tiny table",
    "kind": "rl",
    "source": "a test",
    "note": "Two references on one column.",
    "profiles": {"full": {"steps": 16, "seeds": [0, 1], "episodes": 4}, "quick": {"steps": 16, "seeds": [0], "episodes": 4}},
    "columns": [{"id": "easy", "label": "4x4 Easy", "env": "trm/Sudoku4x4-Easy-v0", "env_kwargs": {"masking": "constraint"}}],
    "rows": [
        {"id": "random", "label": "random-masked (floor)", "agent": "random-masked", "trivial": True},
        {"id": "solver", "label": "exact solver (ceiling)", "agent": "solver", "claimed": {"easy": {"success": 1.0}}},
    ],
    "metrics": ["success", "score"],
}


@pytest.fixture
def tiny_spec(tmp_path: Path) -> Path:
    path = tmp_path / "tiny-table.yaml"
    path.write_text(yaml.safe_dump(TINY_TABLE))
    return path


def table_args(spec: Path, results: Path, out: Path, *extra: str) -> list[str]:
    return [str(spec), "--profile", "full", "--results", str(results), "--out", str(out), "--records", "none", *extra]


def test_code_tokens_ignore_comments_and_docstrings_but_not_code(tmp_path):
    path = tmp_path / "m.py"
    path.write_text('"""Module."""\n\n\ndef f(x):\n    """Double."""\n    return 2 * x  # twice\n')
    base = code_tokens(path)
    path.write_text('"""Module, reworded."""\n# a comment\n\ndef f(x):\n    """Twice x."""\n\n    return 2 * x\n')
    code_tokens.cache_clear()
    assert code_tokens(path) == base
    path.write_text('"""Module."""\n\n\ndef f(x):\n    """Double."""\n    return 3 * x\n')
    code_tokens.cache_clear()
    assert code_tokens(path) != base


COMPONENTS = """
import json
from bench.runner import RunSpec
runs = [RunSpec(a, "trm/Sudoku4x4-Easy-v0", 16, 0) for a in ("upi-trm", "ppo", "random-masked")]
runs.append(RunSpec("ppo", "trm/Maze5x5-v0", 16, 0))
print(json.dumps([[r.key(), r.components()] for r in runs]))
"""


def components_in(tree: Path) -> list:
    out = subprocess.run([sys.executable, "-c", COMPONENTS], cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_a_comment_keeps_every_record_and_a_code_change_stales_only_the_agents_that_import_it(tmp_path):
    files = subprocess.run(["git", "ls-files", "envs", "agents", "bench", "sweeps"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    tree = tmp_path / "repo"
    for name in files.stdout.split():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / name, tree / name)
    before = components_in(tree)
    upi = tree / "agents" / "upi_trm" / "upi.py"
    upi.write_text(upi.read_text() + "\n# a comment added at the end\n")
    assert components_in(tree) == before
    references = tree / "agents" / "references.py"
    references.write_text(references.read_text() + "\nUNUSED_CONSTANT = 1\n")
    after = components_in(tree)
    assert [key for key, _ in after] == [key for key, _ in before]  # identities never move
    changed = [sorted(c for c in new if new[c] != old[c]) for (_, old), (_, new) in zip(before, after)]
    assert changed == [[], [], ["agent"], []]  # only the reference's records turn stale
    upi.write_text(upi.read_text() + "\nUNUSED_CONSTANT = 1\n")
    later = components_in(tree)
    changed = [sorted(c for c in new if new[c] != old[c]) for (_, old), (_, new) in zip(after, later)]
    assert changed == [["agent"], ["agent"], [], ["agent"]]  # UPI-TRM's and the SB3 agents' (backbone=trm runs on it)


def test_a_stale_record_is_named_on_the_page_and_only_it_is_recomputed(tiny_spec, tmp_path, capsys):
    results, out = tmp_path / "results", tmp_path / "out"
    assert main(["table", *table_args(tiny_spec, results, out)]) == 0
    assert "4 runs: 0 current, 0 stale, 4 missing; computing 4" in capsys.readouterr().err
    # pretend one solver record was computed by older agent code
    solver = next(p for p in (results / "runs").glob("*.json") if json.loads(p.read_text())["spec"]["agent"] == "solver")
    record = json.loads(solver.read_text())
    record["components"]["agent"] = "0" * 16
    solver.write_text(json.dumps(record))
    untouched = {p: p.stat().st_mtime_ns for p in (results / "runs").glob("*.json") if p != solver}
    assert main(["report", *table_args(tiny_spec, results, out)]) == 0
    page = (out / "tiny-table.md").read_text()
    assert "stale (agent changed)" in page and "1 stale, 0 missing" in page
    capsys.readouterr()
    assert main(["table", *table_args(tiny_spec, results, out)]) == 0
    assert "4 runs: 3 current, 1 stale (agent changed in 1), 0 missing; computing 1" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in untouched} == untouched
    assert "stale (" not in (out / "tiny-table.md").read_text()


def test_shipped_records_reproduce_the_page_on_an_empty_results_folder(tiny_spec, tmp_path):
    results, out = tmp_path / "results", tmp_path / "out"
    assert main(["table", *table_args(tiny_spec, results, out)]) == 0
    page = (out / "tiny-table.md").read_text()
    bundle = out / "records" / "tiny-table.jsonl.gz"
    assert len(gzip.decompress(bundle.read_bytes()).decode().splitlines()) == 4
    again = tmp_path / "again"
    argv = [str(tiny_spec), "--profile", "full", "--results", str(tmp_path / "empty"), "--out", str(again), "--records", str(out / "records")]
    assert main(["report", *argv]) == 0
    assert (again / "tiny-table.md").read_text() == page
    assert (again / "records" / "tiny-table.jsonl.gz").read_bytes() == bundle.read_bytes()  # byte-identical bundles


def test_report_without_any_record_refuses_in_one_line(tiny_spec, tmp_path, capsys):
    assert main(["report", *table_args(tiny_spec, tmp_path / "none", tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no run records for tiny-table" in err[0]
    assert not (tmp_path / "out").exists()


def test_add_agent_computes_only_its_runs_and_indexes_only_its_page(tiny_spec, tmp_path, capsys):
    results = tmp_path / "results"
    assert main(["table", *table_args(tiny_spec, results, tmp_path / "out")]) == 0
    stamps = {p: p.stat().st_mtime_ns for p in (results / "runs").glob("*.json")}
    capsys.readouterr()
    added = tmp_path / "added"
    assert main(["table", *table_args(tiny_spec, results, added, "--add-agent", "most-constrained")]) == 0
    assert "2 runs: 0 current, 0 stale, 2 missing; computing 2" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps and len(list((results / "runs").glob("*.json"))) == 6
    page = (added / "tiny-table.md").read_text()
    assert "| most-constrained (added) |" in page and f"`{tiny_spec}`" in page
    index = (added / "index.md").read_text()
    assert "[Tiny table](tiny-table.md)" in index and index.count(".md)") == 2  # the page and performance.md


def test_add_agent_refuses_what_it_cannot_add(tiny_spec, tmp_path, capsys):
    argv = table_args(tiny_spec, tmp_path / "r", tmp_path / "o")
    assert main(["table", *argv, "--add-agent", "shortest-path"]) == 2
    assert "plays none of the columns" in capsys.readouterr().err
    assert main(["table", *argv, "--add-agent", "random-maskd"]) == 2
    assert "did you mean 'random-masked'" in capsys.readouterr().err
    assert main(["table", "readme-supervised-maze", "--add-agent", "ppo", "--results", str(tmp_path / "r")]) == 2
    assert "adds a row to an RL table" in capsys.readouterr().err
    assert not (tmp_path / "r" / "runs").exists()


def test_drift_page_shows_real_probe_values_and_judged_gains(tmp_path):
    tiny = {"num_envs": 16, "rollout_steps": 8, "epochs": 2, "latent_dim": 16, "minibatch_size": 64}
    base = dict(TINY_TABLE, name="tiny-base", rows=[
        {"id": "free", "label": "no contraction", "agent": "upi-trm", "agent_config": tiny | {"contraction": None}, "probe_depths": [4, 8]},
        {"id": "lz", "label": "contraction", "agent": "upi-trm", "agent_config": tiny, "probe_depths": [4, 8]},
    ])
    base["profiles"] = {"full": {"steps": 256, "seeds": [0, 1], "episodes": 4}, "quick": {"steps": 256, "seeds": [0], "episodes": 4}}
    (tmp_path / "tiny-base.yaml").write_text(yaml.safe_dump(base))
    drift = {
        "name": "tiny-drift", "title": "Tiny drift", "kind": "drift", "derived_from": str(tmp_path / "tiny-base.yaml"),
        "source": "a test", "note": "Drift of the base table's runs.", "metrics": ["delta_v", "delta_pi", "agreement"],
        "rows": [{"id": "free", "claimed": {"easy": {"agreement@8": 0.5}}}, {"id": "lz"}],
        "gains": {"easy": {"delta_v@8": 2.0}},
    }
    (tmp_path / "tiny-drift.yaml").write_text(yaml.safe_dump(drift))
    assert main(["table", *table_args(tmp_path / "tiny-drift.yaml", tmp_path / "r", tmp_path / "out"), "--jobs", "2"]) == 0
    page = (tmp_path / "out" / "tiny-drift.md").read_text()
    body = page.split("## Provenance")[0]
    assert "missing" not in body and "stale (" not in body
    assert "| no contraction | 8 | " in body and "| contraction | 8 | " in body
    assert "Gain: drift of no contraction / drift of contraction" in body
    gain_row = next(line for line in body.splitlines() if line.startswith("| delta_v@8 | 2.0x |"))
    assert "x [" in gain_row and any(v in gain_row for v in ("holds", "does not hold"))
    claim_row = next(line for line in body.splitlines() if line.startswith("| no contraction | agreement@8 | 0.500 |"))
    assert "+-" in claim_row


def test_a_profile_with_its_own_records_reuses_another_profiles_runs_of_the_same_key(tiny_spec, tmp_path, capsys):
    from bench.commands import records_store
    from bench.inputs import load_table_specs
    from bench.publish import table_pages
    from bench.store import SHIPPED_RECORDS, ResultStore, write_bundle

    spec = yaml.safe_load(tiny_spec.read_text())
    spec["profiles"]["thorough"] = {"steps": 16, "seeds": [0, 1, 2], "episodes": 4}  # full's two seeds, and one more
    tiny_spec.write_text(yaml.safe_dump(spec))
    full_out = tmp_path / "full"
    assert main(["table", *table_args(tiny_spec, tmp_path / "full-results", full_out)]) == 0
    full_bundle = full_out / "records" / "tiny-table.jsonl.gz"
    records = [json.loads(line) for line in gzip.decompress(full_bundle.read_bytes()).decode().splitlines()]
    write_bundle(full_bundle, [{**r, "created": "2000-01-01T00:00:00Z"} for r in records])  # clearly before any session here
    (table,) = load_table_specs([str(tiny_spec)])
    results, thorough_out = tmp_path / "thorough-results", tmp_path / "thorough"
    store = ResultStore(results, thorough_out / "records", also=[full_out / "records"])
    table_pages([table], "thorough", store, thorough_out, compute=True)
    assert len(list((results / "runs").glob("*.json"))) == 2  # only seed 2 of each row was trained
    bundle = gzip.decompress((thorough_out / "records" / "tiny-table.jsonl.gz").read_bytes()).decode().splitlines()
    assert len(bundle) == 6  # the page ships every record it shows, the reused ones too
    index = (thorough_out / "index.md").read_text()
    assert "4 of the records were computed outside them" in index
    assert "| 6 / 0 / 0 |" in index  # every run current
    # what `bench table --records DIR` builds: DIR, then the shipped records; the default and `none` add nothing
    assert records_store("r", "elsewhere").also == (SHIPPED_RECORDS,)
    assert records_store("r", None).also == () and records_store("r", None).shipped == SHIPPED_RECORDS
    assert records_store("r", "none").shipped is None and records_store("r", "none").also == ()


def test_a_fresh_record_of_a_later_folder_wins_over_a_stale_one_of_an_earlier(tmp_path):
    from bench.runner import RunSpec
    from bench.store import ResultStore, write_bundle

    run = RunSpec("random-masked", "trm/Sudoku4x4-Easy-v0", 16, 0)
    fresh = {"key": run.key(), "components": run.components(), "metrics": {"test": {"success": 1.0}}}
    stale = {**fresh, "components": {**fresh["components"], "agent": "0" * 16}, "metrics": {"test": {"success": 0.0}}}
    write_bundle(tmp_path / "own" / "t.jsonl.gz", [stale])
    write_bundle(tmp_path / "other" / "t.jsonl.gz", [fresh])
    both = ResultStore(tmp_path / "results", tmp_path / "own", also=[tmp_path / "other"])
    assert both.lookup(run).fresh == fresh
    alone = ResultStore(tmp_path / "results", tmp_path / "own")
    assert alone.lookup(run).stale == ("agent",)
    assert both.bundled[run.key()] == stale  # of two records with one key, the first folder's is the one known
