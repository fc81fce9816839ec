"""Observed-versus-simulated matching and error metrics on hand-made tables."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sim.outputs.validation import error_metrics, observed_vs_simulated
from sim.scenario.schema import Observation


def monthly(values: list[float]) -> pd.DataFrame:
    """A stacked monthly table: one month, ALL/all, one row per replication."""
    return pd.DataFrame({
        "replication": range(len(values)),
        "date": pd.Timestamp("2020-01-01"),
        "mission": "ALL",
        "category": "all",
        "deployed": values,
        "women_share": 0.1,
    })


def test_matches_the_first_snapshot_on_or_after_the_date() -> None:
    """An observation on 2019-12-15 is compared with the 2020-01-01 snapshot."""
    table = monthly(list(np.arange(100.0, 201.0)))
    obs = [Observation(date=date(2019, 12, 15), metric="deployed", value=150.0, source="x")]
    matched = observed_vs_simulated(table, obs)
    assert matched["sim_median"].iloc[0] == pytest.approx(150.0)
    assert matched["sim_p5"].iloc[0] == pytest.approx(105.0)
    assert bool(matched["inside_90"].iloc[0])


def test_error_metrics_known_values() -> None:
    """Two observations 10% off and 30% off give MAPE 0.2; one inside the band of two."""
    table = monthly([100.0] * 20)
    obs = [Observation(date=date(2020, 1, 1), metric="deployed", value=v)
           for v in (100 / 1.1, 100 / 1.3)]
    metrics = error_metrics(observed_vs_simulated(table, obs))
    row = metrics.iloc[0]
    assert row["n"] == 2
    assert row["mape"] == pytest.approx((0.1 + 0.3) / 2)
    assert row["inside_90_share"] == 0.0


def test_observation_after_the_run_is_skipped() -> None:
    """Observations later than the last snapshot are not matched."""
    obs = [Observation(date=date(2030, 1, 1), metric="deployed", value=1.0)]
    assert observed_vs_simulated(monthly([1.0]), obs).empty


@pytest.mark.slow
def test_run_with_published_figures_writes_the_check(tmp_path, tiny_raw) -> None:
    """A run of a scenario with `observed` writes summary/validation*; the CLI prints MAPE."""
    import copy

    from click.testing import CliRunner

    from cli import main
    from tests.test_scenario import write

    raw = copy.deepcopy(tiny_raw)
    raw["observed"] = [{"date": "2026-01-01", "metric": "deployed", "value": 600},
                       {"date": "2027-01-01", "metric": "women_share", "value": 0.2,
                        "category": "ipo"}]
    path = write(tmp_path, raw)
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", str(path), "-n", "2", "--serial", "--no-plots",
                                       "--out", str(out)], terminal_width=120)
    assert result.exit_code == 0, result.output
    assert "Observed vs simulated" in result.output and "Errors per series" in result.output
    assert "no calibration window recorded" in result.output
    matched = pd.read_csv(out / "summary" / "validation.csv")
    assert list(matched["metric"]) == ["deployed", "women_share"]
    metrics = pd.read_csv(out / "summary" / "validation_metrics.csv")
    assert set(metrics["metric"]) == {"deployed", "women_share"}
    by_category = pd.read_csv(out / "summary" / "validation_by_category.csv")
    assert set(zip(by_category["metric"], by_category["category"], strict=True)) == {
        ("deployed", "all"), ("women_share", "ipo")}
    assert set(by_category["sample"]) == {"all"}


def test_calibration_window_splits_in_and_out_of_sample() -> None:
    """With calibration.until 2020-06, a 2020-01 figure is in sample and a 2020-07 one is not."""
    from sim.outputs.validation import category_metrics

    table = pd.concat([monthly([100.0] * 20), monthly([100.0] * 20).assign(
        date=pd.Timestamp("2020-08-01"))])
    obs = [Observation(date=date(2020, 1, 1), metric="deployed", value=110.0),
           Observation(date=date(2020, 7, 15), metric="deployed", value=100.0)]
    matched = observed_vs_simulated(table, obs, until="2020-06")
    assert list(matched["in_sample"]) == [True, False]
    metrics = category_metrics(matched).set_index("sample")
    assert metrics.loc["in-sample", "mape"] == pytest.approx(10 / 110)
    assert metrics.loc["out-of-sample", "inside_90"] == 1
