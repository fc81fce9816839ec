"""Whole-run tests of the model: invariants, face validity and reproducibility."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim
from sim.model import Decisions, simulate


def scenario_from(raw: dict[str, Any], **changes: Any) -> sim.Scenario:
    """A validated scenario from raw data with ``{key.path: value}`` overrides."""
    data = sim.scenario.schema.apply_overrides(raw, changes)
    data.pop("variants", None)
    return sim.load_scenario(data).base


# --- invariants ------------------------------------------------------------------------------


def test_every_officer_is_conserved(tiny_runs: dict[str, list[dict[str, Any]]]) -> None:
    """The census of serving officers equals the missions' deployed, every month and category.

    Two counts kept apart: the census (``pipeline`` table) moves with each state change, the
    ``deployed`` column adds up the missions' serving counters.
    """
    for runs in tiny_runs.values():
        for tables in runs:
            pipe, monthly = tables["pipeline"], tables["monthly"]
            census = pipe[pipe["state"] == "serving"].set_index(["month", "category"])["officers"]
            parts = monthly[(monthly["mission"] != "ALL") & (monthly["category"] != "all")]
            deployed = parts.groupby(["month", "category"])["deployed"].sum()
            pd.testing.assert_series_equal(census.sort_index(), deployed.sort_index(),
                                           check_names=False)
            assert (pipe["officers"] >= 0).all()
            assert census.max() > 0


def test_invariant_checks_pass_on_the_tiny_scenario(tiny: sim.LoadedScenario) -> None:
    """With the debug checks on, a run of every variant raises no invariant violation."""
    for name in tiny.names:
        simulate(tiny.resolve(name), 0, check_invariants=True)


def test_invariant_checks_catch_a_drifting_counter(tiny: sim.LoadedScenario) -> None:
    """A mission counter knocked out of step with the census is reported at the next check."""
    from sim.model.invariants import InvariantViolation, check_invariants
    from sim.model.replication import build_world, start_processes
    from sim.model.streams import replication_seed

    world = build_world(tiny.base, replication_seed(7, 0))
    start_processes(world)
    check_invariants(world)
    world.missions[0].serving_ipo.add(0)  # one officer too many, serving nowhere
    with pytest.raises(InvariantViolation, match="census serving"):
        check_invariants(world)


def test_deployed_within_authorized_plus_rotation_overlap(
        tiny_runs: dict[str, list[dict[str, Any]]]) -> None:
    """Individual officers never exceed posts beyond those due to rotate; units never do."""
    for runs in tiny_runs.values():
        for tables in runs:
            m = tables["monthly"]
            ipo = m[m["category"] == "ipo"]
            assert (ipo["deployed"] <= ipo["authorized"] + ipo["rotating_out"]).all()
            for cat in ("fpu", "spt"):
                rows = m[m["category"] == cat]
                assert (rows["deployed"] <= rows["authorized"]).all(), cat


def test_shares_are_shares(tiny_runs: dict[str, list[dict[str, Any]]]) -> None:
    """Women's shares, vacancy rates, coverage and HHI stay in [0, 1]."""
    for runs in tiny_runs.values():
        for tables in runs:
            m = tables["monthly"]
            for col in ("women_share", "vacancy_rate", "hhi"):
                values = m[col].dropna()
                assert ((values >= 0) & (values <= 1)).all(), col
            coverage = tables["skills"]["coverage"].dropna()
            assert ((coverage >= 0) & (coverage <= 1)).all()
            assert (m["deployed_women"] <= m["deployed"]).all()


def test_totals_are_sums_of_parts(tiny_runs: dict[str, list[dict[str, Any]]]) -> None:
    """The ALL mission and the ``all`` category are sums of the missions and categories."""
    m = tiny_runs["base"][0]["monthly"]
    parts = m[(m["mission"] != "ALL") & (m["category"] != "all")]
    whole = m[(m["mission"] == "ALL") & (m["category"] == "all")]
    assert parts.groupby("month")["deployed"].sum().tolist() == whole["deployed"].tolist()


def test_closed_mission_has_nobody_after_its_end(
        tiny_runs: dict[str, list[dict[str, Any]]]) -> None:
    """South ends on 2029-06-30; from the next month nobody serves there."""
    m = tiny_runs["base"][0]["monthly"]
    after = m[(m["mission"] == "South") & (m["date"] >= "2029-08-01")]
    assert (after["deployed"] == 0).all() and (after["authorized"] == 0).all()
    before = m[(m["mission"] == "South") & (m["date"] == "2028-01-01") & (m["category"] == "ipo")]
    assert before["deployed"].iloc[0] > 0


