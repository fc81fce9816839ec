"""Scenarios built from the record (`ppsim scenario from-data`) and the schema they rely on.

The round trip: the file written validates with ``sim.load_scenario``, reads back as the data
built, and its initial state, in the file and in month 0 of a simulation, equals the record at
``--as-of``: per mission and per contributor, IPOs and FPU personnel and the women among them.
Bad input leaves nothing behind. The optional ``initial.by_contributor`` and
``Contributor.missions`` fields are tested on the tiny scenario.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import sim
import sim.data as record
from cli import main
from sim.data import builder, yamltext
from sim.errors import DataError, ScenarioError
from sim.scenario.schema import read_yaml

AS_OF = "2025-07"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scenario file `ppsim scenario from-data --as-of 2025-07` writes."""
    out = tmp_path_factory.mktemp("from-data") / "record.yaml"
    result = CliRunner().invoke(main, ["scenario", "from-data", "--as-of", AS_OF, "--out",
                                       str(out)])
    assert result.exit_code == 0, result.output
    assert "77 contributors, 10 missions" in result.output
    return out


@pytest.fixture(scope="module")
def loaded(written: Path) -> sim.LoadedScenario:
    return sim.load_scenario(written)


@pytest.fixture(scope="module")
def observed() -> pd.DataFrame:
    """The record's contributor × mission rows at --as-of."""
    rows = record.at(AS_OF)
    return rows[rows["level"] == "country_mission"]


def test_file_validates_and_reads_back_as_built(written: Path, loaded: sim.LoadedScenario
                                                ) -> None:
    """The written YAML is a valid scenario and reads back as exactly the data built."""
    assert read_yaml(written) == builder.scenario_from_record(AS_OF)
    assert loaded.base.run.start.isoformat() == "2025-08-01"
    assert loaded.base.run.warmup_years == 0
    assert loaded.base.run.seed_pipeline


def test_every_contributor_and_mission_present(loaded: sim.LoadedScenario,
                                               observed: pd.DataFrame) -> None:
    """Every contributor and mission of the record at --as-of, and no 'Others'."""
    base = loaded.base
    assert {c.name for c in base.contributors} == set(observed["contributor"])
    assert len(base.contributors) == 77 and "Others" not in {c.name for c in base.contributors}
    assert {m.name for m in base.missions} == set(observed["mission"])
    for c in base.contributors:
        served = set(observed.loc[observed["contributor"] == c.name, "mission"])
        assert set(c.missions or []) == served


def test_initial_state_equals_the_record(loaded: sim.LoadedScenario,
                                         observed: pd.DataFrame) -> None:
    """Per mission and contributor: IPOs, their women, FPU personnel and their women."""
    missions = record.at(AS_OF, "missions").set_index("mission")
    for m in loaded.base.missions:
        init = m.initial
        row = missions.loc[m.name]
        assert init.ipo == row["ipo"]
        assert init.ipo_women_share == pytest.approx(row["ipo_women"] / row["ipo"], abs=5e-5)
        by = init.by_contributor
        assert sum(e.ipo_women for e in by.values()) == row["ipo_women"]
        assert sum(e.fpu_officers or 0 for e in by.values()) == row["fpu"]
        assert sum(e.fpu_women or 0 for e in by.values()) == row["fpu_women"]
        for name, entry in by.items():
            obs = observed[(observed["mission"] == m.name) & (observed["contributor"] == name)]
            assert len(obs) == 1
            o = obs.iloc[0]
            assert (entry.ipo, entry.ipo_women, entry.fpu_officers or 0, entry.fpu_women or 0) \
                == (o["ipo"], o["ipo_women"], o["fpu"], o["fpu_women"])
            assert entry.fpu_units == builder.units_of(int(o["fpu"]))
        assert init.fpu_units <= max(m.fpu_units.values(), default=0)


def test_month_zero_of_a_simulation_is_the_record(loaded: sim.LoadedScenario) -> None:
    """Simulated month 0 has the observed officers and women by mission, category, contributor."""
    scenario = loaded.base.model_copy(update={"run": loaded.base.run.model_copy(
        update={"years": 1 / 12})})
    tables = sim.simulate(scenario, 0)
    month0 = tables["monthly"].query("month == 0")
    missions = record.at(AS_OF, "missions").set_index("mission")
    for m in loaded.base.missions:
        got = month0[month0["mission"] == m.name].set_index("category")
        for category in ("ipo", "fpu"):
            assert got.loc[category, "deployed"] == missions.loc[m.name, category]
            assert got.loc[category, "deployed_women"] == missions.loc[m.name, f"{category}_women"]
    by_contributor = tables["contributors"].query("month == 0 and category != 'spt'")
    expected = record.series(start=AS_OF, end=AS_OF).iloc[0]
    assert by_contributor.groupby("category")["deployed"].sum().to_dict() == {
        "fpu": expected["fpu"], "ipo": expected["ipo"]}
    rwanda = by_contributor[by_contributor["contributor"] == "Rwanda"].set_index("category")
    obs = record.series(contributor="RWA", start=AS_OF, end=AS_OF).iloc[0]
    assert rwanda.loc["fpu", "deployed"] == obs["fpu"] == 1040
    assert rwanda.loc["ipo", "deployed_women"] == obs["ipo_women"]


