"""Which folders ppsim may touch, and who is writing one: the run marker and the writer's lock.

- **Marker** (``.ppsim-run``): a small JSON file ppsim writes into every run folder it creates,
  first thing, with a format version. ``--replace``, ``--resume`` and every cleanup act only on
  folders that carry it; any other existing path is refused, so ppsim never deletes or writes
  into a folder it did not make (a web project that happens to hold a ``manifest.json`` is safe).
- **Lock** (``.ppsim-lock`` in ``<out>.partial``): created with ``O_CREAT | O_EXCL`` so exactly
  one process holds it; it records the holder's pid, host and start time. A second run into the
  same ``--out`` is refused while the holder lives. A lock left by a process that died (same
  host, pid no longer running, or the pid now belongs to a process started later — pid reuse,
  told apart by the process start time in ``/proc`` where there is one) is taken over with a
  warning; a lock from another host is never taken over automatically, since its holder cannot
  be checked from here.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.errors import ResultsError

log = logging.getLogger(__name__)

MARKER = ".ppsim-run"
"""The file that marks a folder as written by ppsim."""

MARKER_FORMAT = 1
"""Version of the run-folder layout recorded in the marker."""

LOCK = ".ppsim-lock"
"""The lock file of the process writing a partial run folder."""


def write_marker(folder: Path, version: str) -> None:
    """Mark ``folder`` as a ppsim run folder (format version and the ppsim version)."""
    text = json.dumps({"ppsim_run_format": MARKER_FORMAT, "ppsim_version": version}) + "\n"
    (folder / MARKER).write_text(text, encoding="utf-8")


def has_marker(folder: Path) -> bool:
    """Whether ``folder`` is a folder that ppsim wrote (it carries a readable marker)."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "ppsim_run_format" in data


@dataclass(frozen=True)
class Holder:
    """Who holds a lock.

    Attributes:
        pid: the holder's process id.
        host: the holder's host name.
        started: when it took the lock (ISO time, UTC).
        ticks: the process's start time in clock ticks since boot (``/proc/<pid>/stat``;
            ``None`` where there is no ``/proc``), to tell a reused pid from the holder.
    """

    pid: int
    host: str
    started: str
    ticks: int | None = None

    def describe(self) -> str:
        """``pid 123 on host h since 2026-…``."""
        return f"pid {self.pid} on host {self.host} since {self.started}"


def _me() -> Holder:
    return Holder(os.getpid(), socket.gethostname(),
                  datetime.now(UTC).isoformat(timespec="seconds"), _start_ticks(os.getpid()))


def _start_ticks(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), or ``None``."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def read_holder(folder: Path) -> Holder | None:
    """The holder recorded in ``folder``'s lock, or ``None`` when unlocked or unreadable."""
    try:
        data: dict[str, Any] = json.loads((folder / LOCK).read_text(encoding="utf-8"))
        ticks = data.get("ticks")
        return Holder(int(data["pid"]), str(data["host"]), str(data["started"]),
                      None if ticks is None else int(ticks))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_alive(holder: Holder) -> bool:
    """Whether the holder may still run: always true for another host (it cannot be checked)."""
    if holder.host != socket.gethostname():
        return True
    if holder.pid == os.getpid():
        return True
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # a live process of another user
    now = _start_ticks(holder.pid)
    return holder.ticks is None or now is None or now == holder.ticks


def acquire(folder: Path) -> None:
    """Take the lock of ``folder`` (a partial run folder), or take over a stale one.

    Raises:
        ResultsError: another live process holds the lock (naming it and what to do).
    """
    for _ in range(3):
        if _create(folder):
            return
        holder = read_holder(folder)
        if holder is None:
            # Unreadable: a holder that died between creating and writing the file, or one
            # that is writing it now. Treat it as held unless it is still empty after a retry.
            _take_over_if_empty(folder)
            continue
        if is_alive(holder):
            raise ResultsError(
                f"{folder} is being written by another ppsim run ({holder.describe()}); wait "
                "for it to finish, or choose another --out. If that process is gone, delete "
                f"{folder / LOCK} and rerun with --resume")
        log.warning("%s: taking over the lock of a run that is no longer running (%s)",
                    folder, holder.describe())
        (folder / LOCK).unlink(missing_ok=True)
    raise ResultsError(f"{folder}: cannot take the lock {folder / LOCK}; another run keeps "
                       "taking it; choose another --out")


def _create(folder: Path) -> bool:
    """Create the lock file exclusively; ``False`` when it already exists."""
    try:
        fd = os.open(folder / LOCK, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    me = _me()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"pid": me.pid, "host": me.host, "started": me.started, "ticks": me.ticks},
                  handle)
    return True


def _take_over_if_empty(folder: Path) -> None:
    import time

    time.sleep(0.2)
    if read_holder(folder) is None:
        log.warning("%s: removing an unreadable lock file", folder)
        (folder / LOCK).unlink(missing_ok=True)


def release(folder: Path) -> None:
    """Drop the lock of ``folder`` if this process holds it (a no-op otherwise)."""
    holder = read_holder(folder)
    if holder is not None and holder.pid == os.getpid() and holder.host == socket.gethostname():
        (folder / LOCK).unlink(missing_ok=True)


def live_holder(folder: Path) -> Holder | None:
    """The live process writing ``folder``, if any (for messages)."""
    holder = read_holder(folder)
    return holder if holder is not None and is_alive(holder) else None


__all__ = ["LOCK", "MARKER", "MARKER_FORMAT", "Holder", "acquire", "has_marker", "is_alive",
           "live_holder", "read_holder", "release", "write_marker"]
