"""Test-wide settings: tests exercise the mechanisms, not the committed tuned hyperparameters."""

import pytest


@pytest.fixture(autouse=True)
def no_committed_tuned_files(tmp_path_factory, monkeypatch):
    """Agents read tuned files from an empty folder (also in spawned worker processes)."""
    monkeypatch.setenv("TRM_BENCH_TUNED_DIR", str(tmp_path_factory.mktemp("tuned")))
