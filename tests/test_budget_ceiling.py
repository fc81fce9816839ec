"""Budget ceilings: the pure choice of posts kept, the known answer on the tiny scenario (cost
under the ceiling, within one unit of it), conservation, a ceiling above cost changing nothing,
and located errors; and a closure that empties teams too."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import sim
from cli import main
from sim.model.events import ceiling_factors
from sim.model.replication import simulate

RATES = {"ipo_officer_month": 10000.0, "fpu_officer_month": 4000.0, "spt_officer_month": 0.0}
CUT = {"type": "budget_cut", "start": "2026-01-01", "missions": ["North"], "share": 0.25,
       "lag_days": 30, "over_weeks": 12}


def scenario(tiny_raw: dict[str, Any], *events: dict[str, Any]) -> sim.Scenario:
    """The tiny scenario's base, priced at RATES, with ``events``."""
    raw = copy.deepcopy(tiny_raw)
    raw.pop("variants")
    raw["costs"] = RATES
    raw["events"] = list(events)
    return sim.load_scenario(raw).base


def rows(tables: dict[str, pd.DataFrame], mission: str, category: str) -> pd.DataFrame:
    """The monthly rows of one mission and category, indexed by date."""
    m = tables["monthly"]
    return m[(m.mission == mission) & (m.category == category)].set_index("date")


def authorized_cost(tables: dict[str, pd.DataFrame], mission: str, day: str) -> float:
    """Monthly cost (USD) of the mission's authorized individual and formed-unit posts."""
    when = pd.Timestamp(day)
    ipo = rows(tables, mission, "ipo").loc[when, "authorized"]
    fpu = rows(tables, mission, "fpu").loc[when, "authorized"]
    return float(ipo * RATES["ipo_officer_month"] + fpu * RATES["fpu_officer_month"])


def ceiling(tiny_raw: dict[str, Any], share: float, **extra: Any) -> dict[str, Any]:
    """A ceiling on North at ``share`` of its authorized cost on 2026-01-01."""
    base = simulate(scenario(tiny_raw), 0)
    usd = share * authorized_cost(base, "North", "2026-01-01")
    return {"type": "budget_ceiling", "start": "2026-01-01", "missions": ["North"],
            "usd_per_month": usd, "lag_days": 30, "over_weeks": 12, **extra}


# --- Pure choice ---------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["last_arrivals", "formed_units_first"])
def test_ceiling_factors_keep_cost_within_one_unit(order: str) -> None:
    """200 officers at 10 000 and 3 units of 140 at 4 000 (3.68 M) under a 2.76 M ceiling."""
    rates = (10000.0, 4000.0)
    cost = 200 * 10000 + 3 * 140 * 4000
    cap = 0.75 * cost
    f_ipo, f_units = ceiling_factors(200, 3, 140, rates, cap, order)
    kept = round(200 * f_ipo) * 10000 + round(3 * f_units) * 140 * 4000
    assert cap - 140 * 4000 <= kept <= cap
    assert ceiling_factors(200, 3, 140, rates, cost, order) == (1.0, 1.0)


def test_units_first_removes_a_unit_before_officers() -> None:
    """An excess smaller than one unit's cost removes one whole unit and no individual post."""
    assert ceiling_factors(200, 3, 140, (10000.0, 4000.0), 3_600_000, "formed_units_first") \
        == (1.0, pytest.approx(2 / 3))


# --- Known answers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def capped(tiny_raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """A 75 % ceiling on North (replication 0) and the event."""
    event = ceiling(tiny_raw, 0.75)
    return event, simulate(scenario(tiny_raw, event), 0)


def test_ceiling_caps_authorized_cost(tiny_raw: dict[str, Any],
                                      capped: tuple[dict[str, Any], Any]) -> None:
    """Every month after the lag North's authorized cost is ≤ the ceiling and ≥ it less one
    unit's cost — or, where its mandate is below the ceiling anyway, unchanged."""
    event, tables = capped
    base = simulate(scenario(tiny_raw), 0)
    unit_cost = 140 * RATES["fpu_officer_month"]
    months = rows(tables, "North", "ipo").loc["2026-02-01":].index
    cut = 0
    for day in months:
        cost = authorized_cost(tables, "North", str(day.date()))
        uncut = authorized_cost(base, "North", str(day.date()))
        assert cost <= event["usd_per_month"], day
        if uncut > event["usd_per_month"]:
            assert cost >= event["usd_per_month"] - unit_cost, day
            cut += 1
        else:
            assert cost == uncut, day
    assert cut >= 6  # the ceiling binds for months, not one day
    assert authorized_cost(tables, "North", "2026-01-01") > event["usd_per_month"]
    done = pd.Timestamp("2026-05-01")  # 12 weeks after the cut day (2026-01-31)
    ipo = rows(tables, "North", "ipo")
    assert ipo.loc[done, "deployed"] <= ipo.loc[done, "authorized"]
    assert "repatriated" in set(tables["events"]["effect"])


def test_ceiling_conserves_officers(capped: tuple[dict[str, Any], Any]) -> None:
    """With a ceiling the census holds exactly the officers generated, every month."""
    p = capped[1]["pipeline"]
    generated = p[p.state == "generated"].groupby("month").officers.sum()
    census = p[p.state != "generated"].groupby("month").officers.sum()
    assert (generated == census).all()


def test_ceiling_above_cost_changes_nothing(tiny_raw: dict[str, Any]) -> None:
    """A ceiling above the authorized cost leaves every table identical (common random numbers)."""
    base = simulate(scenario(tiny_raw), 1)
    above = simulate(scenario(tiny_raw, ceiling(tiny_raw, 1.01)), 1)
    for name in ("monthly", "pipeline"):
        pd.testing.assert_frame_equal(base[name], above[name])


