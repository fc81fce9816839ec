"""Experiments: run folders, paired comparisons, executors, failure paths and the CLI commands.

Every run uses the tiny scenario with 2–3 replications; results are compared byte for byte
(same seed ⇒ same bytes, whatever the executor or worker count).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import sim
import sim.experiments.executors
import sim.model.replication
from cli import main
from sim.errors import ExecutorError, ParameterError, ResultsError, VariantError
from sim.experiments.api import compare, run
from sim.experiments.engine import Stopping

TINY = Path(__file__).resolve().parent / "data" / "tiny.yaml"


def _files(folder: Path) -> dict[str, bytes]:
    """Every table and summary file of a run folder, by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for sub in ("tables", "summary", "sweep") for p in sorted((folder / sub).rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def same_variant(tmp_path_factory: pytest.TempPathFactory) -> sim.RunResult:
    """The tiny scenario with a variant that changes nothing, compared serially (3 reps)."""
    raw = sim.scenario.schema.read_yaml(TINY)
    raw["variants"]["same"] = {"description": "identical to the base"}
    loaded = sim.load_scenario(raw)
    out = tmp_path_factory.mktemp("same") / "run"
    return compare(loaded, variants=["same", "quota"], replications=3, executor="serial",
                   out=out, at=["2027-01-01"])


@pytest.mark.slow
def test_identical_variant_has_exactly_zero_paired_differences(same_variant: sim.RunResult
                                                                ) -> None:
    """A variant equal to the base shares its random numbers: every difference is exactly 0."""
    comp = same_variant.read("summary/comparison")
    same = comp[comp["variant"] == "same"]
    assert len(same) > 0 and set(same["at"]) == {"horizon", "2027-01-01"}
    defined = same.dropna(subset=["diff_mean"])
    assert len(defined) > 0.9 * len(same)
    assert (defined[["diff_mean", "diff_ci_low", "diff_ci_high"]] == 0).all().all()
    monthly = same_variant.tables["monthly"]
    base = monthly[monthly["variant"] == "base"].drop(columns="variant").reset_index(drop=True)
    twin = monthly[monthly["variant"] == "same"].drop(columns="variant").reset_index(drop=True)
    pd.testing.assert_frame_equal(base, twin)


@pytest.mark.slow
def test_quota_variant_differs_from_the_base(same_variant: sim.RunResult) -> None:
    """A real policy change gives non-zero paired differences in the women's IPO share."""
    comp = same_variant.read("summary/comparison")
    row = comp[(comp["variant"] == "quota") & (comp["outcome"] == "final_women_share")
               & (comp["mission"] == "ALL") & (comp["category"] == "ipo")].iloc[0]
    assert row["diff_mean"] > 0


@pytest.mark.slow
def test_run_folder_layout_and_manifest(same_variant: sim.RunResult) -> None:
    """The folder holds the scenario, resolved variants, tables, summaries and a full manifest."""
    path = same_variant.path
    assert not Path(str(path) + ".partial").exists() and not (path / "tasks").exists()
    assert "same:" in (path / "scenario.yaml").read_text()  # built from a dict: dumped as YAML
    for name in ("base", "same", "quota"):
        resolved = json.loads((path / "resolved" / f"{name}.json").read_text())
        assert resolved["name"] == "tiny"
    for table in sim.runs.folder.TABLES:
        assert (path / "tables" / f"{table}.parquet").exists()
        assert (path / "tables" / f"{table}.csv").exists()
    for summary in ("bands.csv", "outcomes.csv", "targets.csv", "comparison.csv"):
        assert (path / "summary" / summary).exists()
    m = same_variant.manifest
    assert m["kind"] == "compare" and m["variants"] == ["base", "same", "quota"]
    assert (m["replications"], m["seed"], m["executor"]) == (3, 7, "serial")
    assert len(m["timings"]["tasks"]) == 9 and m["timings"]["total_seconds"] > 0
    assert {"python", "numpy", "simpy", "pandas"} <= set(m["versions"])
    assert m["ppsim_version"] == sim.__version__


@pytest.mark.slow
def test_tables_are_stacked_with_key_columns_first(same_variant: sim.RunResult) -> None:
    """Tables stack variants and replications in a fixed order, key columns in front."""
    monthly = same_variant.tables["monthly"]
    assert list(monthly.columns[:2]) == ["variant", "replication"]
    order = monthly[["variant", "replication"]].drop_duplicates()
    assert order["variant"].tolist() == ["base"] * 3 + ["same"] * 3 + ["quota"] * 3
    assert order["replication"].tolist() == [0, 1, 2] * 3


@pytest.mark.slow
def test_bands_are_ordered_percentiles(same_variant: sim.RunResult) -> None:
    """Band percentiles are monotone and bracket the mean, for every metric and month."""
    b = same_variant.summary.dropna(subset=["mean"])
    assert set(b["metric"]) == set(sim.outputs.summaries.BAND_METRICS)
    cols = ["p5", "p25", "p50", "p75", "p95"]
    assert (np.diff(b[cols].to_numpy(), axis=1) >= -1e-9).all()
    assert ((b["p5"] <= b["mean"] + 1e-9) & (b["mean"] <= b["p95"] + 1e-9)).all()


@pytest.mark.slow
def test_run_summary_matches_the_tables(tmp_path: Path) -> None:
    """The outcome summary's means equal the means of the stacked outcomes table."""
    result = run(TINY, replications=2, executor="serial", out=tmp_path / "r")
    outcomes = result.tables["outcomes"]
    direct = outcomes.groupby(["mission", "category", "outcome"], sort=False)["value"].mean()
    summary = result.outcomes.set_index(["mission", "category", "outcome"])["mean"]
    pd.testing.assert_series_equal(direct, summary.loc[direct.index], check_names=False)
    targets = result.read("summary/targets.csv")
    assert (targets["n"] == 2).all()


@pytest.mark.slow
def test_same_bytes_serial_two_processes_and_dask(tmp_path: Path) -> None:
    """Tables and summaries are byte-identical: serial, 2 local processes, a Dask LocalCluster."""
    kwargs: dict[str, Any] = {"variants": ["quota"], "replications": 3, "at": ["2026-06-15"]}
    serial = compare(TINY, executor="serial", out=tmp_path / "serial", **kwargs)
    procs = compare(TINY, executor="processes", workers=2, out=tmp_path / "procs", **kwargs)
    dask = compare(TINY, executor="dask-local", workers=2, out=tmp_path / "dask", **kwargs)
    reference = _files(serial.path)
    assert len(reference) > 20
    assert _files(procs.path) == reference
    assert _files(dask.path) == reference
    assert procs.manifest["workers"] == 2 and dask.manifest["executor"] == "dask-local"


def test_failed_task_leaves_no_run_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    """An exception in a task propagates, naming the task; only the partial folder remains."""
    calls = {"n": 0}
    real = sim.model.replication.simulate_arrow

    def flaky(scenario: sim.Scenario, replication: int, seed: int | None = None,
              decisions: Any = None) -> Any:
        calls["n"] += 1
        if replication == 1:
            raise RuntimeError("model exploded")
        return real(scenario, replication, seed, decisions)

    monkeypatch.setattr(sim.model.replication, "simulate_arrow", flaky)
    out = tmp_path / "r"
    with pytest.raises(RuntimeError, match="model exploded") as info:
        run(TINY, replications=3, executor="serial", out=out)
    assert any("replication 1" in note for note in info.value.__notes__)
    assert not out.exists()
    assert (tmp_path / "r.partial" / "tasks" / "base" / "0.arrow").exists()


@pytest.mark.slow
def test_existing_folders_need_resume_and_the_same_settings(tmp_path: Path) -> None:
    """A finished --out is refused; an unfinished one needs --resume and identical settings."""
    out = tmp_path / "r"
    run(TINY, replications=2, executor="serial", out=out)
    with pytest.raises(ResultsError, match="already exists"):
        run(TINY, replications=2, executor="serial", out=out)
    partial = tmp_path / "p.partial"
    (partial / "tasks").mkdir(parents=True)
    (partial / "settings.json").write_text(json.dumps({"kind": "run", "replications": 5}))
    (partial / ".ppsim-run").write_text(json.dumps({"ppsim_run_format": 1}))
    with pytest.raises(ResultsError, match="--resume"):
        run(TINY, replications=2, executor="serial", out=tmp_path / "p")
    with pytest.raises(ResultsError, match="replications: was 5, now 2"):
        run(TINY, replications=2, executor="serial", out=tmp_path / "p", resume=True)


def test_bad_inputs_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    """Unknown variant, bad date, bad outcome, bad executor: clear errors and no folder."""
    out = tmp_path / "r"
    with pytest.raises(VariantError, match="did you mean 'quota'"):
        run(TINY, variant="qouta", replications=1, out=out)
    with pytest.raises(ParameterError, match="must be within the run"):
        compare(TINY, replications=1, out=out, at=["2040-01-01"])
    with pytest.raises(ParameterError, match="did you mean 'mean_deployed'"):
        compare(TINY, replications=1, out=out, stopping=Stopping(1.0, "mean_deploy"))
    with pytest.raises(ExecutorError, match="unknown 'threads'"):
        run(TINY, replications=1, out=out, executor="threads")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_sequential_stopping(tmp_path: Path) -> None:
    """Batches are added until the half-width target or the cap; results equal a fixed run."""
    loose = compare(TINY, variants=["quota"], replications=2, executor="serial",
                    out=tmp_path / "loose", stopping=Stopping(1e9, max_replications=6))
    assert loose.manifest["replications"] == 2 and loose.manifest["stopping"]["met"]
    tight = compare(TINY, variants=["quota"], replications=2, executor="serial",
                    out=tmp_path / "tight",
                    stopping=Stopping(1e-9, "mean_vacancy_rate", "ALL", "ipo",
                                      max_replications=5, on="mean"))
    stop = tight.manifest["stopping"]
    assert tight.manifest["replications"] == 5 and not stop["met"]
    assert [h["replications"] for h in stop["history"]] == [2, 4, 5]
    fixed = compare(TINY, variants=["quota"], replications=5, executor="serial",
                    out=tmp_path / "fixed")
    for table in ("monthly", "outcomes"):
        assert (tight.path / "tables" / f"{table}.parquet").read_bytes() == \
            (fixed.path / "tables" / f"{table}.parquet").read_bytes()


# --- CLI -----------------------------------------------------------------------------------------


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


@pytest.mark.slow
def test_cli_run_prints_a_summary_and_where_files_went(tmp_path: Path) -> None:
    """`ppsim run` prints the per-mission table and the run folder."""
    out = tmp_path / "r"
    result = _cli("run", str(TINY), "-n", "2", "--serial", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "North" in result.output and "ALL" in result.output and "women %" in result.output
    assert f"wrote {out}" in result.output.replace("\n", "")
    assert (out / "manifest.json").exists()


@pytest.mark.slow
def test_cli_compare_prints_differences_and_targets(tmp_path: Path) -> None:
    """`ppsim compare` prints the headline comparison and target probabilities."""
    result = _cli("compare", str(TINY), "--variants", "quota", "-n", "2", "--serial",
                  "--at", "2027-01-01", "--out", str(tmp_path / "c"))
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "final women share (ipo)" in text and "on 2027-01-01" in text
    assert "Probability of meeting" in result.output


@pytest.mark.parametrize(("args", "code", "message"), [
    (["run", str(TINY), "--variant", "qouta"], 2, "unknown variant 'qouta'"),
    (["compare", str(TINY), "--variants", "quota,nope"], 2, "unknown variant 'nope'"),
    (["compare", str(TINY), "--at", "2001-01-01"], 2, "must be within the run"),
    (["compare", str(TINY), "--until-halfwidth", "1", "--outcome", "mean_deployed:Nowhere"],
     2, "unknown mission 'Nowhere'"),
    (["run", str(TINY), "--serial", "--dask", "local"], 2, "exclude each other"),
    (["run", str(TINY), "--dask", "tcp://127.0.0.1:9"], 3, "cannot reach the Dask scheduler"),
])
def test_cli_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
                       code: int, message: str) -> None:
    """Bad input exits non-zero with a clear one-line reason and leaves no run folder."""
    monkeypatch.setattr(sim.experiments.executors, "DASK_CONNECT_TIMEOUT_S", 1.0)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    result = _cli(*args, "-n", "1", "--out", str(out))
    assert result.exit_code == code, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not out.exists() and not Path(str(out) + ".partial").exists()
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_loaded_scenario_from_a_dict_is_saved_as_yaml(tmp_path: Path) -> None:
    """A scenario built in Python (no file) is written to scenario.yaml as YAML."""
    raw = copy.deepcopy(sim.scenario.schema.read_yaml(TINY))
    result = run(sim.load_scenario(raw), replications=1, executor="serial", out=tmp_path / "d")
    text = (result.path / "scenario.yaml").read_text()
    assert "name: tiny" in text
    assert sim.load_scenario(result.path / "scenario.yaml").base == sim.load_scenario(TINY).base
