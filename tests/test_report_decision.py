"""The report reads as a decision: sentences from numbers, definitions, stated assumptions."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.outputs import findings
from sim.outputs.report import render
from sim.outputs.report_sections import scenario_assumptions

ROW = {"variant": "v", "outcome": "final_women_share", "mission": "ALL", "category": "ipo",
       "base": 0.25, "diff_mean": 0.05, "diff_ci_low": 0.02, "diff_ci_high": 0.08}


@pytest.mark.parametrize(("change", "expected"), [
    ({}, "v raises women's share (final month), IPO by 5.0 points (95% CI +2.0 to +8.0; "
         "clear, an improvement) from the base's 25.0%."),
    ({"outcome": "mean_vacancy_rate"}, "clear, a deterioration"),
    ({"diff_mean": -0.01, "diff_ci_low": -0.03, "diff_ci_high": 0.01},
     "lowers women's share (final month), IPO by 1.0 points (95% CI −3.0 to +1.0; not "
     "distinguishable from zero)"),
    ({"diff_mean": 0.0, "diff_ci_low": 0.0, "diff_ci_high": 0.0}, "v leaves"),
    ({"outcome": "cost", "category": "all", "base": 1e6, "diff_mean": 5e4,
      "diff_ci_low": 1e4, "diff_ci_high": 9e4}, "by 50,000 USD (95% CI +10,000 to +90,000; clear)"),
])
def test_difference_sentences_say_what_how_much_and_how_sure(change: dict, expected: str) -> None:
    """The sentence names the change, its size and CI, whether it is clear, and which way is
    better (from the catalog; cost has no better direction)."""
    finding = findings.difference_sentence({**ROW, **change})
    assert expected in finding.text
    assert finding.clear == ("clear" in expected and "not" not in expected)


def test_scenario_assumption_comments_are_found() -> None:
    """Every `# assumption` comment of the baseline is found with the setting on its line."""
    text = Path("scenarios/baseline.yaml").read_text(encoding="utf-8")
    found = scenario_assumptions(text)
    assert len(found) == sum(1 for line in text.splitlines()
                             if "#" in line and "assumption" in line.split("#", 1)[1].lower())
    assert any(setting == "hardship: 0.1" for _, setting, _ in found)


def test_compare_report_has_the_decision_sections(compare_dir: Path) -> None:
    """Summary in sentences, variant definitions, per-mission findings and the observed check."""
    page = render(compare_dir)
    for heading in ("<h2>Summary</h2>", "<h3>quota</h3>", "<h3>more_assessment</h3>",
                    "What each variant changes", "<h2>Findings by mission</h2>",
                    "<h3>North</h3>", "<h2>Observed against simulated</h2>"):
        assert heading in page
    assert "sets <code>pipeline.assessment.teams</code> = <code>4</code>" in page
    assert "lever <code>women_nomination_quota</code> (start: 2026-01-01, share: 0.4)" in page
    assert page.index("<h2>Summary</h2>") < page.index("<h2>Scenario</h2>")
    assert "95% confidence interval of the paired difference excludes zero" in page
