"""Optuna's distributed mode for real: a local PostgreSQL server on loopback, two tuning worker
processes on one study (two seeds per trial), no trial lost or duplicated. `.ci/run` makes sure
the server is installed."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import optuna
import pytest

from sweeps.tune import TuneSpec, tune


def pg_binary(name):
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


@pytest.fixture(scope="module")
def postgres_url():
    initdb, postgres = pg_binary("initdb"), pg_binary("postgres")
    if not (initdb and postgres):
        pytest.fail("PostgreSQL server binaries not found: install Debian's postgresql (see .ci/run)")
    psycopg = pytest.importorskip("psycopg")
    root = Path(tempfile.mkdtemp(prefix="trm-bench-pg-"))  # pytest's tmp dirs are private to root
    os.chmod(root, 0o777)
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = root / "data"
    subprocess.run(as_user + [initdb, "-D", str(data), "-U", "bench", "--auth=trust"], check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        as_user + [postgres, "-D", str(data), "-p", str(port), "-h", "127.0.0.1", "-k", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 30
        while True:
            try:
                conn = psycopg.connect(host="127.0.0.1", port=port, user="bench", dbname="postgres", autocommit=True)
                break
            except psycopg.OperationalError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        conn.execute("CREATE DATABASE optuna")
        conn.close()
        yield f"postgresql://bench@127.0.0.1:{port}/optuna"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


def test_two_workers_share_one_study_without_losing_or_duplicating_trials(postgres_url):
    spec = TuneSpec("ppo", "trm/Sudoku4x4-Easy-v0", steps=128, trials=4, masking="cell", rules="poster", episodes=5, storage=postgres_url)
    tune(spec, jobs=2)
    study = optuna.load_study(study_name=spec.study_name, storage=postgres_url)
    trials = study.get_trials(deepcopy=False)
    assert 4 <= len(trials) <= 5  # each worker checks the count after its trial
    assert sorted(t.number for t in trials) == list(range(len(trials)))
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    params = [tuple(sorted(t.params.items())) for t in trials]
    assert len(set(params)) == len(params)  # the two workers proposed different trials
    assert all("kwargs" in t.user_attrs and [r["seed"] for r in t.user_attrs["per_seed"]] == [0, 1] for t in trials)
    assert study.user_attrs["masking"] == "cell" and "floor" in study.user_attrs
