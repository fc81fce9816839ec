"""The ``ppsim`` command line: a thin layer over the :mod:`sim` library.

Parsing, progress bars, logging and formatting live here; the library returns data and raises
:class:`sim.errors.PpsimError`, which :class:`PpsimGroup` turns into a one-paragraph message and the
error's exit code, in one place (``--debug`` shows the traceback instead).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

import sim
from sim.errors import PpsimError
from sim.outputs import catalog

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


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
            err_console.print("interrupted: finished tasks are kept; rerun with --resume to go on")
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
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
def check(scenario: str) -> None:
    """Validate SCENARIO and all its variants without running anything."""
    loaded = sim.load_scenario(scenario)
    base = loaded.base
    click.echo(
        f"{scenario}: valid — scenario {base.name!r}, {len(base.contributors)} contributors, "
        f"{len(base.missions)} missions, {len(base.policies)} policies, "
        + (f"{len(base.events)} events, " if base.events else "")
        + f"variants: {', '.join(loaded.variants) or 'none'}"
    )


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors' autocompletion)."""
    from sim.scenario.schema import schema_json

    click.echo(json.dumps(schema_json(), indent=2, default=str))


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


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar (with ETA) on stderr; yields the library's progress callback."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("tasks"), TimeElapsedColumn(), TextColumn("ETA"),
               TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
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


def _wrote(result: Any) -> None:
    parts = [f"{p.name}/" for p in sorted(result.path.iterdir()) if p.is_dir()]
    console.print(f"wrote {result.path}/ ({', '.join(parts)}, manifest.json)")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--variant", default="base", show_default=True, help="Variant to run.")
@_execution_options
@click.option("--no-plots", is_flag=True, help="Skip drawing the standard figures.")
@click.option("--replace", is_flag=True,
              help="Replace a finished run already in --out (once the new one is whole).")
def run(scenario: str, variant: str, replications: int | None, seed: int | None,
        workers: int | None, dask: str | None, serial: bool, out: str | None,
        resume: bool, no_plots: bool, replace: bool) -> None:
    """Run replications of one variant of SCENARIO and summarize them per mission."""
    loaded = sim.load_scenario(scenario)
    loaded.resolve(variant)
    folder = Path(out) if out else _default_out(loaded, variant)
    result = _experiment(f"{loaded.base.name}/{variant}", folder, lambda progress: sim.run(
        loaded, variant=variant, replications=replications, seed=seed, workers=workers,
        executor=_executor(serial, dask), out=folder, resume=resume, progress=progress,
        plots=not no_plots, replace=replace))
    bands = result.summary
    bands = bands[bands["category"] == "all"]
    last = int(bands["month"].max())
    n = result.manifest["replications"]
    table = Table(title=f"{loaded.base.name} — {variant}: {n} replications, all categories; "
                  "mean (90% band over replications)", box=box.SIMPLE_HEAD,
                  title_justify="left", pad_edge=False, show_edge=False, collapse_padding=True)
    widest = min(20, max(len(str(m)) for m in bands["mission"].unique()))
    for column in ("mission", "month", "authorized", "deployed", "vacancy %", "women %"):
        table.add_column(column, justify="left" if column in ("mission", "month") else "right",
                         no_wrap=column == "month", overflow="fold",
                         min_width=widest if column == "mission" else None)
    for mission in bands["mission"].unique():
        for month in (0, last):
            rows = bands[(bands["mission"] == mission) & (bands["month"] == month)]
            get = {m: r for m, r in zip(rows["metric"], rows.to_dict("records"), strict=True)}
            table.add_row(mission if month == 0 else "", f"{rows['date'].iloc[0]:%Y-%m}",
                          _band(get.get("authorized")), _band(get.get("deployed")),
                          _band(get.get("vacancy_rate"), share=True),
                          _band(get.get("women_share"), share=True))
    console.print(table)
    _print_validation(result.path)
    _wrote(result)


