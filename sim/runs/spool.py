"""A table's merged assembly buffer, kept on disk until its batch of rows is written.

While a run is assembled, each output table buffers task tables until it holds a batch of
rows (``BATCH_ROWS`` in :mod:`sim.runs.folder`), then writes the batch as one Parquet row
group. A table of a few rows per task (``targets``: 4 rows a task in the tiny scenario,
``outcomes``) takes thousands of tasks to fill a batch, so what it buffered grew with the
number of replications: at 10,000 tiny replications ``targets`` alone held ~6 MB of Arrow
buffers and CSV lines until the end. Every ``COMPACT_TABLES`` task tables the buffer is merged
into one table; the merged table goes here, to an Arrow IPC stream and a file of CSV lines
beside the table's files, and is read back (one table at a time) when the batch is written.

The bytes written do not change: the merged pieces read back and joined are the table the
buffer held in memory before (same rows, schema and order, one chunk), and their CSV lines
are the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sim import lazy

if TYPE_CHECKING:
    import pyarrow as pa
else:  # imported when first used (see sim.runs.folder)
    pa = lazy.module("pyarrow", globals(), "pa")


class BufferSpool:
    """Merged task tables and their CSV lines, appended on disk, read back whole.

    Life cycle: empty → :meth:`append` any number of times (every piece has the first one's
    schema) → :meth:`take` (the pieces joined; the spool is empty again) → … → :meth:`discard`
    (the files deleted; idempotent).
    """

    def __init__(self, stem: Path) -> None:
        self._tables_path = stem.with_name(stem.name + ".spool.arrow")
        self._lines_path = stem.with_name(stem.name + ".spool.csv")
        self._writer: pa.ipc.RecordBatchStreamWriter | None = None
        self._lines: BinaryIO | None = None
        self._lines_whole = True
        self.schema: pa.Schema | None = None
        """The pieces' schema (``None`` while the spool is empty)."""
        self.discard()  # a run killed mid-assembly may have left its files; resumed, it starts over

    def __bool__(self) -> bool:
        return self.schema is not None

    def append(self, table: pa.Table, lines: bytes | None) -> None:
        """Add a merged table and its CSV lines (``None``: not rendered, rendered on writing)."""
        if self._writer is None:
            self.schema = table.schema
            self._writer = pa.ipc.new_stream(str(self._tables_path), table.schema)
            self._lines = open(self._lines_path, "wb")  # noqa: SIM115 - closed by take/discard
            self._lines_whole = True
        assert self._lines is not None
        self._writer.write_table(table)
        if lines is None:
            self._lines_whole = False
        elif self._lines_whole:
            self._lines.write(lines)

    def take(self) -> tuple[pa.Table, bytes | None]:
        """The pieces as one table of one chunk, and their lines if all had them; then empty."""
        assert self._writer is not None and self._lines is not None
        self._writer.close()
        self._lines.close()
        self._writer = self._lines = None
        with pa.OSFile(str(self._tables_path)) as source:
            table = pa.ipc.open_stream(source).read_all().combine_chunks()
        lines = self._lines_path.read_bytes() if self._lines_whole else None
        self.discard()
        return table, lines

    def discard(self) -> None:
        """Close and delete the files, dropping what they hold (idempotent)."""
        if self._writer is not None:
            self._writer.close()
        if self._lines is not None:
            self._lines.close()
        self._writer = self._lines = None
        self.schema = None
        self._tables_path.unlink(missing_ok=True)
        self._lines_path.unlink(missing_ok=True)
