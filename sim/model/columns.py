"""Output tables as Arrow, built from NumPy columns: a replication's tables without pandas.

A worker process only simulates and stores tables; importing pandas cost it ~0.19 s of its
~0.46 s start (every worker of every run pays its start before its first task). The model
therefore builds its tables here, as :class:`pyarrow.Table`, with the very types and values the
tables had when they were pandas DataFrames converted with ``pa.Table.from_pandas`` (pandas 3,
the locked version): text as ``large_string`` (pandas' ``str`` dtype), dates as
``timestamp[s]`` (pandas 3 converts dates at second resolution), a float NaN as a null, and a
column of an empty table whose type nothing fixes as ``null`` (pandas' empty object column).
:func:`sim.model.replication.simulate` converts them to DataFrames for notebooks and analyses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from sim import arrays

TEXT = pa.large_string()
"""Text columns (mission, category, …), as pandas' ``str`` dtype converts."""


def table(columns: Mapping[str, Any]) -> pa.Table:
    """A table of ``columns`` in order; each a NumPy array or an Arrow array.

    NumPy floats keep their values with NaN as null; ``datetime64`` becomes ``timestamp[s]``
    with NaT as null; object arrays of ``str`` become :data:`TEXT` (``null`` when empty).
    """
    return pa.table({name: column(values) for name, values in columns.items()})


def column(values: Any) -> pa.Array:
    """One column of :func:`table` (see there), built without pandas (:mod:`sim.arrays`)."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values
    array = np.asarray(values)
    if array.dtype.kind in "OU":
        return text(array.tolist()) if len(array) else pa.nulls(0)
    if array.dtype.kind == "M":
        return arrays.numeric(array.astype("datetime64[s]"))
    return arrays.numeric(array)


def text(values: Sequence[str]) -> pa.Array:
    """A :data:`TEXT` column."""
    return arrays.text(values, TEXT)


def month_dates(months: Sequence[date]) -> np.ndarray:
    """The snapshot dates as ``datetime64[s]`` (a table's ``date`` column before repeating)."""
    return np.array(months, dtype="datetime64[D]").astype("datetime64[s]")


def nulls(rows: int) -> pa.Array:
    """A column of ``null`` type: what pandas gave an object column it had no value to type."""
    return pa.nulls(rows)


__all__ = ["TEXT", "column", "month_dates", "nulls", "table", "text"]
