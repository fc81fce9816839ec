"""Run folders: where a run's tasks, tables, summaries and manifest are written, atomically.

A run folder's life cycle (``out`` is the folder the user asked for)::

    prepared ──► open ──► tasks saved one by one ──► assembled ──► finished
    (checks)     <out>.partial/          tasks/<key>/<rep>.arrow   tables/, summary/   <out>

- **prepared**: :meth:`RunFolder.prepare` checks that ``<out>`` does not exist (or, with
  ``replace``, is a finished ppsim run) and that an existing ``<out>.partial`` is only reused
  with ``resume=True``, the same settings (ppsim version and model-code digest included) and no
  other live writer. Nothing is written, so bad input never leaves a folder behind.
- **open**: :meth:`RunFolder.create` makes ``<out>.partial/`` (exclusively: two runs cannot
  both create it) with the marker ``.ppsim-run``, the lock ``.ppsim-lock``
  (:mod:`sim.runs.ownership`), ``settings.json`` (what must match to resume), ``scenario.yaml``
  (the file as loaded) and ``resolved/<variant>.json``.
- **tasks saved**: each finished task's tables are one file, written under a temporary name and
  moved into place with :func:`os.replace`, so a killed run leaves only whole task files; a
  resumed run skips the tasks whose file exists.
- **assembled**: an :class:`Assembly` streams the task files, in a fixed order (key order as
  given, then replication), into ``tables/<table>.parquet`` and ``.csv``, while the tasks run
  as far as they arrive in order, the rest after the last one (:meth:`RunFolder.assemble` does
  it all at the end) — the bytes do not depend on which executor ran the tasks, or in which
  order or when they finished.
- **finished**: :meth:`RunFolder.finish` writes ``manifest.json``, renames ``<out>.partial`` to
  ``<out>`` (a replaced run is first moved to a unique hidden name and deleted only after the
  swap), drops the lock and deletes ``tasks/``. A folder without ``.partial`` is always whole.

Only folders carrying the marker are ever written into, replaced or deleted. On resume, a task
file that cannot be read (truncated by a full disk, damaged) is reported, set aside and re-run.

:class:`RunResult` opens a finished folder and reads its tables lazily.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import logging
import os
import queue
import secrets
import shutil
import struct
import sys
import threading
import time
import zlib
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol
from urllib.parse import quote

from sim import lazy
from sim.errors import ResultsError
from sim.runs import ownership
from sim.runs.ownership import MARKER, has_marker
from sim.runs.spool import BufferSpool
from sim.runs.task import TaskOutput

if TYPE_CHECKING:  # pandas is imported where frames are read (a worker never imports it)
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq  # imported where the parent writes Parquet (a worker does not)

    from sim import arrays
else:  # imported when first used: a run's parent submits its first tasks without them
    np = lazy.module("numpy", globals(), "np")
    pa = lazy.module("pyarrow", globals(), "pa")
    pacsv = lazy.module("pyarrow.csv", globals(), "pacsv")
    arrays = lazy.module("sim.arrays", globals(), "arrays")

log = logging.getLogger(__name__)

TABLES = ("monthly", "skills", "pipeline", "contributors", "deploy_times", "targets", "outcomes",
          "cases")
"""The tables one replication produces (``docs/outputs.md``), in the order they are written."""

BATCH_ROWS = 50_000
"""Rows buffered per table while assembling: bounds memory whatever the replication count."""

COMPACT_TABLES = 256
"""Task tables buffered per table before they are merged into one (see ``_TableWriter``)."""

_TASK_META = b"ppsim.task"
_TRAILER = b"PPSIMTASK1"

MAX_NAME = 120
"""Longest file name made from a key; longer keys are cut and suffixed with a hash."""


# --- One task's tables as one file ---------------------------------------------------------------


def encode_task(tables: Mapping[str, pa.Table | pd.DataFrame], meta: Mapping[str, Any],
                key: str | int | None = None, replication: int | None = None) -> bytes:
    """Encode a task's tables as one Arrow IPC file: a row per table holding its own IPC stream.

    Nesting keeps one file (one atomic write) per task while each table keeps its own schema;
    ``meta`` (timings, worker) goes in the file's schema metadata. Arrow IPC reads several
    times faster than Parquet, which matters because the parent decodes every task, one after
    another (its serial work per replication). The inner streams are not compressed; the outer
    file is, with LZ4, as one buffer: LZ4 on each inner column buffer cost 1.3 ms per tiny
    task to decode (a frame per small buffer), one frame 0.25 ms, and the file is smaller.

    With ``key`` and ``replication``, each table's rows are also rendered here as the lines
    of the run's CSV file (:func:`csv_rows`), so that the parent appends them as they are
    instead of formatting every number itself: CSV formatting was half of the parent's work
    per task, and workers do it in parallel.

    The Arrow bytes are followed by a trailer (``_TRAILER`` magic, CRC-32 and length of the
    Arrow bytes), checked by :func:`decode_task` before Arrow parses anything: a damaged file
    is an error, never a crash (Arrow may crash on corrupted IPC metadata).
    """
    names, blobs, lines = [], [], []
    for name, frame in tables.items():
        # One thread: a worker has one core, and Arrow's thread pool starts Python threads per
        # call. Encoding a baseline task: 33-36 ms with it, 27-32 ms without (after simulate,
        # as in a worker; 57 against 31 ms encoding the same tables over and over).
        table = (frame if isinstance(frame, pa.Table)
                 else pa.Table.from_pandas(frame, preserve_index=False, nthreads=1))
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        names.append(name)
        blobs.append(sink.getvalue().to_pybytes())
        if key is not None and replication is not None:
            lines.append(csv_rows(keyed(table, key, replication, key_type(key))))
    columns = {"table": arrays.text(names, pa.string()), "data": arrays.binary(blobs)}
    if lines:
        columns["csv"] = arrays.binary(lines)
    outer = pa.table(columns)
    outer = outer.replace_schema_metadata({_TASK_META: json.dumps(dict(meta)).encode()})
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="lz4", use_threads=False)
    with pa.ipc.new_file(sink, outer.schema, options=options) as writer:
        writer.write_table(outer)
    body = bytes(sink.getvalue().to_pybytes())
    return body + _TRAILER + struct.pack("<IQ", zlib.crc32(body), len(body))


def key_type(key: str | int) -> pa.DataType:
    """The Arrow type of the key column: text for variant names, integers for sweep points."""
    return pa.string() if isinstance(key, str) else pa.int64()


def keyed(table: pa.Table, key: str | int, replication: int, kind: pa.DataType,
          column: str = "key") -> pa.Table:
    """``table`` as the run's tables hold it: without pandas metadata, key and replication first.

    ``column`` names the key column (``variant`` or ``point`` in a run's tables; a worker's CSV
    lines do not show it).
    """
    table = table.replace_schema_metadata(None)
    n = table.num_rows
    # built from buffers (a Python list of n keys took 2.3 ms per baseline task; pa.scalar
    # imports pandas, which a worker does not: sim.arrays)
    table = table.add_column(0, pa.field(column, kind), arrays.repeat(key, n, kind))
    return table.add_column(1, pa.field("replication", pa.int64()),
                            arrays.repeat(replication, n, pa.int64()))


def csv_rows(table: pa.Table) -> bytes:
    """The CSV lines of ``table`` (no header), as the run's CSV files write them."""
    sink = pa.BufferOutputStream()
    pacsv.write_csv(_for_csv(table, csv_schema(table.schema)), sink,
                    pacsv.WriteOptions(include_header=False))
    return bytes(sink.getvalue().to_pybytes())


