"""Women's-share targets are judged on their date, not on any month before it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.model import metrics
from sim.outputs import stats

MONTHS = pd.date_range("2025-01-01", periods=48, freq="MS")
TARGET = (pd.Timestamp("2028-01-01").date(), 0.30)


def _monthly(shares: dict[str, float], default: float) -> dict[str, np.ndarray]:
    """A one-mission IPO monthly table's columns, ``default`` share except at the given months."""
    values = [shares.get(f"{d:%Y-%m}", default) for d in MONTHS]
    return {"date": MONTHS.to_numpy().astype("datetime64[s]"),
            "month": np.arange(len(MONTHS)), "women_share": np.array(values)}


def targets_met(monthly: dict[str, np.ndarray], points: list[Any]) -> pd.DataFrame:
    """:func:`metrics.targets_met` of the one group (M, ipo), as a DataFrame."""
    groups = {("M", "ipo"): np.arange(len(monthly["month"]))}
    return metrics.targets_met(monthly, groups, points).to_pandas()


def _points(when: str = "2028-01-01", share: float = 0.30) -> list:
    return [("M", "ipo", pd.Timestamp(when).date(), share)]


def test_share_that_touched_the_target_and_fell_back_is_not_met() -> None:
    """A share of 31 % in 2025 but 25 % on the 2028 target date does not meet a 30 % target."""
    out = targets_met(_monthly({"2025-07": 0.31}, 0.25), _points()).iloc[0]
    assert not out["met_on_date"]
    assert out["share_on_date"] == pytest.approx(0.25)
    assert out["first_met_date"] == pd.Timestamp("2025-07-01")


def test_share_at_target_in_the_month_containing_the_date_is_met() -> None:
    """A target dated mid-month is judged on the snapshot of that month's first day."""
    out = targets_met(_monthly({"2027-06": 0.30}, 0.2), _points("2027-06-15")).iloc[0]
    assert out["met_on_date"] and out["headline"]


def test_targets_at_or_before_the_start_or_after_the_run_are_not_headlines() -> None:
    """Targets on the start date, before it, or after the last month are kept but not headlines."""
    points = [*_points("2025-01-01"), *_points("2020-01-01"), *_points("2031-01-01"),
              *_points("2025-02-01")]
    out = targets_met(_monthly({}, 0.35), points)
    assert out["headline"].tolist() == [False, False, False, True]
    assert out["share_on_date"].isna().tolist() == [False, True, True, False]


def test_lower_share_on_the_date_never_gives_a_higher_probability() -> None:
    """A variant below the base on the target date in every replication cannot show higher P(met).

    Under the old "touched the target in any month" rule the variant, which spikes above the
    target early and falls back, showed 100 % against the base's 0 %.
    """
    frames = []
    for replication in range(5):
        base = _monthly({}, 0.28 + 0.001 * replication)
        variant = _monthly({"2025-06": 0.32}, 0.26 + 0.001 * replication)
        for name, monthly in (("base", base), ("variant", variant)):
            t = targets_met(monthly, _points())
            frames.append(t.assign(variant=name, replication=replication))
    p = stats.target_probabilities(pd.concat(frames, ignore_index=True)).set_index("variant")
    assert p.loc["variant", "probability"] <= p.loc["base", "probability"]
    assert p.loc["variant", "mean_share"] < p.loc["base", "mean_share"]
