"""Parameter sweeps and global sensitivity analysis over numeric scenario fields.

A sweep varies named numeric fields (key paths, see :mod:`sim.scenario.schema`) over ranges
``low:high`` and runs replications at each *point* of a design:

- ``grid``: ``points`` evenly spaced values per parameter, every combination (``points ** d``
  points for ``d`` parameters);
- ``lhs``: a Latin hypercube of ``points`` points (:class:`scipy.stats.qmc.LatinHypercube`,
  seeded from the run's seed);
- ``sobol``: Saltelli's extension of a Sobol sequence (SALib), ``points × (d + 2)`` points for
  ``points`` base samples (a power of two keeps the sequence balanced); the analysis gives
  first-order and total Sobol indices with bootstrap 95% intervals.

Each point's scenario is the base's raw data (or a variant's) with the point's values applied by
:func:`~sim.scenario.keypaths.apply_overrides`, then validated like a scenario file, so a value
out of a field's range is reported with its key path. Fields whose file value is a whole number
(counts of teams, posts) are rounded to whole numbers. All points use the same random streams for
a given replication (common random numbers), so differences between points are not sampling noise.

Outputs (in the run folder's ``sweep/``): ``points.csv`` (point id and parameter values),
``results.parquet``/``.csv`` (one row per point × outcome × mission × category: replications,
mean, 95% CI), and, for Sobol designs, ``sobol.csv`` (outcome, mission, category, parameter,
``S1``, ``S1_ci_low``, ``S1_ci_high``, ``ST``, ``ST_ci_low``, ``ST_ci_high``).
"""

from __future__ import annotations

import copy
import itertools
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from sim.errors import ParameterError, ScenarioError
from sim.experiments.engine import (
    Execution,
    Job,
    Progress,
    Stopping,
    _check_stopping,
    _positive,
    _seed,
    decision_settings,
    execute,
    load,
    outcome_settings,
    parse_outcome,
    scenario_digest,
)
from sim.experiments.progress import progress_bar
from sim.outputs import catalog, stats
from sim.runs.folder import RunFolder, RunResult
from sim.scenario.keypaths import apply_overrides, get_path
from sim.scenario.schema import (
    BASE,
    LoadedScenario,
    Scenario,
    Variant,
    validate,
    variant_chain,
)

if TYPE_CHECKING:
    from sim.model.world import Decisions

log = logging.getLogger(__name__)

Design = Literal["grid", "lhs", "sobol"]
DESIGNS: tuple[str, ...] = ("grid", "lhs", "sobol")
MAX_POINTS = 100_000
"""Largest design accepted (a grid grows as ``points ** d``)."""

DEFAULT_OUTCOMES = catalog.SWEEP_DEFAULTS
"""Outcomes (mission ALL, category all) analysed for Sobol indices when none are named."""

SWEEP_TABLES = ("outcomes", "targets")
"""Tables kept per task in a sweep (the monthly tables of every point would be large)."""


@dataclass(frozen=True)
class Parameter:
    """One swept field: its key path, range and whether values are whole numbers."""

    path: str
    low: float
    high: float
    integer: bool


def parse_param(text: str) -> tuple[str, float, float]:
    """``key.path=low:high`` → ``(path, low, high)``.

    Raises:
        ParameterError: the text is not in that form or the bounds are not numbers.
    """
    path, sep, bounds = text.partition("=")
    low_text, sep2, high_text = bounds.partition(":")
    if not sep or not sep2 or not path.strip():
        raise ParameterError(f"--param: got {text!r}, expected KEY.PATH=LOW:HIGH, e.g. "
                             "pipeline.assessment.teams=2:8")
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise ParameterError(f"--param {path.strip()}: got bounds {bounds!r}, expected two "
                             "numbers LOW:HIGH") from None
    return path.strip(), low, high


def sweep_base(loaded: LoadedScenario, variant: str = BASE) -> dict[str, Any]:
    """The raw data sweep points start from: the base, or the base with a variant applied."""
    loaded.resolve(variant)  # an unknown variant is a VariantError naming the allowed ones
    data = {k: v for k, v in loaded.raw.items() if k != "variants"}
    if variant != BASE:
        raw = loaded.raw["variants"]
        chain = variant_chain(variant, {k: Variant.model_validate(v or {}) for k, v in raw.items()})
        for step in chain:  # the variants it extends first, as load_scenario builds it
            spec = raw[step] or {}
            data = apply_overrides(data, spec.get("set") or {}, f"variants.{step}.set")
            for section in ("policies", "events"):
                extra = spec.get(section) or []
                if extra:
                    data[section] = [*(data.get(section) or []), *copy.deepcopy(extra)]
    return data


