"""Outcomes as pure functions over a replication's tables (see ``docs/outputs.md``)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

TargetPoint = tuple[str, str, date, float]
"""(mission, category, target date, target share)."""


TARGET_COLUMNS = ["mission", "category", "target_date", "target_share", "headline",
                  "share_on_date", "met_on_date", "first_met_date"]
"""Columns of the ``targets`` table (``docs/outputs.md``)."""


def _rows_by_group(monthly: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """Row positions of each (mission, category), ascending, groups in order of appearance."""
    indices: dict[tuple[str, str], np.ndarray] = monthly.groupby(
        ["mission", "category"], sort=False).indices  # type: ignore[assignment]
    ordered = sorted(indices.items(), key=lambda item: int(item[1][0]))
    return {(str(mission), str(category)): rows for (mission, category), rows in ordered}


def targets_met(monthly: pd.DataFrame, points: list[TargetPoint]) -> pd.DataFrame:
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
    rows = []
    all_dates = pd.to_datetime(monthly["date"])
    dates = pd.DatetimeIndex(all_dates.unique()).sort_values()
    first_day = dates[0] if len(dates) else pd.NaT
    after_last = dates[-1] + pd.DateOffset(months=1) if len(dates) else pd.NaT
    # row positions of each (mission, category), in table order: one pass, not two masks a point
    positions = _rows_by_group(monthly) if points else {}
    women_share = monthly["women_share"].to_numpy(dtype=float)
    day_of_row = all_dates.to_numpy()
    for mission, category, when, share in points:
        target = pd.Timestamp(when)
        rows_of = positions.get((mission, category), np.array([], dtype=np.int64))
        hit = rows_of[women_share[rows_of] >= share - 1e-12]
        inside = len(dates) > 0 and first_day <= target < after_last
        on_date = rows_of[day_of_row[rows_of] <= target.to_datetime64()] if inside else hit[:0]
        value = float(women_share[on_date[-1]]) if len(on_date) else np.nan
        rows.append({
            "mission": mission,
            "category": category,
            "target_date": target,
            "target_share": share,
            "headline": bool(inside and target > first_day),
            "share_on_date": value,
            "met_on_date": bool(value >= share - 1e-12),  # NaN compares false
            "first_met_date": all_dates.iloc[hit[0]] if len(hit) else pd.NaT,
        })
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    frame["target_date"] = pd.to_datetime(frame["target_date"])
    frame["first_met_date"] = pd.to_datetime(frame["first_met_date"])
    frame["share_on_date"] = frame["share_on_date"].astype(float)
    for column in ("headline", "met_on_date"):
        frame[column] = frame[column].astype(bool)
    return frame


def outcomes(monthly: pd.DataFrame, skills: pd.DataFrame,
             deploy_times: dict[tuple[str, str], np.ndarray]) -> pd.DataFrame:
    """Scalar outcomes of one replication per (mission, category): see ``docs/outputs.md``."""
    rows: list[dict[str, object]] = []
    month = monthly["month"].to_numpy()
    last = month.max()
    groups = _rows_by_group(monthly).items()
    column = {name: monthly[name].to_numpy() for name in (
        "deployed", "vacancy_rate", "women_share", "unit_gap_days", "officer_months", "cost")}
    coverage = skills.groupby("mission", sort=False)["coverage"].mean()
    for (mission, category), rows_of in groups:
        times = deploy_times.get((str(mission), str(category)), np.array([]))
        final = rows_of[month[rows_of] == last][0]
        values = {
            "mean_deployed": _mean(column["deployed"][rows_of]),
            "mean_vacancy_rate": _mean(column["vacancy_rate"][rows_of]),
            "final_deployed": float(column["deployed"][final]),
            "final_women_share": float(column["women_share"][final]),
            "median_time_to_deploy": float(np.median(times)) if len(times) else np.nan,
            "p90_time_to_deploy": float(np.percentile(times, 90)) if len(times) else np.nan,
            "unit_gap_days": _sum(column["unit_gap_days"][rows_of]),
            "officer_months": _sum(column["officer_months"][rows_of]),
            "cost": _sum(column["cost"][rows_of]),
        }
        if category == "ipo":
            values["mean_specialist_coverage"] = float(coverage.get(mission, np.nan))
        for name, value in values.items():
            rows.append({"mission": mission, "category": category, "outcome": name,
                         "value": float(value)})
    return pd.DataFrame(rows, columns=["mission", "category", "outcome", "value"])


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


def case_outcomes(cases: pd.DataFrame, cost: dict[str, float]) -> pd.DataFrame:
    """Casework outcomes per mission with casework (and ALL), category ``all``.

    ``cases_cleared``: cases cleared over the run; ``case_backlog``: cases waiting for a slot at
    the months' ends, averaged over the run; ``cost_per_case_cleared``: the casework ``cost`` of
    the mission (eligible specialists serving and INTERPOL levers, see
    :meth:`sim.model.casework.CaseBook.snapshot`) divided by the cases cleared (NaN when none
    is cleared or nothing is priced).
    """
    totals = cases[cases["area"] == "all"]
    served = [str(m) for m in totals["mission"].unique() if m != "ALL"]
    rows: list[dict[str, object]] = []
    for mission, g in totals.groupby("mission", sort=False):
        cleared = float(g["cleared"].sum())
        spent = sum(cost.get(n, 0.0) for n in (served if mission == "ALL" else [str(mission)]))
        values = {
            "cases_cleared": cleared,
            "case_backlog": float(g["backlog"].mean()),
            "cost_per_case_cleared": spent / cleared if cleared > 0 and spent > 0 else np.nan,
        }
        for name, value in values.items():
            rows.append({"mission": mission, "category": "all", "outcome": name,
                         "value": float(value)})
    return pd.DataFrame(rows, columns=["mission", "category", "outcome", "value"])