def test_lifted_ceiling_returns_the_posts(tiny_raw: dict[str, Any]) -> None:
    """Posts come back on the ceiling's end date."""
    tables = simulate(scenario(tiny_raw, ceiling(tiny_raw, 0.75, end="2027-01-01")), 0)
    base = simulate(scenario(tiny_raw), 0)
    day = "2027-02-01"
    assert authorized_cost(tables, "North", day) == authorized_cost(base, "North", day)


# --- Teams and closures --------------------------------------------------------------------------


def test_closure_empties_teams_too(tiny_raw: dict[str, Any]) -> None:
    """A closure while North's forensics team serves empties the mission, team included."""
    closure = {"type": "forced_closure", "mission": "North", "start": "2026-06-01",
               "by": "2026-09-01"}
    tables = simulate(scenario(tiny_raw, closure), 0)
    spt = rows(tables, "North", "spt")
    assert spt.loc[pd.Timestamp("2026-06-01"), "deployed"] == 6  # the team was serving
    assert (spt.loc["2026-09-01":, "deployed"] == 0).all()
    assert (rows(tables, "North", "all").loc["2026-09-01":, "deployed"] == 0).all()


# --- Bad input -----------------------------------------------------------------------------------


def _check(tmp_path: Path, raw: dict[str, Any]) -> Any:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return CliRunner().invoke(main, ["check", str(path)], terminal_width=300)


GOOD = {"type": "budget_ceiling", "start": "2026-01-01", "missions": ["North"],
        "usd_per_month": 1_000_000}
BAD = {
    "unknown mission": ([{**GOOD, "missions": ["Nroth"]}], "events[0].missions: unknown mission"),
    "negative ceiling": ([{**GOOD, "usd_per_month": -1}], "events[0].usd_per_month: got -1"),
    "outside the run": ([{**GOOD, "start": "2040-01-01"}], "events[0].start: got 2040-01-01"),
    "end before start": ([{**GOOD, "end": "2025-06-01"}], "events[0].end: got 2025-06-01"),
    "overlapping cut": ([CUT, GOOD], "events[1]: overlaps events[0] (budget_ceiling and "
                        "budget_cut on North)"),
    "system ceiling and cut": ([CUT, {**GOOD, "missions": None}], "events[1]: overlaps events[0]"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_ceiling_gives_located_error(case: str, tiny_raw: dict[str, Any],
                                         tmp_path: Path) -> None:
    """A bad ceiling is named by its key path, with the value and what is allowed; exit ≠ 0."""
    events, message = BAD[case]
    raw = copy.deepcopy(tiny_raw)
    raw["costs"] = RATES
    raw["events"] = events
    result = _check(tmp_path, raw)
    assert result.exit_code != 0
    assert message in result.output, result.output


def test_unpriced_ceiling_is_refused(tiny_raw: dict[str, Any], tmp_path: Path) -> None:
    """Without cost rates a ceiling cannot be applied: a located error."""
    raw = copy.deepcopy(tiny_raw)
    raw["events"] = [GOOD]
    result = _check(tmp_path, raw)
    assert result.exit_code != 0
    assert "events[0].usd_per_month: a budget_ceiling needs costs" in result.output


# --- Teams and budget cuts -----------------------------------------------------------------------


def test_cut_leaves_teams_unless_included(tiny_raw: dict[str, Any]) -> None:
    """A 60 % cut sends North's one serving team home only with ``include_teams: true``."""
    cut = {**CUT, "start": "2026-05-01", "share": 0.6, "over_weeks": 4}  # cut day 2026-05-31
    day = pd.Timestamp("2026-07-01")
    base = rows(simulate(scenario(tiny_raw), 0), "North", "spt")
    assert base.loc[pd.Timestamp("2026-05-01"), "deployed"] == 6  # serving on the cut day
    kept = rows(simulate(scenario(tiny_raw, cut), 0), "North", "spt")
    assert kept.loc[day, "deployed"] == 6
    tables = simulate(scenario(tiny_raw, {**cut, "include_teams": True}), 0)
    cut_teams = rows(tables, "North", "spt")
    assert (cut_teams.loc[day:, "deployed"] == 0).all()
    assert cut_teams["drawdowns"].sum() == 6
    p = tables["pipeline"]
    generated = p[p.state == "generated"].groupby("month").officers.sum()
    assert (generated == p[p.state != "generated"].groupby("month").officers.sum()).all()


def test_teams_leaving_rounds_to_whole_teams() -> None:
    """A share of the serving teams, rounded, chosen by the order rule."""
    from sim.model.events import teams_leaving

    teams = [(10.0, "A"), (30.0, "B"), (20.0, "A")]
    assert teams_leaving(teams, 0.6, "last_arrivals") == [1, 2]
    assert teams_leaving(teams, 0.0, "last_arrivals") == []


def test_system_ceiling_caps_the_total(tiny_raw: dict[str, Any]) -> None:
    """A system ceiling (no missions) at 80 % of both missions' cost caps their sum, units first.

    Each mission may fall short of its share by up to one unit's cost: two missions, two units.
    """
    base = simulate(scenario(tiny_raw), 0)
    day = "2026-06-01"
    usd = 0.8 * sum(authorized_cost(base, m, day) for m in ("North", "South"))
    event = {"type": "budget_ceiling", "start": "2026-05-01", "usd_per_month": usd,
             "order": "formed_units_first"}
    tables = simulate(scenario(tiny_raw, event), 0)
    total = sum(authorized_cost(tables, m, day) for m in ("North", "South"))
    assert usd - 2 * 140 * RATES["fpu_officer_month"] <= total <= usd
