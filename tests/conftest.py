"""Test-wide settings: tests exercise the mechanisms, not the committed tuned hyperparameters."""

import pytest
import torch


@pytest.fixture(autouse=True)
def no_committed_tuned_files(tmp_path_factory, monkeypatch):
    """Agents read tuned files from an empty folder (also in spawned worker processes)."""
    monkeypatch.setenv("TRM_BENCH_TUNED_DIR", str(tmp_path_factory.mktemp("tuned")))


@pytest.fixture
def one_thread():
    """One torch thread while a test trains (as every benchmark worker runs), restored after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
