"""Where replications run: in this process, in local worker processes, or on a Dask cluster.

A *task* is one (key, replication) pair — the key is a variant's name, or a sweep point's number
— and :func:`run_task` is its whole life: simulate, keep the requested tables, encode them as one
compact Parquet blob. It is a top-level function of plain picklable arguments, so the same task
runs unchanged under ``spawn`` worker processes or on remote Dask workers, and the caller (the
only writer of the run folder) receives bytes it can store without touching pandas.

Executors are chosen by a short spec string:

- ``"serial"``: in this process, in submission order (debugging, tiny runs);
- ``"processes"`` (the default): a :class:`concurrent.futures.ProcessPoolExecutor` with the
  ``spawn`` start method and ``workers`` processes;
- ``"dask-local"``: a :class:`distributed.LocalCluster` of ``workers`` single-threaded processes;
- ``"dask://tcp://host:8786"`` (or just ``"tcp://host:8786"``): an existing Dask scheduler.

All of them yield results *as they finish* (any order); the run folder puts them in a fixed
order, so results do not depend on the executor or the number of workers. At most a few tasks
per worker are in flight at once, so memory does not grow with the number of replications.

Short tasks are sent in *batches* (several replications per submission, run one after another
in the worker by :func:`run_batch`): the batch size adapts so that a batch takes about
:data:`BATCH_SECONDS`, judged from the tasks already finished, and shrinks towards the end of a
run so that every worker stays busy. Each replication is still simulated alone, from its own
seed, so batching never changes a result.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from sim.errors import ExecutorError
from sim.runs.task import TaskOutput
from sim.scenario.schema import Scenario

log = logging.getLogger(__name__)

DASK_CONNECT_TIMEOUT_S = 5.0
"""Seconds to wait for a Dask scheduler before giving up with :class:`ExecutorError`."""

IN_FLIGHT_PER_WORKER = 4
"""Tasks submitted ahead per worker: enough to keep workers busy, few enough to bound memory."""

BATCH_SECONDS = 0.5
"""Target duration of one submission: long enough to hide the per-submission overhead
(pickling, queueing, a Dask round trip of a few ms), short enough to balance load."""

MAX_BATCH = 32
"""Most replications in one submission."""

EXECUTORS = ("serial", "processes", "dask-local", "dask://ADDRESS")
"""The executor specs :func:`open_executor` accepts (for messages and ``--help``)."""


@dataclass(frozen=True)
class TaskSpec:
    """One replication of one scenario: everything a worker needs, and nothing else.

    Attributes:
        key: the variant name or sweep point number the result is filed under.
        replication: replication number (picks the random streams with ``seed``).
        seed: root seed of the run.
        scenario: the resolved scenario to simulate.
        tables: names of the tables to keep (others are dropped in the worker).
    """

    key: str | int
    replication: int
    seed: int
    scenario: Scenario
    tables: tuple[str, ...]


def run_task(spec: TaskSpec) -> TaskOutput:
    """Simulate one (key, replication) and return its tables encoded as one Parquet blob."""
    # imported here so that workers import the model (and nothing else) lazily
    from sim.model.replication import simulate
    from sim.runs.folder import encode_task

    start = time.perf_counter()
    tables = simulate(spec.scenario, spec.replication, spec.seed)
    kept = {name: tables[name] for name in spec.tables}
    worker = f"{socket.gethostname()}:{os.getpid()}"
    seconds = time.perf_counter() - start
    blob = encode_task(kept, {"seconds": seconds, "worker": worker,
                              "worker_peak_rss_mb": peak_rss_mb()})
    return TaskOutput(spec.key, spec.replication, blob, time.perf_counter() - start, worker)


def peak_rss_mb() -> float | None:
    """This process's peak resident set size in MB (Linux ``VmHWM``; None elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def run_batch(fn: Callable[[TaskSpec], TaskOutput], specs: list[TaskSpec]) -> list[TaskOutput]:
    """Run several tasks one after another in one worker (one submission, one round trip)."""
    outputs = []
    for spec in specs:
        try:
            outputs.append(fn(spec))
        except Exception as exc:
            raise _with_context(exc, spec) from None
    return outputs


