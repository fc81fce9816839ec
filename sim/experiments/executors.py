"""Where replications run: in this process, in local worker processes, or on a Dask cluster.

A *task* is one (key, replication) pair — the key is a variant's name, or a sweep point's number
— and :func:`run_task` is its whole life: simulate, keep the requested tables, encode them as one
compact Parquet blob. It is a top-level function of plain picklable arguments, so the same task
runs unchanged under ``spawn`` worker processes or on remote Dask workers, and the caller
receives bytes it can store without touching pandas. A local worker given the task file's path
(``TaskSpec.store``) stores those bytes there itself and sends back only that it did; otherwise
the caller is the only writer of the run folder.

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

Local workers, processes or a local Dask cluster, can be started *before* the run is prepared
(:func:`start_workers`, used by the API and the CLI): they import the model while the parent
imports the engine and validates the scenario, and :func:`open_executor` takes them for the run.

Failures (each an :class:`~sim.errors.ExecutorError` saying what to do next):

- a local worker process that dies (killed, out of memory) breaks the pool; the pool is
  restarted and the unfinished tasks are run again, at most :data:`MAX_ATTEMPTS` times each —
  tasks are deterministic, so a retried task gives the same bytes;
- the workers end with the main process: on an exception or interrupt (the CLI turns SIGTERM
  into one) they are terminated, and a worker whose parent vanished (SIGKILL) exits by itself;
- a Dask scheduler that cannot be reached, that does not answer within
  :data:`DASK_CONNECT_TIMEOUT_S` (a silent service), that is not a Dask scheduler, or a
  ``tls://`` address without certificates; Dask workers that keep dying (``KilledWorker``) or a
  lost scheduler connection.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from multiprocessing import connection, get_context
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sim.errors import ExecutorError
from sim.experiments.mainscript import prepare_main_script, unguarded_run
from sim.memory import bound_memory
from sim.runs.task import TaskOutput

if TYPE_CHECKING:
    from sim.experiments.shipping import ShippedBatch
    from sim.model.world import Decisions
    from sim.scenario.schema import Scenario
Result = TypeVar("Result")
Item = TypeVar("Item")
"""What a task function returns (:class:`TaskOutput` for runs; a small table for calibration)."""

log = logging.getLogger(__name__)

DASK_CONNECT_TIMEOUT_S = 5.0
"""Seconds to wait for a Dask scheduler before giving up with :class:`ExecutorError`."""

DASK_WORKER_START_S = 120.0
"""Seconds a run waits for the first worker of a local Dask cluster before giving up."""

DASK_PRELOAD = "sim.experiments.dask_preload"
"""The module a Dask worker preloads: it imports the model as the worker starts."""

DASK_LOCAL_ENV = "PPSIM_DASK_LOCAL"
"""Set in the workers of the local clusters ppsim starts: the preload tells them by it from
workers started by hand, which never compute the summaries' parts (their client does)."""

LOCAL_DASK = ("dask-local", "dask://local", "local")
"""The executor specs of a new local Dask cluster."""

DASK_QUIET = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "500ms",
}
"""Dask settings of the local clusters ppsim starts (scheduler and workers): less periodic work.

A Dask worker's event loop shares the interpreter lock with the thread running the task. By
default it samples that thread's stack every 10 ms (the statistical profiler), measures its
own latency every 20 ms (the tick), reads the process's CPU and memory every 0.5 s (the
system monitor) and its memory every 0.1 s (the memory monitor, which pauses a worker near
its memory limit): 6–7 % of a baseline task's time, of which these settings leave ~1 %.
The workers of a local cluster get them as environment variables (:func:`quiet_environment`,
:mod:`sim.experiments.dask_local`); when Dask's nannies ran in this process, an idle
one-worker cluster took 41 ms of this process's CPU a second, 6 ms with these settings
(docs/performance.md). ppsim shows no Dask dashboard, which is what the profiler, the tick and
the system monitor feed.
"""

MAX_ATTEMPTS = 3
"""Times a task is started on local workers before a dying worker fails the run (2 retries)."""

PARENT_CHECK_S = 0.5
"""How often a local worker checks that the main process is still there (s)."""

IN_FLIGHT_PER_WORKER = 4
"""Tasks submitted ahead per worker: enough to keep workers busy, few enough to bound memory."""

BATCH_SECONDS = 0.5
"""Target duration of one submission: long enough to hide the per-submission overhead
(pickling, queueing, a Dask round trip of a few ms), short enough to balance load."""

MAX_BATCH = 32
"""Most replications in one submission."""

