"""Scenario files: their schema, validation, variants and key paths.

A scenario file (YAML) holds a *base* (run settings, skills, pipeline, contributors, missions,
policies, observed history) and named *variants*, each a set of overrides of the base by key
path plus extra policies. :func:`load_scenario` validates the base and every variant once, at
the edge, into frozen objects; nothing downstream reads raw dictionaries or applies defaults.
Variants are built by re-validating merged data, never by mutating a validated object.

Key paths (``pipeline.assessment.teams``, ``contributors.Bangladesh.pass_rate``) are in
:mod:`sim.scenario.keypaths`.

Units: time in days unless a field says months or years; shares in [0, 1]; counts of officers.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.errors import ParameterError, ScenarioError, VariantError, unknown_message
from sim.scenario.casework import Casework, casework_problems
from sim.scenario.events import EVENT_TYPES, ScenarioEvent, check_events
from sim.scenario.keypaths import (
    apply_overrides,
    copy_tree,
    get_path,
    match_key,
    model_in,
    set_path,
    use_schema,
)
from sim.scenario.levers import (
    LEVERS,
    RETIRED,
    InterpolConnectivity,
    InterpolInvestigativeSupport,
    Lever,
    Policy,
)
from sim.scenario.types import SECTION, Count, Real, Seed, shares
from sim.scenario.uncertainty import Uncertainty, check_uncertainties

Category = Literal["ipo", "fpu"]

MAX_POLICE = 10**8
"""Largest national police strength or ceiling (the largest national forces are ~2–3 million)."""

MAX_POSTS = 100_000
"""Most individual-officer posts (or serving officers) of one mission at any time."""

MAX_UNITS = 1_000
"""Most formed police units of one mission at any time."""

_S = TypeVar("_S", bound="Scenario")
BASE = "base"


def estimate(text: str) -> dict[str, Any]:
    """A field's ``json_schema_extra``: how to estimate it (shown in ``docs/scenarios.md``)."""
    return {"estimate": text}


class Model(BaseModel):
    """Base of every scenario section (:data:`~sim.scenario.types.SECTION`).

    Validators are built when a scenario is first validated, and sections' defaults are
    written with ``model_construct`` (no validation), so that importing the schema builds none:
    a worker receives validated scenarios and never needs them (~45 ms of its start).
    ``tests/test_startup.py`` checks that each default equals its validated self.
    """

    model_config = SECTION


class Delay(Model):
    """A random delay: gamma distributed with a mean and a coefficient of variation."""

    mean_days: Real = Field(..., gt=0, le=3650, description="Mean delay (days).")
    cv: Real = Field(
        0.5, ge=0, le=3, description="Coefficient of variation (sd / mean); 0 means fixed."
    )


class RunSettings(Model):
    """When the simulation starts, how long it runs, and its randomness."""

    start: date = Field(..., description="First day of the simulation (ISO date).")
    years: Real = Field(10, gt=0, le=50, description="Horizon (years).")
    seed: Seed = Field(20250101, ge=0, description="Root seed of all random streams.")
    replications: Count = Field(
        20, ge=1, le=100000, description="Default replications.",
        json_schema_extra=estimate(
            "Enough that the CI half-width of the outcome you report is small enough: use compare"
            " --until-halfwidth."),
    )
    warmup_years: Real = Field(
        0, ge=0, le=20,
        description="Years simulated before the start, with the start's posts and standing "
        "policies and the initial staffing placed at the warm-up's beginning, so that "
        "replacements are already under way at the start (not reported). 0 places the initial "
        "staffing at the start with an empty pipeline.",
        json_schema_extra=estimate(
            "1 year lets replacements of the officers serving at the start get under way; compare"
            " runs with 0 and 1."),
    )
    warmup_fill: Literal["authorized", "initial"] = Field(
        "authorized",
        description="What the warm-up staffs missions toward: their authorized strength at the "
        "start ('authorized'), or only their initial staffing ('initial': replacements are "
        "under way at the start, but no post beyond the initial state is filled before it; "
        "the rest of the authorized strength opens as vacancies on the start day).",
    )
    seed_pipeline: bool = Field(
        False,
        description="Start with the replacements that would already be under way: for every "
        "officer whose tour ends within the replacement lead, a replacement already selected "
        "and travelling (arriving at the handover), and for every unit whose tour ends within "
        "the rotation lead, its replacement generated as if requested on time. Keeps the "
        "initial staffing at the start (month 0 = the initial state) without the start-up dip "
        "of an empty pipeline; use with warmup_years 0.",
    )

    @model_validator(mode="after")
    def _one_start(self) -> RunSettings:
        if self.seed_pipeline and self.warmup_years > 0:
            raise ValueError(
                f"seed_pipeline: got true with warmup_years {self.warmup_years:g}; a seeded "
                "pipeline starts from the initial state at the start, so warmup_years must be 0 "
                "(or seed_pipeline false)")
        return self


class Assessment(Model):
    """Assessment for mission service (selection assessment teams of limited capacity)."""

    teams: Count = Field(
        4, ge=0, le=1000, description="Assessment teams working at once.",
        json_schema_extra=estimate(
            "Selection assessment teams (SAATs) that can be in the field at once, from the police"
            " division's assessment schedule."),
    )
    candidates_per_team_month: Real = Field(
        40, gt=0, le=10000, description="Candidates one team assesses per month.",
        json_schema_extra=estimate(
            "Candidates a team assesses per visit ÷ the visit's length in months, from assessment"
            " records."),
    )
    language_pass_factor: Real = Field(
        0.5,
        ge=0,
        le=1,
        description="Multiplier on the pass rate of nominees who speak no working language "
        "of the mission.",
        json_schema_extra=estimate(
            "Pass rate of nominees without a working language of the mission ÷ pass rate of those"
            " with one, from assessment results."),
    )


