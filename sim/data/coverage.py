"""Which months of the record hold which detail, the known gaps, and the withheld years.

The record runs from 1990-11 to 2025-07 with every month present at some level except the
*withheld* years, 2017-01 to 2024-12: they are kept out on purpose for an out-of-sample check of
the model (calibrate on the rest, predict those years from the mandates). A gap is never filled:
a month without a figure has no row, a figure the source does not give is missing (``<NA>``).

Every month absent from a file is listed here with its reason (:data:`KNOWN_GAPS`), so that the
tests can prove there is no silent gap.
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from sim.data.files import read
from sim.errors import DataError

WITHHELD = ("2017-01", "2024-12")
"""First and last withheld month (inclusive): not in the record, never to be calibrated on."""

MonthLike = str | date | pd.Timestamp | pd.Period | None
_MONTH = re.compile(r"\d{4}-\d{2}(-\d{2})?")
_FIRST_WITHHELD = pd.Period(WITHHELD[0], freq="M")
_LAST_WITHHELD = pd.Period(WITHHELD[1], freq="M")


def _months(first: str, last: str) -> list[str]:
    return [str(p) for p in pd.period_range(first, last, freq="M")]


KNOWN_GAPS: dict[str, dict[str, str]] = {
    "totals": {m: "withheld for the out-of-sample check" for m in _months(*WITHHELD)},
    "missions": {
        "1991-10": "IPI reports 0 police in every mission",
        **{m: "withheld for the out-of-sample check" for m in _months(*WITHHELD)},
    },
    "contributors": {
        "1991-10": "IPI reports 0 police",
        **{m: "no contributor data in the sources" for m in _months("2014-04", "2014-12")},
        "2015-03": "no contributor data in the sources",
        "2016-03": "no contributor data in the sources",
        **{m: "withheld for the out-of-sample check" for m in _months(*WITHHELD)},
    },
}
"""Months absent from each file (between its first and last month), with the reason."""


def month(value: MonthLike, what: str = "month") -> pd.Period | None:
    """``value`` (``"YYYY-MM"``, a date or a period) as a monthly period; ``None`` stays ``None``.

    Raises:
        DataError: if the text is not a month.
    """
    if value is None:
        return None
    if isinstance(value, str) and not _MONTH.fullmatch(value.strip()):
        raise DataError(f"{what}: got {value!r}, expected a month as YYYY-MM")
    try:
        return pd.Period(value.strip() if isinstance(value, str) else value, freq="M")
    except (ValueError, TypeError):
        raise DataError(f"{what}: got {value!r}, expected a month as YYYY-MM") from None


def withheld(when: MonthLike) -> bool:
    """Whether the month ``when`` lies in the withheld years."""
    period = month(when)
    return period is not None and _FIRST_WITHHELD <= period <= _LAST_WITHHELD


def check_window(start: MonthLike = None, end: MonthLike = None, *,
                 for_calibration: bool = False) -> tuple[pd.Period | None, pd.Period | None]:
    """The window ``[start, end]`` as months; refuse the withheld years for a calibration.

    The record holds nothing from the withheld years anyway; the guard makes the intent
    explicit: a calibration window must end by 2016-12 or start from 2025-01 (an open end counts
    as reaching into them).

    Raises:
        DataError: if ``end`` is before ``start``, or if ``for_calibration`` and the window
            overlaps :data:`WITHHELD`.
    """
    first, last = month(start, "start"), month(end, "end")
    if first is not None and last is not None and last < first:
        raise DataError(f"end: got {last}, must not be before start ({first})")
    if for_calibration:
        low, high = _FIRST_WITHHELD, _LAST_WITHHELD
        if (first is None or first <= high) and (last is None or last >= low):
            span = f"{first or 'the beginning'} to {last or 'the end'}"
            raise DataError(
                f"calibration window {span} overlaps the withheld years {WITHHELD[0]}.."
                f"{WITHHELD[1]}: they are kept for the out-of-sample check; end the window by "
                f"{low - 1} or start it from {high + 1}")
    return first, last


def coverage() -> pd.DataFrame:
    """One row per month from the record's first to its last, saying which detail it has.

    Columns: ``date`` (last day of the month); ``withheld``; ``totals``, ``split`` (IPO/FPU),
    ``women`` for the monthly totals; ``missions`` (missions with a figure), ``mission_split``;
    ``contributors`` (contributors with a figure), ``contributor_level`` (``country_mission``,
    ``country`` or empty); ``gap`` (why a level is missing, from :data:`KNOWN_GAPS`).
    """
    totals, missions, contributors = read("totals"), read("missions"), read("contributors")
    first = min(totals["date"].min(), missions["date"].min(), contributors["date"].min())
    last = max(totals["date"].max(), missions["date"].max(), contributors["date"].max())
    periods = pd.period_range(first.to_period("M"), last.to_period("M"), freq="M")
    frame = pd.DataFrame({"month": periods})
    frame["date"] = frame["month"].dt.to_timestamp(how="end").dt.normalize()
    frame["withheld"] = [withheld(p) for p in periods]

    t = totals.set_index(totals["date"].dt.to_period("M"))
    frame["totals"] = frame["month"].isin(t.index)
    frame["split"] = frame["month"].map(t["ipo"].notna()).fillna(False).astype(bool)
    frame["women"] = frame["month"].map(t["police_women"].notna()).fillna(False).astype(bool)
    grouped = missions.groupby(missions["date"].dt.to_period("M"))
    frame["missions"] = frame["month"].map(grouped["mission"].nunique()).fillna(0).astype(int)
    frame["mission_split"] = frame["month"].map(
        grouped["ipo"].apply(lambda s: bool(s.notna().all()))).fillna(False).astype(bool)
    grouped = contributors.groupby(contributors["date"].dt.to_period("M"))
    frame["contributors"] = frame["month"].map(grouped["iso3"].nunique()).fillna(0).astype(int)
    frame["contributor_level"] = frame["month"].map(
        grouped["level"].agg(lambda s: ",".join(sorted(set(s))))).fillna("").astype(str)
    frame["gap"] = [
        "; ".join(f"{level}: {gaps[str(p)]}" for level, gaps in KNOWN_GAPS.items()
                  if str(p) in gaps) for p in periods]
    return frame.drop(columns="month")[
        ["date", "withheld", "totals", "split", "women", "missions", "mission_split",
         "contributors", "contributor_level", "gap"]]


def contributor_detail(as_of: MonthLike) -> bool:
    """Whether the month has contributor × mission detail with the IPO/FPU split."""
    period = month(as_of, "as-of")
    table = read("contributors")
    rows = table[(table["date"].dt.to_period("M") == period)
                 & (table["level"] == "country_mission")]
    return bool(len(rows)) and bool(rows["ipo"].notna().all())
