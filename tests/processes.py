"""Helper of the interruption tests: start a bench command and SIGKILL it mid-way."""

import os
import signal
import subprocess
import time
from pathlib import Path


def kill_after_records(cmd: list[str], runs: Path, count: int, timeout: float = 120, pattern: str = "*.json") -> dict[Path, str]:
    """Start ``cmd`` in its own process group, SIGKILL the group once ``runs`` holds ``count``
    files matching ``pattern`` (records, or checkpoints with ``*.pt``; or after ``timeout`` s),
    and return the records left in ``runs``, path -> text."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + timeout
    while time.time() < deadline and len(list(runs.glob(pattern))) < count:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return {p: p.read_text() for p in runs.glob("*.json")}
