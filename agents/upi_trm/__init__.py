"""UPI-TRM: the Tiny Recursive Model trained by unrolled policy iteration (registered ``upi-trm``)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agents.registry import Checkpoint, register
from agents.upi_trm.boards import Board, board_for_env, board_from_spec
from agents.upi_trm.network import TinyRecursiveModel
from agents.upi_trm.presets import resolve
from agents.upi_trm.probe import depth_drift, frozen_states
from agents.upi_trm.upi import TrainStats, UPIConfig, train


@register("upi-trm")
class UPITRM:
    """Tiny Recursive Model trained by UPI from checker feedback (dials L_z, n, R, K, alpha)."""

    env_families = ("sudoku", "maze_path")
    resumable = True
    """A killed run resumes from its last checkpoint, between two UPI iterations."""

    def __init__(self, **config: Any) -> None:
        self.config = UPIConfig(**resolve(config))
        self.net: TinyRecursiveModel | None = None
        self.stats = TrainStats()

    @property
    def checker_calls(self) -> int:
        """Lookahead checker calls made during training (not env transitions)."""
        return self.stats.checker_calls

    def training_log(self) -> dict[str, list[float]]:
        """Per iteration: the distillation KL left after the update and the last minibatch's
        value loss (recorded with each run, to watch training degrade)."""
        return {"distill_kl": list(self.stats.distill_kl), "value_loss": list(self.stats.value_loss)}

    @property
    def hyperparams(self) -> dict[str, Any]:
        """The resolved config (recorded with each run)."""
        return dataclasses.asdict(self.config)

    def learn(
        self,
        env_id: str,
        env_kwargs: dict[str, Any],
        total_steps: int,
        seed: int,
        callback: Callable[[int], None] | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> None:
        """Train on ``env_id`` for at most ``total_steps`` transitions (saving to and resuming
        from ``checkpoint`` between iterations, when given)."""
        torch.manual_seed(seed)
        board = board_for_env(env_id)
        self.config = self.config.for_board(board)
        self.net = self._build(board)
        self.stats = train(self.net, env_id, env_kwargs, total_steps, seed, self.config, callback, checkpoint)

    def steps_done(self) -> int:
        """Transitions used (a multiple of ``num_envs``, never above the budget)."""
        return self.stats.steps_done

    @torch.no_grad()
    def predict(self, obs: np.ndarray, action_mask: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """Greedy (or sampled) legal action per row at the training depth."""
        if self.net is None:
            raise RuntimeError("upi-trm: learn() or load() first")
        _, log_probs = self.net(torch.as_tensor(obs), torch.as_tensor(action_mask), self.config.depth)
        if deterministic:
            return log_probs.argmax(dim=1).numpy()
        return torch.multinomial(log_probs.exp(), 1).squeeze(1).numpy()

    def depth_drift(
        self, env_id: str, env_kwargs: dict[str, Any], puzzles: np.ndarray, depths: list[int]
    ) -> list[dict[str, float]]:
        """The depth-drift probe on the initial states of held-out ``puzzles`` (test split),
        against the training depth: per depth the drifts, the argmax agreement and its counts
        (``agreement_count`` of ``states``; intervals are computed by ``bench``)."""
        if self.net is None:
            raise RuntimeError("upi-trm: learn() or load() first")
        obs, mask = frozen_states(env_id, env_kwargs, puzzles)
        return depth_drift(self.net, obs, mask, list(depths), base_depth=self.config.depth)

    def save(self, path: Path) -> None:
        """``config.json`` and ``model.pt`` (state dict and board) in the folder ``path``."""
        if self.net is None:
            raise RuntimeError("upi-trm: nothing to save before learn()")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "config.json").write_text(json.dumps(dataclasses.asdict(self.config)))
        torch.save({"board": self.net.board.spec(), "state": self.net.state_dict()}, path / "model.pt")

    def load(self, path: Path) -> None:
        """Restore what ``save`` wrote."""
        path = Path(path)
        self.config = UPIConfig(**json.loads((path / "config.json").read_text()))
        saved = torch.load(path / "model.pt", weights_only=True)
        self.net = self._build(board_from_spec(saved["board"]))
        self.net.load_state_dict(saved["state"])

    def _build(self, board: Board) -> TinyRecursiveModel:
        cfg = self.config.for_board(board)
        return TinyRecursiveModel(board, cfg.latent_dim, cfg.contraction, cfg.radius)

    def num_params(self) -> int:
        """Trainable parameters of the TRM."""
        return 0 if self.net is None else self.net.num_params()
