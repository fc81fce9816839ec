"""Researcher API parity: decisions= through every executor, with_overrides, result properties."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim
from sim.errors import ParameterError, ResultsError, ScenarioError
from sim.experiments.sweep import sweep_base

TINY = Path(__file__).resolve().parent / "data" / "tiny.yaml"


def never_extend(extension_probability: float, rng: np.random.Generator) -> bool:
    """A replacement rule: no officer ever extends a tour (module level, so workers import it)."""
    return False


@pytest.fixture(scope="module")
def short(tiny_raw: dict[str, Any]) -> sim.LoadedScenario:
    """The tiny scenario over two years."""
    raw = copy.deepcopy(tiny_raw)
    raw["run"]["years"] = 2
    return sim.load_scenario(raw)


@pytest.mark.slow
def test_decisions_reach_worker_processes(short: sim.LoadedScenario, tmp_path: Path) -> None:
    """A replaced rule gives the same bytes serially and in 2 processes, and changes results."""
    rule = sim.Decisions(extends_tour=never_extend)
    kwargs: dict[str, Any] = {"variants": ["quota"], "replications": 2, "plots": False}
    serial = sim.compare(short, executor="serial", out=tmp_path / "s", decisions=rule,
                         **kwargs)
    procs = sim.compare(short, executor="processes", workers=2, out=tmp_path / "p",
                        decisions=rule, **kwargs)
    stock = sim.compare(short, executor="serial", out=tmp_path / "n", **kwargs)
    table = Path("tables") / "monthly.parquet"
    assert (serial.path / table).read_bytes() == (procs.path / table).read_bytes()
    assert (serial.path / table).read_bytes() != (stock.path / table).read_bytes()
    settings = json.loads((serial.path / "settings.json").read_text())
    assert settings["decisions"] == {"extends_tour": f"{__name__}.never_extend"}
    assert "decisions" not in json.loads((stock.path / "settings.json").read_text())


def test_lambdas_are_refused_for_processes_with_the_reason(short: sim.LoadedScenario,
                                                           tmp_path: Path) -> None:
    """A lambda cannot reach worker processes: a ParameterError says so before anything runs."""
    rule = sim.Decisions(extends_tour=lambda p, rng: False)
    with pytest.raises(ParameterError, match=r"decisions\.extends_tour.*module level"):
        sim.run(short, replications=1, executor="processes", out=tmp_path / "r", decisions=rule)
    assert not (tmp_path / "r").exists()
    done = sim.run(short, replications=1, executor="serial", out=tmp_path / "s", decisions=rule,
                   plots=False, progress=True)
    assert done.manifest["replications"] == 1


def test_sweep_takes_decisions(short: sim.LoadedScenario, tmp_path: Path) -> None:
    """`sweep` passes decisions to every point and records them."""
    result = sim.sweep(short, {"pipeline.assessment.teams": (2, 4)}, design="grid", points=2,
                       replications=1, executor="serial", out=tmp_path / "w",
                       decisions=sim.Decisions(extends_tour=never_extend))
    assert "decisions" in json.loads((result.path / "settings.json").read_text())


def test_sweep_from_a_variant_applies_what_it_extends(tiny_raw: dict[str, Any]) -> None:
    """A sweep starting from a variant that extends others starts from all their changes."""
    raw = copy.deepcopy(tiny_raw)
    raw["variants"]["both"] = {"extends": ["quota", "more_assessment"]}
    loaded = sim.load_scenario(raw)
    data = sweep_base(loaded, "both")
    assert data["pipeline"]["assessment"]["teams"] == 4
    assert [p["lever"] for p in data["policies"]] == ["women_nomination_quota"]


def test_with_overrides_validates(tiny: sim.LoadedScenario) -> None:
    """with_overrides applies key paths and validates; bad values and paths are clear errors."""
    changed = tiny.base.with_overrides({"pipeline.assessment.teams": 9,
                                        "contributors.Beta.pass_rate": 0.5})
    assert changed.pipeline.assessment.teams == 9
    assert changed.contributors[1].pass_rate == 0.5 and tiny.base.contributors[1].pass_rate != 0.5
    with pytest.raises(ScenarioError, match=r"contributors\[1\]\.pass_rate: got 1\.5"):
        tiny.base.with_overrides({"contributors.Beta.pass_rate": 1.5})
    with pytest.raises(ParameterError, match=r"pipeline\.asessment"):
        tiny.base.with_overrides({"pipeline.asessment.teams": 3})
    loaded = tiny.with_overrides({"pipeline.assessment.teams": 6})
    assert loaded.resolve("quota").pipeline.assessment.teams == 6
    assert loaded.resolve("more_assessment").pipeline.assessment.teams == 4


def test_result_properties(compare_dir: Path, tmp_path: Path) -> None:
    """RunResult has comparison, targets and validation, with a clear error when absent."""
    result = sim.RunResult.open(compare_dir)
    assert {"diff_mean", "diff_ci_low"} <= set(result.comparison.columns)
    assert {"probability", "mean_share"} <= set(result.targets.columns)
    assert {"observed", "sim_median"} <= set(result.validation.columns)
    single = sim.run(TINY, replications=1, executor="serial", out=tmp_path / "r", plots=False)
    with pytest.raises(ResultsError, match="only runs made by compare"):
        single.comparison  # noqa: B018
