"""The tool used carelessly or with hostile input: no data loss, no silent corruption, no traceback.

Each test breaks ppsim the way a user would (issue 13) and checks what is left on disk and what
the user is told: a message with the exit code of its :mod:`sim.errors` class, never a traceback.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
import sim.experiments.engine as engine
from cli import main
from sim.errors import ExecutorError, PpsimError, ResultsError, StorageError, os_error_message
from sim.experiments import executors
from sim.runs import ownership, provenance
from sim.runs.folder import (
    DamagedTaskError,
    RunFolder,
    decode_task,
    encode_task,
    partial_path,
)
from tests.runs_helpers import (
    KILL_FLAG,
    die_once_at,
    disk_full_from,
    run_bytes,
    signal_run,
    start_run,
    wait_for_tasks,
)

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny.yaml"
REPS = 3


def ppsim(*args: str) -> Result:
    """Invoke the CLI in-process, as a user would type it."""
    return CliRunner().invoke(main, [str(a) for a in args])


def run_args(out: Path, *extra: str) -> list[str]:
    """``ppsim run`` of the tiny scenario, serial and without plots (fast)."""
    return ["run", str(TINY), "-n", str(REPS), "--serial", "--no-plots", "--out", str(out),
            *extra]


def one_line(result: Result) -> str:
    """The CLI output with line wrapping undone (Rich wraps long messages)."""
    return " ".join(result.output.split())


def no_traceback(result: Result) -> None:
    """The CLI ended with a message, not an unexpected exception."""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Tables of an uninterrupted serial run of the tiny scenario (REPS replications)."""
    out = tmp_path_factory.mktemp("reference") / "run"
    assert ppsim(*run_args(out)).exit_code == 0
    return run_bytes(out)


def unfinished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int = 1) -> Path:
    """An unfinished run folder: the model raises at replication ``fail_at`` (serial run)."""
    real = sim.model.replication.simulate_arrow

    def failing(scenario: Any, replication: int, seed: int | None = None,
                decisions: Any = None) -> Any:
        if replication == fail_at:
            raise RuntimeError("power cut")
        return real(scenario, replication, seed, decisions=decisions)

    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        patch.setattr(sim.model.replication, "simulate_arrow", failing)
        with pytest.raises(RuntimeError, match="power cut"):
            sim.run(TINY, replications=REPS, executor="serial", out=out, plots=False)
    assert partial_path(out).exists() and not out.exists()
    return out


# --- 1. Never delete what ppsim did not write -----------------------------------------------------


def test_replace_refuses_a_user_folder_that_merely_holds_a_manifest(tmp_path: Path) -> None:
    """A web project with a manifest.json is not a run: --replace is refused, nothing deleted."""
    project = tmp_path / "site"
    (project / "src").mkdir(parents=True)
    (project / "manifest.json").write_text('{"name": "my web app"}')
    (project / "src" / "app.js").write_text("console.log('hi')")
    result = ppsim(*run_args(project, "--replace"))
    assert result.exit_code == ResultsError.exit_code, result.output
    assert "no .ppsim-run marker" in one_line(result)
    assert (project / "src" / "app.js").read_text() == "console.log('hi')"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_replace_leaves_a_sibling_named_replaced_alone(tmp_path: Path) -> None:
    """A user's folder called ``<out>.replaced`` survives a --replace of ``<out>``."""
    out = tmp_path / "run"
    assert ppsim(*run_args(out)).exit_code == 0
    sibling = tmp_path / "run.replaced"
    sibling.mkdir()
    (sibling / "thesis.tex").write_text("years of work")
    result = ppsim(*run_args(out, "--seed", "11", "--replace"))
    assert result.exit_code == 0, result.output
    assert json.loads((out / "manifest.json").read_text())["seed"] == 11
    assert (sibling / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "run.replaced"]


