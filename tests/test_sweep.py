"""Sweeps: parameter parsing and checks, designs, Sobol indices, and the sweep command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import sim
from cli import main
from sim.errors import ParameterError, ScenarioError
from sim.experiments.sweep import (
    Parameter,
    _sobol,
    check_parameters,
    design_points,
    parse_param,
    point_scenarios,
    sweep_base,
)

TINY = Path(__file__).resolve().parent / "data" / "tiny.yaml"


@pytest.fixture(scope="module")
def loaded() -> sim.LoadedScenario:
    return sim.load_scenario(TINY)


def test_parse_param() -> None:
    """`key.path=low:high` splits into the path and two floats; other shapes are refused."""
    assert parse_param("pipeline.assessment.teams=2:8") == ("pipeline.assessment.teams", 2.0, 8.0)
    assert parse_param(" a.b = -1.5:2e3") == ("a.b", -1.5, 2000.0)
    for bad in ("pipeline.assessment.teams", "x=1", "=1:2"):
        with pytest.raises(ParameterError, match=r"KEY\.PATH=LOW:HIGH"):
            parse_param(bad)
    with pytest.raises(ParameterError, match="two numbers"):
        parse_param("x=a:b")


def test_check_parameters_accepts_numeric_fields_and_defaults(loaded: sim.LoadedScenario
                                                             ) -> None:
    """File values and schema defaults can be swept; whole-number fields are marked integer."""
    params = check_parameters(loaded.base, {
        "pipeline.assessment.teams": (1, 6),                 # set in the file (int)
        "pipeline.overbooking": (1, 3),                      # schema default (float)
        "contributors.Alpha.pass_rate": (0.5, 0.9),          # named list entry
        "missions.North.ipo_posts.2020-01-01": (150, 250),   # dated schedule step
    })
    assert [p.integer for p in params] == [True, False, False, True]


@pytest.mark.parametrize(("path", "low", "high", "message"), [
    ("pipeline.asessment.teams", 1, 2, "did you mean 'assessment'"),
    ("contributors.Alpah.pass_rate", 0, 1, "did you mean 'Alpha'"),
    ("missions.North.languages", 0, 1, "needs a numeric field"),
    ("name", 0, 1, "needs a numeric field"),
    ("pipeline.assessment", 0, 1, "needs a numeric field"),
    ("pipeline.assessment.teams", 5, 5, "empty range 5:5"),
    ("pipeline.assessment.teams", 6, 2, "LOW must be less than HIGH"),
])
def test_check_parameters_refuses_bad_paths_and_ranges(loaded: sim.LoadedScenario, path: str,
                                                       low: float, high: float,
                                                       message: str) -> None:
    """Unknown, non-numeric or empty-range parameters are errors naming the path."""
    with pytest.raises(ParameterError, match=message) as info:
        check_parameters(loaded.base, {path: (low, high)})
    assert path.split(".")[-1] in str(info.value) or path.split(".")[1] in str(info.value)


def _params() -> list[Parameter]:
    return [Parameter("a", 0.0, 1.0, False), Parameter("b", 10.0, 20.0, True)]


def test_grid_has_every_combination_with_endpoints() -> None:
    """A grid of 3 values for 2 parameters has 9 points, including both ends of each range."""
    values = design_points(_params(), "grid", 3, seed=1)
    assert values.shape == (9, 2)
    assert sorted(set(values[:, 0])) == [0.0, 0.5, 1.0]
    assert sorted(set(values[:, 1])) == [10.0, 15.0, 20.0]


def test_latin_hypercube_is_stratified_seeded_and_rounded() -> None:
    """Each of n equal strata holds one point per parameter; same seed, same points."""
    params = [Parameter("a", 0.0, 1.0, False), Parameter("c", 0.0, 100.0, False)]
    values = design_points(params, "lhs", 20, seed=3)
    for j, p in enumerate(params):
        strata = np.floor((values[:, j] - p.low) / (p.high - p.low) * 20).astype(int)
        assert sorted(strata) == list(range(20))
    np.testing.assert_array_equal(values, design_points(params, "lhs", 20, seed=3))
    assert not np.array_equal(values, design_points(params, "lhs", 20, seed=4))
    whole = design_points(_params(), "lhs", 7, seed=3)[:, 1]
    assert (whole == np.rint(whole)).all() and ((whole >= 10) & (whole <= 20)).all()


def test_sobol_design_size_and_bad_designs() -> None:
    """Saltelli's design has N × (d + 2) points in range; unknown designs and huge grids fail."""
    values = design_points(_params(), "sobol", 8, seed=1)
    assert values.shape == (8 * 4, 2)
    assert ((values[:, 0] >= 0) & (values[:, 0] <= 1)).all()
    with pytest.raises(ParameterError, match="allowed: grid, lhs, sobol"):
        design_points(_params(), "random", 8, seed=1)
    with pytest.raises(ParameterError, match="use lhs or sobol"):
        design_points(_params() * 3, "grid", 100, seed=1)


