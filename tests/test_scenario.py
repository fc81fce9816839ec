"""Scenario files: validation messages for every kind of bad input, variants and key paths.

Bad input must give one clear message naming the file, the key path, the bad value and what
is allowed, a non-zero exit, and no traceback (``--debug`` shows it).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import sim
from cli import main
from sim.errors import ParameterError, ScenarioError, VariantError

GOLDEN = Path(__file__).parent / "golden"


def write(tmp_path: Path, data: Any, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def check(path: Path | str, *extra: str) -> Any:
    return CliRunner().invoke(main, [*extra, "check", str(path)])


def raw_tiny(tiny_raw: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(tiny_raw)
    return data


BAD_CASES = {
    "malformed YAML": ("name: [unclosed\n", ["line 2, column 1", "not valid YAML"]),
    "unknown key": (lambda d: d["missions"][0].update(ipo_postz=3),
                    ["missions[0].ipo_postz", "unknown key",
                                                  "did you mean 'ipo_posts'"]),
    "wrong type": ({"contributors.0.police_strength": "many"},
                   ["contributors[0].police_strength", "'many'", "integer"]),
    "out of range": ({"contributors.1.pass_rate": 1.5},
                     ["contributors[1].pass_rate", "1.5", "less than or equal to 1"]),
    "negative posts": ({"missions.0.ipo_posts": {"2025-01-01": -5}},
                       ["missions[0].ipo_posts", "-5", "≥ 0"]),
    "bad date": ({"run.start": "2025-02-30"}, ["run.start", "'2025-02-30'", "date"]),
    "women step out of range": ({"contributors.0.pool_women_steps": {"2026-01-01": 1.4}},
                                ["contributors[0].pool_women_steps", "1.4", "[0, 1]"]),
    "unknown mission reference": ({"policies": [{"lever": "women_selection_priority",
                                                 "missions": ["Nrth"]}]},
                                  ["policies[0].missions", "'Nrth'", "did you mean 'North'"]),
    "unknown contributor reference": (
        {"missions.0.teams": [{"skill": "forensics", "start": "2026-01-01",
                               "contributor": "Gamma"}]},
        ["missions[0].teams[0].contributor", "'Gamma'", "allowed: Alpha, Beta"]),
    "unknown skill": ({"contributors.0.skills": {"cyber": 0.1}},
                      ["contributors[0].skills", "'cyber'", "allowed: investigation"]),
    "unknown lever": ({"policies": [{"lever": "more_police"}]},
                      ["policies[0].lever", "'more_police'", "women_nomination_quota"]),
    "bad variant path": ({"variants": {"v": {"set": {"pipeline.assesment.teams": 3}}}},
                         ["variants.v.set", "pipeline.assesment.teams",
                          "did you mean 'assessment'"]),
    "bad variant value": ({"variants": {"v": {"set": {"pipeline.assessment.teams": -1}}}},
                          ["variants.v.pipeline.assessment.teams", "-1"]),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_scenario_gives_clear_error(case: str, tiny_raw: dict[str, Any],
                                        tmp_path: Path) -> None:
    """Each kind of bad input exits with code 2 and names file, key path, value and rule."""
    change, expected = BAD_CASES[case]
    if isinstance(change, str):
        path = write(tmp_path, change)
    elif callable(change):
        data = copy.deepcopy(tiny_raw)
        change(data)
        path = write(tmp_path, data)
    else:
        data = copy.deepcopy(tiny_raw)
        for key, value in change.items():
            if key in ("policies", "variants"):
                data[key] = value
            else:
                sim.scenario.schema.set_path(data, key, value)
        path = write(tmp_path, data)
    result = check(path)
    assert result.exit_code == 2, result.output
    assert str(path) in result.output
    for piece in expected:
        assert piece in result.output, (piece, result.output)
    assert "Traceback" not in result.output


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is named, with exit code 2."""
    result = check(tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "nope.yaml: file not found" in result.output


def test_empty_file(tmp_path: Path) -> None:
    """An empty file says so."""
    result = check(write(tmp_path, ""))
    assert result.exit_code == 2 and "file is empty" in result.output


def test_not_a_mapping(tmp_path: Path) -> None:
    """A YAML list at top level is rejected with what was expected."""
    result = check(write(tmp_path, "- a\n- b\n"))
    assert result.exit_code == 2 and "expected a mapping" in result.output


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    """With --debug the exception propagates (the traceback is for developers)."""
    result = check(tmp_path / "nope.yaml", "--debug")
    assert isinstance(result.exception, ScenarioError)


def test_all_problems_reported_at_once(tiny_raw: dict[str, Any], tmp_path: Path) -> None:
    """Several mistakes are listed together, one line each."""
    data = copy.deepcopy(tiny_raw)
    data["run"]["years"] = 0
    data["contributors"][0]["women_share"] = 2
    result = check(write(tmp_path, data))
    assert "2 problems" in result.output
    assert "run.years" in result.output and "contributors[0].women_share" in result.output


def golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME; PPSIM_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if os.environ.get("PPSIM_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_check_output_golden() -> None:
    """`ppsim check` on the tiny scenario prints exactly the stored summary."""
    result = CliRunner().invoke(main, ["check", "tests/data/tiny.yaml"], terminal_width=200)
    assert result.exit_code == 0
    golden("check_tiny.txt", result.output)


def test_error_output_golden(tiny_raw: dict[str, Any], tmp_path: Path) -> None:
    """The error report for an unknown key prints exactly the stored message."""
    data = copy.deepcopy(tiny_raw)
    data["pipeline"]["call_interval"] = 30
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = CliRunner().invoke(main, ["check", str(path)], terminal_width=300)
    golden("error_unknown_key.txt", result.output.replace(str(tmp_path), "<tmp>"))


def test_schema_is_json_schema() -> None:
    """`ppsim schema` prints a JSON Schema with every section and documented fields."""
    import json

    result = CliRunner().invoke(main, ["schema"])
    schema = json.loads(result.output)
    assert {"run", "contributors", "missions", "policies", "variants"} <= set(schema["properties"])
    undocumented = [
        f"{name}.{key}"
        for name, spec in [*schema["$defs"].items(), ("ScenarioFile", schema)]
        for key, field in spec.get("properties", {}).items()
        if "description" not in field
    ]
    assert undocumented == []


# --- variants and key paths ------------------------------------------------------------------


def test_unknown_variant_suggests(tiny: sim.LoadedScenario) -> None:
    """An unknown variant name raises VariantError with the closest name."""
    with pytest.raises(VariantError, match="did you mean 'quota'"):
        tiny.resolve("quotas")


def test_variant_none_is_the_base_and_non_text_is_a_clear_error(tiny: sim.LoadedScenario) -> None:
    """``resolve(None)`` is the base; a name that is not text is a VariantError, not a TypeError."""
    assert tiny.resolve(None) is tiny.base
    with pytest.raises(VariantError, match=r"unknown variant '3'.*allowed: .*quota"):
        tiny.resolve(3)  # type: ignore[arg-type]


def test_variant_overrides_only_what_it_names(tiny: sim.LoadedScenario) -> None:
    """A variant changes its key paths and adds its policies; the rest equals the base."""
    v = tiny.resolve("more_assessment")
    assert v.pipeline.assessment.teams == 4 and tiny.base.pipeline.assessment.teams == 2
    assert v.contributors == tiny.base.contributors
    assert len(tiny.resolve("quota").policies) == len(tiny.base.policies) + 1


def test_key_paths_address_named_entries_and_dates(tiny_raw: dict[str, Any]) -> None:
    """Named list entries are addressed by name and dated schedules by date."""
    data = sim.scenario.schema.apply_overrides(tiny_raw, {
        "contributors.Beta.pass_rate": 0.5,
        "missions.North.ipo_posts.2027-01-01": 150,
        "pipeline.units.tour_months": 9,
    })
    data.pop("variants")
    s = sim.load_scenario(data).base
    assert s.contributors[1].pass_rate == 0.5
    assert 150 in s.missions[0].ipo_posts.values()
    assert s.pipeline.units.tour_months == 9
    assert tiny_raw["contributors"][1].get("pass_rate") is None  # the input is not mutated


def test_key_path_errors(tiny_raw: dict[str, Any]) -> None:
    """Unknown entries and keys are ParameterErrors with a suggestion."""
    with pytest.raises(ParameterError, match="did you mean 'Beta'"):
        sim.scenario.schema.apply_overrides(tiny_raw, {"contributors.Betta.pass_rate": 1})
    with pytest.raises(ParameterError, match="is not a key path"):
        sim.scenario.schema.apply_overrides(tiny_raw, {"pipeline..teams": 1})


@pytest.mark.parametrize("command", ["run", "compare"])
def test_bad_scenario_writes_nothing(command: str, tiny_raw: dict[str, Any],
                                     tmp_path: Path) -> None:
    """`ppsim run`/`compare` on an invalid file exit 2 and leave no run folder behind."""
    data = copy.deepcopy(tiny_raw)
    data["missions"][0]["hardship"] = 3
    path = write(tmp_path, data)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [command, str(path), "--serial", "--out", str(out)])
    assert result.exit_code == 2
    assert "missions[0].hardship: got 3" in result.output
    assert not out.exists() and not out.with_name("out.partial").exists()


# --- variants that extend other variants -----------------------------------------------------


def _with_variants(tiny_raw: dict[str, Any], variants: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(tiny_raw)
    data["variants"] = {**data["variants"], **variants}
    return data


def test_variant_extends_others_sets_and_policies(tiny_raw: dict[str, Any]) -> None:
    """`extends` applies the named variants' set values and policies first, then its own."""
    loaded = sim.load_scenario(_with_variants(tiny_raw, {"both": {
        "extends": ["quota", "more_assessment"],
        "policies": [{"lever": "women_selection_priority", "start": "2026-01-01"}]}}))
    both = loaded.resolve("both")
    assert both.pipeline.assessment.teams == 4
    levers = [p.lever for p in both.policies]
    assert levers == [*[p.lever for p in loaded.base.policies], "women_nomination_quota",
                      "women_selection_priority"]


def test_variant_reached_twice_is_applied_once(tiny_raw: dict[str, Any]) -> None:
    """A diamond (c extends a and b, both extend quota) adds quota's lever once."""
    loaded = sim.load_scenario(_with_variants(tiny_raw, {
        "a": {"extends": ["quota"]}, "b": {"extends": ["quota"]},
        "c": {"extends": ["a", "b"]}}))
    assert [p.lever for p in loaded.resolve("c").policies].count("women_nomination_quota") == 1


@pytest.mark.parametrize(("variants", "expected"), [
    ({"a": {"extends": ["a"]}}, "variants.a.extends: cycle a → a"),
    ({"a": {"extends": ["b"]}, "b": {"extends": ["a"]}}, "cycle a → b → a"),
    ({"a": {"extends": ["quotas"]}}, "variants.a.extends: unknown variant 'quotas'; "
                                     "did you mean 'quota'?"),
])
def test_bad_extends_is_refused_with_a_message(tiny_raw: dict[str, Any], variants: Any,
                                              expected: str) -> None:
    """Cycles and unknown names in `extends` are ScenarioErrors naming the key path."""
    with pytest.raises(ScenarioError, match=expected):
        sim.load_scenario(_with_variants(tiny_raw, variants))


def test_baseline_action_plan_extends_the_three_variants() -> None:
    """The baseline's action_plan is exactly women_first + specialists + faster_deployment."""
    loaded = sim.load_scenario("scenarios/baseline.yaml")
    parts = ["women_first", "specialists", "faster_deployment"]
    added = [p for name in parts for p in loaded.resolve(name).policies[
        len(loaded.base.policies):]]
    assert list(loaded.resolve("action_plan").policies) == [*loaded.base.policies, *added]


def test_variant_policies_are_typed_in_file_and_schema(tiny_raw: dict[str, Any]) -> None:
    """A bad lever field inside a variant is reported by path; the JSON Schema types it."""
    data = _with_variants(tiny_raw, {"bad": {"policies": [
        {"lever": "women_nomination_quota", "share": 2}]}})
    with pytest.raises(ScenarioError, match=r"variants\.bad\.policies\[0\]\.share: got 2"):
        sim.load_scenario(data)
    from sim.scenario.schema import schema_json

    schema = schema_json()
    items = schema["$defs"]["Variant"]["properties"]["policies"]["items"]
    assert "discriminator" in items or "oneOf" in items
