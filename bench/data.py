"""Dataset cards (``bench data``): what each Sudoku puzzle set holds and its random floors."""

from __future__ import annotations

from collections import Counter

import numpy as np

from bench.evaluation import random_legal_play, run_episodes
from bench.markdown import table
from bench.stats import wilson_interval
from envs import SUDOKU_IDS
from envs.sudoku.dataset import DATASETS, SPLITS, file_name, load
from envs.sudoku.generator import symmetry_key


def class_overlap(test: np.ndarray, train: np.ndarray, n: int) -> float:
    """Share of ``test`` puzzles (``(P, C)``) whose symmetry class also occurs in ``train``."""
    train_keys = {symmetry_key(p, n) for p in train}
    return float(np.mean([symmetry_key(p, n) in train_keys for p in test]))


FLOOR_SETTINGS = (
    ("suite", "constraint"),
    ("suite", "cell"),
    ("suite", "none"),
    ("poster", "cell"),
    ("poster", "constraint-edit"),
)
"""(rules, masking) pairs whose random floor a card shows: the suite's regimes, and the poster's
MDP under its 4x4 (``cell``) and 9x9 (``constraint-edit``) regimes (what the tables use). The
floors under ``rules="poster-folded"`` are the same: the rule sets differ only in a reward."""


def random_floor(env_id: str, masking: str, episodes_per_puzzle: int, seed: int, rules: str = "suite") -> dict[str, float]:
    """Random-masked success, score and delta on the test split under ``rules`` and ``masking``.

    Every test puzzle is played ``episodes_per_puzzle`` times by the uniform-over-legal policy.
    """
    num_test = DATASETS[SUDOKU_IDS[env_id]].split_sizes[0]
    indices = np.tile(np.arange(num_test), episodes_per_puzzle)
    results = random_legal_play(env_id, {"split": "test", "masking": masking, "rules": rules}, indices, seed)
    low, high = wilson_interval(int(results.solved.sum()), len(indices))
    return {
        "episodes": len(indices),
        "success": results.success,
        "ci_low": low,
        "ci_high": high,
        "score": results.mean_score,
        "delta": results.mean_delta,
    }


GREEDY_SETTINGS = (("suite", "constraint"), ("poster", "constraint-edit"))
"""(rules, masking) pairs under which the card plays the greedy reference per clue band."""


def greedy_by_band(env_id: str) -> list[list[str]]:
    """Per designed clue band of the test split: its puzzles, their share beside the designed
    one, and the most-constrained greedy heuristic's success under each of
    :data:`GREEDY_SETTINGS` (one deterministic episode per puzzle)."""
    from agents.registry import make_agent

    spec = DATASETS[SUDOKU_IDS[env_id]]
    test = load(SUDOKU_IDS[env_id], 0).puzzles["test"]
    clues = (test > 0).sum(axis=1)
    rows = []
    for band, (low, high) in enumerate(spec.clue_bands):
        indices = np.flatnonzero((clues >= low) & (clues <= high))
        designed = spec.band_of_index.count(band) / len(spec.band_of_index)
        row = [f"{low}-{high}", str(len(indices)), f"{len(indices) / len(test):.1%} ({designed:.0%})"]
        for rules, masking in GREEDY_SETTINGS:
            kwargs = {"split": "test", "masking": masking, "rules": rules}
            greedy = make_agent("most-constrained")
            greedy.learn(env_id, kwargs, 0, 0)
            result = run_episodes(env_id, kwargs, lambda obs, mask, g=greedy: g.predict(obs, mask), indices) if len(indices) else None
            row.append("-" if result is None else f"{result.success:.1%}")
        rows.append(row)
    return rows


def dataset_card(env_id: str, episodes_per_puzzle: int = 4, seed: int = 0) -> str:
    """Markdown card of the default dataset (seed 0) of ``env_id``."""
    name = SUDOKU_IDS[env_id]
    spec = DATASETS[name]
    puzzle_set = load(name, 0)
    puzzles = puzzle_set.puzzles
    sizes = []
    for split in SPLITS:
        clues = (puzzles[split] > 0).sum(axis=1)
        sizes.append([split, len(clues), clues.min(), int(np.median(clues)), clues.max()])
    lines = [f"## {env_id} (dataset `{file_name(spec, 0)}`, digest `{puzzle_set.digest()[:16]}`)", ""]
    lines += table(["split", "puzzles", "clues min", "clues median", "clues max"], sizes)
    lines += ["", "Clue-count histogram (clues: test / val / train):", ""]
    counts = {s: Counter((puzzles[s] > 0).sum(axis=1).tolist()) for s in SPLITS}
    for k in sorted(set().union(*counts.values())):
        lines.append(f"- {k}: " + " / ".join(str(counts[s][k]) for s in SPLITS))
    overlap = class_overlap(puzzles["test"], puzzles["train"], spec.n)
    rule = "splits class-disjoint by construction" if spec.class_disjoint else "exact puzzles disjoint only"
    lines += ["", f"Test puzzles whose symmetry class occurs in train: {overlap:.1%} ({rule}).", ""]
    floors = []
    for rules, masking in FLOOR_SETTINGS:
        f = random_floor(env_id, masking, episodes_per_puzzle, seed, rules)
        interval = f"[{f['ci_low']:.1%}, {f['ci_high']:.1%}]"
        floors.append([rules, masking, f["episodes"], f"{f['success']:.1%}", interval, f"{f['score']:.2f}", f"{f['delta']:+.2f}"])
    if spec.clue_bands:
        heads = [f"greedy success ({rules}, {masking})" for rules, masking in GREEDY_SETTINGS]
        lines += ["Test puzzles per designed clue band, and the most-constrained greedy heuristic on them:", ""]
        lines += table(["clues", "test puzzles", "share (designed)", *heads], greedy_by_band(env_id)) + [""]
    lines += [f"Random-masked policy on the test split ({episodes_per_puzzle} episode(s) per puzzle, seed {seed}):", ""]
    lines += table(["rules", "masking", "episodes", "success", "95% CI (Wilson)", "score", "delta"], floors)
    return "\n".join(lines)
