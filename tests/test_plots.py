"""Every standard figure is drawn from a real run folder, is not blank, and has its parts."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from sim.outputs import plots

pytestmark = pytest.mark.slow  # every test draws from a compare run (10 s to build)

ROOT = Path(__file__).resolve().parent.parent


def _not_blank(path: Path) -> None:
    image = mpimg.imread(path)
    assert path.stat().st_size > 20_000, path
    assert image.shape[0] >= 600 and image.shape[1] >= 1000, image.shape
    assert float(np.std(image[..., :3])) > 0.05, f"{path} looks blank"


@pytest.mark.parametrize("name", [f for f in plots.FIGURES if f not in ("events", "casework")])
def test_every_figure_is_drawn_and_not_blank(compare_dir: Path, name: str) -> None:
    """The run drew every figure as a non-trivial PNG (size and pixel variance).

    ``events`` is drawn only for runs with events (tests/test_events.py).
    """
    _not_blank(compare_dir / "plots" / f"{name}.png")


def test_casework_figure_only_with_casework(compare_dir: Path) -> None:
    """A run without casework does not draw the casework figure (tests/test_casework.py does)."""
    assert "casework" not in plots.available(plots.RunData.open(compare_dir))
    assert not (compare_dir / "plots" / "casework.png").exists()


def test_deployed_panels_and_observed_overlay(compare_dir: Path) -> None:
    """One panel per mission plus the total, each with authorized; published figures shown."""
    data = plots.RunData.open(compare_dir)
    fig = plots.fig_deployed(data)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["All missions", "North", "South"]
    labels = visible[0].get_legend_handles_labels()[1]
    for variant in ("base", "quota", "more_assessment"):
        assert f"{variant}, IPO" in labels and f"{variant}, FPU" in labels
    assert "authorized, IPO" in labels and "authorized, FPU" in labels
    assert "published figure" in labels
    assert all(ax.get_ylabel() == "officers" for ax in visible)
    assert "Scenario 'tiny'" in fig.texts[-1].get_text()


def test_women_share_has_targets(compare_dir: Path) -> None:
    """Both category panels show the target step line, in percent."""
    fig = plots.fig_women_share(plots.RunData.open(compare_dir))
    for ax in fig.axes:
        assert "target" in ax.get_legend_handles_labels()[1] or ax is not fig.axes[0]
        assert ax.get_ylabel() == "women (% of deployed)"


def test_forest_plot_has_every_variant(compare_dir: Path) -> None:
    """Each headline panel has a CI bar per variant other than the base."""
    fig = plots.fig_differences(plots.RunData.open(compare_dir))
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) >= 5
    for ax in panels:
        assert [t.get_text() for t in ax.get_yticklabels()] == ["quota", "more_assessment"]


def test_formats_and_single_mission(compare_dir: Path, tmp_path: Path) -> None:
    """SVG and PDF are written too, and a figure can be drawn for one mission."""
    written = plots.make_all(compare_dir, formats=("svg", "pdf"), out_dir=tmp_path,
                             metrics=["deployed"], mission="North")
    assert sorted(p.name for p in written) == ["deployed_North.pdf", "deployed_North.svg"]
    assert all(p.stat().st_size > 5_000 for p in written)


def test_same_run_same_png_bytes(compare_dir: Path, tmp_path: Path) -> None:
    """Figures are reproducible: drawing twice gives the same bytes (no timestamps)."""
    a = plots.make_all(compare_dir, out_dir=tmp_path / "a", metrics=["women_share"])
    b = plots.make_all(compare_dir, out_dir=tmp_path / "b", metrics=["women_share"])
    assert a[0].read_bytes() == b[0].read_bytes()


def test_cli_plot_and_errors(compare_dir: Path, tmp_path: Path) -> None:
    """`ppsim plot` draws into --out; a bad mission or a non-run folder exits non-zero."""
    runner = CliRunner()
    ok = runner.invoke(main, ["plot", str(compare_dir), "--metric", "time_to_deploy",
                              "--out", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    _not_blank(tmp_path / "time_to_deploy.png")
    bad = runner.invoke(main, ["plot", str(compare_dir), "--mission", "Nowhere"])
    assert bad.exit_code == 4 and "unknown mission 'Nowhere'" in bad.output
    empty = runner.invoke(main, ["plot", str(tmp_path)])
    assert empty.exit_code == 4 and "not a run folder" in empty.output


def _caption(fig: object) -> str:
    """The provenance caption under a figure."""
    texts = [t.get_text() for t in fig.texts]  # type: ignore[attr-defined]
    return next(t for t in texts if t.startswith("Scenario '"))


def test_time_to_deploy_has_no_empty_panel_and_one_axis_label(compare_dir: Path) -> None:
    """Only categories with arrivals get a panel (South has no teams); one shared x label."""
    data = plots.RunData.open(compare_dir)
    south = plots.fig_time_to_deploy(data, "South")
    assert [ax.get_title() for ax in south.axes] == ["Individual police officers",
                                                     "Formed police units"]
    everywhere = plots.fig_time_to_deploy(data)
    assert [ax.get_xlabel() for ax in everywhere.axes] == ["", "", ""]
    assert any("days from vacancy to arrival" in t.get_text() for t in everywhere.texts)


def test_compare_figures_show_every_variant(compare_dir: Path) -> None:
    """Specialist coverage and contributors draw a panel per variant, not just the base."""
    data = plots.RunData.open(compare_dir)
    coverage = plots.fig_specialist_coverage(data)
    titles = [ax.get_title() for ax in coverage.axes if ax.get_visible() and ax.images]
    assert titles == data.variants
    contributors = plots.fig_contributors(data)
    titles = [ax.get_title() for ax in contributors.axes if ax.get_visible()]
    assert data.variants == titles[:len(data.variants)]


def test_forest_plot_marks_the_better_side_from_the_catalog(compare_dir: Path) -> None:
    """Each panel whose outcome has a better direction says which side of zero is better."""
    from sim.outputs import catalog

    data = plots.RunData.open(compare_dir)
    fig = plots.fig_differences(data)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    expected = {"higher": "better →", "lower": "← better"}
    drawn = [(o, c) for o, c in catalog.FOREST if data.has_cases() or not o.startswith("case")]
    for ax, (outcome, _) in zip(panels, drawn, strict=True):
        assert ax.get_xlabel() == expected[catalog.outcome(outcome).better]


def test_footers_mention_bands_only_where_drawn(compare_dir: Path) -> None:
    """Fan charts say what their bands are; figures without bands do not mention them."""
    data = plots.RunData.open(compare_dir)
    with_bands = {"women_share", "contributors", "events"}
    for name in plots.available(data):
        caption = _caption(plots.FIGURES[name](data, None))
        assert ("bands" in caption) == (name in with_bands), (name, caption)


def test_pipeline_flow_has_one_line_per_variant_and_stage(compare_dir: Path) -> None:
    """Stages are panels and variants lines (any number of variants stays readable)."""
    data = plots.RunData.open(compare_dir)
    fig = plots.fig_pipeline_flow(data)
    assert [ax.get_title() for ax in fig.axes] == ["Nominated", "Passed assessment", "Arrived"]
    for ax in fig.axes:
        assert [line.get_label() for line in ax.lines] == data.variants


def test_one_failing_figure_does_not_cost_the_others(compare_dir: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A figure that raises is named in a ResultsError after the others are drawn."""
    from sim.errors import ResultsError

    def broken(data: plots.RunData, mission: str | None) -> None:
        raise ValueError("no data for this panel")

    monkeypatch.setitem(plots.FIGURES, "deployed", broken)
    with pytest.raises(ResultsError, match=r"could not draw 1 of 2 figures.*deployed "
                                           r"\(ValueError: no data for this panel\)"):
        plots.make_all(compare_dir, out_dir=tmp_path, metrics=["deployed", "women_share"])
    assert (tmp_path / "women_share.png").exists()
    assert not (tmp_path / "deployed.png").exists()


def test_validation_ticks_sit_at_the_observations_dates(compare_dir: Path) -> None:
    """Each panel's ticks are its observations' dates, labelled with their own year (a figure of
    31 December must not sit under the next year's 1 January tick)."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    fig = plots.fig_validation(plots.RunData.open(compare_dir))
    try:
        shown = [ax for ax in fig.axes if ax.get_visible() and ax.get_xticks().size]
        labels = {t.get_text() for ax in shown for t in ax.get_xticklabels()}
        assert labels == {"2026", "2027"}
        ticks = {mdates.num2date(x).date().isoformat() for ax in shown for x in ax.get_xticks()}
        assert ticks == {"2026-01-01", "2027-01-01"}
        assert {ax.get_xlabel() for ax in shown} == {"January of each year"}
    finally:
        plt.close(fig)
