"""Properties that hold for any valid scenario, checked on small generated ones (Hypothesis).

Scenarios have 1–3 contributors, 1–2 missions (that may start or end inside the run), 1–3 years,
random strengths, shares, posts, lead times and up to two levers; all but the bound on deployed
also draw up to two events (budget cut, rotation freeze, entry limit, re-hat, closure, transfer;
an event the drawn dates make invalid discards the example). A cut repatriates over weeks, so
deployed may exceed the new authorized strength for a while: that bound is tested without events.
Every property is checked against a count the model keeps apart from the one it tests:

- *Officers are conserved*: the census says how many officers are in each state; the monthly
  table's ``deployed`` comes from the missions' serving counters. The census of ``serving``
  must equal the sum of ``deployed`` over the missions, for every category and month, and the
  states must add up to everyone generated.
- *Deployed ≤ authorized + rotation overlap*: an individual officer arrives only into a post
  that no one staying holds (authorized − (serving − due out) > 0 at arrival), and a cut sends
  the excess home at once, so at any time serving ≤ authorized + due out; the overlap is the
  officers due out (``rotating_out``), whose replacements may already be there. A formed unit
  takes an authorized unit slot, so FPU officers ≤ authorized units × the largest contributor's
  unit size; team officers never exceed the team posts requested.
- *Shares are shares*: women's shares, vacancy rates, pass rates, coverage and HHI in [0, 1].
- *Nobody serves outside a mission's dates*: zero deployed before a mission starts and after
  it ends.
- *Identical variants give identical tables*: a variant that sets a value to what it already
  is, and a second run of the same scenario, reproduce every table exactly.

Derandomized (the same examples on every machine), with a bounded number of examples so the
file runs in well under 30 s.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import sim
from sim.errors import ScenarioError
from sim.model import simulate

pytestmark = pytest.mark.slow  # about 10 s of CPU for the file

START = date(2025, 1, 1)
EXAMPLES = 25
PROPERTY_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                             suppress_health_check=[HealthCheck.too_slow])

share = st.floats(0.0, 1.0, allow_nan=False)
languages = st.sampled_from([["en"], ["fr"], ["en", "fr"]])


@st.composite
def contributors(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """One contributor with random pools, behaviour and lead times."""
    return {
        "name": f"C{index}",
        "police_strength": draw(st.integers(0, 200_000)),
        "women_share": draw(share),
        "eligible_share": draw(st.floats(0.001, 0.05)),
        "skills": {"investigation": draw(st.floats(0.0, 0.3))},
        "languages": draw(languages),
        "ceiling": draw(st.none() | st.integers(0, 2000)),
        "ipo_propensity": draw(share),
        "fpu_capacity": draw(st.integers(0, 3)),
        "fpu_unit_size": draw(st.integers(10, 160)),
        "fpu_women_share": draw(share),
        "pass_rate": draw(share),
        "fpu_pass_rate": draw(st.floats(0.2, 1.0)),
        "tour_months": draw(st.floats(2.0, 24.0)),
        "extension_probability": draw(share),
        "joins": draw(st.none() | st.dates(date(2024, 1, 1), date(2027, 1, 1))),
    }


@st.composite
def missions(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """One mission that may start or end inside the run, with stepped posts."""
    start = draw(st.dates(date(2023, 1, 1), date(2027, 6, 1)))
    end = draw(st.none() | st.dates(start.replace(year=start.year + 1), date(2029, 1, 1)))
    steps = draw(st.lists(st.dates(START, date(2028, 1, 1)), max_size=2, unique=True))
    posts = {start: draw(st.integers(0, 300))} | {d: draw(st.integers(0, 300)) for d in steps}
    units = {start: draw(st.integers(0, 3))}
    initial_ipo = draw(st.integers(0, min(200, max(posts.values()))))
    mission: dict[str, Any] = {
        "name": f"M{index}",
        "start": start,
        "languages": draw(languages),
        "hardship": draw(share),
        "early_repatriation_rate": draw(st.floats(0.0, 0.5)),
        "ipo_posts": posts,
        "fpu_units": units,
        "fpu_unit_size": draw(st.integers(10, 160)),
        "specialist_posts": {"investigation": draw(st.integers(0, min(30, max(posts.values()))))},
        "women_target": {"ipo": {START: draw(share)}},
        "initial": {"ipo": initial_ipo, "ipo_women_share": draw(share),
                    "fpu_units": draw(st.integers(0, units[start])),
                    "specialists": {"investigation": draw(st.integers(0, initial_ipo))}},
        "teams": draw(st.lists(st.just({"skill": "investigation", "size": 6,
                                        "start": date(2025, 6, 1), "months": 6}), max_size=1)),
    }
    if end is not None:
        mission["end"] = end
    return mission


LEVER_CHOICES = st.sampled_from([
    {"lever": "women_nomination_quota", "share": 0.5},
    {"lever": "women_selection_priority"},
    {"lever": "standing_capacity", "size": 20},
    {"lever": "tour_length", "months": 24},
    {"lever": "assessment_capacity", "teams": 1},
    {"lever": "faster_deployment", "travel_delay_factor": 0.5},
    {"lever": "skill_coded_calls"},
    {"lever": "specialized_teams", "skill": "investigation", "size": 4},
    {"lever": "new_contributor_outreach", "joining_rate_per_year": 4, "profile": "C0"},
])


def event_choices(n_missions: int) -> st.SearchStrategy[dict[str, Any]]:
    """Shocks on the first mission (and a transfer to the second, when there is one)."""
    choices = [
        {"type": "budget_cut", "start": date(2025, 6, 1), "missions": ["M0"], "share": 0.3,
         "lag_days": 30, "over_weeks": 8},
        {"type": "rotation_freeze", "start": date(2025, 9, 1), "end": date(2026, 1, 1)},
        {"type": "entry_constraint", "missions": ["M0"], "arrivals_per_month": 3},
        {"type": "rehat", "mission": "M0", "start": date(2025, 3, 1),
         "contingents": [{"contributor": "C0", "ipo": 10}]},
        {"type": "forced_closure", "mission": "M0", "start": date(2026, 1, 1),
         "by": date(2026, 6, 1)},
    ]
    if n_missions > 1:
        choices.append({"type": "transfer", "start": date(2025, 5, 1), "from_mission": "M0",
                        "to_mission": "M1", "ipo": 5})
    return st.sampled_from(choices)


@st.composite
def scenarios(draw: st.DrawFn, with_events: bool = False) -> dict[str, Any]:
    """Raw data of a small valid scenario (with up to two events if ``with_events``)."""
    n_contributors = draw(st.integers(1, 3))
    n_missions = draw(st.integers(1, 2))
    events = draw(st.lists(event_choices(n_missions), max_size=2,
                           unique_by=lambda e: e["type"])) if with_events else []
    return {
        "name": "generated",
        "run": {"start": START, "years": draw(st.integers(1, 3)),
                "seed": draw(st.integers(0, 2**31)), "replications": 1,
                "warmup_years": draw(st.sampled_from([0, 0.5]))},
        "skills": ["investigation"],
        "pipeline": {"assessment": {"teams": draw(st.integers(0, 4))},
                     "overbooking": draw(st.floats(1.0, 3.0)),
                     "cool_down_days": draw(st.sampled_from([0, 180, 365]))},
        "contributors": [draw(contributors(i)) for i in range(n_contributors)],
        "missions": [draw(missions(i)) for i in range(n_missions)],
        "policies": draw(st.lists(LEVER_CHOICES, max_size=2, unique_by=lambda p: p["lever"])),
        "events": events,
    }


def load(raw: dict[str, Any]) -> sim.LoadedScenario:
    """Validate the raw data; events that contradict the drawn dates are skipped as examples."""
    try:
        return sim.load_scenario(copy.deepcopy(raw))
    except ScenarioError as exc:
        if raw["events"] and "events[" in str(exc):  # an event outside this run's dates
            reject()
        raise


def run(raw: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Validate the raw data and run replication 0 of its base."""
    return simulate(load(raw).base, 0)