EXECUTORS = ("serial", "processes", "dask-local", "dask://ADDRESS")
"""The executor specs :func:`open_executor` accepts (for messages and ``--help``)."""


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """One replication of one scenario: everything a worker needs, and nothing else.

    Attributes:
        key: the variant name or sweep point number the result is filed under.
        replication: replication number (picks the random streams with ``seed``).
        seed: root seed of the run.
        scenario: the resolved scenario to simulate.
        tables: names of the tables to keep (others are dropped in the worker); with
            ``officers`` the worker also records the officer log.
        decisions: replacement decision functions (``None``: the stock rules); sent to the
            worker by pickling, so with processes they must be importable module-level
            functions (not lambdas or functions defined inside other functions).
        outcome_functions: custom outcomes ``(name, compute)`` computed after the simulation
            (:func:`sim.outputs.catalog.register_outcome`; picklable like ``decisions``).
        store: the task file's path, for a worker on the run folder's machine: it stores the
            encoded tables there itself and sends back only that it did (``None``: it sends
            them back). A baseline task's tables are ~1.6 MB encoded: receiving them cost the
            parent ~3 ms a task, and storing them ~0.5 ms more.
    """

    key: str | int
    replication: int
    seed: int
    scenario: Scenario
    tables: tuple[str, ...]
    decisions: Decisions | None = None
    outcome_functions: tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...] = ()
    store: str | None = None


def add_custom_outcomes(tables: dict[str, Any],
                        functions: Iterable[tuple[str, Callable[[dict[str, Any]], Any]]]) -> None:
    """Append each custom outcome's rows (mission, category, value) to ``tables["outcomes"]``.

    The functions get the tables as DataFrames (converted only when there is one: pandas is
    imported only then); ``tables["outcomes"]`` stays an Arrow table when the tables are.

    Raises:
        ValueError: a compute function returned no DataFrame with those columns.
    """
    functions = list(functions)
    if not functions:
        return
    import pandas as pd
    import pyarrow as pa

    arrow = isinstance(tables["outcomes"], pa.Table)
    frames = {name: t.to_pandas() if isinstance(t, pa.Table) else t for name, t in tables.items()}
    parts = [frames["outcomes"]]
    for name, compute in functions:
        frame = compute(frames)
        missing = {"mission", "category", "value"} - set(getattr(frame, "columns", ()))
        if missing:
            raise ValueError(f"custom outcome {name}: its function returned no DataFrame with "
                             f"columns mission, category, value (missing {sorted(missing)})")
        rows = frame[["mission", "category"]].astype(str)
        rows = rows.assign(outcome=name, value=frame["value"].astype(float))
        parts.append(rows[list(frames["outcomes"].columns)])
    outcomes = pd.concat(parts, ignore_index=True)
    tables["outcomes"] = (pa.Table.from_pandas(outcomes, preserve_index=False, nthreads=1)
                          if arrow else outcomes)


def run_task(spec: TaskSpec) -> TaskOutput:
    """Simulate one (key, replication) and return its tables encoded as one Parquet blob."""
    # imported here so that workers import the model (and nothing else) lazily
    from sim.model.replication import simulate_arrow
    from sim.runs.folder import encode_task, write_task_file

    start = time.perf_counter()
    extra = {"officer_log": True} if "officers" in spec.tables else {}
    tables = simulate_arrow(spec.scenario, spec.replication, spec.seed, decisions=spec.decisions,
                            **extra)
    add_custom_outcomes(tables, spec.outcome_functions)
    kept = {name: tables[name] for name in spec.tables}
    worker = f"{socket.gethostname()}:{os.getpid()}"
    seconds = time.perf_counter() - start
    blob = encode_task(kept, {"seconds": seconds, "worker": worker,
                              "worker_peak_rss_mb": peak_rss_mb()}, spec.key, spec.replication)
    if spec.store is not None:
        write_task_file(Path(spec.store), blob)
        return TaskOutput(spec.key, spec.replication, b"", time.perf_counter() - start, worker,
                          stored=True)
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


def run_batch(fn: Callable[[TaskSpec], Result],
              specs: list[TaskSpec]) -> tuple[list[Result], float]:
    """Run several tasks one after another in one worker (one submission, one round trip).

    Returns:
        The tasks' outputs in order, and the seconds they took in all (to size later batches).
    """
    start = time.perf_counter()
    outputs = []
    if not _activity.bounded:  # a Dask worker (local workers bound their memory as they start)
        _activity.bounded = True
        bound_memory("worker")
    _activity.busy = True
    try:
        for spec in specs:
            try:
                outputs.append(fn(spec))
            except Exception as exc:
                raise _with_context(exc, spec) from None
    finally:
        _activity.busy, _activity.ended = False, time.perf_counter()
    return outputs, time.perf_counter() - start


