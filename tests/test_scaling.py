"""Scaling: batched submissions give the same bytes (the Dask cluster: test_dask_cluster.py)."""

from __future__ import annotations

import contextlib
import operator
import os
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest

import sim.experiments.engine as engine
import sim.experiments.executors as executors
from sim.errors import ExecutorError
from sim.experiments.api import run
from sim.experiments.executors import (
    Batcher,
    DaskExecutor,
    Executor,
    ProcessExecutor,
    SerialExecutor,
    TaskSpec,
)
from sim.outputs import summaries
from sim.runs.folder import RunFolder
from sim.runs.task import TaskOutput
from tests.runs_helpers import (
    KILL_FLAG,
    ROOT,
    TINY,
    die_once_at,
    die_outside,
    modules_loaded,
    periodic_work,
    run_bytes,
    worker_pid,
)

BIN = Path(sys.executable).parent


def _specs(n: int) -> list[TaskSpec]:
    return [TaskSpec("base", r, 1, None, ()) for r in range(n)]  # type: ignore[arg-type]


def _replication(spec: TaskSpec) -> int:
    return spec.replication


def _done(batch: list[TaskSpec], seconds: float) -> tuple[int, float]:
    """(tasks, seconds in all) of a finished batch whose tasks took ``seconds`` each."""
    return len(batch), seconds * len(batch)


def test_batcher_starts_with_single_tasks_then_fills_half_a_second() -> None:
    """Nothing known: one task; 0.05 s tasks: 10 a batch (0.5 s), capped by what remains."""
    batcher = Batcher(_specs(1000), workers=2)
    first = batcher.take()
    assert len(first) == 1
    batcher.observe(*_done(first, 0.05))
    assert len(batcher.take()) == round(executors.BATCH_SECONDS / 0.05) == 10
    batcher.observe(*_done([], 0.0))
    tiny = Batcher(_specs(1000), workers=2)
    tiny.observe(*_done(tiny.take(), 1e-4))
    assert len(tiny.take()) == executors.MAX_BATCH


def test_batcher_keeps_every_worker_busy_at_the_end() -> None:
    """Near the end a batch holds at most a quarter of the remaining tasks per worker."""
    batcher = Batcher(_specs(40), workers=2)
    batcher.observe(*_done(batcher.take(), 1e-4))  # 39 left → at most 39 // 8 = 4
    assert len(batcher.take()) == 4


def test_batcher_hands_out_every_task_once_in_order() -> None:
    """Concatenated batches are exactly the tasks, in submission order."""
    specs = _specs(97)
    batcher = Batcher(specs, workers=3)
    seen: list[TaskSpec] = []
    while batch := batcher.take():
        seen.extend(batch)
        batcher.observe(*_done(batch, 0.01))
    assert seen == specs


@pytest.mark.slow
def test_batched_processes_give_the_same_bytes_as_serial(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """With batches of several replications (long target, one batch in flight) nothing changes."""
    monkeypatch.setattr(executors, "BATCH_SECONDS", 100.0)
    monkeypatch.setattr(executors, "IN_FLIGHT_PER_WORKER", 1)
    serial = run(TINY, replications=40, executor="serial", plots=False,
                 out=tmp_path / "serial")
    batched = run(TINY, replications=40, executor="processes", workers=2, plots=False,
                  out=tmp_path / "batched")
    reference = run_bytes(serial.path)
    assert len(reference) > 10
    assert run_bytes(batched.path) == reference


@pytest.mark.slow
@pytest.mark.parametrize(("executor", "replications", "killed_at"),
                         [("processes", 40, 21), ("dask-local", 12, 5)])
def test_a_worker_killed_inside_a_batch_is_retried_with_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, executor: str, replications: int,
        killed_at: int) -> None:
    """A batch lost with its worker (SIGKILLed inside a task) is run again and the tables do
    not change: local processes rerun it task by task in a restarted pool; in a local Dask
    cluster the dead worker's place gets a new process (sim.experiments.dask_local) and the
    scheduler reruns the batch."""
    monkeypatch.setattr(executors, "BATCH_SECONDS", 100.0)
    monkeypatch.setattr(executors, "IN_FLIGHT_PER_WORKER", 1)
    serial = run(TINY, replications=replications, executor="serial", plots=False,
                 out=tmp_path / "serial")
    monkeypatch.setenv(KILL_FLAG, str(tmp_path / "killed-once"))
    monkeypatch.setattr(engine, "run_task", partial(die_once_at, killed_at))
    batched = run(TINY, replications=replications, executor=executor, workers=2, plots=False,
                  out=tmp_path / "batched")
    assert (tmp_path / "killed-once").exists()
    assert run_bytes(batched.path) == run_bytes(serial.path)


