"""Arrow arrays from NumPy arrays and Python strings, built from their buffers.

``pa.array``, ``pa.scalar`` and ``ChunkedArray.to_numpy`` import pandas the first time they run
(pyarrow checks for pandas objects), and importing pandas was ~0.19 s of a worker process's
~0.46 s start, paid before its first task. A worker builds and stores its tables with these
functions instead, and so never imports pandas (``tests/test_startup.py``). The arrays are the
ones ``pa.array`` would give: the NumPy data as the values buffer (zero-copy), a validity bitmap
only where a value is missing (NaN, NaT), text as offsets and UTF-8 bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

_TYPES = {np.dtype(np.int64): pa.int64(), np.dtype(np.int32): pa.int32(),
          np.dtype(np.float64): pa.float64(), np.dtype("datetime64[s]"): pa.timestamp("s")}
"""Arrow types of the NumPy dtypes :func:`numeric` takes as they are."""


def numeric(values: np.ndarray) -> pa.Array:
    """A NumPy array as Arrow: NaN and NaT as nulls.

    Takes integers, floats, booleans, ``datetime64[s]`` and ``datetime64[D]`` (``date32``).
    """
    values = np.ascontiguousarray(values)
    if values.dtype == np.bool_:
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, _bits(values)])
    if values.dtype == np.dtype("datetime64[D]"):
        days = values.view(np.int64)
        return pa.Array.from_buffers(pa.date32(), len(values), [
            _validity(np.isnat(values)), pa.py_buffer(days.astype(np.int32))])
    kind = _TYPES.get(values.dtype)
    if kind is None:
        raise TypeError(f"no Arrow type for a NumPy array of {values.dtype}")
    missing = (np.isnan(values) if values.dtype.kind == "f"
               else np.isnat(values) if values.dtype.kind == "M" else None)
    return pa.Array.from_buffers(kind, len(values), [_validity(missing), pa.py_buffer(values)])


LARGE_STRING = pa.large_string()
LARGE_BINARY = pa.large_binary()


def text(values: Sequence[str], kind: pa.DataType = LARGE_STRING) -> pa.Array:
    """Strings as an Arrow ``large_string`` (or ``string``) array without nulls."""
    return binary([value.encode() for value in values], kind)


def binary(values: Sequence[bytes], kind: pa.DataType = LARGE_BINARY) -> pa.Array:
    """Byte strings as an Arrow array of ``kind`` (binary or string, large or not), no nulls."""
    wide = kind in (LARGE_BINARY, LARGE_STRING)
    offsets = np.zeros(len(values) + 1, np.int64 if wide else np.int32)
    np.cumsum([len(value) for value in values], out=offsets[1:])
    return pa.Array.from_buffers(kind, len(values), [
        None, pa.py_buffer(offsets), pa.py_buffer(b"".join(values))])


def repeat(value: str | int, n: int, kind: pa.DataType) -> pa.Array:
    """``value`` ``n`` times as an Arrow array of ``kind`` (a string type or an integer)."""
    if isinstance(value, str):
        # offsets and bytes computed at once (a list of n values took ~3 ms of the parent's
        # CPU per baseline task, ~49,000 rows, in len() and join)
        encoded = value.encode()
        wide = kind in (LARGE_BINARY, LARGE_STRING)
        offsets = np.arange(n + 1, dtype=np.int64 if wide else np.int32) * len(encoded)
        return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(offsets),
                                               pa.py_buffer(encoded * n)])
    if kind != pa.int64():
        raise TypeError(f"repeat takes text or int64, not {kind}")
    return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(np.full(n, value, np.int64))])


def _validity(missing: np.ndarray | None) -> pa.Buffer | None:
    """The validity bitmap of ``missing`` values, or None when none is (as ``pa.array``)."""
    if missing is None or not missing.any():
        return None
    return _bits(~missing)


def _bits(flags: np.ndarray) -> pa.Buffer:
    return pa.py_buffer(np.packbits(flags, bitorder="little"))


__all__ = ["binary", "numeric", "repeat", "text"]
