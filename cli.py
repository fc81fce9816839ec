"""The ``ppsim`` command line: a thin layer over the :mod:`sim` library.

Parsing, progress bars, logging and formatting live here; the library returns data and raises
:class:`sim.errors.PpsimError`, which :class:`PpsimGroup` turns into a one-paragraph message and the
error's exit code, in one place (``--debug`` shows the traceback instead).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

import sim
from sim.errors import PpsimError
from sim.outputs import catalog

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


class _LazyConsole:
    """A Rich console made on first use: importing Rich is a fifth of ``ppsim check``'s time.

    Attribute reads and writes go to the console (made with ``options`` and any ``width`` set
    before), so it is used like the ``Console`` it stands for.
    """

    def __init__(self, **options: Any) -> None:
        self.__dict__["_options"] = options
        self.__dict__["_console"] = None

    def _made(self) -> Console:
        if self.__dict__["_console"] is None:
            from rich.console import Console

            self.__dict__["_console"] = Console(**self.__dict__["_options"])
        made: Console = self.__dict__["_console"]
        return made

    def __getattr__(self, name: str) -> Any:
        return getattr(self._made(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "width" and self.__dict__["_console"] is None:
            self.__dict__["_options"]["width"] = value  # set per invocation (COLUMNS)
        else:
            setattr(self._made(), name, value)


def _rich(lazy: Console) -> Console:
    """The Rich console itself, for Rich objects that take one (a progress bar)."""
    return lazy._made() if isinstance(lazy, _LazyConsole) else lazy


console: Console = _LazyConsole(highlight=False)  # type: ignore[assignment]
err_console: Console = _LazyConsole(stderr=True, highlight=False)  # type: ignore[assignment]


def _table(title: str, **options: Any) -> Table:
    """A Rich table in ppsim's style (simple head rule), importing Rich on first use."""
    from rich import box
    from rich.table import Table

    return Table(title=title, box=box.SIMPLE_HEAD, **options)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that the same clean-up as Ctrl-C runs."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated


def _interrupt_code(exc: KeyboardInterrupt) -> int:
    """128 + the signal number: 143 after SIGTERM, 130 after Ctrl-C."""
    return 128 + (signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT)


class PpsimGroup(click.Group):
    """A click group that reports library errors without a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; print a clean message and exit non-zero on a ppsim error.

        SIGTERM is turned into :class:`Terminated` (a ``KeyboardInterrupt``), so that the
        executor terminates its worker processes and the run folder's lock is dropped before
        the process exits, as with Ctrl-C.
        """
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None
        try:
            return super().invoke(ctx)
        except PpsimError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            err_console.print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt as exc:
            # A run's own interruption is reported by _experiment (with how to resume); here,
            # nothing had started (loading the scenario, another command).
            err_console.print("interrupted")
            sys.exit(_interrupt_code(exc))
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, previous)


@click.group(cls=PpsimGroup)
@click.version_option(sim.__version__, prog_name="ppsim")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of short error messages.")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.pass_context
def main(ctx: click.Context, debug: bool, verbose: int) -> None:
    """ppsim: simulate UN police peacekeeping staffing under action-plan policies."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    columns = os.environ.get("COLUMNS", "")
    for out in (console, err_console):  # the width of this invocation's terminal (or COLUMNS)
        out.width = int(columns) if columns.isdigit() else None  # type: ignore[assignment]
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    _workers_skip_the_cli()


WORKER_MAIN_NAME = "ppsim.__main__"
"""The name the CLI's main module is given for its worker processes (see below)."""


def _workers_skip_the_cli() -> None:
    """Keep worker processes from importing the CLI (this module and click: ~25-50 ms each).

    A worker started with ``spawn`` (local processes, a local Dask cluster's nannies and
    workers) first runs its parent's main module again, as ``__mp_main__``: for ``ppsim`` the
    console script, which imports this module. multiprocessing does not run again a main
    module named ``<package>.__main__`` (a package run with ``python -m``), so the CLI's main
    module is given such a name (no module of that name is imported). Only when the main
    module is the CLI's own (its ``main`` is this command group): a script or notebook that
    calls :func:`sim.run` keeps its main module, whose functions its workers may need.
    """
    import importlib.machinery

    script = sys.modules.get("__main__")
    if script is not None and getattr(script, "main", None) is main:
        script.__spec__ = importlib.machinery.ModuleSpec(WORKER_MAIN_NAME, None)


@main.command("native")
@click.option("--status", is_flag=True, help="Only say which model runs (compiled or the "
              "Python sources) and why.")
@click.option("--optional", is_flag=True, help="If the build fails, say why and exit 0: the "
              "model runs from its Python sources, with the same results.")
def native_model(status: bool, optional: bool) -> None:
    """Compile the model's event loop with mypyc (about a minute, once per change of the model).

    The compiled model gives the same tables as the Python sources, about 2.5 times as fast;
    it is used only while it matches the sources (see sim/model/native.py).
    """
    from sim.model import CHOICE, native

    if status:
        click.echo(("compiled" if CHOICE.compiled else "sources") + f": {CHOICE.reason}")
    elif native.current():
        click.echo(f"compiled model current in {native.build_dir()}")
    else:
        click.echo("compiling the model with mypyc (about a minute, once per change)")
        try:
            click.echo(native.build())
        except native.BuildError as exc:
            if not optional:
                raise
            err_console.print(f"the model runs from its Python sources ({exc})", soft_wrap=True,
                              markup=False)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--strict", is_flag=True,
              help="Exit 1 when there are warnings (scenarios that cannot work, inert levers).")
def check(scenario: str, strict: bool) -> None:
    """Validate SCENARIO and all its variants without running anything.

    Besides errors, warns about what validates but cannot work (a mission after the run, a
    language nobody speaks, more formed units than contributors can field, skills nobody has)
    and about levers that cannot act in this scenario.
    """
    loaded = sim.load_scenario(scenario)
    base = loaded.base
    click.echo(
        f"{scenario}: valid — scenario {base.name!r}, {len(base.contributors)} contributors, "
        f"{len(base.missions)} missions, {len(base.policies)} policies, "
        + (f"{len(base.events)} events, " if base.events else "")
        + f"variants: {', '.join(loaded.variants) or 'none'}"
    )
    found = _print_warnings(loaded, None, console)
    if found and strict:
        sys.exit(1)


