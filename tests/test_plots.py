"""Every standard figure is drawn from a real run folder, is not blank, and has its parts."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from sim.outputs import plots

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
    assert labels[:3] == ["base", "quota", "more_assessment"]
    assert "authorized" in labels and "published figure" in labels
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
