"""Calibration: fit chosen scenario parameters to the observed monthly record.

``ppsim calibrate SCENARIO --param KEY=LO:HI ... --until YYYY-MM`` (and :func:`calibrate`)
searches the box of parameter ranges for the values whose simulations come closest to the
record of :mod:`sim.data` from the scenario's first month to ``until``.

**Targets.** The observed monthly series, for all missions together (``ALL``) and for each
mission named with ``missions``: deployed police (all, IPO, FPU) and the women's share of IPOs
and of FPU personnel, where the record gives them. A report for the month ending on day ``D`` is
matched with the model's snapshot at ``D + 1`` day (the first of the next month).

**Loss.** For each series ``s`` and calendar year ``y``, the observed yearly mean ``O`` (of the
months the record has) and the simulated yearly mean ``S`` (same months, mean over the
replications); the loss is ``Σ_s w_s · mean_y ((S − O) / O)²``: a weighted sum of squared
relative errors of yearly means, averaged over the years so that a longer window does not
weigh more. Weights (:data:`WEIGHTS`): deployed all 1, IPO 0.5, FPU 0.5, women's share of IPOs
and of FPUs 0.25 each; a named mission's series count :data:`MISSION_WEIGHT` times as much.
Yearly means rather than months: the model is not meant to time a single rotation, and the
yearly means are what the in-sample fit targets are stated on.

**Common random numbers.** Every evaluation runs replications ``0 … n − 1`` with the same seed,
so two parameter points differ by their parameters, not by sampling noise, and the loss is a
deterministic function of the parameters. Scenario ``uncertainties`` are switched off while
fitting (the fit gives central values; their ranges come from the fit's neighbourhood).

**Optimiser** (scipy.optimize, established and already a dependency):

- ``nelder-mead`` (default): derivative-free, a handful of evaluations per step, with the box
  as bounds; the parameters are scaled to ``[0, 1]`` and the first simplex spans a quarter of
  each range, so that whole-number parameters (assessment teams) move at all. Deterministic.
- ``differential-evolution``: a global, population search for several or multimodal
  parameters, with a fixed seed and ``workers=1`` (the parallelism is across replications
  inside an evaluation, so the search itself stays sequential and reproducible), no polishing.

Optuna was not chosen: its samplers are reproducible only single-threaded too, and it adds a
dependency and a storage layer for what two scipy methods already do.

**Horizon.** While fitting, the scenario is simulated only to the month after ``until`` (later
months do not enter the loss), which makes a 2009–2024 scenario fitted to 2016 twice as fast.

**Budget, checkpoint and resume.** ``budget`` caps the evaluations. Every evaluation is appended
to ``calibration/history.json`` in the partial run folder (atomically). A resumed calibration
replays the same optimiser from the same start and seed and answers the evaluations it has
already made from the checkpoint, so it follows the same path and continues where it stopped
(a larger budget extends it). The run folder is written like every run
(:class:`~sim.runs.folder.RunFolder`): bad input is refused before anything is written, and the
folder gets its final name only when whole.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from sim.errors import DataError, ParameterError, ResultsError, ScenarioError
from sim.experiments.engine import (
    _finaliser,
    _git,
    _positive,
    _ppsim_version,
    load,
    scenario_digest,
)
from sim.experiments.executors import TaskSpec, open_executor
from sim.experiments.sweep import Parameter, check_parameters, parse_param
from sim.runs.folder import RunFolder
from sim.scenario.keypaths import apply_overrides
from sim.scenario.schema import BASE, LoadedScenario, Scenario, add_months, validate

log = logging.getLogger(__name__)

Method = Literal["nelder-mead", "differential-evolution"]
METHODS: tuple[str, ...] = ("nelder-mead", "differential-evolution")

WEIGHTS: dict[tuple[str, str], float] = {
    ("deployed", "all"): 1.0,
    ("deployed", "ipo"): 0.5,
    ("deployed", "fpu"): 0.5,
    ("women_share", "ipo"): 0.25,
    ("women_share", "fpu"): 0.25,
}
"""Weight of each (metric, category) series in the loss (see the module docstring)."""

MISSION_WEIGHT = 1.0
"""Multiplier of a named mission's series weights (relative to the ALL series)."""

