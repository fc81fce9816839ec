"""Dask worker preload: import the model as a Dask worker starts, not in its first task.

A local process worker imports the model as it starts (``_init_worker`` in
:mod:`sim.experiments.executors`), while the parent prepares the run. A Dask worker would
otherwise import it (~0.2-0.3 s) inside its first task, after the parent had waited for the
cluster. :class:`~sim.experiments.executors.DaskExecutor` names this module as the
``preload`` of the local clusters it starts; workers of a cluster started by hand take it with
``dask worker tcp://SCHEDULER:8786 --preload sim.experiments.dask_preload`` (README, "On a
cluster of several machines"). It only imports modules, so results are the same with it or
without it.
"""

from __future__ import annotations

from typing import Any

from sim.experiments.executors import import_model
from sim.memory import bound_memory


def dask_setup(worker: Any) -> None:
    """Dask's preload hook, called once as the worker starts: settings, then the model.

    The settings are the workers' memory settings, as a local worker process has them
    (:func:`sim.memory.bound_memory`).
    """
    bound_memory("worker")
    import_model()