def run_shipped_batch(fn: Callable[[TaskSpec], Result],
                      shipped: ShippedBatch) -> tuple[list[Result], float]:
    """:func:`run_batch` of a batch sent to a Dask worker (:mod:`sim.experiments.shipping`)."""
    from sim.experiments.shipping import unpack

    return run_batch(fn, unpack(shipped))


class _Activity:
    """Whether this process is running a batch, and when its last batch ended (0: none yet).

    Read by a local worker's idle watch (:func:`import_when_idle`). ``bounded``: whether the
    worker's memory settings are applied (:func:`sim.memory.bound_memory`): a local worker
    applies them as it starts, a Dask worker with its first batch. Without them a baseline
    task took 0.40-0.44 s of CPU in a Dask worker, with them 0.35-0.36 s (a local worker's
    0.33-0.35 s).
    """

    busy = False
    ended = 0.0
    bounded = False


_activity = _Activity()


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

    def observe(self, tasks: int, seconds: float) -> None:
        """Record that ``tasks`` more tasks finished, taking ``seconds`` in all."""
        self._seconds += seconds
        self._done += tasks

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


def _nothing() -> None:
    """The default ``submitted`` callback of :meth:`Executor.imap_unordered`."""


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
    local_files: bool = False
    """Whether the workers run on this machine and can read and write the run folder."""

    def imap_unordered(self, fn: Callable[[TaskSpec], Result], items: Iterable[TaskSpec],
                       submitted: Callable[[], None] = _nothing) -> Iterator[Result]:
        """Yield ``fn(item)`` for every item, in the order the tasks finish.

        ``submitted`` is called once the first tasks are handed to the workers, before any
        output is yielded: the parent's own preparation then overlaps their work. (Here,
        in this process, before the first task.)
        """
        submitted()
        for item in items:
            try:
                yield fn(item)
            except Exception as exc:
                raise _with_context(exc, item) from None

    def map_local(self, fn: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
        """``[fn(item) for item in items]``, computed by this machine's workers if it has some.

        For the parent's own work once the last task is in (the summaries' parts): the items
        are files of the run folder, which only local workers can read. Here (serial runs),
        in this process.
        """
        return [fn(item) for item in items]

    def close(self) -> None:
        """Release workers and connections (idempotent)."""

    def closer(self) -> Callable[[], None]:
        """Begin to close: close what must be closed in this thread, and return the rest.

        The rest may run in another thread while the run writes its manifest and figures
        (``sim.experiments.engine``). Here, all of :meth:`close`.
        """
        return self.close

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Tasks run one after another in this process (no pickling, easiest to debug)."""


def _init_worker() -> None:
    """Worker initializer: leave Ctrl-C to the parent, return freed memory, exit with the parent.

    Ctrl-C reaches the whole process group; the parent handles it (terminating the workers and
    saying how to resume). A parent killed outright (SIGKILL) cannot clean up, so each worker
    watches its parent's pid and exits when it changes. The model is imported here, as the
    worker starts, rather than by its first task: a worker started early
    (:func:`start_workers`) is then ready by the time the parent has its first task.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    atexit.register(exit_now)  # first: exit handlers the model or a hook registers run before
    bound_memory("worker")
    _activity.bounded = True
    import_model()
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="ppsim-parent-watch", daemon=True).start()
    threading.Thread(target=import_when_idle, name="ppsim-idle-imports", daemon=True).start()


def exit_now() -> None:
    """End a worker without tearing its interpreter down (registered with :mod:`atexit`).

    A worker reaches its exit only when the pool shuts it down, its results all sent (the
    pool's result pipe is written synchronously). Freeing its heap and modules object by
    object kept it busy: closing a pool of 2 workers after 80 baseline tasks each took
    0.27-0.29 s, with this 0.04 s, time the parent waits for (or, with no spare core, loses
    to the workers' CPU); the operating system frees a process's memory at once.

    Registered as the worker starts, it runs after the exit handlers registered later (exit
    handlers run last-registered first: the model's, a decision or outcome hook's); of those
    registered before it, only :mod:`logging`'s matters, and it is run here (buffered log
    handlers are flushed). Under coverage the worker exits normally, so that coverage saves
    its data.
    """
    if "coverage" in sys.modules and sys.modules["coverage"].Coverage.current() is not None:
        return
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):  # closed, or none
            stream.flush()
    os._exit(0)


