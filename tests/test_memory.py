"""Allocator settings of a run (sim.memory): applied where they should be, never forced on a user.

Each check runs in a fresh interpreter, because Arrow picks its pool once, when pyarrow is
imported, and ``mallopt`` changes the whole process. What the settings do to a run's memory is
measured by ``benchmarks/bench_parent.py`` (not timed here); that they never change a result is
checked by the run-folder hashes of the streaming and resume tests, which run with them.
"""

from __future__ import annotations

import ctypes
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

POOL = "import sim, pyarrow as pa; print(pa.default_memory_pool().backend_name)"
WORKER_POOL = """
import multiprocessing as mp
import sim

def pool_name():
    import pyarrow as pa
    return pa.default_memory_pool().backend_name

if __name__ == "__main__":
    with mp.get_context("spawn").Pool(1) as workers:
        print(workers.apply(pool_name))
"""


def _python(code: str, tmp_path: Path | None = None, **env: str) -> str:
    """Standard output of ``code`` in a fresh interpreter (with ``env`` changes; "" unsets)."""
    environ = {k: v for k, v in os.environ.items()
               if k not in ("PPSIM_ALLOCATOR", "ARROW_DEFAULT_MEMORY_POOL")}
    environ.update({k: v for k, v in env.items() if v})
    environ["PYTHONPATH"] = str(ROOT)
    if tmp_path is not None:  # spawn re-imports __main__: it must be a file
        script = tmp_path / "probe.py"
        script.write_text(code, encoding="utf-8")
        args = [sys.executable, str(script)]
    else:
        args = [sys.executable, "-c", code]
    done = subprocess.run(args, capture_output=True, text=True, env=environ, cwd=ROOT,
                          check=True, timeout=120)
    return done.stdout.strip()


def test_importing_sim_first_gives_arrow_the_system_pool() -> None:
    """``import sim`` before pyarrow: Arrow's readers allocate with malloc (memory returned)."""
    assert _python(POOL) == "system"


def test_worker_processes_inherit_the_system_pool(tmp_path: Path) -> None:
    """A spawned worker reads the variable the parent set, before its own pyarrow import."""
    assert _python(WORKER_POOL, tmp_path) == "system"


def test_the_user_s_choice_of_pool_is_kept() -> None:
    """An explicit ARROW_DEFAULT_MEMORY_POOL wins, and PPSIM_ALLOCATOR=default changes nothing."""
    assert _python(POOL, ARROW_DEFAULT_MEMORY_POOL="mimalloc") == "mimalloc"
    assert _python(POOL, PPSIM_ALLOCATOR="default") != "system"


def test_pyarrow_imported_before_sim_is_left_alone() -> None:
    """Once pyarrow chose its pool, importing sim does not pretend to change it."""
    code = ("import pyarrow as pa, os; import sim; "
            "print(pa.default_memory_pool().backend_name, "
            "os.environ.get('ARROW_DEFAULT_MEMORY_POOL'))")
    name, variable = _python(code).split()
    assert name != "system" and variable == "None"


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="mallopt is glibc's")
def test_bound_memory_sets_malloc_once_and_only_when_wanted() -> None:
    """bound_memory applies mallopt on glibc (True, idempotent); PPSIM_ALLOCATOR=default: False."""
    code = "from sim.memory import bound_memory as b; print(b(), b())"
    assert _python(code) == "True True"
    assert _python(code, PPSIM_ALLOCATOR="default") == "False False"


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="mallopt is glibc's")
@pytest.mark.parametrize(("role", "allocator", "size", "mapped"), [
    ("worker", "", 2 << 20, False), ("worker", "", 16 << 20, True),
    ("parent", "", 64 << 10, False), ("parent", "", 512 << 10, True),
    ("worker", "default", 2 << 20, True)])
def test_the_mmap_threshold_keeps_task_sized_buffers_on_a_worker_s_heap(
        role: str, allocator: str, size: int, mapped: bool) -> None:
    """A worker's blocks under 4 MiB come from its heap (reused, no page faults); the parent's
    threshold stays at 128 KiB (its memory stays flat over thousands of tasks, ``sim/memory.py``).

    With glibc's initial 128 KiB every buffer of a worker's task was mapped and faulted in
    afresh; with ``PPSIM_ALLOCATOR=default`` that is what a worker does.
    """
    if not hasattr(ctypes.CDLL(None), "mallinfo2"):
        pytest.skip("mallinfo2 needs glibc 2.33")
    code = f"""
import ctypes
from sim.memory import bound_memory
class Info(ctypes.Structure):
    _fields_ = [(k, ctypes.c_size_t) for k in ("arena ordblks smblks hblks hblkhd usmblks "
                                               "fsmblks uordblks fordblks keepcost").split()]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
libc.malloc.restype = ctypes.c_void_p
bound_memory({role!r})
def mapped_after(size):
    before = libc.mallinfo2().hblkhd
    block = libc.malloc(size)
    grown = libc.mallinfo2().hblkhd - before
    libc.free(ctypes.c_void_p(block))
    return grown >= size
print(mapped_after({size}))
"""
    env = {"PPSIM_ALLOCATOR": allocator} if allocator else {}
    assert _python(code, **env) == str(mapped)


def test_decoded_task_tables_live_in_the_decoding_pool_and_leave_with_them() -> None:
    """A task file's tables are copied out of it into :func:`decoding_pool` (one that reuses
    freed pages: jemalloc or mimalloc in the wheels), not kept as views of the whole file;
    dropping them returns their bytes to it. The decoded values are those encoded."""
    import pandas as pd
    import pyarrow as pa

    from sim.runs.folder import decode_task_rows, decoding_pool, encode_task

    pool = decoding_pool()
    assert pool.backend_name in {"jemalloc", "mimalloc", "system"}
    frames = {"monthly": pd.DataFrame({"month": range(50_000), "deployed": 1.5}),
              "targets": pd.DataFrame({"mission": ["A", "B"], "met": [True, False]})}
    blob = encode_task(frames, {"seconds": 0.1}, "base", 3)
    before = pool.bytes_allocated()
    tables, meta, lines = decode_task_rows(blob)
    held = pool.bytes_allocated() - before
    assert meta == {"seconds": 0.1}
    assert held >= 50_000 * 16  # the monthly table's two columns, at least
    for name, frame in frames.items():
        assert tables[name].to_pandas().equals(frame)
    assert bytes(lines["targets"]) == b'"base",3,"A",true\n"base",3,"B",false\n'
    del tables, lines
    assert pool.bytes_allocated() == before
    assert isinstance(pool, pa.MemoryPool)
