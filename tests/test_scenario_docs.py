"""The scenario guide, the starter scenario, `ppsim levers` and the schema file match the code."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from pydantic import BaseModel

import sim
from cli import main
from sim.scenario import reference, schema
from sim.scenario.events import EVENT_TYPES, Event
from sim.scenario.keypaths import model_in
from sim.scenario.levers import LEVERS, Lever

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "scenarios.md"


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    """Every schema class reachable from ``model`` through its fields (levers, events excluded)."""
    for info in model.model_fields.values():
        inner = model_in(info.annotation)
        if inner is not None and inner not in seen and not issubclass(inner, Lever | Event):
            seen.add(inner)
            _models(inner, seen)
    return seen


def test_guide_generated_sections_are_current() -> None:
    """docs/scenarios.md equals its own regeneration (run `python3 tasks.py docs` to update)."""
    text = GUIDE.read_text(encoding="utf-8")
    assert reference.render_doc(text) == text


def test_guide_documents_every_section_and_field() -> None:
    """Every schema class is a section of the guide, and every field appears in its table."""
    documented = {model for _, model in reference.SECTIONS}
    assert _models(schema.ScenarioFile, {schema.ScenarioFile}) <= documented
    text = GUIDE.read_text(encoding="utf-8")
    for where, model in reference.SECTIONS:
        section = text.split(f"### `{where}`", 1)[1].split("\n### ", 1)[0]
        for name in model.model_fields:
            assert f"| `{name}` |" in section, f"{where}.{name} missing from the guide"
    for lever in LEVERS:
        assert f"### `{lever}`" in text
    for event in EVENT_TYPES:
        assert f"### `{event}`" in text


def test_behavioural_fields_say_how_to_estimate_them() -> None:
    """Contributor and mission parameters that no document publishes carry an estimation hint."""
    docs = {f.name: f for f in reference.field_docs(schema.Contributor)}
    for name in ("eligible_share", "ipo_propensity", "pass_rate", "fpu_unit_size"):
        assert docs[name].estimate, name
    assert {f.name: f for f in reference.field_docs(schema.Mission)}["hardship"].estimate


def test_schema_file_is_current_and_bundled_scenarios_point_to_it() -> None:
    """scenarios/scenario.schema.json is `ppsim schema`; bundled scenarios name it for editors."""
    path = ROOT / "scenarios" / "scenario.schema.json"
    assert path.read_text(encoding="utf-8") == reference.schema_text()
    for scenario in ("baseline.yaml", "historical.yaml"):
        first = (ROOT / "scenarios" / scenario).read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=scenario.schema.json"


def test_init_writes_a_starter_that_checks(tmp_path: Path) -> None:
    """`ppsim init FILE` writes the guide's example; it passes `ppsim check`; no overwrite."""
    path = tmp_path / "new.yaml"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(path)]).exit_code == 0
    assert runner.invoke(main, ["check", str(path)]).exit_code == 0
    assert path.read_text(encoding="utf-8") in GUIDE.read_text(encoding="utf-8")
    loaded = sim.load_scenario(path)
    assert loaded.resolve("quota_and_faster").pipeline.assessment.teams == 8
    again = runner.invoke(main, ["init", str(path)])
    assert again.exit_code != 0 and "--force" in again.output


def test_levers_lists_every_lever_with_fields_and_defaults() -> None:
    """`ppsim levers` prints each lever's name, meaning and fields with defaults from the code."""
    result = CliRunner().invoke(main, ["levers"], terminal_width=200)
    assert result.exit_code == 0
    for lever in LEVERS:
        assert f"{lever}:" in result.output
    assert "deploy_delay_days = 21" in result.output
    assert "share (required)" in result.output
    one = CliRunner().invoke(main, ["levers", "standing_capacity"], terminal_width=200)
    assert one.output.startswith("standing_capacity:") and "women_outreach" not in one.output
    bad = CliRunner().invoke(main, ["levers", "standing_capacty"])
    assert bad.exit_code == 2 and "did you mean 'standing_capacity'" in bad.output
