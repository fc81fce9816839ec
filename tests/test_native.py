"""The compiled model (mypyc) is used only when current, and gives the sources' tables exactly.

The suite runs the model from its sources (``PPSIM_NATIVE=0`` in conftest.py). The tests here
that need a compiled build run when one is current (``python3 tasks.py test`` builds it when a
C compiler is available) and skip, saying so, when none is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from runs_helpers import ROOT, TINY, run_bytes

from sim.model import native

LEVERS = ROOT / "tests" / "data" / "levers.yaml"
HISTORICAL = ROOT / "scenarios" / "historical.yaml"


needs_build = pytest.mark.skipif(not native.current(), reason="no current compiled model "
                                 "(ppsim native; needs a C compiler)")


def _env(on: bool, **extra: str) -> dict[str, str]:
    return {**os.environ, native.ENV_SWITCH: "1" if on else "0", **extra}


def test_choose_runs_the_build_only_when_it_matches_the_sources() -> None:
    """Switched off, not built, or built from other sources: the sources run."""
    built = {"sources": "abc", "built": "2026-11-26", "mypyc": "2.4.1"}
    assert native.choose(built, "abc", off=False).compiled
    assert not native.choose(built, "abc", off=True).compiled
    assert not native.choose(None, "abc", off=False).compiled
    changed = native.choose(built, "abd", off=False)
    assert not changed.compiled and "sources changed" in changed.reason


def test_the_digest_covers_every_compiled_module(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Editing any compiled module's source changes the digest a build must match."""
    for name in native.COMPILED:
        (tmp_path / f"{name}.py").write_bytes((native.PACKAGE / f"{name}.py").read_bytes())
    monkeypatch.setattr(native, "PACKAGE", tmp_path)
    before = native.sources_digest()
    assert before == native.sources_digest()
    for name in ("pipeline", "world"):
        with (tmp_path / f"{name}.py").open("a") as source:
            source.write("\n# edited\n")
        after = native.sources_digest()
        assert after != before
        before = after


def test_a_stale_build_is_not_loaded(tmp_path: Path) -> None:
    """A build whose manifest names other sources leaves the sources running, and says why."""
    (tmp_path / native.MANIFEST).write_text(json.dumps({"sources": "0" * 64}))
    (tmp_path / "sim" / "model").mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "native", "--status"], cwd=ROOT,
        capture_output=True, text=True,
        env=_env(True, **{native.ENV_DIR: str(tmp_path)}), check=True)
    assert done.stdout.startswith("sources: the model's sources changed"), done.stdout


_HASHES = """
import hashlib, json, sys
import sim
from sim.model import native
out = {"compiled": native.running_compiled()}
for path, reps in json.loads(sys.argv[1]):
    loaded = sim.load_scenario(path)
    for variant in loaded.names:
        for r in range(reps):
            tables = sim.simulate(loaded.resolve(variant), r, officer_log=r == 0,
                                  check_invariants=r == 1)
            for name, frame in sorted(tables.items()):
                key = f"{path}/{variant}/{r}/{name}"
                out[key] = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
print(json.dumps(out))
"""


def _hashes(on: bool, cases: list[tuple[str, int]]) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", _HASHES, json.dumps(cases)], cwd=ROOT,
                          env=_env(on), capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


@needs_build
@pytest.mark.slow
def test_compiled_model_gives_the_sources_tables_byte_for_byte() -> None:
    """Every table of every variant (levers, events, officer log, invariant checks) is equal."""
    cases = [(str(TINY), 2), (str(LEVERS), 1), (str(HISTORICAL), 1)]
    compiled, sources = _hashes(True, cases), _hashes(False, cases)
    assert compiled.pop("compiled") is True and sources.pop("compiled") is False
    assert len(sources) > 60  # 71 tables
    differ = sorted(k for k in sources if compiled.get(k) != sources[k])
    assert not differ, f"{len(differ)} of {len(sources)} tables differ: {differ[:5]}"


@needs_build
@pytest.mark.slow
def test_a_parallel_run_is_identical_in_both_models(tmp_path: Path) -> None:
    """`ppsim run` on two worker processes or a Dask cluster: the same files either way."""
    folders = {}
    for name, on, executor in (("compiled", True, ["--workers", "2"]),
                               ("sources", False, ["--workers", "2"]),
                               ("compiled-dask", True, ["--dask", "local", "--workers", "2"])):
        out = tmp_path / name
        subprocess.run([sys.executable, str(ROOT / "cli.py"), "run", str(TINY), "-n", "4",
                        *executor, "--no-plots", "--out", str(out)],
                       cwd=ROOT, env=_env(on), capture_output=True, check=True)
        folders[name] = run_bytes(out)
    assert folders["compiled"] == folders["sources"] == folders["compiled-dask"]
    assert len(folders["compiled"]) > 5


@pytest.mark.slow
def test_without_a_compiler_the_build_says_so_and_leaves_nothing(tmp_path: Path) -> None:
    """No C compiler: the build fails whole, says the sources run, and `--optional` exits 0."""
    target = tmp_path / "native"
    env = _env(True, CC=str(tmp_path / "no-cc"), **{native.ENV_DIR: str(target)})
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "native", "--optional"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "the model runs from its Python sources (compiling failed" in done.stderr
    assert not target.exists() and list(tmp_path.iterdir()) == []


@needs_build
@pytest.mark.slow
def test_researchers_hooks_work_in_the_compiled_model() -> None:
    """Replaced decisions (with and without context) and custom outcomes reach compiled code.

    Runs those tests' own files in a child process with the compiled model asked for.
    """
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "tests/test_researcher_hooks.py", "tests/test_custom_outcomes.py"],
        cwd=ROOT, env=_env(True), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-2000:]
    assert " passed" in done.stdout
