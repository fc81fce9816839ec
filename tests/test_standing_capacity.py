"""The standing capacity supports existing missions when it has a vacancy trigger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sim
from sim.model import simulate
from sim.model.teams import missions_to_support, vacancy_share
from sim.model.world import STANDING
from sim.scenario.checks import check_scenario
from sim.scenario.schema import read_yaml

LEVERS = Path(__file__).parent / "data" / "levers.yaml"


def test_vacancy_share_and_the_missions_to_support() -> None:
    """Emptiest first, at or above the trigger only; a mission without posts is never empty."""
    assert vacancy_share(25, 100) == 0.25
    assert vacancy_share(-5, 100) == 0.0 and vacancy_share(3, 0) == 0.0
    shares = [(0, 0.10), (1, 0.30), (2, 0.20), (3, 0.20), (4, 0.05)]
    assert missions_to_support(shares, 0.2) == [1, 2, 3]
    assert missions_to_support(shares, 0.5) == []


def _scenario(trigger: float | None) -> sim.Scenario:
    """The lever scenario with a standing capacity that starts after its only surge."""
    raw: dict[str, Any] = read_yaml(LEVERS)
    lever: dict[str, Any] = {"lever": "standing_capacity", "size": 30, "start": "2026-03-01"}
    if trigger is not None:
        lever["vacancy_trigger"] = trigger
    raw["policies"] = [lever]
    return sim.Scenario.model_validate(raw)


def _standing_moves(tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    log = tables["officers"]
    return log[log["contributor"] == STANDING].groupby("to_state").size().to_dict()


@pytest.mark.parametrize("replication", [0, 1])
def test_a_trigger_sends_standby_officers_to_a_mission_with_gaps(replication: int) -> None:
    """Without surges a standing capacity stays on standby; with a trigger it serves and cuts
    the vacancies (common random numbers: same replication, same streams)."""
    idle = simulate(_scenario(None), replication, officer_log=True)
    active = simulate(_scenario(0.05), replication, officer_log=True)
    assert _standing_moves(idle) == {"standby": 30}
    moves = _standing_moves(active)
    assert moves["serving"] >= 30 and moves["serving"] == moves["travelling"]

    def vacancies(t: dict[str, pd.DataFrame]) -> float:
        m = t["monthly"]
        rows = m[(m["mission"] == "East") & (m["category"] == "ipo") & (m["month"] >= 14)]
        return float(rows["vacancies"].mean())

    assert vacancies(active) < vacancies(idle) - 10  # measured 43 vs 68 (replication 0)


def test_check_warns_only_without_a_trigger() -> None:
    """The 'never deploys' warning names the trigger as the way out, and goes with it."""
    def warnings(trigger: float | None) -> list[str]:
        return [f.message for f in check_scenario(_scenario(trigger)) if "never deploys" in
                f.message]

    assert any("vacancy_trigger" in m for m in warnings(None))
    assert warnings(0.1) == []
