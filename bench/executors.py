"""Run many specs: skip finished ones, execute the rest locally or on Ray, show progress.

Both executors call :func:`bench.runner.run_and_store` in a worker with one torch thread, so a
run's result does not depend on where it ran. Records are written by the worker as each run
finishes: an interrupted set loses at most the runs in flight.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
from collections.abc import Iterator
from typing import Any

from bench.runner import Spec, run_and_store
from bench.store import ResultStore

EXECUTORS = ("local", "ray")


def _init_worker(slots: Any) -> None:
    """Worker set-up: one torch thread, Ctrl-C left to the parent, a progress-bar row."""
    import torch

    torch.set_num_threads(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _SLOT
    _SLOT = slots.get()


_SLOT: int | None = None


def _work(args: tuple[Spec, str]) -> dict[str, Any]:
    spec, root = args
    return run_and_store(spec, root, None if _SLOT is None else _SLOT + 1)


def _local(pending: list[Spec], root: str, jobs: int) -> Iterator[dict[str, Any]]:
    if jobs == 1:
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            for spec in pending:
                yield run_and_store(spec, root, 1)
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


def _ray(pending: list[Spec], root: str, jobs: int, address: str | None) -> Iterator[dict[str, Any]]:
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
    def remote_run(spec: Spec, root: str) -> dict[str, Any]:
        import torch

        torch.set_num_threads(1)
        return run_and_store(spec, root)

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


def execute(
    specs: list[Spec],
    store: ResultStore,
    jobs: int = 1,
    executor: str = "local",
    address: str | None = None,
    force: bool = False,
) -> list[dict[str, Any]]:
    """Records of every spec, in the order given, running only those not yet stored.

    :param force: recompute even the runs that have a record.
    """
    from tqdm.auto import tqdm

    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}, got {executor!r}")
    records: dict[str, dict[str, Any]] = {}
    pending = []
    for spec in specs:
        found = None if force else store.get(spec.key())
        if found is None:
            pending.append(spec)
        else:
            records[spec.key()] = found
    pending = list({s.key(): s for s in pending}.values())
    bar = tqdm(total=len(specs), initial=len(specs) - len(pending), desc="runs", unit="run", position=0, disable=None)
    jobs = max(1, min(jobs, len(pending) or 1))
    stream = _local(pending, str(store.root), jobs) if executor == "local" else _ray(pending, str(store.root), jobs, address)
    expected = {spec.key() for spec in pending}
    for record in stream:
        if record["key"] not in expected:
            raise RuntimeError(
                "the code changed while the runs were executing (a worker computed another code "
                "version); its record is stored under its own key; run the command again"
            )
        records[record["key"]] = record
        bar.update()
    bar.close()
    return [records[spec.key()] for spec in specs]