@pytest.mark.parametrize(("where", "code"), [(".", 4), ("..", 4), ("file/run", 4), ("file", 2)])
def test_out_that_cannot_be_a_new_folder_is_refused(tmp_path: Path, where: str, code: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``--out .``, ``..``, a path under a file, an existing file: refused, nothing written.

    An existing file is refused by Click's option check (a usage error, exit 2); the others
    by the run folder (exit 4).
    """
    work = tmp_path / "work"
    work.mkdir()
    (work / "file").write_text("a user's file")
    monkeypatch.chdir(work)
    result = ppsim(*run_args(Path(where)))
    no_traceback(result)
    assert result.exit_code == code, result.output
    assert "--out" in one_line(result)
    assert sorted(p.name for p in work.iterdir()) == ["file"]
    assert (work / "file").read_text() == "a user's file"


# --- 2. One writer per run folder -----------------------------------------------------------------


@pytest.fixture
def live_process() -> Iterator[subprocess.Popen[bytes]]:
    """A live process on this host (standing in for another ppsim run)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


def _lock_as(partial: Path, pid: int) -> None:
    (partial / ownership.LOCK).write_text(json.dumps(
        {"pid": pid, "host": socket.gethostname(), "started": "2026-01-01T00:00:00+00:00"}))


def test_second_writer_is_refused_and_a_stale_lock_is_taken_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        live_process: subprocess.Popen[bytes],
        reference: dict[str, bytes], caplog: pytest.LogCaptureFixture) -> None:
    """A live lock holder blocks both a new run and a resume; a dead one's lock is taken over."""
    out = unfinished(tmp_path, monkeypatch)
    partial = partial_path(out)
    _lock_as(partial, live_process.pid)
    for extra in ((), ("--resume",)):
        result = ppsim(*run_args(out, *extra))
        assert result.exit_code == ResultsError.exit_code, result.output
        assert f"being written by another ppsim run (pid {live_process.pid}" in one_line(result)
    assert not out.exists()

    live_process.kill()
    live_process.wait()
    result = ppsim(*run_args(out, "--resume"))
    assert result.exit_code == 0, result.output
    assert "taking over the lock" in caplog.text
    assert run_bytes(out) == reference
    assert not (out / ownership.LOCK).exists()


