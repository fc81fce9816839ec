"""Summaries of a run folder's tables: percentile bands, outcome CIs, targets, comparisons.

Everything here reads the assembled tables in ``tables/`` of a (partial) run folder and writes
``summary/``; the tables are streamed in bounded chunks, so memory stays flat however many
replications a run has. A statistic that needs every replication of a group at once (a
percentile, a mean) is computed part by part: the table is split into temporary Arrow files
(:func:`spill`, one pass: by variant and month range for bands, by outcome for outcome CIs), each
read back alone; the bands' split is made while the tables are assembled (:class:`BandSpill`).
The rows of a group and their order are those of the whole table, so the summaries are the same
to the byte as from the whole table in memory. The statistics themselves are pure functions in
:mod:`sim.outputs.stats`.
"""

from __future__ import annotations

import contextvars
import functools
import json
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from sim.outputs import catalog, stats
from sim.runs.folder import RunFolder, TableTee


class Job(Protocol):
    """What the summaries need of an experiment's job (:class:`sim.experiments.engine.Job`)."""

    @property
    def keys(self) -> list[Any]:
        """Variant (or point) keys in output order."""

    @property
    def scenarios(self) -> Mapping[Any, Any]:
        """The resolved scenario of each key."""

BAND_METRICS = ("deployed", "authorized", "vacancy_rate", "women_share", "women_target",
                "arrivals", "time_to_deploy_days", "unit_gap_days")
"""Monthly metrics summarized in ``summary/bands``."""


DATED_OUTCOMES = tuple(catalog.DATED_OUTCOMES)
"""Headline outcomes at a date (``--at``), for the month containing it: ``deployed``,
``vacancy_rate`` and ``women_share`` that month; ``specialist_coverage`` (category ``ipo``) the
mean over skills of coverage that month; ``mean_time_to_deploy`` over arrivals from the start
to that month (days); ``unit_gap_days`` summed from the start to that month."""

CATEGORIES = ("ipo", "fpu", "spt", "all")
SCAN_BATCH_ROWS = 65_536
"""Rows decoded at once when a table is streamed (:func:`scan`, :func:`spill`)."""
BAND_BUDGET_ROWS = 100_000
"""Most monthly rows read at once when computing bands (bounds memory at any replication count)."""


