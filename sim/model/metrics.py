"""Outcomes as pure functions over a replication's tables (see ``docs/outputs.md``).

They read the tables' columns as NumPy arrays and return Arrow tables
(:mod:`sim.model.columns`); where pandas used to compute a figure, the arithmetic is pandas'
own, so that every value keeps its bits (:func:`_mean`, :func:`_sum`, :func:`_group_mean`).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date

import numpy as np
import pyarrow as pa

from sim.model.columns import column, nulls, table, text

TargetPoint = tuple[str, str, date, float]
"""(mission, category, target date, target share)."""


TARGET_COLUMNS = ["mission", "category", "target_date", "target_share", "headline",
                  "share_on_date", "met_on_date", "first_met_date"]
"""Columns of the ``targets`` table (``docs/outputs.md``)."""
Columns = Mapping[str, np.ndarray]
"""A table as NumPy columns by name (the monthly table before it becomes Arrow)."""
Groups = Mapping[tuple[str, str], np.ndarray]
"""Row positions of each (mission, category) of the monthly table, ascending, in order of
appearance."""


def targets_met(monthly: Columns, groups: Groups, points: list[TargetPoint]) -> pa.Table:
    """Whether each women's-share target is met *on its date*, and when it was first reached.

    Attainment is judged on the target date, in the month containing it (the monthly snapshot
    dated at or before the target date, i.e. the share on the first day of that month): a share
    that touched the target earlier and fell back does not count. ``headline`` is false for
    targets dated at or before the run's start (nothing the run can change) and for targets
    after its last month (nothing simulated); their ``share_on_date`` is NaN when no simulated
    month contains the date, and ``met_on_date`` is then false.

    Returns:
        One row per target point with :data:`TARGET_COLUMNS`; ``first_met_date`` is the first
        month (on or after the start) whose share reached the target, NaT if none.
    """
    missions: list[str] = []
    categories: list[str] = []
    dates_of: list[np.datetime64] = []
    shares: list[float] = []
    headline: list[bool] = []
    on_dates: list[float] = []
    met: list[bool] = []
    first_met: list[np.datetime64] = []
    all_dates = monthly["date"]
    simulated = len(all_dates) > 0
    # no simulated month: no date falls inside the run (an empty window)
    first_day = all_dates.min() if simulated else np.datetime64("NaT", "s")
    after_last = _next_month(all_dates.max()) if simulated else first_day
    women_share = np.asarray(monthly["women_share"], dtype=float)
    for mission, category, when, share in points:
        target = np.datetime64(when, "s")
        rows_of = groups.get((mission, category), np.array([], dtype=np.int64))
        hit = rows_of[women_share[rows_of] >= share - 1e-12]
        inside = bool(simulated and first_day <= target < after_last)
        on_date = rows_of[all_dates[rows_of] <= target] if inside else hit[:0]
        value = float(women_share[on_date[-1]]) if len(on_date) else np.nan
        missions.append(mission)
        categories.append(category)
        dates_of.append(target)
        shares.append(share)
        headline.append(inside and bool(target > first_day))
        on_dates.append(value)
        met.append(bool(value >= share - 1e-12))  # NaN compares false
        first_met.append(all_dates[hit[0]] if len(hit) else np.datetime64("NaT", "s"))
    return table({
        "mission": np.array(missions, dtype=object),
        "category": np.array(categories, dtype=object),
        "target_date": np.array(dates_of, dtype="datetime64[s]"),
        "target_share": np.array(shares, dtype=float) if points else nulls(0),
        "headline": np.array(headline, dtype=bool),
        "share_on_date": np.array(on_dates, dtype=float),
        "met_on_date": np.array(met, dtype=bool),
        "first_met_date": np.array(first_met, dtype="datetime64[s]"),
    })


def _next_month(day: np.datetime64) -> np.datetime64:
    """``day`` one calendar month later, clipped to the month's end (pandas' ``DateOffset``)."""
    seconds = day - day.astype("datetime64[D]")
    when: date = day.astype("datetime64[D]").item()
    year, month = (when.year + 1, 1) if when.month == 12 else (when.year, when.month + 1)
    shifted = when.replace(year=year, month=month,
                           day=min(when.day, calendar.monthrange(year, month)[1]))
    moved: np.datetime64 = np.datetime64(shifted, "s") + seconds
    return moved


def outcomes(monthly: Columns, groups: Groups, skills: Columns,
             deploy_times: dict[tuple[str, str], np.ndarray]) -> pa.Table:
    """Scalar outcomes of one replication per (mission, category): see ``docs/outputs.md``."""
    rows = _OutcomeRows()
    month = monthly["month"]
    last = month.max()
    columns = {name: monthly[name] for name in (
        "deployed", "vacancy_rate", "women_share", "unit_gap_days", "officer_months", "cost")}
    coverage = _group_mean(skills["mission"], skills["coverage"])
    for (mission, category), rows_of in groups.items():
        times = deploy_times.get((mission, category), np.array([]))
        final = rows_of[month[rows_of] == last][0]
        values = {
            "mean_deployed": _mean(columns["deployed"][rows_of]),
            "mean_vacancy_rate": _mean(columns["vacancy_rate"][rows_of]),
            "final_deployed": float(columns["deployed"][final]),
            "final_women_share": float(columns["women_share"][final]),
            "median_time_to_deploy": float(np.median(times)) if len(times) else np.nan,
            "p90_time_to_deploy": float(np.percentile(times, 90)) if len(times) else np.nan,
            "unit_gap_days": _sum(columns["unit_gap_days"][rows_of]),
            "officer_months": _sum(columns["officer_months"][rows_of]),
            "cost": _sum(columns["cost"][rows_of]),
        }
        if category == "ipo":
            values["mean_specialist_coverage"] = coverage.get(mission, np.nan)
        rows.add(mission, category, values)
    return rows.table()


class _OutcomeRows:
    """Rows (mission, category, outcome, value) of an ``outcomes`` table, collected by column."""

    def __init__(self) -> None:
        self.missions: list[str] = []
        self.categories: list[str] = []
        self.names: list[str] = []
        self.values: list[float] = []

    def add(self, mission: str, category: str, values: Mapping[str, float]) -> None:
        for name, value in values.items():
            self.missions.append(mission)
            self.categories.append(category)
            self.names.append(name)
            self.values.append(float(value))

    def table(self) -> pa.Table:
        if not self.values:  # no rows: pandas typed nothing
            return pa.table({name: nulls(0) for name in OUTCOME_COLUMNS})
        return pa.table({"mission": text(self.missions), "category": text(self.categories),
                         "outcome": text(self.names),
                         "value": column(np.array(self.values, dtype=float))})


OUTCOME_COLUMNS = ("mission", "category", "outcome", "value")
"""Columns of the ``outcomes`` table (``docs/outputs.md``)."""


def _group_mean(keys: np.ndarray, values: np.ndarray) -> dict[str, float]:
    """Mean of ``values`` by key, skipping NaN, as pandas' ``groupby(...).mean()`` computes it.

    Kahan-compensated sums in row order, then sum / count: the same bits as pandas.
    """
    sums: dict[str, float] = {}
    compensation: dict[str, float] = {}
    counts: dict[str, int] = {}
    for key, value in zip(keys.tolist(), values.tolist(), strict=True):
        total = sums.setdefault(key, 0.0)
        counts.setdefault(key, 0)
        if value != value:  # NaN
            continue
        counts[key] += 1
        y = value - compensation.get(key, 0.0)
        t = total + y
        c = t - total - y
        compensation[key] = 0.0 if c != c else c
        sums[key] = t
    return {key: (sums[key] / counts[key] if counts[key] else float("nan")) for key in sums}


def _mean(values: np.ndarray) -> float:
    """Mean skipping NaN, summed exactly as pandas' ``Series.mean`` does (same bits)."""
    if values.dtype.kind == "f":
        missing = np.isnan(values)
        values = np.where(missing, 0.0, values)
        count = float(values.size - missing.sum())
    else:
        count = float(values.size)
    if count == 0:
        return float("nan")
    return float(values.sum(dtype=np.float64) / np.float64(count))


