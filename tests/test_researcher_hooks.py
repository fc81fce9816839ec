"""Researcher hooks: the per-officer event table and decision functions that receive context."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.model import policies
from sim.model.replication import OFFICER_COLUMNS, simulate
from sim.model.world import DecisionContext, Decisions
from sim.scenario.schema import Scenario, load_scenario

TINY = Path(__file__).resolve().parent / "data" / "tiny.yaml"
LONG_WAIT_DAYS = 300


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    """The tiny scenario's base, resolved."""
    return load_scenario(TINY).resolve("base")


@pytest.fixture(scope="module")
def logged(tiny: Scenario) -> dict[str, pd.DataFrame]:
    """Replication 0 of the tiny scenario with the officer log."""
    return simulate(tiny, 0, officer_log=True)


def long_waits(officers: pd.DataFrame, days: float) -> pd.Series:
    """Officers who waited more than ``days`` from nomination to arrival, by contributor."""
    nominated = officers[officers["to_state"] == "nominated"].set_index("officer")["day"]
    arrived = officers[(officers["from_state"] == "travelling")
                       & (officers["to_state"] == "serving")]
    waited = arrived.assign(waited=arrived["day"].to_numpy()
                            - nominated.reindex(arrived["officer"]).to_numpy())
    return waited[waited["waited"] > days].groupby("contributor")["officer"].nunique()


def test_officer_log_counts_agree_with_the_monthly_arrivals(
        logged: dict[str, pd.DataFrame]) -> None:
    """Every arrival in the log is an arrival of the monthly table, mission by mission."""
    officers = logged["officers"]
    assert tuple(officers.columns) == OFFICER_COLUMNS
    arrivals = officers[(officers["from_state"] == "travelling")
                        & (officers["to_state"] == "serving") & (officers["day"] >= 0)]
    monthly = logged["monthly"]
    expected = monthly[(monthly["category"] == "ipo") & (monthly["mission"] != "ALL")] \
        .groupby("mission")["arrivals"].sum()
    assert arrivals.groupby("mission").size().to_dict() == expected.to_dict()
    assert expected.sum() > 500  # the comparison is not vacuous
    entered = officers[officers["from_state"] == "new"]
    assert entered["officer"].is_unique
    assert entered["officer"].tolist() == list(range(len(entered)))


def test_long_waits_by_contributor_are_a_subset_of_arrivals(
        logged: dict[str, pd.DataFrame]) -> None:
    """The Ciw-style query works: long waits are a share of the arrivals, per contributor."""
    officers = logged["officers"]
    some = long_waits(officers, 0)
    many = long_waits(officers, LONG_WAIT_DAYS)
    assert set(some.index) == {"Alpha", "Beta"}
    assert (many.reindex(some.index, fill_value=0) <= some).all()
    arrived = officers[officers["to_state"] == "serving"]
    # officers placed at the start were never nominated, so only pipeline arrivals count
    assert some.sum() == ((arrived["from_state"] == "travelling").sum())


def test_officer_log_leaves_the_other_tables_unchanged(
        tiny: Scenario, logged: dict[str, pd.DataFrame]) -> None:
    """Asking for the log adds a table and changes no other."""
    plain = simulate(tiny, 0)
    assert "officers" not in plain
    for name, table in plain.items():
        pd.testing.assert_frame_equal(table, logged[name])


def test_run_writes_the_officer_table_only_when_asked(tmp_path: Path) -> None:
    """``sim.run(officer_log=True)`` writes tables/officers with variant and replication."""
    loaded = sim.load_scenario(TINY)
    kwargs = {"replications": 1, "executor": "serial", "plots": False}
    on = sim.run(loaded, out=tmp_path / "on", officer_log=True, **kwargs)
    off = sim.run(loaded, out=tmp_path / "off", **kwargs)
    assert not (off.path / "tables" / "officers.parquet").exists()
    officers = pd.read_parquet(on.path / "tables" / "officers.parquet")
    assert list(officers.columns[:2]) == ["variant", "replication"]
    assert (officers["replication"] == 0).all()
    assert (on.path / "tables" / "monthly.parquet").read_bytes() \
        == (off.path / "tables" / "monthly.parquet").read_bytes()


