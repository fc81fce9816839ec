"""The model's Arrow tables without pandas (``sim.model.columns``): the same types and bits.

The model once built its tables with pandas and a worker converted them with
``pa.Table.from_pandas``; the tables are now built from NumPy columns. These tests pin the
conversions and the arithmetic that replaced pandas' (the golden model tables and
``benchmarks/table_hashes.py`` check whole replications).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sim.model import columns, metrics


def test_columns_convert_as_pandas_did() -> None:
    """NaN and NaT become nulls, text is large_string, dates are timestamp[s], like
    ``pa.Table.from_pandas`` of the same DataFrame (pandas 3)."""
    data = {
        "month": np.arange(3, dtype=np.int64),
        "date": np.array(["2025-01-01", "NaT", "2025-03-01"], dtype="datetime64[s]"),
        "mission": np.array(["A", "B", "C"], dtype=object),
        "share": np.array([0.5, np.nan, 0.25]),
        "met": np.array([True, False, True]),
    }
    ours = columns.table(data)
    theirs = pa.Table.from_pandas(pd.DataFrame(data), preserve_index=False)
    assert ours.equals(theirs.replace_schema_metadata(None))
    assert ours.column("share").null_count == 1 and ours.column("date").null_count == 1


def test_an_empty_text_column_is_untyped_like_pandas_object_column() -> None:
    """An empty object column: pandas gave Arrow no value to type it by (``null``)."""
    empty = pd.DataFrame({"mission": pd.Series([], dtype=object)})
    assert columns.column(np.array([], dtype=object)).type == pa.Table.from_pandas(
        empty).schema.field("mission").type == pa.null()


@pytest.mark.parametrize("seed", range(5))
def test_group_mean_has_the_bits_of_pandas_groupby_mean(seed: int) -> None:
    """Kahan-compensated group means, NaN skipped, bit for bit as pandas' groupby mean."""
    rng = np.random.default_rng(seed)
    n = 2_000
    keys = rng.choice(np.array(["A", "B", "ALL", "D"], dtype=object), n)
    values = rng.random(n) * 10.0 ** rng.integers(-8, 8, n)
    values[rng.random(n) < 0.2] = np.nan
    values[keys == "D"] = np.nan  # a group with no value: NaN
    ours = metrics._group_mean(keys, values)
    theirs = pd.Series(values).groupby(keys, sort=False).mean()
    assert list(ours) == list(theirs.index)
    for key, mean in theirs.items():
        assert np.isnan(mean) if np.isnan(ours[key]) else ours[key] == mean


@pytest.mark.parametrize("day", ["2025-01-01", "2025-01-31", "2024-01-31", "2025-12-01",
                                 "2025-12-31", "2023-03-31"])
def test_next_month_is_pandas_date_offset(day: str) -> None:
    """One calendar month later, clipped to the month's end, as ``pd.DateOffset(months=1)``."""
    when = np.datetime64(day, "s")
    expected = pd.Timestamp(day) + pd.DateOffset(months=1)
    assert metrics._next_month(when) == np.datetime64(expected.to_datetime64(), "s")


def test_case_backlog_mean_is_pandas_series_mean() -> None:
    """The case outcomes' means and sums of integer columns are pandas' (same bits)."""
    rng = np.random.default_rng(3)
    n = 60
    cases = {"area": np.array(["all", "fraud"] * n, dtype=object),
             "mission": np.array(["M"] * n + ["ALL"] * n, dtype=object),
             "cleared": rng.integers(0, 50, 2 * n), "backlog": rng.integers(0, 10**6, 2 * n)}
    table = metrics.case_outcomes(cases, {"M": 1234.5}).to_pandas()
    frame = pd.DataFrame(cases)
    for mission in ("M", "ALL"):
        rows = frame[(frame["area"] == "all") & (frame["mission"] == mission)]
        got = table[(table["mission"] == mission)].set_index("outcome")["value"]
        assert got["case_backlog"] == rows["backlog"].mean()
        assert got["cases_cleared"] == float(rows["cleared"].sum())


def test_month_dates_are_second_resolution() -> None:
    """Snapshot dates are ``datetime64[s]``, as pandas 3 converts ``date`` objects."""
    dates = columns.month_dates([date(2025, 1, 1), date(2025, 2, 1)])
    assert dates.dtype == np.dtype("datetime64[s]")
    assert pd.to_datetime([date(2025, 1, 1)]).dtype == dates.dtype
