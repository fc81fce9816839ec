"""Arrow arrays built from buffers (sim/arrays.py) are the arrays ``pa.array`` gives.

The run's key columns (``arrays.repeat``) and the workers' text columns are built from their
offsets and bytes directly; a wrong offset would shift every value of a table's column.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from sim import arrays


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string(), pa.binary(), pa.large_binary()])
@pytest.mark.parametrize("value", ["base", "", "women_first", "é ü ∑"])
@pytest.mark.parametrize("n", [0, 1, 7, 49_046])
def test_repeated_text_is_pa_array_of_the_value(kind: pa.DataType, value: str, n: int) -> None:
    """``repeat`` of a string: the same values, type and buffers as ``pa.array``."""
    got = arrays.repeat(value, n, kind)
    got.validate(full=True)
    expected = pa.array([value.encode() if kind in (pa.binary(), pa.large_binary()) else value]
                        * n, type=kind)
    assert got.type == kind and got.equals(expected)
    assert got.null_count == 0 and got.buffers()[0] is None  # no validity bitmap, as pa.array
    assert [b.to_pybytes() for b in got.buffers()[1:]] == \
        [b.to_pybytes()[:b.size] for b in expected.buffers()[1:]]


def test_repeated_integers_and_text_columns_are_pa_arrays() -> None:
    """``repeat`` of an integer, and ``text``/``binary`` of varied strings, equal ``pa.array``."""
    assert arrays.repeat(42, 5, pa.int64()).equals(pa.array([42] * 5, pa.int64()))
    with pytest.raises(TypeError, match="int64"):
        arrays.repeat(3, 2, pa.int32())
    words = ["MINUSCA", "", "UNMISS", "é", "x" * 300]
    assert arrays.text(words).equals(pa.array(words, pa.large_string()))
    assert arrays.text(words, pa.string()).equals(pa.array(words, pa.string()))
    encoded = [w.encode() for w in words]
    assert arrays.binary(encoded).equals(pa.array(encoded, pa.large_binary()))
