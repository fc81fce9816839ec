"""Experiments: replications of variants, run on an executor, written to a run folder.

:func:`run` simulates one variant, :func:`compare` several with common random numbers (the
base always included, so that every variant has paired differences), and
:func:`sim.sweep.sweep` a design of parameter points. All three share one engine:

1. resolve the scenarios and settings, and check the run folder (nothing is written on bad
   input: :class:`~sim.errors.VariantError`, :class:`~sim.errors.ParameterError`,
   :class:`~sim.errors.ResultsError`);
2. open the executor (:mod:`sim.experiments.executors`; an unreachable cluster is an
   :class:`~sim.errors.ExecutorError`, still before anything is written);
3. run the missing (key, replication) tasks, storing each as it finishes
   (:class:`~sim.runs.folder.RunFolder`), so a killed run resumes where it stopped; with a
   fixed replication count the tables are assembled in their fixed order while tasks arrive
   (:class:`~sim.runs.folder.Assembly`: the parent's work per task overlaps the simulation);
4. assemble the rest of the tables, write the summaries (while the workers exit), then the
   manifest, and rename the folder to its final name.

Replication ``r`` of every variant uses :func:`sim.model.streams.replication_seed` ``(seed, r)``,
so the results do not depend on the executor, on the number of workers or on the order tasks finish.

Summaries (``summary/``): ``bands`` (mean and percentiles of monthly metrics over
replications), ``outcomes`` (mean and 95% CI of each scalar outcome), ``targets`` (probability
of meeting each women's-share target on its date), and for comparisons ``comparison`` (headline
outcomes with paired differences from the base); they are computed in :mod:`sim.outputs.summaries`.
"""

from __future__ import annotations

import logging
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from sim import lazy
from sim.errors import ParameterError, StorageError, os_error_message
from sim.experiments.executors import Executor, TaskSpec, open_executor, run_task
from sim.memory import bound_memory
from sim.outputs import catalog
from sim.runs.folder import TABLES, Assembly, RunFolder, RunResult, TableTee
from sim.runs.provenance import code_digest
from sim.scenario.schema import BASE, LoadedScenario, Scenario, load_scenario, unknown_message
from sim.scenario.types import MAX_SEED

if TYPE_CHECKING:
    import numpy as np

    from sim.model.world import Decisions
else:  # imported when first used: not before a run's first tasks are out
    np = lazy.module("numpy", globals(), "np")

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called as ``progress(finished, total)`` after each task (``total`` grows in sequential runs)."""
Tees = Callable[[RunFolder, Sequence[Any], int], Mapping[str, TableTee]]
"""Makes the table tees of a job's summaries: given the folder, the keys and the replications."""

OUTCOMES = tuple(catalog.OUTCOMES)
"""Scalar outcomes of a replication (the ``outcomes`` table, ``docs/outputs.md``)."""


# --- Settings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Execution:
    """How to run tasks and where to write (none of it changes the results).

    Attributes:
        executor: ``None`` (local processes), ``"serial"``, ``"dask-local"`` or ``"dask://…"``.
        workers: tasks at once (default: the number of CPUs).
        out: the run folder (default ``runs/<scenario>-<label>-<timestamp>``).
        resume: continue an unfinished run in ``<out>.partial``.
        progress: called as ``progress(finished, total)``.
        replace: replace a finished run already at ``out`` once the new one is whole.
        finalisers: called with the partial folder after the summaries and before the rename
            (e.g. the standard figures of :mod:`sim.outputs.plots`); the engine itself never
            imports presentation. A finaliser that fails is logged and the run still finishes.
    """

    executor: str | None = None
    workers: int | None = None
    out: str | Path | None = None
    resume: bool = False
    progress: Progress | None = None
    replace: bool = False
    finalisers: tuple[Callable[[Path], None], ...] = ()


@dataclass(frozen=True)
class Stopping:
    """Sequential stopping: add batches of replications until a CI is narrow enough.

    Attributes:
        halfwidth: stop when the CI half-width of the outcome is at most this.
        outcome: a scalar outcome name (:data:`OUTCOMES`).
        mission: the mission (or ``ALL``) of the outcome.
        category: the category of the outcome.
        max_replications: stop here whatever the half-width.
        on: ``"mean"``: the CI of each variant's mean; ``"difference"``: the CI of each
            variant's paired difference from the base (narrower with common random numbers).
    """

    halfwidth: float
    outcome: str = "mean_deployed"
    mission: str = "ALL"
    category: str = "all"
    max_replications: int = 1000
    on: Literal["mean", "difference"] = "mean"


