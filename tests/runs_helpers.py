"""Helpers shared by the tests that run ``ppsim`` in a child process and stop it mid-run."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny.yaml"
KILL_FLAG = "PPSIM_TEST_KILL_ONCE"
"""Environment variable: the file marking a worker already killed by :func:`die_once_at`."""


def start_run(out: Path, replications: int, *extra: str) -> subprocess.Popen[bytes]:
    """`ppsim run` of the tiny scenario with 2 workers, in its own process group.

    The run starts with Ctrl-C's default action whatever the suite inherited: a suite launched
    in the background of a script (``.ci/run &``) has SIGINT ignored, like every command a
    non-interactive shell starts with ``&``, and the run would inherit that and never stop.
    """
    return subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "run", str(TINY), "-n", str(replications),
         "--workers", "2", "--out", str(out), *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        preexec_fn=_default_sigint)


def _default_sigint() -> None:
    """In the child, before it starts Python: SIGINT's default action (Python then handles it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for_tasks(out: Path, proc: subprocess.Popen[bytes], at_least: int,
                   timeout: float = 120) -> int:
    """Wait until ``at_least`` task files of the run exist; return how many there are.

    Fails the test if the run ends first or nothing is finished within ``timeout`` seconds.
    """
    tasks = Path(str(out) + ".partial") / "tasks"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = len(list(tasks.glob("*/*.arrow"))) if tasks.exists() else 0
        if done >= at_least:
            return done
        if proc.poll() is not None:
            assert proc.stderr is not None
            pytest.fail(f"the run ended before {at_least} tasks: {proc.stderr.read()!r}")
        time.sleep(0.02)
    pytest.fail(f"no {at_least} tasks finished within {timeout:.0f} s")


def run_bytes(folder: Path) -> dict[str, bytes]:
    """The bytes of every table and summary file of a finished run folder, by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for sub in ("tables", "summary") for p in sorted((folder / sub).rglob("*"))
            if p.is_file()}


def die_once_at(replication: int, spec: Any) -> Any:
    """Run a task, but the first time ``replication`` starts, its worker kills itself.

    Patch it over the engine's ``run_task`` as ``functools.partial(die_once_at, r)``, with
    :data:`KILL_FLAG` set to a path that does not exist yet (the worker creates it as it dies).
    """
    from sim.experiments.executors import run_task

    flag = Path(os.environ[KILL_FLAG])
    if spec.replication == replication and not flag.exists():
        flag.write_text("killed")
        os.kill(os.getpid(), signal.SIGKILL)
    return run_task(spec)


def disk_full_from(replication: int, spec: Any) -> Any:
    """Run a task, but a worker storing replication ``replication`` or later finds the disk
    full (patch it over the engine's ``run_task`` as ``functools.partial(disk_full_from, r)``)."""
    import errno

    from sim.experiments.executors import run_task

    if spec.store is not None and spec.replication >= replication:
        run_task(dataclasses.replace(spec, store=None))  # simulated; then storing it fails
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), spec.store)
    return run_task(spec)


def worker_pid(_: object) -> int:
    """The process that computed an item of ``Executor.map_local``."""
    return os.getpid()


def die_outside(parent: int, item: int) -> int:
    """``item``, but a process other than ``parent`` (a worker) kills itself first."""
    if os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)
    return item


def signal_run(out: Path, proc: subprocess.Popen[bytes], sig: int) -> str:
    """Send ``sig`` to a started run once two tasks are done; its stderr, on one line.

    Kills the run's process group if it has not ended within 60 s (or the test failed).
    """
    try:
        wait_for_tasks(out, proc, at_least=2)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return " ".join(stderr.decode().split())


def modules_loaded(names: tuple[str, ...], item: int) -> bool:
    """In a worker: whether ``names`` are all imported (after 50 ms, so that another worker
    takes the next item). Lives here, not in a test module that imports those modules."""
    time.sleep(0.05)
    return all(name in sys.modules for name in names)


def periodic_work(dask_worker: Any) -> dict[str, float]:
    """A Dask server's periodic callbacks and their intervals (ms): for ``Client.run``."""
    return {name: pc.callback_time for name, pc in dask_worker.periodic_callbacks.items()}
