"""Shared fixtures: the small test scenario and cached simulations of it."""

from __future__ import annotations

import os

# The suite runs the model from its Python sources (coverage, patched functions); the compiled
# model is checked against them by tests/test_native.py, which asks for it explicitly.
os.environ.setdefault("PPSIM_NATIVE", "0")

import copy
from pathlib import Path
from typing import Any

import pytest

import sim
from sim.model.replication import simulate

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="session")
def tiny() -> sim.LoadedScenario:
    """The tiny test scenario with its variants."""
    return sim.load_scenario(TINY)


@pytest.fixture(scope="session")
def tiny_raw() -> dict[str, Any]:
    """The tiny scenario's raw data (to build modified scenarios in tests)."""
    return sim.scenario.schema.read_yaml(TINY)


@pytest.fixture(scope="session")
def tiny_runs(tiny: sim.LoadedScenario) -> dict[str, list[dict[str, Any]]]:
    """Four replications of every variant of the tiny scenario (common random numbers)."""
    return {name: [simulate(tiny.resolve(name), r) for r in range(4)] for name in tiny.names}


@pytest.fixture(scope="session")
def compare_dir(tmp_path_factory: pytest.TempPathFactory, tiny_raw: dict[str, Any]) -> Path:
    """A compare run of the tiny scenario with one published figure (drawn with its plots)."""
    raw = copy.deepcopy(tiny_raw)
    raw["observed"] = [{"date": "2026-01-01", "mission": "ALL", "category": "all",
                        "metric": "deployed", "value": 500, "source": "test"},
                       {"date": "2027-01-01", "mission": "ALL", "category": "ipo",
                        "metric": "women_share", "value": 0.3, "source": "test"}]
    out = tmp_path_factory.mktemp("plots") / "compare"
    sim.compare(sim.load_scenario(raw), replications=3, executor="serial", out=out)
    return out