@dataclass(frozen=True)
class Job:
    """What to simulate: the scenarios by key, the seed, the tables kept, and the settings.

    ``resolved`` names the scenarios saved in ``resolved/`` when they are not the keyed ones
    (a sweep saves the scenario its points start from, not every point).
    """

    kind: Literal["run", "compare", "sweep"]
    loaded: LoadedScenario
    scenarios: dict[Any, Scenario]
    seed: int
    label: str
    key_column: str = "variant"
    tables: tuple[str, ...] = TABLES
    settings: dict[str, Any] = field(default_factory=dict)
    resolved: dict[str, Scenario] | None = None
    decisions: Decisions | None = None
    outcome_functions: tuple[tuple[str, catalog.OutcomeFunction], ...] = field(
        default_factory=catalog.computations)
    """Custom outcomes computed in the workers (default: those registered in the catalog)."""

    @property
    def keys(self) -> list[Any]:
        """Keys in output order."""
        return list(self.scenarios)


def tables_for(scenarios: dict[Any, Scenario], officer_log: bool = False) -> tuple[str, ...]:
    """The tables a run keeps (:data:`TABLES`, ``parameters``, ``officers`` when asked for).

    ``parameters`` is kept when parameters are sampled, ``officers`` with ``officer_log``.
    """
    uncertain = any(s.uncertainties for s in scenarios.values())
    tables = (*TABLES, "parameters") if uncertain else TABLES
    return (*tables, "officers") if officer_log else tables


def load(source: str | Path | LoadedScenario) -> LoadedScenario:
    """A loaded scenario from a path (validated) or as given."""
    return source if isinstance(source, LoadedScenario) else load_scenario(source)


def scenario_text(loaded: LoadedScenario) -> str:
    """The scenario file as loaded (or the data as YAML when it did not come from a file)."""
    path = Path(loaded.path)
    if loaded.path != "<dict>" and path.is_file():
        return path.read_text(encoding="utf-8")
    return yaml.safe_dump(loaded.raw, sort_keys=False, allow_unicode=True)


def _events_applied(job: Job) -> dict[str, Any]:
    """``{"events": {key: [event, …]}}`` when any scenario of the job has events, else ``{}``."""
    if not any(s.events for s in job.scenarios.values()):
        return {}
    return {"events": {str(k): [e.model_dump(mode="json") for e in s.events]
                       for k, s in job.scenarios.items()}}


