"""The experiments layer: jobs of variants × replications, executors, sweeps."""

from __future__ import annotations

from sim.lazy import exports

_EXPORTS = {
    "run": "api",
    "compare": "api",
    "sweep": "sweep",
    "Execution": "engine",
    "Stopping": "engine",
    "Job": "engine",
}


__getattr__ = exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
