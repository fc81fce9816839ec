"""The HTML report: self-contained, complete, and rendered for real in headless Chromium."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from sim.outputs import plots
from sim.outputs.report import FIGURE_TITLES, write_report

pytestmark = pytest.mark.slow  # every test renders a report from a compare run

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def report(compare_dir: Path) -> Path:
    """The report of the compare run used by the plot tests."""
    return write_report(compare_dir)


def test_report_is_self_contained(report: Path) -> None:
    """No external URL, script or stylesheet: every image is embedded data."""
    text = report.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", text)
    assert "<script" not in text
    images = re.findall(r'<img [^>]*src="([^"]+)"', text)
    assert len(images) == len(FIGURE_TITLES)
    assert all(src.startswith("data:image/png;base64,") for src in images)


def test_report_has_every_section(report: Path) -> None:
    """Scenario, findings with paired differences, targets, figures, assumptions, provenance."""
    text = report.read_text()
    for heading in ("Scenario", "Key findings", "Women's-share targets", "Figures",
                    "Assumptions and sources", "Provenance"):
        assert f"<h2>{heading}</h2>" in text, heading
    assert "quota − base" in text and "more_assessment − base" in text
    assert "root seed" in text and "ppsim version" in text


def test_cli_report_and_error(compare_dir: Path, tmp_path: Path) -> None:
    """`ppsim report` writes where asked; a folder that is not a run exits non-zero."""
    out = tmp_path / "r.html"
    ok = CliRunner().invoke(main, ["report", str(compare_dir), "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert out.stat().st_size > 100_000
    bad = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert bad.exit_code == 4 and "not a finished run folder" in bad.output


@pytest.mark.slow
def test_report_draws_missing_figures(compare_dir: Path, tmp_path: Path) -> None:
    """A run folder without plots/ gets its figures drawn for the report."""
    copy = tmp_path / "run"
    shutil.copytree(compare_dir, copy)
    shutil.rmtree(copy / "plots")
    write_report(copy)
    assert len(list((copy / "plots").glob("*.png"))) == len(plots.available(
        plots.RunData.open(copy)))


CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not (CHROMIUM.exists() and DRIVER.exists()),
                    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")
def test_report_renders_in_headless_chromium(report: Path) -> None:
    """Chromium loads the report with every image decoded and no console errors; a screenshot
    is saved to test-artifacts/report.png."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="ppsim-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                 "--window-size=1280,1600"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    try:
        driver.get(report.resolve().as_uri())
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt]);")
        assert len(images) == len(FIGURE_TITLES)
        for complete, width, alt in images:
            assert complete and width >= 1000, (alt, complete, width)
        assert driver.title.startswith("ppsim report")
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == [], severe
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1280, min(int(height) + 100, 16000))
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "report.png"))
        assert (ARTIFACTS / "report.png").stat().st_size > 50_000
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
