"""Every action-plan lever moves the outcome it exists to move, in the right direction.

Each lever runs alone against the base of ``tests/data/levers.yaml`` (a scenario built so that
every lever has something to act on) with common random numbers: replication r of the lever and
of the base share their random streams, so the per-replication differences are paired. A lever
passes when the 95% paired t-interval of (lever − base) on its outcome lies wholly on the right
side of zero. A lever that changes nothing at all is flagged separately as *inert*: in a scenario
where it should act, that is a bug (or a case the user must be warned about).

The list of cases is checked against :data:`sim.scenario.levers.LEVERS`, so a new lever without a
directional test fails the suite (one dict entry per lever: add or drop one with its lever).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sim
from sim.model import simulate
from sim.outputs.stats import mean_ci
from sim.scenario.levers import LEVERS
from sim.scenario.schema import apply_overrides, read_yaml

SCENARIO = Path(__file__).parent / "data" / "levers.yaml"
REPLICATIONS = 5
"""Paired replications per lever: enough for a t-interval (4 degrees of freedom), kept small."""

Tables = dict[str, pd.DataFrame]
UP, DOWN = 1, -1


def _ipo(tables: Tables, mission: str = "East") -> pd.DataFrame:
    m = tables["monthly"]
    return m[(m["mission"] == mission) & (m["category"] == "ipo")]


def _outcome(tables: Tables, name: str, category: str = "ipo") -> float:
    o = tables["outcomes"]
    row = o[(o["mission"] == "East") & (o["category"] == category) & (o["outcome"] == name)]
    return float(row["value"].iloc[0])


def women_among_arrivals(tables: Tables) -> float:
    """Share of women among the individual officers who arrived over the run."""
    rows = _ipo(tables)
    return float(rows["arrivals_women"].sum() / rows["arrivals"].sum())


def fpu_women_share(tables: Tables) -> float:
    """Mean women's share of formed units from month 6 (after the first rotation)."""
    m = tables["monthly"]
    rows = m[(m["mission"] == "East") & (m["category"] == "fpu") & (m["month"] >= 6)]
    return float(rows["women_share"].mean())


def specialist_coverage(tables: Tables) -> float:
    """Mean specialist coverage of the mission's specialist posts over the run."""
    return _outcome(tables, "mean_specialist_coverage")


def team_officers(tables: Tables) -> float:
    """Mean specialized-team officers deployed."""
    return _outcome(tables, "mean_deployed", "spt")


def median_time_to_deploy(tables: Tables) -> float:
    """Median days from a post falling vacant to an individual officer's arrival."""
    return _outcome(tables, "median_time_to_deploy")


def vacancies_after_surge(tables: Tables) -> float:
    """Mean individual vacancies in the six months after the 2026 surge (months 12–17)."""
    rows = _ipo(tables)
    return float(rows[(rows["month"] >= 12) & (rows["month"] < 18)]["vacancies"].mean())


def pass_rate(tables: Tables) -> float:
    """Share of assessed individual candidates who passed, over the run."""
    rows = _ipo(tables)
    return float(rows["passed"].sum() / rows["assessed"].sum())


def rotations(tables: Tables) -> float:
    """Individual officers who left at the end of their tour, over the run."""
    return float(_ipo(tables)["rotations"].sum())


def contributors(tables: Tables) -> float:
    """Mean number of contributors with anyone deployed."""
    m = tables["monthly"]
    return float(m[(m["mission"] == "ALL") & (m["category"] == "all")]["contributors"].mean())


def nominations(tables: Tables) -> float:
    """Individual nominations over the run."""
    return float(_ipo(tables)["nominations"].sum())


def early_repatriations(tables: Tables) -> float:
    """Individual officers repatriated before their tour's end, over the run."""
    return float(_ipo(tables)["repatriations"].sum())


def cases_cleared(tables: Tables) -> float:
    """Transnational-crime cases cleared at the mission over the run."""
    return _outcome(tables, "cases_cleared", "all")


def case_backlog(tables: Tables) -> float:
    """Cases waiting for a slot at the months' ends, averaged over the run."""
    return _outcome(tables, "case_backlog", "all")


@dataclass(frozen=True)
class LeverCase:
    """A lever's test: the policy, the outcome it exists to move and the expected direction.

    ``with_levers`` are added to both sides, for a lever that only acts together with another
    (a specialist roster serves skill-coded calls); ``settings`` ({key path: value} pairs) change
    the scenario on both sides, for a lever that acts only in some conditions (selection
    priority chooses only when more candidates wait than there are free posts).
    """

    policy: dict[str, Any]
    outcome: Callable[[Tables], float]
    direction: int
    with_levers: tuple[dict[str, Any], ...] = field(default=())
    settings: tuple[tuple[str, Any], ...] = field(default=())


SKILL_CODED = {"lever": "skill_coded_calls"}
QUEUE = (("pipeline.assessment.teams", 10), ("pipeline.overbooking", 4),
         ("contributors.Alpha.ipo_propensity", 1.0), ("contributors.Beta.ipo_propensity", 1.0))
"""Settings under which passed candidates queue for posts (so that selection has a choice)."""

