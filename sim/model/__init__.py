"""The model layer: one replication of the SimPy world, from a resolved scenario to tables.

State (:mod:`~sim.model.personnel`, :mod:`~sim.model.contributors`, :mod:`~sim.model.missions`),
timing processes (:mod:`~sim.model.pipeline`, :mod:`~sim.model.assessment`, :mod:`~sim.model.units`,
:mod:`~sim.model.teams`), pure decisions (:mod:`~sim.model.policies`), random streams
(:mod:`~sim.model.streams`) and observation (:mod:`~sim.model.observe`, :mod:`~sim.model.metrics`),
tied together by :mod:`~sim.model.replication`.

The modules that run the event loop are compiled with mypyc when a current build exists
(:mod:`~sim.model.native`: same tables, about 2.5 times as fast); :data:`CHOICE` says which
runs. Either way the event loop runs on :class:`~sim.model.clock.ModelEnvironment`.
"""

from __future__ import annotations

from sim.lazy import exports
from sim.model import native as _native

CHOICE = _native.activate(__path__)
"""Whether this process runs the compiled model or the Python sources, and why."""

_EXPORTS = {
    "simulate": "replication",
    "build_world": "replication",
    "start_processes": "replication",
    "Decisions": "world",
    "World": "world",
}


__getattr__ = exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
