"""Outcomes as pure functions over a replication's tables (see ``docs/outputs.md``)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

TargetPoint = tuple[str, str, date, float]
"""(mission, category, target date, target share)."""


def targets_met(monthly: pd.DataFrame, points: list[TargetPoint]) -> pd.DataFrame:
    """First month each women's-share target was reached, and whether by its date.

    A target counts as met in the first month on or after the run's start whose women's share
    in the category is at least the target share.
    """
    rows = []
    for mission, category, when, share in points:
        series = monthly[(monthly["mission"] == mission) & (monthly["category"] == category)]
        hit = series[series["women_share"] >= share - 1e-12]
        first = hit["date"].iloc[0] if len(hit) else pd.NaT
        rows.append({
            "mission": mission,
            "category": category,
            "target_date": pd.Timestamp(when),
            "target_share": share,
            "first_met_date": first,
            "met_by_target_date": bool(len(hit)) and first <= pd.Timestamp(when),
        })
    columns = ["mission", "category", "target_date", "target_share", "first_met_date",
               "met_by_target_date"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["target_date"] = pd.to_datetime(frame["target_date"])
    frame["first_met_date"] = pd.to_datetime(frame["first_met_date"])
    frame["met_by_target_date"] = frame["met_by_target_date"].astype(bool)
    return frame


def outcomes(monthly: pd.DataFrame, skills: pd.DataFrame,
             deploy_times: dict[tuple[str, str], np.ndarray]) -> pd.DataFrame:
    """Scalar outcomes of one replication per (mission, category): see ``docs/outputs.md``."""
    rows: list[dict[str, object]] = []
    last = monthly["month"].max()
    grouped = monthly.groupby(["mission", "category"], sort=False)
    coverage = skills.groupby("mission", sort=False)["coverage"].mean()
    for (mission, category), g in grouped:
        times = deploy_times.get((str(mission), str(category)), np.array([]))
        final = g[g["month"] == last]
        values = {
            "mean_deployed": g["deployed"].mean(),
            "mean_vacancy_rate": g["vacancy_rate"].mean(),
            "final_deployed": float(final["deployed"].iloc[0]),
            "final_women_share": float(final["women_share"].iloc[0]),
            "median_time_to_deploy": float(np.median(times)) if len(times) else np.nan,
            "p90_time_to_deploy": float(np.percentile(times, 90)) if len(times) else np.nan,
            "unit_gap_days": g["unit_gap_days"].sum(),
            "officer_months": g["officer_months"].sum(),
            "cost": g["cost"].sum(),
        }
        if category == "ipo":
            values["mean_specialist_coverage"] = float(coverage.get(mission, np.nan))
        for name, value in values.items():
            rows.append({"mission": mission, "category": category, "outcome": name,
                         "value": float(value)})
    return pd.DataFrame(rows, columns=["mission", "category", "outcome", "value"])


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