def scenario_digest(loaded: LoadedScenario) -> str:
    """A hash of the scenario's data, to refuse resuming a run with a changed scenario."""
    import hashlib
    import json

    text = json.dumps(loaded.raw, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _sendable(functions: dict[str, Callable[..., Any]], what: str,
              executor: str | None) -> dict[str, str]:
    """Each function's ``module.qualname``, after checking it can travel to worker processes.

    Worker processes receive functions by pickling, by reference to their module: lambdas and
    functions defined inside other functions cannot travel, so they are refused here (run them
    with ``executor="serial"``; Dask pickles them by value).

    Raises:
        ParameterError: a function cannot be sent to worker processes.
    """
    import pickle

    named = {k: f"{getattr(v, '__module__', '?')}.{getattr(v, '__qualname__', repr(v))}"
             for k, v in functions.items()}
    if executor in (None, "processes"):
        for name, fn in functions.items():
            try:
                pickle.dumps(fn)
            except (pickle.PicklingError, AttributeError, TypeError) as exc:
                raise ParameterError(
                    f"{what}{name}: got {named[name]}, which cannot be sent to worker "
                    f"processes ({exc}); define it at module level in an importable module, "
                    "or run with executor='serial'") from None
    return named


def decision_settings(decisions: Decisions | None, executor: str | None) -> dict[str, Any]:
    """The replaced decision rules by name (``{}`` for the stock rules), for the settings.

    The names go into ``settings.json`` (a resume with other rules is refused) and the
    manifest.

    Raises:
        ParameterError: a replaced rule cannot be sent to worker processes.
    """
    if decisions is None:
        return {}
    from sim.model.world import Decisions as Stock
    from sim.model.world import decision_names

    stock = Stock()
    replaced = {name: getattr(decisions, name) for name in decision_names()
                if getattr(decisions, name) is not getattr(stock, name)}
    named = _sendable(replaced, "decisions.", executor)
    return {"decisions": named} if named else {}


def outcome_settings(executor: str | None) -> dict[str, Any]:
    """The registered custom outcomes by name (``{}`` when none), for the settings.

    Raises:
        ParameterError: a compute function cannot be sent to worker processes.
    """
    functions = dict(catalog.computations())
    if not functions:
        return {}
    return {"custom_outcomes": _sendable(functions, "custom outcome ", executor)}


MAX_REPLICATIONS = 100_000
"""Most replications (or sweep points) per key: the scenario schema's limit, for the API too."""


def _whole(value: object) -> bool:
    """Whether ``value`` is an int or a NumPy integer, not a bool.

    NumPy is looked at only if imported (a value cannot be one of its integers otherwise), so
    checking a run's arguments does not import it before the first tasks are out.
    """
    if isinstance(value, bool):
        return False
    numpy = sys.modules.get("numpy")
    return isinstance(value, int) or (numpy is not None and isinstance(value, numpy.integer))


def _positive(name: str, value: int, most: int = MAX_REPLICATIONS) -> int:
    """``value`` as an int in ``[1, most]``, or a :class:`ParameterError` naming ``name``."""
    if not _whole(value) or value < 1:
        raise ParameterError(f"{name}: got {_short(value)}, must be a whole number ≥ 1")
    if value > most:
        raise ParameterError(f"{name}: got {_short(value)}, must be at most {most:,}")
    return int(value)


def _seed(value: int | None, default: int) -> int:
    """The root seed: ``default`` (the scenario's) or ``value`` in ``[0, MAX_SEED]``."""
    if value is None:
        return default
    if not _whole(value) or not 0 <= value <= MAX_SEED:
        raise ParameterError(f"seed: got {_short(value)}, must be a whole number in "
                             f"[0, {MAX_SEED}]")
    return int(value)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"a {len(text)}-character value ({text[:12]}…)"


NAME_LIMIT = 60
"""Most characters of a scenario or variant name kept in a default run-folder name."""


def safe_name(text: str, limit: int = NAME_LIMIT) -> str:
    """``text`` as one safe file-name part: letters, digits, ``-``, ``_`` and ``.`` only.

    Path separators, ``..``, NUL and control characters, spaces and anything else become ``_``;
    leading dots are dropped (no hidden or parent names); the result is cut to ``limit``
    characters and is never empty (``scenario``).
    """
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text)
    cleaned = re.sub(r"\.{2,}", "_", cleaned).lstrip("._")[:limit].rstrip("._")
    return cleaned or "scenario"


def default_out(loaded: LoadedScenario, label: str) -> Path:
    """``runs/<scenario name>-<label>-<local timestamp>`` (relative to the working folder).

    The names are made safe (:func:`safe_name`), so a scenario named ``../../x`` or ``/etc``
    still gets a folder directly under ``runs/``.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{safe_name(loaded.base.name)}-{safe_name(str(label))}-{stamp}"


def run_settings(job: Job) -> dict[str, Any]:
    """What a resume must match: the job's settings, the ppsim version and the code digest."""
    return {**job.settings, "ppsim_version": _ppsim_version(), "code": code_digest()}


# --- The engine ----------------------------------------------------------------------------------


