"""``hands_over_to``: a closing mission's officers move to its successor instead of going home."""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd
import pytest

import sim
from sim.errors import ScenarioError
from sim.model.replication import simulate


def scenario(raw: dict[str, Any], hand_over: bool) -> sim.Scenario:
    """North closes on 2026-01-01, the day South (80 posts) opens; optionally handing over."""
    data = copy.deepcopy(raw)
    data.pop("variants")
    north = data["missions"][0]
    north["end"] = "2026-01-01"
    if hand_over:
        north["hands_over_to"] = "South"
    return sim.load_scenario(data).base


def south_ipo(tables: dict[str, pd.DataFrame], when: str) -> int:
    """South's deployed IPOs at the snapshot ``when``."""
    m = tables["monthly"]
    row = m[(m["date"] == pd.Timestamp(when)) & (m["mission"] == "South")
            & (m["category"] == "ipo")]
    return int(row["deployed"].iloc[0])


def test_successor_starts_with_the_closing_missions_officers(tiny_raw: dict[str, Any]) -> None:
    """With the hand-over South has its 80 posts filled a month after opening; without it, the
    pipeline has barely started (nominations and travel take months); officers are conserved."""
    for rep in range(2):
        with_ = simulate(scenario(tiny_raw, True), rep)
        without = simulate(scenario(tiny_raw, False), rep)
        assert south_ipo(with_, "2026-02-01") == 80
        assert south_ipo(without, "2026-02-01") < 20
        pipe = with_["pipeline"]
        states = pipe[pipe["state"] != "generated"].groupby(["month", "category"])["officers"]
        generated = pipe[pipe["state"] == "generated"].set_index(["month", "category"])
        pd.testing.assert_series_equal(states.sum(), generated["officers"].sort_index(),
                                       check_names=False)


def test_hand_over_needs_a_known_mission_and_an_end(tiny_raw: dict[str, Any]) -> None:
    """An unknown successor or a mission without an end date is a clear error."""
    data = copy.deepcopy(tiny_raw)
    data["missions"][0]["hands_over_to"] = "Soth"
    with pytest.raises(ScenarioError, match="did you mean 'South'"):
        sim.load_scenario(data)
    data["missions"][0]["hands_over_to"] = "South"
    with pytest.raises(ScenarioError, match="no end date"):
        sim.load_scenario(data)
