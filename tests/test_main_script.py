"""Runs started from a researcher's script: worker processes run the main script again when
they start (``spawn``), so a script read from standard input, or one that starts the run with
no ``__main__`` guard, must get a run or a clear error, never worker tracebacks and a broken
pool (sim/experiments/mainscript.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from sim.experiments import mainscript

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny.yaml"


def _script(out: Path, executor: str = "processes") -> str:
    return ("import sim\n"
            f"result = sim.run({str(TINY)!r}, replications=4, workers=2, out={str(out)!r},\n"
            f"                 executor={executor!r}, plots=False)\n"
            "print('tables', len(result.outcomes))\n")


def _python(args: list[str], cwd: Path, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


@pytest.mark.parametrize("executor", ["processes", "dask-local"])
def test_a_script_without_a_main_guard_is_told_what_to_do(tmp_path: Path, executor: str) -> None:
    """The run is refused before any worker starts: the script and the line are named, the
    guard is suggested, no worker prints a traceback, nothing is left on disk."""
    script = tmp_path / "study.py"
    script.write_text(_script(tmp_path / "out", executor), encoding="utf-8")
    done = _python([str(script)], tmp_path)
    assert done.returncode != 0
    assert f"{script}, line 2, starts the run as the script is run" in done.stderr
    assert 'if __name__ == "__main__":' in done.stderr
    assert "BrokenProcessPool" not in done.stderr and "bootstrapping" not in done.stderr
    assert done.stderr.count("Traceback") == 1  # the script's own, ending in the message
    assert not list(tmp_path.glob("out*"))


def test_a_package_run_with_python_m_needs_no_guard(tmp_path: Path) -> None:
    """``python -m study`` runs ``study/__main__.py``, which workers do not run again: an
    unguarded run there is no problem, and is not refused."""
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "study" / "__main__.py").write_text(_script(tmp_path / "out"), encoding="utf-8")
    done = _python(["-m", "study"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "tables" in done.stdout and (tmp_path / "out" / "summary").is_dir()


def test_a_guarded_script_runs(tmp_path: Path) -> None:
    """The same script with the guard runs on worker processes."""
    script = tmp_path / "study.py"
    body = _script(tmp_path / "out").replace("\n", "\n    ").rstrip()
    script.write_text(f'if "__main__" == __name__:\n    {body}\n', encoding="utf-8")
    done = _python([str(script)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "tables" in done.stdout and (tmp_path / "out" / "summary").is_dir()


def test_a_script_read_from_standard_input_runs_on_workers(tmp_path: Path) -> None:
    """``python - < study.py``: no file for the workers to run again; they skip it, and the
    run gives the serial run's tables."""
    done = _python(["-"], tmp_path, stdin=_script(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    serial = _python(["-"], tmp_path, stdin=_script(tmp_path / "serial", "serial"))
    assert serial.returncode == 0, serial.stderr
    for table in sorted((tmp_path / "serial" / "tables").iterdir()):
        assert (tmp_path / "out" / "tables" / table.name).read_bytes() == table.read_bytes()


GUARDS = {
    'if __name__ == "__main__":\n    RUN\n': True,
    "if '__main__' == __name__:\n    x = 1\n    RUN\n": True,
    'if __name__ != "__main__":\n    pass\nelse:\n    RUN\n': True,
    'def main():\n    pass\n\nRUN\n': False,
    'if __name__ != "__main__":\n    RUN\n': False,
    'if __name__ == "__main__":\n    pass\nRUN\n': False,
    'if name == "__main__":\n    RUN\n': False,
}


@pytest.mark.parametrize("source", GUARDS, ids=range(len(GUARDS)))
def test_the_guard_is_found_where_it_encloses_the_line(source: str) -> None:
    """A line is guarded inside ``if __name__ == "__main__":`` (either order) or the else of
    ``!=``; a guard elsewhere, or a test of another name, does not count."""
    line = next(i for i, text in enumerate(source.splitlines(), 1) if "RUN" in text)
    assert mainscript._guarded(source.replace("RUN", "run()"), line) is GUARDS[source]


def test_a_script_that_does_not_parse_raises_no_false_alarm() -> None:
    """Source that cannot be parsed (changed on disk since it started) counts as guarded."""
    assert mainscript._guarded("def broken(:\n", 1)


def _fake_main(monkeypatch: pytest.MonkeyPatch, file: str, spec: object = None
               ) -> types.ModuleType:
    """A main module standing in for this process's, with ``file`` and ``spec``."""
    main = types.ModuleType("__main__")
    main.__file__ = file
    main.__spec__ = spec  # type: ignore[assignment]
    monkeypatch.setitem(sys.modules, "__main__", main)
    return main


def test_the_unguarded_line_is_found_on_the_stack(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """In this process: a check made from the main script's top level names its line; the
    same check under the guard, or from a package's ``__main__``, finds nothing."""
    script = tmp_path / "study.py"
    source = ("found = check()\n"
              "if __name__ == '__main__':\n"
              "    guarded = check()\n")
    script.write_text(source, encoding="utf-8")
    main = _fake_main(monkeypatch, str(script))
    namespace = vars(main)
    namespace.update(__name__="__main__", check=mainscript.unguarded_run)
    exec(compile(source, str(script), "exec"), namespace)
    assert namespace["found"].startswith(f"{script}, line 1, starts the run")
    assert namespace["guarded"] is None
    main.__spec__ = types.SimpleNamespace(name="study.__main__")  # type: ignore[assignment]
    exec(compile(source, str(script), "exec"), namespace)
    assert namespace["found"] is None


def test_a_main_script_without_a_file_is_not_run_again_by_the_workers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A main script read from standard input gets a ``*.__main__`` spec (multiprocessing then
    skips it in the workers); one with a file, or with a spec already, is left alone."""
    main = _fake_main(monkeypatch, "<stdin>")
    mainscript.prepare_main_script()
    assert main.__spec__ is not None and main.__spec__.name == "<stdin>.__main__"
    script = tmp_path / "study.py"
    script.write_text("", encoding="utf-8")
    main = _fake_main(monkeypatch, str(script))
    mainscript.prepare_main_script()
    assert main.__spec__ is None
