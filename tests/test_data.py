"""The observed record shipped in data/ and its loader sim.data.

Coverage is pinned month by month: every month between a file's first and last is either in the
file or listed in ``sim.data.KNOWN_GAPS`` with its reason (no silent gap), and the withheld years
2017-01..2024-12 are absent everywhere. Parts sum to totals *exactly*: measured on the shipped
files, ipo + fpu = police, missions sum to the monthly totals, contributor rows sum to their
mission's figures, and contributor totals (before 2009-11) sum to the monthly totals, all with a
difference of 0 officers, so the tests allow none.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import sim.data as record
from cli import main
from sim.data import files
from sim.errors import DataError

ROOT = Path(__file__).resolve().parent.parent
COUNTS = ["ipo", "ipo_women", "fpu", "fpu_women", "police", "police_women"]
LEVELS = ("totals", "missions", "contributors")


def months(frame: pd.DataFrame) -> set[str]:
    return set(frame["date"].dt.strftime("%Y-%m"))


def span(first: str, last: str) -> set[str]:
    return {str(p) for p in pd.period_range(first, last, freq="M")}


# --- The shipped files ---------------------------------------------------------------------------


def test_data_ships_in_the_repository_with_its_readme() -> None:
    """data/ holds the three CSV files and the README naming the sources and that it is a copy."""
    folder = record.data_dir()
    assert folder == ROOT / "data"
    readme = (folder / "README.md").read_text()
    assert "copy of the UN DPO / IPI record" in readme
    assert "IPI Peacekeeping Database" in readme and "UN DPO monthly reports" in readme
    for name in files.FILES.values():
        assert (folder / name).is_file()


def test_files_are_typed() -> None:
    """Dates are datetime64 month ends, counts nullable Int64, names strings."""
    for level in LEVELS:
        table = files.read(level)
        assert pd.api.types.is_datetime64_any_dtype(table["date"])
        assert (table["date"] == table["date"] + pd.offsets.MonthEnd(0)).all()
        for column in COUNTS:
            assert str(table[column].dtype) == "Int64", (level, column)
    assert pd.api.types.is_string_dtype(files.read("contributors")["contributor"])


def test_loader_caches_and_hands_out_copies() -> None:
    """Each file is read once per process; changing a returned table does not change the cache."""
    assert files.read("totals") is files.read("totals")
    frame = record.totals()
    frame.loc[0, "police"] = -1
    assert record.totals().loc[0, "police"] != -1


@pytest.mark.parametrize(("level", "first", "last", "n"), [
    ("totals", "1990-11", "2025-07", 321),
    ("missions", "1990-11", "2025-07", 320),
    ("contributors", "1990-11", "2025-07", 309),
])
def test_coverage_of_each_file(level: str, first: str, last: str, n: int) -> None:
    """Each file spans 1990-11..2025-07 with the number of months measured on the shipped copy."""
    present = months(files.read(level))
    assert (min(present), max(present), len(present)) == (first, last, n)


@pytest.mark.parametrize("level", LEVELS)
def test_no_silent_gaps(level: str) -> None:
    """Every month from first to last is in the file or a known gap (with a reason), not both."""
    present = months(files.read(level))
    gaps = record.KNOWN_GAPS[level]
    assert present | set(gaps) == span(min(present), max(present))
    assert not present & set(gaps)
    assert all(reason for reason in gaps.values())


def test_withheld_years_are_absent_everywhere() -> None:
    """No file holds a figure from 2017-01 to 2024-12, and the coverage table says so."""
    withheld = span(*record.WITHHELD)
    assert len(withheld) == 96
    for level in LEVELS:
        assert not months(files.read(level)) & withheld
    cov = record.coverage()
    inside = cov[cov["withheld"]]
    assert len(inside) == 96 and not inside["totals"].any() and (inside["missions"] == 0).all()


def test_detail_by_period() -> None:
    """The split and women exist from 2009-11; contributor × mission detail likewise."""
    cov = record.coverage().set_index(record.coverage()["date"].dt.strftime("%Y-%m"))
    assert not cov.loc["1990-11":"2009-10", "split"].any()
    assert cov.loc["2009-11", "split"] and cov.loc["2025-07", "women"]
    assert set(cov.loc["1990-11":"2009-10", "contributor_level"]) <= {"country", ""}
    assert cov.loc["2009-11", "contributor_level"] == "country_mission"
    no_split = {m for m, ok in cov["split"].items() if not ok and m >= "2009-11"
                and not cov.loc[m, "withheld"]}
    assert no_split == span("2014-04", "2014-12") | {"2015-03", "2016-03"}
    assert cov.loc["2025-07", ["missions", "contributors"]].tolist() == [10, 77]


def test_ipo_plus_fpu_is_police_in_every_file() -> None:
    """Where the split is given, ipo + fpu = police and their women add up (difference 0)."""
    for level in LEVELS:
        t = files.read(level).dropna(subset=["ipo"])
        assert len(t)
        assert (t["ipo"] + t["fpu"] == t["police"]).all(), level
        w = t.dropna(subset=["police_women"])
        assert (w["ipo_women"] + w["fpu_women"] == w["police_women"]).all(), level


def test_missions_sum_to_the_totals() -> None:
    """Summed over missions, every month equals the monthly totals exactly (measured: 0)."""
    sums = files.read("missions").groupby("date")[COUNTS].sum(min_count=1)
    totals = files.read("totals").set_index("date")
    both = totals.index.intersection(sums.index)
    assert len(both) == 320
    for column in COUNTS:
        diff = (sums.loc[both, column] - totals.loc[both, column]).dropna()
        assert (diff == 0).all(), column
    assert totals.loc["1991-10-31", "police"] == 0  # the month without mission rows


def test_contributors_sum_to_their_missions_and_totals() -> None:
    """Contributor × mission rows sum to the mission's figures; country rows to the totals (0)."""
    contributors = files.read("contributors")
    detail = contributors[contributors["level"] == "country_mission"]
    sums = detail.groupby(["date", "mission"])[COUNTS].sum(min_count=1)
    missions = files.read("missions").set_index(["date", "mission"])
    joined = missions.merge(sums, left_index=True, right_index=True, suffixes=("", "_c"))
    assert len(joined) == 997
    for column in COUNTS:
        diff = (joined[f"{column}_c"] - joined[column]).dropna()
        assert len(diff) and (diff == 0).all(), column
    country = contributors[contributors["level"] == "country"].groupby("date")["police"].sum()
    totals = files.read("totals").set_index("date")["police"]
    assert len(country) == 227 and (country - totals.loc[country.index] == 0).all()