def exited(process: BaseProcess) -> bool:
    """Whether a worker process has ended, whichever thread reaps it.

    ``Process.is_alive()`` can say True for a process that has just ended: while the pool's
    manager thread reaps it (``waitpid``) and has not yet recorded its exit code, another
    thread's ``waitpid`` finds no child and reads that as "still running". The process's
    sentinel is readable once it has ended, whoever reaps it.
    """
    return bool(connection.wait([process.sentinel], timeout=0))


WORKER_MODULES = ("numpy.ma", "numpy.random", "pyarrow.compute", "pyarrow.csv",
                  "sim.model.replication", "sim.runs.folder")
"""What a worker imports as it starts: the model, the task files, and what the model and the
CSV lines' casts would otherwise import during the first task (pandas imported them before)."""


def import_model() -> None:
    """Import what :func:`run_task` needs (~0.3 s of a worker's start); errors are left to it."""
    try:
        for module in WORKER_MODULES:
            importlib.import_module(module)
    except Exception:  # the first task raises it again, with its context
        log.debug("importing the model in a worker failed", exc_info=True)


LATE_MODULES = ("sim.outputs.summaries",)
"""What the summaries' parts need in a worker (:meth:`Executor.map_local`; pandas: ~0.1 s)."""
IDLE_S = 0.05
"""How long a local worker waits, idle after a batch, before importing :data:`LATE_MODULES`."""


def import_when_idle() -> None:
    """A local worker's thread: import :data:`LATE_MODULES` once the worker falls idle.

    A worker that has run its last task imports them while the others finish theirs and the
    parent appends the last results, rather than when the summaries hand it its first part
    (a worker imports no pandas as it starts: it would delay its first task). Checking costs
    a wake-up every :data:`IDLE_S`; a worker that is never idle never imports them here.
    """
    while True:
        time.sleep(IDLE_S)
        if (not _activity.busy and _activity.ended
                and time.perf_counter() - _activity.ended >= IDLE_S):
            break
    try:
        for module in LATE_MODULES:
            importlib.import_module(module)
    except Exception:  # the summaries' part raises it again, in the worker that runs it
        log.debug("importing the summaries in an idle worker failed", exc_info=True)


def _ready() -> None:
    """A task that does nothing: submitting it makes the pool start a worker now."""


def main_script_for_workers() -> None:
    """Check and prepare the main script for local workers (:mod:`sim.experiments.mainscript`).

    Raises:
        ExecutorError: the main script starts the run as it is run (no ``__main__`` guard).
    """
    problem = unguarded_run()
    if problem is not None:
        raise ExecutorError(problem)
    prepare_main_script()


