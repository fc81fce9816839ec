"""The guard rails stay up: ruff (style, docstrings, no print in the library) and mypy on sim/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, check=False)


def test_ruff_clean() -> None:
    """`ruff check` finds nothing in the project."""
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_clean() -> None:
    """`mypy` (configured in pyproject.toml) finds no type errors in sim/."""
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