def _print_warnings(loaded: Any, names: list[str] | None, where: Console) -> int:
    """Print the scenario's warnings (``sim.scenario.checks``); returns how many."""
    from sim.scenario.checks import check_loaded

    found = check_loaded(loaded, names)
    if found:
        noun = "warning" if len(found) == 1 else "warnings"
        where.print(f"[yellow]{len(found)} {noun}[/] (the scenario runs, but):", soft_wrap=True)
        for finding in found:
            where.print(f"  {loaded.path}: {finding}", soft_wrap=True, markup=False)
    return len(found)


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors' autocompletion)."""
    from sim.scenario.schema import schema_json

    click.echo(json.dumps(schema_json(), indent=2, default=str))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def init(file: str, force: bool) -> None:
    """Write a commented starter scenario to FILE (it passes `ppsim check` as written)."""
    from sim.scenario.starter import STARTER

    path = Path(file)
    if path.exists() and not force:
        raise click.UsageError(f"{file} exists; choose another name or add --force")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(STARTER, encoding="utf-8")
    click.echo(f"wrote {file}: edit it, then `ppsim check {file}` and `ppsim compare {file}`; "
               "field reference in docs/scenarios.md")


@main.command()
@click.argument("names", nargs=-1)
def levers(names: tuple[str, ...]) -> None:
    """List the action-plan levers: name, meaning, fields with defaults (or only NAMES)."""
    from sim.errors import unknown_message
    from sim.scenario.reference import lever_catalog

    catalog = lever_catalog()
    known = [lever.name for lever in catalog]
    for name in names:
        if name not in known:
            raise click.BadParameter(unknown_message("lever", name, known), param_hint="NAMES")
    for lever in catalog:
        if names and lever.name not in names:
            continue
        console.print(f"[bold]{lever.name}[/]: {lever.summary.replace('`', '')}",
                      soft_wrap=True)
        for f in lever.fields:
            default = "" if f.default == "required" else f" = {f.default}"
            required = " (required)" if f.default == "required" else ""
            console.print(f"    {f.name}{default}{required}  [dim]{f.meaning}[/]",
                          soft_wrap=True)


# --- Experiments: run, compare, sweep -----------------------------------------------------------


def _executor(serial: bool, dask: str | None) -> str | None:
    """The executor spec for ``--serial`` / ``--dask ADDRESS|local`` (default: local processes)."""
    if serial and dask:
        raise click.UsageError("--serial and --dask exclude each other")
    if serial:
        return "serial"
    if dask is None:
        return None
    if dask == "local":
        return "dask-local"
    return f"dask://{dask if '://' in dask else 'tcp://' + dask}"


def _start_workers(serial: bool, dask: str | None, workers: int | None,
                   tasks: int | None) -> AbstractContextManager[None]:
    """Start the local workers before the scenario is loaded, so they start up meanwhile.

    See :func:`sim.experiments.executors.start_workers` (nothing for ``--serial``/``--dask``).
    """
    from sim.experiments.executors import start_workers

    return start_workers(_executor(serial, dask), workers, tasks)


