"""The compiled model: the hot modules of :mod:`sim.model` built with mypyc, used when current.

The Python sources in ``sim/model`` are the model; this module can compile the modules that run
the event loop (:data:`COMPILED`) into C extensions with mypyc_ (the compiler of mypy, driven by
the same type hints ``mypy --strict`` checks) and, at import, makes Python load those
extensions instead of the sources, but only while they were built from exactly the sources on
disk and for this interpreter. The compiled model gives the same tables, byte for byte (checked
when it is built, and by ``tests/test_native.py``); it runs a replication about 2.5 times as fast.

* ``ppsim native`` compiles into :func:`build_dir` (``python3 tasks.py run`` and ``test`` do it
  when a C compiler is available; without one, or if the build fails, the model runs from its
  sources and the build says why); ``ppsim native --status`` says which model runs.
* Edit any model source and the build no longer matches: the sources run, until the next build.
* ``PPSIM_NATIVE=0`` runs the sources anyway (the test suite does, to measure coverage and to let
  tests patch model functions); ``PPSIM_NATIVE_DIR`` moves the build.

A function patched into a compiled module at run time is not seen by the compiled callers in
that module: replace decisions through :class:`sim.model.world.Decisions` (which works in both
modes), or set ``PPSIM_NATIVE=0``.

.. _mypyc: https://mypyc.readthedocs.io/
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import PpsimError

ENV_SWITCH = "PPSIM_NATIVE"
"""``0`` (or ``false``, ``no``, ``off``) runs the model from its Python sources."""
ENV_DIR = "PPSIM_NATIVE_DIR"
"""Where the compiled model is built and looked for (default: :func:`build_dir`)."""
GROUP = "ppsim_model"
"""mypyc's name for the shared library of the compiled modules (``ppsim_model__mypyc``)."""
PACKAGE = Path(__file__).resolve().parent
COMPILED = ("assessment", "casework", "clock", "contributors", "events", "metrics", "missions",
            "observe", "personnel", "pipeline", "policies", "replication", "streams", "teams",
            "transitions", "units", "world")
"""The modules compiled: everything that runs during a replication's event loop. Left as
sources: ``__init__`` and this module (they choose which model runs), ``invariants`` (debug
checks), ``tables`` and ``uncertainty`` (pandas and scipy do their work)."""
MYPY_CONFIG = """[mypy]
plugins = pydantic.mypy
ignore_missing_imports = True
follow_imports = silent
"""
"""How mypyc type-checks what it compiles: not with the project's ``mypy --strict`` settings
(those need the development tools' type stubs; ``mypy`` itself checks the code strictly in the
test suite), and without reporting errors in the modules it only reads."""
MANIFEST = "manifest.json"
CHECK_SCENARIO = PACKAGE.parent.parent / "tests" / "data" / "tiny.yaml"
"""The scenario a fresh build must reproduce byte for byte before it is used."""


@dataclass(frozen=True)
class Choice:
    """Which model an import of :mod:`sim.model` runs, and why."""

    compiled: bool
    reason: str


def build_dir() -> Path:
    """Where the compiled model lives: ``PPSIM_NATIVE_DIR``, or ``build/native/<interpreter>``.

    The default is beside the sources (``build/`` of the project, ignored by git), one folder
    per interpreter (``cpython-311``...), so two Pythons never load each other's extensions.
    """
    given = os.environ.get(ENV_DIR)
    if given:
        return Path(given)
    return PACKAGE.parent.parent / "build" / "native" / sys.implementation.cache_tag


def sources_digest() -> str:
    """SHA-256 of the compiled modules' sources and the interpreter (what a build must match)."""
    digest = hashlib.sha256(sys.implementation.cache_tag.encode())
    for name in COMPILED:
        digest.update(name.encode())
        digest.update((PACKAGE / f"{name}.py").read_bytes())
    return digest.hexdigest()


def switched_off() -> bool:
    """Whether ``PPSIM_NATIVE`` asks for the Python sources."""
    return os.environ.get(ENV_SWITCH, "").strip().lower() in {"0", "false", "no", "off"}


def choose(manifest: dict[str, str] | None, digest: str, off: bool) -> Choice:
    """Whether to run the compiled model: only when asked for, built, and built from ``digest``."""
    if off:
        return Choice(False, f"{ENV_SWITCH}=0")
    if manifest is None:
        return Choice(False, "not built (ppsim native)")
    if manifest.get("sources") != digest:
        return Choice(False, "the model's sources changed since the build; rebuild to use it")
    built, mypyc = manifest.get("built", "?"), manifest.get("mypyc", "?")
    return Choice(True, f"built {built} with mypyc {mypyc}")


def current() -> bool:
    """Whether a build of exactly these sources exists (whatever ``PPSIM_NATIVE`` says)."""
    return choose(_read_manifest(build_dir()), sources_digest(), off=False).compiled


