"""Events: each one's known answer on the tiny scenario, conservation, common random numbers,
the pure choices, and located errors for bad events."""

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
from sim.model.events import allowed_after, batch_days, choose_leaving, cut_factors, spread
from sim.model.replication import simulate
from sim.scenario.events import ContributorsFirst

CUT = {"type": "budget_cut", "start": "2026-01-01", "missions": ["North"], "share": 0.25,
       "lag_days": 30, "over_weeks": 12}
FREEZE = {"type": "rotation_freeze", "start": "2026-04-01", "end": "2026-07-01"}
GATE = {"type": "entry_constraint", "missions": ["North"], "arrivals_per_month": 3}
REHAT = {"type": "rehat", "mission": "South", "start": "2026-01-01",
         "contingents": [{"contributor": "Beta", "ipo": 40}]}
TRANSFER = {"type": "transfer", "start": "2026-03-01", "from_mission": "North",
            "to_mission": "South", "ipo": 20}
CLOSURE = {"type": "forced_closure", "mission": "North", "start": "2027-01-01",
           "by": "2027-07-01"}


def scenario(tiny_raw: dict[str, Any], *events: dict[str, Any]) -> sim.Scenario:
    """The tiny scenario's base with ``events``."""
    raw = copy.deepcopy(tiny_raw)
    raw.pop("variants")
    raw["events"] = list(events)
    return sim.load_scenario(raw).base


def rows(tables: dict[str, pd.DataFrame], mission: str, category: str) -> pd.DataFrame:
    """The monthly rows of one mission and category, indexed by date."""
    m = tables["monthly"]
    return m[(m.mission == mission) & (m.category == category)].set_index("date")


@pytest.fixture(scope="module")
def runs(tiny_raw: dict[str, Any]) -> dict[str, dict[str, pd.DataFrame]]:
    """Replication 0 of the tiny scenario with each event alone (seed 7, from the file)."""
    cases = {"cut": CUT, "freeze": FREEZE, "gate": GATE, "rehat": REHAT, "transfer": TRANSFER,
             "closure": CLOSURE}
    return {name: simulate(scenario(tiny_raw, event), 0) for name, event in cases.items()}


# --- Pure choices --------------------------------------------------------------------------------


def test_cut_factors_proportional_and_units_first() -> None:
    """A proportional cut keeps 1 − share of each; units-first removes whole units first."""
    assert cut_factors(200, 3, 140, 0.25, "last_arrivals") == (0.75, 0.75)
    f_ipo, f_units = cut_factors(200, 3, 140, 0.25, "formed_units_first")
    # 25 % of 620 officers = 155 → one unit (140) and 15 individual posts
    assert f_units == pytest.approx(2 / 3)
    assert f_ipo == pytest.approx(185 / 200)


def test_choose_leaving_orders() -> None:
    """Last arrivals leave first; named contributors go first, in the order listed."""
    people = [(10.0, "A"), (30.0, "B"), (20.0, "A"), (5.0, "C")]
    assert choose_leaving(people, 2, "last_arrivals") == [1, 2]
    assert choose_leaving(people, 3, ContributorsFirst(contributors=["C", "A"])) == [3, 2, 0]
    assert choose_leaving(people, 0, "last_arrivals") == []


def test_batches_spread_evenly() -> None:
    """Twelve weeks give twelve weekly batches ending on the last day; excess falls evenly."""
    days = batch_days(100.0, 84.0)
    assert len(days) == 12 and days[-1] == pytest.approx(184.0)
    assert batch_days(5.0, 0.0) == [5.0]
    assert [allowed_after(w, 4, 100, 60) for w in range(1, 5)] == [90, 80, 70, 60]
    assert spread(4, 2) == [0, 0, 1, 1]


# --- Known answers -------------------------------------------------------------------------------