def test_parameters_are_estimated_from_the_record(loaded: sim.LoadedScenario) -> None:
    """FPU women, unit size and capacity from the record; IPO-only contributors get p_max."""
    by_name = {c.name: c for c in loaded.base.contributors}
    senegal = by_name["Senegal"]
    assert senegal.fpu_women_share == pytest.approx(192 / 1025, abs=1e-4)
    # 1,025 in 6 units; it may hold 6 + 1 unit posts (25 % headroom, rounded down), and its
    # capacity covers a replacement in preparation for each
    assert (senegal.fpu_unit_size, senegal.fpu_max_deployed, senegal.fpu_capacity) == (171, 7, 14)
    assert by_name["Egypt"].fpu_max_deployed == 2  # 2 units: no headroom
    low, high = builder.PROPENSITY_RANGE
    ipo_only = [c for c in loaded.base.contributors if c.fpu_capacity == 0]
    assert ipo_only and all(c.ipo_propensity == high for c in ipo_only)
    assert low <= senegal.ipo_propensity < high
    assert by_name["Congo Republic"].ipo_propensity == low  # FPU personnel only


def test_propensity_rule() -> None:
    """p = p_max for IPOs only, falls with the FPU share, never below the floor."""
    low, high = builder.PROPENSITY_RANGE
    assert builder.ipo_propensity(50, 0, 0) == high
    assert builder.ipo_propensity(0, 500, 160) == low
    assert high > builder.ipo_propensity(60, 500, 160) > builder.ipo_propensity(20, 500, 160)


def test_every_number_says_where_it_comes_from(written: Path) -> None:
    """The file is commented: record figures, estimates, sources and assumptions."""
    text = written.read_text()
    for word in ("record 2025-07", "estimated:", "assumption", "[S5]", "docs/data.md"):
        assert word in text
    assert text.count("# Senegal (SEN), record 2025-07:") == 1
    assert "UNTMIS: no mandate on file" in text


def test_mandates_and_observed_strength(loaded: sim.LoadedScenario) -> None:
    """Today's mandates where on file (MINUSCA 600 + 15 units of 161); else observed strength."""
    m = {x.name: x for x in loaded.base.missions}
    assert list(m["MINUSCA"].ipo_posts.values()) == [600]
    assert list(m["MINUSCA"].fpu_units.values()) == [15] and m["MINUSCA"].fpu_unit_size == 161
    assert {d.isoformat(): n for d, n in m["MONUSCO"].ipo_posts.items()} == {"2024-07-01": 443}
    assert list(m["UNVMC"].ipo_posts.values()) == [67]  # no mandate on file: observed


def test_a_historical_month_builds_without_mandates() -> None:
    """A month of 2009-2016 builds from the record alone (no today's mandates, no UGPS target)."""
    built = builder.build("2012-06", years=2)
    base = sim.load_scenario(built.data).base
    assert built.summary["contributors"] == len(base.contributors) == 83
    assert all(not m.women_target for m in base.missions)
    # year-ends within the run, and the last month before its last snapshot (2014-06-01)
    assert {o.date.isoformat() for o in base.observed} == {"2012-12-31", "2013-12-31",
                                                           "2014-05-31"}
    assert base.pipeline.assessment.teams == 16  # 6,794 IPOs, one team per 450
    minustah = next(m for m in base.missions if m.name == "MINUSTAH")
    assert list(minustah.ipo_posts.values()) == [minustah.initial.ipo]


