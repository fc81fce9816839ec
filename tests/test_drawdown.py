"""``drawdown_months``: officers above a mandate cut leave in weekly batches, not at once."""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd

import sim
from sim.model.replication import simulate


def north_ipo(raw: dict[str, Any], months: float | None, rep: int) -> pd.DataFrame:
    """North's monthly IPO rows by date (its posts fall from 200 to 120 on 2027-01-01)."""
    data = copy.deepcopy(raw)
    data.pop("variants")
    # long tours and no early replacements, so that only the cut moves deployment
    data["pipeline"]["replacement_lead_days"] = 0
    for contributor in data["contributors"]:
        contributor["tour_months"] = 36
    if months is not None:
        data["missions"][0]["drawdown_months"] = months
    monthly = simulate(sim.load_scenario(data).base, rep)["monthly"]
    rows = monthly[(monthly["mission"] == "North") & (monthly["category"] == "ipo")]
    return rows.set_index("date")


def test_a_cut_is_paced_over_the_months_given(tiny_raw: dict[str, Any]) -> None:
    """At once (the default, same as 0) North is at its 120 posts from the cut on; paced over 6
    months it is above them for 3 months and at them by the seventh; nothing before changes."""
    months = pd.date_range("2027-01-01", periods=8, freq="MS")
    for rep in range(2):
        at_once = north_ipo(tiny_raw, None, rep)
        assert at_once.equals(north_ipo(tiny_raw, 0, rep))
        paced = north_ipo(tiny_raw, 6, rep)
        assert (at_once.loc[months, "deployed"] <= 120).all()
        excess = paced.loc[months, "deployed"] - 120
        assert (excess.iloc[1:4] > 0).all(), excess.tolist()
        assert excess.iloc[7] <= 0
        before = slice(None, pd.Timestamp("2026-12-01"))
        assert paced.loc[before, "deployed"].equals(at_once.loc[before, "deployed"])
