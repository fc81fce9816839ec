"""Casework: known answers from queueing theory, invariants, INTERPOL levers, bad input."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import sim
from cli import main
from sim.errors import ScenarioError
from sim.model import casework
from sim.model.policies import PolicyBook, TimedLever
from sim.model.replication import simulate
from sim.scenario.casework import MONTH_DAYS
from sim.scenario.levers import InterpolCapacityBuilding, SpecialistTraining


def erlang_c(servers: int, load: float) -> float:
    """Probability an arrival waits in an M/M/c queue (Erlang C), ``load`` = λ/μ < c."""
    head = sum(load**k / math.factorial(k) for k in range(servers))
    tail = load**servers / math.factorial(servers) * servers / (servers - load)
    return tail / (head + tail)


def desk_scenario(rate: float, slots: int, mean_days: float, years: float = 15,
                  warmup: float = 2) -> sim.Scenario:
    """One mission with no police and one crime area served by ``slots`` counterpart slots."""
    return sim.load_scenario({
        "name": "mmc",
        "run": {"start": "2025-01-01", "years": years, "seed": 11, "warmup_years": warmup},
        "skills": ["investigation"],
        "contributors": [{"name": "A", "police_strength": 1000, "women_share": 0.2}],
        "missions": [{"name": "Desk", "start": "2020-01-01"}],
        "casework": {
            "areas": {"drugs": {"service_mean_days": mean_days, "service_cv": 1.0,
                                "clearance_probability": 0.5}},
            "missions": {"Desk": {"arrivals": {"drugs": {"2020-01-01": rate}},
                                  "counterpart_slots": slots}},
        },
    }).base


def with_casework(tiny_raw: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The tiny scenario with casework at North (staffed by its specialists and generalists)."""
    data = copy.deepcopy(tiny_raw)
    data["casework"] = {
        "generic_slot_fraction": 0.02,
        "missions": {"North": {"arrivals": {
            "fugitives": {"2025-01-01": 6}, "drugs": {"2025-01-01": 5},
            "trafficking_in_human_beings": {"2025-01-01": 4}}}},
        **extra,
    }
    return data


def rows(cases: pd.DataFrame, mission: str, area: str) -> pd.DataFrame:
    return cases[(cases["mission"] == mission) & (cases["area"] == area)]


# --- known answers -------------------------------------------------------------------------------


@pytest.mark.slow
def test_mmc_matches_erlang_c() -> None:
    """Exponential work and fixed slots: mean wait and utilisation match M/M/c theory.

    λ = 24 cases/month, mean work 10 days, 10 slots (ρ ≈ 0.79); six independent replications
    of 15 years after a 2-year warm-up (~4,300 cases each). The tolerance is 4 standard errors
    of the replication means (plus 2 % for the monthly utilisation's start-of-month binning).
    """
    rate, mean, servers = 24.0, 10.0, 10
    lam, mu = rate / MONTH_DAYS, 1 / mean
    load = lam / mu
    expected_wait = erlang_c(servers, load) / (servers * mu - lam)
    scenario = desk_scenario(rate, servers, mean)
    waits, uses = [], []
    for rep in range(6):
        g = rows(simulate(scenario, rep)["cases"], "Desk", "drugs")
        waits.append((g["mean_wait_days"] * g["started"]).sum() / g["started"].sum())
        uses.append(g["utilisation"].mean())
    se_wait = np.std(waits, ddof=1) / np.sqrt(len(waits))
    se_use = np.std(uses, ddof=1) / np.sqrt(len(uses))
    assert abs(np.mean(waits) - expected_wait) < 4 * se_wait, (np.mean(waits), expected_wait)
    assert abs(np.mean(uses) - load / servers) < 4 * se_use + 0.02, (np.mean(uses), load / 10)


def test_no_eligible_slots_backlog_grows_linearly() -> None:
    """With no slots every case waits: backlog = cumulative arrivals, slope = the arrival rate."""
    scenario = desk_scenario(rate=20.0, slots=0, mean_days=10, years=10, warmup=0)
    g = rows(simulate(scenario, 0)["cases"], "Desk", "drugs")
    assert (g["started"] == 0).all()
    assert (g["backlog"].to_numpy() == g["arrivals"].cumsum().to_numpy()).all()
    months = len(g)
    slope = np.polyfit(np.arange(months), g["backlog"].to_numpy(), 1)[0]
    # Poisson counts: the final backlog has sd √(λ·months); the slope's error is of that order
    # over the months, so 4 × √(λ·months)/months bounds it
    assert abs(slope - 20.0) < 4 * math.sqrt(20.0 * months) / months * 2