class UnitPipeline(Model):
    """Generation, assessment and rotation of formed police units."""

    generation_delay: Delay = Field(
        Delay.model_construct(mean_days=120.0, cv=0.4),
        description="From request to a unit ready for assessment.",
        json_schema_extra=estimate(
            "Days from a request for a unit to its pre-deployment visit, from force-generation "
            "records (mean and spread)."),
    )
    remedial_delay_days: Real = Field(
        60, ge=0, le=730, description="Extra preparation after a failed pre-deployment visit."
    )
    travel_delay: Delay = Field(
        Delay.model_construct(mean_days=45.0, cv=0.4),
        description="From passing assessment to arrival."
    )
    rotation_lead_days: Real = Field(
        180, ge=0, le=730, description="Days before an outgoing unit's end that its "
        "replacement is requested.",
        json_schema_extra=estimate(
            "How long before a unit's tour ends its replacement is requested (the force-"
            "generation calendar)."),
    )
    tour_months: Real = Field(
        12, gt=0, le=36, description="Length of a unit's tour (months).",
        json_schema_extra=estimate(
            "Unit tour length in the memoranda of understanding (usually 12 months)."),
    )
    rotate_in_kind: bool = Field(
        False, description="A rotation's replacement unit comes from the outgoing unit's "
        "contributor whenever it can field one (contingents rotate within the country); "
        "otherwise, and always when false, any contributor with a free unit is asked.",
        json_schema_extra=estimate(
            "Whether a mission's units are relieved by the same country's next contingent (the "
            "usual practice under a memorandum of understanding)."),
    )


class TeamPipeline(Model):
    """Generation of specialized police teams."""

    generation_delay: Delay = Field(
        Delay.model_construct(mean_days=90.0, cv=0.4),
        description="From request to a team's arrival."
    )


class Pipeline(Model):
    """The deployment pipeline's parameters shared by all contributors and missions."""

    call_interval_days: Real = Field(
        30, gt=0, le=365, description="Days between calls for individual officers.",
        json_schema_extra=estimate(
            "The cadence of calls for individual officers (ask the recruitment section); 30 if "
            "unknown."),
    )
    overbooking: Real = Field(
        1.5, ge=1, le=10, description="Nominations requested per open post (allows for failures).",
        json_schema_extra=estimate(
            "Nominations received per post filled in the recent record (nominations ÷ "
            "selections)."),
    )
    replacement_lead_days: Real = Field(
        90, ge=0, le=730, description="Posts emptying within this many days are called for.",
        json_schema_extra=estimate(
            "How far ahead of a rotation the replacement is called for, from the recruitment "
            "calendar."),
    )
    nomination_delay: Delay = Field(
        Delay.model_construct(mean_days=60.0, cv=0.5),
        description="From call to nomination (default).",
        json_schema_extra=estimate(
            "Days from a call to a nomination in recruitment records: their mean, and sd ÷ mean "
            "as cv."),
    )
    travel_delay: Delay = Field(
        Delay.model_construct(mean_days=45.0, cv=0.5),
        description="From selection to arrival (default).",
        json_schema_extra=estimate(
            "Days from selection to arrival (visa, medical clearance, travel) in deployment "
            "records."),
    )
    cool_down_days: Real = Field(
        365, ge=0, le=3650, description="Days after return before an officer can go again.",
        json_schema_extra=estimate(
            "Contributors' rules on time at home between UN tours."),
    )
    roster_expiry_days: Real = Field(
        180, ge=0, le=1825, description="Days a passed, unselected candidate stays available.",
        json_schema_extra=estimate(
            "How long an assessment pass stays valid for selection (see docs/sources.md)."),
    )
    hardship_sensitivity: Real = Field(
        0.5, ge=0, le=1, description="How much a mission's hardship lowers nomination propensity.",
        json_schema_extra=estimate(
            "Propensity is multiplied by 1 − sensitivity × hardship: calibrate so that the "
            "hardest missions' nomination shortfall matches the record."),
    )
    quota_compliance: Real = Field(
        1.0, ge=0, le=1,
        description="Share of the gap between a contributor's women's share and a nomination "
        "quota that its nominations close (1 = quotas are met in full, as far as the pool "
        "allows; 0 = quotas are ignored).",
        json_schema_extra=estimate(
            "Women's share of nominees before and after a quota, by contributor; no published "
            "figure (the baseline assumes 0.5)."),
    )
    assessment: Assessment = Field(
        Assessment.model_construct(), description="Assessment for mission service.")
    units: UnitPipeline = Field(
        UnitPipeline.model_construct(), description="Formed police units.")
    teams: TeamPipeline = Field(
        TeamPipeline.model_construct(), description="Specialized police teams.")