class Session:
    """One execution of a job: the run folder, the executor and the task counters."""

    def __init__(self, job: Job, execution: Execution, folder: RunFolder, pool: Executor,
                 tees: Tees | None = None) -> None:
        self.job = job
        self.execution = execution
        self.folder = folder
        self.pool = pool
        self.finished = 0
        self.ran = 0
        self.assembly: Assembly | None = None
        """Set when the replication count is fixed: tables assembled as tasks arrive."""
        self.tees = tees
        """Makes the summaries' table tees for the assembly (see :func:`execute`)."""
        self.importing = False
        """Whether the summaries' imports were started (:func:`_import_for_summaries`)."""
        self.provenance = Provenance()
        """The manifest's git state and versions, gathered while the workers simulate."""

    def tees_for(self, replications: int) -> Mapping[str, TableTee] | None:
        """The summaries' table tees for assembling ``replications`` per key, if any."""
        return None if self.tees is None else self.tees(self.folder, self.job.keys,
                                                         replications)

    def run_replications(self, replications: int, assemble: bool = False) -> None:
        """Run every missing task of replications ``0 … replications − 1``, saving each.

        Tasks are submitted key by key, replication by replication (the tables' order). With
        ``assemble``, the parent appends each task to the tables as it arrives instead of all
        of them after the last one (:attr:`assembly`); it sets that up once the first tasks
        are submitted, while the workers run them: the summaries' tees import the summaries
        and pandas (~0.15 s), which would otherwise delay every worker's first task.
        """
        job = self.job
        done = self.folder.done(job.keys)
        wanted = [(key, rep) for key in job.keys for rep in range(replications)]
        local = self.pool.local_files  # workers that can write the run folder
        todo = [TaskSpec(key, rep, job.seed, job.scenarios[key], job.tables, job.decisions,
                         job.outcome_functions,
                         str(self.folder.task_path(key, rep)) if local else None)
                for key, rep in wanted if (key, rep) not in done]
        total = len(wanted)
        self.finished = total - len(todo)
        self._report(total)
        def begin() -> None:  # every executor calls it once the first tasks are out
            if not self.importing:
                self.importing = True
                threading.Thread(target=_import_for_summaries, name="ppsim-imports",
                                 daemon=True).start()
            if assemble:
                with interrupts_deferred():  # it imports the summaries and pandas
                    self._begin_assembly(replications)
            self.provenance.start()  # after those imports: it would make them last longer

        for output in self.pool.imap_unordered(run_task, todo, submitted=begin):
            self.folder.save_task(output)
            if self.assembly is not None:
                self.assembly.notify()
            self.finished += 1
            self.ran += 1
            self._report(total)

    def _begin_assembly(self, replications: int) -> None:
        """Start appending tasks to the tables as they arrive (see :meth:`run_replications`)."""
        self.assembly = self.folder.assembly(self.job.keys, replications, self.job.tables,
                                             self.tees_for(replications))
        self.assembly.advance()  # the tasks stored by an earlier session
        if self.pool.name != "serial":  # (serial: the tasks run in this thread)
            self.assembly.start()  # appends while this thread receives (Assembly)

    def _report(self, total: int) -> None:
        if self.execution.progress is not None:
            self.execution.progress(self.finished, total)


def execute(job: Job, execution: Execution, replications: int,
            stopping: Stopping | None = None,
            summarize: Callable[[RunFolder, Job, int], dict[str, Any]] | None = None,
            tees: Tees | None = None) -> RunResult:
    """Run ``job`` to a finished run folder (see the module docstring) and open it.

    Args:
        job: what to simulate.
        execution: how and where.
        replications: replications per key (with ``stopping``: the batch size).
        stopping: sequential stopping rule, or ``None`` for a fixed count.
        summarize: writes the job's summaries into the partial folder; returns manifest extras.
            It begins once the tees are whole, while the tables' last batches may still be
            written: it reads a table through ``folder.table(name)``, which waits for it.
        tees: given the folder, the keys and the replications, what ``summarize`` takes from
            the tables while they are assembled (:class:`~sim.runs.folder.TableTee` by table).
    """
    out = Path(execution.out) if execution.out is not None else default_out(job.loaded, job.label)
    folder = RunFolder.prepare(out, run_settings(job), execution.resume, job.key_column,
                               execution.replace)
    try:
        return _execute(job, execution, replications, folder, stopping, summarize, tees)
    except OSError as exc:
        where = f"writing the run folder {folder.partial}"
        raise StorageError(os_error_message(exc, where)) from None
    finally:
        folder.release()


