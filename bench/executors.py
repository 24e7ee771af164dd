"""Run many specs: skip finished ones, execute the rest locally or on Ray, show progress.

Both executors call :func:`bench.runner.run_and_store` in a worker with one torch thread, so a
run's result does not depend on where it ran. Records are written by the worker as each run
finishes: an interrupted set loses at most the runs in flight.

Progress: on a terminal (stderr is a tty) tqdm bars; otherwise (a log file, CI) one plain,
flushed line on stderr per finished run, with the count and an estimate of the time left
(:class:`Progress`).
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import sys
import time
from collections.abc import Iterator
from typing import Any

from bench.runner import Spec, run_and_store
from bench.store import ResultStore
from bench.timing import TimeLeft

EXECUTORS = ("local", "ray")


def _init_worker(slots: Any) -> None:
    """Worker set-up: one torch thread, Ctrl-C left to the parent, a progress-bar row."""
    import torch

    torch.set_num_threads(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _SLOT
    _SLOT = slots.get()


_SLOT: int | None = None


def _timed(spec: Spec, root: str, progress_position: int | None = None) -> tuple[dict[str, Any], float]:
    """:func:`run_and_store` and its wall time in seconds."""
    start = time.perf_counter()
    record = run_and_store(spec, root, progress_position)
    return record, time.perf_counter() - start


def _work(args: tuple[Spec, str]) -> tuple[dict[str, Any], float]:
    spec, root = args
    return _timed(spec, root, None if _SLOT is None else _SLOT + 1)


def _local(pending: list[Spec], root: str, jobs: int) -> Iterator[tuple[dict[str, Any], float]]:
    if jobs == 1:
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            for spec in pending:
                yield _timed(spec, root, 1)
        finally:
            torch.set_num_threads(threads)
        return
    ctx = mp.get_context("spawn")
    slots = ctx.Queue()
    for slot in range(jobs):
        slots.put(slot)
    pool = ctx.Pool(jobs, initializer=_init_worker, initargs=(slots,))
    try:
        yield from pool.imap_unordered(_work, [(spec, root) for spec in pending])
        pool.close()
    except BaseException:
        pool.terminate()  # runs in flight are lost; finished records are on disk
        raise
    finally:
        pool.join()


def _ray(pending: list[Spec], root: str, jobs: int, address: str | None) -> Iterator[tuple[dict[str, Any], float]]:
    try:
        import ray
    except ImportError as err:
        raise RuntimeError("the Ray executor needs the 'distributed' extra: pip install 'trm-bench[distributed]'") from err
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False)

    @ray.remote(num_cpus=1)
    def remote_run(spec: Spec, root: str) -> tuple[dict[str, Any], float]:
        import torch

        torch.set_num_threads(1)
        return _timed(spec, root)

    try:
        waiting = [remote_run.remote(spec, root) for spec in pending]
        while waiting:
            done, waiting = ray.wait(waiting, num_returns=1)
            yield ray.get(done[0])
    except BaseException:
        for ref in waiting:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started_here:
            ray.shutdown()


def duration(seconds: float) -> str:
    """``0.4 s``, ``41 s``, ``12.5 min`` or ``2.3 h``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class Progress:
    """Progress of a set of runs: a tqdm bar when stderr is a terminal, else one plain line per
    finished run on stderr, flushed, e.g.
    ``[17/258] done ppo on trm/Sudoku4x4-Easy-v0 [masking=cell] seed 2 (41 s); about 12.5 min left``.

    The time left is the caller's estimate when it has one (:class:`bench.timing.TimeLeft`:
    from measured records, the runs just landed included), else the mean duration of the runs
    finished so far times the runs left, over the parallel jobs (no more jobs than runs left).

    :param total: runs in the set, stored ones included.
    :param done: runs already stored when the set starts.
    :param jobs: runs executing at once.
    :param terminal: draw a bar (None: whether stderr is a terminal).
    """

    def __init__(self, total: int, done: int, jobs: int, terminal: bool | None = None) -> None:
        self.total, self.done, self.jobs = total, done, max(1, jobs)
        self.seconds: list[float] = []
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self.bar = None
        if self.terminal:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=done, desc="runs", unit="run", position=0)
        elif done < total:
            stored = f" ({done} already stored)" if done else ""
            self._print(f"running {total - done} of {total} runs{stored}, {self.jobs} at a time")

    def update(self, label: str, seconds: float, seconds_left: float | None = None) -> None:
        """One more run finished after ``seconds`` of wall time; ``seconds_left``: the estimated
        wall time of the runs left (None: the mean duration's)."""
        self.done += 1
        self.seconds.append(seconds)
        if self.bar is not None:
            if seconds_left is not None:
                self.bar.set_postfix_str(f"about {duration(seconds_left)} left", refresh=False)
            self.bar.update()
            return
        left = self.total - self.done
        line = f"[{self.done}/{self.total}] done {label} ({duration(seconds)})"
        if left > 0:
            if seconds_left is None:
                seconds_left = sum(self.seconds) / len(self.seconds) * left / min(self.jobs, left)
            line += f"; about {duration(seconds_left)} left"
        self._print(line)

    def close(self) -> None:
        """Close the bar (nothing to do for plain lines)."""
        if self.bar is not None:
            self.bar.close()

    @staticmethod
    def _print(line: str) -> None:
        print(line, file=sys.stderr, flush=True)


def execute(
    specs: list[Spec],
    store: ResultStore,
    jobs: int = 1,
    executor: str = "local",
    address: str | None = None,
    force: bool = False,
) -> list[dict[str, Any]]:
    """Records of every spec, in the order given, running only those without a fresh record
    (missing or stale, :meth:`bench.store.ResultStore.lookup`), in that order too.

    :param force: recompute even the runs that have a fresh record.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}, got {executor!r}")
    records: dict[str, dict[str, Any]] = {}
    pending = []
    earlier: dict[str, dict[str, Any] | None] = {}  # a pending run's record of any code version
    for spec in specs:
        lookup = store.lookup(spec)
        if force or lookup.fresh is None:
            pending.append(spec)
            earlier[spec.key()] = lookup.record
        else:
            records[spec.key()] = lookup.fresh
    pending = list({s.key(): s for s in pending}.values())
    jobs = max(1, min(jobs, len(pending) or 1))
    labels = {spec.key(): spec.label() for spec in pending}
    time_left = TimeLeft(pending, [earlier[spec.key()] for spec in pending], store, jobs)
    progress = Progress(len(records) + len(pending), len(records), jobs)
    stream = _local(pending, str(store.root), jobs) if executor == "local" else _ray(pending, str(store.root), jobs, address)
    expected = {spec.key(): spec.components() for spec in pending}
    for record, seconds in stream:
        if record["components"] != expected[record["key"]]:
            raise RuntimeError(
                "the code changed while the runs were executing (a worker's record names other "
                "code versions; it is stored and shows as stale); run the command again"
            )
        records[record["key"]] = record
        progress.update(labels[record["key"]], seconds, time_left.landed(record))
    progress.close()
    return [records[spec.key()] for spec in specs]