class ContributorProfile(Model):
    """A member state's police: its pools, willingness and lead times."""

    police_strength: Count = Field(
        ..., ge=0, le=MAX_POLICE, description="National police strength (officers).",
        json_schema_extra=estimate(
            "National police strength as published by the member state (or its INTERPOL country "
            "profile)."),
    )
    women_share: Real = Field(
        ..., ge=0, le=1, description="Women's share of national police.",
        json_schema_extra=estimate(
            "Women among national police, from national statistics."),
    )
    pool_women_share: Real | None = Field(
        None, ge=0, le=1,
        description="Women's share of the eligible pool (officers available for UN service); "
        "empty = the national women_share.",
        json_schema_extra=estimate(
            "Women among officers nominated in the record; leave empty to use women_share."),
    )
    pool_women_steps: dict[date, Real] = Field(
        default_factory=dict,
        description="Later women's shares of the eligible pool, each from its date: "
        "{date: share} (e.g. after a drive to nominate more women); empty = pool_women_share "
        "(or women_share) throughout.",
        json_schema_extra=estimate(
            "Women among the individual officers it deployed in the record before and after "
            "the change, as for pool_women_share; date the step by the policy that caused it."),
    )
    eligible_share: Real = Field(
        0.01, ge=0, le=1, description="Share of national police eligible and available for UN "
        "service (the pool).",
        json_schema_extra=estimate(
            "Calibrate (ppsim calibrate) so the contributor's simulated deployments match its "
            "record; start from officers who have served with the UN ÷ police_strength."),
    )
    skills: dict[str, Real] = Field(
        default_factory=dict, description="Share of the pool holding each specialist skill.",
        json_schema_extra=estimate(
            "Share of the pool trained in each skill (national training records); otherwise a "
            "small assumption checked with a sweep."),
    )
    languages: list[str] = Field(
        default_factory=lambda: ["en"], description="Languages its officers work in (ISO 639-1).",
        json_schema_extra=estimate(
            "Official languages and the languages its police are trained to work in."),
    )
    ceiling: Count | None = Field(
        None, ge=0, le=MAX_POLICE,
        description="Most officers abroad in UN service at once; empty means none.",
        json_schema_extra=estimate(
            "A national cap on officers abroad (law or cabinet decision); empty if none."),
    )
    ipo_propensity: Real = Field(
        0.5, ge=0, le=1, description="Probability a requested individual nomination is answered.",
        json_schema_extra=estimate(
            "Share of calls it answers with a nomination in recruitment records; then calibrate "
            "to its deployments."),
    )
    fpu_capacity: Count = Field(
        0, ge=0, le=100, description="Formed units it can field at once.",
        json_schema_extra=estimate(
            "Most units it has fielded at once, plus pledges it has registered."),
    )
    fpu_max_deployed: Count | None = Field(
        None, ge=0, le=100,
        description="Most unit posts it holds at once (units serving or on their way to a post "
        "not already its own); a rotation of its own unit does not count. Empty = no limit "
        "beyond fpu_capacity.",
        json_schema_extra=estimate(
            "Units it fields at the as-of date (the UN's contributions by mission), plus a small "
            "headroom for pledges (from-data: +25 %, rounded down)."),
    )
    fpu_women_share: Real = Field(
        0.1, ge=0, le=1, description="Women's share of its units.",
        json_schema_extra=estimate(
            "Women in its formed units in the UN's gender statistics by contributor."),
    )
    fpu_unit_size: Count = Field(
        140, ge=1, le=400, description="Officers per formed unit.",
        json_schema_extra=estimate(
            "Officers per unit it deploys (its memorandum of understanding); the mission's "
            "fpu_unit_size is the authorized size per unit, used for posts."),
    )
    pass_rate: Real = Field(
        0.7, ge=0, le=1, description="Probability a nominee passes assessment for mission service.",
        json_schema_extra=estimate(
            "Passed ÷ assessed for its nominees in assessment results."),
    )
    fpu_pass_rate: Real = Field(
        0.9, ge=0, le=1, description="Probability a unit passes its pre-deployment assessment.",
        json_schema_extra=estimate(
            "Its units passing the first pre-deployment visit ÷ visits."),
    )
    nomination_delay: Delay | None = Field(None, description="Overrides the pipeline's default.")
    travel_delay: Delay | None = Field(None, description="Overrides the pipeline's default.")
    tour_months: Real = Field(
        12, gt=0, le=48, description="Individual officers' tour (months).",
        json_schema_extra=estimate(
            "Its tour length for individual officers (six or twelve months are usual)."),
    )
    extension_probability: Real = Field(
        0.2, ge=0, le=1, description="Probability an officer extends at tour end.",
        json_schema_extra=estimate(
            "Share of its officers extended at tour end in deployment records."),
    )
    extension_months: Real = Field(
        6, gt=0, le=24, description="Length of an extension (months).",
        json_schema_extra=estimate(
            "Length of the extensions it grants."),
    )

    @field_validator("pool_women_steps")
    @classmethod
    def _women_steps(cls, value: dict[date, Real]) -> dict[date, Real]:
        return shares(value)

    @field_validator("skills")
    @classmethod
    def _skills_sum(cls, value: dict[str, Real]) -> dict[str, Real]:
        for name, share in value.items():
            if not 0 <= share <= 1:
                raise ValueError(f"share of {name!r} must be in [0, 1] (got {share})")
        if sum(value.values()) > 1 + 1e-9:
            raise ValueError(f"skill shares must sum to at most 1 (got {sum(value.values()):g})")
        return value


class Contributor(ContributorProfile):
    """A member state contributing police, with its name and when it takes part."""

    name: str = Field(..., min_length=1, pattern=r"^[^.]+$", description="Unique name (no dots).")
    joins: date | None = Field(None, description="First day it contributes; empty = from start.")
    leaves: date | None = Field(None, description="Last day it contributes; empty = never.")
    missions: list[str] | None = Field(
        None, description="Missions it sends individual officers and formed units to (e.g. the "
        "missions it serves in the observed record); empty = any mission.",
    )


class SpecializedTeam(Model):
    """A specialized police team for a mission's project, for a fixed period."""

    skill: str = Field(..., description="The team's specialist skill.")
    size: Count = Field(8, ge=1, le=60, description="Officers in the team.")
    start: date = Field(..., description="Date the project asks for the team.")
    months: Real = Field(12, gt=0, le=60, description="How long the team serves (months).")
    contributor: str | None = Field(None, description="Contributor asked; empty = best placed.")


