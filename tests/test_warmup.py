"""``run.warmup_fill: initial``: the warm-up keeps missions at their initial staffing."""

from __future__ import annotations

import copy
from typing import Any

import sim
from sim.model.replication import simulate


def first_month_ipo(raw: dict[str, Any], fill: str | None) -> list[int]:
    """North's deployed IPOs at month 0 in 3 replications with a one-year warm-up."""
    data = copy.deepcopy(raw)
    data.pop("variants")
    data["run"]["warmup_years"] = 1
    if fill is not None:
        data["run"]["warmup_fill"] = fill
    scenario = sim.load_scenario(data).base
    values = []
    for rep in range(3):
        monthly = simulate(scenario, rep)["monthly"]
        row = monthly[(monthly["month"] == 0) & (monthly["mission"] == "North")
                      & (monthly["category"] == "ipo")]
        values.append(int(row["deployed"].iloc[0]))
    return values


def test_initial_fill_does_not_prefill_beyond_the_initial_state(
        tiny_raw: dict[str, Any]) -> None:
    """North starts with 150 IPOs of 200 posts: the default warm-up fills beyond 150, 'initial'
    keeps it at most 150 (replacements only), and the default is unchanged by the new field."""
    default = first_month_ipo(tiny_raw, None)
    assert default == first_month_ipo(tiny_raw, "authorized")
    assert max(default) > 150
    assert max(first_month_ipo(tiny_raw, "initial")) <= 150