def _ordered(frame: pd.DataFrame, orders: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """``frame`` stably sorted by the position of each column's value in its given order.

    A value missing from its order (or missing) sorts first. Each column is factorized and its
    distinct values looked up in the order (the bands: 12.5 -> 4.4 ms for 42,240 rows against
    a categorical per column).
    """
    keys = []
    for col, order in orders.items():
        codes, uniques = pd.factorize(frame[col])
        positions = pd.Index(list(dict.fromkeys(order))).get_indexer(uniques)
        keys.append(np.where(codes >= 0, positions[codes], -1))
    return frame.take(np.lexsort(keys[::-1])).reset_index(drop=True)


def read_table(path: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A table of the run folder with text columns as categoricals (far less memory)."""
    table: pd.DataFrame = pq.read_table(path, columns=list(columns) if columns else None
                                        ).to_pandas(strings_to_categorical=True)
    return table


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with categorical columns turned back into plain text (for written summaries)."""
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype(str)
    return frame


def batches(path: Path, columns: Sequence[str]) -> Iterator[pa.RecordBatch]:
    """The columns of a Parquet table, :data:`SCAN_BATCH_ROWS` rows at a time.

    Without pre-buffering: by default Arrow reads ahead the column chunks of many row groups
    (for remote file systems), which for the monthly table of 10,000 tiny replications held
    ~72 MB of Arrow memory at once; read row group by row group it is ~20 MB, as fast here.
    """
    handle = pq.ParquetFile(path, pre_buffer=False)
    yield from handle.iter_batches(batch_size=SCAN_BATCH_ROWS, columns=list(columns))


def scan(path: Path, columns: Sequence[str],
         keep: Callable[[pa.RecordBatch], pa.Array]) -> Iterator[pa.RecordBatch]:
    """Stream the rows of a Parquet table that ``keep`` selects, batch by batch.

    Only one batch of the file is decoded at a time, so memory is bounded by the rows kept.
    """
    for batch in batches(path, columns):
        kept = batch.filter(keep(batch))
        if kept.num_rows:
            yield kept


MAX_SPILL_FILES = 128
"""Most temporary files :func:`spill` writes at once (more parts take more passes; macOS allows
a process 256 open files by default)."""

_SPILL_OPTIONS = ipc.IpcWriteOptions(compression="lz4")
"""Temporary files are compressed (a tenth of the disk; the tables repeat a lot)."""


class _PartFiles:
    """The temporary Arrow files of a split (``part-<n>.arrow`` in ``where``), opened as needed."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self._writers: dict[int, tuple[pa.NativeFile, ipc.RecordBatchStreamWriter]] = {}

    def write(self, n: int, rows: pa.RecordBatch) -> None:
        """Append ``rows`` to part ``n``'s file."""
        if n not in self._writers:
            self.where.mkdir(parents=True, exist_ok=True)
            sink = pa.OSFile(str(part_file(self.where, n)), "wb")
            self._writers[n] = sink, ipc.new_stream(sink, rows.schema, options=_SPILL_OPTIONS)
        self._writers[n][1].write_batch(rows)

    def close(self) -> None:
        """Close every open file (idempotent)."""
        for sink, writer in self._writers.values():
            writer.close()
            sink.close()
        self._writers = {}


def part_file(where: Path, n: int) -> Path:
    """The temporary file of part ``n`` of a split."""
    return where / f"part-{n}.arrow"


def spill(path: Path, columns: Sequence[str], part_of: Callable[[pa.RecordBatch], np.ndarray],
          parts: int, where: Path) -> list[Path]:
    """Split a Parquet table into one temporary Arrow file per part, streaming.

    ``part_of`` gives each row of a batch its part number in ``[0, parts)``. Each source batch
    (:func:`scan`'s batches) becomes at most one record batch per part, in file order, so a
    part's rows, their order and their batch boundaries are those a filtered :func:`scan`
    gives. At most :data:`MAX_SPILL_FILES` files are open at once (one pass per group of
    parts); memory is one source batch. Returns the files by part number.
    """
    where.mkdir(parents=True, exist_ok=True)
    for first in range(0, parts, MAX_SPILL_FILES):
        wanted = range(first, min(first + MAX_SPILL_FILES, parts))
        files = _PartFiles(where)
        try:
            for batch in batches(path, columns):
                for n, rows in _by_part(batch, part_of(batch), wanted):
                    files.write(n, rows)
        finally:
            files.close()
    return [part_file(where, n) for n in range(parts)]


def _by_part(batch: pa.RecordBatch, numbers: np.ndarray, wanted: range
             ) -> Iterator[tuple[int, pa.RecordBatch]]:
    """The rows of ``batch`` of each wanted part number, in batch order, part by part.

    One stable sort of the batch by part, then a zero-copy slice per part: filtering the batch
    once per part cost a pass over the whole batch per part, and with thousands of
    replications a batch holds rows of a hundred parts (bands grew faster than the table).
    """
    order = np.argsort(numbers, kind="stable")
    ordered = numbers[order]
    present, starts = np.unique(ordered, return_index=True)
    ends = [*starts[1:], len(ordered)]
    sorted_batch: pa.RecordBatch | None = None
    for n, lo, hi in zip(map(int, present), starts, ends, strict=True):
        if n not in wanted:
            continue
        if sorted_batch is None:
            sorted_batch = batch if len(present) == 1 else batch.take(pa.array(order))
        yield n, sorted_batch.slice(int(lo), int(hi - lo))


def spilled(file: Path, keep: Callable[[pa.RecordBatch], pa.Array] | None = None
            ) -> list[pa.RecordBatch]:
    """The non-empty record batches of a :func:`spill` file (``[]`` if the part had no rows)."""
    if not file.exists():
        return []
    with pa.OSFile(str(file), "rb") as source, ipc.open_stream(source) as reader:
        batches = [b if keep is None else b.filter(keep(b)) for b in reader]
    return [b for b in batches if b.num_rows]


def _frame(parts: list[pa.RecordBatch], columns: Sequence[str]) -> pd.DataFrame:
    """Record batches as one DataFrame with text as categoricals (empty: just the columns)."""
    if not parts:
        return pd.DataFrame(columns=list(columns))
    table: pd.DataFrame = pa.Table.from_batches(parts).to_pandas(strings_to_categorical=True)
    return table


def _months(path: Path, meta: pq.FileMetaData) -> int:
    """Number of months in a monthly table (from the Parquet column statistics in ``meta``)."""
    index = meta.schema.names.index("month")
    top = -1
    for g in range(meta.num_row_groups):
        column = meta.row_group(g).column(index)
        top = max(top, int(column.statistics.max)) if column.statistics else top
    if top < 0:
        top = int(pc.max(pq.read_table(path, columns=["month"]).column("month")).as_py())
    return top + 1


def bands(folder: RunFolder, keys: Sequence[Any], replications: int) -> pd.DataFrame:
    """Percentile bands of :data:`BAND_METRICS`, read from ``tables/monthly`` month by month.

    The monthly table is split (:class:`BandSpill` while it is assembled, else :func:`spill`
    in one pass now) into chunks of a key's months small enough that at most
    :data:`BAND_BUDGET_ROWS` rows are in memory, so neither memory nor the number of passes over
    the table grows with replications.
    """
    kc = folder.key_column
    columns = _band_columns(kc)
    where = folder.partial / SPILL_BANDS
    try:
        split = BandSpill.written(where, keys, replications)
        firsts = None
        if split is not None:  # split while assembled: the monthly file is not needed
            parts, months, firsts = split
        else:  # one pass over the table now
            shutil.rmtree(where, ignore_errors=True)  # no stale part of another split
            path = folder.table("monthly")
            meta = pq.read_metadata(path)
            months = _months(path, meta)
            # Rows per month and replication, on average (from the file's metadata): it only
            # sizes the chunks, which never change a band (a group lies within one month).
            per_month = max(1, meta.num_rows // max(1, months * replications * len(keys)))
            step, chunks = _band_chunks(months, per_month, replications)
            parts = len(keys) * chunks
            spill(path, columns, _band_part(kc, keys, step, chunks), parts, where)
        # One part per key and month chunk: each part is read once, with no filtering.
        files = [part_file(where, n) for n in range(parts)]
        # The first month of the first key orders missions and categories, as in the table.
        if firsts is None:
            first = _frame(spilled(files[0], lambda b: pc.equal(b.column("month"), 0))
                           if files else [], columns)
            firsts = {name: [str(v) for v in first[name].unique()]
                      for name in ("mission", "category")}
        computed = [b for b in _map_parts(functools.partial(part_bands, key_column=kc), files)
                    if b is not None]
    finally:
        shutil.rmtree(where, ignore_errors=True)
    out = plain(pd.concat(computed, ignore_index=True))
    return _ordered(out, {kc: keys, "metric": BAND_METRICS, "mission": firsts["mission"],
                          "category": [*CATEGORIES, *firsts["category"]],
                          "month": range(months)})


PartMap = Callable[[Callable[[Path], Any], Sequence[Path]], list[Any]]
"""``map(fn, files)``: ``[fn(f) for f in files]``, in order, wherever it is computed."""

_PART_MAP: ContextVar[PartMap | None] = ContextVar("ppsim_part_map", default=None)
"""Where :func:`bands` and :func:`outcome_summaries` compute their parts (unset: in this
process; :func:`parts_computed_by`)."""


def _map_parts(fn: Callable[[Path], Any], files: Sequence[Path]) -> list[Any]:
    """``[fn(f) for f in files]``, by the mapper of :func:`parts_computed_by` if one is set."""
    mapper = _PART_MAP.get()
    return mapper(fn, files) if mapper is not None else [fn(file) for file in files]


@contextmanager
def parts_computed_by(mapper: PartMap | None) -> Iterator[None]:
    """Within the block, the summaries hand their parts to ``mapper`` (None: this process).

    The engine passes its local worker processes, idle once the last task is in: the parts
    are independent files of the run folder, so they are computed at once instead of one after
    another in the parent, whose serial work after the last task they were most of: the bands
    of a run's month chunks (0.4–0.6 s of 0.8–1.0 s after 160 baseline replications), the
    outcomes' means and standard deviations (their t intervals are added here: in a worker
    scipy's import, 0.2 s, would cost more than the work). A part's statistics are the same
    whoever computes them.
    """
    token = _PART_MAP.set(mapper)
    try:
        yield
    finally:
        _PART_MAP.reset(token)


def part_bands(file: Path, key_column: str) -> pd.DataFrame | None:
    """The bands of one part file of the split monthly table (None: the part has no rows).

    Module-level, so that a worker process can run it (:func:`parts_computed_by`).
    """
    rows = spilled(file)
    if not rows:
        return None
    chunk = _frame(rows, _band_columns(key_column))
    del rows  # the batches' buffers, before the bands' own arrays
    return stats.percentile_bands(chunk, [key_column, "date", "month", "mission", "category"],
                                  BAND_METRICS)


SPILL_BANDS = ".spill-bands"
"""The partial folder's temporary folder of monthly rows split for the bands."""


def _band_columns(kc: str) -> list[str]:
    return [kc, "date", "month", "mission", "category", *BAND_METRICS]


def _band_chunks(months: int, per_month: int, replications: int) -> tuple[int, int]:
    """(months per chunk, chunks): at most :data:`BAND_BUDGET_ROWS` rows of a key per chunk."""
    step = max(1, BAND_BUDGET_ROWS // (per_month * replications))
    return step, len(range(0, months, step))


class _TeedSplit:
    """A table split into part files while assembled (BandSpill, OutcomeSpill share this).

    The split lives in ``where``, is recorded in ``plan.json`` with the keys and replications
    it was made for, and is used only when they match (a resumed run assembles from the start).
    """

    def __init__(self, where: Path, keys: Sequence[Any], replications: int) -> None:
        self.where = where
        shutil.rmtree(self.where, ignore_errors=True)  # a resumed run assembles from the start
        self.keys = list(keys)
        self.replications = replications
        self._files = _PartFiles(self.where)

    def _record(self, **plan: Any) -> None:
        """Close the files and write the record of the split (``plan`` besides the keys)."""
        self._files.close()
        (self.where / "plan.json").write_text(json.dumps(
            {"keys": self.keys, "replications": self.replications, **plan}))

    def abandon(self) -> None:
        """Close and remove the files (the assembly failed)."""
        self._files.close()
        shutil.rmtree(self.where, ignore_errors=True)

    @staticmethod
    def _recorded(where: Path, keys: Sequence[Any], replications: int) -> dict[str, Any] | None:
        """The record of a split in ``where`` made for these keys and replications, if any."""
        try:
            plan = json.loads((where / "plan.json").read_text())
        except (OSError, ValueError):
            return None
        if plan.get("keys") != list(keys) or plan.get("replications") != replications:
            return None
        return dict(plan)


class BandSpill(_TeedSplit):
    """The monthly rows split for :func:`bands` while the run's tables are assembled.

    A :class:`~sim.runs.folder.TableTee` of the monthly table: each batch the assembly writes
    is cut by key and month chunk (:func:`_band_part`, one sort per batch) into the spill
    files :func:`bands` reads, so the bands need no pass over the table after the last task
    (at 10,000 tiny replications that pass was half of the bands' time). The chunks are sized
    from the first batch; :meth:`finish` records them (``plan.json``), and :func:`bands` uses
    the files only when that record matches its keys and replications; otherwise, or when
    there would be more than :data:`MAX_SPILL_FILES` parts, it splits the table itself. The
    parts hold the same rows in the same order either way, so the bands do not change.
    """

    def __init__(self, folder: RunFolder, keys: Sequence[Any], replications: int) -> None:
        super().__init__(folder.partial / SPILL_BANDS, keys, replications)
        self.kc = folder.key_column
        self._part_of: Callable[[pa.RecordBatch], np.ndarray] | None = None
        self._schema: pa.Schema | None = None
        self._parts = 0
        self._months = 0
        """Months of the table (its largest month + 1), over every batch so far."""
        self._firsts: dict[str, dict[str, None]] | None = {"mission": {}, "category": {}}
        """Missions and categories of the first key's first month, in order of appearance
        (None: a missing value among them; the bands then read them from the split)."""
        self._off = False

    def write(self, table: pa.Table) -> None:
        """Split one batch of monthly rows into the part files."""
        if self._off or table.num_rows == 0:
            return
        self._months = max(self._months, int(pc.max(table.column("month")).as_py()) + 1)
        self._note_firsts(table)
        if self._part_of is None and not self._plan(table):
            return
        assert self._part_of is not None and self._schema is not None
        selected = table.select(_band_columns(self.kc)).cast(self._schema).combine_chunks()
        for batch in selected.to_batches():
            for n, rows in _by_part(batch, self._part_of(batch), range(self._parts)):
                self._files.write(n, rows)

    def _note_firsts(self, table: pa.Table) -> None:
        """Add the missions and categories of this batch's rows of the first key's month 0."""
        if self._firsts is None or not self.keys:
            return
        first = table.filter(pc.and_(pc.equal(table.column(self.kc), self.keys[0]),
                                     pc.equal(table.column("month"), 0)))
        for name, seen in self._firsts.items():
            column = first.column(name)
            if column.null_count:
                self._firsts = None
                return
            for value in pc.unique(column).to_pylist():
                seen.setdefault(str(value))

    def _plan(self, table: pa.Table) -> bool:
        """Size the chunks from the first batch (whole tasks; every task has every month)."""
        months = int(pc.max(table.column("month")).as_py()) + 1
        first = pc.and_(pc.equal(table.column("replication"), table.column("replication")[0]),
                        pc.equal(table.column(self.kc), table.column(self.kc)[0]))
        per_month = max(1, int(pc.sum(first).as_py()) // months)
        step, chunks = _band_chunks(months, per_month, self.replications)
        self._parts = len(self.keys) * chunks
        if self._parts > MAX_SPILL_FILES:  # too many files open at once: bands split later
            self._off = True
            return False
        self._part_of = _band_part(self.kc, self.keys, step, chunks)
        self._schema = _as_read_back(table.select(_band_columns(self.kc)).schema)
        return True

    def finish(self) -> None:
        """Close the files and record the split (what :func:`bands` checks before using it)."""
        if self._off or self._part_of is None:
            self._files.close()
            return
        self._record(parts=self._parts, months=self._months,
                     firsts=None if self._firsts is None else {
                         name: list(seen) for name, seen in self._firsts.items()})

    @staticmethod
    def written(where: Path, keys: Sequence[Any], replications: int
                ) -> tuple[int, int, dict[str, list[str]] | None] | None:
        """The split made while assembling, if ``where`` holds one of these keys and replications.

        Returns:
            The number of parts, of months in the table, and the missions and categories of
            the first key's first month in order of appearance (None: not recorded).
        """
        plan = _TeedSplit._recorded(where, keys, replications)
        if plan is None:
            return None
        return int(plan["parts"]), int(plan["months"]), plan.get("firsts")


def _as_read_back(schema: pa.Schema) -> pa.Schema:
    """``schema`` as reading a Parquet file written with it gives it back.

    Parquet has no timestamps in seconds (the tables' dates are): they come back in
    milliseconds. The bands must see the types :func:`spill` reads from the file, or the
    summary's file would differ by its dates' unit.
    """
    sink = pa.BufferOutputStream()
    pq.write_table(schema.empty_table(), sink)
    return pq.read_schema(pa.BufferReader(sink.getvalue()))


def assembly_tees(folder: RunFolder, keys: Sequence[Any], replications: int
                  ) -> dict[str, TableTee]:
    """The splits the run summaries make while the tables are assembled (bands, outcomes)."""
    return {"monthly": BandSpill(folder, keys, replications),
            "outcomes": OutcomeSpill(folder, keys, replications)}


def _band_part(kc: str, keys: Sequence[Any], step: int, chunks: int
               ) -> Callable[[pa.RecordBatch], np.ndarray]:
    """Part numbers of monthly rows for :func:`bands`: key × chunks + month // step.

    Rows of a key not in ``keys`` get a negative number (no part), as a key filter drops them.
    """
    def part_of(batch: pa.RecordBatch) -> np.ndarray:
        chunk = batch.column("month").to_numpy() // step
        column = batch.column(kc)
        index = pc.index_in(column, value_set=pa.array(list(keys), type=column.type))
        key: np.ndarray = index.fill_null(-1).to_numpy()
        return np.where(key >= 0, key * chunks + chunk, -1)

    return part_of


def outcome_summary(outcomes: pd.DataFrame, key_column: str = "variant") -> pd.DataFrame:
    """Mean and 95% CI over replications of every scalar outcome."""
    return stats.summarize(outcomes, [key_column, "mission", "category", "outcome"])


def outcome_part(file: Path, columns: Sequence[str], key_column: str) -> pd.DataFrame | None:
    """The :func:`stats.moments` of one part file of the split outcomes (None: no rows).

    Module-level, so that a worker process can run it (:func:`parts_computed_by`); the
    intervals are added by the caller (they need scipy, which a worker would import first).
    """
    rows = spilled(file)
    if not rows:
        return None
    return plain(stats.moments(_frame(rows, columns),
                               [key_column, "mission", "category", "outcome"]))


OUTCOME_PARTS = 16
"""Parts the outcomes table is split into for :func:`outcome_summaries` (by outcome name)."""


class _OutcomeParts:
    """Part numbers of outcome rows (by outcome name), noting the order groups first appear in.

    Called on the table's batches in file order: the outcome names and the summary's groups
    (key, mission, category, outcome) are numbered by their first appearance in the whole
    table, whatever the batches' boundaries.
    """

    def __init__(self, key_column: str) -> None:
        self.by = [key_column, "mission", "category", "outcome"]
        self.first_seen: dict[tuple[Any, ...], int] = {}
        self.names: dict[str, int] = {}

    def __call__(self, batch: pa.RecordBatch) -> np.ndarray:
        for group in _first_rows(batch, self.by):
            self.first_seen.setdefault(group, len(self.first_seen))
        column = batch.column("outcome")
        for name in pc.unique(column).to_pylist():
            self.names.setdefault(name, len(self.names))
        index = pc.index_in(column, value_set=pa.array(list(self.names), pa.string()))
        return np.asarray(index.to_numpy(zero_copy_only=False)) % OUTCOME_PARTS


def _first_rows(batch: pa.RecordBatch, columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """The distinct rows of ``batch``'s ``columns``, as tuples, in order of first appearance.

    Each column is dictionary-encoded and the codes combined into one number per row, so only
    the distinct rows (hundreds in a batch of thousands) become Python tuples (pandas'
    ``drop_duplicates`` of the whole batch cost ~4 ms per 4,220 outcome rows).
    """
    if batch.num_rows == 0:
        return []
    code, size = np.zeros(batch.num_rows, dtype=np.int64), 1
    for name in columns:
        encoded = pc.dictionary_encode(batch.column(name), null_encoding="encode")
        if size * len(encoded.dictionary) >= 2**62:  # renumber the distinct codes so far
            code = np.unique(code, return_inverse=True)[1].astype(np.int64)
            size = int(code.max()) + 1
        code = code * len(encoded.dictionary) + encoded.indices.to_numpy(zero_copy_only=False)
        size *= len(encoded.dictionary)
    _, first = np.unique(code, return_index=True)
    rows = batch.select(list(columns)).take(pa.array(np.sort(first))).to_pylist()
    return [tuple(row[name] for name in columns) for row in rows]


OUTCOME_SPILL = ".spill-outcomes"
"""The partial folder's temporary folder of outcome rows split by outcome name."""


class OutcomeSpill(_TeedSplit):
    """The outcome rows split for :func:`outcome_summaries` while the run's tables are assembled.

    A :class:`~sim.runs.folder.TableTee` of the outcomes table, like :class:`BandSpill`: each
    batch the assembly writes is cut by outcome name into the part files, and :meth:`finish`
    records the split with the order the summary's groups first appeared in (``plan.json``), so
    the outcome summaries need no pass over the table after the last task (~35-50 ms of the
    parent after 160 baseline replications). The parts hold the same rows in the same order as
    :func:`spill` of the finished table gives, so the summary does not change.
    """

    def __init__(self, folder: RunFolder, keys: Sequence[Any], replications: int) -> None:
        super().__init__(folder.partial / OUTCOME_SPILL, keys, replications)
        self._parts = _OutcomeParts(folder.key_column)
        self._schema: pa.Schema | None = None

    def write(self, table: pa.Table) -> None:
        """Split one batch of outcome rows into the part files."""
        if table.num_rows == 0:
            return
        if self._schema is None:
            self._schema = _as_read_back(table.schema)
        for batch in table.cast(self._schema).combine_chunks().to_batches():
            for n, rows in _by_part(batch, self._parts(batch), range(OUTCOME_PARTS)):
                self._files.write(n, rows)

    def finish(self) -> None:
        """Close the files and record the split and the groups' order."""
        if self._schema is None:
            self._files.close()
            return
        self._record(parts=OUTCOME_PARTS, columns=self._schema.names,
                     groups=[list(group) for group in self._parts.first_seen])

    @staticmethod
    def written(where: Path, keys: Sequence[Any], replications: int
                ) -> tuple[list[Path], list[str], dict[tuple[Any, ...], int]] | None:
        """The split made while assembling, if ``where`` holds one of these keys and replications.

        Returns:
            The part files, the table's columns, and each group's rank of first appearance.
        """
        plan = _TeedSplit._recorded(where, keys, replications)
        if plan is None or plan.get("parts") != OUTCOME_PARTS:
            return None
        order = {tuple(group): i for i, group in enumerate(plan["groups"])}
        return [part_file(where, n) for n in range(OUTCOME_PARTS)], list(plan["columns"]), order


def outcome_summaries(folder: RunFolder, key_column: str = "variant",
                      keys: Sequence[Any] | None = None,
                      replications: int | None = None) -> pd.DataFrame:
    """:func:`outcome_summary` of ``tables/outcomes``, one part of the outcomes at a time.

    The table is split by outcome name (:class:`OutcomeSpill` while it is assembled, when its
    split matches ``keys`` and ``replications``; else :func:`spill` now), each part summarized
    alone, and the groups put back in their order of first appearance in the whole table: the
    same rows as from the whole table in memory, with a sixteenth of it in memory at once.
    """
    where = folder.partial / OUTCOME_SPILL
    try:
        split = (None if keys is None or replications is None
                 else OutcomeSpill.written(where, keys, replications))
        if split is not None:
            files, columns, first_seen = split
        else:
            shutil.rmtree(where, ignore_errors=True)  # no stale part of another split
            path = folder.table("outcomes")
            columns = pq.read_schema(path).names
            part_of = _OutcomeParts(key_column)
            files = spill(path, columns, part_of, OUTCOME_PARTS, where)
            first_seen = part_of.first_seen
        parts = [stats.intervals(part) for part in _map_parts(functools.partial(
            outcome_part, columns=tuple(columns), key_column=key_column), files)
            if part is not None]
    finally:
        shutil.rmtree(where, ignore_errors=True)
    if not parts:
        return plain(outcome_summary(read_table(folder.table("outcomes")), key_column))
    out = pd.concat(parts, ignore_index=True)
    by = [key_column, "mission", "category", "outcome"]
    rank = [first_seen[group] for group in out[by].itertuples(index=False, name=None)]
    return out.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)


def target_summary(targets: pd.DataFrame, key_column: str = "variant") -> pd.DataFrame:
    """Probability of meeting each women's-share target on its date (Wilson 95% interval).

    Next to it, the mean share on that date; ``headline`` marks targets dated after the run's
    start and within the run (the others are kept for the record but left out of headlines).
    """
    return stats.target_probabilities(
        targets, [key_column, "mission", "category", "target_date", "target_share", "headline"])


def write_run_summaries(folder: RunFolder, job: Job, replications: int) -> dict[str, Any]:
    """``summary/bands``, ``summary/outcomes`` and ``summary/targets`` of a run.

    The outcomes and targets are summarized in a second thread while this one does the bands,
    which mostly wait for their parts (:func:`parts_computed_by`): the outcomes' split (~35 ms
    after 160 baseline replications) and the summaries' files no longer follow the bands. Each
    summary is computed and written by one thread, so its files do not change.
    """
    context = contextvars.copy_context()  # the parts' mapper (a context variable) goes along
    with ThreadPoolExecutor(1, thread_name_prefix="ppsim-summaries") as other:
        outcomes = other.submit(context.run, _write_outcome_and_target_summaries, folder,
                                job.keys, replications)
        folder.write_frame(bands(folder, job.keys, replications), "summary/bands")
        outcomes.result()  # (if the bands fail, their error is raised once this thread ends)
    return validation_summaries(folder, job)


def _write_outcome_and_target_summaries(folder: RunFolder, keys: Sequence[Any],
                                        replications: int) -> None:
    """``summary/outcomes`` and ``summary/targets`` (see :func:`write_run_summaries`)."""
    folder.write_frame(outcome_summaries(folder, folder.key_column, keys, replications),
                       "summary/outcomes")
    targets = read_table(folder.table("targets"))
    folder.write_frame(plain(target_summary(targets)), "summary/targets")


def validation_summaries(folder: RunFolder, job: Job) -> dict[str, Any]:
    """``summary/validation*`` when the scenario carries published figures (historical check).

    Returns the error metrics for the manifest (empty when there is nothing to check).
    """
    from sim.outputs.validation import category_metrics, error_metrics, observed_vs_simulated

    key, scenario = next(iter(job.scenarios.items()))
    if not scenario.observed:
        return {}
    columns = ["date", "mission", "category", "deployed", "women_share", "authorized"]
    missions = sorted({o.mission for o in scenario.observed})
    monthly = pd.read_parquet(folder.table("monthly"), columns=columns,
                              filters=[("variant", "==", str(key)),
                                       ("mission", "in", missions)])
    calibration = scenario.calibration
    until = calibration.until if calibration is not None else None
    matched = observed_vs_simulated(monthly, scenario.observed, until)
    metrics = error_metrics(matched)
    by_category = category_metrics(matched)
    folder.write_frame(matched, "summary/validation")
    folder.write_frame(metrics, "summary/validation_metrics")
    folder.write_frame(by_category, "summary/validation_by_category")
    extra: dict[str, Any] = {"validation": metrics.to_dict("records")}
    if calibration is not None:
        extra["calibration"] = calibration.model_dump(mode="json")
    return extra


def month_of(starts: Sequence[date], when: date) -> int:
    """Index of the month (by its first day) that contains ``when``."""
    index = int(np.searchsorted(np.array(starts, dtype="datetime64[D]"),
                                np.datetime64(when, "D"), side="right")) - 1
    return max(index, 0)


def headline_values(folder: RunFolder, at: Sequence[date]) -> pd.DataFrame:
    """Per replication values of the comparison's headline outcomes, stacked (long format).

    Columns: variant, replication, outcome, mission, category, at, value.
    """
    for name in ("outcomes", "monthly", "skills"):
        folder.table(name)  # (waits until the file is whole)
    tables = folder.partial / "tables"
    keys = ["variant", "replication", "mission", "category"]
    headline = list(catalog.headline())
    horizon = plain(_frame(list(scan(tables / "outcomes.parquet", pq.read_schema(
        tables / "outcomes.parquet").names, lambda b: pc.is_in(
            b.column("outcome"), value_set=pa.array(headline, pa.string())))),
        ["variant", "replication", "mission", "category", "outcome", "value"]))
    horizon["at"] = "horizon"
    parts = [horizon[[*keys, "outcome", "at", "value"]]]
    if at:
        path = tables / "monthly.parquet"
        first = pa.Table.from_batches(list(scan(path, ["replication", "date"], lambda b: pc.equal(
            b.column("replication"), 0)))).column("date").to_pandas()
        starts = sorted({pd.Timestamp(s).date() for s in first})
        for when in at:
            parts.extend(_dated(tables, month_of(starts, when), when.isoformat()))
    values = pd.concat(parts, ignore_index=True)
    values["value"] = values["value"].astype(float)
    return values


def _dated(tables: Path, month: int, label: str) -> list[pd.DataFrame]:
    """The :data:`DATED_OUTCOMES` of every replication in month ``month`` (streamed)."""
    keys = ["variant", "replication", "mission", "category"]
    sums = ["_sum", "_n", "unit_gap_days"]
    cols = [*keys, "month", "deployed", "vacancy_rate", "women_share", "arrivals",
            "time_to_deploy_days", "unit_gap_days"]
    points, partial = [], []
    for batch in scan(tables / "monthly.parquet", cols,
                      lambda b: pc.less_equal(b.column("month"), month)):
        frame = batch.to_pandas()
        now = frame[frame["month"] == month]
        points.append(now.melt(id_vars=keys, value_vars=["deployed", "vacancy_rate",
                                                         "women_share"],
                               var_name="outcome", value_name="value"))
        frame = frame.assign(_sum=frame["time_to_deploy_days"] * frame["arrivals"],
                             _n=frame["arrivals"].where(frame["time_to_deploy_days"].notna(), 0))
        partial.append(frame.groupby(keys, sort=False)[sums].sum().reset_index())
    cum = pd.concat(partial, ignore_index=True).groupby(keys, sort=False)[sums].sum() \
        .reset_index()
    cum["mean_time_to_deploy"] = cum["_sum"] / cum["_n"].where(cum["_n"] > 0)
    cumulative = cum.melt(id_vars=keys, value_vars=["mean_time_to_deploy", "unit_gap_days"],
                          var_name="outcome", value_name="value")
    skills = pd.concat([b.to_pandas() for b in scan(
        tables / "skills.parquet", ["variant", "replication", "mission", "month", "coverage"],
        lambda b: pc.equal(b.column("month"), month))], ignore_index=True)
    cover = skills.groupby(["variant", "replication", "mission"], sort=False)["coverage"] \
        .mean().rename("value").reset_index()
    cover["category"] = "ipo"
    cover["outcome"] = "specialist_coverage"
    out = []
    for part in (pd.concat(points, ignore_index=True), cover, cumulative):
        part = part.copy()
        part["at"] = label
        out.append(part[[*keys, "outcome", "at", "value"]])
    return out


def comparison_table(values: pd.DataFrame, variants: Sequence[str]) -> pd.DataFrame:
    """Mean and CI per variant, and the paired difference from the base, of each headline value.

    Returns:
        Columns variant, outcome, mission, category, at, n, mean, ci_low, ci_high, diff_mean,
        diff_ci_low, diff_ci_high; the base's differences are exactly zero.
    """
    by = ["outcome", "mission", "category", "at"]
    means = stats.summarize(values, ["variant", *by]).drop(columns="sd")
    diffs = stats.paired_differences(values, by).drop(columns="n")
    out = means.merge(diffs, on=["variant", *by], how="left", sort=False)
    out = out[["variant", *by, "n", "mean", "ci_low", "ci_high", "diff_mean", "diff_ci_low",
               "diff_ci_high"]]
    # Horizon and dated rows each follow their own list's order.
    horizon = {o: i for i, o in enumerate(catalog.headline())}
    dated = {o: i for i, o in enumerate(DATED_OUTCOMES)}
    out["_rank"] = [(horizon if a == "horizon" else dated).get(o, 99)
                    for a, o in zip(out["at"], out["outcome"], strict=True)]
    out = _ordered(out, {"at": list(values["at"].unique()), "_rank": range(100),
                         "mission": list(values["mission"].unique()),
                         "category": [*CATEGORIES, *values["category"].unique()],
                         "variant": variants})
    return out.drop(columns="_rank")


def compare_summaries(at: Sequence[date]) -> Callable[[RunFolder, Job, int], dict[str, Any]]:
    """The summary writer of a comparison: run summaries plus ``summary/comparison``."""
    def write(folder: RunFolder, job: Job, replications: int) -> dict[str, Any]:
        extra = write_run_summaries(folder, job, replications)
        values = headline_values(folder, at)
        folder.write_frame(comparison_table(values, job.keys), "summary/comparison")
        return {**extra, "at": [d.isoformat() for d in at]}
    return write