SERIES_COLUMNS = ["replication", "date", "mission", "category", "deployed", "women_share"]
RECORD_CATEGORY = {"ipo": "ipo", "fpu": "fpu", "police": "all"}
"""The record's categories → the model's (the record's ``police`` is IPO + FPU)."""

Record = Callable[[str | None, str, str], pd.DataFrame]
"""``record(mission or None, first month, last month)`` → long form as
:func:`sim.data.by_category` (``date``, ``category``, ``deployed``, ``women_share``)."""


# --- Targets ---------------------------------------------------------------------------------


def record_from_data(mission: str | None, first: str, last: str) -> pd.DataFrame:
    """The observed record (:mod:`sim.data`), refusing the withheld years."""
    import sim.data

    return sim.data.by_category(mission, None, first, last, for_calibration=True)


def check_until(scenario: Scenario, until: str, record: Record | None = None) -> tuple[str, str]:
    """The calibration window ``(first month, until)`` after checking it against the record.

    Raises:
        DataError: ``until`` is not a month, is in the withheld years (2017-01..2024-12) or
            beyond the record.
        ParameterError: ``until`` is before the scenario starts or after it ends.
    """
    import sim.data

    first = pd.Period(scenario.run.start, freq="M")
    try:
        last = pd.Period(str(until), freq="M")
    except (ValueError, TypeError):
        raise DataError(f"--until: got {until!r}, expected a month as YYYY-MM") from None
    if sim.data.withheld(last):
        raise DataError(f"--until: got {last}, inside the withheld years "
                        f"{sim.data.WITHHELD[0]}..{sim.data.WITHHELD[1]} (kept for the "
                        "out-of-sample check); calibrate on data up to 2016-12")
    if last < first:
        raise ParameterError(f"--until: got {last}, before the scenario's start ({first})")
    end = pd.Period(scenario.end, freq="M") - 1
    if last > end:
        raise ParameterError(f"--until: got {last}, after the scenario's last month ({end})")
    if record is None:
        sim.data.check_window(first, last, for_calibration=True)
        span = sim.data.totals()["date"]
        lo, hi = span.min().to_period("M"), span.max().to_period("M")
        if last > hi or first < lo:
            raise DataError(f"--until: the window {first}..{last} is outside the record "
                            f"({lo}..{hi})")
    return str(first), str(last)


def observed_targets(scenario: Scenario, until: str, missions: Sequence[str] = (),
                     record: Record | None = None) -> pd.DataFrame:
    """The observed values the loss compares with, one row per series and month.

    Columns: ``mission`` (``ALL`` or a scenario mission), ``category`` (ipo, fpu, all),
    ``metric`` (deployed, women_share), ``date`` (the model's snapshot: the day after the
    report), ``year`` (of the report), ``value``, ``weight``.

    Raises:
        DataError: a bad window or a mission the record does not know.
        ParameterError: a mission the scenario does not have.
    """
    first, last = check_until(scenario, until, record)
    fetch = record or record_from_data
    names = [m.name for m in scenario.missions]
    frames = []
    for mission in [None, *missions]:
        if mission is not None and mission not in names:
            from sim.errors import unknown_message

            raise ParameterError(unknown_message("mission", mission, names, "--mission"))
        long = fetch(mission, first, last)
        frames.append(_series_rows(long, mission or "ALL", MISSION_WEIGHT if mission else 1.0))
    targets = pd.concat(frames, ignore_index=True)
    targets = targets[targets["date"] < pd.Timestamp(scenario.end)]
    if targets.empty:
        raise DataError(f"the record has no figures for {first}..{last}")
    return targets.reset_index(drop=True)


def _series_rows(long: pd.DataFrame, mission: str, scale: float) -> pd.DataFrame:
    rows = []
    for record_category, category in RECORD_CATEGORY.items():
        part = long[long["category"] == record_category]
        for metric, column in (("deployed", "deployed"), ("women_share", "women_share")):
            weight = WEIGHTS.get((metric, category))
            if weight is None:
                continue
            values = part[["date", column]].dropna()
            values = values[values[column].astype(float) > 0]
            rows.append(pd.DataFrame({
                "mission": mission, "category": category, "metric": metric,
                "date": (pd.to_datetime(values["date"]) + pd.Timedelta(days=1)).to_numpy(),
                "year": pd.to_datetime(values["date"]).dt.year.to_numpy(),
                "value": values[column].astype(float).to_numpy(),
                "weight": weight * scale,
            }))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