def _execution_options(func: Any) -> Any:
    """The options every experiment command shares (replications, seed, executor, folder)."""
    options = [
        click.option("--replications", "-n", type=click.IntRange(min=1),
                     help="Replications (default: the scenario's run.replications)."),
        click.option("--seed", type=click.IntRange(min=0),
                     help="Root seed (default: the scenario's run.seed)."),
        click.option("--workers", "-w", type=click.IntRange(min=1),
                     help="Tasks at once (default: the number of CPUs)."),
        click.option("--dask", metavar="ADDRESS|local",
                     help="Run on a Dask scheduler (tcp://host:8786) or a new local cluster."),
        click.option("--serial", is_flag=True, help="Run in this process, one task at a time."),
        click.option("--out", "-o", type=click.Path(file_okay=False),
                     help="Run folder (default: runs/<scenario>-<what>-<timestamp>)."),
        click.option("--resume", is_flag=True,
                     help="Finish an interrupted run in --out (same settings)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _format_option(func: Any) -> Any:
    """``--format table|csv|json|markdown`` for commands that print result tables."""
    return click.option("--format", "fmt", type=click.Choice(["table", "csv", "json",
                                                              "markdown"]),
                        default="table", show_default=True,
                        help="How to print the results: a terminal table, or data to pipe.")(func)


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar (with ETA) on stderr; yields the library's progress callback."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("tasks"), TimeElapsedColumn(), TextColumn("ETA"),
               TimeRemainingColumn())
    with Progress(*columns, console=_rich(err_console), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _experiment(label: str, out: Path, call: Callable[[Callable[[int, int], None]], Any]) -> Any:
    """Run ``call(progress)`` under a progress bar; on Ctrl-C say how to resume, exit 130."""
    try:
        with _progress(label) as progress:
            return call(progress)
    except KeyboardInterrupt as exc:
        if Path(f"{out}.partial").exists():
            err_console.print(f"interrupted: finished tasks are kept in {out}.partial; rerun the "
                              f"same command with --resume --out {out} to go on")
        else:
            err_console.print("interrupted before any task was written; nothing to resume")
        sys.exit(_interrupt_code(exc))


def _default_out(loaded: Any, label: str) -> Path:
    from sim.experiments.engine import default_out

    return default_out(loaded, label)


def _parse_outcome(text: str) -> tuple[str, str, str]:
    from sim.experiments.engine import parse_outcome

    return parse_outcome(text)


def _num(value: float, share: bool = False) -> str:
    if value != value:  # NaN
        return "–"
    return f"{100 * value:.1f}" if share else f"{value:,.0f}"


def _band(row: Any, share: bool = False) -> str:
    """``mean (p5–p95)``: the mean with the 90% band over replications (shares in %)."""
    if row is None or row["mean"] != row["mean"]:
        return "–"
    low, high = _num(row["p5"], share), _num(row["p95"], share)
    mean = _num(row["mean"], share)
    return mean if low == high == mean else f"{mean} ({low}–{high})"


def _wrote(result: Any, where: Console | None = None) -> None:
    parts = [f"{p.name}/" for p in sorted(result.path.iterdir()) if p.is_dir()]
    (where or console).print(f"wrote {result.path}/ ({', '.join(parts)}, manifest.json)",
                             soft_wrap=True)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--variant", default="base", show_default=True, help="Variant to run.")
@_execution_options
@click.option("--no-plots", is_flag=True, help="Skip drawing the standard figures.")
@click.option("--replace", is_flag=True,
              help="Replace a finished run already in --out (once the new one is whole).")
@click.option("--officer-log", is_flag=True,
              help="Also write tables/officers: one row per officer state change (large).")
@_format_option
def run(scenario: str, variant: str, replications: int | None, seed: int | None,
        workers: int | None, dask: str | None, serial: bool, out: str | None,
        resume: bool, no_plots: bool, replace: bool, officer_log: bool, fmt: str) -> None:
    """Run replications of one variant of SCENARIO and summarize them per mission."""
    with _start_workers(serial, dask, workers, replications):
        loaded = sim.load_scenario(scenario)
        loaded.resolve(variant)
        _print_warnings(loaded, [variant], err_console)
        folder = Path(out) if out else _default_out(loaded, variant)
        result = _experiment(f"{loaded.base.name}/{variant}", folder, lambda progress: sim.run(
            loaded, variant=variant, replications=replications, seed=seed, workers=workers,
            executor=_executor(serial, dask), out=folder, resume=resume, progress=progress,
            plots=not no_plots, replace=replace, officer_log=officer_log))
    n = result.manifest["replications"]
    rows = run_summary_rows(result.summary)
    if fmt != "table":
        _emit({"summary": rows}, fmt)
        _wrote(result, err_console)
        return
    _print_run_summary(rows, f"{loaded.base.name} — {variant}: {n} replications")
    _print_validation(result.path)
    _wrote(result)


RUN_METRICS = ("authorized", "deployed", "vacancy_rate", "women_share")
"""Monthly metrics in the run summary (first and last month, per mission and category)."""
NARROW = 100
"""Below this many columns tables drop the 90% bands (or stack) so key columns stay whole."""


def run_summary_rows(bands: Any) -> Any:
    """The run summary as data, one row per mission, category and first/last month.

    IPO and FPU apart (``all`` only for ALL); the mean and 90% band of :data:`RUN_METRICS`
    (shares as fractions).
    """
    import pandas as pd

    last = int(bands["month"].max())
    keep = bands[bands["month"].isin([0, last]) & bands["metric"].isin(RUN_METRICS)]
    keep = keep[keep["category"].isin(["ipo", "fpu"]) | ((keep["mission"] == "ALL")
                                                         & (keep["category"] == "all"))]
    wide = keep.pivot_table(index=["mission", "category", "date"], columns="metric",
                            values=["mean", "p5", "p95"], sort=False)
    wide.columns = [f"{metric}_{stat}" if stat != "mean" else metric
                    for stat, metric in wide.columns]
    out = wide.reset_index()
    posts = out[["authorized", "deployed"]].fillna(0).sum(axis=1)
    staffed = out.groupby(["mission", "category"], sort=False)["deployed"].transform(
        lambda x: x.fillna(0).max()) + out.groupby(["mission", "category"], sort=False)[
        "authorized"].transform(lambda x: x.fillna(0).max())
    out = out[(posts > 0) | (staffed > 0)]
    out["date"] = pd.to_datetime(out["date"]).dt.strftime("%Y-%m")
    columns = ["mission", "category", "date", *RUN_METRICS,
               *(f"{m}_{s}" for m in RUN_METRICS for s in ("p5", "p95"))]
    return out.reindex(columns=columns).reset_index(drop=True)


def _print_run_summary(rows: Any, title: str) -> None:
    """The run summary table; bands only when the terminal is wide enough."""
    wide = console.width >= NARROW
    note = "mean (90% band over replications)" if wide else \
        "mean; the 90% bands need ≥ 100 columns or --format csv"
    table = _table(f"{title}; IPO and FPU apart; {note}",
                  title_justify="left", pad_edge=False, show_edge=False, collapse_padding=True)
    for column in ("mission", "cat", "month", "authorized", "deployed", "vacancy %", "women %"):
        left = column in ("mission", "cat", "month")
        table.add_column(column, justify="left" if left else "right", no_wrap=True,
                         overflow="ellipsis" if column == "mission" else "fold",
                         max_width=18 if column == "mission" else None)
    previous = None
    for row in rows.to_dict("records"):
        cells = [_cell_band(row, metric, wide) for metric in RUN_METRICS]
        mission = row["mission"] if row["mission"] != previous else ""
        table.add_row(mission, str(row["category"]).upper(), row["date"], *cells)
        previous = row["mission"]
    console.print(table)


def _cell_band(row: dict[str, Any], metric: str, bands: bool) -> str:
    """One metric of a run-summary row: ``mean (p5–p95)``, or the mean alone."""
    share = metric in ("vacancy_rate", "women_share")
    stats = {"mean": row.get(metric), "p5": row.get(f"{metric}_p5"),
             "p95": row.get(f"{metric}_p95")}
    if stats["mean"] is None:
        return "–"
    if not bands:
        return _num(float(stats["mean"]), share)
    return _band(stats, share)


def _emit(tables: dict[str, Any], fmt: str) -> None:
    """Write data tables to stdout as csv, json or markdown (``--format``).

    Several tables: csv puts ``# name`` before each (``pandas.read_csv(comment="#")`` skips it),
    json is one object of lists of records, markdown one section per table.
    """
    if fmt == "json":
        click.echo(json.dumps({name: json.loads(frame.to_json(orient="records"))
                               for name, frame in tables.items()}, indent=2))
        return
    for i, (name, frame) in enumerate(tables.items()):
        if fmt == "csv":
            if len(tables) > 1:
                click.echo(f"# {name}")
            click.echo(frame.to_csv(index=False), nl=False)
        else:
            click.echo(f"### {name}\n\n{_markdown(frame)}")
        if i < len(tables) - 1:
            click.echo("")


def _markdown(frame: Any) -> str:
    """A DataFrame as a GitHub markdown table (numbers at 4 significant digits)."""
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "" if value != value else f"{value:.4g}"
        return str(value).replace("|", "\\|")
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _print_validation(folder: Path) -> None:
    """The check against observations: by year and category, then the errors per series."""
    path = folder / "summary" / "validation.parquet"
    if not path.exists():
        return
    import pandas as pd

    matched = pd.read_parquet(path)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    calibration = manifest.get("calibration") or {}
    until = calibration.get("until")
    note = f"calibrated on the record to {until}; later years are out of sample" if until \
        else "no calibration window recorded"
    table = _table(f"Observed vs simulated: median (90% band) — {note} "
                  "(summary/validation.csv)", title_justify="left",
                  pad_edge=False)
    for column in ("series", "date", "observed", "simulated", "error", "in band", "sample"):
        table.add_column(column, justify="left" if column in ("series", "sample") else "right")
    previous = None
    order = {"all": 0, "ipo": 1, "fpu": 2, "spt": 3}
    matched = matched.assign(_c=matched["category"].map(order)).sort_values(
        ["metric", "mission", "_c", "date"], kind="stable")
    for row in matched.to_dict("records"):
        share = row["metric"] == "women_share"
        label = f"{row['mission']} {row['category']} {row['metric']}"
        error = f"{100 * row['error']:+.1f} pt" if share else \
            f"{100 * row['abs_pct_error'] * (1 if row['error'] >= 0 else -1):+.1f}%"
        sample = {True: "in", False: "out"}.get(row.get("in_sample"), "")
        table.add_row(label if label != previous else "", f"{row['date']:%Y-%m}",
                      _num(row["observed"], share),
                      f"{_num(row['sim_median'], share)} ({_num(row['sim_p5'], share)}–"
                      f"{_num(row['sim_p95'], share)})", error,
                      "yes" if row["inside_90"] else "no", sample)
        previous = label
    console.print(table)
    by_category = folder / "summary" / "validation_by_category.parquet"
    if not by_category.exists():
        return
    metrics = pd.read_parquet(by_category)
    summary = _table("Errors per series: MAPE for counts, mean error in points for shares; "
                    "observed inside the 90% band", title_justify="left",
                    pad_edge=False)
    for column in ("series", "sample", "years", "error", "inside 90% band"):
        summary.add_column(column, justify="left" if column in ("series", "sample") else "right")
    for row in metrics.to_dict("records"):
        share = row["metric"] == "women_share"
        error = f"{100 * row['mean_abs_error']:.1f} pt" if share else \
            f"{100 * row['mape']:.1f}% MAPE"
        summary.add_row(f"{row['mission']} {row['category']} {row['metric']}", row["sample"],
                        f"{row['first_year']}–{row['last_year']}", error,
                        f"{row['inside_90']} of {row['n']}")
    console.print(summary)


def _ci(mean: float, low: float, high: float, share: bool) -> str:
    """``mean [low, high]`` with shares in percent (points for differences)."""
    if mean != mean:
        return "–"
    if share:
        mean, low, high = 100 * mean, 100 * low, 100 * high
    fmt = "{:,.1f}" if share or abs(mean) < 100 else "{:,.0f}"
    if low != low:
        return fmt.format(mean)
    return f"{fmt.format(mean)} [{fmt.format(low)}, {fmt.format(high)}]"


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--variants", help="Comma-separated variants (default: all); the base is always run.")
@click.option("--at", "at", multiple=True, metavar="DATE",
              help="Also compare at this ISO date (repeatable).")
@click.option("--until-halfwidth", type=float, metavar="H",
              help="Add batches of --replications until the outcome's 95% CI half-width ≤ H.")
@click.option("--outcome", default="mean_deployed", show_default=True,
              metavar="NAME[:MISSION[:CATEGORY]]", help="Outcome for --until-halfwidth.")
@click.option("--stop-on", type=click.Choice(["mean", "difference"]), default="mean",
              show_default=True, help="Half-width of each variant's mean or of its difference "
              "from the base.")
@click.option("--max-replications", type=click.IntRange(min=1),
              help="Cap for --until-halfwidth (default: 10 × --replications).")
@_execution_options
@click.option("--no-plots", is_flag=True, help="Skip drawing the standard figures.")
@click.option("--replace", is_flag=True,
              help="Replace a finished run already in --out (once the new one is whole).")
@_format_option
def compare(scenario: str, variants: str | None, at: tuple[str, ...],
            until_halfwidth: float | None, outcome: str, stop_on: str,
            max_replications: int | None, replications: int | None, seed: int | None,
            workers: int | None, dask: str | None, serial: bool, out: str | None,
            resume: bool, no_plots: bool, replace: bool, fmt: str) -> None:
    """Compare the variants of SCENARIO with the base (common random numbers, paired CIs)."""
    names = [v.strip() for v in variants.split(",") if v.strip()] if variants else None
    tasks = None if names is None or replications is None else replications * (
        1 + len(set(names) - {"base"}))
    with _start_workers(serial, dask, workers, tasks):
        result = _compare(scenario, names, at, until_halfwidth, outcome, stop_on,
                          max_replications, replications, seed, workers, dask, serial, out,
                          resume, no_plots, replace)
    if fmt != "table":
        _emit({"comparison": _headline_rows(result), "targets": _target_rows(result)}, fmt)
        _wrote(result, err_console)
        return
    _print_comparison(result)
    _wrote(result)


def _compare(scenario: str, names: list[str] | None, at: tuple[str, ...],
             until_halfwidth: float | None, outcome: str, stop_on: str,
             max_replications: int | None, replications: int | None, seed: int | None,
             workers: int | None, dask: str | None, serial: bool, out: str | None,
             resume: bool, no_plots: bool, replace: bool) -> Any:
    """Load SCENARIO, check the variants and run the comparison (``ppsim compare``)."""
    loaded = sim.load_scenario(scenario)
    for name in names or []:
        loaded.resolve(name)
    _print_warnings(loaded, names, err_console)
    stopping = None
    if until_halfwidth is not None:
        name, mission, category = _parse_outcome(outcome)
        batch = replications or loaded.base.run.replications
        from sim.experiments.engine import Stopping

        stopping = Stopping(until_halfwidth, name, mission, category,
                            max_replications or 10 * batch, stop_on)  # type: ignore[arg-type]
    folder = Path(out) if out else _default_out(loaded, "compare")
    result = _experiment(f"{loaded.base.name}/compare", folder, lambda progress: sim.compare(
        loaded, variants=names, replications=replications, seed=seed, workers=workers,
        executor=_executor(serial, dask), out=folder, resume=resume, progress=progress, at=at,
        stopping=stopping, plots=not no_plots, replace=replace))
    return result


def _headline_rows(result: Any) -> Any:
    """The comparison rows the CLI shows: all missions; women's share by category; coverage."""
    comp = result.read("summary/comparison")
    keep = (comp["mission"] == "ALL") & (
        (comp["category"] == "all")
        | (comp["outcome"].str.contains("women_share") & comp["category"].isin(["ipo", "fpu"]))
        | (comp["outcome"].str.contains("specialist") & (comp["category"] == "ipo")))
    return comp[keep].reset_index(drop=True)


def _target_rows(result: Any) -> Any:
    """Headline targets (dated after the start, inside the run) with P(met) and mean share."""
    targets = result.read("summary/targets.csv")
    if "headline" in targets:
        targets = targets[targets["headline"].astype(bool)]
    return targets.reset_index(drop=True)


def _print_comparison(result: Any) -> None:
    """The headline comparison (mission ALL), target probabilities and the stopping outcome."""
    comp = _headline_rows(result)
    n = result.manifest["replications"]
    console.print(f"All missions: mean [95% CI] over {n} replications; Δ = variant − base, paired "
                  "by replication (common random numbers); shares in %; bold: CI excludes 0")
    for at, group in comp.groupby("at", sort=False):
        title = "over the whole run" if at == "horizon" else f"on {at}"
        table = _table(title, title_justify="left")
        for column in ("outcome", "variant", "mean [95% CI]", "Δ [95% CI]"):
            # Numbers are never cut; names wrap when the terminal is narrow.
            table.add_column(column, justify="right" if "CI" in column else "left",
                             no_wrap="CI" in column, overflow="fold")
        previous = None
        for row in group.to_dict("records"):
            share = any(w in row["outcome"] for w in ("share", "rate", "coverage"))
            label = row["outcome"].replace("_", " ") + (
                "" if row["category"] == "all" else f" ({row['category']})")
            diff = "" if row["variant"] == "base" else _ci(row["diff_mean"], row["diff_ci_low"],
                                                             row["diff_ci_high"], share)
            if row["variant"] != "base" and row["diff_ci_low"] == row["diff_ci_low"] and (
                    row["diff_ci_low"] > 0 or row["diff_ci_high"] < 0):
                diff = f"[bold]{diff}[/]"
            table.add_row(label if label != previous else "", row["variant"],
                          _ci(row["mean"], row["ci_low"], row["ci_high"], share), diff)
            previous = label
        console.print(table)
    _print_targets(_target_rows(result))
    stop = result.manifest.get("stopping")
    if stop:
        width = stop["history"][-1]["halfwidth"]
        verdict = "reached" if stop["met"] else "NOT reached (cap)"
        console.print(f"sequential stopping on {stop['outcome']} ({stop['mission']}/"
                      f"{stop['category']}, {stop['on']}): half-width {width:.4g} ≤ "
                      f"{stop['halfwidth_target']:g} {verdict} at {n} replications")


def _print_targets(targets: Any) -> None:
    """P(met) per target and variant: variants as columns when they fit, else one row each."""
    if not len(targets):
        return
    title = ("Probability of meeting each women's-share target on its date [95% Wilson CI] "
             "and the mean share on that date")
    variants = list(dict.fromkeys(targets["variant"]))
    groups = targets.groupby(["mission", "category", "target_date", "target_share"], sort=False)
    labels = {key: f"{key[0]} {str(key[1]).upper()} {100 * key[3]:.0f}% on {key[2]}"
              for key, _ in groups}
    # rich pads each column by one space a side: label + every variant's cell must fit
    wide = max(len(v) for v in labels.values()) + 2 + sum(
        max(len("100% [100, 100] (100.0%)"), len(v)) + 2 for v in variants) <= console.width
    table = _table(title, title_justify="left")
    table.add_column("target", no_wrap=not wide, overflow="fold")
    if wide:
        for variant in variants:
            table.add_column(variant, justify="right", no_wrap=True)
    else:
        for column in ("variant", "P(met) [95% CI]", "share"):
            table.add_column(column, justify="left" if column == "variant" else "right",
                             no_wrap=True, overflow="fold" if column == "variant" else None)
    for key, group in groups:
        cells = {r["variant"]: r for r in group.to_dict("records")}
        if wide:
            table.add_row(labels[key], *(_p_met(cells[v], True) if v in cells else "–"
                                         for v in variants))
            continue
        for i, variant in enumerate(v for v in variants if v in cells):
            r = cells[variant]
            table.add_row(labels[key] if i == 0 else "", variant, _p_met(r, False),
                          _pct(r["mean_share"]))
    console.print(table)


def _p_met(row: dict[str, Any], with_share: bool) -> str:
    """``P% [low, high]`` (and ``(share%)``) of one target probability row."""
    text = (f"{100 * row['probability']:.0f}% [{100 * row['ci_low']:.0f}, "
            f"{100 * row['ci_high']:.0f}]")
    return f"{text} ({_pct(row['mean_share'])})" if with_share else text


def _pct(share: float) -> str:
    """A share as ``26.3%``, or ``–`` when undefined (nobody deployed)."""
    return "–" if share != share else f"{100 * share:.1f}%"


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--param", "params", multiple=True, required=True, metavar="KEY.PATH=LOW:HIGH",
              help="A numeric field and its range (repeatable).")
@click.option("--design", type=click.Choice(["grid", "lhs", "sobol"]), default="lhs",
              show_default=True, help="Grid, Latin hypercube, or Sobol (with indices).")
@click.option("--points", type=click.IntRange(min=1), default=16, show_default=True,
              help="Values per parameter (grid), points (lhs) or base samples (sobol: "
              "points × (parameters + 2) runs).")
@click.option("--variant", default="base", show_default=True,
              help="Scenario the points start from.")
@click.option("--outcome", "outcomes", multiple=True, metavar="NAME[:MISSION[:CATEGORY]]",
              help="Outcome to report and analyse (repeatable; default: mean_deployed, "
              "mean_vacancy_rate, final_women_share).")
@_execution_options
def sweep(scenario: str, params: tuple[str, ...], design: str, points: int, variant: str,
          outcomes: tuple[str, ...], replications: int | None, seed: int | None,
          workers: int | None, dask: str | None, serial: bool, out: str | None,
          resume: bool) -> None:
    """Run SCENARIO over a design of parameter points; per-point results, Sobol indices."""
    with _start_workers(serial, dask, workers, None):
        from sim.experiments.sweep import DEFAULT_OUTCOMES  # imports the engine: workers first

        chosen = outcomes or DEFAULT_OUTCOMES
        loaded = sim.load_scenario(scenario)
        folder = Path(out) if out else _default_out(loaded, "sweep")
        result = _experiment(f"{loaded.base.name}/sweep", folder, lambda progress: sim.sweep(
            loaded, list(params), design=design, points=points, replications=replications,
            seed=seed, variant=variant, outcomes=chosen, workers=workers,
            executor=_executor(serial, dask), out=folder, resume=resume, progress=progress))
    results = result.read("sweep/results")
    names = [p["path"] for p in result.manifest["parameters"]]
    short = [n.rsplit(".", 1)[-1] for n in names]
    headers = short if len(set(short)) == len(short) else names
    table = _table(f"{result.manifest['points']} points × {result.manifest['replications']} "
                  "replications: the points with the lowest and highest mean",
                  title_justify="left")
    for column in ("outcome", "", "mean", *headers):
        table.add_column(column, justify="left" if column in ("outcome", "") else "right",
                         overflow="fold")
    for text in chosen:
        name, mission, category = _parse_outcome(text)
        sel = results[(results["outcome"] == name) & (results["mission"] == mission)
                      & (results["category"] == category)].dropna(subset=["mean"])
        if sel.empty:
            continue
        label = name if (mission, category) == ("ALL", "all") else f"{name} ({mission}, {category})"
        for which, row in (("lowest", sel.loc[sel["mean"].idxmin()]),
                           ("highest", sel.loc[sel["mean"].idxmax()])):
            table.add_row(label if which == "lowest" else "", which, f"{row['mean']:.4g}",
                          *(f"{row[k]:.4g}" for k in names))
    console.print(table)
    if design == "sobol":
        sob = result.read("sweep/sobol.csv")
        stable = _table("Sobol indices [95% bootstrap CI]: S1 first order, ST total",
                       title_justify="left")
        for column in ("outcome", "parameter", "S1", "ST"):
            numeric = column in ("S1", "ST")
            stable.add_column(column, justify="right" if numeric else "left", no_wrap=numeric,
                              overflow="fold")
        previous = None
        for row in sob.to_dict("records"):
            label = row["outcome"] if (row["mission"], row["category"]) == ("ALL", "all") \
                else f"{row['outcome']} ({row['mission']}, {row['category']})"
            stable.add_row(label if label != previous else "",
                           headers[names.index(row["parameter"])],
                           f"{row['S1']:.2f} [{row['S1_ci_low']:.2f}, {row['S1_ci_high']:.2f}]",
                           f"{row['ST']:.2f} [{row['ST_ci_low']:.2f}, {row['ST_ci_high']:.2f}]")
            previous = label
        console.print(stable)
    _wrote(result)



@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--param", "params", multiple=True, required=True, metavar="KEY.PATH=LOW:HIGH",
              help="A numeric field to fit and its range (repeatable).")
