"""``ppsim calibrate``: a known answer recovered, bad input refused, resumed runs continue."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import sim
import sim.experiments.calibration as calibration
from cli import main
from sim.errors import DataError, ParameterError, ScenarioError
from sim.model.replication import simulate
from sim.scenario.keypaths import apply_overrides

PARAM = "contributors.Alpha.ipo_propensity"


def base_raw(tiny_raw: dict[str, Any]) -> dict[str, Any]:
    """The tiny scenario without its variants."""
    raw = copy.deepcopy(tiny_raw)
    raw.pop("variants")
    return raw


def synthetic_record(raw: dict[str, Any], value: float, seed: int = 99, replications: int = 16
                     ) -> calibration.Record:
    """A record in :func:`sim.data.by_category`'s shape, made by the model at ``PARAM = value``.

    The mean over ``replications`` replications of another seed than the calibration's, so
    that the fit cannot simply reproduce the same random draws.
    """
    truth = sim.load_scenario(apply_overrides(raw, {PARAM: value})).base
    monthly = pd.concat([simulate(truth, r, seed=seed)["monthly"] for r in range(replications)])

    def record(mission: str | None, first: str, last: str) -> pd.DataFrame:
        rows = monthly[(monthly["mission"] == (mission or "ALL"))
                       & monthly["category"].isin(["ipo", "fpu", "all"])]
        mean = rows.groupby(["date", "category"])[["deployed", "deployed_women"]].mean()
        mean = mean.reset_index()
        mean["date"] = pd.to_datetime(mean["date"]) - pd.Timedelta(days=1)  # month-end reports
        mean["category"] = mean["category"].replace({"all": "police"})
        mean["women_share"] = mean["deployed_women"] / mean["deployed"]
        months = mean["date"].dt.to_period("M")
        return mean[(months >= pd.Period(first, "M")) & (months <= pd.Period(last, "M"))]

    return record


@pytest.fixture(scope="module")
def record(tiny_raw: dict[str, Any]) -> calibration.Record:
    """Synthetic observations with Alpha's IPO propensity at 0.2."""
    return synthetic_record(base_raw(tiny_raw), 0.2)


@pytest.mark.slow
def test_recovers_a_known_propensity(tiny_raw: dict[str, Any], record: calibration.Record,
                                     tmp_path: Path) -> None:
    """Data made at propensity 0.2 (another seed) are fitted to 0.2 ± 0.05 in 14 evaluations.

    The tolerance is 5 % of the searched range 0.05–1.0; one IPO more or less per 0.01 of
    propensity, against yearly-mean noise of a few officers with 4 replications.
    """
    result = calibration.calibrate(
        sim.load_scenario(base_raw(tiny_raw)), [f"{PARAM}=0.05:1.0"], "2028-12",
        record=record, replications=4, budget=14, seed=7, executor="serial",
        out=tmp_path / "fit", plots=True)
    assert abs(result.fitted[PARAM] - 0.2) <= 0.05
    assert result.evaluations == 14
    for name in ("fit.csv", "history.csv", "overlay.csv", "fitted.csv", "targets.csv"):
        assert (result.path / "calibration" / name).is_file()
    assert (result.path / "plots" / "calibration.png").is_file()
    history = pd.read_csv(result.path / "calibration" / "history.csv")
    assert history["loss"].min() == pytest.approx(result.loss)


