"""The 1999-2009 growth scenario against the record it is checked on (issue 7).

Fast checks of its inputs only (a run takes minutes): its observations are the record's, its
start is the record's, and every uncertain parameter points at the entry its comment names.
"""

from __future__ import annotations

from pathlib import Path

import sim
import sim.data
from sim.scenario.keypaths import get_path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "growth_1999_2009.yaml"


def _record(column: str, month: str) -> int:
    """The record's value of ``column`` (police, ipo, fpu) at the end of ``month``."""
    rows = sim.data.totals(month, month)
    return int(rows[column].iloc[0])


def test_observations_are_the_records_december_figures() -> None:
    """Every deployed count in `observed` equals the record's figure of that month (exactly)."""
    loaded = sim.load_scenario(SCENARIO)
    column = {"all": "police", "ipo": "ipo", "fpu": "fpu"}
    points = [o for o in loaded.base.observed if o.metric == "deployed"]
    assert len(points) == 13  # Decembers 1999-2009 (all police) + IPO and FPU of 2009
    for point in points:
        month = f"{point.date:%Y-%m}"
        assert point.value == _record(column[point.category], month), (month, point.category)


def test_start_is_the_record_of_january_1999() -> None:
    """The initial officers (UNMIBH, MIPONUH, small missions) add up to the record's 2,479."""
    base = sim.load_scenario(SCENARIO).base
    assert sum(m.initial.ipo for m in base.missions) == _record("police", "1999-01") == 2479
    assert base.run.seed_pipeline and base.run.warmup_years == 0


def test_headline_months_of_the_record() -> None:
    """The seeds' headline: 10,629 police is February 2009 exactly; mid-1999 is about 2,400."""
    assert _record("police", "2009-02") == 10629
    mid_1999 = [_record("police", f"1999-{m:02d}") for m in range(3, 8)]
    assert min(mid_1999) == 2211 and max(mid_1999) == 2395


def test_uncertain_rehat_sizes_point_at_the_right_events() -> None:
    """`events.N.contingents.0.ipo` uncertainties address the 'Others' contingent of the UNMIK,
    Timor (UNTAET) and UNAMID re-hats, whose sampled ranges contain the file's value."""
    loaded = sim.load_scenario(SCENARIO)
    missions = {0: "UNMIK", 1: "Timor", 2: "UNAMID"}
    entries = {u.path: u for u in loaded.base.uncertainties}
    for index, mission in missions.items():
        event = loaded.raw["events"][index]
        assert event["mission"] == mission
        assert event["contingents"][0]["contributor"] == "Others"
        path = f"events.{index}.contingents.0.ipo"
        value = get_path(loaded.raw, path)
        assert entries[path].low <= value <= entries[path].high, path