CASES: dict[str, LeverCase] = {
    "women_nomination_quota": LeverCase(
        {"lever": "women_nomination_quota", "share": 0.5}, women_among_arrivals, UP),
    "women_selection_priority": LeverCase(
        {"lever": "women_selection_priority"}, women_among_arrivals, UP, settings=QUEUE),
    "gender_balanced_units": LeverCase(
        {"lever": "gender_balanced_units", "min_women_share": 0.3}, fpu_women_share, UP),
    "women_outreach": LeverCase(
        {"lever": "women_outreach", "propensity_multiplier": 3.0}, women_among_arrivals, UP),
    "skill_coded_calls": LeverCase(SKILL_CODED, specialist_coverage, UP),
    "specialist_roster": LeverCase(
        {"lever": "specialist_roster", "pre_assessed_share": 1.0}, median_time_to_deploy, DOWN,
        with_levers=(SKILL_CODED,)),
    "specialist_training": LeverCase(
        {"lever": "specialist_training", "share_multiplier": 4.0}, specialist_coverage, UP),
    "specialized_teams": LeverCase(
        {"lever": "specialized_teams", "skill": "investigation", "start": "2025-06-01"},
        team_officers, UP),
    "assessment_capacity": LeverCase(
        {"lever": "assessment_capacity", "teams": 4}, median_time_to_deploy, DOWN),
    "pre_assessed_roster": LeverCase(
        {"lever": "pre_assessed_roster", "share": 0.8}, median_time_to_deploy, DOWN),
    "standing_capacity": LeverCase(
        {"lever": "standing_capacity", "size": 30}, vacancies_after_surge, DOWN),
    "faster_deployment": LeverCase(
        {"lever": "faster_deployment", "nomination_delay_factor": 0.5,
         "travel_delay_factor": 0.5}, median_time_to_deploy, DOWN),
    "language_training": LeverCase(
        {"lever": "language_training", "penalty_reduction": 1.0}, pass_rate, UP),
    "tour_length": LeverCase({"lever": "tour_length", "months": 24}, rotations, DOWN),
    "new_contributor_outreach": LeverCase(
        {"lever": "new_contributor_outreach", "joining_rate_per_year": 6, "profile": "Beta"},
        contributors, UP),
    "reimbursement": LeverCase(
        {"lever": "reimbursement", "propensity_multiplier": 1.5}, nominations, UP),
    # INTERPOL levers act on the casework section (hits shorten work and raise clearance)
    "interpol_connectivity": LeverCase(
        {"lever": "interpol_connectivity", "level": "field",
         "hit_probability": {"fugitives": 0.9, "drugs": 0.9}, "clearance_gain": 0.8},
        cases_cleared, UP),
    "interpol_investigative_support": LeverCase(
        {"lever": "interpol_investigative_support", "start": "2025-03-01", "slots": 4,
         "weeks": 52}, case_backlog, DOWN),
    "interpol_capacity_building": LeverCase(
        {"lever": "interpol_capacity_building", "share_multiplier": 4.0, "lag_months": 0},
        specialist_coverage, UP),
    "interpol_vetting": LeverCase(
        {"lever": "interpol_vetting", "repatriation_factor": 0.2}, early_repatriations, DOWN),
}


def _scenario(levers: tuple[dict[str, Any], ...],
              settings: tuple[tuple[str, Any], ...]) -> sim.Scenario:
    raw = apply_overrides(read_yaml(SCENARIO), dict(settings))
    raw["policies"] = list(levers)
    return sim.load_scenario(raw).base


_RUNS: dict[str, tuple[Tables, ...]] = {}


def runs(levers: tuple[dict[str, Any], ...] = (), settings: tuple[tuple[str, Any], ...] = (),
         replications: int = REPLICATIONS) -> tuple[Tables, ...]:
    """Replications 0…R−1 of the lever scenario with ``levers`` (cached across tests)."""
    key = repr((levers, settings, replications))
    if key not in _RUNS:
        scenario = _scenario(levers, settings)
        _RUNS[key] = tuple(simulate(scenario, r) for r in range(replications))
    return _RUNS[key]


def paired(case: LeverCase) -> tuple[tuple[Tables, ...], tuple[Tables, ...]]:
    """(base runs, lever runs) of a case, replication by replication."""
    base = runs(case.with_levers, case.settings)
    lever = runs((*case.with_levers, case.policy), case.settings)
    return base, lever


def changes_anything(base: tuple[Tables, ...], lever: tuple[Tables, ...]) -> bool:
    """Whether any table of any replication differs between the two sides."""
    return any(
        not a[name].equals(b[name]) for a, b in zip(base, lever, strict=True) for name in a
    )


def test_every_lever_has_a_directional_test() -> None:
    """The cases cover exactly the levers the schema knows (a new lever needs a case)."""
    assert set(CASES) == set(LEVERS)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_lever_is_not_inert(name: str) -> None:
    """The lever changes the tables at all, in a scenario built for it to act."""
    base, lever = paired(CASES[name])
    assert changes_anything(base, lever), (
        f"lever {name!r} changed nothing in {SCENARIO.name}: a bug, or a case that needs a "
        "warning to the user")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_lever_moves_its_outcome_the_right_way(name: str) -> None:
    """95% paired t-interval of (lever − base) on the lever's outcome excludes 0, right side."""
    case = CASES[name]
    base, lever = paired(case)
    diffs = [case.outcome(b) - case.outcome(v) for b, v in zip(lever, base, strict=True)]
    n, mean, low, high = mean_ci(diffs)
    assert n == REPLICATIONS, f"{case.outcome.__name__} undefined in some replications: {diffs}"
    described = (f"{name}: {case.outcome.__name__} lever − base = {mean:.4g} "
                 f"(95% CI {low:.4g} to {high:.4g}; per replication {diffs})")
    if case.direction == UP:
        assert low > 0, described
    else:
        assert high < 0, described


def test_inertness_check_flags_a_lever_that_changes_nothing() -> None:
    """A lever restating the base (one assessment team, as the scenario has) is flagged inert."""
    same = ({"lever": "assessment_capacity", "teams": 1},)
    assert not changes_anything(runs(replications=1), runs(same, replications=1))
    assert changes_anything(runs(replications=1),
                            runs(({"lever": "assessment_capacity", "teams": 2},), replications=1))
