"""Summaries are computed part by part (issue 12): the same bytes, and memory that does not grow.

The reference is the plain computation over the whole table in memory (what the summaries did
before they streamed); the streamed summaries must equal it to the byte, with the parts forced
small so that every path (several month chunks, several outcome parts) is taken.
"""

from __future__ import annotations

import json
import pickle
import tracemalloc
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

import sim
import sim.runs.folder as run_folder_module
from sim.experiments.engine import Job, run_settings, tables_for
from sim.experiments.executors import TaskSpec, run_task
from sim.outputs import stats, summaries
from sim.runs.folder import TABLES, RunFolder
from sim.runs.task import TaskOutput

TINY = Path(__file__).resolve().parent / "data" / "tiny.yaml"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> RunFolder:
    """A partial run folder of 6 tiny replications, assembled (tables written, no summaries)."""
    loaded = sim.load_scenario(TINY)
    out = tmp_path_factory.mktemp("streaming") / "run"
    job = Job(kind="run", loaded=loaded, scenarios={"base": loaded.base}, seed=7, label="base",
              tables=tables_for({"base": loaded.base}), settings={"kind": "run"})
    run_folder = RunFolder.prepare(out, run_settings(job), False)
    run_folder.create("", job.scenarios, "test")
    for rep in range(6):
        run_folder.save_task(run_task(TaskSpec("base", rep, 7, loaded.base, TABLES)))
    run_folder.assemble(["base"], 6, TABLES)
    run_folder.release()
    return run_folder


def _bytes(folder: RunFolder, frame: pd.DataFrame, name: str) -> tuple[bytes, bytes]:
    folder.write_frame(frame, f"check/{name}")
    stem = folder.partial / "check" / name
    return stem.with_suffix(".parquet").read_bytes(), stem.with_suffix(".csv").read_bytes()


