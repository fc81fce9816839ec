"""Bootstrap tasks that need nothing but Python 3.11+.

``python3 tasks.py run``   installs ppsim (runtime dependencies only) into ``.venv`` and runs the
                           baseline scenario.
``python3 tasks.py test``  installs ppsim with the test and lint tools into ``.venv`` and runs
                           the suite, with coverage of ``sim/`` and a floor (``COVERAGE_FLOOR``).
``python3 tasks.py lock``  regenerates ``requirements.lock`` (runtime) and
                           ``requirements-dev.lock`` (runtime + dev) from ``pyproject.toml``.
``python3 tasks.py figures`` regenerates the README figures in ``docs/figures``.
``python3 tasks.py docs``    regenerates the generated parts of ``docs/scenarios.md`` and
                           ``scenarios/scenario.schema.json`` from the schema.
``python3 tasks.py golden``  regenerates the stored model outputs in ``tests/golden/model``
                           (only when a change of results is intended).
``python3 tasks.py quick``   runs the fast tier of the tests (``-m "not slow"``, under a minute).
``python3 tasks.py native``  compiles the model with mypyc (``run``, ``test`` and ``figures`` do it
                           when it is not current; without a C compiler the sources run).

Installation is pinned by ``requirements.lock`` (the runtime dependencies, what ``run`` needs)
and ``requirements-dev.lock`` (those plus the test, lint and notebook tools, what ``test``
needs), exact versions, so every machine runs the same libraries; it is skipped when the lock
has not changed since the last install (a development install serves ``run`` too).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
STAMP = VENV / ".ppsim-installed"
COVERAGE_FLOOR = 93
"""Least share (%) of sim/'s lines the full suite must run (measured 96% on 2026-11-26, less 3)."""
PARALLEL = ("-n", "auto")
"""The full suite runs on every core (pytest-xdist); pass ``-n 0`` to run it in one process."""
COVERAGE = ("--cov=sim", "--cov-report=term:skip-covered", f"--cov-fail-under={COVERAGE_FLOOR}")
"""Coverage options of ``test`` (the full suite only; the quick tier runs without them)."""


def sh(*args: str | Path) -> None:
    """Run a command from the project root and stop with its exit code if it fails."""
    print("+", " ".join(str(a) for a in args), flush=True)
    code = subprocess.call([str(a) for a in args], cwd=ROOT)
    if code:
        sys.exit(code)


def _digest(lock: Path) -> str:
    return hashlib.sha256(lock.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()


def install(dev: bool = False) -> None:
    """Create ``.venv`` and install the locked dependencies and ppsim itself (editable).

    Every module is compiled to bytecode as it is installed, ppsim's own sources too: uv
    leaves that to the first import, which writes nothing where ``PYTHONDONTWRITEBYTECODE`` is
    set (as in many containers and CI machines), so each process compiled everything it
    imported, every time (a worker's imports: ~0.5 s with bytecode, ~1.5 s without).

    ``dev`` adds the test, lint and notebook tools (``requirements-dev.lock``); without it only
    the runtime dependencies are installed (``requirements.lock``), unless the development set
    is already installed and current.
    """
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs before any install
        sys.exit(f"ppsim needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    lock = DEV_LOCK if dev else LOCK
    installed = STAMP.read_text() if STAMP.exists() and PY.exists() else ""
    dev_stamp = f"dev:{_digest(DEV_LOCK)}"
    if installed == dev_stamp or (not dev and installed == _digest(LOCK)):
        return  # current: a development install serves `run` too
    if not PY.exists():
        venv.create(VENV, with_pip=True)
    sh(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "uv>=0.4")
    sh(PY, "-m", "uv", "pip", "sync", "--quiet", "--compile-bytecode", "--python", PY, lock)
    sh(PY, "-m", "uv", "pip", "install", "--quiet", "--python", PY, "--no-deps", "-e", ".")
    sh(PY, "-m", "compileall", "-q", "-j", "0", "sim", "cli.py")
    STAMP.write_text(dev_stamp if dev else _digest(LOCK))


def native(optional: bool = True) -> None:
    """Compile the model's hot modules with mypyc unless a current build exists (about a minute).

    ``optional``: a machine without a C compiler goes on with the model's Python sources, which
    give the same results (see ``sim/model/native.py``).
    """
    sh(BIN / "ppsim", "native", *(["--optional"] if optional else []))


def main(argv: list[str]) -> None:
    """Dispatch ``run``, ``test``, ``lock`` or ``figures``; extra arguments pass through."""
    task, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if task == "run":
        install()
        native()
        sh(BIN / "ppsim", "run", "scenarios/baseline.yaml", "--out", "results/baseline",
           "--replace", *rest)
    elif task == "test":
        install(dev=True)
        native()
        parallel = () if any(a == "-n" or a.startswith("-n") for a in rest) else PARALLEL
        sh(PY, "-m", "pytest", *COVERAGE, *parallel, *rest)
    elif task == "lock":
        if not PY.exists():
            venv.create(VENV, with_pip=True)
        sh(PY, "-m", "pip", "install", "--quiet", "uv>=0.4")
        sh(PY, "-m", "uv", "pip", "compile", "pyproject.toml", "--extra", "native",
           "--python-version", "3.11", "--quiet", "-o", LOCK.name)
        sh(PY, "-m", "uv", "pip", "compile", "pyproject.toml", "--extra", "dev",
           "--extra", "native", "--python-version", "3.11", "--quiet", "-o", DEV_LOCK.name)
    elif task == "native":
        install()
        native(optional=False)
    elif task == "quick":
        install(dev=True)
        sh(PY, "-m", "pytest", "-m", "not slow", "-q", *rest)
    elif task == "golden":
        install(dev=True)
        sh(PY, "tests/golden_outputs.py", *rest)
    elif task == "docs":
        install()
        sh(PY, "-m", "sim.scenario.reference")
    elif task == "figures":
        install()
        native()
        sh(PY, "docs/make_figures.py", *rest)
    else:
        print(__doc__)
        sys.exit(0 if task == "help" else 2)


if __name__ == "__main__":
    main(sys.argv[1:])