@PROPERTY_SETTINGS
@given(scenarios(with_events=True))
def test_officers_are_conserved(raw: dict[str, Any]) -> None:
    """Census serving = sum of deployed over missions; states add up to everyone generated."""
    tables = run(raw)
    pipe, monthly = tables["pipeline"], tables["monthly"]
    census = pipe[pipe["state"] == "serving"].set_index(["month", "category"])["officers"]
    missions_only = monthly[(monthly["mission"] != "ALL") & (monthly["category"] != "all")]
    deployed = missions_only.groupby(["month", "category"])["deployed"].sum()
    pd.testing.assert_series_equal(census.sort_index().astype(np.int64),
                                   deployed.reindex(census.sort_index().index, fill_value=0)
                                   .astype(np.int64), check_names=False)
    states = pipe[pipe["state"] != "generated"].groupby(["month", "category"])["officers"].sum()
    generated = pipe[pipe["state"] == "generated"].set_index(["month", "category"])["officers"]
    pd.testing.assert_series_equal(states.sort_index(), generated.sort_index(), check_names=False)
    assert (pipe["officers"] >= 0).all()


@PROPERTY_SETTINGS
@given(scenarios())
def test_deployed_within_authorized_plus_rotation_overlap(raw: dict[str, Any]) -> None:
    """IPO ≤ authorized + due out; FPU ≤ units × largest unit; SPT ≤ team posts."""
    m = run(raw)["monthly"]
    m = m[m["mission"] != "ALL"]
    ipo = m[m["category"] == "ipo"]
    assert (ipo["deployed"] <= ipo["authorized"] + ipo["rotating_out"]).all()
    largest_unit = max(c["fpu_unit_size"] for c in raw["contributors"])
    for mission in raw["missions"]:
        fpu = m[(m["category"] == "fpu") & (m["mission"] == mission["name"])]
        units = fpu["authorized"] / mission["fpu_unit_size"]
        assert (fpu["deployed"] <= units * largest_unit + 1e-9).all()
    spt = m[m["category"] == "spt"]
    assert (spt["deployed"] <= spt["authorized"]).all()