def _sum(values: np.ndarray) -> float:
    """Sum skipping NaN, as pandas' ``Series.sum`` does (same bits)."""
    return float(np.where(np.isnan(values), 0.0, values).sum(dtype=np.float64))


def case_outcomes(cases: Columns, cost: dict[str, float]) -> pa.Table:
    """Casework outcomes per mission with casework (and ALL), category ``all``.

    ``cases_cleared``: cases cleared over the run; ``case_backlog``: cases waiting for a slot at
    the months' ends, averaged over the run; ``cost_per_case_cleared``: the casework ``cost`` of
    the mission (eligible specialists serving and INTERPOL levers, see
    :meth:`sim.model.casework.CaseBook.snapshot`) divided by the cases cleared (NaN when none
    is cleared or nothing is priced).
    """
    totals = np.flatnonzero(cases["area"] == "all")
    missions = cases["mission"][totals]
    order = list(dict.fromkeys(missions.tolist()))  # groups in order of appearance
    served = [m for m in order if m != "ALL"]
    rows = _OutcomeRows()
    for mission in order:
        g = totals[missions == mission]
        cleared = float(cases["cleared"][g].sum())
        spent = sum(cost.get(n, 0.0) for n in (served if mission == "ALL" else [mission]))
        rows.add(mission, "all", {
            "cases_cleared": cleared,
            "case_backlog": _mean(cases["backlog"][g]),
            "cost_per_case_cleared": spent / cleared if cleared > 0 and spent > 0 else np.nan,
        })
    return rows.table()