def _checked_body(data: bytes) -> memoryview:
    """The Arrow bytes of a task file after checking its trailer (magic, CRC-32, length).

    A view of ``data``, not a copy (a task of the baseline is ~1.6 MB).
    """
    size = len(_TRAILER) + struct.calcsize("<IQ")
    if len(data) < size or data[-size:-size + len(_TRAILER)] != _TRAILER:
        raise ValueError(f"no ppsim trailer (file of {len(data)} bytes is truncated)")
    crc, length = struct.unpack("<IQ", data[-size + len(_TRAILER):])
    body = memoryview(data)[:-size]
    if length != len(body) or zlib.crc32(body) != crc:
        raise ValueError("checksum mismatch (the file's bytes changed after it was written)")
    return body


class DamagedTaskError(ResultsError):
    """A task file that cannot be decoded (truncated or corrupted)."""


def decode_task(source: str | Path | bytes) -> tuple[dict[str, pa.Table], dict[str, Any]]:
    """The tables and metadata of a task file (or of its bytes).

    Raises:
        DamagedTaskError: the file is truncated or corrupted (Arrow cannot read it).
    """
    tables, meta, _ = decode_task_rows(source)
    return tables, meta


def decode_task_rows(source: str | Path | bytes
                     ) -> tuple[dict[str, pa.Table], dict[str, Any], dict[str, pa.Buffer]]:
    """As :func:`decode_task`, with the CSV lines the worker rendered for each table.

    Files written without them (no ``key`` given to :func:`encode_task`) give none. The lines
    are views of the decoded file (``bytes(lines)`` copies them out).
    """
    try:
        return _decode(source)
    except (pa.ArrowException, ValueError, KeyError, TypeError, IndexError) as exc:
        where = "task data" if isinstance(source, bytes) else str(source)
        raise DamagedTaskError(f"{where}: damaged task file ({exc.__class__.__name__}: "
                               f"{exc})") from None


def _decode(source: str | Path | bytes
            ) -> tuple[dict[str, pa.Table], dict[str, Any], dict[str, pa.Buffer]]:
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    pool = decoding_pool()
    outer = pa.ipc.open_file(pa.BufferReader(_checked_body(data)), memory_pool=pool).read_all()
    meta = json.loads((outer.schema.metadata or {}).get(_TASK_META, b"{}"))
    names = outer.column("table").to_pylist()
    tables = {}
    # Each table's stream copied out of the file (a view would keep the whole decoded file
    # alive as long as any of its tables waits in an assembly buffer).
    for name, stream in zip(names, _values(outer.column("data")), strict=True):
        tables[name] = pa.ipc.open_stream(_copied(stream, pool)).read_all()
    lines = {}
    if "csv" in outer.column_names:
        lines = dict(zip(names, _values(outer.column("csv")), strict=True))
    return tables, meta, lines


@functools.cache
def decoding_pool() -> pa.MemoryPool:
    """The Arrow memory pool that decoded task files live in: one that reuses freed pages.

    A run's parent allocates from the system pool with a low mmap threshold
    (:mod:`sim.memory`), so that memory it frees goes back; but then every large block is
    mapped afresh and faulted in page by page. A decoded task is such a block (a baseline
    task: ~7 MB decompressed, ~4 MB of tables copied out of it), needed for a moment or
    until its batch is written, and the next task needs the same again: jemalloc (else
    mimalloc, else the system pool) keeps and reuses those pages. Decoding a baseline task
    took 6.5 ms, 2.0 ms from jemalloc; appending it 18.5 ms, 14.0 ms. What the pool holds is
    bounded by the assembly's buffers, whatever the replications: the parent's peak was
    ~14 MB higher with baseline tasks, 1 MB with tiny ones, and grew no faster
    (``benchmarks/bench_parent.py``; mimalloc cost 14 MB with tiny ones).
    """
    for make in (pa.jemalloc_memory_pool, pa.mimalloc_memory_pool):
        try:
            return make()
        except NotImplementedError:  # this pyarrow build lacks it
            continue
    return pa.system_memory_pool()


def _copied(view: pa.Buffer, pool: pa.MemoryPool) -> pa.Buffer:
    """A copy of ``view`` allocated from ``pool`` (one ``memcpy``)."""
    copy = pa.allocate_buffer(view.size, memory_pool=pool)
    np.frombuffer(copy, dtype=np.uint8)[:] = np.frombuffer(view, dtype=np.uint8)
    return copy