@PROPERTY_SETTINGS
@given(scenarios(with_events=True))
def test_shares_are_between_zero_and_one(raw: dict[str, Any]) -> None:
    """Women's shares, vacancy and pass rates, HHI and coverage stay in [0, 1]."""
    tables = run(raw)
    m = tables["monthly"]
    for column in ("women_share", "vacancy_rate", "pass_rate", "hhi"):
        values = m[column].dropna()
        assert ((values >= 0) & (values <= 1)).all(), column
    assert (m["deployed_women"] <= m["deployed"]).all()
    coverage = tables["skills"]["coverage"].dropna()
    assert ((coverage >= 0) & (coverage <= 1)).all()


@PROPERTY_SETTINGS
@given(scenarios(with_events=True))
def test_nobody_serves_outside_a_missions_dates(raw: dict[str, Any]) -> None:
    """No officer of any category is deployed before a mission's start or after its end."""
    m = run(raw)["monthly"]
    for mission in raw["missions"]:
        rows = m[m["mission"] == mission["name"]]
        outside = rows["date"] < pd.Timestamp(mission["start"])
        if "end" in mission:
            outside |= rows["date"] > pd.Timestamp(mission["end"])
        assert (rows.loc[outside, "deployed"] == 0).all(), rows.loc[outside & (rows.deployed > 0)]


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(with_events=True))
def test_identical_variants_give_identical_tables(raw: dict[str, Any]) -> None:
    """A variant restating a base value, and a rerun of the base, reproduce every table."""
    data = copy.deepcopy(raw)
    data["variants"] = {"same": {"set": {"pipeline.overbooking": raw["pipeline"]["overbooking"]}}}
    loaded = load(data)
    base = simulate(loaded.base, 0)
    for tables in (simulate(loaded.resolve("same"), 0), simulate(loaded.base, 0)):
        for name, table in base.items():
            pd.testing.assert_frame_equal(table, tables[name], check_exact=True)