@click.option("--until", required=True, metavar="YYYY-MM",
              help="Last observed month used (never in the withheld 2017-01..2024-12).")
@click.option("--mission", "missions", multiple=True,
              help="Also fit this mission's own series (repeatable).")
@click.option("--budget", type=click.IntRange(min=1), default=40, show_default=True,
              help="Most evaluations of the loss.")
@click.option("--method", type=click.Choice(["nelder-mead", "differential-evolution"]),
              default="nelder-mead", show_default=True, help="scipy.optimize method.")
@click.option("--variant", default="base", show_default=True, help="Scenario to start from.")
@click.option("--write-scenario", type=click.Path(dir_okay=False),
              help="Also write the fitted scenario to this new file.")
@_execution_options
def calibrate(scenario: str, params: tuple[str, ...], until: str, missions: tuple[str, ...],
              budget: int, method: str, variant: str, write_scenario: str | None,
              replications: int | None, seed: int | None, workers: int | None,
              dask: str | None, serial: bool, out: str | None, resume: bool) -> None:
    """Fit parameters of SCENARIO to the observed monthly record up to --until."""
    from sim.experiments.calibration import calibrate as fit

    loaded = sim.load_scenario(scenario)
    loaded.resolve(variant)
    folder = Path(out) if out else _default_out(loaded, "calibrate")
    command = "ppsim calibrate " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else ""
    result = _experiment(f"{loaded.base.name}/calibrate", folder, lambda _progress: fit(
        loaded, list(params), until, missions=missions, replications=replications or 4,
        budget=budget, method=method, seed=seed, variant=variant, out=folder, resume=resume,
        workers=workers, executor=_executor(serial, dask), write_scenario=write_scenario,
        command=command))
    table = _table(f"Fitted on the record to {until}: loss {result.loss:.4g} after "
                  f"{result.evaluations} evaluations", title_justify="left")
    for column in ("parameter", "fitted"):
        table.add_column(column, justify="left" if column == "parameter" else "right")
    for path, value in result.fitted.items():
        table.add_row(path, f"{value:.4g}")
    console.print(table)
    _print_fit(result.fit)
    if result.scenario_file is not None:
        console.print(f"wrote the fitted scenario to {result.scenario_file}")
    _wrote(result)