# --- Simulating and scoring ------------------------------------------------------------------


def series_task(spec: TaskSpec) -> pd.DataFrame:
    """One replication's monthly deployed and women's share by mission and category (small)."""
    from sim.model.replication import simulate

    monthly = simulate(spec.scenario, spec.replication, spec.seed)["monthly"]
    keep = monthly[monthly["category"].isin(["ipo", "fpu", "all"])]
    out = keep[SERIES_COLUMNS[1:]].copy()
    out.insert(0, "replication", spec.replication)
    return out.reset_index(drop=True)


def matched(targets: pd.DataFrame, simulated: pd.DataFrame) -> pd.DataFrame:
    """Targets joined with every replication's simulated value at the same snapshot."""
    long = simulated.melt(id_vars=["replication", "date", "mission", "category"],
                          value_vars=["deployed", "women_share"], var_name="metric",
                          value_name="simulated")
    long["date"] = pd.to_datetime(long["date"])
    return targets.merge(long, on=["mission", "category", "metric", "date"], how="inner")


def fit_table(targets: pd.DataFrame, simulated: pd.DataFrame) -> pd.DataFrame:
    """Observed against simulated yearly means, per series and year.

    Columns: ``mission``, ``category``, ``metric``, ``year``, ``months``, ``observed``,
    ``sim_mean``, ``sim_p5``, ``sim_p50``, ``sim_p95`` (over replications), ``rel_error``
    (``(sim_mean − observed) / observed``), ``inside_90``, ``weight``.
    """
    both = matched(targets, simulated)
    keys = ["mission", "category", "metric", "year"]
    per_rep = both.groupby([*keys, "replication"], sort=True)["simulated"].mean().reset_index()
    grouped = per_rep.groupby(keys, sort=True)["simulated"]
    sims = pd.DataFrame({
        "sim_mean": grouped.mean(),
        "sim_p5": grouped.quantile(0.05),
        "sim_p50": grouped.quantile(0.5),
        "sim_p95": grouped.quantile(0.95),
    }).reset_index()
    obs_rows = both.drop_duplicates([*keys, "date"])
    obs = obs_rows.groupby(keys, sort=True).agg(months=("value", "size"),
                                                observed=("value", "mean"),
                                                weight=("weight", "first")).reset_index()
    table = obs.merge(sims, on=keys, how="inner")
    table["rel_error"] = (table["sim_mean"] - table["observed"]) / table["observed"]
    table["inside_90"] = (table["sim_p5"] <= table["observed"]) & \
        (table["observed"] <= table["sim_p95"])
    return table[["mission", "category", "metric", "year", "months", "observed", "sim_mean",
                  "sim_p5", "sim_p50", "sim_p95", "rel_error", "inside_90", "weight"]]


def loss(table: pd.DataFrame) -> float:
    """``Σ_series weight · mean over years of rel_error²`` (see the module docstring)."""
    if table.empty:
        return math.inf
    scored = table.assign(squared=table["rel_error"].astype(float) ** 2)
    series = scored.groupby(["mission", "category", "metric"], sort=True)
    per_series = series["weight"].first() * series["squared"].mean()
    return float(per_series.sum())


def overlay_table(targets: pd.DataFrame, simulated: pd.DataFrame) -> pd.DataFrame:
    """Monthly observed values beside the simulated 5th, 50th and 95th percentiles."""
    long = simulated.melt(id_vars=["replication", "date", "mission", "category"],
                          value_vars=["deployed", "women_share"], var_name="metric",
                          value_name="simulated")
    long["date"] = pd.to_datetime(long["date"])
    series = targets[["mission", "category", "metric"]].drop_duplicates()
    long = long.merge(series, on=["mission", "category", "metric"], how="inner")
    grouped = long.groupby(["mission", "category", "metric", "date"], sort=True)["simulated"]
    bands = pd.DataFrame({f"sim_p{q}": grouped.quantile(q / 100) for q in (5, 50, 95)})
    bands = bands.reset_index()
    obs = targets[["mission", "category", "metric", "date", "value"]].rename(
        columns={"value": "observed"})
    return bands.merge(obs, on=["mission", "category", "metric", "date"], how="left")


# --- The search ------------------------------------------------------------------------------


