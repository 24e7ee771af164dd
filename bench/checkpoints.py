"""Checkpoints of runs in progress: a killed run resumes from its last one and its record is the
one an uninterrupted run would have written (DESIGN section 6).

A checkpoint is one file per run, ``<results>/checkpoints/<key>.pt``, written atomically (a
temporary file renamed over the old one) at most every :func:`interval` seconds, at a point the
agent chooses (between two training iterations). It holds the agent's training state (what the
agent hands over: networks, optimizers, env state, its own generators), the runner's progress
(learning-curve points, evaluation marks left, time spent) and the global random states of
Python, numpy and torch. The file is removed when the run's record lands.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

CHECKPOINT_FOLDER = "checkpoints"
"""Folder under the results folder that holds the checkpoints of runs in progress."""
INTERVAL_VARIABLE = "TRM_BENCH_CHECKPOINT_SECONDS"
DEFAULT_INTERVAL = 300.0
"""Seconds between two checkpoints of a run unless ``$TRM_BENCH_CHECKPOINT_SECONDS`` says otherwise."""


def interval() -> float:
    """Seconds between two checkpoints: ``$TRM_BENCH_CHECKPOINT_SECONDS`` (0: at every chance),
    else :data:`DEFAULT_INTERVAL`.

    :raises ValueError: a value that is not a number >= 0.
    """
    raw = os.environ.get(INTERVAL_VARIABLE)
    if raw is None:
        return DEFAULT_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ValueError(f"{INTERVAL_VARIABLE} must be a number of seconds >= 0, got {raw!r}")
    return value


class RunCheckpoint:
    """The checkpoint file of one run, handed to an agent that can resume (``resumable``).

    :param path: the file (its folder is created on the first save).
    :param runner_state: the runner's progress to store beside the agent's state.
    :param every: seconds between two saves (:func:`interval`).
    """

    def __init__(self, path: Path, runner_state: Callable[[], dict[str, Any]], every: float) -> None:
        self.path = path
        self.runner_state = runner_state
        self.every = every
        self._last = time.monotonic()
        self._loaded: dict[str, Any] | None = None

    def due(self) -> bool:
        """Whether the interval has passed since the last save (or since the run started)."""
        return time.monotonic() - self._last >= self.every

    def save(self, agent_state: dict[str, Any]) -> None:
        """Write the agent's state, the runner's progress and the global random states."""
        payload = {
            "agent": agent_state,
            "runner": self.runner_state(),
            "random": {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        torch.save(payload, tmp)
        tmp.replace(self.path)
        self._last = time.monotonic()

    def load(self) -> dict[str, Any] | None:
        """The runner's progress of the stored checkpoint, or None without one (read once; the
        agent's part waits for :meth:`restore`)."""
        if not self.path.exists():
            return None
        self._loaded = torch.load(self.path, weights_only=False)  # our own file, written by save()
        return self._loaded["runner"]

    def restore(self) -> dict[str, Any] | None:
        """The agent's state of the loaded checkpoint (None without one), with the global random
        states set back to those of the save: call it after the agent's own seeding."""
        if self._loaded is None:
            return None
        rand = self._loaded["random"]
        random.setstate(rand["python"])
        np.random.set_state(rand["numpy"])
        torch.set_rng_state(rand["torch"])
        return self._loaded["agent"]

    def remove(self) -> None:
        """Delete the file (the run's record has landed)."""
        self.path.unlink(missing_ok=True)