def _worker_pids(folder: Path) -> set[int]:
    import json

    tasks = json.loads((folder / "manifest.json").read_text())["timings"]["tasks"]
    return {int(t["worker"].rsplit(":", 1)[1]) for t in tasks}


def test_workers_started_early_run_the_tasks_with_the_same_bytes(tmp_path: Path) -> None:
    """A run inside ``start_workers`` takes the workers started there; the tables do not change.

    The early pool's processes (2, started before the run) are the ones named in the manifest,
    and the run folder has the bytes of a run that started its own workers.
    """
    with executors.start_workers(None, 2, tasks=6):
        early = executors._EARLY.get()
        assert early is not None
        started = {p.pid for p in early._pool._processes.values()}  # type: ignore[union-attr]
        assert len(started) == 2
        ran = run(TINY, replications=6, workers=2, plots=False, out=tmp_path / "early")
        assert early.adopted
    assert _worker_pids(ran.path) <= started
    own = run(TINY, replications=6, workers=2, plots=False, out=tmp_path / "own")
    assert not _worker_pids(own.path) & started
    assert run_bytes(ran.path) == run_bytes(own.path)


def test_workers_no_run_took_are_terminated(tmp_path: Path) -> None:
    """An error before the run (or a run asking for other workers) leaves no worker behind."""
    with pytest.raises(RuntimeError, match="before the run"), \
            executors.start_workers(None, 2, tasks=None):
        early = executors._EARLY.get()
        assert early is not None
        processes = list(early._pool._processes.values())  # type: ignore[union-attr]
        raise RuntimeError("an invalid scenario, before the run")
    assert processes and all(executors.exited(p) for p in processes)
    with executors.start_workers(None, 2, tasks=1):
        early = executors._EARLY.get()
        assert early is not None
        one = list(early._pool._processes.values())  # type: ignore[union-attr]
        assert len(one) == 1  # no more workers started than there are tasks
        ran = run(TINY, replications=2, workers=1, plots=False, out=tmp_path / "other")
        assert not early.adopted  # the run asked for 1 worker, not 2: it started its own
    assert ran.manifest["replications"] == 2
    assert all(executors.exited(p) for p in one)


def test_start_workers_leaves_other_executors_alone() -> None:
    """Serial runs and schedulers given by address start nothing early; nor does a block
    inside another block."""
    for spec in ("serial", "dask://tcp://localhost:1"):
        with executors.start_workers(spec, 2):
            assert executors._EARLY.get() is None
    with executors.start_workers(None, 1, tasks=1):
        outer = executors._EARLY.get()
        with executors.start_workers(None, 1, tasks=1):
            assert executors._EARLY.get() is outer
    assert executors._EARLY.get() is None


def test_a_local_dask_cluster_started_early_runs_the_tasks_with_the_same_bytes(
        tmp_path: Path) -> None:
    """``start_workers("dask-local")`` starts the cluster before the run is prepared; the run
    takes it and its tables are those of local processes. A cluster no run took is closed at
    the block's end."""
    with executors.start_workers("dask-local", 2, tasks=4):
        early = executors._EARLY.get()
        assert isinstance(early, DaskExecutor) and early.workers == 2
        ran = run(TINY, replications=4, executor="dask-local", workers=2, plots=False,
                  out=tmp_path / "early")
        assert early.adopted and early._cluster is None  # the run closed it
    own = run(TINY, replications=4, workers=2, plots=False, out=tmp_path / "own")
    assert run_bytes(ran.path) == run_bytes(own.path)
    with pytest.raises(RuntimeError, match="before the run"), \
            executors.start_workers("local", 2):
        early = executors._EARLY.get()
        assert isinstance(early, DaskExecutor)
        raise RuntimeError("an invalid scenario, before the run")
    assert not early.adopted and early._cluster is None  # closed, its workers stopped


