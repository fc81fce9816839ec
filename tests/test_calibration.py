"""Observed-versus-simulated matching and error metrics on hand-made tables."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sim.calibration import error_metrics, observed_vs_simulated
from sim.scenario import Observation


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