# --- Missing stays missing --------------------------------------------------------------------


def test_missing_months_stay_missing() -> None:
    """No row is made up for a month without figures, and no figure for a month without a split."""
    bangladesh = record.series(contributor="BGD", start="2014-01", end="2015-02")
    assert months(bangladesh) == span("2014-01", "2014-03") | span("2015-01", "2015-02")
    may = record.totals("2014-05", "2014-05").iloc[0]
    assert may["police"] == 12406 and pd.isna(may["ipo"]) and pd.isna(may["police_women"])
    long = record.by_category(start="2014-05", end="2014-05")
    assert long["category"].tolist() == ["police"]
    assert pd.isna(long["women_share"].iloc[0])
    assert record.series(start="2017-01", end="2024-12").empty


def test_a_contributor_month_with_a_missing_figure_is_missing_not_partial() -> None:
    """2014-03 lacks women by contributor: the sum over missions is <NA>, not the known part."""
    row = record.series(contributor="Rwanda", start="2014-03", end="2014-03").iloc[0]
    assert pd.isna(row["ipo_women"]) and row["ipo"] > 0


def test_long_form() -> None:
    """by_category: one row per month and category, men = deployed − women, shares in [0, 1]."""
    long = record.by_category(mission="UNMISS", start="2025-07", end="2025-07")
    assert long["category"].tolist() == ["ipo", "fpu", "police"]
    assert long["deployed"].tolist() == [679, 850, 1529]
    assert (long["men"] == long["deployed"] - long["women"]).all()
    assert long["women_share"].tolist() == pytest.approx([208 / 679, 229 / 850, 437 / 1529])


def test_yearly_takes_december_or_the_last_month() -> None:
    """Yearly rows are December's, or the year's last month in the record (2025: July)."""
    years = record.yearly(record.series())
    last = years.set_index("year")["month"]
    assert last[2016] == "2016-12" and last[2025] == "2025-07" and last[1990] == "1990-12"
    assert 2017 not in last.index and 2024 not in last.index
    assert years.set_index("year").loc[2025, "police"] == 6081


# --- Names and windows ----------------------------------------------------------------------


def test_names_are_case_insensitive_and_codes_work() -> None:
    """Missions by any case; contributors by name or ISO3 code, any case."""
    assert record.mission_name("minusca") == "MINUSCA"
    assert record.contributor_name("sen") == record.contributor_name("SENEGAL") == "Senegal"
    a = record.by_contributor("bgd", "unmiss", "2025-07", "2025-07")
    assert a["contributor"].unique().tolist() == ["Bangladesh"] and len(a) == 1
    assert len(record.missions()) == 64 and len(record.contributors()) == 136


@pytest.mark.parametrize(("call", "expected"), [
    (lambda: record.by_mission("MINUSKA"), "unknown mission 'MINUSKA'; close matches: 'MINUSMA'"),
    (lambda: record.by_contributor("Sengal"), "unknown contributor 'Sengal'; close matches: "
                                              "'Senegal'"),
    (lambda: record.by_contributor(mission="XYZZY"), "unknown mission 'XYZZY'; no close match"),
    (lambda: record.totals("2016-13"), "start: got '2016-13', expected a month as YYYY-MM"),
    (lambda: record.totals("2016-05", "2016-01"), "end: got 2016-01, must not be before start"),
])
def test_bad_requests_raise_data_errors(call: object, expected: str) -> None:
    """Unknown names and bad months raise DataError with the closest names or the format."""
    with pytest.raises(DataError) as info:
        call()  # type: ignore[operator]
    assert expected in str(info.value)
    assert info.value.exit_code == 5


