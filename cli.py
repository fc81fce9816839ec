"""The ``ppsim`` command line: a thin layer over the :mod:`sim` library.

Parsing, progress bars, logging and formatting live here; the library returns data and raises
:class:`sim.errors.PpsimError`, which :class:`PpsimGroup` turns into a one-paragraph message and the
error's exit code, in one place (``--debug`` shows the traceback instead).
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click
from rich.console import Console

import sim
from sim.errors import PpsimError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


class PpsimGroup(click.Group):
    """A click group that reports library errors without a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; print a clean message and exit non-zero on a ppsim error."""
        try:
            return super().invoke(ctx)
        except PpsimError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            err_console.print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err_console.print("interrupted: finished tasks are kept; rerun with --resume to go on")
            sys.exit(130)


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
        f"variants: {', '.join(loaded.variants) or 'none'}"
    )


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors' autocompletion)."""
    click.echo(json.dumps(sim.scenario.schema_json(), indent=2, default=str))


if __name__ == "__main__":
    main()