def test_a_local_dask_worker_that_cannot_start_fails_the_run_with_a_message(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers start in the background; one that cannot (here: a preload that does not
    exist) fails the run when it waits for its first worker, with an ExecutorError."""
    monkeypatch.setattr(executors, "DASK_PRELOAD", "sim.experiments.no_such_preload")
    monkeypatch.setattr(executors, "DASK_WORKER_START_S", 10.0)
    with DaskExecutor(None, 1) as pool, \
            pytest.raises(ExecutorError, match="did not start within 10 s"):
        pool.map_local(operator.neg, [1, 2])


def test_a_local_dask_worker_process_that_dies_is_replaced(caplog: pytest.LogCaptureFixture
                                                           ) -> None:
    """A local cluster's worker process killed (out of memory, say) is replaced by a new one
    under the same name, which takes tasks (sim.experiments.dask_local, as Dask's nanny did)."""
    import signal

    with DaskExecutor(None, 1) as pool:
        pool._first_worker()
        [(first_address, first_pid)] = pool._client.run(os.getpid).items()
        [name] = [w["name"] for w in pool._client.scheduler_info()["workers"].values()]
        os.kill(first_pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            addresses = set(pool._client.scheduler_info()["workers"])
            if addresses and first_address not in addresses:
                break
            time.sleep(0.2)
        [(address, pid)] = pool._client.run(os.getpid).items()
        assert pid != first_pid and address != first_address
        assert [w["name"] for w in pool._client.scheduler_info()["workers"].values()] == [name]
        assert pool._client.submit(operator.neg, 3).result(timeout=30) == -3
    assert "a Dask worker process died" in caplog.text


def test_dask_workers_preload_the_model() -> None:
    """A local cluster's workers import the model as they start, before their first task."""
    with DaskExecutor(None, 1) as pool:
        pool._first_worker()  # the workers start in the background
        loaded = pool._client.run(partial(modules_loaded, ("sim.model.replication",), 0))
    assert list(loaded.values()) == [True]


def test_a_local_dask_cluster_does_less_periodic_work_and_leaves_dask_settings_alone() -> None:
    """The scheduler and the workers of a local cluster run with DASK_QUIET: no profiler, a
    1 s tick, a 2 s system monitor, a 0.5 s memory monitor; this process runs no nanny (the
    workers are processes started ahead), and Dask's settings here are unchanged."""
    import dask
    from distributed import Nanny

    before = dask.config.get("distributed")
    with DaskExecutor(None, 1) as pool:
        pool._first_worker()
        [worker] = pool._client.run(periodic_work).values()
        scheduler = pool._client.run_on_scheduler(
            lambda dask_scheduler: periodic_work(dask_scheduler))
        assert not any(isinstance(w, Nanny) for w in pool._cluster.workers.values())
        assert dask.config.get("distributed") == before  # while the cluster runs, too
    assert "profile" not in worker and "profile-cycle" not in worker
    for periodic in (worker, scheduler):
        assert periodic["tick"] == 1000 and periodic["monitor"] == 2000
    assert worker["memory_monitor"] == 500
    assert dask.config.get("distributed") == before


def test_a_local_dask_cluster_takes_a_free_port_for_its_http_server() -> None:
    """Another cluster's dashboard on Dask's default port 8787 is no reason for a warning on
    the user's terminal: the scheduler's HTTP server takes a free port."""
    import socket
    import warnings

    holder = socket.socket()
    with contextlib.suppress(OSError):  # already taken: all the better
        holder.bind(("127.0.0.1", 8787))
        holder.listen()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with DaskExecutor(None, 1) as pool:
                pool._first_worker()
        assert not [w for w in caught if "already in use" in str(w.message)]
    finally:
        holder.close()


def test_a_dask_executor_closes_its_client_here_and_its_cluster_in_another_thread() -> None:
    """``closer()`` closes the client in the thread that opened it and leaves the local
    cluster's close (~0.25 s) to the returned function, which the run's end calls in a
    thread while it writes the manifest and figures."""
    pool = DaskExecutor(None, 1)
    try:
        pool._first_worker()
        rest = pool.closer()
        assert pool._client is None and pool._cluster is not None
        closing = threading.Thread(target=rest)
        closing.start()
        closing.join(timeout=60)
        assert not closing.is_alive() and pool._cluster is None
    finally:
        pool.close()


def test_start_workers_caps_workers_when_the_tasks_are_unknown(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a task count at most EARLY_UNKNOWN workers start early (the rest on demand)."""
    monkeypatch.setattr(executors, "EARLY_UNKNOWN", 1)
    with executors.start_workers(None, 3):
        early = executors._EARLY.get()
        assert early is not None and early.workers == 3
        assert len(early._pool._processes) == 1  # type: ignore[union-attr, arg-type]


def test_map_local_spreads_the_items_over_the_workers_in_order() -> None:
    """Local workers compute the items, results in item order; serial computes them here."""
    with ProcessExecutor(2, start=2) as pool:
        assert pool.map_local(operator.neg, list(range(9))) == [-k for k in range(9)]
        pids = pool.map_local(worker_pid, list(range(8)))
        assert pool.map_local(worker_pid, [0]) == [os.getpid()]  # one item: not worth a trip
    assert len(pids) == 8 and os.getpid() not in pids
    assert SerialExecutor().map_local(worker_pid, [0, 1]) == [os.getpid()] * 2


def test_idle_workers_import_what_the_summaries_need_after_the_last_task() -> None:
    """A worker imports no pandas as it starts; once idle after its tasks it imports what the
    summaries' parts need, before they hand it a part. Every task still comes back."""
    check = partial(modules_loaded, executors.LATE_MODULES)
    with ProcessExecutor(2, start=2) as pool:
        assert pool.map_local(check, [0, 1]) == [False, False]  # no task run yet
        assert sorted(pool.imap_unordered(_replication, _specs(6))) == list(range(6))
        deadline = time.monotonic() + 30
        while not all(pool.map_local(check, [0, 1, 2, 3])) and time.monotonic() < deadline:
            time.sleep(executors.IDLE_S)
        assert all(pool.map_local(check, [0, 1, 2, 3]))


def test_idle_dask_workers_import_what_the_summaries_need_after_the_last_task() -> None:
    """A local cluster's worker, like a local process worker (the preload starts the same idle
    watch), imports what the summaries' parts need once idle after its tasks, not as it
    starts."""
    check = partial(modules_loaded, executors.LATE_MODULES)
    with DaskExecutor(None, 1) as pool:
        pool._first_worker()
        assert list(pool._client.run(check, 0).values()) == [False]  # no task run yet
        assert sorted(pool.imap_unordered(_replication, _specs(4))) == list(range(4))
        deadline = time.monotonic() + 30
        while not all(pool._client.run(check, 0).values()) and time.monotonic() < deadline:
            time.sleep(executors.IDLE_S)
        assert list(pool._client.run(check, 0).values()) == [True]


@pytest.mark.parametrize(("status", "exits_now"), [("closed", True), ("closing", True),
                                                    ("running", False), ("failed", False)])
def test_a_dask_worker_process_skips_its_teardown_only_once_its_worker_closed(
        monkeypatch: pytest.MonkeyPatch, status: str, exits_now: bool) -> None:
    """The preload's exit handler ends a closed worker's process at once (its nanny waits for
    that); a worker that ends otherwise keeps Python's exit and its exit status."""
    from types import SimpleNamespace

    from distributed.core import Status

    import sim.experiments.dask_preload as preload

    called: list[bool] = []
    monkeypatch.setattr(preload, "exit_now", lambda: called.append(True))
    preload._exit_when_closed(SimpleNamespace(status=Status[status]))
    assert called == ([True] if exits_now else [])


def test_a_dask_worker_bounds_its_memory_with_its_first_batch(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that did not start as a local worker (a Dask worker) applies the workers'
    memory settings once, with its first batch (a baseline task: 0.40-0.44 s without them)."""
    calls: list[str] = []
    monkeypatch.setattr(executors, "bound_memory", calls.append)
    monkeypatch.setattr(executors._activity, "bounded", False)
    assert executors.run_batch(_replication, _specs(2))[0] == [0, 1]
    executors.run_batch(_replication, _specs(1))
    assert calls == ["worker"]


def test_map_local_computes_here_when_a_worker_dies() -> None:
    """A worker dying breaks the pool: every item is then computed in this process."""
    with ProcessExecutor(2, start=2) as pool:
        assert pool.map_local(partial(die_outside, os.getpid()), [3, 1, 2]) == [3, 1, 2]


@pytest.mark.slow
@pytest.mark.parametrize("executor", [ProcessExecutor, DaskExecutor])
def test_band_parts_computed_by_the_workers_give_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, executor: type[Executor]) -> None:
    """After the last task the summaries' parts go to the idle workers; no summary changes.

    A small row budget splits the monthly table of 6 tiny replications into 5 parts (one at
    the usual budget); the local workers (processes, or a local Dask cluster) compute them,
    and meanwhile the outcomes' parts (their means and deviations), having stored their task files
    themselves, and the run folder has the bytes of a serial run, which computed every part
    in-process.
    """
    serial = run(TINY, replications=6, executor="serial", plots=False, out=tmp_path / "serial")
    handed: list[int] = []
    map_local = executor.map_local

    def spy(self: Executor, fn: object, items: list[Path]) -> list[object]:
        assert self.local_files
        handed.append(len(items))
        return map_local(self, fn, items)  # type: ignore[arg-type]

    stored: list[bool] = []
    save_task = RunFolder.save_task

    def saving(self: RunFolder, output: TaskOutput) -> None:
        stored.append(output.stored)
        save_task(self, output)

    monkeypatch.setattr(executor, "map_local", spy)
    monkeypatch.setattr(RunFolder, "save_task", saving)
    monkeypatch.setattr(summaries, "BAND_BUDGET_ROWS", 1_000)
    spec = "processes" if executor is ProcessExecutor else "dask-local"
    split = run(TINY, replications=6, executor=spec, workers=2, plots=False,
                out=tmp_path / "split")
    # the bands' parts and the outcomes' (16), handed over from two threads at once
    assert len(handed) == 2 and min(handed) >= 4 and summaries.OUTCOME_PARTS in handed
    assert stored == [True] * 6  # each worker stored its own task file
    assert run_bytes(split.path) == run_bytes(serial.path)


def test_a_worker_ends_without_tearing_its_interpreter_down(tmp_path: Path) -> None:
    """``exit_now`` (registered as a worker starts) exits 0 at once: exit handlers registered
    after it (a hook's) still run, those before it do not, except logging's (a buffered log
    record reaches its file), and the output is flushed."""
    log = tmp_path / "worker.log"
    code = ("import atexit, logging, logging.handlers, sys\n"
            "from sim.experiments.executors import exit_now\n"
            f"to_file = logging.FileHandler({str(log)!r})\n"
            "held = logging.handlers.MemoryHandler(100, logging.CRITICAL, to_file)\n"
            "logging.basicConfig(handlers=[held], level=logging.INFO)\n"
            "atexit.register(print, 'torn down')\n"
            "atexit.register(exit_now)\n"
            "atexit.register(sys.stdout.write, 'hook ')\n"
            "logging.getLogger('hook').info('logged')\n"
            "sys.stdout.write('flushed ')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "flushed hook ", "")
    assert "logged" in log.read_text()


def test_a_shipped_batch_carries_each_scenario_once_and_a_worker_keeps_it(
        tiny: Any) -> None:
    """Dask batches (``sim.experiments.shipping``): the tasks come back equal; each scenario
    is pickled once however many tasks and batches carry it, and travels beside the tasks,
    not inside them; a worker unpickles it once, keeps at most ``KEPT``, and reuses it."""
    import pickle

    from sim.experiments import shipping

    base, other = tiny.base, next(iter(tiny.variants.values()))
    specs = [TaskSpec("base", r, 7, base, ("monthly",)) for r in range(3)]
    specs.append(TaskSpec("v", 0, 7, other, ("monthly",)))
    shipper = shipping.Shipper()
    first, second = shipper.pack(specs), shipper.pack(specs[:2])
    assert len(first.scenarios) == 2 and len(second.scenarios) == 1
    assert second.scenarios[0] is first.scenarios[0]  # pickled once, not again
    assert len(first.tasks) < min(len(b) for b in first.scenarios)
    assert pickle.loads(first.scenarios[0]) == base

    shipping._unpickled.cache_clear()
    got = shipping.unpack(first)
    assert got == specs
    assert got[0].scenario is got[1].scenario is got[2].scenario
    assert got[0].scenario is not base  # unpickled in the "worker"
    again = shipping.unpack(second)
    assert again[0].scenario is got[0].scenario  # kept, not unpickled again
    assert shipping._unpickled.cache_info().misses == 2

    points = [base.model_copy(update={"name": f"point {i}"}) for i in range(3 * shipping.KEPT)]
    for point in points:  # a long sweep: each side keeps the last KEPT scenarios only
        shipping.unpack(shipper.pack([TaskSpec("p", 0, 7, point, ("monthly",))]))
    assert len(shipper._pickled) == shipping.KEPT
    assert shipping._unpickled.cache_info().currsize == shipping.KEPT