class Batcher:
    """Cuts a list of tasks into batches sized from the duration of the tasks already done.

    Starts with single tasks (nothing is known yet); then a batch holds about
    :data:`BATCH_SECONDS` of work, at most :data:`MAX_BATCH` tasks, and at most a quarter of
    the remaining tasks per worker so that the end of a run still keeps every worker busy.

    Args:
        items: the tasks, in submission order.
        workers: tasks that run at once.
    """

    def __init__(self, items: Iterable[TaskSpec], workers: int) -> None:
        self._items = list(items)
        self._next = 0
        self._workers = workers
        self._seconds = 0.0
        self._done = 0

    def observe(self, outputs: list[TaskOutput]) -> None:
        """Record the durations of finished tasks."""
        self._seconds += sum(o.seconds for o in outputs)
        self._done += len(outputs)

    def size(self) -> int:
        """How many tasks the next batch should hold."""
        if self._done == 0:
            return 1
        mean = max(self._seconds / self._done, 1e-6)
        remaining = len(self._items) - self._next
        fair = max(remaining // (4 * self._workers), 1)
        return max(1, min(round(BATCH_SECONDS / mean), MAX_BATCH, fair))

    def take(self) -> list[TaskSpec]:
        """The next batch (empty when every task was handed out)."""
        batch = self._items[self._next:self._next + self.size()]
        self._next += len(batch)
        return batch


def _describe(spec: TaskSpec) -> str:
    return f"task {spec.key!r} replication {spec.replication}"


def _with_context(exc: BaseException, spec: TaskSpec) -> BaseException:
    """Add which task failed to an exception raised in a worker."""
    exc.add_note(f"while running {_describe(spec)}")
    return exc


class Executor:
    """Runs tasks and yields their outputs as they finish; a context manager that cleans up.

    Attributes:
        name: the spec it was opened with (for the manifest).
        workers: how many tasks run at once.
    """

    name: str = "serial"
    workers: int = 1

    def imap_unordered(self, fn: Callable[[TaskSpec], TaskOutput],
                       items: Iterable[TaskSpec]) -> Iterator[TaskOutput]:
        """Yield ``fn(item)`` for every item, in the order the tasks finish."""
        for item in items:
            try:
                yield fn(item)
            except Exception as exc:
                raise _with_context(exc, item) from None

    def close(self) -> None:
        """Release workers and connections (idempotent)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Tasks run one after another in this process (no pickling, easiest to debug)."""


def _ignore_sigint() -> None:
    """Worker initializer: Ctrl-C is the parent's to handle (it stops cleanly and says so)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessExecutor(Executor):
    """Local worker processes started with ``spawn`` (safe with threads, same on every OS)."""

    name = "processes"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        try:
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                             initializer=_ignore_sigint)
        except (OSError, ValueError) as exc:
            raise ExecutorError(f"cannot start {workers} worker processes: {exc}") from None

    def imap_unordered(self, fn: Callable[[TaskSpec], TaskOutput],
                       items: Iterable[TaskSpec]) -> Iterator[TaskOutput]:
        """Yield outputs as workers finish them, keeping a bounded number of batches queued."""
        batcher = Batcher(items, self.workers)
        pending: dict[Future[list[TaskOutput]], list[TaskSpec]] = {}

        def submit() -> None:
            batch = batcher.take()
            if batch:
                pending[self._pool.submit(run_batch, fn, batch)] = batch

        for _ in range(self.workers * IN_FLIGHT_PER_WORKER):
            submit()
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=lambda f: _order(pending[f][0])):
                pending.pop(future)
                exc = future.exception()
                if exc is not None:
                    raise exc
                outputs = future.result()
                batcher.observe(outputs)
                submit()
                yield from outputs

    def close(self) -> None:
        """Cancel queued tasks and let the workers exit."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(Executor):
    """A Dask distributed client: a new LocalCluster, or an existing scheduler by address.

    Workers of a remote cluster must have ppsim installed (the same version, for identical
    results); they only compute, the run folder is written here.
    """

    def __init__(self, address: str | None, workers: int) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise ExecutorError(f"Dask distributed is not installed: {exc}") from None
        self._cluster: Any = None
        # Dask logs every scheduler and worker event at INFO; keep them out of ppsim's output.
        self._quiet = logging.getLogger("distributed")
        self._level = self._quiet.level
        self._quiet.setLevel(max(self._level, logging.WARNING))
        if address is None:
            self.name = "dask-local"
            try:
                self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                             processes=True, dashboard_address=None,
                                             scheduler_kwargs={"dashboard": False},
                                             silence_logs=logging.ERROR)
                self._client = Client(self._cluster)
            except Exception as exc:
                self.close()
                raise ExecutorError(f"cannot start a local Dask cluster: {exc}") from None
            self.workers = workers
        else:
            self.name = f"dask://{address}"
            try:
                self._client = Client(address, timeout=DASK_CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError) as exc:
                self.close()
                raise ExecutorError(
                    f"cannot reach the Dask scheduler at {address} within "
                    f"{DASK_CONNECT_TIMEOUT_S:g} s ({exc.__class__.__name__}: {exc}); start one "
                    "with `dask scheduler` and `dask worker ADDRESS`, or use --dask local"
                ) from None
            self.workers = max(1, sum(self._client.nthreads().values()))

    def imap_unordered(self, fn: Callable[[TaskSpec], TaskOutput],
                       items: Iterable[TaskSpec]) -> Iterator[TaskOutput]:
        """Yield outputs as Dask workers finish them, keeping a bounded number in flight."""
        from distributed import as_completed

        batcher = Batcher(items, self.workers)
        queue = as_completed()

        def submit() -> None:
            batch = batcher.take()
            if batch:
                queue.add(self._client.submit(run_batch, fn, batch, pure=False))

        for _ in range(self.workers * IN_FLIGHT_PER_WORKER):
            submit()
        for future in queue:
            if future.status == "error":
                raise future.exception()
            outputs = future.result()
            future.release()
            batcher.observe(outputs)
            submit()
            yield from outputs

    def close(self) -> None:
        """Close the client and, for a local cluster, stop its workers."""
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
        self._quiet.setLevel(self._level)


def _order(spec: TaskSpec) -> tuple[str, int]:
    return (str(spec.key), spec.replication)


def open_executor(spec: str | None, workers: int | None) -> Executor:
    """Start the executor named by ``spec`` (see the module docstring) with ``workers``.

    Raises:
        ExecutorError: an unknown spec, a bad worker count, or a cluster that cannot be
            started or reached.
    """
    count = (os.cpu_count() or 1) if workers is None else workers
    if count < 1:
        raise ExecutorError(f"workers: got {count}, must be ≥ 1")
    name = spec or "processes"
    if name == "serial":
        return SerialExecutor()
    if name == "processes":
        return ProcessExecutor(count)
    if name in ("dask-local", "dask://local", "local"):
        return DaskExecutor(None, count)
    if name.startswith("dask://"):
        name = name.removeprefix("dask://")
    if "://" in name:
        return DaskExecutor(name, count)
    raise ExecutorError(f"executor: unknown {spec!r} (allowed: {', '.join(EXECUTORS)}; "
                        "ADDRESS is a scheduler address like tcp://host:8786)")


__all__ = ["EXECUTORS", "Batcher", "Executor", "TaskOutput", "TaskSpec", "open_executor",
           "run_batch", "run_task"]
