"""The observed record of UN police as tidy tables: totals, by mission, by contributor, long form.

Every function returns a new DataFrame (the cached files are never handed out), one row per
month (``date``: the last day of the reporting month, ``datetime64``) and per mission or
contributor where the level has them, with counts as nullable ``Int64``:

- ``ipo`` / ``ipo_women``: individual police officers deployed, and the women among them;
- ``fpu`` / ``fpu_women``: formed police unit personnel, and the women among them;
- ``police`` / ``police_women``: both (``police == ipo + fpu`` wherever the split is given).

Missing months stay missing: a month the sources do not cover has no row, and a figure they do
not give is ``<NA>`` (the IPO/FPU split and women exist from 2009-11). Nothing is interpolated.
Windows are months (``"YYYY-MM"``), inclusive; ``for_calibration=True`` refuses windows that
reach into the withheld years (:mod:`sim.data.coverage`).

Names: missions as the UN abbreviates them (``MINUSCA``); contributors by name or ISO 3166
alpha-3 code (``Senegal`` or ``SEN``), both case-insensitive. Unknown names raise
:class:`~sim.errors.DataError` with the closest matches.
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from sim.data.coverage import MonthLike, check_window
from sim.data.files import COUNTS, read
from sim.errors import DataError

CATEGORIES = ("ipo", "fpu", "police")
"""Categories of the long form: individual officers, formed-unit personnel, both."""


def missions() -> list[str]:
    """Every mission in the record, sorted by name."""
    return sorted(read("missions")["mission"].unique().tolist())


def contributors() -> list[str]:
    """Every contributing country in the record (names), sorted."""
    return sorted(read("contributors")["contributor"].unique().tolist())


def contributor_codes() -> dict[str, str]:
    """ISO 3166 alpha-3 code → name of every contributing country in the record."""
    table = read("contributors")[["iso3", "contributor"]].drop_duplicates()
    return dict(zip(table["iso3"], table["contributor"], strict=True))


def _unknown(kind: str, got: str, names: list[str]) -> DataError:
    """``unknown kind 'x'; close matches: 'y', 'z'`` (all names when the list is short)."""
    lowered = {n.lower(): n for n in names}
    close = [lowered[m] for m in difflib.get_close_matches(got.lower(), list(lowered), n=3,
                                                           cutoff=0.6)]
    hint = f"; close matches: {', '.join(repr(c) for c in close)}" if close else \
        "; no close match"
    listing = f" (allowed: {', '.join(names)})" if len(names) <= 20 else \
        f" ({len(names)} in the record; sim.data.{kind}s() lists them)"
    return DataError(f"unknown {kind} {got!r}{hint}{listing}")


def mission_name(text: str) -> str:
    """The record's spelling of mission ``text`` (case-insensitive).

    Raises:
        DataError: if no mission of the record has that name, with the closest matches.
    """
    names = missions()
    by_lower = {n.lower(): n for n in names}
    found = by_lower.get(text.strip().lower())
    if found is None:
        raise _unknown("mission", text, names)
    return found


def contributor_name(text: str) -> str:
    """The record's name of contributor ``text``: a name or an ISO3 code, case-insensitive.

    Raises:
        DataError: if neither a name nor a code matches, with the closest matches.
    """
    codes = contributor_codes()
    key = text.strip().lower()
    for code, name in codes.items():
        if key in (code.lower(), name.lower()):
            return name
    raise _unknown("contributor", text, sorted(codes.values()))


def _window(table: pd.DataFrame, start: MonthLike, end: MonthLike,
            for_calibration: bool) -> pd.DataFrame:
    first, last = check_window(start, end, for_calibration=for_calibration)
    months = table["date"].dt.to_period("M")
    keep = np.ones(len(table), dtype=bool)
    if first is not None:
        keep &= (months >= first).to_numpy()
    if last is not None:
        keep &= (months <= last).to_numpy()
    return table.loc[keep].reset_index(drop=True)


def totals(start: MonthLike = None, end: MonthLike = None, *,
           for_calibration: bool = False) -> pd.DataFrame:
    """All UN police by month: ``date``, the counts, ``n_contributors``, ``source``."""
    return _window(read("totals").copy(), start, end, for_calibration)


def by_mission(mission: str | None = None, start: MonthLike = None, end: MonthLike = None, *,
               for_calibration: bool = False) -> pd.DataFrame:
    """Police by mission and month (one mission if named).

    Columns: ``date``, ``mission``, the counts, ``n_contributors``, ``source``.
    """
    table = read("missions")
    if mission is not None:
        table = table[table["mission"] == mission_name(mission)]
    return _window(table.copy(), start, end, for_calibration)


def by_contributor(contributor: str | None = None, mission: str | None = None,
                   start: MonthLike = None, end: MonthLike = None, *,
                   for_calibration: bool = False) -> pd.DataFrame:
    """Police by contributor (× mission) and month (one contributor or mission if named).

    Columns: ``date``, ``iso3``, ``contributor``, ``mission``, the counts, ``level``, ``source``.
    ``level`` is ``country_mission`` (one row per contributor × mission, from 2009-11) or
    ``country`` (contributor totals only, with no mission and no split, before 2009-11). Naming a
    mission keeps only ``country_mission`` rows of that mission.
    """
    table = read("contributors")
    if contributor is not None:
        table = table[table["contributor"] == contributor_name(contributor)]
    if mission is not None:
        table = table[table["mission"] == mission_name(mission)]
    return _window(table.copy(), start, end, for_calibration)


def _strict_sum(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sum the counts by ``keys``; a group with any missing value gives a missing sum."""
    grouped = frame.groupby(keys, sort=True)
    sums = grouped[COUNTS].sum(min_count=1)
    gaps = frame[COUNTS].isna().groupby([frame[k] for k in keys], sort=True).any()
    return sums.mask(gaps).astype("Int64").reset_index()


