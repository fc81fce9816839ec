"""Casework as the scenario states it: crime areas, case arrivals, investigators' slots.

A scenario's optional top-level ``casework:`` section (validated into :class:`Casework`) turns on
the casework layer of :mod:`sim.model.casework`: transnational-crime cases arrive per mission
and crime area, wait for a case slot of a serving eligible investigator, are worked for a gamma
time and are cleared or closed uncleared. Without the section nothing of this runs and the
model's other tables are unchanged.

Every default below without a published value is an assumption (``docs/sources.md``,
"Casework and INTERPOL"). Time is in days; rates are cases per month (30.4375 days).

Eligibility of skills for crime areas (:data:`DEFAULT_ELIGIBILITY`), used when the scenario
gives none: investigation works every area; forensics fugitives, drugs and terrorism (DNA,
fingerprints, ballistics); organized crime drugs, trafficking in human beings, corruption and
fugitives; SGBV trafficking in human beings; public order none. Skills the default does not
name work no area. Generic officers give a fraction of a slot to every area.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, field_validator

from sim.errors import unknown_message
from sim.scenario.types import SECTION, Count, Real

SEED_AREAS: tuple[str, ...] = ("fugitives", "drugs", "terrorism", "trafficking_in_human_beings",
                               "corruption")
"""The crime areas of the 2009 UN–INTERPOL supplementary agreement and declaration [S25]."""

DEFAULT_ELIGIBILITY: dict[str, tuple[str, ...]] = {
    "investigation": SEED_AREAS,
    "forensics": ("fugitives", "drugs", "terrorism"),
    "organized_crime": ("drugs", "trafficking_in_human_beings", "corruption", "fugitives"),
    "sgbv": ("trafficking_in_human_beings",),
    "public_order": (),
}
"""Crime areas each skill works unless the scenario says otherwise (an assumption)."""

MONTH_DAYS = 30.4375
"""Days in an average month (rates per month → per day)."""


class _Model(BaseModel):
    model_config = SECTION


class CrimeArea(_Model):
    """How cases of one crime area are worked and closed."""

    service_mean_days: Real = Field(
        60, gt=0, le=3650, description="Mean working time of a case once it has a slot (days).")
    service_cv: Real = Field(
        0.8, ge=0, le=3, description="Coefficient of variation of the working time (gamma); "
        "1 is exponential, 0 fixed.")
    clearance_probability: Real = Field(
        0.3, ge=0, le=1, description="Probability a worked case is cleared (arrest, referral, "
        "identification); else it is closed uncleared.")
    max_wait_days: Real | None = Field(
        None, gt=0, le=3650, description="Cases waiting longer for a slot are abandoned; "
        "empty means they wait as long as it takes.")


def _default_areas() -> dict[str, CrimeArea]:
    # assumptions (docs/sources.md): terrorism and corruption cases are long and rarely cleared;
    # fugitive cases short and often closed by an identification or arrest
    return {
        "fugitives": CrimeArea(service_mean_days=45, service_cv=0.8, clearance_probability=0.4),
        "drugs": CrimeArea(service_mean_days=60, service_cv=0.8, clearance_probability=0.35),
        "terrorism": CrimeArea(service_mean_days=120, service_cv=1.0, clearance_probability=0.2),
        "trafficking_in_human_beings": CrimeArea(service_mean_days=90, service_cv=0.9,
                                                 clearance_probability=0.25),
        "corruption": CrimeArea(service_mean_days=150, service_cv=1.0,
                                clearance_probability=0.15),
    }


class MissionCasework(_Model):
    """The caseload and local partners of one mission."""

    arrivals: dict[str, dict[date, Real]] = Field(
        ..., description="New cases per month by crime area, each a schedule of steps "
        "{date: cases per month} (like ipo_posts); areas not named get none.")
    counterpart_slots: Count = Field(
        0, ge=0, le=10000, description="Case slots of host-state counterparts (e.g. a "
        "transnational crime unit), shared evenly among the crime areas.")

    @field_validator("arrivals")
    @classmethod
    def _non_negative(cls, value: dict[str, dict[date, Real]]) -> dict[str, dict[date, Real]]:
        for area, steps in value.items():
            for day, rate in steps.items():
                if not rate >= 0:
                    raise ValueError(f"{area}.{day}: got {rate}, must be ≥ 0 cases per month")
        return value


class CaseworkFeedback(_Model):
    """Optional feedback from casework to staffing (off by default).

    When on, a mission whose backlog in an area exceeds ``backlog_per_slot`` × its slots there
    has calls coded for the skills eligible for that area (as the ``skill_coded_calls`` lever
    does), so casework can pull specialists.
    """

    enabled: bool = Field(False, description="Whether backlog codes calls by skill.")
    backlog_per_slot: Real = Field(
        2.0, gt=0, le=1000, description="Waiting cases per slot above which calls are coded.")


class Casework(_Model):
    """The casework layer: crime areas, investigators' slots and each mission's caseload."""

    areas: dict[str, CrimeArea] = Field(
        default_factory=_default_areas,
        description="Crime areas by name, with how their cases are worked; default the five of "
        "the UN–INTERPOL declaration: " + ", ".join(SEED_AREAS) + ".")
    slots_per_specialist: Real = Field(
        2, ge=0, le=50, description="Cases a serving eligible specialist works at once, split "
        "evenly among the areas the skill is eligible for.")
    generic_slot_fraction: Real = Field(
        0.05, ge=0, le=1, description="Case slots per serving generic individual officer, "
        "split evenly among all areas.")
    eligibility: dict[str, list[str]] | None = Field(
        None, description="Crime areas each specialist skill works {skill: [area, …]}; empty "
        "uses the default mapping (docs/model.md, Casework).")
    missions: dict[str, MissionCasework] = Field(
        default_factory=dict, description="Caseload of each mission with casework, by name.")
    feedback: CaseworkFeedback = Field(
        CaseworkFeedback.model_construct(),
        description="Backlog raises skill-coded calls (off by default).")
    review_days: Real = Field(
        7, gt=0, le=365, description="Days between re-reads of staffing when no case arrives "
        "or finishes (so new investigators pick up waiting cases).")

    def eligible_areas(self, skill: str) -> list[str]:
        """Crime areas a specialist with ``skill`` works, in the scenario's area order."""
        named = (self.eligibility.get(skill, []) if self.eligibility is not None
                 else DEFAULT_ELIGIBILITY.get(skill, ()))
        return [a for a in self.areas if a in named]


def casework_problems(casework: Casework, skills: list[str], missions: list[str]) -> list[str]:
    """Names in the casework section that the scenario does not define (located messages)."""
    areas = list(casework.areas)
    problems: list[str] = []
    if not areas:
        problems.append("casework.areas: got none, name at least one crime area")
    for skill, named in (casework.eligibility or {}).items():
        if skill not in skills:
            problems.append(unknown_message("skill", skill, skills, "casework.eligibility"))
        for area in named:
            if area not in areas:
                problems.append(unknown_message("crime area", area, areas,
                                                f"casework.eligibility.{skill}"))
    for name, mission in casework.missions.items():
        if name not in missions:
            problems.append(unknown_message("mission", name, missions, "casework.missions"))
        for area in mission.arrivals:
            if area not in areas:
                problems.append(unknown_message("crime area", area, areas,
                                                f"casework.missions.{name}.arrivals"))
    return problems


__all__ = ["DEFAULT_ELIGIBILITY", "MONTH_DAYS", "SEED_AREAS", "Casework", "CaseworkFeedback",
           "CrimeArea", "MissionCasework", "casework_problems"]
