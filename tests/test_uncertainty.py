"""Parameter uncertainty: draws within bounds, shared across variants, wider bands."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from sim.model.replication import simulate
from sim.model.streams import Streams, replication_seed
from sim.model.uncertainty import draw, sample_parameters
from sim.scenario.uncertainty import Uncertainty

ENTRIES = [
    {"path": "pipeline.assessment.teams", "distribution": "triangular", "low": 1, "mode": 2,
     "high": 4},
    {"path": "contributors.Alpha.ipo_propensity", "distribution": "normal", "mean": 0.6,
     "sd": 0.3, "low": 0.2, "high": 1.0},
    {"path": "contributors.Beta.pass_rate", "distribution": "uniform", "low": 0.4, "high": 0.9},
    {"path": "pipeline.nomination_delay.mean_days", "distribution": "lognormal", "median": 60,
     "sigma": 0.5, "low": 20, "high": 150},
]


def uncertain(raw: dict[str, Any], entries: list[dict[str, Any]] = ENTRIES) -> dict[str, Any]:
    """The tiny scenario with ``entries`` as its uncertainties."""
    data = copy.deepcopy(raw)
    data["uncertainties"] = copy.deepcopy(entries)
    return data


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["distribution"] for e in ENTRIES])
def test_draws_stay_within_bounds(entry: dict[str, Any]) -> None:
    """2,000 draws of each distribution lie in [low, high] and are not all equal."""
    spec = Uncertainty(**entry)
    rng = np.random.default_rng(1)
    values = np.array([draw(spec, rng) for _ in range(2000)])
    assert values.min() >= spec.low and values.max() <= spec.high
    assert values.std() > 0.05 * (spec.high - spec.low)


def test_truncated_normal_keeps_its_centre() -> None:
    """A normal truncated symmetrically keeps its mean (±0.01 over 20,000 draws, sd 0.2)."""
    spec = Uncertainty(path="x", distribution="normal", mean=1.0, sd=0.2, low=0.6, high=1.4)
    rng = np.random.default_rng(2)
    values = [draw(spec, rng) for _ in range(20_000)]
    assert abs(np.mean(values) - 1.0) < 0.01


def test_same_draws_in_every_variant_and_different_across_replications(
        tiny_raw: dict[str, Any]) -> None:
    """Replication r samples the same values whatever the variant; r and r+1 differ."""
    loaded = sim.load_scenario(uncertain(tiny_raw))
    by_rep = []
    for rep in range(3):
        seed = replication_seed(7, rep)
        tables = [sample_parameters(loaded.resolve(v), seed)[1] for v in loaded.names]
        for other in tables[1:]:
            assert other.equals(tables[0])
        by_rep.append(tables[0]["value"].to_numpy())
    assert not np.array_equal(by_rep[0], by_rep[1])
    assert not np.array_equal(by_rep[1], by_rep[2])


def test_integer_field_gets_a_rounded_draw(tiny_raw: dict[str, Any]) -> None:
    """Assessment teams (an integer field) are set to the rounded draw."""
    scenario = sim.load_scenario(uncertain(tiny_raw)).base
    sampled, parameters = sample_parameters(scenario, replication_seed(7, 0))
    table = parameters.to_pandas()
    teams = table.set_index("parameter").loc["pipeline.assessment.teams", "value"]
    assert teams == int(teams) and sampled.pipeline.assessment.teams == int(teams)
    alpha = next(c for c in sampled.contributors if c.name == "Alpha")
    assert alpha.ipo_propensity == table.set_index("parameter").loc[
        "contributors.Alpha.ipo_propensity", "value"]


def test_a_new_uncertainty_does_not_shift_the_others(tiny_raw: dict[str, Any]) -> None:
    """Each path draws from its own stream: adding an entry leaves the others' draws alone."""
    one = sim.load_scenario(uncertain(tiny_raw, ENTRIES[:1])).base
    two = sim.load_scenario(uncertain(tiny_raw, ENTRIES[:2])).base
    seed = replication_seed(7, 0)
    first = sample_parameters(one, seed)[1]["value"][0].as_py()
    assert sample_parameters(two, seed)[1]["value"][0].as_py() == first
    assert Streams(seed).get("uncertainty", ENTRIES[0]["path"]) is not None


def test_no_uncertainties_means_no_parameters_table(tiny: sim.LoadedScenario) -> None:
    """A scenario without uncertainties returns exactly the usual tables."""
    assert "parameters" not in simulate(tiny.base, 0)


@pytest.mark.parametrize(("change", "expected"), [
    ({"path": "pipeline.assessment.tems"}, "unknown key 'tems'"),
    ({"path": "missions.North.languages"}, "needs a numeric field"),
    ({"low": 5, "high": 1}, "must be ≥ low"),
    ({"distribution": "normal"}, "missing: mean, sd"),
    ({"path": "contributors.Beta.pass_rate", "low": 0.5, "high": 1.5}, "invalid at"),
])
def test_bad_uncertainty_is_a_clear_error(tiny_raw: dict[str, Any], change: dict[str, Any],
                                          expected: str) -> None:
    """A bad path, a non-numeric field, reversed bounds or an out-of-range end are named."""
    entry = {"path": "pipeline.assessment.teams", "distribution": "uniform", "low": 1,
             "high": 4, **change}
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(uncertain(tiny_raw, [entry]))
    assert "uncertainties[0]" in str(info.value) and expected in str(info.value)


@pytest.mark.slow
def test_uncertainty_widens_the_bands(tiny_raw: dict[str, Any]) -> None:
    """Over 12 replications the 5–95 % range of mean deployed IPOs is wider with uncertainty."""
    def spread(data: dict[str, Any]) -> float:
        scenario = sim.load_scenario(data).base
        values = []
        for rep in range(12):
            outcomes = simulate(scenario, rep)["outcomes"]
            hit = outcomes[(outcomes["outcome"] == "mean_deployed")
                           & (outcomes["mission"] == "ALL") & (outcomes["category"] == "ipo")]
            values.append(float(hit["value"].iloc[0]))
        p5, p95 = np.percentile(values, [5, 95])
        return float(p95 - p5)

    entries = [{"path": "contributors.Alpha.ipo_propensity", "distribution": "uniform",
                "low": 0.05, "high": 1.0},
               {"path": "contributors.Beta.ipo_propensity", "distribution": "uniform",
                "low": 0.05, "high": 1.0},
               {"path": "pipeline.assessment.teams", "distribution": "uniform", "low": 1,
                "high": 4}]
    assert spread(uncertain(tiny_raw, entries)) > 1.5 * spread(copy.deepcopy(tiny_raw))


def test_compare_records_the_same_draws_for_every_variant(tiny_raw: dict[str, Any],
                                                         tmp_path: Any) -> None:
    """A comparison writes tables/parameters: per replication, equal values in every variant."""
    result = sim.compare(sim.load_scenario(uncertain(tiny_raw, ENTRIES[:2])), replications=2,
                         executor="serial", out=tmp_path / "cmp", plots=False)
    table = result.tables["parameters"]
    assert set(table["variant"]) == {"base", "quota", "more_assessment"}
    wide = table.pivot_table(index=["replication", "parameter"], columns="variant",
                             values="value")
    assert (wide.nunique(axis=1) == 1).all()
    assert wide.index.get_level_values("replication").nunique() == 2
