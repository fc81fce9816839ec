"""Every bundled variant of the baseline compared at once, with every figure and the report.

The README's ``ppsim compare scenarios/baseline.yaml`` runs the base and all its variants; the
figures once failed from the fourth variant on (a negative shade), so this test compares all of
them (two replications over two years, to stay quick) and draws every figure and the report
directly, so that a failing figure raises here instead of being logged by the engine.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import cli
from sim.outputs import plots
from sim.outputs.report import write_report
from sim.scenario.schema import read_yaml

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def _short_baseline(tmp_path: Path) -> Path:
    """The baseline over two years without warm-up (same contributors, missions, variants)."""
    raw = read_yaml(BASELINE)
    raw["run"] = {**raw["run"], "years": 2, "warmup_years": 0}
    path = tmp_path / "baseline-short.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.slow
def test_compare_all_bundled_variants_draws_every_figure_and_the_report(tmp_path: Path) -> None:
    """``compare`` of the base and all variants prints, draws every figure and writes the report."""
    scenario = _short_baseline(tmp_path)
    out = tmp_path / "all"
    result = CliRunner().invoke(cli.main, ["compare", str(scenario), "-n", "2", "--serial",
                                           "--no-plots", "--out", str(out)],
                                env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    variants = ["base", *read_yaml(BASELINE)["variants"]]
    assert len(variants) >= 6
    for name in variants:
        assert name in result.output
    written = plots.make_all(out, formats=("png",))
    drawn = {p.stem for p in written}
    # every figure but the observed-vs-simulated one (the baseline has no observations)
    assert drawn == set(plots.FIGURES) - {"validation"}
    assert all(p.stat().st_size > 10_000 for p in written)
    report = write_report(out).read_text(encoding="utf-8")
    for name in variants:
        assert name in report
    assert report.count("<img") >= len(drawn)