def test_staff_without_eligible_skills_work_no_cases(tiny_raw: dict[str, Any]) -> None:
    """Officers whose skills work no area (and no generic share) leave every case waiting."""
    data = with_casework(tiny_raw, eligibility={}, generic_slot_fraction=0.0)
    cases = simulate(sim.load_scenario(data).base, 0)["cases"]
    g = rows(cases, "North", "all")
    assert (g["slots"] == 0).all() and (g["started"] == 0).all()
    assert (g["backlog"].to_numpy() == g["arrivals"].cumsum().to_numpy()).all()
    # 15 cases a month for 60 months: Poisson mean 900, sd 30, so 810 is 3 sd below
    assert g["backlog"].iloc[-1] > 0.9 * 15 * len(g)


def test_backlog_is_conserved(tiny_raw: dict[str, Any]) -> None:
    """Each month: backlog = last backlog + arrivals − started − abandoned; closed = started."""
    data = with_casework(tiny_raw)
    data["casework"]["areas"] = {"fugitives": {"max_wait_days": 30},
                                 "drugs": {}, "trafficking_in_human_beings": {}}
    cases = simulate(sim.load_scenario(data).base, 0)["cases"]
    for area in ("fugitives", "drugs", "trafficking_in_human_beings", "all"):
        g = rows(cases, "North", area)
        before = g["backlog"].shift(1, fill_value=g["backlog"].iloc[0] + g["started"].iloc[0]
                                    + g["abandoned"].iloc[0] - g["arrivals"].iloc[0])
        assert (g["backlog"] == before + g["arrivals"] - g["started"] - g["abandoned"]).all()
        in_work = g["in_work"].shift(1, fill_value=g["in_work"].iloc[0])
        closed = g["cleared"] + g["closed_uncleared"]
        assert (g["in_work"].iloc[1:] == (in_work + g["started"] - closed).iloc[1:]).all()
    assert rows(cases, "North", "fugitives")["abandoned"].sum() >= 0


# --- staffing drives casework, and casework does not drive staffing ------------------------------


def test_casework_never_changes_staffing(tiny_raw: dict[str, Any]) -> None:
    """The staffing tables are identical with and without casework (feedback off)."""
    plain = simulate(sim.load_scenario(tiny_raw).base, 1)
    worked = simulate(sim.load_scenario(with_casework(tiny_raw)).base, 1)
    for table in ("monthly", "skills", "pipeline", "contributors", "targets"):
        pd.testing.assert_frame_equal(plain[table], worked[table])
    assert plain["cases"].empty and not worked["cases"].empty
    n = len(plain["outcomes"])
    pd.testing.assert_frame_equal(plain["outcomes"], worked["outcomes"].iloc[:n])
    extra = worked["outcomes"].iloc[n:]
    assert set(extra["outcome"]) == {"cases_cleared", "case_backlog", "cost_per_case_cleared"}


def test_feedback_pulls_specialists(tiny_raw: dict[str, Any]) -> None:
    """With feedback on, a swamped desk codes calls, so the staffing results change."""
    data = with_casework(tiny_raw, feedback={"enabled": True, "backlog_per_slot": 0.5})
    data["casework"]["missions"]["North"]["arrivals"]["fugitives"] = {"2025-01-01": 60}
    plain = simulate(sim.load_scenario(tiny_raw).base, 0)["skills"]
    pulled = simulate(sim.load_scenario(data).base, 0)["skills"]
    north = (pulled["mission"] == "North") & (pulled["skill"] == "investigation")
    assert pulled.loc[north, "deployed"].sum() > plain.loc[north, "deployed"].sum()


def test_slots_follow_serving_specialists(tiny_raw: dict[str, Any]) -> None:
    """Slots at a desk are the serving eligible specialists' shares, generic officers' fractions.

    North starts with 8 investigators (2 slots each over 5 areas: 3.2 per area) and 142 generic
    officers (0.02 slots each over 5 areas: 0.568), so fugitives has ⌊3.768⌋ = 3 slots at first.
    """
    cases = simulate(sim.load_scenario(with_casework(tiny_raw)).base, 0)["cases"]
    assert rows(cases, "North", "fugitives")["slots"].iloc[0] >= 3
    assert rows(cases, "North", "corruption")["arrivals"].sum() == 0


# --- INTERPOL ------------------------------------------------------------------------------------


def connectivity(hits: dict[str, float], **extra: Any) -> dict[str, Any]:
    return {"lever": "interpol_connectivity", "start": "2025-01-01", "level": "mission_hq",
            "hit_probability": hits, **extra}