def _read_manifest(folder: Path) -> dict[str, str] | None:
    try:
        data = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def activate(package_path: list[str]) -> Choice:
    """Put the compiled modules ahead of the sources on ``package_path`` if they are current.

    Called once by ``sim/model/__init__.py`` with its ``__path__``: Python then finds each
    compiled module in the build folder first, and the others in ``sim/model``.
    """
    off = switched_off()
    folder = build_dir()
    manifest = None if off else _read_manifest(folder)
    choice = choose(manifest, "" if manifest is None else sources_digest(), off)
    if choice.compiled:
        package_path.insert(0, str(folder / "sim" / "model"))
        if str(folder) not in sys.path:
            sys.path.append(str(folder))  # the shared library, ppsim_model__mypyc
    return choice


def running_compiled() -> bool:
    """Whether this process runs the compiled model (its hot modules are extensions)."""
    from sim.model import pipeline

    return not str(pipeline.__file__).endswith(".py")


def build(target: Path | None = None, check: bool = True) -> str:
    """Compile :data:`COMPILED` with mypyc into ``target`` (whole, or not at all).

    The extensions are built in a temporary folder, checked (``check``: the tiny scenario's
    tables must equal the sources', byte for byte) and only then moved into place with their
    manifest. Returns a one-line report; raises :class:`BuildError` saying why it failed.
    """
    import shutil
    import tempfile

    target = build_dir() if target is None else target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="native-", dir=target.parent))
    try:
        _compile(work)
        manifest = {"sources": sources_digest(), "built": _now(), "mypyc": _mypyc_version(),
                    "python": sys.version.split()[0]}
        (work / "out" / MANIFEST).write_text(json.dumps(manifest, indent=1))
        if check:
            _check_same_tables(work / "out")
        if target.exists():
            shutil.rmtree(target)
        (work / "out").rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return f"compiled model built in {target} ({len(COMPILED)} modules, mypyc {manifest['mypyc']})"


class BuildError(PpsimError):
    """The compiled model could not be built (no compiler, no mypyc, or it disagreed)."""


def _compile(work: Path) -> None:
    """Run mypyc and the C compiler; the extensions land in ``work/out``."""
    try:
        from mypyc.build import mypycify
        from setuptools import Distribution
    except ImportError as error:
        raise BuildError(f"mypyc or setuptools is not installed ({error})") from None
    root = PACKAGE.parent.parent
    sources = [f"sim/model/{name}.py" for name in COMPILED]
    here = Path.cwd()
    os.chdir(root)  # mypyc names modules after their paths relative to the working folder
    log = io.StringIO()  # mypyc's notes and errors: shown only if the build fails
    try:
        with redirect_stdout(log), redirect_stderr(log):
            config = work / "mypy.ini"
            config.write_text(MYPY_CONFIG)
            extensions = mypycify(["--config-file", str(config), *sources], opt_level="3",
                                  group_name=GROUP, target_dir=str(work / "c"))
            distribution = Distribution({"name": "ppsim-native", "ext_modules": extensions})
            command = distribution.get_command_obj("build_ext")
            command.build_lib = str(work / "out")
            command.build_temp = str(work / "tmp")
            command.parallel = os.cpu_count() or 1
            distribution.run_command("build_ext")
    except (Exception, SystemExit) as error:  # mypyc and distutils report failures both ways
        why = str(error).strip() or type(error).__name__
        notes = [line for line in log.getvalue().splitlines() if "error" in line.lower()]
        detail = "; ".join(notes[:3])
        raise BuildError(f"compiling failed: {why}" + (f" ({detail})" if detail else "")) from None
    finally:
        os.chdir(here)


def _check_same_tables(folder: Path) -> None:
    """Raise :class:`BuildError` unless the build reproduces the sources' tables of the check."""
    compiled = _tables_digest({ENV_SWITCH: "1", ENV_DIR: str(folder)}, folder / "check-1.json")
    sources = _tables_digest({ENV_SWITCH: "0", ENV_DIR: str(folder)}, folder / "check-0.json")
    if not compiled["compiled"] or sources["compiled"]:
        raise BuildError(f"the check ran the wrong model ({compiled}, {sources})")
    if compiled["tables"] != sources["tables"]:
        raise BuildError("the compiled model's tables differ from the sources' (not used)")


_DIGEST_SCRIPT = """
import hashlib, json, sys
from pathlib import Path
import sim
from sim.model import native
loaded = sim.load_scenario(sys.argv[1])
digest = hashlib.sha256()
for name in loaded.names:
    for name_, frame in sorted(sim.simulate(loaded.resolve(name), 0).items()):
        digest.update(name_.encode() + frame.to_csv(index=False).encode())
Path(sys.argv[2]).write_text(json.dumps(
    {"compiled": native.running_compiled(), "tables": digest.hexdigest()}))
"""


def _tables_digest(env: dict[str, str], out: Path) -> dict[str, Any]:
    """Which model ran and the digest of the check scenario's tables, in a fresh interpreter.

    The child writes them to ``out`` (removed after reading).
    """
    import subprocess

    done = subprocess.run([sys.executable, "-c", _DIGEST_SCRIPT, str(CHECK_SCENARIO), str(out)],
                          env={**os.environ, **env}, capture_output=True, text=True,
                          check=False)
    if done.returncode:
        raise BuildError(f"the check run failed: {done.stderr.strip().splitlines()[-1:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    return result


def _mypyc_version() -> str:
    from mypy.version import __version__

    return str(__version__)


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")