def _print_fit(fit: Any) -> None:
    """Observed vs simulated yearly means of the fitted series (deployed, women's share)."""
    table = _table("Observed vs simulated yearly means: mean (90% band)",
                  title_justify="left", pad_edge=False)
    for column in ("series", "year", "observed", "simulated", "error %", "in band"):
        table.add_column(column, justify="left" if column == "series" else "right")
    previous = None
    for row in fit.to_dict("records"):
        share = row["metric"] == "women_share"
        label = f"{row['mission']} {row['category']} {row['metric']}"
        band = f"{_num(row['sim_mean'], share)} ({_num(row['sim_p5'], share)}–" \
            f"{_num(row['sim_p95'], share)})"
        error = f"{100 * (row['sim_mean'] - row['observed']):+.1f} pt" if share \
            else f"{100 * row['rel_error']:+.1f}"
        table.add_row(label if label != previous else "", str(row["year"]),
                      _num(row["observed"], share), band, error,
                      "yes" if row["inside_90"] else "no")
        previous = label
    console.print(table)


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--metric", "metrics", multiple=True,
              type=click.Choice(list(catalog.FIGURES)), help="Figure to draw (repeatable; "
              "default: all that apply).")
@click.option("--mission", help="Draw for one mission instead of all missions.")
@click.option("--format", "formats", multiple=True, type=click.Choice(list(catalog.FORMATS)),
              help="Image format (repeatable; default png).")