def test_streamed_bands_equal_the_whole_table_in_memory(folder: RunFolder,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Bands from 7-month chunks (9 chunks, spilled) are byte-identical to the one-frame bands."""
    monthly = summaries.read_table(folder.partial / "tables" / "monthly.parquet")
    per_month = len(monthly[(monthly["month"] == 0) & (monthly["replication"] == 0)])
    monkeypatch.setattr(summaries, "BAND_BUDGET_ROWS", per_month * 6 * 7)
    monkeypatch.setattr(summaries, "MAX_SPILL_FILES", 4)  # three passes over the table
    streamed = summaries.bands(folder, ["base"], 6)
    by = ["variant", "date", "month", "mission", "category"]
    whole = summaries.plain(stats.percentile_bands(monthly[[*by, *summaries.BAND_METRICS]], by,
                                                   summaries.BAND_METRICS))
    whole = summaries._ordered(whole, {
        "variant": ["base"], "metric": summaries.BAND_METRICS,
        "mission": [str(m) for m in monthly["mission"].unique()],
        "category": [*summaries.CATEGORIES, *map(str, monthly["category"].unique())],
        "month": range(int(monthly["month"].max()) + 1)})
    assert _bytes(folder, streamed, "a") == _bytes(folder, whole, "b")
    assert not list(folder.partial.glob(".spill*")), "temporary files are removed"


def test_streamed_outcome_summary_equals_the_whole_table(folder: RunFolder,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Outcome CIs from 3 parts of the outcomes are byte-identical to the one-frame summary."""
    monkeypatch.setattr(summaries, "OUTCOME_PARTS", 3)
    streamed = summaries.outcome_summaries(folder)
    whole = summaries.plain(summaries.outcome_summary(
        summaries.read_table(folder.partial / "tables" / "outcomes.parquet")))
    assert len(streamed) > 3 * 4, "several parts, several groups each"
    assert _bytes(folder, streamed, "c") == _bytes(folder, whole, "d")


def _summary_memory(tmp: Path, blobs: list[bytes], replications: int) -> int:
    """Peak Python-traced bytes of assembling and summarizing ``replications`` stored tasks."""
    loaded = sim.load_scenario(TINY)
    folder = RunFolder.prepare(tmp / f"r{replications}", {"kind": "run"}, False)
    folder.create("", {"base": loaded.base}, "test")
    for rep in range(replications):
        folder.save_task(TaskOutput("base", rep, blobs[rep % len(blobs)], 0.0, "test"))
    job = SimpleNamespace(keys=["base"], scenarios={"base": loaded.base})
    tracemalloc.start()
    try:
        folder.assemble(["base"], replications, TABLES)
        summaries.write_run_summaries(folder, job, replications)  # type: ignore[arg-type]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        folder.release()


def _two_keys(folder: RunFolder, out: Path, keys: list[Any]) -> RunFolder:
    """A partial run folder of two variants (str keys) or sweep points (int keys), 6 stored
    tasks each: the first key's are ``folder``'s, the second's the same in reverse order."""
    blobs = [folder.task_path("base", rep).read_bytes() for rep in range(6)]
    kc = "variant" if isinstance(keys[0], str) else "point"
    run = RunFolder.prepare(out, {"kind": "run"}, False, key_column=kc)
    run.create("", {k: sim.load_scenario(TINY).base for k in keys}, "test")
    for k, order in zip(keys, (range(6), range(5, -1, -1)), strict=True):
        for rep, blob in enumerate(blobs[i] for i in order):
            run.save_task(TaskOutput(k, rep, blob, 0.0, "test"))
    return run


@pytest.mark.parametrize("keys", [["base", "other"], [3, 1]])
def test_bands_of_several_keys_equal_each_keys_whole_table(folder: RunFolder, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           keys: list[Any]) -> None:
    """Two variants (or sweep points): spilled by key and month chunk, each band as in memory.

    The second key's replications are the first's in reverse order, so their bands differ
    only in the mean's summation order; forced small chunks and two spill passes.
    """
    kc = "variant" if isinstance(keys[0], str) else "point"
    run = _two_keys(folder, tmp_path / "two", keys)
    run.assemble(keys, 6, TABLES)
    monthly = summaries.read_table(run.partial / "tables" / "monthly.parquet")
    per_month = len(monthly[(monthly["month"] == 0) & (monthly["replication"] == 0)]) // 2
    monkeypatch.setattr(summaries, "BAND_BUDGET_ROWS", per_month * 6 * 7)
    monkeypatch.setattr(summaries, "MAX_SPILL_FILES", 5)
    streamed = summaries.bands(run, keys, 6)
    by = [kc, "date", "month", "mission", "category"]
    whole = summaries.plain(stats.percentile_bands(monthly[[*by, *summaries.BAND_METRICS]], by,
                                                   summaries.BAND_METRICS))
    whole = summaries._ordered(whole, {
        kc: keys, "metric": summaries.BAND_METRICS,
        "mission": [str(m) for m in monthly["mission"].unique()],
        "category": [*summaries.CATEGORIES, *map(str, monthly["category"].unique())],
        "month": range(int(monthly["month"].max()) + 1)})
    assert set(streamed[kc]) == set(keys)
    assert _bytes(run, streamed, "a") == _bytes(run, whole, "b")
    run.release()


def _whole_bands(run: RunFolder, keys: list[Any], kc: str = "variant") -> pd.DataFrame:
    """The bands computed from the whole monthly table in memory (the reference)."""
    monthly = summaries.read_table(run.partial / "tables" / "monthly.parquet")
    by = [kc, "date", "month", "mission", "category"]
    whole = summaries.plain(stats.percentile_bands(monthly[[*by, *summaries.BAND_METRICS]], by,
                                                   summaries.BAND_METRICS))
    return summaries._ordered(whole, {
        kc: keys, "metric": summaries.BAND_METRICS,
        "mission": [str(m) for m in monthly["mission"].unique()],
        "category": [*summaries.CATEGORIES, *map(str, monthly["category"].unique())],
        "month": range(int(monthly["month"].max()) + 1)})


@pytest.mark.parametrize("budget_months", [7, 200])
def test_bands_split_while_assembling_equal_the_whole_table(folder: RunFolder, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            budget_months: int) -> None:
    """The assembly's split (BandSpill) is used, with no pass over the table; same bytes.

    Two variants, tasks assembled in small batches (several flushes), month chunks of 7
    months (several parts) or of the whole run (one part per variant).
    """
    keys = ["base", "other"]
    run = _two_keys(folder, tmp_path / "teed", keys)
    per_month = len(summaries.read_table(folder.partial / "tables" / "monthly.parquet",
                                         ["month", "replication"]).query(
        "month == 0 and replication == 0"))
    monkeypatch.setattr(summaries, "BAND_BUDGET_ROWS", per_month * 6 * budget_months)
    monkeypatch.setattr(run_folder_module, "BATCH_ROWS", per_month * 40)
    run.assemble(keys, 6, TABLES, summaries.assembly_tees(run, keys, 6))
    plan = json.loads((run.partial / summaries.SPILL_BANDS / "plan.json").read_text())
    monthly = summaries.read_table(run.partial / "tables" / "monthly.parquet")
    first = monthly[(monthly["variant"] == "base") & (monthly["month"] == 0)]
    assert plan["months"] == int(monthly["month"].max()) + 1
    assert plan["firsts"] == {name: [str(v) for v in first[name].unique()]
                              for name in ("mission", "category")}

    def no_pass(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the bands split the table again")

    monkeypatch.setattr(summaries, "spill", no_pass)
    teed = summaries.bands(run, keys, 6)
    assert _bytes(run, teed, "a") == _bytes(run, _whole_bands(run, keys), "b")
    assert not (run.partial / summaries.SPILL_BANDS).exists(), "temporary files are removed"
    run.release()


@pytest.mark.parametrize("keys", [["base", "other"], [3, 1]])
def test_outcomes_split_while_assembling_equal_the_whole_table(folder: RunFolder, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               keys: list[Any]) -> None:
    """The assembly's outcome split (OutcomeSpill) is used, with no pass over the table; the
    summary is byte-identical to the one-frame summary. Two variants (or sweep points, whose
    integer keys go through the split's record), several flushes, 3 outcome parts; a split
    recorded for other replications is not used (the table is split again, same bytes)."""
    kc = "variant" if isinstance(keys[0], str) else "point"
    run = _two_keys(folder, tmp_path / "teed", keys)
    monkeypatch.setattr(summaries, "OUTCOME_PARTS", 3)
    rows = len(summaries.read_table(folder.partial / "tables" / "outcomes.parquet"))
    monkeypatch.setattr(run_folder_module, "BATCH_ROWS", rows // 3)  # several batches teed
    run.assemble(keys, 6, TABLES, summaries.assembly_tees(run, keys, 6))
    assert (run.partial / summaries.OUTCOME_SPILL / "plan.json").exists()
    whole = _bytes(run, summaries.plain(summaries.outcome_summary(
        summaries.read_table(run.partial / "tables" / "outcomes.parquet"), kc)), "whole")
    real_spill = summaries.spill

    def no_pass(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the outcomes were split again")

    monkeypatch.setattr(summaries, "spill", no_pass)
    teed = summaries.outcome_summaries(run, kc, keys, 6)
    assert set(teed[kc]) == set(keys) and len(teed) > 3 * 4
    assert _bytes(run, teed, "teed") == whole
    assert not (run.partial / summaries.OUTCOME_SPILL).exists(), "temporary files are removed"
    run.assemble(keys, 6, TABLES, summaries.assembly_tees(run, keys, 5))
    with pytest.raises(AssertionError, match="split again"):
        summaries.outcome_summaries(run, kc, keys, 6)
    monkeypatch.setattr(summaries, "spill", real_spill)
    assert _bytes(run, summaries.outcome_summaries(run, kc, keys, 6), "again") == whole
    run.release()


def test_a_split_that_does_not_fit_is_not_used(folder: RunFolder, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Too many parts: no split while assembling; an abandoned assembly leaves none either;
    a split recorded for other replications is ignored. The bands are right every time."""
    blobs = [folder.task_path("base", rep).read_bytes() for rep in range(6)]
    run = _empty_run(tmp_path / "run")
    for rep in range(6):
        run.save_task(TaskOutput("base", rep, blobs[rep], 0.0, "test"))
    spill_dir = run.partial / summaries.SPILL_BANDS
    monkeypatch.setattr(summaries, "MAX_SPILL_FILES", 0)
    run.assemble(["base"], 6, TABLES, summaries.assembly_tees(run, ["base"], 6))
    assert not (spill_dir / "plan.json").exists()
    monkeypatch.setattr(summaries, "MAX_SPILL_FILES", 128)
    assembly = run.assembly(["base"], 6, TABLES, summaries.assembly_tees(run, ["base"], 6))
    assembly.advance()
    assembly.abandon()
    assert not spill_dir.exists()
    run.assemble(["base"], 6, TABLES, summaries.assembly_tees(run, ["base"], 5))
    assert (spill_dir / "plan.json").exists()
    whole = _bytes(run, _whole_bands(run, ["base"]), "b")
    assert _bytes(run, summaries.bands(run, ["base"], 6), "a") == whole
    run.release()


@pytest.mark.slow
def test_parent_memory_does_not_grow_with_replications(folder: RunFolder, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Assembly and summaries of 200 replications trace < 1.5× the peak of 50 (not 4×).

    Python-level allocations (pandas and numpy included) are what tracemalloc sees; a parent
    that kept every replication's tables would need ~4× the memory for 4× the replications.
    The streaming limits are made small (4,096 rows decoded at once, 5,000 monthly rows per
    band chunk) so that 50 replications already exceed them, as 10,000 exceed the real ones.
    Tasks are 3 real replications' bytes stored under 50 or 200 replication numbers.
    """
    monkeypatch.setattr(summaries, "SCAN_BATCH_ROWS", 4096)
    monkeypatch.setattr(summaries, "BAND_BUDGET_ROWS", 5000)
    blobs = [(folder.task_path("base", rep)).read_bytes() for rep in range(3)]
    pickle.dumps(blobs)  # plain bytes, nothing of the first folder held
    small = _summary_memory(tmp_path, blobs, 50)
    large = _summary_memory(tmp_path, blobs, 200)
    assert large < 1.5 * small, f"peak traced memory {small / 1e6:.1f} MB at 50 replications, " \
                                f"{large / 1e6:.1f} MB at 200"


def _empty_run(out: Path) -> RunFolder:
    """A new partial run folder of the tiny scenario, with no task stored yet."""
    run_folder = RunFolder.prepare(out, {"kind": "run"}, False)
    run_folder.create("", {"base": sim.load_scenario(TINY).base}, "test")
    return run_folder


def test_assembly_while_tasks_arrive_gives_the_same_bytes(folder: RunFolder, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Tasks stored out of order, appended as they come and merged in the buffer: same bytes.

    The reference assembles all six at the end without merging buffered tables; the streamed
    one merges every 2 buffered task tables (``COMPACT_TABLES``, 256 in real runs).
    """
    blobs = [folder.task_path("base", rep).read_bytes() for rep in range(6)]

    def stored(name: str) -> RunFolder:
        return _empty_run(tmp_path / name)

    at_end = stored("at_end")
    for rep in range(6):
        at_end.save_task(TaskOutput("base", rep, blobs[rep], 0.0, "test"))
    assert at_end.assemble(["base"], 6, TABLES)[0]["monthly"] > 0
    streamed = stored("streamed")
    monkeypatch.setattr(run_folder_module, "COMPACT_TABLES", 2)
    assembly = streamed.assembly(["base"], 6, TABLES)
    appended = []
    spooled = []
    for rep in (1, 0, 2, 4, 5, 3):  # as workers might finish them
        streamed.save_task(TaskOutput("base", rep, blobs[rep], 0.0, "test"))
        appended.append(assembly.advance())
        spooled.append(sorted(p.name for p in (streamed.partial / "tables").glob("*.spool.*")))
    assembly.finish()
    assert appended == [0, 2, 1, 0, 0, 3], "each task is appended once all before it are"
    # The merged tables waited on disk (BufferSpool), and the spool files are gone once written.
    assert {"targets.spool.arrow", "targets.spool.csv"} <= set(spooled[1])
    assert sorted(p.name for p in (at_end.partial / "tables").iterdir()) == sorted(
        p.name for p in (streamed.partial / "tables").iterdir())
    for table in sorted((at_end.partial / "tables").iterdir()):
        assert table.read_bytes() == (streamed.partial / "tables" / table.name).read_bytes()
    at_end.release()
    streamed.release()


def test_assembly_in_its_thread_gives_the_same_bytes_and_its_errors(folder: RunFolder,
                                                                   tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch
                                                                   ) -> None:
    """The background thread (Assembly.start) writes the bytes the synchronous assembly writes.

    Tasks are stored out of order and notified as a receiving thread would; then a failure in
    the thread (a write that raises) reaches the caller at notify() or finish(), and abandon()
    stops the thread.
    """
    blobs = [folder.task_path("base", rep).read_bytes() for rep in range(6)]

    def stored(name: str) -> RunFolder:
        return _empty_run(tmp_path / name)

    monkeypatch.setattr(run_folder_module, "BATCH_ROWS", 100)  # a flush every task or two
    at_end = stored("at_end")
    for rep in range(6):
        at_end.save_task(TaskOutput("base", rep, blobs[rep], 0.0, "test"))
    at_end.assemble(["base"], 6, TABLES)
    threaded = stored("threaded")
    assembly = threaded.assembly(["base"], 6, TABLES)
    assembly.start()
    for rep in (1, 0, 2, 4, 5, 3):
        threaded.save_task(TaskOutput("base", rep, blobs[rep], 0.0, "test"))
        assembly.notify()
    rows, timings = assembly.finish()
    assert [t["replication"] for t in timings] == list(range(6))
    assert rows["monthly"] == pd.read_parquet(at_end.partial / "tables" / "monthly.parquet"
                                              ).shape[0]
    for table in sorted((at_end.partial / "tables").iterdir()):
        assert table.read_bytes() == (threaded.partial / "tables" / table.name).read_bytes()

    failing = stored("failing")
    assembly = failing.assembly(["base"], 6, TABLES)

    def full(self: object, *args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run_folder_module._TableWriter, "flush", full)
    assembly.start()
    with pytest.raises(OSError, match="No space"):
        for rep in range(6):
            failing.save_task(TaskOutput("base", rep, blobs[rep], 0.0, "test"))
            assembly.notify()
        assembly.finish()
    assembly.abandon()
    assert assembly._thread is None
    for run_folder in (at_end, threaded, failing):
        run_folder.release()


def test_finish_closes_the_tables_at_once_and_reports_a_failure(folder: RunFolder,
                                                                 tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    """finish() appends the last tasks and closes the files a table per thread (_Lane).

    The files are those of writers used one after another in this thread; a failure while a
    lane closes its table (a full disk at the last flush) reaches finish()'s caller, every file
    is closed, and no lane's thread is left running.
    """
    import threading

    blobs = [folder.task_path("base", rep).read_bytes() for rep in range(6)]
    monkeypatch.setattr(run_folder_module, "BATCH_ROWS", 100)
    sequential = _empty_run(tmp_path / "sequential")
    for rep in range(6):
        sequential.save_task(TaskOutput("base", rep, blobs[rep], 0.0, "test"))
    one_by_one = sequential.assembly(["base"], 6, TABLES)
    one_by_one.advance()  # every task, in this thread
    for writer in one_by_one._writers.values():
        writer.close()
    laned = _empty_run(tmp_path / "laned")
    for rep in range(6):
        laned.save_task(TaskOutput("base", rep, blobs[rep], 0.0, "test"))
    closed: set[str] = set()
    close = run_folder_module._TableWriter.close

    def recorded(self: run_folder_module._TableWriter, *args: Any) -> None:
        closed.add(threading.current_thread().name)
        close(self, *args)

    monkeypatch.setattr(run_folder_module._TableWriter, "close", recorded)
    rows, _ = laned.assembly(["base"], 6, TABLES).finish()  # all six appended in lanes
    assert closed == {f"ppsim-lane-{name}" for name in TABLES}
    assert rows["monthly"] == pd.read_parquet(sequential.partial / "tables" / "monthly.parquet"
                                              ).shape[0]
    for table in sorted((sequential.partial / "tables").iterdir()):
        assert table.read_bytes() == (laned.partial / "tables" / table.name).read_bytes()

    failing = _empty_run(tmp_path / "failing")
    for rep in range(6):
        failing.save_task(TaskOutput("base", rep, blobs[rep], 0.0, "test"))
    assembly = failing.assembly(["base"], 6, TABLES)
    flush = run_folder_module._TableWriter.flush

    def full(self: run_folder_module._TableWriter, *args: Any) -> None:
        if self.stem.name == "cases" and threading.current_thread().name.startswith("ppsim-lane"):
            raise OSError(28, "No space left on device")
        flush(self, *args)

    monkeypatch.setattr(run_folder_module._TableWriter, "flush", full)
    with pytest.raises(OSError, match="No space"):
        assembly.finish()
    assert not [t for t in threading.enumerate() if t.name.startswith("ppsim-lane")]
    assert all(w._parquet is None and w._csv is None for w in assembly._writers.values())
    for run_folder in (sequential, laned, failing):
        run_folder.release()


def test_complete_returns_once_the_tees_are_whole_and_tables_wait(folder: RunFolder,
                                                                    tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch
                                                                    ) -> None:
    """complete() returns when every tee has its last batch, while the files' last batches are
    still written; folder.table() waits for that table's file; wait_closed() gives the rows.

    The monthly file's last Parquet write is held back: complete() returns all the same, the
    bands' and outcomes' splits are recorded, and a reader of ``folder.table("monthly")`` waits
    until the write is let through. The files are those of a plain finish(). A table whose last
    write fails after its tee had its batch fails wait_closed(), with every file closed.
    """
    import threading

    import pyarrow.parquet as pq

    blobs = [folder.task_path("base", rep).read_bytes() for rep in range(6)]
    plain_run = _empty_run(tmp_path / "plain")
    held = _empty_run(tmp_path / "held")
    for run_folder in (plain_run, held):
        for rep in range(6):
            run_folder.save_task(TaskOutput("base", rep, blobs[rep], 0.0, "test"))
    plain_run.assemble(["base"], 6, TABLES)
    gate, holding = threading.Event(), threading.Event()
    write_table = pq.ParquetWriter.write_table

    def gated(self: pq.ParquetWriter, table: Any, *args: Any, **kwargs: Any) -> None:
        if "monthly" in str(self.where):
            holding.set()
            assert gate.wait(30)
        write_table(self, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", gated)
    assembly = held.assembly(["base"], 6, TABLES, summaries.assembly_tees(held, ["base"], 6))
    assembly.complete()
    assert holding.is_set() and not gate.is_set(), "complete() did not wait for the file"
    assert (held.partial / summaries.SPILL_BANDS / "plan.json").exists()
    assert (held.partial / summaries.OUTCOME_SPILL / "plan.json").exists()
    assert held.table("outcomes").exists()  # (that table's file is whole)
    reader = threading.Thread(target=held.table, args=("monthly",))
    reader.start()
    reader.join(0.3)
    assert reader.is_alive(), "folder.table() returned before the file was whole"
    gate.set()
    reader.join(30)
    rows = assembly.wait_closed()
    assert rows["monthly"] == pq.read_metadata(held.table("monthly")).num_rows > 0
    for table in sorted((plain_run.partial / "tables").iterdir()):
        assert table.read_bytes() == (held.partial / "tables" / table.name).read_bytes()

    failing = _empty_run(tmp_path / "failing")
    for rep in range(6):
        failing.save_task(TaskOutput("base", rep, blobs[rep], 0.0, "test"))

    def full(self: pq.ParquetWriter, table: Any, *args: Any, **kwargs: Any) -> None:
        if "cases" in str(self.where):
            raise OSError(28, "No space left on device")
        write_table(self, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    assembly = failing.assembly(["base"], 6, TABLES)
    with pytest.raises(OSError, match="No space"):
        assembly.complete()  # (the lane may fail before or after its tee has the batch)
        assembly.wait_closed()
    assert not [t for t in threading.enumerate() if t.name.startswith("ppsim-lane")]
    assert all(w._parquet is None and w._csv is None for w in assembly._writers.values())
    for run_folder in (plain_run, held, failing):
        run_folder.release()


@pytest.mark.parametrize("batch_rows", [run_folder_module.BATCH_ROWS, 1])
def test_csv_lines_from_workers_equal_the_parents_own(folder: RunFolder, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      batch_rows: int) -> None:
    """Tasks whose workers rendered their CSV lines give the same files as tasks without them.

    Without lines (older task files) the parent formats every row; with them it appends the
    worker's bytes. One task's ``targets`` has a column typed differently (all null): its
    lines cannot be used as they are and the parent formats that table itself. With one batch
    the lines wait for it; with a batch per row they are written as each task is added.
    """
    from sim.runs.folder import decode_task, encode_task

    monkeypatch.setattr(run_folder_module, "BATCH_ROWS", batch_rows)

    loaded = sim.load_scenario(TINY)
    decoded = [decode_task(folder.task_path("base", rep)) for rep in range(3)]
    frames = [{name: table.to_pandas() for name, table in tables.items()}
              for tables, _ in decoded]
    frames[1]["targets"] = frames[1]["targets"].assign(share_on_date=None)  # null-typed here
    files, formatted = {}, {}
    render = run_folder_module.csv_rows
    for name, rendered in (("parent", False), ("workers", True)):
        run_folder = RunFolder.prepare(tmp_path / name, {"kind": "run"}, False)
        run_folder.create("", {"base": loaded.base}, "test")
        for rep in range(3):
            blob = (encode_task(frames[rep], {}, "base", rep) if rendered
                    else encode_task(frames[rep], {}))
            run_folder.save_task(TaskOutput("base", rep, blob, 0.0, "test"))
        calls: list[int] = []
        monkeypatch.setattr(run_folder_module, "csv_rows",
                            lambda table, calls=calls: calls.append(1) or render(table))
        run_folder.assemble(["base"], 3, TABLES)
        formatted[name] = len(calls)
        files[name] = {p.name: p.read_bytes() for p in (run_folder.partial / "tables").iterdir()}
        run_folder.release()
    assert files["parent"] == files["workers"]
    assert formatted == {"parent": 3 * len(TABLES), "workers": 1}  # the null-typed table only
    assert b",," in files["workers"]["targets.csv"]  # the null values, formatted by the parent


def test_buffer_spool_gives_back_the_merged_tables_and_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A table's merged buffer waits on disk and comes back whole; abandoned, it is deleted."""
    import pyarrow as pa

    from sim.runs.spool import BufferSpool

    (tmp_path / "targets.spool.arrow").write_bytes(b"left by a killed run")
    (tmp_path / "targets.spool.csv").write_bytes(b"1\n")
    spool = BufferSpool(tmp_path / "targets")
    assert not spool and not list(tmp_path.iterdir()), "a new spool starts empty"
    spool.append(pa.table({"x": [1, 2]}), b"1\n2\n")
    spool.append(pa.table({"x": [3]}), b"3\n")
    assert spool and spool.schema == pa.schema([("x", pa.int64())])
    table, lines = spool.take()
    assert table.column("x").to_pylist() == [1, 2, 3] and table.column("x").num_chunks == 1
    assert lines == b"1\n2\n3\n"
    assert not spool and not list(tmp_path.iterdir())
    spool.append(pa.table({"x": [1]}), b"1\n")
    spool.append(pa.table({"x": [2]}), None)  # lines not rendered: all rendered when written
    assert spool.take()[1] is None

    monkeypatch.setattr(run_folder_module, "COMPACT_TABLES", 2)
    writer = run_folder_module._TableWriter(tmp_path / "outcomes")
    for value in range(3):
        writer.add(pa.table({"x": [value]}), f"{value}\n".encode())
    assert (tmp_path / "outcomes.spool.arrow").exists()
    writer.abandon()
    assert not list(tmp_path.iterdir()), "an abandoned writer leaves no spool behind"


def test_task_timings_give_the_manifest_records() -> None:
    """One record per task, in order: key, replication, then the task's metadata as given."""
    timings = run_folder_module.TaskTimings("variant")
    timings.add("base", 0, {"seconds": 1.5, "worker": "vm:1", "worker_peak_rss_mb": 140.0})
    timings.add("base", 1, {"seconds": 0.5, "worker": "vm:2"})
    timings.add("women", 0, {"seconds": 2.0, "worker": "vm:1", "retries": 1})
    assert list(timings) == [
        {"variant": "base", "replication": 0, "seconds": 1.5, "worker": "vm:1",
         "worker_peak_rss_mb": 140.0},
        {"variant": "base", "replication": 1, "seconds": 0.5, "worker": "vm:2"},
        {"variant": "women", "replication": 0, "seconds": 2.0, "worker": "vm:1", "retries": 1}]
    assert list(next(iter(timings))) == ["variant", "replication", "seconds", "worker",
                                          "worker_peak_rss_mb"]
    assert len(timings) == 3 and timings.total("seconds") == 4.0 and timings.total("x") == 0.0


def test_a_table_that_does_not_fit_the_file_is_a_clear_error(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    """A task table whose column cannot take the file's type fails the assembly, by name.

    Before the first batch fixes the file's schema, the error comes when the batch is written;
    after it, when the table is added (its CSV lines are written then).
    """
    import pyarrow as pa

    from sim.errors import ResultsError

    monkeypatch.setattr(run_folder_module, "BATCH_ROWS", 2)
    writer = run_folder_module._TableWriter(tmp_path / "targets")
    writer.add(pa.table({"share": [0.1]}), b"0.1\n")
    writer.add(pa.table({"share": [0.2]}), b"0.2\n")  # the first batch: share is a double
    with pytest.raises(ResultsError, match="targets: a task's table does not match"):
        writer.add(pa.table({"share": ["a lot"]}), b"a lot\n")
    writer.abandon()
    monkeypatch.setattr(run_folder_module, "BATCH_ROWS", 10)
    writer = run_folder_module._TableWriter(tmp_path / "outcomes")
    writer.add(pa.table({"value": [1.0]}), None)
    writer.add(pa.table({"other": [1.0]}), None)
    with pytest.raises(ResultsError, match="outcomes: a task's table does not match"):
        writer.flush()
    writer.abandon()


def test_binary_values_are_views_of_the_column() -> None:
    """_values gives each value of a binary column without copying it, offsets and all."""
    import pyarrow as pa

    for kind in (pa.large_binary(), pa.binary()):
        column = pa.chunked_array([pa.array([b"ab", b"", b"cde", b"f"], kind).slice(1),
                                   pa.array([b"gh"], kind)])
        views = run_folder_module._values(column)
        assert [bytes(v) for v in views] == [b"", b"cde", b"f", b"gh"]
        data = column.chunks[0].buffers()[2]
        assert views[1].address == data.address + 2  # inside the column's own data, not a copy
        empty = run_folder_module._values(pa.chunked_array([pa.array([b"", b""], kind)]))
        assert [bytes(v) for v in empty] == [b"", b""]


def test_first_rows_are_the_distinct_rows_in_order_of_first_appearance() -> None:
    """_first_rows (the outcome split's group order) equals a plain first-seen scan: random
    batches with nulls and mixed string types, and columns whose codes would overflow int64
    combined (the codes are renumbered on the way)."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(1)
    columns = ["k", "m", "c"]
    for _ in range(100):
        n = int(rng.integers(0, 300))
        batch = pa.record_batch({
            "k": pa.array(rng.integers(0, 3, n)),
            "m": pa.array([None if x == 0 else f"m{x}" for x in rng.integers(0, 5, n)]),
            "c": pa.array([f"c{x}" for x in rng.integers(0, 2, n)], pa.large_string())})
        expected = list(dict.fromkeys(zip(*(batch.column(c).to_pylist() for c in columns),
                                          strict=True)))
        assert summaries._first_rows(batch, columns) == expected
    wide = pa.record_batch({name: pa.array(np.arange(70_000) % size)
                            for name, size in zip("abcd", (70_000, 69_999, 69_998, 69_997),
                                                  strict=True)})
    expected = list(dict.fromkeys(zip(*(wide.column(c).to_pylist() for c in "abcd"),
                                      strict=True)))
    assert summaries._first_rows(wide, list("abcd")) == expected
