"""Statistical checks of whole runs against answers known from the model's parameters.

Each test states its tolerance: a few binomial or Poisson standard errors of the quantity
measured (fixed seeds, so a pass is reproducible; the tolerance says how surprising a failure
would be if the model were right).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

import sim
from sim.model.replication import simulate
from sim.scenario.keypaths import apply_overrides

ONE_CONTRIBUTOR: dict[str, Any] = {
    "name": "known",
    "run": {"start": "2025-01-01", "years": 6, "seed": 3},
    "skills": ["investigation"],
    "pipeline": {
        "nomination_delay": {"mean_days": 30, "cv": 0},
        "travel_delay": {"mean_days": 20, "cv": 0},
        "assessment": {"teams": 50, "candidates_per_team_month": 100},
        "cool_down_days": 0,
    },
    "contributors": [{
        "name": "Solo", "police_strength": 200000, "women_share": 0.3, "eligible_share": 0.05,
        "languages": ["en"], "ipo_propensity": 1.0, "pass_rate": 0.6,
        "tour_months": 12, "extension_probability": 0.0,
    }],
    "missions": [{
        "name": "Only", "start": "2020-01-01", "languages": ["en"], "hardship": 0.0,
        "early_repatriation_rate": 0.2, "ipo_posts": {"2020-01-01": 400},
        "initial": {"ipo": 400, "ipo_women_share": 0.3},
    }],
}


def runs(changes: dict[str, Any] | None = None, n: int = 3) -> list[dict[str, pd.DataFrame]]:
    data = apply_overrides(ONE_CONTRIBUTOR, changes or {})
    scenario = sim.load_scenario(data).base
    return [simulate(scenario, r) for r in range(n)]


def ipo_total(tables: list[dict[str, pd.DataFrame]], column: str) -> float:
    return float(sum(t["monthly"].query("mission == 'ALL' and category == 'ipo'")[column].sum()
                     for t in tables))


def test_pass_rate_matches_the_contributors() -> None:
    """Passed / assessed ≈ 0.6 within 3 binomial standard errors."""
    tables = runs()
    assessed, passed = ipo_total(tables, "assessed"), ipo_total(tables, "passed")
    se = math.sqrt(0.6 * 0.4 / assessed)
    assert assessed > 500
    assert abs(passed / assessed - 0.6) < 3 * se, (passed / assessed, se)


def test_language_penalty_halves_the_pass_rate() -> None:
    """A mission in a language nobody speaks passes 0.6 × 0.5 = 0.3 (3 standard errors)."""
    tables = runs({"missions.Only.languages": ["fr"]})
    assessed, passed = ipo_total(tables, "assessed"), ipo_total(tables, "passed")
    se = math.sqrt(0.3 * 0.7 / assessed)
    assert abs(passed / assessed - 0.3) < 3 * se, (passed / assessed, se)


def test_womens_share_of_nominees_matches_the_pool() -> None:
    """Women among nominees ≈ the pool's 30% within 3 binomial standard errors."""
    tables = runs()
    nominated, women = ipo_total(tables, "nominations"), ipo_total(tables, "nominations_women")
    se = math.sqrt(0.3 * 0.7 / nominated)
    assert abs(women / nominated - 0.3) < 3 * se, (women / nominated, se)


def test_early_repatriations_follow_the_hazard() -> None:
    """Early repatriations per officer-year ≈ 0.2 × P(before the 12-month tour ends).

    With an exponential hazard λ = 0.2/year and tours of one year, the share of tours ended
    early is 1 − e^(−0.2) ≈ 0.181 of tours that reach their end or are cut; we compare
    repatriations / (repatriations + rotations) with it, within 3 binomial standard errors.
    """
    tables = runs()
    early, rotated = ipo_total(tables, "repatriations"), ipo_total(tables, "rotations")
    expected = 1 - math.exp(-0.2)
    share = early / (early + rotated)
    se = math.sqrt(expected * (1 - expected) / (early + rotated))
    assert abs(share - expected) < 3 * se, (share, expected, se)


def test_deterministic_lead_times_give_the_known_delay() -> None:
    """A mission starting on day 365 (no one serving yet), calls every 30 days from day 0, fixed
    30-day nomination and 20-day travel, and 50 assessment teams (0.30 days a candidate):
    the first arrivals fill posts that fell vacant on day 365, after the day-390 call, so they
    waited 25 + 30 + 0.30 + 20 = 75.3 days plus their place in the assessment queue (at most
    ceil(nominees / 50) × 0.30 days). No arrival can wait less than 75.3 days."""
    data = apply_overrides(ONE_CONTRIBUTOR, {
        "missions.Only.start": "2026-01-01",
        "missions.Only.ipo_posts": {"2026-01-01": 300},
        "missions.Only.initial": {"ipo": 0},
        "missions.Only.early_repatriation_rate": 0.0,
    })
    scenario = sim.load_scenario(data).base
    monthly = simulate(scenario, 0)["monthly"]
    first_year = monthly.query("mission == 'ALL' and category == 'ipo' and arrivals > 0 and "
                               "date < '2027-01-01'")
    first = first_year.iloc[0]
    assert str(first["date"])[:7] == "2026-03"  # day 390 + 50.3 = day 440.3 = 16 March
    queue = math.ceil(450 / 50) * 30.4375 / 100  # at most 450 nominees (300 × 1.5)
    assert 75.3 - 1e-6 <= first["time_to_deploy_days"] <= 75.3 + queue
    assert first_year["time_to_deploy_days"].min() >= 75.3 - 1e-6