@pytest.mark.parametrize(("start", "end", "refused"), [
    (None, None, True), ("2009-11", None, True), ("2010-01", "2017-01", True),
    ("2024-12", "2025-07", True), ("2009-11", "2016-12", False), ("2025-01", None, False),
])
def test_calibration_refuses_the_withheld_years(start: str | None, end: str | None,
                                                refused: bool) -> None:
    """for_calibration=True refuses any window reaching into 2017-01..2024-12, and only those."""
    if refused:
        with pytest.raises(DataError, match=r"withheld years 2017-01\.\.2024-12"):
            record.totals(start, end, for_calibration=True)
    else:
        assert len(record.by_mission(None, start, end, for_calibration=True))


def test_data_folder_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$PPSIM_DATA points the loader at another folder; a folder without the files is an error."""
    monkeypatch.setenv(files.ENV, str(tmp_path))
    with pytest.raises(DataError, match="observed record not found"):
        record.totals()
    for name in files.FILES.values():
        shutil.copy(ROOT / "data" / name, tmp_path / name)
    try:
        assert record.data_dir() == tmp_path
        assert len(record.totals()) == 321
    finally:
        monkeypatch.delenv(files.ENV)
        record.clear_cache()


def test_the_data_layer_imports_only_pandas_numpy_pyarrow_and_errors() -> None:
    """sim.data is a bottom layer: no simpy, no other sim module but sim.errors and itself."""
    allowed = {"numpy", "pandas", "pyarrow", "sim.errors", "sim.data"}
    stdlib = {"__future__", "ast", "copy", "dataclasses", "datetime", "difflib", "functools",
              "json", "math", "os", "pathlib", "re", "textwrap", "typing"}
    for path in (ROOT / "sim" / "data").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                top = name.split(".")[0]
                ok = top in stdlib or any(name == a or name.startswith(a + ".") for a in allowed)
                assert ok, f"{path.name} imports {name}"


# --- ppsim history ------------------------------------------------------------------------------


def history(*args: str) -> object:
    return CliRunner().invoke(main, ["history", *args])


def test_history_prints_yearly_rows() -> None:
    """The default table has one row per year, with the month used, counts and women's shares."""
    result = history("--from", "2015-01")
    assert result.exit_code == 0, result.output
    assert "2016-12" in result.output and "2025-07" in result.output
    assert "6,081" in result.output and "21.9" in result.output  # police, women % in July 2025
    assert "withheld" in result.output


def test_history_csv_by_mission_and_category() -> None:
    """--format csv gives the numbers for other tools; --category keeps one category."""
    result = history("--mission", "unmiss", "--category", "fpu", "--monthly", "--from",
                     "2025-06", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "month,fpu,fpu_women,source"
    assert lines[1:] == ["2025-06,849,220,UN DPO monthly PDF", "2025-07,850,229,UN DPO monthly PDF"]


def test_history_monthly_shows_gaps_as_gap_rows() -> None:
    """A run of missing months is one row of dashes, not interpolated figures."""
    result = history("--contributor", "BGD", "--monthly", "--from", "2014-02", "--to", "2015-01")
    assert result.exit_code == 0, result.output
    gap = next(line for line in result.output.splitlines() if "2014-04..2014-12" in line)
    assert set(gap.replace("2014-04..2014-12", "").split()) == {"–"}


def test_history_plot_writes_a_png(tmp_path: Path) -> None:
    """--plot FILE draws the record into an image (nothing else is left in the folder)."""
    out = tmp_path / "record.png"
    result = history("--contributor", "Rwanda", "--plot", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["record.png"]


@pytest.mark.parametrize(("args", "message"), [
    (["--mission", "MINUSKA"], "unknown mission 'MINUSKA'; close matches"),
    (["--contributor", "Sengal"], "close matches: 'Senegal'"),
    (["--from", "2018-01", "--to", "2019-12"], "no figures for all missions"),
    (["--from", "soon"], "expected a month as YYYY-MM"),
    (["--plot", "/no/such/folder/x.png"], "does not exist"),
])
def test_history_bad_input_exits_non_zero(args: list[str], message: str) -> None:
    """Bad names, empty windows and bad months: a one-line message and exit code 5."""
    result = history(*args)
    assert result.exit_code == 5
    assert message in result.output
    assert "Traceback" not in result.output


def test_women_share_is_nan_where_nobody_serves() -> None:
    """A category with nobody deployed has no women's share (not 0, not a division error)."""
    long = record.by_category(mission="UNFICYP", start="2025-07", end="2025-07")
    fpu = long[long["category"] == "fpu"].iloc[0]
    assert fpu["deployed"] == 0 and np.isnan(fpu["women_share"])