class InitialContribution(Model):
    """One contributor's officers and units serving in a mission at the start (as observed)."""

    ipo: Count = Field(0, ge=0, description="Its individual officers serving.")
    ipo_women: Count = Field(0, ge=0, description="Women among them.")
    fpu_units: Count = Field(0, ge=0, description="Its formed units serving.")
    fpu_officers: Count | None = Field(
        None, ge=0, description="Officers in those units, shared evenly among them; empty = "
        "units × the contributor's fpu_unit_size.",
    )
    fpu_women: Count | None = Field(
        None, ge=0, description="Women in those units, shared evenly among them; empty = drawn "
        "from the contributor's fpu_women_share.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> InitialContribution:
        if self.ipo_women > self.ipo:
            raise ValueError(f"ipo_women: got {self.ipo_women}, must be ≤ ipo ({self.ipo})")
        officers = self.fpu_officers
        if officers is not None and not self.fpu_units <= officers <= 400 * self.fpu_units:
            raise ValueError(f"fpu_officers: got {officers}, must be between fpu_units and 400 "
                             f"× fpu_units ({self.fpu_units} units)")
        if self.fpu_women is not None and self.fpu_women > (officers if officers is not None
                                                            else 400 * self.fpu_units):
            raise ValueError(f"fpu_women: got {self.fpu_women}, must be ≤ fpu_officers")
        return self


class InitialStaffing(Model):
    """Officers already serving at the run's start (a present-day picture)."""

    ipo: Count = Field(0, ge=0, le=MAX_POSTS,
                       description="Individual officers serving (at most the peak ipo_posts).")
    ipo_women_share: Real = Field(0.2, ge=0, le=1, description="Their women's share.")
    fpu_units: Count = Field(0, ge=0, le=MAX_UNITS,
                             description="Formed units serving (at most the peak fpu_units).")
    specialists: dict[str, Count] = Field(
        default_factory=dict, description="Serving individual officers with each skill."
    )
    by_contributor: dict[str, InitialContribution] = Field(
        default_factory=dict,
        description="Who they are, by contributor (e.g. from the observed record); empty = "
        "officers and units are placed among contributors by weight. When given, ipo and "
        "fpu_units must equal its sums and ipo_women_share its women's share.",
    )

    @model_validator(mode="after")
    def _sums(self) -> InitialStaffing:
        if not self.by_contributor:
            return self
        entries = self.by_contributor.values()
        ipo = sum(e.ipo for e in entries)
        units = sum(e.fpu_units for e in entries)
        women = sum(e.ipo_women for e in entries)
        if ipo != self.ipo:
            raise ValueError(f"ipo: got {self.ipo}, must equal the sum over by_contributor "
                             f"({ipo})")
        if units != self.fpu_units:
            raise ValueError(f"fpu_units: got {self.fpu_units}, must equal the sum over "
                             f"by_contributor ({units})")
        if ipo and abs(self.ipo_women_share - women / ipo) > 0.005:
            raise ValueError(f"ipo_women_share: got {self.ipo_women_share}, must be the women's "
                             f"share over by_contributor ({women}/{ipo} = {women / ipo:.4f})")
        return self


class Mission(Model):
    """A peace operation with a police component."""

    name: str = Field(..., min_length=1, pattern=r"^[^.]+$", description="Unique name (no dots).")
    start: date = Field(..., description="Mandate start (may be before the run's start).")
    end: date | None = Field(None, description="Mandate end; empty means open-ended.")
    languages: list[str] = Field(
        default_factory=lambda: ["en"], description="Working languages (ISO 639-1)."
    )
    hardship: Real = Field(
        0.5, ge=0, le=1, description="Hardship (0 easy … 1 hardest).",
        json_schema_extra=estimate(
            "The duty station's hardship classification (A … E) mapped to 0 … 1 (E = 1), adjusted"
            " for security."),
    )
    early_repatriation_rate: Real = Field(
        0.02, ge=0, le=5, description="Early repatriations per officer-year.",
        json_schema_extra=estimate(
            "Early repatriations (medical, disciplinary, security) per officer-year in the "
            "mission's record."),
    )
    ipo_posts: dict[date, Count] = Field(
        default_factory=dict,
        description="Authorized individual officers: a schedule of steps {date: posts}.",
        json_schema_extra=estimate(
            "The Security Council resolution's ceiling of individual police, a step at each "
            "resolution's date."),
    )
    fpu_units: dict[date, Count] = Field(
        default_factory=dict, description="Authorized formed units: a schedule {date: units}.",
        json_schema_extra=estimate(
            "The resolution's FPU personnel ÷ fpu_unit_size, a step at each resolution's date."),
    )
    fpu_unit_size: Count = Field(
        140, ge=1, le=400, description="Authorized officers per unit.",
        json_schema_extra=estimate(
            "Authorized FPU personnel ÷ units (e.g. 2,420 ÷ 15 ≈ 161); sets posts, while each "
            "contributor's fpu_unit_size sets who arrives."),
    )
    specialist_posts: dict[str, Count] = Field(
        default_factory=dict, description="Individual posts coded for each skill (part of ipo).",
        json_schema_extra=estimate(
            "Coded posts in the mission's police staffing table, by skill."),
    )
    women_target: dict[Category, dict[date, Real]] = Field(
        default_factory=dict,
        description="Women's-share targets by category: {ipo|fpu: {date: share}}.",
        json_schema_extra=estimate(
            "The Uniformed Gender Parity Strategy's targets for the category, by date."),
    )
    teams: list[SpecializedTeam] = Field(default_factory=list, description="Team projects.")
    initial: InitialStaffing = Field(
        InitialStaffing.model_construct(), description="Officers serving at start.",
        json_schema_extra=estimate(
            "The latest strength report of the mission's police component."),
    )
    drawdown_months: Real = Field(
        0, ge=0, le=24,
        description="Months over which the officers and units above a cut in the authorized "
        "strength (a lower step) leave, in weekly batches, the last arrivals first; 0 = at "
        "once on the step's date. Not applied at the mission's end date.",
    )
    hands_over_to: str | None = Field(
        None, description="Successor mission: on this mission's end date its serving individual "
        "officers move there (up to the successor's open posts, longest remaining tours first) "
        "and finish their tours, instead of going home (e.g. UNMIS to UNMISS); empty = nobody "
        "is carried over.",
    )

    @field_validator("ipo_posts", "specialist_posts")
    @classmethod
    def _posts(cls, value: dict[Any, Count]) -> dict[Any, Count]:
        return _counts_within(value, MAX_POSTS)

    @field_validator("fpu_units")
    @classmethod
    def _units(cls, value: dict[date, Count]) -> dict[date, Count]:
        return _counts_within(value, MAX_UNITS)

    @field_validator("women_target")
    @classmethod
    def _shares(cls, value: dict[str, dict[date, Real]]) -> dict[str, dict[date, Real]]:
        for category, steps in value.items():
            shares(steps, f"{category}.")
        return value


def _counts_within(value: dict[Any, int], most: int) -> dict[Any, int]:
    """Check every count of a schedule or a by-skill mapping is in ``[0, most]``."""
    for key, count in value.items():
        if count < 0:
            raise ValueError(f"{key}: got {count}, must be ≥ 0")
        if count > most:
            raise ValueError(f"{key}: got {count}, must be ≤ {most:,}")
    return value


class Costs(Model):
    """Cost rates used to price officer-months (US dollars); zero means not priced."""

    ipo_officer_month: Real = Field(0, ge=0, description="Per individual officer-month (USD).")
    fpu_officer_month: Real = Field(0, ge=0, description="Per formed-unit officer-month (USD).")
    spt_officer_month: Real = Field(0, ge=0, description="Per team officer-month (USD).")


class Observation(Model):
    """A published figure the model can be checked against (historical view)."""

    date: dt.date = Field(..., description="Date the figure refers to (ISO date).")
    mission: str = Field("ALL", description="Mission name or ALL.")
    category: Literal["ipo", "fpu", "all"] = Field("all", description="Category of police.")
    metric: Literal["deployed", "women_share", "authorized"] = Field(
        "deployed", description="What was measured (officers, or a share in [0, 1]).")
    value: Real = Field(..., ge=0, description="The published value.")
    source: str = Field("", description="Where the figure is published.")


class Calibration(Model):
    """Which observed months a scenario's parameters were fitted on, and how (for the report)."""

    until: str = Field(..., pattern=r"^\d{4}-\d{2}$",
                       description="Last month of the record used in the fit (YYYY-MM).")
    since: str | None = Field(None, pattern=r"^\d{4}-\d{2}$",
                              description="First month used (YYYY-MM); empty = the run's start.")
    command: str = Field("", description="The ppsim calibrate command that produced the values.")
    note: str = Field("", description="What was fitted and how well.")


class Scenario(Model):
    """A resolved scenario: everything one simulation needs, validated and frozen."""

    name: str = Field(..., min_length=1, description="Short name used in outputs and plots.")
    description: str = Field("", description="What the scenario represents; sources.")
    run: RunSettings = Field(..., description="Start, horizon, seed and replications.")
    skills: list[str] = Field(
        default_factory=lambda: ["investigation", "forensics", "sgbv", "organized_crime",
                                 "public_order"],
        description="Specialist skills the scenario tracks.",
    )
    pipeline: Pipeline = Field(
        Pipeline.model_construct(), description="Pipeline parameters.")
    costs: Costs = Field(
        Costs.model_construct(), description="Cost rates.")
    contributors: list[Contributor] = Field(
        ..., min_length=1, description="Member states contributing police.")
    missions: list[Mission] = Field(
        ..., min_length=1, description="Peace operations with police components.")
    policies: list[Policy] = Field(default_factory=list, description="Action-plan levers.")
    events: list[ScenarioEvent] = Field(
        default_factory=list, description="Dated shocks: cuts, entry limits, re-hatting, "
        "transfers, rotation freezes, closures (sim/scenario/events.py).")
    observed: list[Observation] = Field(default_factory=list, description="Published figures.")
    casework: Casework | None = Field(
        None, description="Transnational-crime casework worked by serving specialists "
        "(docs/model.md, Casework); empty means no casework is simulated.")
    uncertainties: list[Uncertainty] = Field(
        default_factory=list, description="Distributions over key paths, sampled per replication "
        "(sim.scenario.uncertainty).")
    calibration: Calibration | None = Field(
        None, description="The observed window the parameters were fitted on (for reports).")

    @property
    def months(self) -> int:
        """Whole months simulated: ``run.years × 12`` rounded (at least one)."""
        return max(round(self.run.years * 12), 1)

    @property
    def end(self) -> date:
        """First day after the run: ``months`` calendar months after the start."""
        return add_months(self.run.start, self.months)

    @property
    def warmup_days(self) -> float:
        """Days simulated before the start (``run.warmup_years`` × 365.25)."""
        return self.run.warmup_years * 365.25

    @property
    def horizon_days(self) -> float:
        """Length of the run in days (to the start of the month after the last one)."""
        return day_of(self.run.start, self.end)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new scenario with ``{key.path: value}`` applied, validated like a file.

        Key paths as in a variant's ``set:`` (``pipeline.assessment.teams``,
        ``contributors.Ghana.pass_rate``, ``missions.MINUSCA.ipo_posts.2027-11-15``).

        Raises:
            ParameterError: a path that does not exist; ScenarioError: a bad value, by path.
        """
        data = apply_overrides(self.model_dump(mode="json"), overrides, "with_overrides")
        return validate(data, "with_overrides", Scenario)


class Variant(Model):
    """Overrides of the base: other variants it builds on, values by key path, extra policies.

    A variant that ``extends`` others starts from the base with their ``set`` values and
    policies applied first (in the order listed, each one's own ``extends`` before it, a variant
    reached twice applied once), then its own. Cycles are refused.
    """

    description: str = Field("", description="What the variant asks.")
    extends: list[str] = Field(
        default_factory=list,
        description="Variants whose overrides and policies this one starts from, in order.",
    )
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="{key.path: new value}, e.g. pipeline.assessment.teams: 8 or "
        "missions.MINUSCA.ipo_posts: {2014-04-10: 600}.",
    )
    policies: list[Policy] = Field(
        default_factory=list, description="Levers added to the base's policies."
    )
    events: list[dict[str, Any]] = Field(
        default_factory=list, description="Events added to the base's events."
    )


use_schema(Scenario)


class ScenarioFile(Scenario):
    """The schema of a scenario file: a base scenario plus named variants."""

    variants: dict[str, Variant] = Field(default_factory=dict, description="Named variants.")


def add_months(start: date, months: int) -> date:
    """The date ``months`` calendar months after ``start`` (day of month capped at 28)."""
    year, month = divmod(start.month - 1 + months, 12)
    return date(start.year + year, month + 1, min(start.day, 28))


def day_of(start: date, when: date) -> float:
    """Simulation day of ``when`` (days since ``start``; negative before it)."""
    return float(when.toordinal() - start.toordinal())


# --- Loading and resolving -----------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario file: its base, each variant resolved, and where it came from."""

    path: str
    raw: dict[str, Any]
    base: Scenario
    variants: dict[str, Scenario] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """``base`` then the variant names in file order."""
        return [BASE, *self.variants]

    def with_overrides(self, overrides: Mapping[str, Any]) -> LoadedScenario:
        """The scenario file with ``{key.path: value}`` applied to its base, reloaded.

        Every variant is rebuilt on the changed base and validated again, so a notebook can
        change an assumption and compare variants as from an edited file.

        Raises:
            ParameterError: a path that does not exist; ScenarioError: a bad value, by path.
        """
        base = {k: v for k, v in self.raw.items() if k != "variants"}
        data = apply_overrides(base, overrides, "with_overrides")
        if "variants" in self.raw:
            data["variants"] = copy.deepcopy(self.raw["variants"])
        return load_scenario(data)

    def resolve(self, variant: str | None = BASE) -> Scenario:
        r"""The scenario of ``variant`` (``"base"`` or ``None`` for the base).

        Unknown names, and names that are not text, are :class:`VariantError`\ s that list the
        variants the file defines.
        """
        if variant is None or variant == BASE:
            return self.base
        if not isinstance(variant, str) or variant not in self.variants:
            raise VariantError(unknown_message("variant", str(variant), self.names, self.path))
        return self.variants[variant]


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a scenario file into a dict (:func:`sim.scenario.yamlfile.read_yaml`).

    PyYAML is imported here, on first use: a worker process, which is sent its scenarios
    already validated, never imports it (~8 ms of its start).
    """
    from sim.scenario.yamlfile import read_yaml as read

    return read(path)


def load_scenario(source: str | Path | Mapping[str, Any]) -> LoadedScenario:
    """Load and validate a scenario file (or a dict in the file's shape) and all its variants.

    Raises:
        ScenarioError: listing every problem as ``key.path: got VALUE, what is allowed``.
    """
    if isinstance(source, Mapping):
        file, raw = "<dict>", copy.deepcopy(dict(source))
    else:
        file, raw = str(source), read_yaml(source)
    base, spec = _validated_file(raw, file)
    base_raw = {k: v for k, v in raw.items() if k != "variants"}
    variants: dict[str, Scenario] = {}
    problems: list[str] = []
    raw_variants = raw.get("variants") or {}
    for name in spec:
        if name == BASE:
            problems.append(f"variants.{name}: the name 'base' is reserved for the base scenario")
            continue
        try:
            data = base_raw  # apply_overrides copies it: the chain always holds ``name``
            for step in variant_chain(name, spec):
                data = apply_overrides(data, spec[step].set, f"variants.{step}.set")
                written = raw_variants.get(step) or {}
                for section in ("policies", "events"):  # added to the base's, in chain order
                    extra = written.get(section) or []
                    if extra:
                        data[section] = [*(data.get(section) or []), *copy_tree(extra)]
            variants[name] = validate(data, file, Scenario, prefix=f"variants.{name}")
        except VariantError as exc:
            problems.append(str(exc))
        except ScenarioError as exc:
            problems.extend(exc.problems)
        except ParameterError as exc:
            problems.append(str(exc))
    if problems:
        raise ScenarioError(file, list(dict.fromkeys(problems)))
    return LoadedScenario(
        path=file,
        raw=raw,
        base=base,
        variants=variants,
        descriptions={BASE: base.description, **{n: v.description for n, v in spec.items()}},
    )


class _Variants(Model):
    """A file's ``variants`` section alone, which :func:`_validated_file` checks apart."""

    variants: dict[str, Variant] = Field(default_factory=dict)


def _validated_file(raw: dict[str, Any], file: str) -> tuple[Scenario, dict[str, Variant]]:
    """A file's base and its variants' specifications, validated as :class:`ScenarioFile`.

    The same problems, in the same order, as validating the file against :class:`ScenarioFile`
    (the base's fields, then ``variants``), then the base's references and uncertainties; but
    the base is validated once and no schema is built for :class:`ScenarioFile`, ~20 ms of
    ``ppsim check`` (the variants' own schema is a small one).

    Raises:
        ScenarioError: every problem, by key path.
    """
    problems: list[str] = []
    base: Scenario | None = None
    try:
        base = Scenario.model_validate({k: v for k, v in raw.items() if k != "variants"})
    except ValidationError as exc:
        problems += [_format_error(err, raw, "") for err in exc.errors()]
    variants: dict[str, Variant] = {}
    try:
        variants = _Variants.model_validate(
            {k: v for k, v in raw.items() if k == "variants"}).variants
    except ValidationError as exc:
        problems += [_format_error(err, raw, "") for err in exc.errors()]
    if problems or base is None:
        raise ScenarioError(file, problems)
    return _checked_further(base, file, ""), variants


def variant_chain(name: str, variants: Mapping[str, Variant],
                  trail: tuple[str, ...] = ()) -> list[str]:
    """The variants applied to build ``name``, in order, ending with ``name`` itself.

    Each variant's ``extends`` come first (depth first, in the order listed); a variant reached
    twice is applied once, at its first place.

    Raises:
        VariantError: an ``extends`` names an unknown variant (or ``base``), or the chain loops.
    """
    if name in trail:
        loop = " → ".join([*trail[trail.index(name):], name])
        raise VariantError(f"variants.{trail[-1]}.extends: cycle {loop}; a variant cannot "
                           "extend itself, directly or through others")
    order: list[str] = []
    for parent in variants[name].extends:
        if parent not in variants:
            where = f"variants.{name}.extends"
            raise VariantError(unknown_message("variant", parent, list(variants), where))
        for step in variant_chain(parent, variants, (*trail, name)):
            if step not in order:
                order.append(step)
    return [*order, name]


def validate(
    data: dict[str, Any], file: str, schema: type[_S], prefix: str = ""
) -> _S:
    """Validate ``data`` against ``schema`` and check cross-references; raise one ScenarioError."""
    try:
        scenario = schema.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(file, [_format_error(err, data, prefix) for err in exc.errors()]) \
            from None
    return _checked_further(scenario, file, prefix)


def _checked_further(scenario: _S, file: str, prefix: str) -> _S:
    """``scenario`` (valid by its schema) once its references and uncertainties are checked.

    Raises:
        ScenarioError: every problem, by key path (under ``prefix``).
    """
    problems = [f"{prefix + '.' if prefix else ''}{p}" for p in check_references(scenario)]
    if not problems and scenario.uncertainties:
        problems = [f"{prefix + '.' if prefix else ''}{p}" for p in check_uncertainties(
            scenario.model_dump(mode="json"), list(scenario.uncertainties),
            lambda d: _checked({k: v for k, v in d.items() if k != "variants"}, file, Scenario))]
    if problems:
        raise ScenarioError(file, problems)
    return scenario


def _checked(data: dict[str, Any], file: str, schema: type[_S]) -> _S:
    """``data`` validated with its references checked, without the uncertainty check."""
    try:
        scenario = schema.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(file, [_format_error(err, data, "") for err in exc.errors()]) \
            from None
    problems = check_references(scenario)
    if problems:
        raise ScenarioError(file, problems)
    return scenario


def _format_error(err: Any, data: Any, prefix: str) -> str:
    """``path: got VALUE, MESSAGE`` for one pydantic error, naming list entries by index."""
    loc = list(err["loc"])
    # Discriminated unions add the tag to the location (policies.0.assessment_capacity.teams).
    parts: list[str] = []
    node: Any = data
    for piece in loc:
        if isinstance(node, list) and isinstance(piece, int):
            parts.append(f"[{piece}]")
            node = node[piece] if piece < len(node) else None
        elif isinstance(node, dict):
            key = match_key(node, piece)
            if key is None and (piece in LEVERS or piece in EVENT_TYPES):
                continue
            parts.append(f".{piece}" if parts else str(piece))
            node = node.get(key) if key is not None else None
        else:
            parts.append(f".{piece}" if parts else str(piece))
            node = None
    path = "".join(parts) or "top level"
    if prefix:
        path = f"{prefix}.{path}" if path != "top level" else prefix
    kind = err["type"]
    msg = err["msg"]
    if kind == "missing":
        return f"{path}: missing required key"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(err, data)
        return f"{path}: unknown key{allowed}"
    if kind == "union_tag_invalid" and err["input"].get("lever") in RETIRED:
        tag = err["input"].get("lever")
        return f"{path}.lever: got {tag!r}, {RETIRED[tag]}"
    tag, tags = ("type", list(EVENT_TYPES)) if _in_events(loc) else ("lever", list(LEVERS))
    if kind == "union_tag_invalid":
        return f"{path}.{tag}: got {err['input'].get(tag)!r}, allowed: {', '.join(tags)}"
    if kind == "union_tag_not_found":
        return f"{path}: missing key {tag!r} (allowed: {', '.join(tags)})"
    value = err.get("input")
    shown = _shown(value)
    msg = msg.replace("Value error, ", "")
    return f"{path}: got {shown}, {msg[0].lower() + msg[1:]}"


def _in_events(loc: list[Any]) -> bool:
    """Whether a pydantic location is inside the ``events`` list (of a file or a variant)."""
    return "events" in loc[:3]


def _shown(value: Any, limit: int = 60) -> str:
    """A value as shown in a message: its repr, cut to ``limit`` characters."""
    if isinstance(value, dict | list):
        return type(value).__name__
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**limit:
        return f"a {len(str(abs(value)))}-digit number"
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 1]}…"


