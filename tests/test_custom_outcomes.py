"""Registered custom outcomes flow into run outcomes, a comparison and a sweep."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sim
from sim.experiments.executors import add_custom_outcomes
from sim.model.replication import simulate
from sim.outputs import catalog
from sim.outputs.report import write_report

PEAK = catalog.Outcome("peak_vacancies", "vacant posts (monthly peak)", "officers", "lower")


def peak_vacancies(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Largest monthly vacancies per mission and category (module level: workers import it)."""
    monthly = tables["monthly"]
    return monthly.groupby(["mission", "category"], as_index=False)["vacancies"].max() \
        .rename(columns={"vacancies": "value"})


@pytest.fixture
def registered() -> Iterator[catalog.Outcome]:
    """``peak_vacancies`` registered for the test, removed afterwards."""
    catalog.register_outcome(PEAK, peak_vacancies)
    yield PEAK
    catalog.unregister_outcome(PEAK.name)


@pytest.fixture(scope="module")
def short(tiny_raw: dict[str, Any]) -> sim.LoadedScenario:
    """The tiny scenario over two years."""
    raw = copy.deepcopy(tiny_raw)
    raw["run"]["years"] = 2
    return sim.load_scenario(raw)


def test_registration_is_reversible_and_guards_builtins(registered: catalog.Outcome) -> None:
    """A custom outcome joins the catalog and the headline list; built-ins cannot be replaced."""
    assert catalog.outcome("peak_vacancies") is PEAK
    assert catalog.headline()[-1] == "peak_vacancies"
    with pytest.raises(ValueError, match="built-in"):
        catalog.register_outcome(catalog.Outcome("cost", "x", "USD", "lower"), peak_vacancies)
    catalog.unregister_outcome(PEAK.name)
    assert "peak_vacancies" not in catalog.OUTCOMES
    assert catalog.describe("peak_vacancies").label == "peak vacancies"
    catalog.register_outcome(PEAK, peak_vacancies)


def test_custom_rows_join_the_outcomes_table(short: sim.LoadedScenario) -> None:
    """The worker helper appends one row per (mission, category) with the function's values."""
    tables = simulate(short.resolve("base"), 0)
    before = len(tables["outcomes"])
    add_custom_outcomes(tables, [("peak_vacancies", peak_vacancies)])
    added = tables["outcomes"].iloc[before:]
    expected = peak_vacancies(tables)
    assert len(added) == len(expected) > 0
    assert list(added["value"]) == list(expected["value"].astype(float))
    with pytest.raises(ValueError, match="mission, category, value"):
        add_custom_outcomes(tables, [("bad", lambda t: t["monthly"][["mission"]])])


def test_custom_outcome_reaches_run_and_comparison(registered: catalog.Outcome,
                                                   short: sim.LoadedScenario,
                                                   tmp_path: Path) -> None:
    """It is in ``RunResult.outcomes``, in the comparison (with a paired difference) and
    recorded in the settings."""
    kwargs: dict[str, Any] = {"replications": 2, "executor": "serial", "plots": False}
    result = sim.run(short, out=tmp_path / "run", **kwargs)
    rows = result.outcomes[result.outcomes["outcome"] == "peak_vacancies"]
    assert set(rows["mission"]) == {"North", "South", "ALL"}
    assert (rows["n"] == 2).all()
    direct = [peak_vacancies(simulate(short.resolve("base"), r)) for r in range(2)]
    north = [float(d[(d["mission"] == "North") & (d["category"] == "ipo")]["value"].iloc[0])
             for d in direct]
    got = rows[(rows["mission"] == "North") & (rows["category"] == "ipo")]["mean"].iloc[0]
    assert got == pytest.approx(sum(north) / 2)
    assert result.manifest["settings"]["custom_outcomes"] == {
        "peak_vacancies": f"{__name__}.peak_vacancies"}
    compared = sim.compare(short, variants=["more_assessment"], out=tmp_path / "cmp", **kwargs)
    table = compared.comparison
    custom = table[(table["outcome"] == "peak_vacancies") & (table["at"] == "horizon")]
    assert set(custom["variant"]) == {"base", "more_assessment"}
    assert custom[custom["variant"] == "more_assessment"]["diff_mean"].notna().all()
    report = write_report(compared.path).read_text(encoding="utf-8")
    assert "vacant posts (monthly peak)" in report
    catalog.unregister_outcome(PEAK.name)  # a later session without the registration
    assert "peak vacancies" in write_report(compared.path, tmp_path / "r.html").read_text(
        encoding="utf-8")


def test_custom_outcome_can_be_swept(registered: catalog.Outcome, short: sim.LoadedScenario,
                                     tmp_path: Path) -> None:
    """A sweep accepts the custom outcome by name and keeps its rows per point."""
    result = sim.sweep(short, {"pipeline.assessment.teams": (1, 4)}, design="grid", points=2,
                       replications=1, executor="serial", out=tmp_path / "sweep",
                       outcomes=["peak_vacancies:North:ipo"])
    outcomes = result.tables["outcomes"]
    assert set(outcomes[outcomes["outcome"] == "peak_vacancies"]["point"]) == {0, 1}


@pytest.mark.slow
def test_custom_outcome_in_worker_processes(registered: catalog.Outcome,
                                            short: sim.LoadedScenario, tmp_path: Path) -> None:
    """Worker processes compute the same custom rows as the serial executor."""
    kwargs: dict[str, Any] = {"replications": 2, "plots": False}
    serial = sim.run(short, executor="serial", out=tmp_path / "s", **kwargs)
    procs = sim.run(short, executor="processes", workers=2, out=tmp_path / "p", **kwargs)
    pick = [serial.tables["outcomes"], procs.tables["outcomes"]]
    pick = [t[t["outcome"] == "peak_vacancies"].reset_index(drop=True) for t in pick]
    assert len(pick[0]) > 0
    pd.testing.assert_frame_equal(pick[0], pick[1])
