"""A local Dask cluster's worker process (``python -m sim.experiments.dask_worker``).

:class:`~sim.experiments.dask_local.Spares` starts these processes as a local cluster is asked
for, before the parent has imported Dask: each imports Dask and the model while the parent
imports Dask and starts the scheduler, instead of after it (a nanny can spawn its worker only
once the parent has imported Dask). It then reads one line from its standard input, the
order of :class:`~sim.experiments.dask_local.SpawnedWorker` (JSON: the scheduler's address, the
worker's name, memory limit and preload, :mod:`sim.experiments.dask_preload`), and runs one
single-threaded Dask worker until the worker closes.

Its standard input stays open while the parent lives; at its end (the parent closed it, or
ended in any way, even killed) the process ends at once, as a local worker whose parent
vanished does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
from typing import Any


def main() -> None:
    """Import, wait for the order, run the worker until it closes."""
    from distributed import Worker  # the longest import first, while the parent does its own

    from sim.experiments.executors import exit_now, import_model

    import_model()
    line = sys.stdin.readline()
    if not line:  # the parent ended, or no longer needed this process
        exit_now()
        return
    order: dict[str, Any] = json.loads(line)
    threading.Thread(target=_end_with_parent, args=(exit_now,), name="ppsim-parent-watch",
                     daemon=True).start()
    logging.getLogger("distributed").setLevel(logging.ERROR)  # as the cluster's silence_logs

    async def serve() -> None:
        async with Worker(order["scheduler"], name=order["name"], nthreads=1,
                          memory_limit=order["memory_limit"], preload=order["preload"]) as worker:
            await worker.finished()

    asyncio.run(serve())


def _end_with_parent(end: Any) -> None:
    """Wait for the end of standard input (the parent closed it, or ended), then end."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    end()
    os._exit(0)  # under coverage ``end`` returns; the process must end all the same


if __name__ == "__main__":
    main()