@pytest.mark.slow
def test_resumed_calibration_continues_from_its_checkpoint(
        tiny_raw: dict[str, Any], record: calibration.Record, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed after 4 evaluations and resumed, a fit replays them and ends as an unbroken one."""
    loaded = sim.load_scenario(base_raw(tiny_raw))
    kwargs: dict[str, Any] = {"record": record, "replications": 2, "budget": 7, "seed": 7,
                              "executor": "serial", "plots": False}
    whole = calibration.calibrate(loaded, [f"{PARAM}=0.05:1.0"], "2026-12",
                                  out=tmp_path / "whole", **kwargs)
    real_loss = calibration.loss
    calls = {"n": 0}

    def dying_loss(table: pd.DataFrame) -> float:
        calls["n"] += 1
        if calls["n"] > 4:
            raise KeyboardInterrupt
        return real_loss(table)

    monkeypatch.setattr(calibration, "loss", dying_loss)
    with pytest.raises(KeyboardInterrupt):
        calibration.calibrate(loaded, [f"{PARAM}=0.05:1.0"], "2026-12", out=tmp_path / "cut",
                              **kwargs)
    checkpoint = tmp_path / "cut.partial" / "calibration" / "history.json"
    saved = json.loads(checkpoint.read_text())
    assert sum(not h["cached"] for h in saved) == 4  # simulated before the kill
    monkeypatch.setattr(calibration, "loss", real_loss)
    resumed = calibration.calibrate(loaded, [f"{PARAM}=0.05:1.0"], "2026-12",
                                    out=tmp_path / "cut", resume=True, **kwargs)
    assert resumed.fitted == whole.fitted and resumed.loss == whole.loss
    before = json.loads((whole.path / "manifest.json").read_text())
    after = json.loads((resumed.path / "manifest.json").read_text())
    assert after["evaluations"] == before["evaluations"] == 7
    assert after["cached"] == before["cached"] + 4  # the 4 checkpointed ones not simulated again
    a = pd.read_csv(whole.path / "calibration" / "history.csv")
    b = pd.read_csv(resumed.path / "calibration" / "history.csv")
    pd.testing.assert_series_equal(a["loss"], b["loss"])


@pytest.mark.parametrize(("param", "until", "error", "expected"), [
    ("contributors.Alpha.propensity=0:1", "2028-12", ParameterError, "unknown key"),
    ("missions.North.languages=0:1", "2028-12", ParameterError, "needs a numeric field"),
    (f"{PARAM}=0.9:0.1", "2028-12", ParameterError, "bounds reversed"),
    (f"{PARAM}=0.1:0.9", "2016-12", ParameterError, "before the scenario's start"),
    (f"{PARAM}=0.1:0.9", "2031-01", ParameterError, "after the scenario's last month"),
    (f"{PARAM}=0.1:0.9", "2018-06", DataError, "withheld"),
    (f"{PARAM}=0.1:0.9", "2028-13", DataError, "YYYY-MM"),
])
def test_bad_input_is_refused_before_anything_is_written(
        tiny_raw: dict[str, Any], tmp_path: Path, param: str, until: str,
        error: type[Exception], expected: str) -> None:
    """A missing or non-numeric key, reversed bounds, or a bad window: an error, no folder."""
    with pytest.raises(error, match=expected):
        calibration.calibrate(sim.load_scenario(base_raw(tiny_raw)), [param], until,
                              executor="serial", out=tmp_path / "fit")
    assert list(tmp_path.iterdir()) == []


def test_a_box_the_schema_refuses_is_refused_before_anything_is_written(
        tiny_raw: dict[str, Any], record: calibration.Record, tmp_path: Path) -> None:
    """A range whose corner the schema refuses (hardship sensitivity ≤ 1): a ScenarioError
    naming the key path, and no run folder (not a failure at the first evaluation)."""
    with pytest.raises(ScenarioError, match=r"pipeline\.hardship_sensitivity"):
        calibration.calibrate(sim.load_scenario(base_raw(tiny_raw)),
                              ["pipeline.hardship_sensitivity=0.5:3"], "2028-12", record=record,
                              executor="serial", out=tmp_path / "fit")
    assert list(tmp_path.iterdir()) == []


def test_until_beyond_the_record_is_refused(tiny_raw: dict[str, Any], tmp_path: Path) -> None:
    """The real record ends in 2025-07: a fit to 2027-12 of the tiny scenario is refused."""
    with pytest.raises(DataError, match="outside the record"):
        calibration.calibrate(sim.load_scenario(base_raw(tiny_raw)), [f"{PARAM}=0.1:0.9"],
                              "2027-12", executor="serial", out=tmp_path / "fit")
    assert list(tmp_path.iterdir()) == []


def test_cli_reports_a_withheld_window(tmp_path: Path) -> None:
    """``ppsim calibrate --until 2019-12`` exits 5 with the withheld years named."""
    result = CliRunner().invoke(main, [
        "calibrate", str(Path(__file__).parent.parent / "scenarios" / "historical.yaml"),
        "--param", "pipeline.assessment.teams=2:8",
        "--until", "2019-12", "--out", str(tmp_path / "fit")])
    assert result.exit_code == 5, result.output
    assert "withheld" in result.output
    assert list(tmp_path.iterdir()) == []


def test_loss_is_the_weighted_mean_squared_relative_error() -> None:
    """Two series, two years: loss = 1·mean(0.1², 0.3²) + 0.5·mean(0², 0.2²) = 0.06."""
    table = pd.DataFrame({
        "mission": "ALL", "category": ["all", "all", "ipo", "ipo"],
        "metric": "deployed", "year": [2010, 2011, 2010, 2011],
        "rel_error": [0.1, -0.3, 0.0, 0.2], "weight": [1.0, 1.0, 0.5, 0.5]})
    assert calibration.loss(table) == pytest.approx(0.05 + 0.5 * 0.02)


def test_events_after_the_fitted_window_are_left_out_while_fitting() -> None:
    """A 2009 run shortened to 97 months keeps an event of Jan 2017, drops Feb 2017 and 2020."""
    run = {"start": "2009-01-01", "years": 97 / 12}
    events = [{"type": "rotation_freeze", "start": "2020-04-07"},
              {"type": "rehat", "start": "2017-01-31"},
              {"type": "forced_closure", "start": "2017-02-01"},
              {"type": "entry_constraint"}]
    kept = calibration.before_horizon(events, run)
    assert [e["type"] for e in kept] == ["rehat", "entry_constraint"]