class ProcessExecutor(Executor):
    """Local worker processes started with ``spawn`` (safe with threads, same on every OS).

    A worker that dies breaks the whole pool (every unfinished future fails with
    ``BrokenProcessPool``); the pool is then restarted and the unfinished tasks resubmitted, at
    most :data:`MAX_ATTEMPTS` starts per task.

    Args:
        workers: most worker processes at once.
        start: workers to start at once (the pool starts the others when tasks need them).
    """

    name = "processes"
    local_files = True

    def __init__(self, workers: int, start: int = 0) -> None:
        self.workers = workers
        self.restarts = 0
        self.adopted = False
        main_script_for_workers()
        self._pool = self._start()
        try:
            for _ in range(min(start, workers)):
                self._pool.submit(_ready)  # each submission starts a worker while one is missing
        except OSError as exc:
            self.terminate()
            raise ExecutorError(f"cannot start {workers} worker processes: {exc}; use fewer "
                                "--workers, or --serial") from None

    def _start(self) -> ProcessPoolExecutor:
        try:
            return ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("spawn"),
                                       initializer=_init_worker)
        except (OSError, ValueError) as exc:
            raise ExecutorError(f"cannot start {self.workers} worker processes: {exc}; use "
                                "fewer --workers, or --serial") from None

    def imap_unordered(self, fn: Callable[[TaskSpec], Result], items: Iterable[TaskSpec],
                       submitted: Callable[[], None] = _nothing) -> Iterator[Result]:
        """Yield outputs as workers finish them, keeping a bounded number of batches queued.

        ``submitted``: see :meth:`Executor.imap_unordered`.
        """
        batcher = Batcher(items, self.workers)
        pending: dict[Future[tuple[list[Result], float]], list[TaskSpec]] = {}
        attempts: dict[tuple[str, int], int] = {}  # starts of the tasks that were lost (else 1)
        ahead = self.workers * IN_FLIGHT_PER_WORKER

        def submit(batch: list[TaskSpec]) -> None:
            pending[self._pool.submit(run_batch, fn, batch)] = batch

        def top_up() -> None:
            while len(pending) < ahead and (batch := batcher.take()):
                submit(batch)

        top_up()
        submitted()
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            lost: list[TaskSpec] = []
            for future in sorted(finished, key=lambda f: _order(pending[f][0])):
                batch = pending.pop(future)
                done = self._outcome(future)
                if done is None:
                    lost.extend(batch)
                else:
                    batcher.observe(len(done[0]), done[1])
                    yield from done[0]
            if lost:
                # The pool is broken: the other unfinished tasks fail too (or finished first).
                rest = list(pending.items())
                pending.clear()
                wait([f for f, _ in rest])
                for future, batch in sorted(rest, key=lambda item: _order(item[1][0])):
                    done = self._outcome(future)
                    if done is None:
                        lost.extend(batch)
                    else:
                        yield from done[0]
                self._restart(lost, attempts)
                for spec in sorted(lost, key=_order):  # one at a time: find the culprit
                    attempts[_order(spec)] = attempts.get(_order(spec), 1) + 1
                    submit([spec])
            top_up()

    @staticmethod
    def _outcome(future: Future[tuple[list[Result], float]]
                 ) -> tuple[list[Result], float] | None:
        """The batch's outputs and seconds; ``None`` when its worker died; its error, named."""
        exc = future.exception()
        if isinstance(exc, BrokenProcessPool):
            return None
        if exc is not None:
            raise exc
        return future.result()

    def _restart(self, lost: list[TaskSpec], attempts: dict[tuple[str, int], int]) -> None:
        """Replace the broken pool, or fail when a lost task has used up its attempts."""
        def starts(spec: TaskSpec) -> int:
            return attempts.get(_order(spec), 1)

        worst = max(lost, key=starts)
        if starts(worst) >= MAX_ATTEMPTS:
            raise ExecutorError(
                f"the worker process running {_describe(worst)} died (attempt "
                f"{starts(worst)} of {MAX_ATTEMPTS}; killed, or out of memory?); the "
                "finished tasks are kept: rerun with --resume, perhaps with fewer --workers")
        log.warning("a worker process died; restarting the workers and running %d unfinished "
                    "task(s) again", len(lost))
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.restarts += 1
        self._pool = self._start()

    def map_local(self, fn: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
        """``[fn(item) for item in items]``, the items spread over the idle workers.

        ``fn`` must be a module-level function (or a partial of one), as for tasks. A worker
        that dies breaks the pool: the items are then computed here, in this process (the
        run's tasks are all in by then; nothing is lost).
        """
        if len(items) < 2:
            return super().map_local(fn, items)
        try:
            return list(self._pool.map(fn, items))
        except BrokenProcessPool:
            log.warning("a worker process died; computing the rest in this process")
            return super().map_local(fn, items)

    def close(self) -> None:
        """Cancel queued tasks and let the workers exit."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def terminate(self) -> None:
        """Stop now: cancel queued tasks and terminate running workers (after an interrupt)."""
        # The pool keeps its worker processes in a private mapping; terminating them is the
        # only way not to wait for the running tasks.
        processes = list(getattr(self._pool, "_processes", {}).values())
        results = getattr(self._pool, "_result_queue", None)  # shutdown() drops the reference
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)
        # A worker terminated while sending a result leaves half a message in the result pipe,
        # and the pool's manager thread waits in recv() for the rest, forever: the parent still
        # holds the pipe's write end, so no end-of-file comes (CPython 3.11), and the exit
        # joins that thread (a run hung after "interrupted", under load). With the workers gone,
        # closing the parent's write end turns that wait into end-of-file: the pool breaks.
        writer = getattr(results, "_writer", None)
        if writer is not None and all(exited(p) for p in processes):
            writer.close()

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self.terminate()


class DaskExecutor(Executor):
    """A Dask distributed client: a new LocalCluster, or an existing scheduler by address.

    Workers of a remote cluster must have ppsim installed (the same version, for identical
    results); they only compute, the run folder is written here. A local cluster's workers
    store their task files and compute the summaries' parts themselves, as local processes do.

    A local cluster's worker processes are started first, before Dask is imported here, and
    import Dask and the model meanwhile (:mod:`sim.experiments.dask_local`); the cluster
    starts with its scheduler alone and is then asked for its workers, which take those
    processes and join in the background while this process goes on preparing the run; tasks
    submitted meanwhile wait at the scheduler. The first results wait for the first worker, at
    most :data:`DASK_WORKER_START_S`.
    """

    def __init__(self, address: str | None, workers: int) -> None:
        spares: Any = None
        if address is None:
            main_script_for_workers()  # before Dask is imported: the check is quick
            from sim.experiments.dask_local import Spares

            spares = Spares(workers)  # they import Dask while this process does
        self._spares = spares
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            if spares is not None:
                spares.close()
            raise ExecutorError(f"Dask distributed is not installed: {exc}") from None
        self._cluster: Any = None
        self._client: Any = None
        self.adopted = False
        self._waited = False
        # Dask logs every scheduler and worker event at INFO; keep them out of ppsim's output.
        self._quiet = logging.getLogger("distributed")
        self._level = self._quiet.level
        self._quiet.setLevel(max(self._level, logging.WARNING))
        if address is None:
            self.name = "dask-local"
            try:
                import dask

                from sim.experiments.dask_local import spawned_worker

                # dashboard_address ":0": the scheduler's HTTP server (it has one, dashboard
                # or not) takes a free port, not 8787, which another cluster may hold (Dask
                # then warns on stderr); "dashboard": False keeps the dashboard itself off.
                # The workers have DASK_QUIET and the preload from their processes.
                with dask.config.set(DASK_QUIET):  # the scheduler, made here, reads them
                    self._cluster = LocalCluster(n_workers=0, threads_per_worker=1,
                                                 processes=True, dashboard_address=":0",
                                                 scheduler_kwargs={"dashboard": False},
                                                 silence_logs=logging.ERROR,
                                                 worker_class=spawned_worker(), spares=spares)
                self._client = Client(self._cluster)  # before the workers: it would wait
                self._cluster.scale(workers)  # returns at once; the workers start meanwhile
            except Exception as exc:
                self.close()
                raise ExecutorError(f"cannot start a local Dask cluster: {exc}") from None
            self.workers = workers
            self.local_files = True
        else:
            self.name = f"dask://{address}"
            self._waited = True  # a run started before the workers have joined waits for them
            try:
                self._client = _connect(address)
                self.workers = max(1, sum(self._client.nthreads().values()))
            except ExecutorError:
                self.close()
                raise
            except Exception as exc:
                self.close()
                raise ExecutorError(_connect_message(address, exc)) from None

    def _first_worker(self) -> None:
        """Wait (once) until a local cluster has a worker: one that cannot start fails here.

        Raises:
            ExecutorError: no worker started within :data:`DASK_WORKER_START_S`.
        """
        if self._waited:
            return
        try:
            self._client.wait_for_workers(1, timeout=DASK_WORKER_START_S)
        except TimeoutError:
            raise ExecutorError(f"the local Dask cluster's workers did not start within "
                                f"{DASK_WORKER_START_S:g} s (see Dask's log above); use "
                                "local processes (no --dask) or --serial") from None
        self._waited = True

    def imap_unordered(self, fn: Callable[[TaskSpec], Result], items: Iterable[TaskSpec],
                       submitted: Callable[[], None] = _nothing) -> Iterator[Result]:
        """Yield outputs as Dask workers finish them, keeping a bounded number in flight.

        ``submitted``: see :meth:`Executor.imap_unordered`.
        """
        from distributed import as_completed

        from sim.experiments.shipping import Shipper

        batcher = Batcher(items, self.workers)
        batches: dict[Any, list[TaskSpec]] = {}
        queue = as_completed()
        shipper = Shipper()

        def submit() -> None:
            batch = batcher.take()
            if batch:
                future = self._client.submit(run_shipped_batch, fn, shipper.pack(batch),
                                             pure=False)
                batches[future.key] = batch
                queue.add(future)

        try:
            for _ in range(self.workers * IN_FLIGHT_PER_WORKER):
                submit()
            submitted()
            self._first_worker()
            for future in queue:
                batch = batches.pop(future.key)
                if future.status == "error":
                    raise _dask_failure(future.exception(), batch)
                outputs, seconds = future.result()
                future.release()
                batcher.observe(len(outputs), seconds)
                submit()
                yield from outputs
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(f"lost the Dask scheduler ({exc.__class__.__name__}: {exc}); "
                                "the finished tasks are kept: rerun with --resume") from None

    def map_local(self, fn: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
        """``[fn(item) for item in items]``: by a local cluster's workers, else here.

        Workers of a scheduler given by address may be other machines, which cannot read the
        run folder: their client computes the items itself.
        """
        if not self.local_files or len(items) < 2:
            return super().map_local(fn, items)
        self._first_worker()
        futures = self._client.map(fn, list(items), pure=False)
        try:
            results: list[Result] = self._client.gather(futures)
        finally:
            self._client.cancel(futures)
        return results

    def terminate(self) -> None:
        """Stop a local cluster that no run took (:func:`start_workers`)."""
        self.close()

    def _close_client(self) -> None:
        """Close the client (idempotent), in the thread that opened it."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def closer(self) -> Callable[[], None]:
        """Close the client here, in the thread that opened it; return :meth:`close`.

        What is left, a local cluster's close (its workers retired, their processes ended, then
        its scheduler), may run in another thread.
        """
        self._close_client()
        return self.close

    def close(self) -> None:
        """Close the client and, for a local cluster, stop its workers."""
        self._close_client()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
        if self._spares is not None:
            self._spares.close()  # processes no worker took (a cluster that failed to start)
        self._quiet.setLevel(self._level)


def quiet_environment() -> dict[str, str]:
    """:data:`DASK_QUIET` as environment variables, for worker processes and schedulers.

    Used for a local cluster's worker processes (:mod:`sim.experiments.dask_local`), and for
    a scheduler and workers started by hand. Dask reads ``DASK_A__B__C_D=value`` as the
    setting ``a.b.c-d`` (README, "On a cluster of several machines").
    """
    return {"DASK_" + key.upper().replace(".", "__").replace("-", "_"): str(value)
            for key, value in DASK_QUIET.items()}


def _connect(address: str) -> Any:
    """A Dask client of the scheduler at ``address``, within a hard deadline.

    ``Client(timeout=…)`` bounds the TCP connection, but a service that accepts the
    connection and never answers would hold it forever; the client is therefore made in a
    helper thread that is given up on after :data:`DASK_CONNECT_TIMEOUT_S` (plus a grace).
    """
    from distributed import Client

    result: dict[str, Any] = {}
    gave_up = threading.Event()

    def connect() -> None:
        try:
            client = Client(address, timeout=DASK_CONNECT_TIMEOUT_S)
        except BaseException as exc:
            result["error"] = exc
            return
        if gave_up.is_set():
            client.close()
        result["client"] = client

    thread = threading.Thread(target=connect, name="ppsim-dask-connect", daemon=True)
    thread.start()
    thread.join(DASK_CONNECT_TIMEOUT_S + 5)
    if thread.is_alive():
        gave_up.set()
        _quiet_abandoned_client()
        raise ExecutorError(
            f"no answer from {address} within {DASK_CONNECT_TIMEOUT_S + 5:g} s: something "
            "accepts connections there but does not answer as a Dask scheduler; check the "
            "address and port (a scheduler listens on 8786 by default), or use --dask local")
    if "error" in result:
        raise result["error"]
    return result["client"]


def _quiet_abandoned_client() -> None:
    """Silence the half-made client's complaint when it is collected at exit (not our error)."""
    import sys

    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if "Client.__del__" in repr(getattr(unraisable, "object", "")):
            return
        previous(unraisable)

    sys.unraisablehook = hook


def _connect_message(address: str, exc: BaseException) -> str:
    """What went wrong connecting to a Dask scheduler, and what to do next."""
    said = f"{exc.__class__.__name__}: {str(exc)[:200]}"
    if address.startswith("tls://") and ("ssl" in str(exc).lower() or "tls" in str(exc).lower()):
        return (f"cannot connect to {address}: TLS needs certificates ({said}); configure "
                "distributed.comm.tls (ca-file, client cert and key) in your Dask config or "
                "DASK_DISTRIBUTED__COMM__TLS__* variables, or use a tcp:// address")
    if isinstance(exc, OSError | TimeoutError):
        return (f"cannot reach the Dask scheduler at {address} within "
                f"{DASK_CONNECT_TIMEOUT_S:g} s ({said}); start one with `dask scheduler` and "
                "`dask worker ADDRESS`, or use --dask local")
    return (f"the service at {address} does not answer as a Dask scheduler ({said}); check "
            "the address and port (a scheduler listens on 8786 by default), or use --dask local")


def _dask_failure(exc: BaseException | None, batch: list[TaskSpec]) -> BaseException:
    """A batch's failure on Dask: dying workers as an ExecutorError, model errors as they are."""
    what = _describe(batch[0]) + (f" (in a batch of {len(batch)})" if len(batch) > 1 else "")
    if exc is not None and exc.__class__.__name__ == "KilledWorker":
        return ExecutorError(f"Dask workers died repeatedly while running {what} "
                             "(killed, or out of memory?); the finished tasks are kept: rerun "
                             "with --resume")
    if exc is None:  # pragma: no cover - an errored future always holds its exception
        return ExecutorError(f"{what} failed on Dask without an error")
    return exc


def _order(spec: TaskSpec) -> tuple[str, int]:
    return (str(spec.key), spec.replication)


def _worker_count(workers: int | None) -> int:
    """The worker count asked for, or the number of CPUs."""
    return (os.cpu_count() or 1) if workers is None else workers


def open_executor(spec: str | None, workers: int | None) -> Executor:
    """Start the executor named by ``spec`` (see the module docstring) with ``workers``.

    Raises:
        ExecutorError: an unknown spec, a bad worker count, or a cluster that cannot be
            started or reached.
    """
    count = _worker_count(workers)
    if count < 1:
        raise ExecutorError(f"workers: got {count}, must be ≥ 1")
    name = spec or "processes"
    if name == "serial":
        return SerialExecutor()
    if name == "processes":
        return _adopt_early(ProcessExecutor, count) or ProcessExecutor(count)
    if name in LOCAL_DASK:
        return _adopt_early(DaskExecutor, count) or DaskExecutor(None, count)
    if name.startswith("dask://"):
        name = name.removeprefix("dask://")
    if "://" in name:
        return DaskExecutor(name, count)
    raise ExecutorError(f"executor: unknown {spec!r} (allowed: {', '.join(EXECUTORS)}; "
                        "ADDRESS is a scheduler address like tcp://host:8786)")


EarlyExecutor = TypeVar("EarlyExecutor", ProcessExecutor, DaskExecutor)


def _adopt_early(kind: type[EarlyExecutor], count: int) -> EarlyExecutor | None:
    """The workers :func:`start_workers` started, if they are of ``kind`` and ``count``."""
    early = _EARLY.get()
    if isinstance(early, kind) and not early.adopted and early.workers == count:
        early.adopted = True
        return early
    return None


EARLY_UNKNOWN = 8
"""Workers :func:`start_workers` starts at once when the number of tasks is not known yet (a
64-core machine would otherwise start 64 workers, ~160 MB each, for a 20-replication run)."""

_EARLY: ContextVar[ProcessExecutor | DaskExecutor | None] = ContextVar("ppsim_early_workers",
                                                                   default=None)
"""Workers started by :func:`start_workers`, waiting for :func:`open_executor`."""


@contextmanager
def start_workers(spec: str | None, workers: int | None, tasks: int | None = None
                  ) -> Iterator[None]:
    """Start the local workers of the run made inside the block, now.

    Before its first task a run's parent spends ~0.5 s importing the engine and validating the
    scenario, and each worker ~0.5 s starting Python and importing the model (a local Dask
    cluster ~1 s); started here, before the parent's part, the two overlap instead of following
    one another. :func:`open_executor` takes these workers for a ``processes`` or
    ``dask-local`` run with the same worker count; workers that no run took by the end of the
    block (an invalid scenario, an error, a run that asked for other workers) are stopped
    there. Nothing happens for the serial executor, a scheduler given by address, a bad worker
    count (:func:`open_executor` reports it) or inside another ``start_workers`` block.

    Args:
        spec: the run's executor spec (``None``: local processes).
        workers: its worker count (``None``: CPUs).
        tasks: the number of tasks, when known: no more local processes than that are started
            now (unknown: at most :data:`EARLY_UNKNOWN`; the pool starts more when tasks need
            them). A Dask cluster starts all its workers.
    """
    count = _worker_count(workers)
    name = spec or "processes"
    if (name != "processes" and name not in LOCAL_DASK) or count < 1 or _EARLY.get() is not None:
        yield
        return
    bound_memory()  # before the pool's or the cluster's threads start (see sim.memory)
    early: ProcessExecutor | DaskExecutor | None = None
    with contextlib.suppress(ExecutorError):  # open_executor says why (without this one chained)
        if name in LOCAL_DASK:
            early = DaskExecutor(None, count)
        else:
            early = ProcessExecutor(count, start=EARLY_UNKNOWN if tasks is None else tasks)
    if early is None:
        yield
        return
    token = _EARLY.set(early)
    try:
        yield
    finally:
        _EARLY.reset(token)
        if not early.adopted:
            early.terminate()


__all__ = ["EXECUTORS", "Batcher", "DaskExecutor", "Executor", "TaskOutput", "TaskSpec",
           "import_model", "open_executor", "run_batch", "run_shipped_batch", "run_task",
           "start_workers"]