def women_only_in_south(candidates: list[tuple[float, bool]], posts: int, women_first: bool,
                        *, context: DecisionContext) -> list[int]:
    """Select only women in the mission South, the stock rule elsewhere (module level)."""
    if context.mission != "South":
        return policies.select_candidates(candidates, posts, women_first)
    women = [i for i, (_, woman) in enumerate(candidates) if woman]
    return women[:max(posts, 0)]


seen: list[DecisionContext] = []


def recording_extends_tour(probability: float, rng: object, context: DecisionContext) -> bool:
    """Record the context (a positional-or-keyword ``context``) and decide as the stock rule."""
    seen.append(context)
    return bool(policies.extends_tour(probability, rng))  # type: ignore[arg-type]


def stock_except_nowhere(candidates: list[tuple[float, bool]], posts: int, women_first: bool,
                         *, context: DecisionContext) -> list[int]:
    """The stock rule everywhere but in a mission that does not exist (a no-op with context)."""
    return policies.select_candidates(candidates, posts,
                                      women_first or context.mission == "Nowhere")


def test_a_contextual_rule_that_changes_nothing_changes_nothing(
        tiny: Scenario, logged: dict[str, pd.DataFrame]) -> None:
    """Passing context costs nothing in results: a no-op contextual rule gives equal tables."""
    rule = Decisions(select_candidates=stock_except_nowhere)
    assert rule.contextual == {"select_candidates"}
    assert Decisions().contextual == frozenset()
    changed = simulate(tiny, 0, decisions=rule)
    for name in ("monthly", "outcomes", "contributors"):
        pd.testing.assert_frame_equal(changed[name], logged[name])


def ipo_means(monthly: pd.DataFrame, mission: str) -> tuple[float, float]:
    """Mean IPO women's share and mean IPO deployed of a mission over the run."""
    rows = monthly[(monthly["mission"] == mission) & (monthly["category"] == "ipo")
                   & (monthly["deployed"] > 0)]
    return float(rows["women_share"].mean()), float(rows["deployed"].mean())


def test_a_contextual_rule_acts_in_its_mission(tiny: Scenario,
                                               logged: dict[str, pd.DataFrame]) -> None:
    """Women-only selection in South makes South all women; North moves only through the
    contributors both missions share (women's share within 3 points, deployed within 2%)."""
    changed = simulate(tiny, 0, decisions=Decisions(select_candidates=women_only_in_south))
    south = ipo_means(changed["monthly"], "South"), ipo_means(logged["monthly"], "South")
    assert south[0][0] == pytest.approx(1.0)
    assert south[1][0] < 0.4
    north = ipo_means(changed["monthly"], "North"), ipo_means(logged["monthly"], "North")
    assert north[0][0] == pytest.approx(north[1][0], abs=0.03)
    assert north[0][1] == pytest.approx(north[1][1], rel=0.02)


def test_context_has_day_date_mission_and_contributor(tiny: Scenario) -> None:
    """A rule taking ``context`` positionally-or-by-keyword sees consistent dates and names."""
    seen.clear()
    simulate(tiny, 0, decisions=Decisions(extends_tour=recording_extends_tour))
    assert len(seen) > 100
    start = tiny.run.start
    for context in seen[:50]:
        assert context.mission in {"North", "South"}
        assert context.contributor in {"Alpha", "Beta"}
        assert (context.date - start).days == int(context.day // 1)


def test_cli_run_officer_log(tmp_path: Path) -> None:
    """``ppsim run --officer-log`` writes tables/officers; without it there is none."""
    from click.testing import CliRunner

    from cli import main

    args = ["run", str(TINY), "--replications", "1", "--serial", "--no-plots", "--out"]
    on = CliRunner().invoke(main, [*args, str(tmp_path / "on"), "--officer-log"])
    off = CliRunner().invoke(main, [*args, str(tmp_path / "off")])
    assert on.exit_code == 0 and off.exit_code == 0, on.output + off.output
    assert len(pd.read_parquet(tmp_path / "on" / "tables" / "officers.parquet")) > 1000
    assert not (tmp_path / "off" / "tables" / "officers.parquet").exists()