class _BudgetSpent(Exception):
    """Raised inside the objective when the evaluation budget is used up."""


@dataclass
class Objective:
    """The loss as a function of a point of the unit box, with the checkpointed history.

    Attributes:
        data: the scenario's raw data (points apply their values to it).
        file: the scenario file (for messages).
        params: the fitted parameters.
        targets: the observed series (:func:`observed_targets`).
        run: simulates a scenario's replications and returns their stacked series.
        budget: most evaluations.
        checkpoint: where the history is written after each evaluation (or ``None``).
        years: the horizon simulated while fitting (to the month after ``until``; later months
            do not enter the loss), or ``None`` to keep the scenario's.
        replay: losses of evaluations already made (in the checkpoint or earlier in this
            session), by their parameter values: a point met again is not simulated again.
        history: one record per evaluation (evaluation, values, loss, seconds, cached).
    """

    data: dict[str, Any]
    file: str
    params: Sequence[Parameter]
    targets: pd.DataFrame
    run: Callable[[Scenario], pd.DataFrame]
    budget: int
    checkpoint: Path | None = None
    years: float | None = None
    replay: dict[tuple[float, ...], float] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    def values(self, x: Sequence[float]) -> dict[str, float]:
        """Parameter values of a unit-box point (clipped to the box, rounded if whole)."""
        out = {}
        for p, u in zip(self.params, x, strict=True):
            value = p.low + min(max(float(u), 0.0), 1.0) * (p.high - p.low)
            out[p.path] = float(round(value)) if p.integer else value
        return out

    def scenario(self, values: Mapping[str, float]) -> Scenario:
        """The scenario at ``values`` (validated; uncertainties off while fitting)."""
        overrides: dict[str, Any] = {p.path: int(values[p.path]) if p.integer
                                     else values[p.path] for p in self.params}
        data = apply_overrides(self.data, overrides, "--param")
        data["uncertainties"] = []
        if self.years is not None:
            data["run"] = {**data["run"], "years": self.years}
            data["events"] = before_horizon(data.get("events") or [], data["run"])
        return validate(data, self.file, Scenario, prefix="calibration point")

    def __call__(self, x: Sequence[float]) -> float:
        """The loss at ``x``; raises :class:`_BudgetSpent` once the budget is used."""
        if len(self.history) >= self.budget:
            raise _BudgetSpent
        values = self.values(x)
        key = tuple(values.values())
        started = time.perf_counter()
        cached = key in self.replay
        if cached:
            value = self.replay[key]
        else:
            value = loss(fit_table(self.targets, self.run(self.scenario(values))))
            self.replay[key] = value
        self.history.append({"evaluation": len(self.history), **values, "loss": value,
                             "seconds": round(time.perf_counter() - started, 3),
                             "cached": cached})
        self._save()
        log.info("calibration evaluation %d: loss %.6g at %s", len(self.history) - 1, value,
                 values)
        return value

    def _save(self) -> None:
        if self.checkpoint is None:
            return
        self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.checkpoint.with_name(f".{self.checkpoint.name}.tmp{os.getpid()}")
        tmp.write_text(json.dumps(self.history, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, self.checkpoint)

    def best(self) -> dict[str, Any]:
        """The evaluation with the lowest loss (the first of equals)."""
        return min(self.history, key=lambda h: (h["loss"], h["evaluation"]))


def search(objective: Objective, method: str, seed: int) -> None:
    """Run the optimiser until it converges or the budget is spent (history in ``objective``)."""
    from scipy import optimize

    d = len(objective.params)
    x0 = np.full(d, 0.5)
    try:
        if method == "nelder-mead":
            simplex = np.vstack([x0, *(x0 + 0.25 * np.eye(d)[i] for i in range(d))])
            optimize.minimize(objective, x0, method="Nelder-Mead", bounds=[(0.0, 1.0)] * d,
                              options={"initial_simplex": simplex, "maxfev": 10**9,
                                       "xatol": 1e-3, "fatol": 1e-9})
        else:
            optimize.differential_evolution(objective, [(0.0, 1.0)] * d, seed=seed, workers=1,
                                            popsize=max(5, 10 // d), maxiter=10**6, tol=0,
                                            polish=False, updating="immediate",
                                            init="latinhypercube")
    except _BudgetSpent:
        log.info("calibration: budget of %d evaluations spent", objective.budget)


# --- The command -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CalibrationResult:
    """A finished calibration: its run folder, fitted values and loss.

    Attributes:
        path: the run folder.
        fitted: fitted value of each parameter (whole numbers for integer fields).
        loss: the loss at the fitted values.
        evaluations: evaluations made (including those answered from the checkpoint or cache).
        fit: the fit table at the fitted values (:func:`fit_table`).
        scenario_file: the fitted scenario written with ``write_scenario``, if any.
    """

    path: Path
    fitted: dict[str, float]
    loss: float
    evaluations: int
    fit: pd.DataFrame
    scenario_file: Path | None = None


def _ranges(params: Sequence[str] | Mapping[str, tuple[float, float]]
            ) -> dict[str, tuple[float, float]]:
    if isinstance(params, Mapping):
        return {str(k): (float(v[0]), float(v[1])) for k, v in params.items()}
    ranges: dict[str, tuple[float, float]] = {}
    for text in params:
        path, low, high = parse_param(text)
        if low > high:
            raise ParameterError(f"--param {path}: bounds reversed ({low:g}:{high:g}); give "
                                 "LOW:HIGH with LOW < HIGH")
        ranges[path] = (low, high)
    return ranges


def _check_output(write_scenario: str | Path | None) -> Path | None:
    if write_scenario is None:
        return None
    path = Path(write_scenario)
    if path.exists():
        raise ResultsError(f"--write-scenario: {path} already exists; choose another file")
    if not path.parent.is_dir():
        raise ResultsError(f"--write-scenario: folder {path.parent} does not exist")
    return path


def calibrate(source: str | Path | LoadedScenario,
              params: Sequence[str] | Mapping[str, tuple[float, float]],
              until: str, *, missions: Sequence[str] = (), replications: int = 4,
              budget: int = 40, method: str = "nelder-mead", seed: int | None = None,
              variant: str = BASE, out: str | Path | None = None, resume: bool = False,
              workers: int | None = None, executor: str | None = None,
              write_scenario: str | Path | None = None, command: str = "",
              record: Record | None = None, plots: bool = True) -> CalibrationResult:
    """Fit ``params`` of a scenario to the observed record up to ``until``; write a run folder.

    Args:
        source: a scenario file or a loaded scenario.
        params: ``KEY.PATH=LOW:HIGH`` texts, or ``{path: (low, high)}``.
        until: last observed month used (``YYYY-MM``); never in 2017-01..2024-12.
        missions: missions whose own series are fitted besides the total.
        replications: replications per evaluation (the same seeds every time).
        budget: most evaluations of the loss.
        method: ``nelder-mead`` or ``differential-evolution`` (see the module docstring).
        seed: root seed (default: the scenario's); also seeds differential evolution.
        variant: the scenario the fit starts from.
        out: run folder (default ``runs/<scenario>-calibrate-<timestamp>``).
        resume: continue an interrupted calibration in ``<out>.partial``.
        workers: replications at once.
        executor: as for :func:`sim.run`.
        write_scenario: also write the scenario with the fitted values (and a ``calibration``
            entry naming the window and the command) to this new file.
        command: the command line, recorded in the manifest and the fitted scenario.
        record: observed record to fit instead of :mod:`sim.data` (tests, synthetic data).
        plots: draw ``plots/calibration.png``.

    Raises:
        ParameterError, DataError, ResultsError, ScenarioError: before anything is written.
    """
    from sim.experiments.engine import default_out
    from sim.experiments.sweep import sweep_base

    loaded = load(source)
    scenario = loaded.resolve(variant)
    n = _positive("--replications", replications)
    evals = _positive("--budget", budget)
    if method not in METHODS:
        raise ParameterError(f"--method: got {method!r}, allowed: {', '.join(METHODS)}")
    checked = check_parameters(scenario, _ranges(params))
    if evals < len(checked) + 1:
        raise ParameterError(f"--budget: got {evals}, need at least {len(checked) + 1} "
                             f"evaluations for {len(checked)} parameters")
    root = scenario.run.seed if seed is None else int(seed)
    targets = observed_targets(scenario, until, missions, record)
    target_file = _check_output(write_scenario)
    data = sweep_base(loaded, variant)
    _check_box(Objective(data, loaded.path, checked, targets, _no_run, evals,
                         years=_fit_years(scenario, until)))
    settings = {"kind": "calibrate", "scenario": scenario_digest(loaded), "variant": variant,
                "parameters": [p.__dict__ for p in checked], "until": str(until),
                "missions": list(missions), "replications": n, "seed": root, "method": method,
                "record": "sim.data" if record is None else "custom"}
    folder = RunFolder.prepare(Path(out) if out is not None else default_out(loaded,
                                                                             "calibrate"),
                               settings, resume, key_column="evaluation")
    try:
        started = time.perf_counter()
        with open_executor(executor, workers) as pool:
            from sim.experiments.engine import scenario_text

            folder.create(scenario_text(loaded), {variant: scenario}, _ppsim_version())
            checkpoint = folder.partial / "calibration" / "history.json"

            def simulate_all(point: Scenario) -> pd.DataFrame:
                specs = [TaskSpec(0, r, root, point, ()) for r in range(n)]
                frames = sorted(pool.imap_unordered(series_task, specs),
                                key=lambda f: int(f["replication"].iloc[0]))
                return pd.concat(frames, ignore_index=True)

            objective = Objective(data, loaded.path, checked, targets, simulate_all, evals,
                                  checkpoint, _fit_years(scenario, until),
                                  replay=_replay(checkpoint, checked))
            search(objective, method, root)
            best = objective.best()
            fitted = {p.path: best[p.path] for p in checked}
            final = simulate_all(objective.scenario(fitted))
            workers_used, executor_name = pool.workers, pool.name
        table = fit_table(targets, final)
        history = pd.DataFrame(objective.history)
        folder.write_frame(table, "calibration/fit")
        folder.write_frame(overlay_table(targets, final), "calibration/overlay")
        folder.write_frame(history, "calibration/history")
        folder.write_frame(targets, "calibration/targets")
        folder.write_frame(pd.DataFrame([{"parameter": p.path, "low": p.low, "high": p.high,
                                          "integer": p.integer, "fitted": fitted[p.path]}
                                         for p in checked]), "calibration/fitted")
        fitted_text = _fitted_scenario(loaded, fitted, checked, until, command, float(best["loss"]))
        (folder.partial / "fitted_scenario.yaml").write_text(fitted_text, encoding="utf-8")
        manifest = {
            "kind": "calibrate", "ppsim_version": _ppsim_version(), "git": _git(),
            "scenario": {"name": loaded.base.name, "path": loaded.path,
                         "digest": scenario_digest(loaded)},
            "variant": variant, "command": command, "until": str(until),
            "missions": list(missions), "method": method, "seed": root, "replications": n,
            "budget": evals, "evaluations": len(objective.history),
            "cached": int(history["cached"].sum()) if len(history) else 0,
            "loss": float(best["loss"]), "fitted": fitted,
            "weights": {f"{m}:{c}": w for (m, c), w in WEIGHTS.items()},
            "mission_weight": MISSION_WEIGHT, "executor": executor_name, "workers": workers_used,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "timings": {"total_seconds": round(time.perf_counter() - started, 3)},
            "resumed": folder.resumed, "settings": settings,
        }
        path = folder.finish(manifest, before_rename=_finaliser((_draw,) if plots else ()))
        written = None
        if target_file is not None:
            tmp = target_file.with_name(f".{target_file.name}.tmp{os.getpid()}")
            tmp.write_text(fitted_text, encoding="utf-8")
            os.replace(tmp, target_file)
            written = target_file
        return CalibrationResult(path, fitted, float(best["loss"]), len(objective.history), table,
                                 written)
    finally:
        folder.release()


def _no_run(_scenario: Scenario) -> pd.DataFrame:
    """Stands in for the simulation where an objective is only used to build scenarios."""
    raise AssertionError("not simulated")


def _check_box(objective: Objective) -> None:
    """Validate the scenario at the box's centre and both corners before anything is written.

    A value that makes the scenario invalid (e.g. a delay bound beyond what the schema allows)
    is then a :class:`~sim.errors.ScenarioError` naming the key path, with no run folder left
    behind, rather than a failure at the first evaluation.
    """
    dims = len(objective.params)
    for corner in (0.5, 0.0, 1.0):
        objective.scenario(objective.values([corner] * dims))


def before_horizon(events: Sequence[Mapping[str, Any]],
                   run: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The raw ``events`` that start before the end of the shortened ``run`` (fitting only).

    Events after the fitted window cannot change the loss, and a scenario whose run ends before
    them would not validate (e.g. the 2020 rotation freeze of a 2009-2024 scenario fitted to
    2016); events without a start (always in force) are kept.
    """
    start = pd.Timestamp(str(run["start"])).date()
    end = add_months(start, max(round(float(run["years"]) * 12), 1))   # as Scenario.end
    return [e for e in events
            if e.get("start") is None or pd.Timestamp(str(e["start"])).date() < end]


def _fit_years(scenario: Scenario, until: str) -> float | None:
    """Years to simulate while fitting: to the snapshot after ``until``'s report, if shorter."""
    months = (pd.Period(until, freq="M") - pd.Period(scenario.run.start, freq="M")).n + 2
    return months / 12 if months < scenario.months else None


def _replay(checkpoint: Path, params: Sequence[Parameter]) -> dict[tuple[float, ...], float]:
    """Losses of a checkpoint's evaluations by their values (empty for a new calibration)."""
    if not checkpoint.exists():
        return {}
    try:
        history = json.loads(checkpoint.read_text(encoding="utf-8"))
        return {tuple(float(h[p.path]) for p in params): float(h["loss"]) for h in history}
    except (OSError, ValueError, KeyError) as exc:
        raise ResultsError(f"{checkpoint}: cannot be read ({exc}); choose another --out") \
            from None


def _fitted_scenario(loaded: LoadedScenario, fitted: Mapping[str, float],
                     params: Sequence[Parameter], until: str, command: str,
                     value: float) -> str:
    """The scenario file with the fitted values and a ``calibration`` entry, as YAML."""
    overrides: dict[str, Any] = {p.path: int(fitted[p.path]) if p.integer
                                 else round(fitted[p.path], 6) for p in params}
    data = apply_overrides({k: v for k, v in loaded.raw.items()}, overrides, "--param")
    data["calibration"] = {
        "until": str(until), "command": command,
        "note": f"fitted {', '.join(f'{k} = {v}' for k, v in overrides.items())}; loss "
                f"{value:.4g} (weighted squared relative errors of yearly means)"}
    try:
        from sim.scenario.schema import load_scenario

        load_scenario(data)
    except ScenarioError as exc:  # pragma: no cover - the values were validated while fitting
        raise ScenarioError(loaded.path, exc.problems) from None
    header = f"# Calibrated by ppsim: {command}\n" if command else ""
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _draw(partial: Path) -> None:
    """Draw ``plots/calibration.png`` (a finaliser; matplotlib only when drawing)."""
    from sim.outputs import plots

    plots.draw_calibration(partial)


__all__ = [
    "METHODS",
    "MISSION_WEIGHT",
    "WEIGHTS",
    "CalibrationResult",
    "Objective",
    "before_horizon",
    "calibrate",
    "check_until",
    "fit_table",
    "loss",
    "observed_points",
    "observed_targets",
    "overlay_table",
    "search",
    "series_task",
]


def observed_points(first: str, last: str, missions: Sequence[str] = ()) -> list[dict[str, Any]]:
    """A scenario's ``observed`` entries from the record: each December of ``first..last``.

    For all missions (and each of ``missions``): deployed police (all, IPO, FPU) and the women's
    share of IPOs and FPU personnel where the record has them; dated the report's day. Refuses
    the withheld years (:class:`~sim.errors.DataError`).
    """
    import sim.data

    entries: list[dict[str, Any]] = []
    for mission in [None, *missions]:
        long = sim.data.by_category(mission, None, first, last, for_calibration=True)
        december = long[long["date"].dt.month == 12]
        for row in december.to_dict("records"):
            category = RECORD_CATEGORY[row["category"]]
            where = mission or "ALL"
            source = f"UN DPO monthly report via data/ (sim.data), {row['date']:%Y-%m}"
            base = {"date": row["date"].date().isoformat(), "mission": where,
                    "category": category}
            entries.append({**base, "metric": "deployed", "value": int(row["deployed"]),
                            "source": source})
            share = row["women_share"]
            if category != "all" and share == share and share is not None:
                entries.append({**base, "metric": "women_share", "value": round(float(share), 4),
                                "source": source})
    return entries
