"""Supervised maze runs (the TRM README's supervised table) as run records.

A :class:`SupervisedSpec` is the supervised counterpart of :class:`bench.runner.RunSpec`: its key
hashes the config (the run's identity), its record stores the versions of the code it depends on
(:mod:`bench.versions`), and it (metrics per split, parameters, times,
provenance) goes to the same result store, so the executors, resumption and reports treat both
kinds alike.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from agents.supervised.train import SupervisedConfig, train_and_evaluate
from bench import versions
from bench.runner import provenance

DATASET_MODULE = "envs.maze.dataset"
MODEL_PACKAGE = "agents.supervised"


@dataclass(frozen=True)
class SupervisedSpec:
    """One supervised run: a predictor on a maze dataset (legacy or corrected) with a seed.

    :param epochs: None: the source script's epochs for the maze size.
    """

    model: str
    size: int
    seed: int
    legacy: bool = False
    epochs: int | None = None

    def config(self) -> SupervisedConfig:
        """The training config (validates model and size)."""
        return SupervisedConfig(model=self.model, size=self.size, legacy=self.legacy, epochs=self.epochs, seed=self.seed)

    def key(self) -> str:
        """Content hash of the spec's fields (24 hex digits): the run's identity."""
        payload = json.dumps({"supervised": asdict(self)}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:24]

    def components(self) -> dict[str, str]:
        """Versions of the dataset code, the models' code and the protocol."""
        return {
            "env": versions.modules_version((DATASET_MODULE,), ("envs.sudoku",)),
            "agent": versions.modules_version((MODEL_PACKAGE,), ("envs",)),
            "protocol": versions.protocol_version("supervised"),
        }

    def label(self) -> str:
        """Short human-readable name."""
        data = "legacy" if self.legacy else "corrected"
        return f"{self.model} on {self.size}x{self.size} mazes ({data}) seed {self.seed}"

    def execute(self, progress_position: int | None = None, checkpoints: Path | None = None) -> dict[str, Any]:
        """Train and score; return the record (not yet stored). Supervised runs take minutes and
        keep no checkpoint: an interrupted one restarts (``checkpoints`` is not used)."""
        result = train_and_evaluate(self.config(), progress=progress_position is not None)
        metrics: dict[str, dict[str, float]] = {}
        for name, value in result.items():
            if "/" in name:
                split, metric = name.split("/")
                metrics.setdefault(split, {})[metric] = value
        return {
            "key": self.key(),
            "kind": "supervised",
            "spec": asdict(self),
            "label": self.label(),
            "metrics": metrics,
            "params": result["params"],
            "epochs": result["epochs"],
            "train_time_s": result["train_seconds"],
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **provenance(self),
        }
