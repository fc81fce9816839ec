"""What one task (a variant or point × a replication) sends back from its worker."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskOutput:
    """What a worker sends back: the encoded tables and how long the simulation took.

    Attributes:
        key: as in the :class:`TaskSpec`.
        replication: as in the :class:`TaskSpec`.
        blob: the task's tables (see :func:`sim.runs.folder.encode_task`).
        seconds: wall time of the simulation and encoding in the worker (s).
        worker: ``host:pid`` of the worker process.
        stored: the worker wrote ``blob`` to the task's file itself (a local worker, given
            the path): ``blob`` is then empty, and the parent has nothing to store.
    """

    key: str | int
    replication: int
    blob: bytes
    seconds: float
    worker: str
    stored: bool = False