def _allowed_keys(err: Any, data: Any) -> str:
    """``; did you mean 'x'? (allowed: …)`` for an unknown key, from the schema's field names."""
    loc = list(err["loc"])
    schema: Any = ScenarioFile
    for piece in loc[:-1]:
        if isinstance(piece, int) or schema is None:
            continue
        if piece in EVENT_TYPES and _in_events(loc):
            schema = EVENT_TYPES[piece]
            continue
        if piece in LEVERS:
            schema = next(
                c for c in Lever.__subclasses__()
                if c.model_fields["lever"].annotation.__args__[0] == piece  # type: ignore
            )
            continue
        fld = getattr(schema, "model_fields", {}).get(piece)
        schema = model_in(fld.annotation) if fld is not None else None
    if schema is None or not hasattr(schema, "model_fields"):
        return ""
    names = list(schema.model_fields)
    guess = difflib.get_close_matches(str(loc[-1]), names, n=1)
    hint = f"; did you mean {guess[0]!r}?" if guess else ""
    return f"{hint} (allowed: {', '.join(names)})"


def check_references(s: Scenario) -> list[str]:
    """Problems with names that refer to something the scenario does not define."""
    missions = [m.name for m in s.missions]
    contributors = [c.name for c in s.contributors]
    problems = [*_duplicates("contributors", contributors), *_duplicates("missions", missions)]
    for i, c in enumerate(s.contributors):
        problems += _contributor_problems(i, c, list(s.skills))
    for i, m in enumerate(s.missions):
        problems += _mission_problems(i, m, list(s.skills), contributors)
        problems += _initial_above_posts(i, m, s.run.start)
        problems += _initial_references(s, i, contributors)
        if m.hands_over_to is not None:
            where = f"missions[{i}]"
            if m.hands_over_to not in missions or m.hands_over_to == m.name:
                problems.append(unknown_message("mission", m.hands_over_to,
                                                [n for n in missions if n != m.name],
                                                f"{where}.hands_over_to"))
            elif m.end is None:
                problems.append(f"{where}.hands_over_to: got {m.hands_over_to!r}, but the "
                                "mission has no end date to hand over on")
    for i, c in enumerate(s.contributors):
        problems += [unknown_message("mission", name, missions, f"contributors[{i}].missions")
                     for name in c.missions or [] if name not in missions]
    for i, lever in enumerate(s.policies):
        problems += _lever_problems(i, lever, list(s.skills), missions, contributors)
    problems += check_events(list(s.events), missions, contributors, (s.run.start, s.end))
    problems += _ceilings_priced(s)
    problems += _interpol_problems(s)
    if s.casework is not None:
        problems += casework_problems(s.casework, list(s.skills), missions)
    for i, obs in enumerate(s.observed):
        if obs.mission != "ALL" and obs.mission not in missions:
            problems.append(unknown_message("mission", obs.mission, [*missions, "ALL"],
                                            f"observed[{i}].mission"))
    return problems


