"""The seeded Sudoku datasets: specification, split assignment, on-disk cache, user puzzle sets.

A dataset is a pool of puzzles ``0, 1, 2, ...`` (puzzle ``i`` drawn from seed ``(seed, i)``)
assigned in pool order to the splits ``test``, ``val``, ``train``: an exact duplicate is dropped,
and where the spec asks for class-disjoint splits a puzzle whose symmetry class already lives in
another split is dropped too. Built sets are cached as ``.npz`` (atomic write, content digest
checked on every load, a corrupt file is rebuilt). The full 9x9 set for seed 0 ships with the
package because building it takes minutes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from envs.sudoku.core import start_states
from envs.sudoku.generator import dig_any, dig_unique, puzzle_rng, symmetry_key

SPLITS = ("test", "val", "train")
"""Split names, in the order the pool fills them."""
PACKAGED_DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class DatasetSpec:
    """How one puzzle set is generated.

    :param name: dataset name, also the cache file stem.
    :param n: box size (2 for 4x4, 3 for 9x9).
    :param split_sizes: puzzles in ``test``, ``val`` and ``train``.
    :param empties: for 4x4 sets, the range of empty cells (no uniqueness required).
    :param clue_bands: for unique-solution sets, the clue-count ranges to dig towards.
    :param band_of_index: band of puzzle ``i`` is ``band_of_index[i % len(band_of_index)]``
        (a stratified mix: every split gets the same proportions).
    :param class_disjoint: no symmetry class may occur in two splits.
    :param version: generator version; bump on any change of the generated puzzles.
    """

    name: str
    n: int
    split_sizes: tuple[int, int, int]
    empties: tuple[int, int] | None = None
    clue_bands: tuple[tuple[int, int], ...] = ()
    band_of_index: tuple[int, ...] = ()
    class_disjoint: bool = True
    version: int = 1

    def puzzle(self, seed: int, index: int) -> np.ndarray:
        """Puzzle ``index`` of the pool for ``seed``: flat ``(C,)`` int8, 0 = empty."""
        rng = puzzle_rng(seed, index)
        if self.empties is not None:
            return dig_any(self.n, self.empties, rng)
        band = self.clue_bands[self.band_of_index[index % len(self.band_of_index)]]
        return dig_unique(self.n, band, rng)

    @property
    def num_cells(self) -> int:
        """Cells per grid."""
        return self.n**4


DATASETS: dict[str, DatasetSpec] = {
    "sudoku4x4-easy": DatasetSpec(
        "sudoku4x4-easy", n=2, split_sizes=(50, 50, 450), empties=(1, 4), class_disjoint=False
    ),
    "sudoku4x4-hard": DatasetSpec(
        "sudoku4x4-hard", n=2, split_sizes=(50, 50, 450), empties=(6, 8), class_disjoint=True
    ),
    "sudoku9x9": DatasetSpec(
        "sudoku9x9",
        n=3,
        split_sizes=(1000, 1000, 10000),
        clue_bands=((30, 35), (24, 29), (17, 23)),
        band_of_index=(0, 0, 0, 1, 1, 1, 1, 2, 2, 2),  # 30% / 40% / 30%
        class_disjoint=True,
        version=2,  # v2: exact uncapped uniqueness checks, digs retried until the band is reached
    ),
}


@dataclass(frozen=True)
class PuzzleSet:
    """The splits of one dataset: ``puzzles[split]`` is ``(P, C)`` int8, ``pool_index[split]``
    the pool position each puzzle was drawn at."""

    spec: DatasetSpec
    seed: int
    puzzles: dict[str, np.ndarray]
    pool_index: dict[str, np.ndarray]

    def digest(self) -> str:
        """SHA-256 of all splits, in split order."""
        h = hashlib.sha256()
        for split in SPLITS:
            h.update(np.ascontiguousarray(self.puzzles[split], dtype=np.int8).tobytes())
            h.update(np.ascontiguousarray(self.pool_index[split], dtype=np.int64).tobytes())
        return h.hexdigest()


def _generate_chunk(args: tuple[str, int, int, int]) -> np.ndarray:
    name, seed, start, stop = args
    spec = DATASETS[name]
    return np.stack([spec.puzzle(seed, i) for i in range(start, stop)])


def build(spec: DatasetSpec, seed: int, jobs: int | None = None, progress: bool = True) -> PuzzleSet:
    """Generate the dataset from scratch (see the module docstring for the split rule)."""
    from tqdm.auto import tqdm

    sizes = dict(zip(SPLITS, spec.split_sizes))
    chosen: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    index: dict[str, list[int]] = {s: [] for s in SPLITS}
    seen: set[bytes] = set()
    class_split: dict[bytes, str] = {}
    total = sum(sizes.values())
    jobs = jobs or min(os.cpu_count() or 1, 8)
    parallel = spec.n == 3 and jobs > 1
    jobs, chunk = (jobs, 250) if parallel else (1, total)
    bar = tqdm(total=total, desc=f"building {spec.name} (seed {seed})", disable=not progress)
    start = 0
    with ProcessPoolExecutor(jobs) if parallel else contextlib.nullcontext() as pool:
        mapper = pool.map if pool is not None else map
        while sum(len(v) for v in chosen.values()) < total:
            ranges = [(spec.name, seed, start + k * chunk, start + (k + 1) * chunk) for k in range(jobs)]
            start += jobs * chunk
            for block, (_, _, first, _) in zip(mapper(_generate_chunk, ranges), ranges):
                for offset, puzzle in enumerate(block):
                    split = _assign(spec, puzzle, sizes, chosen, seen, class_split)
                    if split is not None:
                        chosen[split].append(puzzle)
                        index[split].append(first + offset)
                        bar.update()
    bar.close()
    return PuzzleSet(
        spec,
        seed,
        {s: np.stack(chosen[s]).astype(np.int8) for s in SPLITS},
        {s: np.array(index[s], dtype=np.int64) for s in SPLITS},
    )


def _assign(
    spec: DatasetSpec,
    puzzle: np.ndarray,
    sizes: dict[str, int],
    chosen: dict[str, list[np.ndarray]],
    seen: set[bytes],
    class_split: dict[bytes, str],
) -> str | None:
    """Split that takes ``puzzle`` next, or None if it is dropped (duplicate, full, class taken)."""
    raw = puzzle.tobytes()
    if raw in seen:
        return None
    open_splits = [s for s in SPLITS if len(chosen[s]) < sizes[s]]
    if not open_splits:
        return None
    split = open_splits[0]
    if spec.class_disjoint:
        key = symmetry_key(puzzle, spec.n)
        split = class_split.setdefault(key, split)
        if split not in open_splits:
            return None
    seen.add(raw)
    return split


def cache_dir() -> Path:
    """Dataset cache folder: ``$TRM_BENCH_CACHE`` or ``~/.cache/trm-bench``."""
    return Path(os.environ.get("TRM_BENCH_CACHE", Path.home() / ".cache" / "trm-bench"))


def file_name(spec: DatasetSpec, seed: int) -> str:
    """Cache/packaged file name of a dataset."""
    return f"{spec.name}-seed{seed}-v{spec.version}.npz"


def save(puzzle_set: PuzzleSet, path: Path) -> None:
    """Write ``puzzle_set`` to ``path`` atomically (temp file + rename) with its digest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {s: puzzle_set.puzzles[s] for s in SPLITS}
    arrays |= {f"{s}_index": puzzle_set.pool_index[s] for s in SPLITS}
    tmp = path.with_suffix(f".tmp{os.getpid()}.npz")
    np.savez_compressed(
        tmp, **arrays, seed=puzzle_set.seed, version=puzzle_set.spec.version, digest=puzzle_set.digest()
    )
    os.replace(tmp, path)