def write_task_file(path: Path, blob: bytes) -> None:
    """Store an encoded task atomically (temporary name, then :func:`os.replace`).

    Written by the run's parent, or by a local worker given the path (``TaskSpec.store``):
    either way the file appears whole or not at all. Not forced to disk (``fsync``): a killed
    process loses nothing the kernel holds, and a file torn by a power cut fails its checksum
    on resume and is run again (:meth:`RunFolder.done`). An fsync per task cost the parent
    ~4 ms of waiting per task, serially: at 16 workers of short replications, more than the
    parent's own work.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as handle:
        handle.write(blob)
    os.replace(tmp, path)


def _values(column: pa.ChunkedArray) -> list[pa.Buffer]:
    """The values of a (large) binary column as views of its data, not copies.

    Iterating the array copies each value (``Array.GetScalar`` makes a string of it), and so
    does ``to_pylist``: a baseline task's CSV lines are 2.9 MB, copied into fresh pages. The
    lines are written as soon as they are decoded (:class:`_TableWriter`), so a view suffices.
    """
    views: list[pa.Buffer] = []
    for chunk in column.chunks:
        _, offsets, data = chunk.buffers()
        kind = np.dtype(np.int64 if pa.types.is_large_binary(chunk.type) else np.int32)
        bounds = np.frombuffer(offsets, dtype=kind, count=len(chunk) + 1,
                               offset=chunk.offset * kind.itemsize).tolist()
        data = data if data is not None else pa.py_buffer(b"")  # every value empty
        views.extend(data.slice(start, end - start) for start, end in itertools.pairwise(bounds))
    return views


def _dirname(key: str | int) -> str:
    """A file name for a task key: the name itself when safe, else percent-encoded."""
    text = str(key)
    safe = quote(text, safe="")
    if len(safe) > MAX_NAME:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        safe = f"{safe[:MAX_NAME - 13]}-{digest}"
    return safe if safe not in (".", "..") else safe.replace(".", "%2E")


# --- Writing frames ------------------------------------------------------------------------------


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)


def csv_schema(schema: pa.Schema) -> pa.Schema:
    """The schema a table is written to CSV with: timestamps as ISO dates.

    Every ppsim timestamp is a day (month starts, target dates), so ``2025-01-01`` rather than
    ``2025-01-01 00:00:00``.
    """
    return pa.schema([pa.field(f.name, pa.date32()) if pa.types.is_timestamp(f.type) else f
                      for f in schema])


def _for_csv(table: pa.Table, schema: pa.Schema) -> pa.Table:
    return table.cast(schema, safe=False)


def write_frame(frame: pd.DataFrame, path_stem: Path) -> None:
    """Write ``frame`` as ``<stem>.parquet`` and ``<stem>.csv``."""
    import pyarrow.parquet as pq

    path_stem.parent.mkdir(parents=True, exist_ok=True)
    table = _to_arrow(frame)
    pq.write_table(table, path_stem.with_suffix(".parquet"))
    write_csv(frame, path_stem.with_suffix(".csv"))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV with Arrow's writer (shortest round-trip floats, empty for NaN)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = _to_arrow(frame)
    pacsv.write_csv(_for_csv(table, csv_schema(table.schema)), path)


class TableTee(Protocol):
    """Fed with a table's rows as the assembly writes them, in the file's order and batches.

    :meth:`write` gets each batch written to the Parquet file (the file's schema; up to
    :data:`BATCH_ROWS` rows), before the file does; then :meth:`finish` once it has every
    batch (the file's last batch may still be being written), or :meth:`abandon` if the
    assembly failed (also after :meth:`finish`). The summaries use them to split the monthly
    rows for the bands and the outcomes by name while tasks arrive, instead of in passes over
    the tables after the last task.
    """

    def write(self, table: pa.Table) -> None:
        """Take one batch of the table's rows."""

    def finish(self) -> None:
        """Every batch of the table was given."""

    def abandon(self) -> None:
        """The assembly failed: drop what was written."""


class _TableWriter:
    """Streams Arrow tables of one kind into a Parquet file and a CSV file, in batches.

    The CSV file is written as bytes: the header once, then each table's lines, rendered by
    the worker when its schema is the file's (the usual case: :func:`csv_rows`), else here
    from the table conformed to the file's columns and types; Arrow's CSV writer gives the
    same lines either way (it formats row by row). The first batch fixes the file's schema;
    until then the lines wait in the buffer, after it each table's lines are written as it is
    added (the same bytes in the same order, without holding a batch of lines in memory). A
    ``tee`` gets each batch too.
    """

    def __init__(self, stem: Path, tee: TableTee | None = None) -> None:
        self.stem = stem
        self.tee = tee
        self.rows = 0
        self._buffer: list[pa.Table] = []
        self._lines: list[bytes | None] = []
        self._buffered = 0
        self._spool = BufferSpool(stem)
        self._schema: pa.Schema | None = None
        self._parquet: pq.ParquetWriter | None = None
        self._csv: BinaryIO | None = None
        self._held: list[pa.Table] = []  # batches not yet written to the Parquet file
        self.hold_parquet = False
        """Hold each batch's Parquet write until the closing flush (see :meth:`flush`)."""

    def add(self, table: pa.Table, lines: bytes | pa.Buffer | None = None) -> None:
        """Buffer ``table``; its CSV ``lines`` (if a worker rendered them) too, or write them.

        Lines kept in the buffer are copied out (a view would keep its whole task file alive).
        """
        if self._csv is not None:
            self._csv.write(self._csv_lines(table, lines))
        else:
            self._lines.append(None if lines is None else bytes(lines))
        self._buffer.append(table)
        self._buffered += table.num_rows
        if self._buffered >= BATCH_ROWS:
            self.flush()
        elif len(self._buffer) + bool(self._spool) >= COMPACT_TABLES:
            self._compact()

    def _compact(self) -> None:
        """Merge the buffered tables into one (same rows, same order) when they share a schema.

        A table of a few rows per task (``targets``, an empty ``cases``) takes thousands of
        tasks to fill a batch, and each buffered task table costs some kilobytes of Arrow
        objects: merged, the buffer stays small, and the merged table waits on disk
        (:class:`~sim.runs.spool.BufferSpool`), so that what such a table buffers does not
        grow with the number of replications. The files do not change: the writers write
        the same rows whatever the chunks (checked by the run-folder hashes in the tests).
        """
        first = self._spool.schema or self._buffer[0].schema
        if all(t.schema.equals(first) for t in self._buffer):
            rendered = [x for x in self._lines if x is not None]
            whole = self._csv is None and len(rendered) == len(self._lines)
            self._spool.append(pa.concat_tables(self._buffer).combine_chunks(),
                               b"".join(rendered) if whole else None)
            self._buffer, self._lines = [], []

    def flush(self, teed: Callable[[], None] | None = None) -> None:
        """Make what is buffered one batch: the tee gets it, then the CSV and Parquet files.

        With :attr:`hold_parquet` (a lane's writer, :class:`_Lane`) the batch's Parquet write
        waits for the closing flush, which calls ``teed`` once the tee has its last batch and
        then writes the held batches in order (the same row groups): what the tee feeds need
        not wait for the Parquet file. ``teed`` is also called when nothing is buffered.
        """
        lines_pending = self._csv is None  # else written as the tables were added
        if self._spool:
            merged, lines = self._spool.take()
            self._buffer.insert(0, merged)
            if lines_pending:
                self._lines.insert(0, lines)
        if self._buffer:
            self._batch(lines_pending)
        if self.hold_parquet and teed is None:
            return
        if teed is not None:
            teed()
        if self._held:
            assert self._parquet is not None
            for batch in self._held:
                self._parquet.write_table(batch)
            self._held = []

    def _batch(self, lines_pending: bool) -> None:
        """The buffered tables as one batch: to the tee, to the CSV file, held for Parquet."""
        if self._schema is None:
            # The first batch fixes the schema (a column all-null in one task is typed by others).
            self._schema = pa.unify_schemas([t.schema for t in self._buffer],
                                            promote_options="permissive")
            import pyarrow.parquet as pq

            self._parquet = pq.ParquetWriter(self.stem.with_suffix(".parquet"), self._schema)
            self._csv = open(self.stem.with_suffix(".csv"), "wb")  # noqa: SIM115 - kept open
            self._csv.write(_csv_header(self._schema))
        batch = pa.concat_tables([self._conformed(t) for t in self._buffer])
        assert self._csv is not None
        if self.tee is not None:
            self.tee.write(batch)
        if lines_pending:
            for table, lines in zip(self._buffer, self._lines, strict=True):
                self._csv.write(self._csv_lines(table, lines))
        self._held.append(batch)
        self.rows += batch.num_rows
        self._buffer, self._lines, self._buffered = [], [], 0

    def _csv_lines(self, table: pa.Table, lines: bytes | pa.Buffer | None) -> bytes | pa.Buffer:
        """``table``'s lines of the CSV file: the worker's when its schema is the file's."""
        assert self._schema is not None
        if lines is not None and table.schema.equals(self._schema):
            return lines
        return csv_rows(self._conformed(table))

    def _conformed(self, table: pa.Table) -> pa.Table:
        """``table`` with the file's columns and types (as it is when they already match)."""
        assert self._schema is not None
        if table.schema.equals(self._schema):
            return table  # the usual case: selecting and casting would copy for nothing
        try:
            return table.select(self._schema.names).cast(self._schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, KeyError) as exc:
            raise ResultsError(f"{self.stem.name}: a task's table does not match the others' "
                               f"columns ({exc})") from None

    def close(self, teed: Callable[[], None] | None = None) -> None:
        """Write what is buffered and close the files (``teed``: see :meth:`flush`)."""
        self.flush(teed)
        self.abandon()

    def abandon(self) -> None:
        """Close the files as they are (what is buffered is dropped; idempotent)."""
        self._buffer, self._lines, self._buffered, self._held = [], [], 0, []
        self._spool.discard()
        if self._parquet is not None and self._csv is not None:
            self._parquet.close()
            self._csv.close()
        self._parquet = self._csv = None


def _csv_header(schema: pa.Schema) -> bytes:
    """The header line Arrow's CSV writer starts a file of ``schema`` with."""
    sink = pa.BufferOutputStream()
    pacsv.write_csv(schema.empty_table().cast(csv_schema(schema), safe=False), sink)
    return bytes(sink.getvalue().to_pybytes())


# --- The run folder ------------------------------------------------------------------------------


def partial_path(out: Path) -> Path:
    """The temporary name a run is written under until it is whole."""
    return out.with_name(out.name + ".partial")


def _normalize(settings: Mapping[str, Any]) -> dict[str, Any]:
    normalized: dict[str, Any] = json.loads(json.dumps(settings, default=str))
    return normalized


SETTING_LABELS = {
    "code": "the model code (sim/model, sim/scenario, task encoding) changed since the "
            "unfinished run began",
    "ppsim_version": "the ppsim version changed since the unfinished run began",
    "scenario": "the scenario file changed since the unfinished run began",
}
"""Why a resume is refused, for settings whose raw values (digests) say little."""


def _check_out_path(path: Path) -> None:
    """Refuse ``--out`` values that cannot name a run folder: ``.``, ``..``, a path under a file.

    Raises:
        ResultsError: the path names the current or parent folder, or a part of it is a file.
    """
    if path.name in ("", ".", "..") or path.name.endswith(".partial"):
        raise ResultsError(f"--out {str(path)!r}: must name a new folder (not '.', '..', or a "
                           "name ending in .partial); e.g. --out runs/my-run")
    if "\0" in str(path):
        raise ResultsError(f"--out {str(path)!r}: contains a NUL character")
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise ResultsError(f"--out {path}: {parent} is a file, not a folder; choose "
                                   "an --out whose parent is a folder")
            break


def _check_existing(path: Path, replace: bool) -> None:
    """Refuse an existing ``--out`` unless it is a finished ppsim run and ``replace`` is set."""
    if not (path.exists() or path.is_symlink()):
        return
    if not path.is_dir() or path.is_symlink():
        raise ResultsError(f"{path} already exists and is not a folder; ppsim never deletes "
                           "what it did not write; choose another --out")
    if not has_marker(path):
        raise ResultsError(f"{path} already exists and is not a ppsim run folder (it has no "
                           f"{MARKER} marker), so ppsim will neither write into nor replace "
                           "it; choose a new --out (a folder that does not exist yet)")
    if not replace:
        raise ResultsError(f"{path} already exists (a finished run); choose another "
                           "--out, or --replace it")


def _changed(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """One line per setting that differs between the unfinished run and this one."""
    lines = []
    for key in sorted(set(stored) | set(wanted)):
        if stored.get(key) == wanted.get(key):
            continue
        was, now = stored.get(key), wanted.get(key)
        label = SETTING_LABELS.get(key)
        lines.append(f"{key}: was {was!r}, now {now!r}" + (f" ({label})" if label else ""))
    return lines


@dataclass
class RunFolder:
    """A run folder being written (see the module docstring for its life cycle).

    Attributes:
        out: the final folder.
        partial: ``<out>.partial``, where everything is written until the run is whole.
        key_column: the name of the key column added to tables (``variant`` or ``point``).
        resumed: whether an existing partial folder is being continued.
        replace: whether a finished run already at ``out`` is replaced when this one is whole.
        damaged: task files found unreadable on resume (set aside and re-run).
    """

    out: Path
    key_column: str
    settings: dict[str, Any]
    resumed: bool = False
    replace: bool = False
    partial: Path = field(init=False)
    damaged: list[Path] = field(default_factory=list)
    _assembly: Assembly | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.partial = partial_path(self.out)

    @classmethod
    def prepare(cls, out: str | Path, settings: Mapping[str, Any], resume: bool,
                key_column: str = "variant", replace: bool = False) -> RunFolder:
        """Check that ``out`` can be written (or resumed with the same ``settings``).

        With ``replace``, a finished run folder already at ``out`` is kept until the new run is
        whole and then swapped out; any other existing path is an error (ppsim only replaces
        folders carrying its marker).

        Raises:
            ResultsError: ``out`` cannot name a folder or lies under a file; it exists (and
                ``replace`` is false or it is not a ppsim run folder); its partial folder exists
                and ``resume`` is false, was not written by ppsim, or is being written by
                another live run; or ``resume`` is true and the partial folder's settings
                differ (naming them).
        """
        path = Path(out)
        _check_out_path(path)
        partial = partial_path(path)
        wanted = _normalize(settings)
        _check_existing(path, replace)
        if not (partial.exists() or partial.is_symlink()):
            return cls(path, key_column, wanted, resumed=False, replace=replace)
        if not partial.is_dir() or partial.is_symlink() or not has_marker(partial):
            raise ResultsError(f"{partial} exists and was not written by this version of ppsim "
                               f"(no {MARKER} marker); ppsim will not touch it; choose another "
                               "--out")
        holder = ownership.live_holder(partial)
        if holder is not None:
            raise ResultsError(f"{partial} is being written by another ppsim run "
                               f"({holder.describe()}); wait for it to finish, or choose "
                               "another --out")
        if not resume:
            raise ResultsError(f"{partial} exists (an unfinished run); rerun with --resume to "
                               "finish it, or choose another --out")
        stored_path = partial / "settings.json"
        try:
            stored = json.loads(stored_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ResultsError(f"{stored_path}: cannot be read ({exc}); the unfinished run "
                               "cannot be resumed; choose another --out") from None
        if not isinstance(stored, dict):
            raise ResultsError(f"{stored_path}: not a settings object; choose another --out")
        changed = _changed(stored, wanted)
        if changed:
            raise ResultsError(f"cannot resume {partial}: settings differ from the "
                               "unfinished run:\n  " + "\n  ".join(changed)
                               + "\nrerun with the same settings and code, or choose another "
                               "--out")
        return cls(path, key_column, wanted, resumed=True, replace=replace)

    def create(self, scenario_text: str, resolved: Mapping[str, Any], version: str) -> None:
        """Make (or, resuming, lock) the partial folder with its marker, lock and inputs.

        Raises:
            ResultsError: another run created or locked the partial folder first.
        """
        if self.resumed:
            ownership.acquire(self.partial)
            (self.partial / "tasks").mkdir(exist_ok=True)
            for stale in (self.partial / "tasks").glob("*/.*.tmp*"):
                stale.unlink(missing_ok=True)
            return
        self._create_locked(version)
        (self.partial / "tasks").mkdir()
        self._write_text("settings.json", json.dumps(self.settings, indent=2) + "\n")
        self._write_text("scenario.yaml", scenario_text)
        for name, scenario in resolved.items():
            self._write_text(f"resolved/{_dirname(name)}.json",
                             json.dumps(scenario.model_dump(mode="json"), indent=2) + "\n")

    def _create_locked(self, version: str) -> None:
        """Make the partial folder with its marker and lock already inside, atomically.

        They are written into a staging folder that is then renamed to the partial name, so
        another run never sees the partial folder without its marker and live lock (it would
        report an unfinished run, or a folder ppsim did not write, instead of a live writer).

        Raises:
            ResultsError: another run created the partial folder first.
        """
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        staging = self.partial.with_name(f".{os.getpid()}-{secrets.token_hex(4)}-"
                                         f"{self.partial.name}")
        staging.mkdir()
        try:
            ownership.write_marker(staging, version)
            ownership.acquire(staging)
            os.rename(staging, self.partial)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if self.partial.exists():
                raise ResultsError(f"{self.partial} was just created by another ppsim run; "
                                   "wait for it to finish, or choose another --out") from None
            raise exc from None

    def release(self) -> None:
        """Drop this process's lock on the partial folder (after a failure; idempotent)."""
        try:
            ownership.release(self.partial)
        except OSError as exc:  # pragma: no cover - the folder vanished or is unwritable
            log.warning("could not remove the lock of %s: %s", self.partial, exc)

    def _write_text(self, relative: str, text: str) -> None:
        path = self.partial / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)

    def task_path(self, key: str | int, replication: int) -> Path:
        """Where the task (key, replication) is stored."""
        return self.partial / "tasks" / _dirname(key) / f"{replication}.arrow"

    def done(self, keys: Sequence[str | int]) -> set[tuple[str | int, int]]:
        """The (key, replication) tasks already stored (from an earlier, interrupted session).

        Resuming, every stored task file is read once: one that cannot be decoded (truncated by
        a full disk or a crash of the file system, or damaged) is reported, renamed to
        ``.<n>.arrow.damaged`` and left out, so that it is run again.
        """
        found: set[tuple[str | int, int]] = set()
        for key in keys:
            folder = self.partial / "tasks" / _dirname(key)
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.arrow")):
                if not path.stem.isdigit():
                    continue
                if self.resumed and not self._readable(path):
                    continue
                found.add((key, int(path.stem)))
        return found

    def _readable(self, path: Path) -> bool:
        """Whether a stored task file decodes; a damaged one is set aside and reported."""
        try:
            decode_task(path)
        except DamagedTaskError as exc:
            log.warning("%s; it is set aside and run again", exc)
            os.replace(path, path.with_name(f".{path.name}.damaged"))
            self.damaged.append(path)
            return False
        return True

    def save_task(self, output: TaskOutput) -> None:
        """Store a finished task (:func:`write_task_file`), unless its worker already did."""
        if not output.stored:
            write_task_file(self.task_path(output.key, output.replication), output.blob)

    def tasks(self, keys: Sequence[str | int], replications: int
              ) -> Iterator[tuple[str | int, int, Path]]:
        """Every task's (key, replication, path), in the fixed output order."""
        for key in keys:
            for rep in range(replications):
                yield key, rep, self.task_path(key, rep)

    def assemble(self, keys: Sequence[str | int], replications: int, tables: Sequence[str],
                 tees: Mapping[str, TableTee] | None = None
                 ) -> tuple[dict[str, int], TaskTimings]:
        """Stream every task file, in order, into ``tables/<table>.parquet`` and ``.csv``.

        Returns:
            Rows written per table, and each task's timing record (from its file's metadata).

        Raises:
            ResultsError: a task file is missing (the run is incomplete).
        """
        return self.assembly(keys, replications, tables, tees).finish()

    def assembly(self, keys: Sequence[str | int], replications: int,
                 tables: Sequence[str], tees: Mapping[str, TableTee] | None = None) -> Assembly:
        """An :class:`Assembly` of these tasks, to advance while they are still running."""
        self._assembly = Assembly(self, keys, replications, tables, tees)
        return self._assembly

    def table(self, name: str) -> Path:
        """Table ``name``'s Parquet file in the partial folder, once the file is whole.

        After :meth:`Assembly.complete` the last batches may still be being written: this
        waits for that table's (read the tables through it, not by path, in the summaries).

        Raises:
            the error writing the table met.
        """
        if self._assembly is not None:
            self._assembly.wait_table(name)
        return self.partial / "tables" / f"{name}.parquet"

    def write_frame(self, frame: pd.DataFrame, relative: str) -> None:
        """Write ``frame`` as ``<relative>.parquet`` and ``.csv`` in the partial folder."""
        write_frame(frame, self.partial / relative)

    def write_csv(self, frame: pd.DataFrame, relative: str) -> None:
        """Write ``frame`` as ``<relative>`` (a CSV file) in the partial folder."""
        write_csv(frame, self.partial / relative)

    def finish(self, manifest: Mapping[str, Any],
               before_rename: Callable[[Path], Any] | None = None) -> Path:
        """Write the manifest, drop the task files and rename the folder to its final name.

        ``before_rename`` (e.g. drawing the plots) runs on the partial folder once the manifest
        is there, so what it writes is part of the whole folder or of nothing.
        """
        self._write_text("manifest.json", json.dumps(manifest, indent=2, default=str) + "\n")
        if before_rename is not None:
            before_rename(self.partial)
        old = None
        if self.out.exists() or self.out.is_symlink():
            if not self.replace or not self.out.is_dir() or not has_marker(self.out):
                raise ResultsError(f"{self.out} appeared while the run was writing; the "
                                   f"results are in {self.partial}")
            # A unique hidden name that nobody else uses: the old run stays whole there until
            # the swap, and only that folder (ppsim's own) is deleted afterwards.
            old = self.out.with_name(f".{self.out.name}.replaced-{os.getpid()}-"
                                     f"{secrets.token_hex(4)}")
            os.replace(self.out, old)
        try:
            os.replace(self.partial, self.out)
        except OSError:
            if old is not None:
                os.replace(old, self.out)  # put the old run back
            raise
        ownership.release(self.out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        # After the rename: a kill before it keeps the tasks for --resume; after it, the
        # folder is whole and at worst holds a leftover tasks/ folder.
        shutil.rmtree(self.out / "tasks", ignore_errors=True)
        return self.out


class TaskTimings:
    """Each assembled task's timing and worker (its file's metadata), in order, for the manifest.

    Kept until the run ends, so kept small: a column per metadata name, names and worker ids
    shared, ~70 bytes a task where a dict per task took ~330 (at 10,000 tasks, 0.7 MB instead
    of 3.3 MB of the parent's memory). Iterating gives the manifest's records, one dict per task
    (the key, ``replication``, then the task's metadata in the order the tasks gave it).
    """

    _ABSENT = object()

    def __init__(self, key_column: str) -> None:
        self.key_column = key_column
        self._keys: list[str | int] = []
        self._replications = array("q")
        self._columns: dict[str, list[Any]] = {}

    def add(self, key: str | int, replication: int, meta: Mapping[str, Any]) -> None:
        """Record one task's metadata (names it lacks are left out of its record)."""
        for name in meta:
            if name not in self._columns:
                self._columns[sys.intern(name)] = [self._ABSENT] * len(self._keys)
        for name, column in self._columns.items():
            value = meta.get(name, self._ABSENT)
            column.append(sys.intern(value) if isinstance(value, str) else value)
        self._keys.append(key)
        self._replications.append(replication)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        columns = list(self._columns.items())
        for i, key in enumerate(self._keys):
            record = {self.key_column: key, "replication": self._replications[i]}
            record.update((name, column[i]) for name, column in columns
                          if column[i] is not self._ABSENT)
            yield record

    def total(self, name: str) -> float:
        """The sum of a numeric metadata value over the tasks (0 if none gave it)."""
        return float(sum(v for v in self._columns.get(name, ()) if v is not self._ABSENT))


_CLOSE = object()
"""A lane's last item: close the writer's files."""
LANE_DEPTH = 4
"""Tasks a table's lane holds waiting (:class:`_Lane`): bounds the decoded tables in memory."""


class _Lane:
    """A thread that adds one table's part of each task to its writer, in order, then closes it.

    The tables of a task are independent files, each with its own writer (and tee): a lane per
    table lets them be appended, flushed to Parquet and closed at once. Their work is mostly
    Arrow's encoding and file writes, which release the GIL; one after another, the last tasks'
    appends and every file's last batch were serial work after the last task (~90 ms of the
    parent's 0.5 s after 160 baseline replications, 65 ms with lanes on 2 cores). Only
    :meth:`Assembly.complete` uses lanes: for every task, the hand-offs between nine threads cost
    the parent ~3 ms of CPU per baseline task more (on 2 cores, 0.9 s more of a 33 s run). A
    failure is kept (:attr:`error`) and the lane drains what it is given, so that a full queue
    never blocks the assembly; the lane ends at :meth:`close`. :attr:`teed` is set once the
    table's tee has its last batch (or the lane failed), before the files' last writes.
    """

    def __init__(self, writer: _TableWriter) -> None:
        self.writer = writer
        writer.hold_parquet = True  # its tee first: the summaries' splits, then the files
        self.error: BaseException | None = None
        self.teed = threading.Event()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=LANE_DEPTH)
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"ppsim-lane-{writer.stem.name}")
        self._thread.start()

    def add(self, table: pa.Table, lines: bytes | pa.Buffer | None) -> None:
        """Queue one task's table (waits while :data:`LANE_DEPTH` tasks are queued)."""
        self._queue.put((table, lines))

    def close(self, teed: Callable[[], None] | None = None) -> None:
        """After what is queued, close the writer's files and end (:meth:`join` waits).

        ``teed`` is called in the lane once the tee has the table's last batch, before the
        files' last writes (e.g. the tee's own ``finish``); then :attr:`teed` is set.
        """
        self._queue.put((_CLOSE, teed))

    def join(self) -> None:
        """Wait for the thread to end."""
        self._thread.join()

    def wait(self) -> None:
        """Wait for the thread to end, and raise its error if it failed."""
        self._thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            closing = item[0] is _CLOSE
            if self.error is None:
                try:
                    if closing:
                        self.writer.close(functools.partial(self._teed, item[1]))
                    else:
                        self.writer.add(*item)
                except BaseException as exc:  # re-raised in the assembly's caller
                    self.error = exc
            if closing:
                self.teed.set()  # (already set unless the lane failed)
                break

    def _teed(self, then: Callable[[], None] | None) -> None:
        if then is not None:
            then()
        self.teed.set()


class Assembly:
    """Task files appended, in the fixed output order, to ``tables/`` as soon as they are stored.

    The order is key by key, replication by replication; :meth:`advance` appends every task
    that is next in that order and already stored, so a run whose tasks finish roughly in
    order is assembled while its workers simulate, and only the last tasks are left for
    :meth:`finish` (the parent's serial work after the last task). The bytes written depend
    only on the order, never on when tasks arrive. Memory: one batch of rows per table
    (:data:`BATCH_ROWS`); tasks that arrive early wait on disk.

    With :meth:`start`, a background thread does the appending: the parent's main thread then
    only stores each task file and calls :meth:`notify`. Decoding a task, writing Parquet and
    writing the CSV bytes mostly run in Arrow and in file writes, which release the GIL, so the
    thread's work overlaps the receiving of the next results instead of queueing behind it
    (for baseline replications ~17 ms of the parent's CPU per task, against a result every
    ~22 ms from 16 workers). Only the thread touches the files until :meth:`complete` (or
    :meth:`finish`, or :meth:`abandon`) has stopped it. :meth:`complete` appends the last tasks
    a table per thread (:class:`_Lane`), all tables at once, and returns once every tee has its
    last batch; the Parquet files' last batches are written after that, while the summaries
    begin (:meth:`wait_closed` and :meth:`RunFolder.table` wait for them).

    Life cycle: made (nothing written) → [started] → advanced or notified any number of times
    → completed (the tees whole) → closed (the files too; rows returned), or :meth:`finish`
    for both; or abandoned (files closed as they are, after a failure: a resumed run assembles
    them again from the start).
    """

    def __init__(self, folder: RunFolder, keys: Sequence[str | int], replications: int,
                 tables: Sequence[str], tees: Mapping[str, TableTee] | None = None) -> None:
        self.folder = folder
        self.tables = tuple(tables)
        self.timings = TaskTimings(folder.key_column)
        out = folder.partial / "tables"
        out.mkdir(parents=True, exist_ok=True)
        self._tees = {name: tee for name, tee in (tees or {}).items() if name in self.tables}
        self._writers = {name: _TableWriter(out / name, self._tees.get(name))
                         for name in self.tables}
        self._key_type = pa.string() if all(isinstance(k, str) for k in keys) else pa.int64()
        self._order = folder.tasks(keys, replications)
        self._next = next(self._order, None)
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stopping = False
        self._error: BaseException | None = None
        self._lanes: dict[str, _Lane] = {}  # only while finish() appends the last tasks
        self.thread_cpu_seconds = 0.0
        """CPU time of the background thread (the parent's assembly while tasks arrived)."""

    def advance(self) -> int:
        """Append every task that is next in order and stored; returns how many."""
        appended = 0
        while self._next is not None and not self._stopping and self._next[2].exists():
            self._append(*self._next)
            self._next = next(self._order, None)
            appended += 1
        return appended

    def start(self) -> None:
        """Append in a background thread from now on (woken by :meth:`notify`)."""
        self._thread = threading.Thread(target=self._run, name="ppsim-assembly", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """A task was stored: append what is next (now, or in the thread if started).

        Raises:
            the thread's error (a table that does not match the others, a full disk), here in
            the caller's thread, so that the run fails as it would without the thread.
        """
        if self._thread is None:
            self.advance()
            return
        if self._error is not None:
            raise self._error
        self._wake.set()

    def _run(self) -> None:
        """The thread: append whatever is next each time it is woken, until stopped."""
        try:
            while not self._stopping:
                self._wake.wait()
                self._wake.clear()
                self.advance()
        except BaseException as exc:  # re-raised by notify() or finish() in the main thread
            self._error = exc
        finally:
            self.thread_cpu_seconds = time.thread_time()

    def _stop(self) -> None:
        """Stop the thread after the task it is appending (idempotent)."""
        if self._thread is not None:
            self._stopping = True
            self._wake.set()
            self._thread.join()
            self._thread = None
            self._stopping = False

    def finish(self) -> tuple[dict[str, int], TaskTimings]:
        """Append the remaining tasks and close the files; rows per table and the timings.

        Raises:
            ResultsError: a task file is missing (the run is incomplete).
        """
        self.complete()
        return self.wait_closed(), self.timings

    def complete(self) -> TaskTimings:
        """Append the remaining tasks and make every tee whole; the files close meanwhile.

        Returns once each table's tee has its last batch (and has finished): what the tees
        feed (the summaries' splits) can begin while the last batches are still written to
        the Parquet and CSV files, a table per thread (:class:`_Lane`). :meth:`wait_closed`
        waits for the files, :meth:`wait_table` for one table's.

        Raises:
            ResultsError: a task file is missing (the run is incomplete); the files are
                closed and the tees abandoned first, as after any error here.
        """
        try:
            self._stop()
            if self._error is not None:
                raise self._error
            self._lanes = {name: _Lane(self._writers[name]) for name in self.tables}
            self.advance()
            if self._next is not None:
                raise ResultsError(f"{self._next[2]}: task missing; the run is incomplete; "
                                   "rerun with --resume")
        except BaseException:
            self._fail()
            raise
        for name, lane in self._lanes.items():
            tee = self._tees.get(name)
            lane.close(None if tee is None else tee.finish)
        for lane in self._lanes.values():
            lane.teed.wait()
        if any(lane.error is not None for lane in self._lanes.values()):
            self.wait_closed()  # raises the error
        return self.timings

    def wait_table(self, name: str) -> None:
        """Wait until table ``name``'s files are closed (after :meth:`complete`).

        Raises:
            the error closing them met.
        """
        lane = self._lanes.get(name)
        if lane is not None:
            lane.wait()

    def wait_closed(self) -> dict[str, int]:
        """Wait until every table's files are closed (after :meth:`complete`); rows per table.

        Raises:
            the first error a table's lane met; every file is then abandoned, and every tee.
        """
        lanes, self._lanes = self._lanes, {}
        for lane in lanes.values():
            lane.join()
        failed = [lane.error for lane in lanes.values() if lane.error is not None]
        if failed:
            for writer in self._writers.values():
                writer.abandon()
            for tee in self._tees.values():
                tee.abandon()
            raise failed[0]
        return {name: w.rows for name, w in self._writers.items()}

    def _fail(self) -> None:
        """After an error: end the lanes, close what is left of the files, abandon the tees."""
        try:
            self._close_writers()
        finally:
            for tee in self._tees.values():
                tee.abandon()

    def _close_writers(self) -> None:
        """Close every table's files: in its lane (all at once), else here."""
        lanes, self._lanes = self._lanes, {}
        for lane in lanes.values():
            lane.close()
        for lane in lanes.values():
            lane.join()
        for name, writer in self._writers.items():
            if name not in lanes:
                writer.close()
        for lane in lanes.values():
            if lane.error is not None:
                for writer in self._writers.values():
                    writer.abandon()
                raise lane.error

    def abandon(self) -> None:
        """Close the files without writing what is buffered (the run failed; idempotent).

        After :meth:`complete`, the lanes still writing the last batches are waited for.
        """
        self._stop()
        lanes, self._lanes = self._lanes, {}
        for lane in lanes.values():  # (every lane was told to close by complete())
            lane.join()
        for writer in self._writers.values():
            writer.abandon()
        for tee in self._tees.values():
            tee.abandon()

    def _append(self, key: str | int, rep: int, path: Path) -> None:
        decoded, meta, lines = decode_task_rows(path)
        self.timings.add(key, rep, meta)
        for name in self.tables:
            table = keyed(decoded[name], key, rep, self._key_type, self.folder.key_column)
            rendered = lines.get(name) if key_type(key) == self._key_type else None
            (self._lanes.get(name) or self._writers[name]).add(table, rendered)


# --- Reading finished runs -----------------------------------------------------------------------


def read_manifest(path: Path) -> dict[str, Any]:
    """A run folder's ``manifest.json`` (or ``settings.json``) as a dict.

    Raises:
        ResultsError: the file cannot be read or is not a JSON object (damaged or edited).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ResultsError(f"{path}: cannot be read as JSON ({exc}); the run folder is "
                           "damaged; rerun the experiment into a new --out") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: got {type(data).__name__}, expected a JSON object; the "
                           "run folder is damaged; rerun the experiment into a new --out")
    return data


class Tables(Mapping[str, "pd.DataFrame"]):
    """The tables of a finished run folder, read from Parquet on first access."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._cache: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            path = self._folder / f"{name}.parquet"
            if not path.exists():
                raise KeyError(f"{name!r}: no such table in {self._folder} "
                               f"(has: {', '.join(self)})")
            import pandas as pd

            self._cache[name] = pd.read_parquet(path)
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(p.stem for p in self._folder.glob("*.parquet")))

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True)
class RunResult:
    """A finished run folder: its manifest, and its tables and summaries read on demand.

    Attributes:
        path: the run folder.
        manifest: the parsed ``manifest.json``.
    """

    path: Path
    manifest: dict[str, Any]

    @classmethod
    def open(cls, path: str | Path) -> RunResult:
        """Open a finished run folder.

        Raises:
            ResultsError: the folder is missing, unfinished or not a ppsim run.
        """
        folder = Path(path)
        manifest = folder / "manifest.json"
        if not manifest.exists():
            hint = ""
            if folder.name not in ("", ".", "..") and partial_path(folder).exists():
                hint = " (unfinished: rerun with --resume)"
            raise ResultsError(f"{folder}: not a finished ppsim run folder{hint}")
        return cls(folder, read_manifest(manifest))

    @cached_property
    def tables(self) -> Tables:
        """Stacked tables (``docs/outputs.md``) with the variant (or point) and replication."""
        return Tables(self.path / "tables")

    @cached_property
    def summary(self) -> pd.DataFrame:
        """Percentile bands of the monthly metrics over replications (``summary/bands``)."""
        return self.read("summary/bands")

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """Mean and 95% CI of each scalar outcome (``summary/outcomes``)."""
        return self.read("summary/outcomes")

    @cached_property
    def targets(self) -> pd.DataFrame:
        """Probability of meeting each women's-share target on its date (``summary/targets``)."""
        return self._summary("targets", "every run")

    @cached_property
    def comparison(self) -> pd.DataFrame:
        """Paired differences of the headline outcomes from the base (``summary/comparison``).

        Raises:
            ResultsError: the folder is not a comparison (made by ``compare``).
        """
        return self._summary("comparison", "runs made by compare")

    @cached_property
    def validation(self) -> pd.DataFrame:
        """Published figures against the simulated median and band (``summary/validation``).

        Raises:
            ResultsError: the scenario carries no published figures (``observed:``).
        """
        return self._summary("validation", "runs of a scenario with observed: figures")

    def _summary(self, name: str, who: str) -> pd.DataFrame:
        path = self.path / "summary" / f"{name}.parquet"
        if not path.exists():
            raise ResultsError(f"{self.path}: no summary/{name} (only {who} have one)")
        import pandas as pd

        return pd.read_parquet(path)

    def read(self, relative: str) -> pd.DataFrame:
        """Read ``<relative>.parquet`` (or ``<relative>`` when it names a CSV) from the folder."""
        import pandas as pd

        path = self.path / relative
        if path.suffix == ".csv":
            return pd.read_csv(path)
        return pd.read_parquet(path.with_suffix(".parquet"))


__all__ = [
    "TABLES",
    "Assembly",
    "DamagedTaskError",
    "RunFolder",
    "RunResult",
    "Tables",
    "decode_task",
    "decode_task_rows",
    "encode_task",
    "partial_path",
    "read_manifest",
    "write_frame",
]