def _print_validation(folder: Path) -> None:
    """The historical check: how far the simulated median is from the published figures."""
    path = folder / "summary" / "validation_metrics.parquet"
    if not path.exists():
        return
    import pandas as pd

    metrics = pd.read_parquet(path)
    table = Table(title="Check against published figures (summary/validation.csv)",
                  box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False, show_edge=False)
    for column in ("metric", "figures", "MAPE %", "inside 90% band"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for row in metrics.to_dict("records"):
        table.add_row(str(row["metric"]), str(row["n"]), f"{100 * row['mape']:.1f}",
                      f"{100 * row['inside_90_share']:.0f}%")
    console.print(table)


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
def compare(scenario: str, variants: str | None, at: tuple[str, ...],
            until_halfwidth: float | None, outcome: str, stop_on: str,
            max_replications: int | None, replications: int | None, seed: int | None,
            workers: int | None, dask: str | None, serial: bool, out: str | None,
            resume: bool, no_plots: bool, replace: bool) -> None:
    """Compare the variants of SCENARIO with the base (common random numbers, paired CIs)."""
    loaded = sim.load_scenario(scenario)
    names = [v.strip() for v in variants.split(",") if v.strip()] if variants else None
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
    _print_comparison(result)
    _wrote(result)


def _print_comparison(result: Any) -> None:
    """The headline comparison (mission ALL), target probabilities and the stopping outcome."""
    comp = result.read("summary/comparison")
    keep = (comp["mission"] == "ALL") & (
        (comp["category"] == "all")
        | (comp["outcome"].str.contains("women_share") & comp["category"].isin(["ipo", "fpu"]))
        | (comp["outcome"].str.contains("specialist") & (comp["category"] == "ipo")))
    comp = comp[keep]
    n = result.manifest["replications"]
    console.print(f"All missions: mean [95% CI] over {n} replications; Δ = variant − base, paired "
                  "by replication (common random numbers); shares in %; bold: CI excludes 0")
    for at, group in comp.groupby("at", sort=False):
        title = "over the whole run" if at == "horizon" else f"on {at}"
        table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
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
    targets = result.read("summary/targets.csv")
    if len(targets):
        ttable = Table(title="Probability of meeting each women's-share target by its date "
                       "[95% Wilson CI]", box=box.SIMPLE_HEAD, title_justify="left")
        for column in ("mission", "category", "target", *targets["variant"].unique()):
            named = column in ("mission", "category", "target")
            ttable.add_column(column, justify="left" if named else "right", no_wrap=not named,
                              overflow="fold")
        for (mission, category, when, share), group in targets.groupby(
                ["mission", "category", "target_date", "target_share"], sort=False):
            cells = [f"{100 * r['probability']:.0f}% [{100 * r['ci_low']:.0f}, "
                     f"{100 * r['ci_high']:.0f}]" for r in group.to_dict("records")]
            ttable.add_row(mission, category, f"{100 * share:.0f}% by {when}", *cells)
        console.print(ttable)
    stop = result.manifest.get("stopping")
    if stop:
        width = stop["history"][-1]["halfwidth"]
        verdict = "reached" if stop["met"] else "NOT reached (cap)"
        console.print(f"sequential stopping on {stop['outcome']} ({stop['mission']}/"
                      f"{stop['category']}, {stop['on']}): half-width {width:.4g} ≤ "
                      f"{stop['halfwidth_target']:g} {verdict} at {n} replications")


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
    from sim.experiments.sweep import DEFAULT_OUTCOMES

    loaded = sim.load_scenario(scenario)
    chosen = outcomes or DEFAULT_OUTCOMES
    folder = Path(out) if out else _default_out(loaded, "sweep")
    result = _experiment(f"{loaded.base.name}/sweep", folder, lambda progress: sim.sweep(
        loaded, list(params), design=design, points=points, replications=replications,
        seed=seed, variant=variant, outcomes=chosen, workers=workers,
        executor=_executor(serial, dask), out=folder, resume=resume, progress=progress))
    results = result.read("sweep/results")
    names = [p["path"] for p in result.manifest["parameters"]]
    short = [n.rsplit(".", 1)[-1] for n in names]
    headers = short if len(set(short)) == len(short) else names
    table = Table(title=f"{result.manifest['points']} points × {result.manifest['replications']} "
                  "replications: the points with the lowest and highest mean",
                  box=box.SIMPLE_HEAD, title_justify="left")
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
        stable = Table(title="Sobol indices [95% bootstrap CI]: S1 first order, ST total",
                       box=box.SIMPLE_HEAD, title_justify="left")
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
def history(mission: str | None, contributor: str | None, category: str | None,
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
        table = Table(title=f"UN police deployed — {who} ({what}); women %: the women's share "
                      "of the count to its left", box=box.SIMPLE_HEAD, title_justify="left",
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