def read(spec: DatasetSpec, seed: int, path: Path) -> PuzzleSet:
    """Read and verify a saved dataset; raise ValueError if it is not exactly what it claims."""
    try:
        with np.load(path, allow_pickle=False) as data:
            puzzle_set = PuzzleSet(
                spec,
                seed,
                {s: data[s] for s in SPLITS},
                {s: data[f"{s}_index"] for s in SPLITS},
            )
            stored = (int(data["seed"]), int(data["version"]), str(data["digest"]))
    except Exception as err:  # any unreadable or incomplete file is corrupt
        raise ValueError(f"unreadable dataset file {path}: {err}") from err
    if stored != (seed, spec.version, puzzle_set.digest()):
        raise ValueError(f"dataset file {path} fails its seed/version/digest check")
    for split in SPLITS:  # the digest only proves self-consistency: spot-check against the seed
        puzzles = puzzle_set.puzzles[split]
        if puzzles.dtype != np.int8 or not ((puzzles >= 0) & (puzzles <= spec.n**2)).all():
            raise ValueError(f"dataset file {path}: split {split} is not int8 digits 0..{spec.n**2}")
        first = int(puzzle_set.pool_index[split][0])
        if not np.array_equal(spec.puzzle(seed, first), puzzles[0]):
            raise ValueError(f"dataset file {path}: split {split} does not regenerate from its seed")
        puzzles.setflags(write=False)
    shapes = {s: puzzle_set.puzzles[s].shape for s in SPLITS}
    if shapes != {s: (k, spec.num_cells) for s, k in zip(SPLITS, spec.split_sizes)}:
        raise ValueError(f"dataset file {path} has split shapes {shapes}")
    return puzzle_set