def check_parameters(scenario: Scenario, ranges: Mapping[str, tuple[float, float]]
                     ) -> list[Parameter]:
    """Check each swept path is a numeric field of ``scenario`` and each range is non-empty.

    Paths are looked up in the validated scenario, so fields the file leaves at their default
    can be swept too, and a field's type (whole number or not) comes from the schema.

    Raises:
        ParameterError: naming the path, and for an unknown key the nearest valid one.
    """
    params = []
    full = scenario.model_dump()
    for path, (low, high) in ranges.items():
        value = get_path(full, path, where="--param")
        if isinstance(value, bool) or not isinstance(value, int | float):
            shown = type(value).__name__ if isinstance(value, dict | list) else repr(value)
            raise ParameterError(f"--param {path}: got {shown}, a sweep needs a numeric field "
                                 "(a count, share, rate or number of days)")
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ParameterError(f"--param {path}: got {low:g}:{high:g}; LOW and HIGH must be "
                                 "finite numbers")
        if not low < high:
            raise ParameterError(f"--param {path}: empty range {low:g}:{high:g}; LOW must be "
                                 "less than HIGH")
        params.append(Parameter(path, float(low), float(high), isinstance(value, int)))
    if not params:
        raise ParameterError("--param: name at least one parameter to sweep (KEY.PATH=LOW:HIGH)")
    return params


def design_points(params: Sequence[Parameter], design: str, points: int, seed: int
                  ) -> np.ndarray:
    """The design's points, one row per point and one column per parameter (rounded if whole).

    Raises:
        ParameterError: an unknown design, a bad count, or more than :data:`MAX_POINTS`.
    """
    d = len(params)
    _positive("--points", points)
    lows = np.array([p.low for p in params])
    highs = np.array([p.high for p in params])
    if design == "grid":
        if points ** d > MAX_POINTS:
            raise ParameterError(f"--points: a grid of {points} values for {d} parameters has "
                                 f"{points ** d} points (most: {MAX_POINTS}); use lhs or sobol")
        axes = [np.linspace(p.low, p.high, points) for p in params]
        values = np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, d)
    elif design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d, rng=np.random.default_rng(seed)).random(points)
        values = qmc.scale(unit, lows, highs)
    elif design == "sobol":
        from SALib.sample import sobol as sobol_sample

        if points * (d + 2) > MAX_POINTS:
            raise ParameterError(f"--points: {points} × (d + 2) = {points * (d + 2)} points "
                                 f"(most: {MAX_POINTS})")
        if points & (points - 1):
            log.warning("sobol: %d base samples is not a power of two; the sequence is less "
                        "balanced", points)
        values = sobol_sample.sample(_problem(params), points, calc_second_order=False,
                                     seed=seed)
    else:
        raise ParameterError(f"--design: got {design!r}, allowed: {', '.join(DESIGNS)}")
    for j, p in enumerate(params):
        if p.integer:
            values[:, j] = np.rint(values[:, j])
    return np.asarray(values, dtype=float)


def _problem(params: Sequence[Parameter]) -> dict[str, Any]:
    return {"num_vars": len(params), "names": [p.path for p in params],
            "bounds": [[p.low, p.high] for p in params]}


def point_scenarios(data: dict[str, Any], file: str, params: Sequence[Parameter],
                    values: np.ndarray) -> dict[int, Scenario]:
    """Validate the scenario of every point (``data`` with the point's values applied).

    Raises:
        ScenarioError: listing every invalid point's problems by key path.
    """
    scenarios: dict[int, Scenario] = {}
    problems: list[str] = []
    for i, row in enumerate(values):
        overrides = {p.path: int(v) if p.integer else float(v)
                     for p, v in zip(params, row, strict=True)}
        try:
            scenarios[i] = validate(apply_overrides(data, overrides, "--param"), file, Scenario,
                                    prefix=f"sweep point {i}")
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(file, problems[:20] + ([f"… and {len(problems) - 20} more"]
                                                   if len(problems) > 20 else []))
    return scenarios


def _analyse(params: Sequence[Parameter], values: np.ndarray, design: str,
             outcome_refs: Sequence[tuple[str, str, str]], seed: int
             ) -> Callable[[RunFolder, Job, int], dict[str, Any]]:
    """Write ``sweep/points``, ``sweep/results`` and (Sobol) ``sweep/sobol`` into the folder."""

    def write(folder: RunFolder, job: Job, replications: int) -> dict[str, Any]:
        points = pd.DataFrame(values, columns=[p.path for p in params])
        for p in params:
            if p.integer:
                points[p.path] = points[p.path].astype("int64")
        points.insert(0, "point", np.arange(len(points), dtype="int64"))
        folder.write_csv(points, "sweep/points.csv")
        outcomes = pd.read_parquet(folder.table("outcomes"))
        results = stats.summarize(outcomes, ["point", "mission", "category", "outcome"])
        results = results.merge(points, on="point", how="left", sort=False)
        folder.write_frame(results, "sweep/results")
        extra: dict[str, Any] = {"design": design, "points": len(points),
                                 "parameters": [p.__dict__ for p in params]}
        if design == "sobol":
            folder.write_csv(_sobol(params, results, outcome_refs, seed), "sweep/sobol.csv")
        return extra

    return write


