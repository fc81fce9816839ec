"""Memory that a long run gives back: allocator settings for a run's parent and its workers.

A run's parent receives thousands of task blobs (on a receiving thread), decodes them with Arrow
and frees them on the main thread, then streams the tables through pandas for the summaries. Its
Python heap stays flat (``tracemalloc``), yet with the default allocators its resident memory
grew with the number of replications (tiny scenario, 2 workers: 295 MB peak at 100
replications, 327 MB at 1,000), because freed memory was kept, not returned:

- Arrow's default pool (mimalloc in the wheels) keeps freed pages for reuse;
- glibc's ``malloc`` gives each thread its own arena, so blocks allocated on the receiving
  thread and freed on the main one fragment the arenas; and after a large block is freed it
  raises its mmap threshold (up to 32 MB), so later large arrays come from the heap, which
  only shrinks from its top.

So ppsim asks for Arrow's *system* pool (plain ``malloc``), one malloc arena and a fixed mmap
threshold (blocks this large are mapped, so freeing one returns it; glibc no longer raises the
threshold; :data:`MMAP_THRESHOLD_BYTES`):

- :func:`prefer_system_pool` runs when :mod:`sim` is imported. Arrow reads its pool from
  ``ARROW_DEFAULT_MEMORY_POOL`` once, when pyarrow is imported, and its C++ readers and writers
  allocate from that pool whatever :func:`pyarrow.set_memory_pool` says later; so the variable is
  set (unless the user set it) while pyarrow is not imported yet. Worker processes inherit it.
- :func:`bound_memory` sets glibc's ``mallopt`` (through :mod:`ctypes`; on other C libraries
  nothing) in the parent as a run starts and in each local worker process as it starts.

Measured with ``benchmarks/bench_parent.py`` (see the commit that added this module). The
settings change where memory lives, never a value: run folders are byte-identical either way.
``PPSIM_ALLOCATOR=default`` leaves everything as it was (to compare, or if a platform
misbehaves).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import platform
import sys
from typing import Literal

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3
"""glibc ``mallopt`` parameter: blocks at least this large are mapped (fixed when set)."""
M_ARENA_MAX = -8
"""glibc ``mallopt`` parameter: most malloc arenas (threads share them beyond this)."""
MMAP_THRESHOLD_BYTES = {"parent": 128 * 1024, "worker": 4 * 1024 * 1024}
"""The fixed mmap threshold of a run's parent and of its local workers (fixed, so that glibc
does not raise it, up to 32 MB). Blocks this large are mapped: freeing one returns it, but the
next is zero pages to fault in again. A task's Arrow buffers and CSV lines are mostly between
128 KiB (glibc's initial threshold) and a few MiB. A worker holds one task at a time, so 4 MiB:
a baseline task's system time (page faults) 30 → 6–9 ms, the worker's peak flat at 152–161 MB
from 100 to 10,000 tiny tasks. The parent assembles thousands of tasks, and the blocks kept on
its heap fragment it: with 1 MiB its peak at 10,000 tiny replications was 247 MB, with 4 MiB
262 MB, with 128 KiB 225 MB (``benchmarks/bench_parent.py``), for ~1.5 ms less CPU a task."""

ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def wanted() -> bool:
    """Whether ppsim sets the allocators (``PPSIM_ALLOCATOR`` is not ``default``)."""
    return os.environ.get("PPSIM_ALLOCATOR", "") != "default"


def prefer_system_pool() -> None:
    """Ask Arrow for its system pool, if pyarrow is not imported yet and the user chose none."""
    if wanted() and "pyarrow" not in sys.modules:
        os.environ.setdefault(ARROW_POOL_VARIABLE, "system")


@functools.cache
def bound_memory(role: Literal["parent", "worker"] = "parent") -> bool:
    """Make this process return freed memory (once); True if the settings were applied.

    Called by the parent at the start of a run and by each local worker process as it starts
    (``role``: which :data:`MMAP_THRESHOLD_BYTES`).
    """
    if wanted():
        _glibc_malloc(MMAP_THRESHOLD_BYTES[role])
    return wanted()


def _glibc_malloc(mmap_threshold: int) -> None:
    """One malloc arena and a fixed mmap threshold, when the C library is glibc."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - glibc always has it
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    for name, param, value in (("M_ARENA_MAX", M_ARENA_MAX, 1),
                               ("M_MMAP_THRESHOLD", M_MMAP_THRESHOLD, mmap_threshold)):
        if mallopt(param, value) != 1:  # pragma: no cover - glibc accepts both
            log.debug("mallopt(%s, %d) refused", name, value)