def test_connectivity_without_hits_changes_nothing(tiny_raw: dict[str, Any]) -> None:
    """A hit probability of 0 everywhere leaves the cases table byte-identical (CRN)."""
    plain = with_casework(tiny_raw)
    linked = copy.deepcopy(plain)
    linked["policies"] = [connectivity({"fugitives": 0.0, "drugs": 0.0})]
    a = simulate(sim.load_scenario(plain).base, 2)["cases"]
    b = simulate(sim.load_scenario(linked).base, 2)["cases"]
    assert a.to_csv(float_format="%.17g") == b.to_csv(float_format="%.17g")


def test_hits_shorten_time_to_clear(tiny_raw: dict[str, Any]) -> None:
    """Hits on every case with field access cut the median days to clear (same arrivals)."""
    plain = with_casework(tiny_raw)
    linked = copy.deepcopy(plain)
    linked["policies"] = [connectivity({"fugitives": 1.0, "drugs": 1.0,
                                        "trafficking_in_human_beings": 1.0},
                                       level="field", work_factor=0.5)]
    a = simulate(sim.load_scenario(plain).base, 0)["cases"]
    b = simulate(sim.load_scenario(linked).base, 0)["cases"]
    ga, gb = rows(a, "North", "all"), rows(b, "North", "all")
    assert (ga["arrivals"] == gb["arrivals"]).all()
    assert gb["median_days_to_clear"].median() < ga["median_days_to_clear"].median()
    assert gb["cleared"].sum() > ga["cleared"].sum()
    assert (gb["hit_share"].dropna() == 1.0).all() and (ga["hit_share"].dropna() == 0.0).all()


def test_investigative_support_adds_slots_for_weeks(tiny_raw: dict[str, Any]) -> None:
    """An expert block adds its slots in the named area for its weeks only."""
    plain = with_casework(tiny_raw)
    helped = copy.deepcopy(plain)
    helped["policies"] = [{"lever": "interpol_investigative_support", "start": "2026-01-10",
                           "areas": ["drugs"], "slots": 5, "weeks": 4}]
    a = rows(simulate(sim.load_scenario(plain).base, 0)["cases"], "North", "drugs")
    b = rows(simulate(sim.load_scenario(helped).base, 0)["cases"], "North", "drugs")
    diff = (b["slots"].to_numpy() - a["slots"].to_numpy())
    # slots are reported at the month's end: the block (10 Jan – 7 Feb 2026) spans only the
    # end of January (month 12)
    assert diff[12] == 5 and (diff[:12] == 0).all() and (diff[13:] == 0).all()
    other = rows(simulate(sim.load_scenario(helped).base, 0)["cases"], "North", "fugitives")
    assert (other["slots"].to_numpy() == rows(simulate(sim.load_scenario(plain).base, 0)[
        "cases"], "North", "fugitives")["slots"].to_numpy()).all()


def test_capacity_building_raises_shares_after_lag() -> None:
    """INTERPOL capacity building multiplies skill shares from start + lag, like training."""
    book = PolicyBook([
        TimedLever(100.0, InterpolCapacityBuilding(lever="interpol_capacity_building",
                                                   skills=["forensics"], share_multiplier=1.5,
                                                   lag_months=6)),
        TimedLever(0.0, SpecialistTraining(lever="specialist_training", share_multiplier=2.0)),
    ])
    assert book.skill_share_multiplier(100.0, "forensics") == 2.0
    assert book.skill_share_multiplier(100 + 6 * MONTH_DAYS, "forensics") == 3.0
    assert book.skill_share_multiplier(1000.0, "sgbv") == 2.0
    assert book.training_epoch(99.0) != book.training_epoch(1000.0)


def test_vetting_slows_and_screens_nominees(tiny_raw: dict[str, Any]) -> None:
    """Vetting adds delay and rejections: fewer nominees pass, and the time to deploy grows."""
    vetted = copy.deepcopy(tiny_raw)
    vetted["policies"] = [{"lever": "interpol_vetting", "extra_delay_days": 60,
                           "rejection_share": 0.2, "repatriation_factor": 0.5}]
    a = simulate(sim.load_scenario(tiny_raw).base, 0)["monthly"]
    b = simulate(sim.load_scenario(vetted).base, 0)["monthly"]
    sel = (a["mission"] == "ALL") & (a["category"] == "ipo")
    assert b.loc[sel, "passed"].sum() / b.loc[sel, "assessed"].sum() \
        < a.loc[sel, "passed"].sum() / a.loc[sel, "assessed"].sum()


# --- pure decisions ------------------------------------------------------------------------------


def test_case_slots_rounds_down_the_sum() -> None:
    """Slots: specialists × shares + generic × fraction + partners + experts, rounded down."""
    assert casework.case_slots([3, 2], [0.4, 2.0], 100, 0.004, 1.0, 2) == 8  # ⌊8.6⌋
    assert casework.case_slots([0], [0.0], 0, 0.1, 0.0, 0) == 0


