"""Helper of the interruption tests: start a bench command and SIGKILL it mid-way."""

import os
import signal
import subprocess
import time
from pathlib import Path


def kill_after_records(cmd: list[str], runs: Path, count: int, timeout: float = 120) -> dict[Path, str]:
    """Start ``cmd`` in its own process group, SIGKILL the group once ``runs`` holds ``count``
    records (or after ``timeout`` s), and return the records left, path -> text."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + timeout
    while time.time() < deadline and len(list(runs.glob("*.json"))) < count:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return {p: p.read_text() for p in runs.glob("*.json")}
