"""`ppsim check` warnings: scenarios that validate but cannot work, and levers that cannot act."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import sim
from cli import main
from sim.scenario.checks import check_loaded, check_scenario

Raw = dict[str, Any]


def _set(*pairs: tuple[str, Any]) -> Callable[[Raw], None]:
    """An edit of the raw tiny scenario: ``(key.path, value)`` pairs (schedules by date)."""
    from sim.scenario.keypaths import set_path

    def edit(raw: Raw) -> None:
        for path, value in pairs:
            set_path(raw, path, value)
    return edit


def _policies(*levers: dict[str, Any]) -> Callable[[Raw], None]:
    def edit(raw: Raw) -> None:
        raw["policies"] = list(levers)
    return edit


CASES: dict[str, tuple[Callable[[Raw], None], str, str]] = {
    "mission after the run": (_set(("missions.South.start", "2031-01-01"),
                                   ("missions.South.end", "2032-01-01")),
                              "missions.South.start", "never simulated"),
    "language nobody speaks": (_set(("missions.North.languages", ["pt"])),
                               "missions.North.languages", "no contributor speaks"),
    "units beyond capacity": (_set(("missions.North.fpu_units", {"2020-01-01": 80})),
                              "missions.*.fpu_units", "81 formed units authorized at once"),
    "skill nobody has": (_set(("contributors.Alpha.skills.sgbv", 0),
                              ("contributors.Beta.skills.sgbv", 0)),
                         "missions.North.specialist_posts.sgbv", "no contributor has skill"),
    "roster without coded calls": (_policies({"lever": "specialist_roster"}),
                                   "policies.0", "skill_coded_calls"),
    "standing capacity with no surge": (
        _policies({"lever": "standing_capacity", "size": 10, "start": "2027-01-01"}),
        "policies.0", "never deploys"),
    "unfunded rule everyone meets": (
        _policies({"lever": "gender_balanced_units", "min_women_share": 0.1, "funded": False}),
        "policies.0", "already has fpu_women_share ≥ 0.1"),
    "lever scoped to no mission": (
        _policies({"lever": "women_nomination_quota", "share": 0.4, "missions": []}),
        "policies.0", "names no mission"),
    "missions on a lever that ignores them": (
        _policies({"lever": "assessment_capacity", "teams": 6, "missions": ["North"]}),
        "policies.0", "is ignored"),
    "lever after the run": (_policies({"lever": "women_selection_priority",
                                       "start": "2031-01-01"}), "policies.0", "never acts"),
}


def _loaded(tiny_raw: Raw, edit: Callable[[Raw], None]) -> sim.LoadedScenario:
    raw = copy.deepcopy(tiny_raw)
    edit(raw)
    return sim.load_scenario(raw)


def test_the_tiny_scenario_has_no_warnings(tiny: sim.LoadedScenario) -> None:
    """A scenario where everything can work and every lever acts gives no warning."""
    assert check_loaded(tiny) == []


@pytest.mark.parametrize("case", list(CASES))
def test_each_problem_is_warned_by_key_path(case: str, tiny_raw: Raw) -> None:
    """Each kind of unworkable scenario or inert lever gives one warning naming the key path."""
    edit, path, text = CASES[case]
    found = check_scenario(_loaded(tiny_raw, edit).base)
    assert [f.path for f in found] == [path], found
    assert text in found[0].message


@pytest.mark.parametrize(("edit", "why"), [
    (_policies({"lever": "standing_capacity", "size": 10, "start": "2025-07-01"}),
     "South starts in 2026: a surge calls the standing capacity"),
    (_policies({"lever": "gender_balanced_units", "min_women_share": 0.12, "funded": False}),
     "Alpha's units are 10 % women: the unfunded rule down-weights it"),
    (_policies({"lever": "skill_coded_calls"}, {"lever": "specialist_roster"}),
     "coded calls give the roster something to act on"),
])
def test_levers_that_act_are_not_warned(edit: Callable[[Raw], None], why: str,
                                        tiny_raw: Raw) -> None:
    """The same levers in a setting where they act give no warning."""
    assert check_scenario(_loaded(tiny_raw, edit).base) == [], why


def test_variant_lever_is_named_where_it_is_written(tiny_raw: Raw) -> None:
    """A variant's inert lever is reported at variants.NAME.policies.K, once for its extenders."""
    raw = copy.deepcopy(tiny_raw)
    raw["variants"]["roster"] = {"policies": [{"lever": "specialist_roster"}]}
    raw["variants"]["more"] = {"extends": ["roster"]}
    found = check_loaded(sim.load_scenario(raw))
    assert [f.path for f in found] == ["variants.roster.policies.0"]


def test_check_strict_exits_non_zero_on_warnings(tiny_raw: Raw, tmp_path: Path) -> None:
    """`check` prints warnings and exits 0; with --strict it exits 1; clean files exit 0."""
    raw = copy.deepcopy(tiny_raw)
    CASES["language nobody speaks"][0](raw)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    runner = CliRunner()
    plain = runner.invoke(main, ["check", str(path)], terminal_width=200)
    assert plain.exit_code == 0 and "missions.North.languages" in plain.output
    assert runner.invoke(main, ["check", "--strict", str(path)]).exit_code == 1
    assert runner.invoke(main, ["check", "--strict", "tests/data/tiny.yaml"]).exit_code == 0


def test_run_prints_the_warnings(tiny_raw: Raw, tmp_path: Path) -> None:
    """`run` prints the scenario's warnings before running (and still runs)."""
    raw = copy.deepcopy(tiny_raw)
    CASES["language nobody speaks"][0](raw)
    raw["run"]["years"] = 1
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    result = CliRunner().invoke(main, ["run", str(path), "-n", "1", "--serial", "--no-plots",
                                       "--out", str(tmp_path / "r")], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "missions.North.languages" in result.output
