"""One catalog of what ppsim reports: outcomes (label, unit, better direction) and figures.

Every list of outcome names that the CLI, the engine, sweeps, figures and the report use is
read from here, so a new outcome is described once. The catalog imports nothing heavy, so the
command line can build its options from it without importing pandas or matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