@pytest.mark.slow
def test_two_runs_into_one_folder_never_mix(tmp_path: Path) -> None:
    """Two runs with different seeds started together: one is refused, the other is pure."""
    out = tmp_path / "run"
    procs = {seed: subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), *run_args(out, "--seed", str(seed))],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for seed in (7, 8)}
    ended = {seed: (proc.wait(timeout=240), proc.stderr.read().decode())
             for seed, proc in procs.items()}
    for proc in procs.values():
        proc.stdout.close()
        proc.stderr.close()
    codes = sorted(code for code, _ in ended.values())
    assert codes == [0, ResultsError.exit_code], ended
    (winner,) = (seed for seed, (code, _) in ended.items() if code == 0)
    (loser_text,) = (" ".join(text.split()) for code, text in ended.values() if code)
    assert any(why in loser_text for why in ("another ppsim run", "already exists")), loser_text
    assert json.loads((out / "manifest.json").read_text())["seed"] == winner
    alone = sim.run(TINY, replications=REPS, seed=winner, executor="serial",
                    out=tmp_path / "alone", plots=False)
    assert run_bytes(out) == run_bytes(alone.path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alone", "run"]


def test_a_lock_whose_pid_was_reused_is_stale(tmp_path: Path,
                                               live_process: subprocess.Popen[bytes]) -> None:
    """A live pid that started after the lock was written is not the holder: taken over."""
    folder = tmp_path / "x.partial"
    folder.mkdir()
    _lock_as(folder, live_process.pid)
    holder = ownership.read_holder(folder)
    assert holder is not None and ownership.is_alive(holder)  # no start time: assume alive
    data = json.loads((folder / ownership.LOCK).read_text())
    (folder / ownership.LOCK).write_text(json.dumps({**data, "ticks": 1}))
    holder = ownership.read_holder(folder)
    assert holder is not None and not ownership.is_alive(holder)
    ownership.acquire(folder)
    holder = ownership.read_holder(folder)
    assert holder is not None and holder.pid == os.getpid()


def test_lock_is_exclusive_within_one_folder(tmp_path: Path) -> None:
    """Two acquisitions race on O_EXCL: the second, by a live holder, is refused."""
    folder = tmp_path / "x.partial"
    folder.mkdir()
    ownership.acquire(folder)
    holder = ownership.read_holder(folder)
    assert holder is not None and holder.pid == os.getpid()
    with pytest.raises(ResultsError, match="being written by another ppsim run"):
        ownership.acquire(folder)
    ownership.release(folder)
    assert not (folder / ownership.LOCK).exists()


# --- 3. Resume only what is the same --------------------------------------------------------------


def test_resume_after_the_model_code_changed_is_refused(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings record the ppsim version and code digest; a changed digest blocks --resume."""
    out = unfinished(tmp_path, monkeypatch)
    stored = json.loads((partial_path(out) / "settings.json").read_text())
    assert stored["code"] == provenance.code_digest() and stored["ppsim_version"]
    monkeypatch.setattr(engine, "code_digest", lambda: "0123456789abcdef")
    result = ppsim(*run_args(out, "--resume"))
    assert result.exit_code == ResultsError.exit_code, result.output
    text = one_line(result)
    assert f"code: was '{stored['code']}', now '0123456789abcdef'" in text
    assert "model code" in text and "changed" in text


def test_code_digest_follows_the_model_source_only(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Editing a model file changes the digest; editing presentation code does not."""
    copy = tmp_path / "sim"
    shutil.copytree(provenance.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(provenance, "PACKAGE", copy)

    def digest() -> str:
        provenance.code_digest.cache_clear()
        return provenance.code_digest()

    try:
        first = digest()
        with open(copy / "outputs" / "plots.py", "a") as handle:
            handle.write("\n# a comment in presentation code\n")
        assert digest() == first
        with open(copy / "model" / "policies.py", "a") as handle:
            handle.write("\n# a change in the model\n")
        assert digest() != first
    finally:
        monkeypatch.undo()
        provenance.code_digest.cache_clear()


# --- 4. Safe names --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../../escaped", "/etc/passwd", "a\0b", "x" * 300,
                                  "..", "C:\\Windows\\sys", "\x1b[31mred"])
def test_default_folder_names_stay_under_runs(name: str) -> None:
    """Whatever the scenario's name, the default folder is one safe name directly in runs/."""
    loaded = sim.load_scenario({**sim.scenario.schema.read_yaml(TINY), "name": name})
    out = engine.default_out(loaded, "../base")
    assert out.parent == Path("runs")
    assert len(out.name) <= 2 * engine.NAME_LIMIT + 20
    assert all(c.isalnum() or c in "._-" for c in out.name) and not out.name.startswith(".")


def test_a_hostile_scenario_name_writes_only_under_runs(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A scenario named ``../../../escaped`` with a NUL runs into ``runs/`` and nowhere else."""
    work = tmp_path / "a" / "b" / "c"
    work.mkdir(parents=True)
    raw = sim.scenario.schema.read_yaml(TINY)
    raw["name"] = "../../../escaped\0" + "y" * 300
    (work / "s.yaml").write_text(yaml.safe_dump(raw))
    monkeypatch.chdir(work)
    result = ppsim("run", "s.yaml", "-n", "1", "--serial", "--no-plots")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in work.iterdir()) == ["runs", "s.yaml"]
    (folder,) = (work / "runs").iterdir()
    assert folder.name.startswith("escaped_y") and (folder / "manifest.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["a"]


# --- 5. Strict input ------------------------------------------------------------------------------

TINY_TEXT = TINY.read_text(encoding="utf-8")

BAD_INPUT = {
    "duplicate key": (TINY_TEXT + "contributors: []\n",
                      ["duplicate key 'contributors'", "first on line", "line "]),
    "infinite cost": (TINY_TEXT + "costs: {ipo_officer_month: .inf}\n",
                      ["costs.ipo_officer_month", "finite"]),
    "nan share": (TINY_TEXT.replace("women_share: 0.2\n", "women_share: .nan\n", 1),
                  ["contributors[0].women_share", "finite"]),
    "boolean count": (TINY_TEXT.replace("replications: 4", "replications: true"),
                      ["run.replications", "boolean"]),
    "10^400": (TINY_TEXT.replace("police_strength: 100000", "police_strength: 1" + "0" * 400),
               ["contributors[0].police_strength", "401-digit number", "100000000"]),
    "1e400 float": (TINY_TEXT.replace("women_share: 0.2\n", "women_share: 1.0e+400\n", 1),
                    ["contributors[0].women_share", "finite"]),
    "initial above posts": (TINY_TEXT.replace("initial: {ipo: 150", "initial: {ipo: 5000"),
                            ["missions[0].initial.ipo", "5000", "≤ the most ipo_posts"]),
    "infinite policy factor": (TINY_TEXT.replace(
        "policies: []", "policies: [{lever: women_outreach, propensity_multiplier: .inf}]"),
        ["policies[0]", "propensity_multiplier", "finite"]),
    "deep nesting": ("a: " + "[" * 3000 + "]" * 3000 + "\n", ["nested deeper than 32"]),
    "alias bomb": ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join(['*a' + (str(i - 1) if i > 1 else '')] * 10)}]\n"
        for i in range(1, 9)), ["aliases"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_a_located_message(case: str, tmp_path: Path) -> None:
    """Each hostile scenario: exit 2, a message naming the place, and no run folder left."""
    text, expected = BAD_INPUT[case]
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    result = ppsim("run", path, "-n", "1", "--serial", "--out", tmp_path / "out")
    no_traceback(result)
    assert result.exit_code == 2, result.output
    for piece in expected:
        assert piece in one_line(result), (piece, result.output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_oversized_scenario_is_refused_before_parsing(tmp_path: Path) -> None:
    """A 6 MB file is refused at once (it used to be parsed for minutes)."""
    path = tmp_path / "big.yaml"
    path.write_text(TINY_TEXT + "#" * 6_000_000)
    started = time.perf_counter()
    result = ppsim("check", path)
    assert result.exit_code == 2 and "larger than the 5,000,000" in one_line(result)
    assert time.perf_counter() - started < 2


_SCALARS = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.sampled_from([".inf", "-.inf", ".nan", "true", "false", "null", "~", "''", "[]", "{}",
                     "1e400", "-0", "0x1F", "2025-02-30", "&a x", "*a", "!!binary AA==",
                     "!!python/object:os.system x", "[[[[]]]]", "{a: {b: {c: 1}}}", "'\\0'",
                     "10" + "0" * 300, "- x", ": :", "\"\\x00\"", "? x"]),
    st.text(max_size=20),
)


@st.composite
def mutated_tiny(draw: st.DrawFn) -> str:
    """tiny.yaml with a few lines replaced, duplicated, deleted or given odd values."""
    lines = TINY_TEXT.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["value", "duplicate", "delete", "insert", "indent"]))
        line = lines[i]
        if action == "value" and ":" in line:
            lines[i] = line.split(":", 1)[0] + ": " + draw(_SCALARS)
        elif action == "duplicate":
            lines.insert(i, line)
        elif action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "insert":
            lines.insert(i, draw(_SCALARS))
        else:
            lines[i] = " " * draw(st.integers(0, 6)) + line.lstrip()
    return "\n".join(lines) + "\n"


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=st.one_of(mutated_tiny(), st.text(max_size=200)))
def test_fuzzed_scenarios_load_or_give_a_ppsim_error(tmp_path: Path, text: str) -> None:
    """Random mutations of tiny.yaml and random text: a Scenario or a PpsimError, nothing else."""
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        loaded = sim.load_scenario(path)
    except PpsimError as exc:
        assert str(exc)
    else:
        assert loaded.base.contributors and loaded.base.missions


# --- 6. Every OS and cluster failure is a message -------------------------------------------------


def test_disk_full_while_saving_tasks_loses_nothing(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     reference: dict[str, bytes]) -> None:
    """ENOSPC on the second task: exit 5 with what to do; --resume then gives identical bytes."""
    out = tmp_path / "run"
    real = RunFolder.save_task
    saved: list[int] = []

    def filling_up(self: RunFolder, output: Any) -> None:
        if saved:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.task_path(
                output.key, output.replication)))
        real(self, output)
        saved.append(output.replication)

    with monkeypatch.context() as patch:
        patch.setattr(RunFolder, "save_task", filling_up)
        result = ppsim(*run_args(out))
    no_traceback(result)
    assert result.exit_code == StorageError.exit_code, result.output
    assert "No space left on device" in one_line(result) and "--resume" in one_line(result)
    partial = partial_path(out)
    assert [p.name for p in (partial / "tasks" / "base").iterdir()] == ["0.arrow"]
    assert not (partial / ownership.LOCK).exists()
    result = ppsim(*run_args(out, "--resume"))
    assert result.exit_code == 0, result.output
    assert run_bytes(out) == reference


def test_local_workers_store_their_tasks_and_a_full_disk_there_loses_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: dict[str, bytes]) -> None:
    """Local workers write their task files themselves (the parent receives only that they
    did); ENOSPC in a worker is the same message as in the parent, and --resume then gives
    the bytes of a serial run."""
    out = tmp_path / "run"
    received: list[tuple[bool, int]] = []
    real = RunFolder.save_task

    def spy(self: RunFolder, output: Any) -> None:
        received.append((output.stored, len(output.blob)))
        real(self, output)

    with monkeypatch.context() as patch:
        patch.setattr(RunFolder, "save_task", spy)
        patch.setattr(engine, "run_task", partial(disk_full_from, 2))
        result = ppsim("run", TINY, "-n", REPS, "--workers", "2", "--no-plots", "--out", out)
    no_traceback(result)
    assert result.exit_code == StorageError.exit_code, result.output
    assert "No space left on device" in one_line(result) and "--resume" in one_line(result)
    assert received and all(r == (True, 0) for r in received)
    stored = {p.name for p in (partial_path(out) / "tasks" / "base").iterdir()}
    assert stored <= {"0.arrow", "1.arrow"}  # those not cut short by the failure
    result = ppsim("run", TINY, "-n", REPS, "--workers", "2", "--no-plots", "--out", out,
                   "--resume")
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tasks_run_this_session"] == REPS - len(stored)
    assert run_bytes(out) == reference


def test_disk_full_while_assembling_loses_nothing(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  reference: dict[str, bytes]) -> None:
    """ENOSPC while writing tables keeps every task; --resume assembles identical bytes."""
    out = tmp_path / "run"

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(sim.runs.folder._TableWriter, "flush", full)
        result = ppsim(*run_args(out))
    assert result.exit_code == StorageError.exit_code, result.output
    assert len(list((partial_path(out) / "tasks" / "base").glob("*.arrow"))) == REPS
    result = ppsim(*run_args(out, "--resume"))
    assert result.exit_code == 0, result.output
    assert json.loads((out / "manifest.json").read_text())["tasks_run_this_session"] == 0
    assert run_bytes(out) == reference


def test_unwritable_output_folder_is_a_message(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Permission denied creating the run folder: exit 5 saying to choose a writable --out."""
    real = Path.mkdir

    def denied(self: Path, *args: Any, **kwargs: Any) -> None:
        if self.name.endswith(".partial"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", denied)
    result = ppsim(*run_args(tmp_path / "run"))
    no_traceback(result)
    assert result.exit_code == StorageError.exit_code
    assert "Permission denied" in one_line(result)
    assert "choose a folder you can write to with --out" in one_line(result)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("code", "advice"), [
    (errno.EROFS, "read-only"), (errno.ENOTDIR, "not a folder"), (errno.EDQUOT, "quota"),
    (errno.ENAMETOOLONG, "shorter")])
def test_os_errors_say_what_to_do(code: int, advice: str) -> None:
    """Each errno gets the system's words, the path and a next step."""
    text = os_error_message(OSError(code, os.strerror(code), "/x/y"), "writing the run folder")
    assert text.startswith("writing the run folder (/x/y): " + os.strerror(code))
    assert advice in text


@pytest.mark.parametrize("command", ["report", "plot"])
def test_corrupt_manifest_is_a_message(tmp_path: Path, command: str) -> None:
    """A truncated manifest.json: `ppsim report` and `ppsim plot` exit 4 naming the file."""
    out = tmp_path / "run"
    assert ppsim(*run_args(out)).exit_code == 0
    (out / "manifest.json").write_text('{"kind": "run", "varia')
    result = ppsim(command, out)
    no_traceback(result)
    assert result.exit_code == ResultsError.exit_code, result.output
    assert "manifest.json: cannot be read as JSON" in one_line(result)


@pytest.fixture
def fake_service() -> Iterator[str]:
    """A TCP service that is not Dask: it answers every connection with junk bytes."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.sendall(b"\xff" * 64 + b"HTTP/1.1 200 OK\r\n\r\n")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{port}"
    stop.set()
    thread.join()
    server.close()


def test_wrong_or_unsafe_schedulers_are_messages(tmp_path: Path, fake_service: str) -> None:
    """``--dask tls://`` without certificates, and a non-Dask service: exit 3, nothing written."""
    for address, expected in (("tls://127.0.0.1:1", "TLS needs certificates"),
                              (fake_service, "does not answer as a Dask scheduler")):
        result = ppsim("run", TINY, "-n", "1", "--dask", address, "--out", tmp_path / "o")
        no_traceback(result)
        assert result.exit_code == 3, result.output
        assert expected in one_line(result)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_silent_scheduler_times_out(tmp_path: Path) -> None:
    """A service that accepts and never answers: exit 3 within the connect deadline."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    started = time.perf_counter()
    try:
        result = ppsim("run", TINY, "-n", "1", "--dask", f"tcp://127.0.0.1:{port}",
                       "--out", tmp_path / "o")
    finally:
        server.close()
    assert result.exit_code == 3 and "no answer from" in one_line(result), result.output
    assert time.perf_counter() - started < 30


# --- 7. Workers end with the main process ---------------------------------------------------------


def _children(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live (not zombie) process."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_sigterm_ends_the_workers_too(tmp_path: Path) -> None:
    """SIGTERM to `ppsim run`: exit 143 with a resume hint, no worker left, the lock dropped."""
    out = tmp_path / "run"
    proc = start_run(out, 400, "--no-plots")
    wait_for_tasks(out, proc, at_least=2)
    workers = _children(proc.pid)
    assert workers, "no worker processes found"
    text = signal_run(out, proc, signal.SIGTERM)
    assert proc.returncode == 143, text
    assert "--resume" in text and "Traceback" not in text
    time.sleep(1)
    assert [pid for pid in workers if _running(pid)] == []
    assert not (partial_path(out) / ownership.LOCK).exists()


DASK_PARENT = """
import sys, time

if __name__ == "__main__":
    if sys.argv[1] == "spares":  # killed while its worker processes import, before any order
        from sim.experiments.dask_local import Spares
        Spares(2)
    else:
        from sim.experiments.executors import DaskExecutor
        pool = DaskExecutor(None, 2)
        pool._client.wait_for_workers(2)
    print("ready", flush=True)
    time.sleep(120)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("when", ["spares", "running"])
def test_a_local_dask_clusters_workers_end_when_their_parent_is_killed(
        tmp_path: Path, when: str) -> None:
    """SIGKILL to a process with a local Dask cluster, while its worker processes (started
    ahead, sim.experiments.dask_local) still import or once they run: they end by themselves
    within seconds (their standard input closes; a running one also loses its scheduler)."""
    script = tmp_path / "dask_parent.py"
    script.write_text(DASK_PARENT, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), when], stdout=subprocess.PIPE,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        workers = _children(proc.pid)
        assert len(workers) == 2 and all(_running(pid) for pid in workers)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 20
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in workers if _running(pid)] == []


