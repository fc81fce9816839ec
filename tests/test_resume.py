"""A killed or interrupted run resumes where it stopped and ends with the same bytes."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

import sim
from tests.runs_helpers import TINY, run_bytes, signal_run, start_run, wait_for_tasks

REPLICATIONS = 30
LONG_RUN = 400
"""Replications of a run that is interrupted, never finished: long enough that it cannot end
before the signal arrives, even with batched tasks on a fast machine."""


@pytest.mark.slow
def test_sigkilled_run_resumes_to_identical_tables(tmp_path: Path) -> None:
    """SIGKILL mid-run leaves whole task files only; --resume finishes with identical bytes."""
    out = tmp_path / "killed"
    proc = start_run(out, REPLICATIONS)
    try:
        wait_for_tasks(out, proc, at_least=4)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    partial = Path(str(out) + ".partial")
    finished = len(list((partial / "tasks").glob("*/*.arrow")))
    assert not out.exists() and partial.exists()
    assert 4 <= finished < REPLICATIONS, "the run finished before the kill; raise REPLICATIONS"
    # A temporary file from a write cut short is ignored and cleaned up.
    (partial / "tasks" / "base" / f".{REPLICATIONS - 1}.arrow.tmp999").write_bytes(b"half")

    resumed = sim.run(TINY, replications=REPLICATIONS, workers=2, out=out, resume=True)
    assert resumed.manifest["resumed"] is True
    assert resumed.manifest["tasks_run_this_session"] == REPLICATIONS - finished
    assert len(resumed.manifest["timings"]["tasks"]) == REPLICATIONS
    assert not partial.exists()

    reference = sim.run(TINY, replications=REPLICATIONS, executor="serial",
                        out=tmp_path / "uninterrupted")
    assert run_bytes(resumed.path) == run_bytes(reference.path)


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path: Path) -> None:
    """SIGINT exits 130 with a --resume hint, keeping finished tasks and no final folder."""
    out = tmp_path / "interrupted"
    proc = start_run(out, LONG_RUN)
    text = signal_run(out, proc, signal.SIGINT)
    assert proc.returncode == 130, text
    assert "interrupted" in text and "--resume --out" in text
    assert "Traceback" not in text
    assert not out.exists() and Path(str(out) + ".partial").exists()


def test_replace_swaps_a_finished_run_only_when_the_new_one_is_whole(tmp_path: Path) -> None:
    """--replace keeps the old run until the new one is whole; without it, exit 4."""
    from click.testing import CliRunner

    from cli import main

    out = tmp_path / "r"
    args = ["run", str(TINY), "-n", "1", "--serial", "--no-plots", "--out", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    first = (out / "manifest.json").read_text()
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 4 and "--replace" in again.output
    replaced = CliRunner().invoke(main, [*args, "--seed", "5", "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert (out / "manifest.json").read_text() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("not a run")
    refused = CliRunner().invoke(main, ["run", str(TINY), "-n", "1", "--serial", "--out",
                                        str(tmp_path / "other"), "--replace"])
    assert refused.exit_code == 4 and "not a ppsim run folder" in refused.output
    assert (tmp_path / "other" / "notes.txt").exists()


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_an_interrupt_while_a_run_begins_takes_effect_once_its_imports_are_done(name: str
                                                                                 ) -> None:
    """interrupts_deferred: a Ctrl-C (SIGINT), or a SIGTERM with ``ppsim``'s handler (which
    raises ``Terminated``), inside the block is noted and handed to its handler when the block
    ends (raised inside an import, it can be lost in importlib's lock callback and hang the
    run: seen for both); the handler is then restored; an ignored signal stays ignored."""
    import time

    from cli import Terminated, _on_sigterm
    from sim.experiments.engine import interrupts_deferred

    number = getattr(signal, name)
    handler, raised = ((signal.default_int_handler, KeyboardInterrupt) if name == "SIGINT"
                       else (_on_sigterm, Terminated))
    previous = signal.signal(number, handler)
    try:
        reached = []
        with pytest.raises(raised), interrupts_deferred():
            os.kill(os.getpid(), number)
            time.sleep(0.05)  # the handler runs in here: noted, not raised
            reached.append(True)
        assert reached == [True]
        assert signal.getsignal(number) is handler
        signal.signal(number, signal.SIG_IGN)
        with interrupts_deferred():
            os.kill(os.getpid(), number)
            time.sleep(0.05)
        assert signal.getsignal(number) is signal.SIG_IGN
    finally:
        signal.signal(number, previous)
