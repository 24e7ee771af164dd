"""The keyword arguments every Sudoku env id accepts, validated in one place."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np

from envs.batched import check_kwargs, check_positive_int, check_render_mode
from envs.sudoku.core import MASKINGS, OBSERVATIONS, REWARDS, RULES
from envs.sudoku.dataset import DATASETS, SPLITS, load, validate_puzzles

ENV_KWARGS = ("split", "masking", "rules", "reward", "observation", "horizon", "seed", "puzzles", "horizon_truncates", "render_mode")
"""Keyword arguments accepted by ``gym.make`` / ``gym.make_vec`` for the ``trm/Sudoku*`` ids."""


@dataclass(frozen=True)
class SudokuOptions:
    """Resolved env configuration.

    :param dataset: dataset name (fixed by the env id).
    :param n: box size.
    :param puzzles: ``(P, C)`` int8 clue grids the episodes draw from.
    :param masking: masking regime.
    :param rules: rule set (``suite``, ``poster`` or ``poster-folded``).
    :param reward: reward variant (``shaped`` or ``progress``).
    :param observation: observation layout (``grid``, ``grid+mask`` or ``grid+candidates``).
    :param horizon: edits per episode before failure.
    :param horizon_truncates: report horizon exhaustion as truncation (no failure value).
    :param render_mode: None or ``"ansi"``.
    """

    dataset: str
    n: int
    puzzles: np.ndarray
    masking: str
    rules: str
    reward: str
    observation: str
    horizon: int
    horizon_truncates: bool
    render_mode: str | None


def parse_options(dataset: str, **kwargs: object) -> SudokuOptions:
    """Validate the env kwargs of ``dataset`` with clear messages.

    :param split: ``"train"`` (default), ``"val"`` or ``"test"``.
    :param masking: ``"constraint"`` (default), ``"constraint-edit"``, ``"cell"`` or ``"none"``.
    :param rules: ``"suite"`` (default), ``"poster"`` (the poster code's MDP as its claims ran
        it) or ``"poster-folded"`` (the same with today's folded terminal reward), see
        :mod:`envs.sudoku.core`.
    :param reward: ``"shaped"`` (default) or ``"progress"`` (the failing step keeps the credit of
        its final score; ``rules="suite"`` only), see :func:`envs.sudoku.core.shaped_reward`.
    :param observation: ``"grid"`` (default), ``"grid+mask"`` or ``"grid+candidates"``, see
        :func:`envs.sudoku.core.observation_size`.
    :param horizon: edits per episode (default ``N*N``: 16 for 4x4, 81 for 9x9).
    :param seed: dataset seed (default 0), not the episode seed (that is ``reset(seed=...)``).
    :param puzzles: array or ``.npy`` path of clue grids used instead of the dataset's split.
    :param horizon_truncates: default False (horizon exhaustion is a terminal failure).
    :raises TypeError: on an unknown keyword, with the closest known one.
    :raises ValueError: on a bad value.
    """
    check_kwargs(kwargs, ENV_KWARGS, "Sudoku")
    if dataset not in DATASETS:
        raise ValueError(f"unknown Sudoku dataset {dataset!r}; known: {sorted(DATASETS)}")
    if kwargs.get("puzzles") is not None and ({"split", "seed"} & set(kwargs)):
        raise ValueError("'puzzles' replaces the dataset: do not pass 'split' or 'seed' with it")
    spec = DATASETS[dataset]
    split = kwargs.get("split", "train")
    masking = kwargs.get("masking", "constraint")
    horizon = kwargs.get("horizon", spec.num_cells)
    seed = kwargs.get("seed", 0)
    render_mode = kwargs.get("render_mode")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    rules = kwargs.get("rules", "suite")
    reward = kwargs.get("reward", "shaped")
    observation = kwargs.get("observation", "grid")
    choices = (("masking", masking, MASKINGS), ("rules", rules, RULES), ("reward", reward, REWARDS), ("observation", observation, OBSERVATIONS))
    for name, value, known in choices:
        if value not in known:
            close = difflib.get_close_matches(str(value), known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"{name} must be one of {known}, got {value!r}{hint}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    truncates = kwargs.get("horizon_truncates", False)
    if not isinstance(truncates, (bool, np.bool_)):
        raise ValueError(f"horizon_truncates must be True or False, got {truncates!r}")
    if kwargs.get("puzzles") is not None:
        puzzles = validate_puzzles(kwargs["puzzles"], spec.n)
    else:
        puzzles = load(dataset, int(seed)).puzzles[split]
    return SudokuOptions(
        dataset=dataset,
        n=spec.n,
        puzzles=puzzles,
        masking=str(masking),
        rules=str(rules),
        reward=str(reward),
        observation=str(observation),
        horizon=check_positive_int("horizon", horizon),
        horizon_truncates=bool(truncates),
        render_mode=check_render_mode(render_mode),
    )