def series(mission: str | None = None, contributor: str | None = None,
           start: MonthLike = None, end: MonthLike = None, *,
           for_calibration: bool = False) -> pd.DataFrame:
    """One row per month of one slice: all police, a mission, a contributor, or both.

    Columns: ``date``, the counts, ``source``. A contributor's months are summed over its
    missions (a month where any of its rows lacks a figure gets ``<NA>`` there, never a partial
    sum).
    """
    if contributor is None:
        table = by_mission(mission, start, end, for_calibration=for_calibration) \
            if mission is not None else totals(start, end, for_calibration=for_calibration)
        return table[["date", *COUNTS, "source"]]
    table = by_contributor(contributor, mission, start, end, for_calibration=for_calibration)
    summed = _strict_sum(table, ["date"])
    source = table.groupby("date", sort=True)["source"].agg(lambda s: "; ".join(sorted(set(s))))
    summed["source"] = summed["date"].map(source)
    return summed


def by_category(mission: str | None = None, contributor: str | None = None,
                start: MonthLike = None, end: MonthLike = None, *,
                for_calibration: bool = False) -> pd.DataFrame:
    """The slice of :func:`series` in long form: one row per month and category.

    Columns: ``date``, ``category`` (``ipo``, ``fpu``, ``police``), ``deployed``, ``women``,
    ``men``, ``women_share`` (``women / deployed``; missing where women are not reported or
    nobody is deployed). A category without a figure that month has no row.
    """
    wide = series(mission, contributor, start, end, for_calibration=for_calibration)
    parts = []
    for category in CATEGORIES:
        part = pd.DataFrame({
            "date": wide["date"], "category": category,
            "deployed": wide[category], "women": wide[f"{category}_women"]})
        parts.append(part[part["deployed"].notna()])
    long = pd.concat(parts, ignore_index=True)
    long["men"] = (long["deployed"] - long["women"]).astype("Int64")
    deployed = long["deployed"].astype("Float64")
    long["women_share"] = (long["women"].astype("Float64") / deployed.where(deployed > 0)) \
        .astype(float)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return long.sort_values(["date", "category"], key=lambda s: s.map(order) if
                            s.name == "category" else s, kind="stable").reset_index(drop=True)


def yearly(frame: pd.DataFrame, keys: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per year (and per ``keys``): December, or the year's last month in ``frame``.

    Adds ``year`` and ``month`` (``YYYY-MM`` of the row kept) in front, so a reader sees when a
    year's figure is not December's (the record's last year, a mission that closed).
    """
    if frame.empty:
        return frame.assign(year=pd.Series(dtype=int), month=pd.Series(dtype=str))
    ordered = frame.sort_values([*keys, "date"], kind="stable")
    years = ordered["date"].dt.year
    last = ordered.groupby([*(ordered[k] for k in keys), years], sort=True).tail(1)
    last = last.sort_values([*keys, "date"], kind="stable").reset_index(drop=True)
    last.insert(0, "month", last["date"].dt.strftime("%Y-%m"))
    last.insert(0, "year", last["date"].dt.year)
    return last


def at(when: MonthLike, level: str = "contributors") -> pd.DataFrame:
    """The rows of one month at ``level`` (``totals``, ``missions`` or ``contributors``).

    Raises:
        DataError: if the month is not in the record at that level.
    """
    first, _ = check_window(when, when)
    table = read(level)
    rows = table[table["date"].dt.to_period("M") == first].reset_index(drop=True)
    if rows.empty:
        span = f"{table['date'].min():%Y-%m}..{table['date'].max():%Y-%m}"
        raise DataError(f"{first}: no {level} figures in the record (it spans {span}; "
                        "sim.data.coverage() shows which months have which detail)")
    return rows.copy()