def _sobol(params: Sequence[Parameter], results: pd.DataFrame,
           outcome_refs: Sequence[tuple[str, str, str]], seed: int) -> pd.DataFrame:
    """First-order and total Sobol indices (bootstrap 95% CIs) of each chosen outcome's mean."""
    from SALib.analyze import sobol as sobol_analyze

    rows: list[dict[str, Any]] = []
    for name, mission, category in outcome_refs:
        sel = results[(results["outcome"] == name) & (results["mission"] == mission)
                      & (results["category"] == category)].sort_values("point")
        y = sel["mean"].to_numpy(dtype=float)
        base = {"outcome": name, "mission": mission, "category": category}
        if len(y) == 0 or not np.isfinite(y).all():
            log.warning("sobol: %s at %s/%s is undefined at some points; indices left empty",
                        name, mission, category)
            rows.extend({**base, "parameter": p.path} for p in params)
            continue
        si = sobol_analyze.analyze(_problem(params), y, calc_second_order=False,
                                   conf_level=0.95, seed=seed)
        for j, p in enumerate(params):
            rows.append({**base, "parameter": p.path,
                         "S1": si["S1"][j], "S1_ci_low": si["S1"][j] - si["S1_conf"][j],
                         "S1_ci_high": si["S1"][j] + si["S1_conf"][j],
                         "ST": si["ST"][j], "ST_ci_low": si["ST"][j] - si["ST_conf"][j],
                         "ST_ci_high": si["ST"][j] + si["ST_conf"][j]})
    columns = ["outcome", "mission", "category", "parameter", "S1", "S1_ci_low", "S1_ci_high",
               "ST", "ST_ci_low", "ST_ci_high"]
    return pd.DataFrame(rows, columns=columns)


def sweep(source: str | Path | LoadedScenario,
          params: Mapping[str, tuple[float, float]] | Sequence[str],
          design: str = "lhs", points: int = 16, replications: int | None = None,
          seed: int | None = None, variant: str = BASE,
          outcomes: Sequence[str] = DEFAULT_OUTCOMES, workers: int | None = None,
          executor: str | None = None, out: str | Path | None = None, resume: bool = False,
          progress: Progress | bool | None = None, decisions: Decisions | None = None
          ) -> RunResult:
    """Run a design of parameter points and write per-point results (and Sobol indices).

    Args:
        source: a scenario file or a loaded scenario.
        params: ``{key.path: (low, high)}``, or ``["key.path=low:high", …]``.
        design: ``grid``, ``lhs`` or ``sobol`` (see the module docstring).
        points: values per parameter (grid), points (lhs) or base samples (sobol).
        replications: replications per point (default: the scenario's).
        seed: root seed (default: the scenario's); also seeds the design and the bootstrap.
        variant: the scenario the points start from.
        outcomes: ``NAME[:MISSION[:CATEGORY]]`` outcomes analysed for Sobol indices.
        workers: tasks at once.
        executor: see :func:`sim.experiments.engine.run`.
        out: run folder (default ``runs/<scenario>-sweep-<timestamp>``).
        resume: finish an interrupted sweep (same settings).
        progress: called as ``progress(finished, total)``, or ``True`` for a bar.
        decisions: replacement decision functions for every point (see
            :func:`sim.experiments.api.run`: module-level functions with processes).

    Raises:
        ParameterError: an unknown or non-numeric path (with the nearest valid key), an empty
            range, a bad design or count; ScenarioError: a point outside a field's range.
    """
    loaded = load(source)
    data = sweep_base(loaded, variant)
    if isinstance(params, Mapping):
        ranges = {k: (float(v[0]), float(v[1])) for k, v in params.items()}
    else:
        ranges = {path: (low, high) for path, low, high in map(parse_param, params)}
    base = loaded.resolve(variant)
    checked = check_parameters(base, ranges)
    n = _positive("replications", base.run.replications if replications is None
                  else replications)
    root = _seed(seed, base.run.seed)
    refs = [parse_outcome(o) for o in outcomes]
    for name, mission, category in refs:
        _check_stopping(Stopping(1.0, name, mission, category), base)
    values = design_points(checked, design, points, root)
    scenarios = point_scenarios(data, loaded.path, checked, values)
    job = Job(kind="sweep", loaded=loaded, scenarios=dict(scenarios), seed=root, label="sweep",
              key_column="point", tables=SWEEP_TABLES, resolved={variant: base},
              settings={"kind": "sweep", "scenario": scenario_digest(loaded),
                        "variant": variant, "replications": n, "seed": root,
                        "params": {p.path: [p.low, p.high] for p in checked},
                        "design": design, "points": points,
                        "outcomes": [":".join(r) for r in refs],
                        **decision_settings(decisions, executor),
                        **outcome_settings(executor)},
              decisions=decisions)
    with progress_bar(progress, f"{loaded.base.name}/sweep") as callback:
        return execute(job, Execution(executor, workers, out, resume, callback), n,
                       summarize=_analyse(checked, values, design, refs, root))


__all__ = ["DESIGNS", "Parameter", "check_parameters", "design_points", "parse_param",
           "point_scenarios", "sweep"]
