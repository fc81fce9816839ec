"""The run-folder layer: tasks stored as they finish, assembled tables, atomic finish, resume."""

from __future__ import annotations

from sim.lazy import exports

_EXPORTS = {
    "RunFolder": "folder",
    "RunResult": "folder",
    "TABLES": "folder",
    "TaskOutput": "task",
}


__getattr__ = exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