def test_budget_cut_leaves_three_quarters_of_posts(runs: dict[str, Any]) -> None:
    """A 25 % cut leaves 75 % of posts after the lag (± one unit) and deployment under them."""
    ipo, fpu = rows(runs["cut"], "North", "ipo"), rows(runs["cut"], "North", "fpu")
    after_lag = pd.Timestamp("2026-02-01")  # the cut day is 2026-01-31
    assert ipo.loc[after_lag, "authorized"] == 150
    assert abs(fpu.loc[after_lag, "authorized"] - 0.75 * 3 * 140) <= 140
    done = pd.Timestamp("2026-05-01")  # 12 weeks after the cut
    assert ipo.loc[done, "deployed"] <= 150
    assert fpu.loc[done, "deployed"] <= fpu.loc[done, "authorized"]
    assert ipo.loc[pd.Timestamp("2026-01-01"), "deployed"] > 150  # it was a real cut


def test_freeze_stops_arrivals_then_catches_up(runs: dict[str, Any]) -> None:
    """No arrivals or rotations inside the freeze; more arrivals in its first month after."""
    base = rows(runs["freeze"], "ALL", "all")
    inside = base.loc["2026-04-01":"2026-06-01"]
    assert (inside["arrivals"] == 0).all()
    assert (inside["rotations"] == 0).all()
    before = base.loc["2025-10-01":"2026-03-01", "arrivals"].mean()
    assert base.loc[pd.Timestamp("2026-07-01"), "arrivals"] > before
    assert base.loc["2026-07-01":"2026-08-01", "rotations"].sum() > 0  # the backlog


def test_entry_limit_caps_monthly_arrivals(runs: dict[str, Any]) -> None:
    """An entry limit of 3 a month caps North's individual arrivals at 3 every month."""
    arrivals = rows(runs["gate"], "North", "ipo")["arrivals"]
    assert arrivals.max() == 3
    assert (arrivals == 3).mean() > 0.8  # the cap binds nearly every month


def test_rehatted_police_deployed_on_the_start_day(runs: dict[str, Any]) -> None:
    """Forty re-hatted officers are deployed in South on its first day."""
    south = rows(runs["rehat"], "South", "ipo")
    assert south.loc[pd.Timestamp("2026-01-01"), "deployed"] == 40


def test_transfer_moves_officers(runs: dict[str, Any], tiny: sim.LoadedScenario) -> None:
    """Twenty officers leave North on the day and arrive in South that month."""
    base = simulate(tiny.resolve("base"), 0)
    day = pd.Timestamp("2026-03-01")
    north, north0 = rows(runs["transfer"], "North", "ipo"), rows(base, "North", "ipo")
    assert north0.loc[day, "deployed"] - north.loc[day, "deployed"] == 20
    assert rows(runs["transfer"], "South", "ipo").loc[day, "arrivals"] \
        - rows(base, "South", "ipo").loc[day, "arrivals"] >= 20


def test_closure_empties_the_mission_by_its_date(runs: dict[str, Any]) -> None:
    """North is empty from its closure date on, and authorizes nothing."""
    north = rows(runs["closure"], "North", "all")
    assert (north.loc["2027-07-01":, "deployed"] == 0).all()
    assert north.loc[pd.Timestamp("2027-01-01"), "deployed"] > 400


def test_events_conserve_officers(runs: dict[str, Any]) -> None:
    """With every event, the census holds exactly the officers generated, every month."""
    for name, tables in runs.items():
        p = tables["pipeline"]
        generated = p[p.state == "generated"].groupby("month").officers.sum()
        census = p[p.state != "generated"].groupby("month").officers.sum()
        assert (generated == census).all(), name


def test_events_table_lists_effects(runs: dict[str, Any]) -> None:
    """The events table names what each event did (repatriated, held, re-hatted …)."""
    effects = {name: set(t["events"]["effect"]) for name, t in runs.items()}
    assert "repatriated" in effects["cut"] and "tours_extended" in effects["freeze"]
    assert effects["rehat"] == {"rehatted"} and "entries_deferred" in effects["gate"]


def test_event_in_a_variant_leaves_the_base(tiny_raw: dict[str, Any],
                                            tiny: sim.LoadedScenario) -> None:
    """A cut in a variant changes nothing in the base, nor the variant's months before it."""
    raw = copy.deepcopy(tiny_raw)
    raw["variants"]["cut"] = {"events": [CUT]}
    loaded = sim.load_scenario(raw)
    assert loaded.base.events == [] and len(loaded.resolve("cut").events) == 1
    base = simulate(loaded.resolve("base"), 1)["monthly"]
    pd.testing.assert_frame_equal(base, simulate(tiny.resolve("base"), 1)["monthly"])
    cut = simulate(loaded.resolve("cut"), 1)["monthly"]
    before = base["date"] < pd.Timestamp("2026-01-01")
    pd.testing.assert_frame_equal(base[before], cut[before])
    assert not base.equals(cut)