# --- face validity ---------------------------------------------------------------------------


def _late_mean(runs: list[dict[str, Any]], col: str, mission: str = "ALL",
               category: str = "ipo") -> float:
    values = []
    for tables in runs:
        m = tables["monthly"]
        rows = m[(m["mission"] == mission) & (m["category"] == category) & (m["month"] >= 24)]
        values.append(rows[col].mean())
    return float(np.mean(values))


def test_womens_quota_raises_womens_share(tiny_runs: dict[str, list[dict[str, Any]]]) -> None:
    """A 40% women's nomination quota raises IPO women's share by over 5 points (pools ~24%)."""
    base = _late_mean(tiny_runs["base"], "women_share")
    quota = _late_mean(tiny_runs["quota"], "women_share")
    assert quota > base + 0.05, (base, quota)


def test_more_assessment_capacity_never_slows_deployment(tiny_raw: dict[str, Any]) -> None:
    """With common random numbers, 1 → 2 → 4 → 8 assessment teams (10 candidates a month each,
    so capacity binds at first) never lengthen the mean over 4 replications of the median days
    from vacancy to deployment (tolerance 1 day). Single replications are not monotone: a
    faster pipeline changes which contributor's draws come next, so the claim is about means."""
    medians = []
    for teams in (1, 2, 4, 8):
        scenario = scenario_from(tiny_raw, **{"pipeline.assessment.teams": teams,
                                              "pipeline.assessment.candidates_per_team_month": 10})
        values = []
        for r in range(4):
            out = simulate(scenario, r)["outcomes"]
            row = out[(out["mission"] == "ALL") & (out["category"] == "ipo")
                      & (out["outcome"] == "median_time_to_deploy")]
            values.append(row["value"].iloc[0])
        medians.append(float(np.mean(values)))
    assert all(b <= a + 1.0 for a, b in itertools.pairwise(medians)), medians
    assert medians[-1] < medians[0], medians


def test_mission_without_posts_gets_nobody(tiny_raw: dict[str, Any]) -> None:
    """A mission that authorizes nothing never has anyone deployed or nominated."""
    raw = copy.deepcopy(tiny_raw)
    raw["missions"].append({"name": "Empty", "start": "2020-01-01", "languages": ["en"]})
    raw.pop("variants")
    tables = simulate(sim.load_scenario(raw).base, 0)
    m = tables["monthly"]
    empty = m[m["mission"] == "Empty"]
    assert (empty["deployed"] == 0).all() and (empty["nominations"] == 0).all()


def test_contributor_with_zero_pool_contributes_nobody(tiny_raw: dict[str, Any]) -> None:
    """A contributor with no police contributes no officer, individual, unit or team."""
    scenario = scenario_from(tiny_raw, **{"contributors.Beta.police_strength": 0})
    tables = simulate(scenario, 0)
    c = tables["contributors"]
    assert (c[c["contributor"] == "Beta"]["deployed"] == 0).all()
    assert c[c["contributor"] == "Alpha"]["deployed"].max() > 0


def test_zero_propensity_and_no_initial_staff_means_no_one_deployed(
        tiny_raw: dict[str, Any]) -> None:
    """If no contributor ever answers and nobody serves at the start, nobody is deployed."""
    scenario = scenario_from(tiny_raw, **{
        "contributors.Alpha.ipo_propensity": 0.0, "contributors.Beta.ipo_propensity": 0.0,
        "missions.North.initial": {"ipo": 0}, "missions.North.teams": [],
    })
    m = simulate(scenario, 0)["monthly"]
    assert (m[m["category"].isin(["ipo", "fpu"])]["deployed"] == 0).all()


def test_no_assessment_teams_means_only_pre_assessed_arrive(tiny_raw: dict[str, Any]) -> None:
    """Without assessment teams no individual officer passes assessment or arrives."""
    scenario = scenario_from(tiny_raw, **{"pipeline.assessment.teams": 0})
    m = simulate(scenario, 0)["monthly"]
    ipo = m[(m["category"] == "ipo") & (m["mission"] == "ALL")]
    assert ipo["assessed"].sum() == 0 and ipo["arrivals"].sum() == 0
    assert ipo["nominations"].sum() > 0


# --- reproducibility and common random numbers -----------------------------------------------


def test_same_seed_same_tables(tiny: sim.LoadedScenario) -> None:
    """Two runs of the same replication and seed give identical tables."""
    a = simulate(tiny.base, 2, seed=11)
    b = simulate(tiny.base, 2, seed=11)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_other_seed_other_tables(tiny: sim.LoadedScenario) -> None:
    """A different replication gives different draws."""
    a = simulate(tiny.base, 0)["monthly"]
    b = simulate(tiny.base, 1)["monthly"]
    assert not a["deployed"].equals(b["deployed"])