@click.option("--out", "-o", type=click.Path(file_okay=False),
              help="Folder for the figures (default: RUN_DIR/plots).")
def plot(run_dir: str, metrics: tuple[str, ...], mission: str | None,
         formats: tuple[str, ...], out: str | None) -> None:
    """Draw the standard figures of RUN_DIR (a folder written by run or compare)."""
    from sim.outputs import plots

    written = plots.make_all(run_dir, formats=formats or ("png",),
                             out_dir=Path(out) if out else None, metrics=list(metrics) or None,
                             mission=mission)
    folders = sorted({str(p.parent) for p in written})
    console.print(f"wrote {len(written)} figures to {', '.join(folders)}: "
                  f"{', '.join(sorted({p.stem for p in written}))}")


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--out", "-o", type=click.Path(dir_okay=False),
              help="HTML file to write (default: RUN_DIR/report.html).")
def report(run_dir: str, out: str | None) -> None:
    """Write a self-contained HTML report of RUN_DIR (figures embedded, no network needed)."""
    from sim.outputs.report import write_report

    path = write_report(run_dir, out)
    console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


# --- The observed record: history, scenario from-data (sim.data) --------------------------------


@main.command()
@click.option("--mission", help="One mission (e.g. MINUSCA; case-insensitive).")
@click.option("--contributor", help="One contributor: name or ISO3 code (Senegal, SEN).")
@click.option("--category", type=click.Choice(["ipo", "fpu", "police"]),
              help="Only individual officers, formed-unit personnel, or all police.")