def _execute(job: Job, execution: Execution, replications: int, folder: RunFolder,
             stopping: Stopping | None,
             summarize: Callable[[RunFolder, Job, int], dict[str, Any]] | None,
             tees: Tees | None) -> RunResult:
    """The steps of :func:`execute` once the run folder is prepared."""
    created = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    bound_memory()  # before the executor's threads start: they share the one arena
    pool = open_executor(execution.executor, execution.workers)
    session = Session(job, execution, folder, pool, tees)
    try:
        folder.create(scenario_text(job.loaded),
                      job.resolved if job.resolved is not None else job.scenarios,
                      _ppsim_version())
        extra: dict[str, Any] = {}
        if stopping is None:
            session.run_replications(replications, assemble=True)
            n = replications
        else:
            n, extra["stopping"] = _run_sequential(session, replications, stopping)
        executor_name, workers = pool.name, pool.workers
    except BaseException as exc:
        pool.__exit__(type(exc), exc, exc.__traceback__)  # terminates local workers
        if session.assembly is not None:
            session.assembly.abandon()
        raise
    closing = _Closing(pool)
    try:
        return _finish(job, execution, folder, session, n, extra, summarize,
                       {"created": created, "started": started, "executor": executor_name,
                        "workers": workers, "simulated": time.perf_counter() - started},
                       closing)
    finally:
        closing.wait()


DEFERRED_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""The signals :func:`interrupts_deferred` holds back: Ctrl-C, and the SIGTERM that
``ppsim`` turns into an interrupt (``cli.Terminated``)."""


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """In the main thread: a Ctrl-C or SIGTERM during the block takes effect when it ends.

    Python runs a signal's handler wherever the main thread is when the signal is handled, and
    during an import that can be inside importlib's lock callbacks, where the exception the
    handler raises is lost ("Exception ignored in ... _get_module_lock") and the import lock
    may stay taken: the run then hangs instead of stopping (seen in tests that interrupt or
    terminate a run as it begins, while the parent imports pandas). Here each signal is only
    noted, and handed to its previous handler once the block is done (the first one caught).
    Elsewhere than in the main thread, or for a signal ignored, left at its default or not
    Python's to handle, nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[tuple[int, Any]] = []
    previous: dict[int, Any] = {}
    for number in DEFERRED_SIGNALS:
        handler = signal.getsignal(number)
        if callable(handler):  # not SIG_IGN or SIG_DFL, nor set outside Python
            previous[number] = handler
            signal.signal(number, lambda n, frame: caught.append((n, frame)))
    try:
        yield
    finally:
        for restored, handler in previous.items():
            signal.signal(restored, handler)
    if caught:
        received, frame = caught[0]
        previous[received](received, frame)


def _import_for_summaries() -> None:
    """Import what the summaries need while the workers simulate (the parent mostly waits).

    Run in a thread; the summaries import the same modules anyway (once), so this only moves
    their import cost (~0.2 s of CPU) out of the serial part after the last task. A failure is
    logged at debug level: the summaries import them again, and raise it with its context.
    """
    try:
        import scipy.special  # noqa: F401  # t quantiles (sim.outputs.stats)
    except Exception:
        log.debug("importing the summaries' modules in a thread failed", exc_info=True)


class Provenance:
    """The manifest's ``git`` and ``versions``, gathered in a thread as the first tasks go out.

    :func:`_git` runs git twice (~7 ms) and the versions read eight packages' metadata
    (~17 ms): serial work after the last task, until gathered while the parent mostly waits.
    Gathered as the run starts, they describe the code that ran, even if the source tree
    changes during a long run.
    """

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._value: dict[str, Any] | None = None

    def start(self) -> None:
        """Start gathering (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._gather_quietly, name="ppsim-provenance",
                                            daemon=True)
            self._thread.start()

    def _gather(self) -> None:
        self._value = {"git": _git(), "versions": _versions()}

    def _gather_quietly(self) -> None:
        """The thread: a failure is logged at debug level (get() gathers again, and raises)."""
        try:
            self._gather()
        except Exception:
            log.debug("gathering the run's provenance in a thread failed", exc_info=True)

    def get(self) -> dict[str, Any]:
        """``{"git": …, "versions": …}``: waits for the thread, or gathers them now."""
        if self._thread is not None:
            self._thread.join()
        if self._value is None:  # never started, or the thread failed
            self._gather()
        assert self._value is not None
        return self._value


class _Closing:
    """Closing the executor once the summaries no longer need its workers.

    The summaries hand the bands' parts to the local workers (:meth:`Executor.map_local`);
    after them nothing needs the workers, and joining them overlaps the rest of the run's end
    (a thread). What must be closed in this thread (a Dask client) is closed as it starts
    (:meth:`Executor.closer`).
    """

    def __init__(self, pool: Executor) -> None:
        self.pool = pool
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start closing (idempotent)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self.pool.closer(),
                                        name="ppsim-executor-close", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Close, and wait until the executor is closed."""
        self.start()
        if self._thread is not None:
            self._thread.join()