def test_sobol_indices_known_answer() -> None:
    """For Y = 2a + b with a, b ~ U(0, 1): S1 = ST = 0.8 and 0.2 (± 0.1 at N = 1024)."""
    params = [Parameter("a", 0.0, 1.0, False), Parameter("b", 0.0, 1.0, False)]
    values = design_points(params, "sobol", 1024, seed=11)
    results = pd.DataFrame({"point": np.arange(len(values)), "outcome": "y", "mission": "ALL",
                            "category": "all", "mean": 2 * values[:, 0] + values[:, 1]})
    out = _sobol(params, results, [("y", "ALL", "all")], seed=11).set_index("parameter")
    assert out.loc["a", "S1"] == pytest.approx(0.8, abs=0.1)
    assert out.loc["b", "S1"] == pytest.approx(0.2, abs=0.1)
    assert out.loc["a", "ST"] == pytest.approx(0.8, abs=0.1)
    assert (out["S1_ci_low"] <= out["S1"]).all() and (out["S1"] <= out["S1_ci_high"]).all()


def test_points_outside_a_fields_range_are_scenario_errors(loaded: sim.LoadedScenario) -> None:
    """A point whose value fails validation is reported by point and key path."""
    data = sweep_base(loaded)
    params = [Parameter("pipeline.assessment.language_pass_factor", 0.5, 1.5, False)]
    with pytest.raises(ScenarioError, match=r"sweep point 1\.pipeline\.assessment"
                       r"\.language_pass_factor: got 1\.5"):
        point_scenarios(data, loaded.path, params, np.array([[0.5], [1.5]]))


def test_variant_sweeps_start_from_the_variant(loaded: sim.LoadedScenario) -> None:
    """Sweeping a variant keeps its overrides (more_assessment sets 4 teams)."""
    assert sweep_base(loaded, "more_assessment")["pipeline"]["assessment"]["teams"] == 4
    assert sweep_base(loaded)["pipeline"]["assessment"]["teams"] == 2


def test_sweep_writes_points_results_and_sobol(tmp_path: Path) -> None:
    """A tiny Sobol sweep writes points, per-point results with parameters, and indices."""
    result = sim.sweep(TINY, {"pipeline.assessment.teams": (1, 6)}, design="sobol", points=2,
                       replications=1, executor="serial", out=tmp_path / "s",
                       outcomes=["mean_deployed", "final_women_share:North:ipo"])
    points = pd.read_csv(result.path / "sweep" / "points.csv")
    assert len(points) == 2 * 3 and list(points.columns) == ["point", "pipeline.assessment.teams"]
    assert points["pipeline.assessment.teams"].between(1, 6).all()
    results = result.read("sweep/results")
    assert set(results["point"]) == set(points["point"])
    assert "pipeline.assessment.teams" in results.columns and (results["n"] <= 1).all()
    sobol = pd.read_csv(result.path / "sweep" / "sobol.csv")
    assert len(sobol) == 2 and set(sobol["outcome"]) == {"mean_deployed", "final_women_share"}
    outcomes = result.tables["outcomes"]
    assert list(outcomes.columns[:2]) == ["point", "replication"]
    assert result.manifest["kind"] == "sweep" and result.manifest["points"] == 6


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_cli_sweep_prints_extremes(tmp_path: Path) -> None:
    """`ppsim sweep` prints the lowest and highest point means and where files went."""
    result = _cli("sweep", str(TINY), "--param", "pipeline.assessment.teams=1:6", "--design",
                  "grid", "--points", "2", "-n", "1", "--serial", "--out", str(tmp_path / "s"))
    assert result.exit_code == 0, result.output
    assert "mean_deployed" in result.output and "teams" in result.output
    assert "lowest" in result.output and "highest" in result.output
    assert (tmp_path / "s" / "sweep" / "results.csv").exists()


@pytest.mark.parametrize(("param", "message"), [
    ("pipeline.assessment.temas=1:3", "unknown key 'temas'; did you mean 'teams'?"),
    ("pipeline.assessment.teams=4:2", "empty range 4:2"),
    ("missions.North.languages=0:1", "needs a numeric field"),
    ("pipeline.assessment.teams", "expected KEY.PATH=LOW:HIGH"),
])
def test_cli_sweep_bad_parameters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, param: str,
                                  message: str) -> None:
    """Bad --param values exit 2 with a clear message and leave no run folder."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    result = _cli("sweep", str(TINY), "--param", param, "-n", "1", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not out.exists() and not Path(str(out) + ".partial").exists()