def _ceilings_priced(s: Scenario) -> list[str]:
    """A budget ceiling needs cost rates to price the posts against it."""
    if s.costs.ipo_officer_month > 0 and s.costs.fpu_officer_month > 0:
        return []
    return [f"events[{i}].usd_per_month: a budget_ceiling needs costs.ipo_officer_month and "
            f"costs.fpu_officer_month > 0 (got {s.costs.ipo_officer_month:g} and "
            f"{s.costs.fpu_officer_month:g})"
            for i, e in enumerate(s.events) if e.type == "budget_ceiling"]


def _contributor_problems(i: int, c: Contributor, skills: list[str]) -> list[str]:
    """Unknown skills and a leaving date before the joining date of ``contributors[i]``."""
    problems = [unknown_message("skill", skill, skills, f"contributors[{i}].skills")
                for skill in c.skills if skill not in skills]
    if c.joins and c.leaves and c.leaves < c.joins:
        problems.append(f"contributors[{i}].leaves: got {c.leaves}, must be after joins "
                        f"({c.joins})")
    return problems


def _in_force(steps: Mapping[date, int], when: date) -> int:
    """The value of a dated step schedule on ``when`` (0 before its first step)."""
    value = 0
    for day, steps_value in sorted(steps.items()):
        if day <= when:
            value = steps_value
    return value