HALF_RESULT = """
import gc, os, struct, time
from multiprocessing.queues import SimpleQueue

def half_result():
    # In the worker: the start of a result message in the pool's result pipe, then no more.
    queue = next(o for o in gc.get_objects() if isinstance(o, SimpleQueue) and o._writer)
    os.write(queue._writer.fileno(), struct.pack("!i", 1_000_000) + b"x" * 10)
    time.sleep(60)

if __name__ == "__main__":
    from sim.experiments.executors import ProcessExecutor
    pool = ProcessExecutor(1)
    pool._pool.submit(half_result)
    time.sleep(2)
    pool.terminate()
    print("terminated", flush=True)
"""


@pytest.mark.slow
def test_a_worker_terminated_mid_result_does_not_hang_the_exit(tmp_path: Path) -> None:
    """Terminating the workers while one is sending a result: the process still exits.

    The pool's manager thread waits for the rest of the half-sent message; unless the parent's
    copy of the pipe's write end is closed it waits forever, and the interpreter's exit joins
    it (``ppsim run`` hung after "interrupted" when SIGTERM came at that moment, under load).
    """
    script = tmp_path / "half_result.py"
    script.write_text(HALF_RESULT, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and "terminated" in done.stdout, done.stderr


# --- 8. Retries and damaged task files ------------------------------------------------------------


@pytest.mark.slow
def test_a_killed_worker_is_retried_and_the_bytes_are_identical(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: dict[str, bytes],
        caplog: pytest.LogCaptureFixture) -> None:
    """A worker SIGKILLed mid-run: the pool restarts, the task reruns, tables are identical."""
    monkeypatch.setenv(KILL_FLAG, str(tmp_path / "killed-once"))
    monkeypatch.setattr(engine, "run_task", partial(die_once_at, 1))
    result = sim.run(TINY, replications=REPS, workers=2, out=tmp_path / "run", plots=False)
    assert (tmp_path / "killed-once").exists()
    assert "a worker process died" in caplog.text
    assert run_bytes(result.path) == reference


def always_dying_task(spec: Any) -> Any:
    """A task whose worker always dies (a replication that exhausts memory, say)."""
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.slow
def test_a_worker_that_keeps_dying_fails_the_run_with_a_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries are bounded: after the last attempt the run stops with an ExecutorError."""
    monkeypatch.setattr(executors, "MAX_ATTEMPTS", 2)
    monkeypatch.setattr(engine, "run_task", always_dying_task)
    with pytest.raises(ExecutorError, match=r"died \(attempt 2 of 2; killed, or out of memory"):
        sim.run(TINY, replications=1, workers=1, out=tmp_path / "run", plots=False)
    assert partial_path(tmp_path / "run").exists()
    assert not (partial_path(tmp_path / "run") / ownership.LOCK).exists()


def test_a_truncated_task_file_is_rerun_on_resume(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  reference: dict[str, bytes],
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """A task file cut short (full disk, crash) is reported and rerun; bytes stay identical."""
    out = unfinished(tmp_path, monkeypatch, fail_at=2)
    task = partial_path(out) / "tasks" / "base" / "1.arrow"
    task.write_bytes(task.read_bytes()[: task.stat().st_size // 2])
    result = ppsim(*run_args(out, "--resume"))
    assert result.exit_code == 0, result.output
    assert "damaged task file" in caplog.text and "1.arrow" in caplog.text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["damaged_tasks_rerun"] == 1 and manifest["tasks_run_this_session"] == 2
    assert run_bytes(out) == reference


def test_every_flipped_byte_or_cut_of_a_task_file_is_detected() -> None:
    """A task file damaged anywhere (one bit, or cut at any length) is a DamagedTaskError.

    Arrow itself can crash on corrupted IPC metadata, so the check must come first.
    """
    import pandas as pd

    blob = encode_task({"monthly": pd.DataFrame({"deployed": [1.0, 2.5], "month": [0, 1]})},
                       {"seconds": 0.1})
    assert decode_task(blob)[1] == {"seconds": 0.1}
    for i in range(len(blob)):
        flipped = bytearray(blob)
        flipped[i] ^= 0x10
        with pytest.raises(DamagedTaskError):
            decode_task(bytes(flipped))
    for n in range(0, len(blob), 7):
        with pytest.raises(DamagedTaskError):
            decode_task(blob[:n])



def test_an_interrupt_before_the_run_starts_leaves_no_worker_and_no_resume_hint(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the scenario loads (workers already starting): exit 130, no folder.

    The message does not offer ``--resume``: nothing was written. The workers started early
    for the run are terminated.
    """
    started: list[Any] = []
    real = executors.start_workers

    def watched(*args: Any, **kwargs: Any) -> Any:
        block = real(*args, **kwargs)

        class Watch:
            def __enter__(self) -> None:
                block.__enter__()
                early = executors._EARLY.get()
                started.extend(early._pool._processes.values() if early else [])

            def __exit__(self, *exc: Any) -> Any:
                return block.__exit__(*exc)

        return Watch()

    def interrupted(path: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(executors, "start_workers", watched)
    monkeypatch.setattr(sim, "load_scenario", interrupted)
    out = tmp_path / "never"
    result = CliRunner().invoke(main, ["run", str(TINY), "-n", "2", "-w", "2", "--no-plots",
                                       "--out", str(out)])
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.output and "--resume" not in result.output
    assert len(started) == 2 and all(executors.exited(p) for p in started)
    assert not out.exists() and not Path(f"{out}.partial").exists()