@click.option("--from", "start", metavar="YYYY-MM", help="First month to show.")
@click.option("--to", "end", metavar="YYYY-MM", help="Last month to show.")
@click.option("--monthly", is_flag=True, help="Every month instead of one row per year.")
@click.option("--plot", type=click.Path(dir_okay=False),
              help="Also draw the record into this image file (.png, .svg or .pdf).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table",
              show_default=True, help="A table for reading or CSV for other tools.")
# (history: one Click command doing table, CSV, gap rows and the plot; complexity 19 > 12 — split it
# into a table builder and a printer when next touched)
def history(mission: str | None, contributor: str | None, category: str | None,  # noqa: C901
            start: str | None, end: str | None, monthly: bool, plot: str | None,
            fmt: str) -> None:
    """Print (and plot) the observed record of UN police deployed, with women.

    Yearly rows show December, or the last month of the year in the record (column "month").
    Missing months stay missing; 2017-01..2024-12 are withheld (data/README.md).
    """
    import os

    import numpy as np
    import pandas as pd

    import sim.data as record
    from sim.errors import DataError

    series = record.series(mission, contributor, start, end)
    who = " / ".join(n for n in (record.mission_name(mission) if mission else None,
                                 record.contributor_name(contributor) if contributor else None)
                     if n) or "all missions"
    if series.empty:
        raise DataError(f"no figures for {who} from {start or 'the start'} to "
                        f"{end or 'the end'} of the record (it spans 1990-11..2025-07 without "
                        f"the withheld {record.WITHHELD[0]}..{record.WITHHELD[1]})")
    categories = [category] if category else ["ipo", "fpu", "police"]
    rows = series.assign(month=series["date"].dt.strftime("%Y-%m")) if monthly \
        else record.yearly(series)
    keys = ["month"] if monthly else ["year", "month"]
    counts = [c for cat in categories for c in (cat, f"{cat}_women")]
    if fmt == "csv":
        click.echo(rows[[*keys, *counts, "source"]].to_csv(index=False), nl=False)
    else:
        what = "every month" if monthly else "one row per year: December, or the year's last " \
            "month in the record"
        table = _table(f"UN police deployed — {who} ({what}); women %: the women's share "
                      "of the count to its left", title_justify="left",
                      pad_edge=False)
        labels = {"ipo": "IPO", "fpu": "FPU", "police": "police"}
        table.add_column("month", justify="left", no_wrap=True)
        for cat in categories:
            table.add_column(labels[cat], justify="right", no_wrap=True)
            table.add_column("women %", justify="right", no_wrap=True)
        def add(month: str, row: dict[str, Any]) -> None:
            cells = [month]
            for cat in categories:
                n, w = row[cat], row[f"{cat}_women"]
                cells.append("–" if pd.isna(n) else f"{n:,}")
                cells.append("–" if pd.isna(n) or pd.isna(w) or not n else f"{100 * w / n:.1f}")
            table.add_row(*cells)

        present = {str(r["month"]): r for r in rows.to_dict("records")}
        if not monthly:
            for month, row in present.items():
                add(month, row)
        gap: list[str] = []
        for period in pd.period_range(min(present), max(present), freq="M") if monthly else []:
            if str(period) not in present:  # a run of missing months: one row that says so
                gap.append(str(period))
                continue
            if gap:
                table.add_row(f"{gap[0]}..{gap[-1]}" if len(gap) > 1 else gap[0],
                              *["–"] * (2 * len(categories)), style="dim")
                gap = []
            add(str(period), present[str(period)])
        console.print(table)
        note = "– = not in the record (a range of months: none of them is). "
        if contributor:
            note += "A contributor's figures are summed over its missions. "
        console.print(note + "Sources: UN DPO monthly reports, IPI Peacekeeping Database "
                      "(data/README.md); 2017-01..2024-12 withheld for the out-of-sample check.")
    if plot is None:
        return
    from sim.outputs.plots import OKABE_ITO, style

    target = Path(plot)
    if not target.parent.is_dir():
        raise DataError(f"--plot {plot}: folder {target.parent} does not exist")
    months = pd.period_range(series["date"].min(), series["date"].max(), freq="M")
    full = series.set_index(series["date"].dt.to_period("M")).reindex(months)  # gaps stay NaN
    x = months.to_timestamp(how="end")

    def values(column: str) -> np.ndarray:
        return full[column].astype("Float64").to_numpy(dtype=float, na_value=np.nan)

    def draw(ax: Any, y: np.ndarray, label: str, colour: str) -> None:
        ax.plot(x, y, color=colour, label=label, linewidth=1.8)
        alone = ~np.isnan(y) & np.isnan(np.r_[np.nan, y[:-1]]) & np.isnan(np.r_[y[1:], np.nan])
        ax.plot(x[alone], y[alone], "o", color=colour, markersize=3)  # a month between gaps

    import matplotlib.pyplot as plt

    colours = {"ipo": OKABE_ITO[0], "fpu": OKABE_ITO[1], "police": OKABE_ITO[7]}
    names = {"ipo": "Individual police officers", "fpu": "Formed police unit personnel",
             "police": "All police"}
    with style():
        fig, (top, bottom) = plt.subplots(2, 1, sharex=True, height_ratios=(3, 2))
        for cat in categories:
            draw(top, values(cat), names[cat], colours[cat])
            women, deployed = values(f"{cat}_women"), values(cat)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(deployed > 0, 100 * women / deployed, np.nan)
            draw(bottom, share, names[cat], colours[cat])
        low, high = (pd.Period(m, freq="M") for m in record.WITHHELD)
        if months[0] <= high and months[-1] >= low:
            for ax in (top, bottom):
                ax.axvspan(max(low, months[0]).start_time, min(high, months[-1]).end_time,
                           color="0.9", zorder=0, label="_withheld")
            top.text(max(low, months[0]).start_time, 0.98, " withheld 2017–2024",
                     transform=top.get_xaxis_transform(), va="top", fontsize=10, color="0.4")
        top.set_title(f"UN police deployed — {who}")
        top.set_ylabel("officers")
        top.set_ylim(bottom=0)
        top.legend(loc="upper left")
        bottom.set_title("Women's share")
        bottom.set_ylabel("% women")
        bottom.set_ylim(bottom=0)
        fig.text(0.01, 0.01, "Source: UN DPO monthly contribution reports; IPI Peacekeeping "
                 "Database (ppsim data/). Gaps are months without figures; IPO/FPU and women "
                 "from 2009-11.", fontsize=9, color="0.35")
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial{target.suffix}")
        try:
            fig.savefig(partial)
            os.replace(partial, target)
        finally:
            plt.close(fig)
            partial.unlink(missing_ok=True)
    console.print(f"wrote {target}", soft_wrap=True)