def _finish(job: Job, execution: Execution, folder: RunFolder, session: Session, n: int,
            extra: dict[str, Any],
            summarize: Callable[[RunFolder, Job, int], dict[str, Any]] | None,
            run: dict[str, Any], closing: _Closing) -> RunResult:
    """Assemble the tables, write the summaries and the manifest, and rename the folder."""
    created, started, simulated = run["created"], run["started"], run["simulated"]
    executor_name, workers = run["executor"], run["workers"]
    assembly = session.assembly
    if assembly is None:
        assembly = folder.assembly(job.keys, n, job.tables, session.tees_for(n))
    timings = assembly.complete()  # the tees are whole; the files' last batches still going
    try:
        if summarize is not None:
            from sim.outputs.summaries import parts_computed_by

            with parts_computed_by(closing.pool.map_local):
                extra.update(summarize(folder, job, n))  # reads tables via folder.table()
    except BaseException:
        assembly.abandon()
        raise
    rows = assembly.wait_closed()
    closing.start()
    provenance = session.provenance.get()
    manifest = {
        "kind": job.kind,
        "ppsim_version": _ppsim_version(),
        "git": provenance["git"],
        "scenario": {"name": job.loaded.base.name, "path": job.loaded.path,
                     "digest": scenario_digest(job.loaded)},
        job.key_column + "s": [str(k) for k in job.keys],
        "replications": n,
        "seed": job.seed,
        "executor": executor_name,
        "workers": workers,
        "created": created,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "resumed": folder.resumed,
        "tasks_run_this_session": session.ran,
        "damaged_tasks_rerun": len(folder.damaged),
        "timings": {"total_seconds": round(time.perf_counter() - started, 3),
                    "simulation_seconds": round(simulated, 3),
                    "task_seconds_sum": round(timings.total("seconds"), 3),
                    "assembly_thread_cpu_seconds": round(
                        session.assembly.thread_cpu_seconds if session.assembly else 0.0, 3),
                    "tasks": list(timings)},
        "tables": rows,
        "settings": folder.settings,
        **_events_applied(job),
        "versions": provenance["versions"],
        **extra,
    }
    path = folder.finish(manifest, before_rename=_finaliser(execution.finalisers))
    log.info("run folder written: %s", path)
    return RunResult.open(path)


def _finaliser(finalisers: Sequence[Callable[[Path], None]]) -> Callable[[Path], None] | None:
    """One callback running every finaliser in order; a failing one is logged, not fatal.

    Tables and summaries are already whole when finalisers run, so a figure that cannot be
    drawn must never lose a finished run.
    """
    if not finalisers:
        return None

    def run_all(partial: Path) -> None:
        for finalise in finalisers:
            try:
                finalise(partial)
            except Exception as exc:
                log.warning("finaliser %s failed (the run's tables are kept): %s",
                            getattr(finalise, "__name__", finalise), exc)

    return run_all


def _run_sequential(session: Session, batch: int, stopping: Stopping
                    ) -> tuple[int, dict[str, Any]]:
    """Add batches of ``batch`` replications until the stopping rule holds; (n, record)."""
    values: dict[tuple[Any, int], float] = {}
    history: list[dict[str, Any]] = []
    n = min(batch, stopping.max_replications)
    while True:
        session.run_replications(n)
        width = _criterion(session, n, stopping, values)
        history.append({"replications": n, "halfwidth": width})
        log.info("sequential stopping: %d replications, half-width %.4g (target %.4g)",
                 n, width, stopping.halfwidth)
        met = bool(np.isfinite(width) and width <= stopping.halfwidth)
        if met or n >= stopping.max_replications:
            break
        n = min(n + batch, stopping.max_replications)
    record = {"halfwidth_target": stopping.halfwidth, "outcome": stopping.outcome,
              "mission": stopping.mission, "category": stopping.category, "on": stopping.on,
              "max_replications": stopping.max_replications, "met": met, "history": history}
    return n, record