def _initial_above_posts(i: int, m: Mission, start: date) -> list[str]:
    """Initial officers and units beyond the posts in force on the first simulated day.

    No one is sent home on day 0, so ``initial.ipo`` and ``initial.fpu_units`` must fit the posts
    on the day the mission is first simulated (the run's start, or the mission's own if later).
    """
    if m.end is not None and m.end <= start:
        return []
    first = max(start, m.start)
    problems = []
    posts = _in_force(m.ipo_posts, first)
    if m.initial.ipo > posts:
        problems.append(f"missions[{i}].initial.ipo: got {m.initial.ipo}, must be ≤ the "
                        f"ipo_posts in force on {first} ({posts})")
    units = _in_force(m.fpu_units, first)
    if m.initial.fpu_units > units:
        problems.append(f"missions[{i}].initial.fpu_units: got {m.initial.fpu_units}, must be "
                        f"≤ the fpu_units in force on {first} ({units})")
    return problems


def _mission_problems(i: int, m: Mission, skills: list[str],
                      contributors: list[str]) -> list[str]:
    """Unknown skills and contributors, dates and posts of ``missions[i]`` that cannot be."""
    where = f"missions[{i}]"
    problems = [unknown_message("skill", skill, skills, f"{where}.specialist_posts")
                for skill in [*m.specialist_posts, *m.initial.specialists] if skill not in skills]
    for j, team in enumerate(m.teams):
        if team.skill not in skills:
            problems.append(unknown_message("skill", team.skill, skills,
                                            f"{where}.teams[{j}].skill"))
        if team.contributor is not None and team.contributor not in contributors:
            problems.append(unknown_message("contributor", team.contributor, contributors,
                                            f"{where}.teams[{j}].contributor"))
    if m.end is not None and m.end <= m.start:
        problems.append(f"{where}.end: got {m.end}, must be after start ({m.start})")
    peak = max(m.ipo_posts.values(), default=0)
    coded = sum(m.specialist_posts.values())
    if coded > peak:
        problems.append(f"{where}.specialist_posts: got {coded} coded posts in all, must be "
                        f"≤ the most ipo_posts authorized ({peak})")
    if m.initial.ipo > 0 and not m.ipo_posts:
        problems.append(f"{where}.initial.ipo: got {m.initial.ipo}, but the mission "
                        "authorizes no ipo_posts")
    elif m.initial.ipo > peak:
        problems.append(f"{where}.initial.ipo: got {m.initial.ipo}, must be ≤ the most "
                        f"ipo_posts authorized ({peak})")
    units = max(m.fpu_units.values(), default=0)
    if m.initial.fpu_units > units:
        problems.append(f"{where}.initial.fpu_units: got {m.initial.fpu_units}, must be ≤ "
                        f"the most fpu_units authorized ({units})")
    return problems