# --- Bad input -----------------------------------------------------------------------------------


BAD = {
    "outside the run": ({**CUT, "start": "2040-01-01"}, "events[0].start: got 2040-01-01"),
    "unknown mission": ({**CUT, "missions": ["Nroth"]}, "events[0].missions: unknown mission"),
    "unknown contributor": ({**REHAT, "contingents": [{"contributor": "Gamma", "ipo": 1}]},
                            "unknown contributor 'Gamma'"),
    "share above 1": ({**CUT, "share": 1.5}, "events[0].share: got 1.5"),
    "unknown type": ({"type": "budget_cutt", "start": "2026-01-01"},
                     "events[0].type: got 'budget_cutt', allowed: budget_cut"),
    "unknown key": ({**FREEZE, "ends": "2026-08-01"}, "events[0].ends: unknown key"),
}


def _check(tmp_path: Path, raw: dict[str, Any]) -> Any:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return CliRunner().invoke(main, ["check", str(path)], terminal_width=300)


@pytest.mark.parametrize("case", list(BAD))
def test_bad_event_gives_located_error(case: str, tiny_raw: dict[str, Any],
                                       tmp_path: Path) -> None:
    """A bad event is named by its key path, with the value and what is allowed; exit ≠ 0."""
    event, message = BAD[case]
    raw = copy.deepcopy(tiny_raw)
    raw["events"] = [event]
    result = _check(tmp_path, raw)
    assert result.exit_code != 0
    assert message in result.output, result.output


def test_contradictory_events_are_refused(tiny_raw: dict[str, Any], tmp_path: Path) -> None:
    """Overlapping freezes, and a re-hat refused entry by a gate, are located errors."""
    raw = copy.deepcopy(tiny_raw)
    raw["events"] = [FREEZE, {**FREEZE, "start": "2026-05-01", "end": "2026-09-01"},
                     {**GATE, "missions": ["South"], "excluded_contributors": ["Beta"]}, REHAT]
    result = _check(tmp_path, raw)
    assert result.exit_code != 0
    assert "events[1]: overlaps events[0] (both rotation_freeze" in result.output
    assert "events[3]: re-hats Beta into South, but events[2] refuses them entry" in result.output


def test_bad_event_in_a_variant_is_located(tiny_raw: dict[str, Any], tmp_path: Path) -> None:
    """An event added by a variant is checked like one in the base, under the variant's path."""
    raw = copy.deepcopy(tiny_raw)
    raw["variants"]["cut"] = {"events": [{**CUT, "share": -0.1}]}
    result = _check(tmp_path, raw)
    assert result.exit_code != 0
    assert "variants.cut.events[0].share: got -0.1" in result.output, result.output


# --- Outputs -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_events_figure_and_manifest(tiny_raw: dict[str, Any], tmp_path: Path) -> None:
    """A compare run with events draws their timeline, reports them, and lists them applied."""
    import json

    import matplotlib.image as mpimg
    import numpy as np

    from sim.outputs import plots

    raw = copy.deepcopy(tiny_raw)
    raw["variants"] = {"cut": {"events": [CUT, FREEZE]}}
    out = tmp_path / "run"
    sim.compare(sim.load_scenario(raw), replications=2, executor="serial", out=out)
    assert "events" in plots.available(plots.RunData.open(out))
    image = mpimg.imread(out / "plots" / "events.png")
    assert float(np.std(image[..., :3])) > 0.05
    fig = plots.fig_events(plots.RunData.open(out))
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["All missions", "North", "South"]  # the freeze touches every mission
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "budget cut" in labels and "rotation freeze" in labels
    from sim.outputs.report import render

    html = render(out)
    assert "<h2>Events</h2>" in html and "rotation_freeze" in html
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["events"]["base"] == []
    assert [e["type"] for e in manifest["events"]["cut"]] == ["budget_cut", "rotation_freeze"]
