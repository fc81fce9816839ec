"""One catalog of what ppsim reports: outcomes (label, unit, better direction) and figures.

Every list of outcome names that the CLI, the engine, sweeps, figures and the report use is
read from here, so a new outcome is described once. The catalog imports nothing heavy, so the
command line can build its options from it without importing pandas or matplotlib.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Better = Literal["higher", "lower", "neither"]


@dataclass(frozen=True)
class Outcome:
    """A scalar outcome of a replication (a row of the ``outcomes`` table).

    Attributes:
        name: the stable name in tables (``outcomes.outcome``).
        label: what a person reads.
        unit: ``officers``, ``share`` (0–1, shown as %), ``days``, ``unit-days``,
            ``officer-months``, ``cases`` or ``USD``.
        better: which direction is an improvement for a planner (``neither`` for sizes and
            costs, whose desirability depends on the question).
    """

    name: str
    label: str
    unit: str
    better: Better

    @property
    def is_share(self) -> bool:
        """Whether values are shares (0–1) shown as percentages."""
        return self.unit == "share"


OUTCOMES: dict[str, Outcome] = {o.name: o for o in (
    Outcome("mean_deployed", "police deployed (mean)", "officers", "higher"),
    Outcome("mean_vacancy_rate", "vacancy rate (mean)", "share", "lower"),
    Outcome("final_deployed", "police deployed (final month)", "officers", "higher"),
    Outcome("final_women_share", "women's share (final month)", "share", "higher"),
    Outcome("median_time_to_deploy", "days from vacancy to deployment (median)", "days",
            "lower"),
    Outcome("p90_time_to_deploy", "days from vacancy to deployment (90th percentile)", "days",
            "lower"),
    Outcome("unit_gap_days", "formed-unit rotation gaps", "unit-days", "lower"),
    Outcome("officer_months", "officer-months served", "officer-months", "neither"),
    Outcome("cost", "cost", "USD", "neither"),
    Outcome("mean_specialist_coverage", "specialist posts filled (mean)", "share", "higher"),
    Outcome("cases_cleared", "cases cleared (whole run)", "cases", "higher"),
    Outcome("case_backlog", "cases waiting for a slot (monthly mean)", "cases", "lower"),
    Outcome("cost_per_case_cleared", "casework cost per case cleared", "USD", "lower"),
)}
"""Scalar outcomes of a replication, in table order (``docs/outputs.md``)."""

DATED_OUTCOMES: dict[str, Outcome] = {o.name: o for o in (
    Outcome("deployed", "police deployed", "officers", "higher"),
    Outcome("vacancy_rate", "vacancy rate", "share", "lower"),
    Outcome("women_share", "women's share", "share", "higher"),
    Outcome("specialist_coverage", "specialist posts filled", "share", "higher"),
    Outcome("mean_time_to_deploy", "days from vacancy to deployment (mean so far)", "days",
            "lower"),
    Outcome("unit_gap_days", "formed-unit rotation gaps (so far)", "unit-days", "lower"),
)}
"""Monthly metrics compared at chosen dates (``compare --at``)."""

HEADLINE = ("mean_deployed", "final_deployed", "mean_vacancy_rate", "final_women_share",
            "mean_specialist_coverage", "median_time_to_deploy", "unit_gap_days",
            "cases_cleared", "case_backlog", "cost_per_case_cleared")
"""Headline outcomes of a comparison at the horizon, in the order tables show them (the
casework outcomes appear only for scenarios with casework)."""

FOREST: tuple[tuple[str, str], ...] = (
    ("mean_deployed", "all"), ("mean_vacancy_rate", "ipo"), ("final_women_share", "ipo"),
    ("final_women_share", "fpu"), ("mean_specialist_coverage", "ipo"),
    ("median_time_to_deploy", "ipo"), ("unit_gap_days", "fpu"),
    ("cases_cleared", "all"), ("case_backlog", "all"),
)
"""Panels of the ``differences`` figure: (outcome, category); labels, units and the better
direction come from :data:`OUTCOMES`."""

CATEGORY_SHORT = {"ipo": "IPO", "fpu": "FPU", "spt": "SPT", "all": "all police"}
"""Short category names for labels."""


def better_phrase(name: str) -> str:
    """``higher is better`` / ``lower is better`` / ``''`` for an outcome, from the catalog."""
    better = outcome(name).better
    return "" if better == "neither" else f"{better} is better"


SWEEP_DEFAULTS = ("mean_deployed", "mean_vacancy_rate", "final_women_share")
"""Outcomes a sweep reports unless told otherwise."""

FIGURES = ("deployed", "women_share", "specialist_coverage", "time_to_deploy", "pipeline_flow",
           "contributors", "casework", "differences", "events")
"""Every standard figure by its stable name (drawn by :mod:`sim.outputs.plots`)."""

FORMATS = ("png", "svg", "pdf")
"""File formats figures can be saved in."""


def outcome(name: str) -> Outcome:
    """The catalog entry of a scalar or dated outcome (``KeyError`` if unknown)."""
    return OUTCOMES[name] if name in OUTCOMES else DATED_OUTCOMES[name]


def describe(name: str) -> Outcome:
    """The catalog entry of an outcome, or a plain one for an outcome not registered here.

    A run folder made with a custom outcome can be read (report, figures) in a session that
    has not registered it: the name then stands for the label, and no direction is better.
    """
    try:
        return outcome(name)
    except KeyError:
        return Outcome(name, name.replace("_", " "), "", "neither")


OutcomeFunction = Callable[[dict[str, Any]], Any]
"""``compute(tables) -> DataFrame`` with columns ``mission``, ``category``, ``value``."""

CUSTOM: dict[str, OutcomeFunction] = {}
"""The compute functions of registered custom outcomes, by outcome name (registration order)."""


def register_outcome(entry: Outcome, compute: OutcomeFunction) -> Outcome:
    """Add a custom scalar outcome that every later run, comparison and sweep computes.

    ``compute(tables)`` receives one replication's tables (``docs/outputs.md``; a dict of
    pandas DataFrames, with ``officers`` when the officer log is on) and returns a DataFrame
    with columns ``mission`` (a mission's name or ``ALL``), ``category`` (``ipo``, ``fpu``,
    ``spt`` or ``all``) and ``value``; its rows join the ``outcomes`` table under
    ``entry.name``. The outcome then appears in ``RunResult.outcomes``, in a comparison's
    headline outcomes (``summary/comparison``, the report's findings) and can be named in a
    sweep's ``outcomes``.

    It runs in the worker, after the simulation: with worker processes (the default executor)
    ``compute`` must be a module-level function of an importable module (it is pickled by
    reference), and that module should register it on import so workers and later sessions
    know the outcome; a lambda or a notebook function works with ``executor="serial"`` or Dask.
    Registering the same name again replaces the earlier entry.

    Raises:
        ValueError: ``entry.name`` is a built-in outcome.
    """
    builtin = entry.name in DATED_OUTCOMES or (entry.name in OUTCOMES
                                               and entry.name not in CUSTOM)
    if builtin:
        raise ValueError(f"register_outcome: {entry.name!r} is a built-in outcome; "
                         "choose another name")
    OUTCOMES[entry.name] = entry
    CUSTOM[entry.name] = compute
    return entry


def unregister_outcome(name: str) -> None:
    """Remove a custom outcome registered with :func:`register_outcome` (no-op if absent)."""
    if CUSTOM.pop(name, None) is not None:
        OUTCOMES.pop(name, None)


def headline() -> tuple[str, ...]:
    """Headline outcomes of a comparison: :data:`HEADLINE`, then the registered custom ones."""
    return (*HEADLINE, *CUSTOM)


def computations() -> tuple[tuple[str, OutcomeFunction], ...]:
    """The registered custom outcomes' ``(name, compute)`` pairs, for the workers."""
    return tuple(CUSTOM.items())
