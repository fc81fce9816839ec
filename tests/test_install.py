"""The quick start installs runtime dependencies only; tests get the development lock."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _pins(name: str) -> dict[str, str]:
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    return dict(line.strip().split("==") for line in lines if "==" in line
                and not line.startswith("#"))


def test_runtime_lock_is_the_runtime_part_of_the_dev_lock() -> None:
    """requirements.lock pins no test tool and the same versions as requirements-dev.lock.

    mypy and setuptools are in both: mypyc, which comes with mypy, compiles the model.
    """
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert {"pytest", "ruff", "selenium", "ipykernel", "hypothesis"}.isdisjoint(runtime)
    assert {"mypy", "setuptools"} <= set(runtime)
    assert {"pytest", "ruff", "mypy"} <= set(dev)
    assert {k: dev.get(k) for k in runtime} == runtime
    assert {"simpy", "numpy", "pandas", "pydantic", "click", "matplotlib"} <= set(runtime)
    assert len(runtime) < len(dev) / 1.5


def test_run_installs_the_runtime_lock_and_test_the_dev_lock(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    """`tasks.py run` syncs requirements.lock; `tasks.py test` requirements-dev.lock."""
    spec = importlib.util.spec_from_file_location("tasks_under_test", ROOT / "tasks.py")
    assert spec and spec.loader
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    synced: list[str] = []

    def fake_sh(*args: object) -> None:
        if "sync" in args:
            synced.append(Path(str(args[-1])).name)
        if args and str(args[0]).endswith("ppsim"):
            return

    monkeypatch.setattr(tasks, "sh", fake_sh)
    monkeypatch.setattr(tasks, "STAMP", tmp_path / "stamp")
    monkeypatch.setattr(tasks.venv, "create", lambda *a, **k: None)
    monkeypatch.setattr(sys, "argv", ["tasks.py"])
    tasks.install()
    tasks.install(dev=True)
    assert synced == ["requirements.lock", "requirements-dev.lock"]
    tasks.install()  # the development install is current: it serves `run` too
    assert synced == ["requirements.lock", "requirements-dev.lock"]