@lru_cache(maxsize=16)
def load(name: str, seed: int = 0) -> PuzzleSet:
    """The dataset ``name`` for ``seed``: packaged file, else cache, else built and cached.

    A packaged or cached file that fails its checks is reported with a warning and rebuilt.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {sorted(DATASETS)}")
    spec = DATASETS[name]
    for path in (PACKAGED_DATA / file_name(spec, seed), cache_dir() / file_name(spec, seed)):
        if path.exists():
            try:
                return read(spec, seed, path)
            except ValueError as err:
                warnings.warn(f"{err}; rebuilding it", stacklevel=2)
    puzzle_set = build(spec, seed)
    try:
        save(puzzle_set, cache_dir() / file_name(spec, seed))
    except OSError as err:
        warnings.warn(f"cannot cache dataset in {cache_dir()} ({err}); set TRM_BENCH_CACHE", stacklevel=2)
    for puzzles in puzzle_set.puzzles.values():
        puzzles.setflags(write=False)
    return puzzle_set


def validate_puzzles(puzzles: object, n: int) -> np.ndarray:
    """Check a user puzzle set and return it as ``(P, C)`` int8.

    :param puzzles: array-like of clue grids, ``(P, N*N)`` or ``(P, N, N)`` with 0 = empty, or
        the path of a ``.npy`` file holding one.
    :raises ValueError: naming the index of the first bad grid (wrong shape, digit out of range,
        clues that already break a rule, no empty cell).
    """
    size = n * n
    if isinstance(puzzles, (str, os.PathLike)):
        try:
            puzzles = np.load(puzzles, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise ValueError(f"cannot read puzzles from {puzzles!s}: {err}") from err
    arr = np.asarray(puzzles)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"puzzles must hold integers 0..{size}, got dtype {arr.dtype}")
    if arr.ndim == 3 and arr.shape[1:] == (size, size):
        arr = arr.reshape(len(arr), -1)
    if arr.ndim != 2 or arr.shape[1] != size * size or len(arr) == 0:
        raise ValueError(
            f"puzzles must have shape (P, {size * size}) or (P, {size}, {size}) with P >= 1, "
            f"got {arr.shape}"
        )
    out_of_range = ((arr < 0) | (arr > size)).any(axis=1)
    states = start_states(np.where(out_of_range[:, None], 0, arr).astype(np.int8), n)
    clash = states.violations > 0
    full = (arr != 0).all(axis=1)
    bad = out_of_range | clash | full | (states.dead > 0)
    if bad.any():
        i = int(np.argmax(bad))
        reason = (
            f"a digit outside 0..{size}"
            if out_of_range[i]
            else "clues that already break a row, column or box rule"
            if clash[i]
            else "no empty cell"
            if full[i]
            else "an empty cell with no digit left (it has no completion)"
        )
        raise ValueError(f"puzzles[{i}] has {reason}")
    return arr.astype(np.int8)
