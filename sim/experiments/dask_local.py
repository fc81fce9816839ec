"""A local Dask cluster whose worker processes start before this process imports Dask.

Dask's own local cluster starts each worker through a nanny, which lives in this process: the
chain was this process importing ``distributed`` (~0.4 s), then each nanny spawning its worker,
which imports ``distributed`` again (~0.4 s) and then the model (~0.2 s). Here the worker
processes (:mod:`sim.experiments.dask_worker`) are started first, as plain subprocesses, and
import while this process imports Dask and starts the scheduler; each is then handed the
scheduler's address. :class:`SpawnedWorker`, the cluster's worker class (Dask's
``SpecCluster`` interface for worker processes, as dask-jobqueue's jobs), does what the nanny
did for ppsim: it starts the worker, starts a new one in its place if the process dies (killed,
out of memory) while the cluster runs, and ends it when the cluster closes. A worker process
also ends by itself when this process ends (its standard input closes).

Results do not depend on any of this: the workers run the same tasks with the same preload.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import subprocess
import sys
from typing import Any

from sim.experiments import executors

log = logging.getLogger("ppsim")

WORKER_MODULE = "sim.experiments.dask_worker"
"""The worker processes' main module."""

MAX_REPLACEMENTS = 8
"""Worker processes started in place of dead ones, per worker, before it is left dead (Dask
then fails the tasks that kept killing workers: ``KilledWorker``)."""

POLL_S = 0.2
"""How often a worker's process is checked for having died."""

PRE_SPAWN = {"MALLOC_TRIM_THRESHOLD_": "65536", "OMP_NUM_THREADS": "1",
             "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
"""The environment Dask's nannies give their workers (``distributed.nanny.pre-spawn-environ``,
the defaults of Dask 2024-2026), given to these workers too."""


def worker_environment() -> dict[str, str]:
    """The worker processes' environment: this one's, Dask's quiet settings, this sys.path.

    The path is this process's module search path, as ``spawn`` gives its children: a module
    that can be imported here (a researcher's decision rules) can be imported there.
    """
    path = [entry for entry in sys.path if entry]  # PYTHONPATH's entries among them
    return {**os.environ, **PRE_SPAWN, **executors.quiet_environment(),
            executors.DASK_LOCAL_ENV: "1", "PYTHONPATH": os.pathsep.join(path)}


class Spares:
    """Worker processes started ahead of the cluster, taken by its workers as they start.

    Args:
        count: processes to start now (the cluster's worker count).
    """

    def __init__(self, count: int) -> None:
        self._environment = worker_environment()
        self._ready = [self.start() for _ in range(count)]

    def start(self) -> subprocess.Popen[bytes]:
        """A new worker process, importing; it waits for its order on standard input."""
        return subprocess.Popen([sys.executable, "-m", WORKER_MODULE], stdin=subprocess.PIPE,
                                env=self._environment)

    def take(self) -> subprocess.Popen[bytes]:
        """A process started ahead if one is left, else a new one."""
        return self._ready.pop(0) if self._ready else self.start()

    def close(self) -> None:
        """End the processes no worker took."""
        for process in self._ready:
            end_process(process, wait=False)
        self._ready.clear()


def end_process(process: subprocess.Popen[bytes], wait: bool = True) -> None:
    """Close the process's standard input, which ends it; kill it if it lingers."""
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    if not wait:
        return
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@functools.cache
def spawned_worker() -> type:
    """The cluster's worker class (made on first use: it needs Dask, imported by then)."""
    from distributed.deploy.spec import ProcessInterface

    class SpawnedWorker(ProcessInterface):
        """One worker of the cluster: a process from :class:`Spares`, replaced if it dies.

        Takes the options Dask's local cluster gives its worker class; uses ``spares``, the
        ``memory_limit`` and the ``name``, and ignores the rest (the process's own settings
        come from its environment, :func:`worker_environment`).
        """

        def __init__(self, scheduler: str, name: Any = None, *, spares: Spares,
                     memory_limit: Any = None, **_options: Any) -> None:
            super().__init__(scheduler, name)  # type: ignore[no-untyped-call]
            self.scheduler = scheduler
            self.name = name
            self.spares = spares
            self.memory_limit = "auto" if memory_limit is None else memory_limit  # a nanny's
            self.replacements = 0
            self.process: subprocess.Popen[bytes] | None = None
            self._closing = False
            self._watch: asyncio.Task[None] | None = None

        async def start(self) -> None:
            self._hand(self.spares.take())
            self._watch = asyncio.create_task(self._replace_when_dead())
            await super().start()  # type: ignore[no-untyped-call]

        def _hand(self, process: subprocess.Popen[bytes]) -> None:
            """Give ``process`` its order (a process that died before reading it is replaced)."""
            self.process = process
            order = {"scheduler": self.scheduler, "name": self.name,
                     "memory_limit": self.memory_limit,
                     "preload": [executors.DASK_PRELOAD]}  # read now: tests change it
            assert process.stdin is not None
            with contextlib.suppress(OSError):  # it died already: _replace_when_dead sees it
                process.stdin.write((json.dumps(order) + "\n").encode())
                process.stdin.flush()

        async def _replace_when_dead(self) -> None:
            """Start a new process, under the same name, whenever the worker's dies.

            A process that exits with status 0 has not died: its worker was closed (retired
            as the cluster closes), and nothing takes its place.
            """
            while not self._closing:
                await asyncio.sleep(POLL_S)
                if self._closing or self.process is None or self.process.poll() is None:
                    continue
                if self.process.returncode == 0:
                    return
                if self.replacements >= MAX_REPLACEMENTS:
                    log.warning("Dask worker %s died %d times; not starting it again",
                                self.name, self.replacements + 1)
                    return
                self.replacements += 1
                log.warning("a Dask worker process died (exit %s); starting another",
                            self.process.returncode)
                self._hand(self.spares.start())

        async def close(self) -> None:
            self._closing = True
            if self._watch is not None:
                self._watch.cancel()
            if self.process is not None:
                await asyncio.get_running_loop().run_in_executor(
                    None, end_process, self.process)
            await super().close()  # type: ignore[no-untyped-call]

    return SpawnedWorker


__all__ = ["Spares", "end_process", "spawned_worker", "worker_environment"]
