"""The experiment API that the CLI and notebooks share: :func:`run` and :func:`compare`.

They build a :class:`~sim.experiments.engine.Job` and hand it to the engine with the finalisers
that draw figures, so the engine itself never imports presentation (see
:mod:`sim.experiments.engine` for the steps of a run and the run folder's life cycle).

Each starts the local workers first (:func:`~sim.experiments.executors.start_workers`) and only
then imports the engine (Arrow, the schema: ~0.2 s) and validates the scenario, so that the
workers start up meanwhile; this module therefore imports the engine inside the functions. The
summaries (and pandas) are imported later still, once the first tasks are out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.experiments.executors import start_workers

if TYPE_CHECKING:
    from sim.experiments.engine import Job, Progress, Stopping
    from sim.model.world import Decisions
    from sim.runs.folder import RunFolder, RunResult, TableTee
    from sim.scenario.schema import LoadedScenario


def draw_standard_figures(partial: Path) -> None:
    """Draw the standard figures into a run folder before it is renamed (a finaliser)."""
    from sim.outputs import plots  # matplotlib is imported only when figures are drawn

    plots.make_all(partial)


def standard_figures(plots: bool) -> tuple[Callable[[Path], None], ...]:
    """The finalisers of a run or comparison: the standard figures, or none."""
    return (draw_standard_figures,) if plots else ()


def run(source: str | Path | LoadedScenario, variant: str = "base",
        replications: int | None = None, seed: int | None = None, workers: int | None = None,
        executor: str | None = None, out: str | Path | None = None, resume: bool = False,
        progress: Progress | bool | None = None, plots: bool = True,
        replace: bool = False, decisions: Decisions | None = None,
        officer_log: bool = False) -> RunResult:
    """Run replications of one variant and write a run folder.

    Args:
        source: a scenario file or a :class:`~sim.scenario.schema.LoadedScenario`.
        variant: ``"base"`` or a variant's name.
        replications: how many (default: the scenario's ``run.replications``).
        seed: root seed (default: the scenario's ``run.seed``).
        workers: tasks at once (default: CPUs).
        executor: ``None``/``"processes"``, ``"serial"``, ``"dask-local"`` or ``"dask://ADDR"``.
        out: run folder (default ``runs/<scenario>-<variant>-<timestamp>``).
        resume: finish an interrupted run in ``<out>.partial`` (same settings).
        progress: called as ``progress(finished, total)`` after each task; ``True``
            shows a progress bar (tqdm.auto if installed, else Rich; both work in notebooks).
        plots: draw the standard figures into ``plots/`` before the folder is renamed.
        replace: replace a finished run already at ``out`` once the new one is whole.
        decisions: replacement decision functions (:class:`sim.Decisions`), used in every
            task. With worker processes (the default executor) each must be a module-level
            function of an importable module: lambdas, local functions and functions defined
            in a notebook cannot reach the workers (use ``executor="serial"``, or Dask, which
            pickles them by value).
        officer_log: also write the table ``officers`` (one row per state change of each
            individual officer, with variant and replication; ``docs/outputs.md``). Large:
            several rows per officer who passes through the pipeline.

    Returns:
        The finished run (tables and summaries are read from the folder on demand).

    Raises:
        VariantError, ParameterError, ResultsError, ExecutorError: before anything is written.
    """
    with start_workers(executor, workers, replications):
        return _run(source, variant, replications, seed, workers, executor, out, resume,
                    progress, plots, replace, decisions, officer_log)


def _run(source: str | Path | LoadedScenario, variant: str, replications: int | None,
         seed: int | None, workers: int | None, executor: str | None, out: str | Path | None,
         resume: bool, progress: Progress | bool | None, plots: bool, replace: bool,
         decisions: Decisions | None, officer_log: bool) -> RunResult:
    """:func:`run` once its workers are starting: import the engine, validate, execute."""
    from sim.experiments import engine
    from sim.experiments.progress import progress_bar

    loaded = engine.load(source)
    scenario = loaded.resolve(variant)
    n = engine._positive("replications", scenario.run.replications if replications is None
                         else replications)
    root = engine._seed(seed, scenario.run.seed)
    job = engine.Job(kind="run", loaded=loaded, scenarios={variant: scenario}, seed=root,
                     label=variant, tables=engine.tables_for({variant: scenario}, officer_log),
                     settings={"kind": "run", "scenario": engine.scenario_digest(loaded),
                               "variants": [variant], "replications": n, "seed": root,
                               **engine.decision_settings(decisions, executor),
                               **engine.outcome_settings(executor),
                               **({"officer_log": True} if officer_log else {})},
                     decisions=decisions)
    with progress_bar(progress, f"{loaded.base.name}/{variant}") as callback:
        execution = engine.Execution(executor, workers, out, resume, callback, replace,
                                     standard_figures(plots))
        return engine.execute(job, execution, n, summarize=_run_summaries, tees=_assembly_tees)


def compare(source: str | Path | LoadedScenario, variants: Sequence[str] | None = None,
            replications: int | None = None, seed: int | None = None,
            workers: int | None = None, executor: str | None = None,
            out: str | Path | None = None, resume: bool = False,
            progress: Progress | bool | None = None, at: Sequence[date | str] = (),
            stopping: Stopping | None = None, plots: bool = True,
            replace: bool = False, decisions: Decisions | None = None) -> RunResult:
    """Run variants with common random numbers and compare them with the base.

    The base is always run (first), so every variant has paired differences. Writes
    ``summary/comparison`` (headline outcomes at the horizon and at each ``at`` date, with
    differences from the base) and ``summary/targets`` besides the run summaries.

    Args:
        source: a scenario file or a loaded scenario.
        variants: variant names (default: all of the file's variants).
        replications: replications per variant; with ``stopping``, the batch size.
        seed: root seed (default: the scenario's ``run.seed``).
        workers: tasks at once.
        executor: see :func:`run`.
        out: run folder (default ``runs/<scenario>-compare-<timestamp>``).
        resume: finish an interrupted comparison (same settings).
        progress: called as ``progress(finished, total)``, or ``True`` for a bar.
        plots: draw the standard figures into ``plots/`` before the folder is renamed.
        replace: replace a finished run already at ``out`` once the new one is whole.
        at: dates (ISO text or dates) at which to compare besides the horizon.
        stopping: add batches until the chosen outcome's CI is narrow enough.
        decisions: replacement decision functions for every variant (see :func:`run`).

    Raises:
        VariantError: an unknown variant; ParameterError: a bad date, outcome or count.
    """
    tasks = None if replications is None or variants is None else replications * (
        1 + len(set(variants) - {"base"}))
    with start_workers(executor, workers, tasks):
        return _compare(source, variants, replications, seed, workers, executor, out, resume,
                        progress, at, stopping, plots, replace, decisions)


def _compare(source: str | Path | LoadedScenario, variants: Sequence[str] | None,
             replications: int | None, seed: int | None, workers: int | None,
             executor: str | None, out: str | Path | None, resume: bool,
             progress: Progress | bool | None, at: Sequence[date | str],
             stopping: Stopping | None, plots: bool, replace: bool,
             decisions: Decisions | None) -> RunResult:
    """:func:`compare` once its workers are starting: import the engine, validate, execute."""
    from sim.experiments import engine
    from sim.experiments.progress import progress_bar
    from sim.scenario.schema import BASE

    loaded = engine.load(source)
    names = list(loaded.names) if variants is None else [BASE, *(v for v in variants
                                                                  if v != BASE)]
    names = list(dict.fromkeys(names))
    scenarios = {name: loaded.resolve(name) for name in names}
    base = loaded.base
    n = engine._positive("replications", base.run.replications if replications is None
                         else replications)
    root = engine._seed(seed, base.run.seed)
    dates = [engine._parse_date(d, base) for d in at]
    if stopping is not None:
        engine._check_stopping(stopping, base)
    job = engine.Job(kind="compare", loaded=loaded, scenarios=scenarios, seed=root,
                     label="compare", tables=engine.tables_for(scenarios),
                     settings={"kind": "compare", "scenario": engine.scenario_digest(loaded),
                               "variants": names, "replications": n, "seed": root,
                               "at": [d.isoformat() for d in dates],
                               "stopping": None if stopping is None else asdict(stopping),
                               **engine.decision_settings(decisions, executor),
                               **engine.outcome_settings(executor)},
                     decisions=decisions)
    with progress_bar(progress, f"{loaded.base.name}/compare") as callback:
        execution = engine.Execution(executor, workers, out, resume, callback, replace,
                                     standard_figures(plots))
        return engine.execute(job, execution, n, stopping, summarize=_compare_summaries(dates),
                              tees=_assembly_tees)


# The summaries (and pandas, ~0.15 s) are imported when first used: after the first tasks are
# handed to the workers (the table tees), not before, where they would delay every worker's
# first task.


def _assembly_tees(folder: RunFolder, keys: Sequence[Any], replications: int
                   ) -> Mapping[str, TableTee]:
    """:func:`sim.outputs.summaries.assembly_tees`."""
    from sim.outputs.summaries import assembly_tees

    return assembly_tees(folder, keys, replications)


def _run_summaries(folder: RunFolder, job: Job, replications: int) -> dict[str, Any]:
    """:func:`sim.outputs.summaries.write_run_summaries`."""
    from sim.outputs.summaries import write_run_summaries

    return write_run_summaries(folder, job, replications)


def _compare_summaries(at: Sequence[date]) -> Callable[[RunFolder, Job, int], dict[str, Any]]:
    """:func:`sim.outputs.summaries.compare_summaries` of the dates ``at``."""

    def summarize(folder: RunFolder, job: Job, replications: int) -> dict[str, Any]:
        from sim.outputs.summaries import compare_summaries

        return compare_summaries(at)(folder, job, replications)

    return summarize


__all__ = ["compare", "draw_standard_figures", "run", "standard_figures"]