def test_hit_raises_clearance_probability() -> None:
    """A hit closes a share of the gap to certain clearance; no hit leaves it."""
    assert casework.clearance_probability(0.2, True, 0.5) == pytest.approx(0.6)
    assert casework.clearance_probability(0.2, False, 0.5) == 0.2
    assert casework.query_hit(0.0, 0.0) is False and casework.query_hit(1.0, 0.999) is True


# --- bad input -----------------------------------------------------------------------------------


BAD = {
    "unknown area in lever": (
        lambda d: d.update(policies=[connectivity({"fugitive": 0.3})]),
        "policies[0].hit_probability: unknown crime area 'fugitive'; did you mean 'fugitives'?"),
    "unknown area in support": (
        lambda d: d.update(policies=[{"lever": "interpol_investigative_support",
                                      "start": "2026-01-01", "areas": ["piracy"]}]),
        "policies[0].areas: unknown crime area 'piracy'"),
    "unknown mission in lever": (
        lambda d: d.update(policies=[connectivity({}, missions=["Nort"])]),
        "policies[0].missions: unknown mission 'Nort'; did you mean 'North'?"),
    "unknown skill in eligibility": (
        lambda d: d["casework"].update(eligibility={"forensic": ["drugs"]}),
        "casework.eligibility: unknown skill 'forensic'; did you mean 'forensics'?"),
    "unknown area in eligibility": (
        lambda d: d["casework"].update(eligibility={"forensics": ["drug"]}),
        "casework.eligibility.forensics: unknown crime area 'drug'"),
    "unknown mission in casework": (
        lambda d: d["casework"]["missions"].update(Sout={"arrivals": {}}),
        "casework.missions: unknown mission 'Sout'; did you mean 'South'?"),
    "unknown area in arrivals": (
        lambda d: d["casework"]["missions"]["North"]["arrivals"].update(piracy={}),
        "casework.missions.North.arrivals: unknown crime area 'piracy'"),
    "negative rate": (
        lambda d: d["casework"]["missions"]["North"]["arrivals"].update(
            drugs={"2025-01-01": -2}),
        "casework.missions.North.arrivals: got dict, drugs.2025-01-01: got -2"),
    "probability above 1": (
        lambda d: d["casework"].update(areas={"drugs": {"clearance_probability": 1.5}}),
        "casework.areas.drugs.clearance_probability: got 1.5"),
    "hit probability above 1": (
        lambda d: d.update(policies=[connectivity({"drugs": 2})]),
        "policies[0].hit_probability: got dict, drugs: got 2"),
    "connectivity without casework": (
        lambda d: (d.pop("casework"), d.update(policies=[connectivity({})])),
        "policies[0].lever: got 'interpol_connectivity', which acts on casework"),
    "retired lever": (
        lambda d: d.update(policies=[{"lever": "interpol_support",
                                      "investigative_multiplier": 1.25}]),
        "policies[0].lever: got 'interpol_support', replaced by interpol_connectivity"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_casework_input_is_located(case: str, tiny_raw: dict[str, Any]) -> None:
    """Each bad casework or INTERPOL input names where, what came and what is allowed."""
    edit, message = BAD[case]
    data = with_casework(tiny_raw)
    edit(data)
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(data)
    assert message in str(info.value), str(info.value)


def test_bad_casework_file_writes_nothing(tiny_raw: dict[str, Any], tmp_path: Path) -> None:
    """`ppsim run` on a file with a bad crime area exits 2 and leaves no run folder."""
    data = with_casework(tiny_raw)
    data["policies"] = [connectivity({"piracy": 0.3})]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(path), "--serial", "--out", str(out)])
    assert result.exit_code == 2
    assert "unknown crime area 'piracy'" in result.output
    assert not out.exists() and not out.with_name("out.partial").exists()


@pytest.mark.slow
def test_run_folder_has_cases_outcomes_and_figure(tiny_raw: dict[str, Any],
                                                  tmp_path: Path) -> None:
    """`ppsim compare` writes the cases table (of every variant, with casework or without),
    the casework outcomes and the casework figure."""
    data = with_casework(tiny_raw)
    data["variants"] = {"linked": {"policies": [connectivity({"fugitives": 0.5})]},
                        "without": {"set": {"casework": None}}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["compare", str(path), "-n", "2", "--serial",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    cases = pd.read_parquet(out / "tables" / "cases.parquet")
    assert {"variant", "replication", "backlog", "hit_share"} <= set(cases.columns)
    assert set(cases["variant"]) == {"base", "linked"}  # "without" adds no rows
    comparison = pd.read_parquet(out / "summary" / "comparison.parquet")
    assert {"cases_cleared", "case_backlog", "cost_per_case_cleared"} <= set(
        comparison["outcome"])
    assert (out / "plots" / "casework.png").stat().st_size > 20_000
