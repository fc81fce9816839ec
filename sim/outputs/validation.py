"""Validation against history: simulated bands next to published figures, and error metrics.

A scenario's ``observed`` entries (date, mission or ALL, category, metric, value, source) are
matched to the simulated monthly table of the same mission and category on the first snapshot
on or after the observation's date. For each observation we report the simulated median and
90% band over replications; the summary gives the mean absolute percentage error (MAPE) of the
median, the root-mean-square error and the share of observations inside the 90% band.

When the scenario says which months its parameters were fitted on (``calibration.until``),
each observation is marked ``in_sample`` (on or before that month) or not, and
:func:`category_metrics` reports the errors by metric, category and sample, so that the
in-sample fit and the out-of-sample check are never mixed. Targets of the historical scenarios
(issue 7): yearly deployed police within 5 % MAPE, IPO and FPU within 10 %, women's share by
category within 1 percentage point, observed inside the 90 % band in at least 8 of 10 years.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.scenario.schema import Observation

COLUMNS = ["date", "mission", "category", "metric", "observed", "sim_median", "sim_p5",
           "sim_p95", "error", "abs_pct_error", "inside_90", "source", "year", "in_sample"]


def observed_vs_simulated(monthly: pd.DataFrame, observed: list[Observation],
                          until: str | None = None) -> pd.DataFrame:
    """One row per observation with the simulated median and 90% band at its date.

    Args:
        monthly: the ``monthly`` table of one variant, stacked over replications.
        observed: the scenario's published figures.
        until: last month (``YYYY-MM``) the scenario was calibrated on; ``None`` when it
            was not (then ``in_sample`` is missing).
    """
    rows = []
    dates = np.sort(monthly["date"].unique())
    for obs in observed:
        when = pd.Timestamp(obs.date)
        later = dates[dates >= np.datetime64(when)]
        if len(later) == 0:
            continue
        at = later[0]
        sel = monthly[(monthly["date"] == at) & (monthly["mission"] == obs.mission)
                      & (monthly["category"] == obs.category)]
        values = sel[obs.metric].dropna().to_numpy(dtype=float)
        if len(values) == 0:
            continue
        median = float(np.median(values))
        p5, p95 = (float(v) for v in np.percentile(values, [5, 95]))
        error = median - obs.value
        rows.append({
            "date": when, "mission": obs.mission, "category": obs.category,
            "metric": obs.metric, "observed": obs.value, "sim_median": median,
            "sim_p5": p5, "sim_p95": p95, "error": error,
            "abs_pct_error": abs(error) / obs.value if obs.value else np.nan,
            "inside_90": bool(p5 <= obs.value <= p95), "source": obs.source,
            "year": when.year,
            "in_sample": None if until is None else bool(when.strftime("%Y-%m") <= until),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def error_metrics(matched: pd.DataFrame) -> pd.DataFrame:
    """Per metric: observations, MAPE of the median, RMSE and share inside the 90% band."""
    if matched.empty:
        return pd.DataFrame(columns=["metric", "n", "mape", "rmse", "inside_90_share"])
    grouped = matched.groupby("metric", sort=True)
    return pd.DataFrame({
        "n": grouped.size(),
        "mape": grouped["abs_pct_error"].mean(),
        "rmse": grouped["error"].apply(lambda e: float(np.sqrt(np.mean(np.square(e))))),
        "inside_90_share": grouped["inside_90"].mean(),
    }).reset_index()


def category_metrics(matched: pd.DataFrame) -> pd.DataFrame:
    """Per metric, mission, category and sample: figures, MAPE, mean error, inside the band.

    ``mean_abs_error`` is in the metric's unit (officers, or a share: 0.01 is one point);
    ``inside_90`` counts the observations inside the simulated 90% band, of ``n``.
    """
    columns = ["metric", "mission", "category", "sample", "n", "mape", "mean_abs_error",
               "inside_90", "first_year", "last_year"]
    if matched.empty:
        return pd.DataFrame(columns=columns)
    frame = matched.assign(sample=matched["in_sample"].map(
        {True: "in-sample", False: "out-of-sample"}).fillna("all"))
    grouped = frame.groupby(["metric", "mission", "category", "sample"], sort=True)
    table = pd.DataFrame({
        "n": grouped.size(),
        "mape": grouped["abs_pct_error"].mean(),
        "mean_abs_error": grouped["error"].apply(lambda e: float(np.mean(np.abs(e)))),
        "inside_90": grouped["inside_90"].sum().astype(int),
        "first_year": grouped["year"].min(),
        "last_year": grouped["year"].max(),
    }).reset_index()
    return table[columns]
