"""A Dask cluster started by hand (scheduler and workers as processes), as on real machines."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.experiments.executors import IDLE_S, LATE_MODULES, quiet_environment
from tests.runs_helpers import ROOT, TINY, modules_loaded, periodic_work, run_bytes

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, as a user starts them."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), **quiet_environment()}  # README's step 0
    logs = [open(tmp_path / f"dask-{i}.log", "w") for i in range(3)]  # noqa: SIM115
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard"],
                              stdout=logs[0], stderr=subprocess.STDOUT, env=env)]
    try:
        _wait_for_port(port, 60)
        for i in (1, 2):
            procs.append(subprocess.Popen(
                [str(BIN / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
                 "--no-dashboard", "--local-directory", str(tmp_path / f"w{i}"),
                 "--preload", "sim.experiments.dask_preload"],
                stdout=logs[i], stderr=subprocess.STDOUT, env=env))
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()


@pytest.mark.slow
def test_dask_scheduler_and_workers_started_by_hand(tmp_path: Path, dask_cluster: str) -> None:
    """``ppsim run … --dask tcp://127.0.0.1:PORT`` gives the bytes of a serial run."""
    ppsim = [sys.executable, str(ROOT / "cli.py")]
    common = ["run", str(TINY), "-n", "4", "--no-plots"]
    serial = subprocess.run([*ppsim, *common, "--serial", "--out", str(tmp_path / "serial")],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert serial.returncode == 0, serial.stderr
    deadline = time.monotonic() + 60
    while True:  # workers need a moment to register with the scheduler
        remote = subprocess.run([*ppsim, *common, "--dask", dask_cluster,
                                 "--out", str(tmp_path / "dask")],
                                capture_output=True, text=True, timeout=300, cwd=ROOT)
        if remote.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert remote.returncode == 0, remote.stderr
    reference = run_bytes(tmp_path / "serial")
    assert len(reference) > 10
    assert run_bytes(tmp_path / "dask") == reference
    from distributed import Client

    with Client(dask_cluster, timeout=30) as client:  # step 0's settings reached the workers
        for periodic in client.run(periodic_work).values():
            assert "profile" not in periodic and periodic["tick"] == 1000
        # idle after their tasks, they import nothing for the summaries' parts: their client
        # computes those (only a local cluster's workers, which can read the run folder, do)
        time.sleep(4 * IDLE_S)
        assert not any(client.run(modules_loaded, LATE_MODULES, 0).values())


def test_the_readme_gives_the_quiet_settings_for_a_cluster_started_by_hand() -> None:
    """Step 0 of the README's cluster recipe sets every one of DASK_QUIET's settings."""
    readme = (ROOT / "README.md").read_text()
    for name, value in quiet_environment().items():
        assert f"{name}={value}" in readme