def test_variant_identical_to_base_gives_identical_tables(tiny_raw: dict[str, Any]) -> None:
    """A variant that changes nothing reproduces the base exactly (common random numbers)."""
    raw = copy.deepcopy(tiny_raw)
    raw["variants"] = {"same": {"description": "no change"}}
    loaded = sim.load_scenario(raw)
    a = simulate(loaded.resolve("base"), 1)
    b = simulate(loaded.resolve("same"), 1)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_replaced_decision_function_is_used(tiny: sim.LoadedScenario) -> None:
    """A researcher's selection rule replaces the stock one: selecting nobody deploys nobody new."""
    tables = simulate(tiny.base, 0, decisions=Decisions(select_candidates=lambda c, n, w: []))
    m = tables["monthly"]
    assert m[(m["category"] == "ipo") & (m["mission"] == "ALL")]["arrivals"].sum() == 0


@pytest.mark.parametrize("table", ["monthly", "skills", "pipeline", "contributors",
                                   "deploy_times", "targets", "outcomes"])
def test_tables_follow_the_documented_schema(tiny_runs: dict[str, list[dict[str, Any]]],
                                             table: str) -> None:
    """Every table has its documented key columns and no duplicated keys."""
    keys = {
        "monthly": ["month", "mission", "category"],
        "skills": ["month", "mission", "skill"],
        "pipeline": ["month", "category", "state"],
        "contributors": ["month", "contributor", "category"],
        "deploy_times": ["mission", "category", "bin_start_days"],
        "targets": ["mission", "category", "target_date"],
        "outcomes": ["mission", "category", "outcome"],
    }[table]
    frame = tiny_runs["base"][0][table]
    assert set(keys) <= set(frame.columns)
    assert not frame.duplicated(keys).any()


def test_replacements_arrive_for_the_handover_not_months_early(tiny_raw: dict[str, Any]) -> None:
    """With a 180-day replacement lead and 5-day travel, replacements selected ahead wait for
    the handover: individual officers exceed posts by under 2% of posts on average (arriving
    on selection would overlap for months: 12% here)."""
    scenario = scenario_from(tiny_raw, **{
        "pipeline.replacement_lead_days": 180, "pipeline.travel_delay": {"mean_days": 5},
        "pipeline.assessment.teams": 8,
    })
    excess, posts = 0, 0
    for r in range(3):
        m = simulate(scenario, r)["monthly"]
        ipo = m[(m["category"] == "ipo") & (m["mission"] != "ALL")]
        excess += int((ipo["deployed"] - ipo["authorized"]).clip(lower=0).sum())
        posts += int(ipo["authorized"].sum())
    assert excess / posts < 0.02, excess / posts


def test_initial_staff_with_no_contributor_at_the_start(tiny_raw: dict[str, Any]) -> None:
    """Initial officers need a contributor: none active at the start places nobody (no crash).

    Found by tests/test_properties.py: the owners' draw failed on an empty list of contributors.
    """
    scenario = scenario_from(tiny_raw, **{"contributors.Alpha.joins": "2026-01-01",
                                          "contributors.Beta.joins": "2026-01-01"})
    m = simulate(scenario, 0)["monthly"]
    north = m[(m["mission"] == "North") & (m["category"] == "ipo")]
    assert north["deployed"].iloc[0] == 0
    assert north[north["date"] >= "2027-01-01"]["deployed"].min() > 0


def test_a_replication_leaves_no_world_behind(tiny: sim.LoadedScenario) -> None:
    """``simulate`` collects its world (cyclic garbage) before returning, even with the
    collector switched off: a loop of replications on one scenario then never pauses for the
    worlds of a dozen replications at once (``sim.model.replication.collect_world``)."""
    import gc

    def officers() -> int:
        return sum(type(o).__name__ == "Officer" for o in gc.get_objects())

    from sim.model.replication import build_world, replication_seed, start_processes

    world = build_world(tiny.base, replication_seed(1, 0), None)
    start_processes(world)
    world.env.run(until=100)
    assert officers() > 0  # the count sees a world's officers (compiled or not)
    del world
    gc.collect()
    before = officers()
    gc.disable()
    try:
        tables = simulate(tiny.base, replication=3)
        left = officers()
    finally:
        gc.enable()
    assert len(tables["monthly"]) > 0
    assert left == before == 0