def _criterion(session: Session, n: int, stopping: Stopping,
               values: dict[tuple[Any, int], float]) -> float:
    """Largest CI half-width of the stopping outcome over variants after ``n`` replications."""
    import pandas as pd

    from sim.outputs import stats

    job = session.job
    for key in job.keys:
        for rep in range(n):
            if (key, rep) not in values:
                values[(key, rep)] = _task_outcome(session.folder, key, rep, stopping)
    rows = pd.DataFrame([{"variant": k, "replication": r, "value": v}
                         for (k, r), v in values.items() if r < n])
    rows["outcome"] = stopping.outcome
    if stopping.on == "difference" and len(job.keys) > 1:
        table = stats.paired_differences(rows, ["outcome"])
        table = table[table["variant"] != BASE]
    else:
        table = stats.summarize(rows, ["variant", "outcome"])
    widths = stats.halfwidth(table)
    return float(widths.max()) if widths.notna().all() else float("nan")


def _task_outcome(folder: RunFolder, key: Any, rep: int, stopping: Stopping) -> float:
    from sim.runs.folder import decode_task

    frame = decode_task(folder.task_path(key, rep))[0]["outcomes"].to_pandas()
    hit = frame[(frame["outcome"] == stopping.outcome) & (frame["mission"] == stopping.mission)
                & (frame["category"] == stopping.category)]
    return float(hit["value"].iloc[0]) if len(hit) else float("nan")


def _ppsim_version() -> str:
    from sim import __version__

    return __version__


def _version(module: str) -> str | None:
    from importlib import metadata  # ~14 ms: imported by the provenance thread, not the start

    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        return None


def _versions() -> dict[str, str | None]:
    """Python's version and the versions of the packages a run's results depend on."""
    return {"python": platform.python_version(),
            **{m: _version(m) for m in ("numpy", "pandas", "pyarrow", "simpy", "scipy", "dask",
                                        "distributed", "SALib")}}


def _git() -> dict[str, Any] | None:
    """The commit of the ppsim source tree and whether it has uncommitted changes."""
    where = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], check=True,
                                capture_output=True, text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain",
                                "--untracked-files=no"], check=True, capture_output=True,
                               text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(dirty)}


def _parse_date(value: date | str, scenario: Scenario) -> date:
    """An ``at`` date within the run's horizon."""
    try:
        when = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise ParameterError(f"at: got {value!r}, expected an ISO date like 2027-01-01") from None
    if not scenario.run.start <= when < scenario.end:
        raise ParameterError(f"at: got {when}, must be within the run "
                             f"({scenario.run.start} to {scenario.end}, exclusive)")
    return when


def _check_stopping(stopping: Stopping, scenario: Scenario) -> None:
    """Refuse a stopping rule that names an unknown outcome, mission or category."""
    if stopping.outcome not in catalog.OUTCOMES:  # read now: custom outcomes may be registered
        raise ParameterError(unknown_message("outcome", stopping.outcome, list(catalog.OUTCOMES),
                                             "--outcome"))
    missions = [*(m.name for m in scenario.missions), "ALL"]
    if stopping.mission not in missions:
        raise ParameterError(unknown_message("mission", stopping.mission, missions, "--outcome"))
    from sim.outputs.summaries import CATEGORIES

    if stopping.category not in CATEGORIES:
        raise ParameterError(unknown_message("category", stopping.category, list(CATEGORIES),
                                             "--outcome"))
    if not stopping.halfwidth > 0:
        raise ParameterError(f"--until-halfwidth: got {stopping.halfwidth}, must be > 0")
    _positive("max_replications", stopping.max_replications)
    if stopping.on not in ("mean", "difference"):
        raise ParameterError(f"stop on: got {stopping.on!r}, allowed: mean, difference")


def parse_outcome(text: str) -> tuple[str, str, str]:
    """``NAME[:MISSION[:CATEGORY]]`` → (outcome, mission, category); defaults ALL and all."""
    parts = text.split(":")
    if len(parts) > 3 or not parts[0]:
        raise ParameterError(f"--outcome: got {text!r}, expected NAME[:MISSION[:CATEGORY]], "
                             "e.g. mean_deployed:ALL:all")
    parts += ["ALL", "all"][len(parts) - 1:]
    return parts[0], parts[1], parts[2]



__all__ = ["OUTCOMES", "Execution", "Job", "Stopping", "default_out", "execute", "load",
           "outcome_settings", "parse_outcome", "run_settings", "safe_name", "scenario_digest",
           "tables_for"]