@pytest.mark.parametrize(("as_of", "message"), [
    ("2020-05", "in the withheld years (2017-01..2024-12)"),
    ("2026-01", "outside the record (1990-11..2025-07)"),
    ("2008-06", "no contributor × mission detail"),
    ("2014-06", "nearest: 2014-02, 2015-01"),
    ("2014-03", "no contributor × mission detail"),  # split but no women
    ("2016-03", "nearest: 2016-02, 2016-04"),
    ("July", "expected a month as YYYY-MM"),
])
def test_bad_as_of_exits_non_zero_and_writes_nothing(tmp_path: Path, as_of: str,
                                                     message: str) -> None:
    """A month the record cannot start from: a clear message, exit 5, an empty folder."""
    result = CliRunner().invoke(main, ["scenario", "from-data", "--as-of", as_of, "--out",
                                       str(tmp_path / "x.yaml")])
    assert result.exit_code == 5, result.output
    assert message in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_existing_file_needs_force(tmp_path: Path) -> None:
    """An existing --out is kept (exit 2) unless --force, which replaces it whole."""
    out = tmp_path / "s.yaml"
    out.write_text("mine\n")
    args = ["scenario", "from-data", "--as-of", "2025-01", "--out", str(out), "--years", "2"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "--force" in result.output
    assert out.read_text() == "mine\n"
    result = CliRunner().invoke(main, [*args, "--force"])
    assert result.exit_code == 0, result.output
    assert sim.load_scenario(out).base.run.years == 2
    assert [p.name for p in tmp_path.iterdir()] == ["s.yaml"]


def test_missing_folder_is_refused(tmp_path: Path) -> None:
    """--out in a folder that does not exist: exit 2, nothing created."""
    result = CliRunner().invoke(main, ["scenario", "from-data", "--as-of", AS_OF, "--out",
                                       str(tmp_path / "no" / "s.yaml")])
    assert result.exit_code == 2 and "does not exist" in result.output
    assert list(tmp_path.iterdir()) == []


def test_builder_refuses_in_python_too() -> None:
    """The library raises DataError (the CLI only prints it)."""
    with pytest.raises(DataError):
        builder.build("2019-01")


def test_yaml_text_quotes_what_yaml_would_misread() -> None:
    """Names like 'Côte d'Ivoire', 'no' or '1e5' read back as the same strings."""
    data = {"a": ["Côte d'Ivoire", "no", "1e5", "null", "x: y", "2025-01-01"], "b": 1e-7,
            "c": {"2025-01-01": 0.3}, "d": None, "e": True}
    import yaml

    from sim.scenario.yamlfile import _Loader

    assert yaml.load(yamltext.to_text(data), Loader=_Loader) == data


# --- The schema fields the builder relies on (tiny scenario) -----------------------------------


def by_contributor_tiny(tiny_raw: dict[str, Any]) -> dict[str, Any]:
    raw = copy.deepcopy(tiny_raw)
    raw["missions"][0]["initial"] = {
        "ipo": 150, "ipo_women_share": 0.2, "fpu_units": 3,
        "by_contributor": {
            "Beta": {"ipo": 100, "ipo_women": 10, "fpu_units": 1, "fpu_officers": 150,
                     "fpu_women": 40},
            "Alpha": {"ipo": 50, "ipo_women": 20, "fpu_units": 2},
        }}
    return raw


def test_by_contributor_places_the_listed_owners(tiny_raw: dict[str, Any]) -> None:
    """Initial officers and units belong to the contributors listed, with their women."""
    scenario = sim.load_scenario(by_contributor_tiny(tiny_raw)).base
    month0 = sim.simulate(scenario, 0)["contributors"].query("month == 0")
    got = month0.set_index(["contributor", "category"])
    assert got.loc[("Beta", "ipo"), "deployed"] == 100
    assert got.loc[("Beta", "ipo"), "deployed_women"] == 10
    assert got.loc[("Alpha", "ipo"), "deployed_women"] == 20
    assert got.loc[("Beta", "fpu"), ["deployed", "deployed_women"]].tolist() == [150, 40]
    assert got.loc[("Alpha", "fpu"), "deployed"] == 2 * 140  # its unit size (schema default)


@pytest.mark.parametrize(("change", "message"), [
    ({"ipo": 151}, "must equal the sum over by_contributor (150)"),
    ({"fpu_units": 2}, "must equal the sum over by_contributor (3)"),
    ({"ipo_women_share": 0.4}, "must be the women's share over by_contributor"),
])
def test_by_contributor_must_add_up(tiny_raw: dict[str, Any], change: dict[str, Any],
                                    message: str) -> None:
    """Totals that disagree with the list are refused with both numbers."""
    raw = by_contributor_tiny(tiny_raw)
    raw["missions"][0]["initial"].update(change)
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(").replace(")", r"\)")):
        sim.load_scenario(raw)


def test_by_contributor_names_and_missions_are_checked(tiny_raw: dict[str, Any]) -> None:
    """Unknown contributors, and ones that do not serve the mission, are named."""
    raw = by_contributor_tiny(tiny_raw)
    raw["missions"][0]["initial"]["by_contributor"]["Gamma"] = \
        raw["missions"][0]["initial"]["by_contributor"].pop("Alpha")
    raw["contributors"][1]["missions"] = ["South", "Nowhere"]
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(raw)
    text = str(info.value)
    assert "unknown contributor 'Gamma'" in text
    assert "contributors[1].missions: unknown mission 'Nowhere'" in text
    assert "by_contributor.Beta: the contributor's missions (South, Nowhere) do not include " \
        "North" in text


def test_contributor_missions_restrict_where_it_serves(tiny_raw: dict[str, Any]) -> None:
    """A contributor limited to South never serves in North (calls, units, initial staffing)."""
    raw = copy.deepcopy(tiny_raw)
    raw["contributors"][1]["missions"] = ["South"]
    tables = sim.simulate(sim.load_scenario(raw).base, 0)
    # contributors × mission is not tabled; North is open all along, South from 2026: Beta's
    # officers before 2026 can only be in North, so there must be none.
    beta = tables["contributors"].query("contributor == 'Beta' and date < '2026-01-01'")
    assert beta["deployed"].sum() == 0
    later = tables["contributors"].query("contributor == 'Beta' and date >= '2027-01-01'")
    assert later["deployed"].sum() > 0