@main.group()
def scenario() -> None:
    """Make scenario files (from the observed record)."""


@scenario.command("from-data")
@click.option("--as-of", "as_of", required=True, metavar="YYYY-MM",
              help="Month of the record to start from (the run starts the day after it).")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help="Scenario file to write (YAML).")
@click.option("--years", type=click.FloatRange(min=0.1, max=50), default=10, show_default=True,
              help="Horizon of the scenario (years).")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
def from_data(as_of: str, out: str, years: float, force: bool) -> None:
    """Write a complete scenario from the record at the end of month --as-of.

    Every contributor and mission present that month, the initial officers and units by
    contributor as observed, mandates where on file, parameters estimated from the record, and
    a comment on every number saying where it comes from (docs/data.md).
    """
    import os
    import time

    from sim.data import builder, yamltext
    from sim.scenario.schema import read_yaml

    began = time.perf_counter()
    target = Path(out)
    if target.is_dir():
        raise click.UsageError(f"--out {out} is a folder; give a file name")
    if target.exists() and not force:
        raise click.UsageError(f"--out {out} exists; pass --force to replace it")
    if not target.parent.is_dir():
        raise click.UsageError(f"--out {out}: folder {target.parent} does not exist")
    built = builder.build(as_of, years)
    sim.load_scenario(built.data)  # the schema's checks, before anything is written
    text = yamltext.to_text(built.data, built.notes, built.header)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        if read_yaml(partial) != built.data:
            raise PpsimError(f"{out}: the YAML text does not read back as the scenario built "
                             "(a bug in sim.data.yamltext; nothing written)")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    s = built.summary
    console.print(
        f"wrote {target}: {s['contributors']} contributors, {s['missions']} missions, starting "
        f"{s['start']} from the record at {s['as_of']}: {s['ipo']:,} IPOs ({s['ipo_women']:,} "
        f"women), {s['fpu']:,} FPU personnel ({s['fpu_women']:,} women) in {s['units']} units "
        f"({time.perf_counter() - began:.1f} s)", soft_wrap=True)


if __name__ == "__main__":
    main()