def _lever_problems(i: int, lever: Lever, skills: list[str], missions: list[str],
                    contributors: list[str]) -> list[str]:
    """Unknown missions, skills and profile contributor named by ``policies[i]``."""
    problems = [unknown_message("mission", name, missions, f"policies[{i}].missions")
                for name in lever.missions or [] if name not in missions]
    for attr in ("skill", "skills"):
        value = getattr(lever, attr, None)
        for skill in [value] if isinstance(value, str) else value or []:
            if skill not in skills:
                problems.append(unknown_message("skill", skill, skills, f"policies[{i}].{attr}"))
    profile = getattr(lever, "profile", None)
    if profile is not None and profile not in contributors:
        problems.append(unknown_message("contributor", profile, contributors,
                                        f"policies[{i}].profile"))
    return problems


def _initial_references(s: Scenario, i: int, contributors: list[str]) -> list[str]:
    """Problems with ``missions[i].initial.by_contributor``: unknown names, units beyond posts."""
    m = s.missions[i]
    where = f"missions[{i}].initial.by_contributor"
    problems = []
    specs = {c.name: c for c in s.contributors}
    for name in m.initial.by_contributor:
        spec = specs.get(name)
        if spec is None:
            problems.append(unknown_message("contributor", name, contributors, where))
        elif spec.missions is not None and m.name not in spec.missions:
            served = ", ".join(spec.missions)
            problems.append(f"{where}.{name}: the contributor's missions ({served}) do not "
                            f"include {m.name}")
    authorized = max(m.fpu_units.values(), default=0)
    if m.initial.by_contributor and m.initial.fpu_units > authorized:
        problems.append(f"missions[{i}].initial.fpu_units: got {m.initial.fpu_units}, must be ≤ "
                        f"the most fpu_units authorized ({authorized})")
    return problems


_INTERPOL = (InterpolConnectivity, InterpolInvestigativeSupport)


def _interpol_problems(s: Scenario) -> list[str]:
    """INTERPOL levers that act on casework need it, and name only its crime areas."""
    problems: list[str] = []
    areas = list(s.casework.areas) if s.casework is not None else []
    for i, lever in enumerate(s.policies):
        where = f"policies[{i}]"
        if isinstance(lever, _INTERPOL) and s.casework is None:
            problems.append(f"{where}.lever: got {lever.lever!r}, which acts on casework; add a "
                            "casework section (docs/model.md, Casework)")
            continue
        named: list[tuple[str, list[str]]] = []
        if isinstance(lever, InterpolConnectivity) and "hit_probability" in lever.model_fields_set:
            named.append(("hit_probability", list(lever.hit_probability)))
        if isinstance(lever, InterpolInvestigativeSupport):
            named.append(("areas", lever.areas or []))
            if lever.start is None:
                problems.append(f"{where}.start: missing, a temporary support block needs a "
                                "start date")
        for key, names in named:
            problems += [unknown_message("crime area", a, areas, f"{where}.{key}")
                         for a in names if a not in areas]
    return problems


def _duplicates(kind: str, names: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i, name in enumerate(names):
        if name in seen:
            out.append(f"{kind}[{i}].name: got {name!r}, names must be unique")
        seen.add(name)
    return out


def schema_json() -> dict[str, Any]:
    """The JSON Schema of scenario files, for editors' autocompletion."""
    schema = ScenarioFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ppsim scenario"
    return schema


__all__ = ["BASE", "LoadedScenario", "Scenario", "ScenarioFile", "apply_overrides", "get_path",
           "load_scenario", "read_yaml", "schema_json", "set_path", "unknown_message", "validate"]
