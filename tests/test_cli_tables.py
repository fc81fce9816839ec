"""Terminal tables keep their key columns whole at 80 and 120 columns; --format gives data."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from sim.scenario.schema import read_yaml

TINY = Path(__file__).resolve().parent / "data" / "tiny.yaml"


@pytest.fixture(scope="module")
def short_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny scenario over four years (the 2028 target falls inside the run)."""
    raw = read_yaml(TINY)
    raw["run"]["years"] = 4
    path = tmp_path_factory.mktemp("scenario") / "tiny4.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _invoke(args: list[str], columns: int) -> Any:
    result = CliRunner().invoke(main, args, env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result


def _widest(text: str) -> int:
    """The longest line, leaving out the run folder's path (never wrapped, to copy it whole)."""
    return max(len(line.rstrip()) for line in text.splitlines() if not line.startswith("wrote "))


@pytest.mark.slow
@pytest.mark.parametrize("columns", [80, 120])
def test_compare_keeps_target_columns_whole(columns: int, short_tiny: Path,
                                            tmp_path: Path) -> None:
    """Targets show mission, category, share and date on one line, every variant named whole."""
    out = _invoke(["compare", str(short_tiny), "-n", "2", "--serial", "--no-plots", "--out",
                   str(tmp_path / "c")], columns).output
    assert _widest(out) <= columns
    assert "North IPO 30% on 2028-01-01" in out
    for variant in ("base", "quota", "more_assessment"):
        assert variant in out
    assert "2025-01-01" not in out  # targets dated at the start are left out of the headline


@pytest.mark.slow
@pytest.mark.parametrize("columns", [80, 120])
def test_run_summary_shows_ipo_and_fpu_apart(columns: int, short_tiny: Path,
                                             tmp_path: Path) -> None:
    """The run summary has IPO and FPU rows per mission and fits the terminal."""
    out = _invoke(["run", str(short_tiny), "-n", "1", "--serial", "--no-plots", "--out",
                   str(tmp_path / "r")], columns).output
    assert _widest(out) <= columns
    lines = [line.split() for line in out.splitlines()]
    assert ["North", "IPO", "2025-01"] in [line[:3] for line in lines]
    assert ["FPU", "2025-01"] in [line[:2] for line in lines]
    # 90% bands only when they fit; the title says which
    words = " ".join(out.split())
    assert ("(90% band over replications)" in words) == (columns >= 100)
    assert ("bands need ≥ 100 columns" in words) == (columns < 100)


@pytest.mark.slow
def test_formats_give_data(short_tiny: Path, tmp_path: Path) -> None:
    """--format csv, json and markdown print the run summary's data, the folder line on stderr."""
    base = ["run", str(short_tiny), "-n", "1", "--serial", "--no-plots", "--out",
            str(tmp_path / "r")]
    csv = CliRunner().invoke(main, [*base, "--format", "csv"])
    frame = pd.read_csv(io.StringIO(csv.stdout))
    assert {"mission", "category", "date", "deployed", "deployed_p95"} <= set(frame.columns)
    assert set(frame["category"]) == {"ipo", "fpu", "all"}
    again = CliRunner().invoke(main, [*base, "--replace", "--format", "json"])
    rows = json.loads(again.stdout)["summary"]
    assert rows[0]["mission"] == "North" and "women_share" in rows[0]
    md = CliRunner().invoke(main, [*base, "--replace", "--format", "markdown"])
    assert md.stdout.startswith("### summary\n\n| mission | category | date |")
