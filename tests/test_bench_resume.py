"""`bench table` killed at any moment and run again: it resumes, and the measured numbers of its
report are those of an uninterrupted run with the same seeds."""

import subprocess
import sys

import yaml

from tests.processes import kill_after_records

SPEC = {
    "name": "resume-check",
    "title": "Resume check",
    "kind": "rl",
    "source": "none (a test table)",
    "profiles": {"full": {"steps": 512, "seeds": [0, 1]}, "quick": {"steps": 384, "seeds": [0, 1], "episodes": 10}},
    "columns": [{"id": "easy", "label": "4x4 Easy, cell masking", "env": "trm/Sudoku4x4-Easy-v0", "env_kwargs": {"masking": "cell"}}],
    "rows": [
        {"id": "ppo", "label": "PPO", "agent": "ppo", "agent_config": {"n_steps": 64, "batch_size": 32}, "claimed": {"easy": {"success": 0.5}}},
        {"id": "a2c", "label": "A2C", "agent": "a2c"},
        {"id": "random", "label": "random", "agent": "random-masked", "trivial": True},
    ],
    "metrics": ["success", "score"],
}


def measured_part(page: str) -> str:
    """The page without its provenance (compute times differ between runs, numbers must not)."""
    return page.split("## Provenance")[0]


def table_command(spec_path, results, out):
    return [sys.executable, "-m", "bench.cli", "table", str(spec_path), "--profile", "quick", "--jobs", "2",
            "--results", str(results), "--out", str(out), "--records", "none"]


def test_killed_bench_resumes_to_the_same_report(tmp_path):
    spec_path = tmp_path / "resume-check.yaml"
    spec_path.write_text(yaml.safe_dump(SPEC))
    whole = subprocess.run(table_command(spec_path, tmp_path / "a", tmp_path / "ra"), capture_output=True, text=True, timeout=300)
    assert whole.returncode == 0, whole.stderr
    cmd = table_command(spec_path, tmp_path / "b", tmp_path / "rb")
    kept = kill_after_records(cmd, tmp_path / "b" / "runs", 2)
    assert 2 <= len(kept) < 6
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert all(p.read_text() == text for p, text in kept.items())  # finished runs untouched
    index = (tmp_path / "rb" / "index.md").read_text()
    assert "in 2 sessions of `" in index and "(a killed session counts up to its last record)" in index
    first = (tmp_path / "ra" / "resume-check.md").read_text()
    resumed = (tmp_path / "rb" / "resume-check.md").read_text()
    assert "missing" not in measured_part(first)
    assert measured_part(resumed) == measured_part(first)
