"""Dask worker preload: a Dask worker set up as a local process worker is, as it starts.

A local process worker imports the model as it starts (``_init_worker`` in
:mod:`sim.experiments.executors`), while the parent prepares the run. A Dask worker would
otherwise import it (~0.2-0.3 s) inside its first task, after the parent had waited for the
cluster. :class:`~sim.experiments.executors.DaskExecutor` names this module as the
``preload`` of the local clusters it starts; workers of a cluster started by hand take it with
``dask worker tcp://SCHEDULER:8786 --preload sim.experiments.dask_preload`` (README, "On a
cluster of several machines"). It only imports modules and chooses how the process ends, so
results are the same with it or without it.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any

from sim.experiments.executors import (
    DASK_LOCAL_ENV,
    exit_now,
    import_model,
    import_when_idle,
)
from sim.memory import bound_memory


def dask_setup(worker: Any) -> None:
    """Dask's preload hook, called once as the worker starts: settings, then the model.

    The settings are the workers' memory settings, as a local worker process has them
    (:func:`sim.memory.bound_memory`). Then, as in a local worker: a worker that has closed
    ends its process without tearing its interpreter down (the cluster waits for that); and in
    a local cluster's workers, which compute the summaries' parts after the last task, a
    thread imports what those need once the worker falls idle after its tasks.
    """
    bound_memory("worker")
    import_model()
    atexit.register(_exit_when_closed, worker)
    if os.environ.get(DASK_LOCAL_ENV):
        threading.Thread(target=import_when_idle, name="ppsim-idle-imports",
                         daemon=True).start()


def _exit_when_closed(worker: Any) -> None:
    """End the process at once if its worker closed normally; else exit as Python would.

    A worker that closed has sent everything; freeing its heap object by object only keeps
    its cluster waiting (:func:`~sim.experiments.executors.exit_now`). A worker that ends
    otherwise (an error as it starts) keeps Python's exit and its exit status.
    """
    from distributed.core import Status

    if worker.status in (Status.closed, Status.closing):
        exit_now()
