"""Action-plan levers as the scenario states them: named, parameterised, with a start date.

A scenario's ``policies`` list and each variant's extra ``policies`` are validated into the classes
below (one per lever, told apart by the ``lever`` key). This module is schema only (pydantic; no
numpy or simpy): how a lever acts is :class:`sim.model.policies.PolicyBook`'s business.

The levers follow the UN–INTERPOL ministerial commitments and the action plan: more police,
more specialists, more women, faster deployment, INTERPOL cooperation acting on casework (see
``docs/model.md``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, Field, field_validator

from sim.scenario.types import SECTION, Count, Real, shares


class Lever(BaseModel):
    """Fields every lever has."""

    model_config = SECTION

    mission_scoped: ClassVar[bool] = False
    """Whether the lever honours ``missions`` (the others act on contributors or the whole
    pipeline, so ``missions`` is ignored; ``ppsim check`` warns when it is set)."""

    start: date | None = Field(
        None, description="Date the lever takes effect (ISO date); empty means always, "
        "including any warm-up before the start."
    )
    missions: list[str] | None = Field(
        None,
        description="Missions the lever applies to, by name; empty means every mission "
        "(ignored by levers that act on contributors or the whole pipeline).",
    )


class WomenNominationQuota(Lever):
    """Calls for individual officers ask for at least ``share`` women among nominees."""

    mission_scoped: ClassVar[bool] = True

    lever: Literal["women_nomination_quota"] = Field(..., description="The lever's name.")
    share: Real = Field(..., ge=0, le=1, description="Minimum share of women among nominees.")
    compliance: Real | None = Field(
        None, ge=0, le=1,
        description="Share of the gap between a contributor's pool and the quota that its "
        "nominations close: 1 = full compliance (nominees reach the quota), 0 = the quota "
        "changes nothing; in between, women's share = pool + compliance × (quota − pool). "
        "Empty: the scenario's pipeline.quota_compliance.",
    )


class WomenSelectionPriority(Lever):
    """Among assessed candidates waiting for a post, women are selected first."""

    mission_scoped: ClassVar[bool] = True

    lever: Literal["women_selection_priority"] = Field(..., description="The lever's name.")


class GenderBalancedUnits(Lever):
    """Formed police units must include at least ``min_women_share`` women.

    With ``funded`` the UN pays for the extra women (facilities, training), so every contributor
    can meet the minimum; without funding, contributors whose formed units fall short are asked
    last (their weight is multiplied by ``unfunded_weight``).
    """

    mission_scoped: ClassVar[bool] = True

    lever: Literal["gender_balanced_units"] = Field(..., description="The lever's name.")
    min_women_share: Real = Field(..., ge=0, le=1, description="Minimum women's share per unit.")
    funded: bool = Field(True, description="Whether funding lets every contributor meet it.")
    unfunded_weight: Real = Field(
        0.2, ge=0, le=1, description="Weight multiplier for contributors that cannot meet it."
    )


class WomenOutreach(Lever):
    """Targeted outreach to contributors with many women in their national police.

    Contributors whose national women's share is at least ``min_home_women_share`` answer calls
    more often: their nomination propensity is multiplied by ``propensity_multiplier``
    (the result capped at 1).
    """

    lever: Literal["women_outreach"] = Field(..., description="The lever's name.")
    min_home_women_share: Real = Field(0.2, ge=0, le=1, description="Threshold share of women.")
    propensity_multiplier: Real = Field(1.5, ge=1, description="Multiplier on propensity.")


class SkillCodedCalls(Lever):
    """Calls code specialist posts by skill and go to contributors that have that skill.

    Without this lever, calls are generic and specialists arrive only as often as the
    contributor's pool happens to hold them.
    """

    mission_scoped: ClassVar[bool] = True

    lever: Literal["skill_coded_calls"] = Field(..., description="The lever's name.")
    skills: list[str] | None = Field(None, description="Skills coded; empty means all skills.")


class SpecialistRoster(Lever):
    """A roster of pre-identified, pre-assessed specialists for skill-coded posts.

    Specialist nominees skip the assessment queue with probability ``pre_assessed_share`` and
    are nominated ``nomination_delay_factor`` times faster.
    """

    lever: Literal["specialist_roster"] = Field(..., description="The lever's name.")
    skills: list[str] | None = Field(None, description="Skills rostered; empty means all.")
    pre_assessed_share: Real = Field(0.8, ge=0, le=1, description="Share already assessed.")
    nomination_delay_factor: Real = Field(
        0.5, gt=0, le=1, description="Multiplier on nomination delay for rostered specialists."
    )


class SpecialistTraining(Lever):
    """Training that adds specialist skills to contributors' eligible officers.

    Each contributor's share of officers with a skill is multiplied by ``share_multiplier``
    (and capped so that all specialist shares sum to at most 1).
    """

    lever: Literal["specialist_training"] = Field(..., description="The lever's name.")
    skills: list[str] | None = Field(None, description="Skills trained; empty means all.")
    share_multiplier: Real = Field(2.0, ge=1, description="Multiplier on skill shares.")


class SpecializedTeams(Lever):
    """Extra specialized police teams deployed to missions from ``start``."""

    mission_scoped: ClassVar[bool] = True

    lever: Literal["specialized_teams"] = Field(..., description="The lever's name.")
    skill: str = Field(..., description="The team's skill.")
    size: Count = Field(8, ge=1, le=60, description="Officers per team.")
    months: Real = Field(12, gt=0, le=60, description="How long each team serves (months).")
    teams_per_mission: Count = Field(1, ge=1, le=20, description="Teams sent to each mission.")


class AssessmentCapacity(Lever):
    """More (or fewer) assessment teams from ``start``."""

    lever: Literal["assessment_capacity"] = Field(..., description="The lever's name.")
    teams: Count = Field(..., ge=0, le=1000, description="Assessment teams working at once.")


class PreAssessedRoster(Lever):
    """A share of individual-officer nominees arrives already assessed (a pre-assessed roster)."""

    lever: Literal["pre_assessed_roster"] = Field(..., description="The lever's name.")
    share: Real = Field(..., ge=0, le=1, description="Share of nominees who skip assessment.")


class StandingCapacity(Lever):
    """A standing pool of pre-selected specialists that deploys within weeks to surges.

    When a mission starts or its authorized individual-officer strength steps up, up to ``size``
    standing officers (less those already away) deploy after ``deploy_delay_days`` for
    ``deployment_months``, filling posts until contributors' officers arrive. With
    ``vacancy_trigger`` set it also supports existing missions: at each month's start, officers
    on standby go to the open missions whose individual posts are at least that share empty —
    the UN Standing Police Capacity's second core function [S61].
    """

    lever: Literal["standing_capacity"] = Field(..., description="The lever's name.")
    size: Count = Field(..., ge=0, le=1000, description="Officers in the standing capacity.")
    deploy_delay_days: Real = Field(21, ge=0, le=365, description="Days from surge to arrival.")
    deployment_months: Real = Field(6, gt=0, le=24, description="Months each deployment lasts.")
    women_share: Real = Field(0.3, ge=0, le=1, description="Women's share of the pool.")
    skill: str | None = Field(None, description="Their specialist skill; empty means general.")
    vacancy_trigger: Real | None = Field(
        None, gt=0, le=1,
        description="Also deploy, at the start of each month, to open missions whose individual "
                    "posts are at least this share empty, emptiest first (the SPC's surge support "
                    "to existing missions); empty: only start-ups and step-ups call it.")


class FasterDeployment(Lever):
    """Shorter lead times: nomination and travel delays are multiplied by these factors."""

    lever: Literal["faster_deployment"] = Field(..., description="The lever's name.")
    nomination_delay_factor: Real = Field(1.0, gt=0, le=1, description="Nomination multiplier.")
    travel_delay_factor: Real = Field(1.0, gt=0, le=1, description="Travel delay multiplier.")


class LanguageTraining(Lever):
    """Language training: nominees who lack a working language pass more often.

    The pass-rate penalty for lacking the mission's language shrinks by ``penalty_reduction``
    (1 removes it).
    """

    lever: Literal["language_training"] = Field(..., description="The lever's name.")
    penalty_reduction: Real = Field(0.5, ge=0, le=1, description="Share of penalty removed.")


class TourLength(Lever):
    """Retention: tour length and extension rules for individual officers."""

    lever: Literal["tour_length"] = Field(..., description="The lever's name.")
    months: Real | None = Field(None, gt=0, le=48, description="Tour length (months).")
    extension_probability: Real | None = Field(
        None, ge=0, le=1, description="Probability an officer extends at tour end."
    )


class NewContributorOutreach(Lever):
    """Burden sharing: outreach brings new contributors in at ``joining_rate_per_year``.

    Each newcomer is a copy of the contributor named ``profile`` (its pools, propensity and lead
    times), with its own name (``"<profile> (new 1)"`` …).
    """

    lever: Literal["new_contributor_outreach"] = Field(..., description="The lever's name.")
    joining_rate_per_year: Real = Field(..., ge=0, le=50, description="New contributors/year.")
    profile: str = Field(..., description="Name of the contributor whose profile newcomers copy.")
    max_new: Count = Field(20, ge=0, le=200, description="Most newcomers over the run.")


class Reimbursement(Lever):
    """Reimbursement that raises contributors' willingness to nominate and to field units."""

    lever: Literal["reimbursement"] = Field(..., description="The lever's name.")
    propensity_multiplier: Real = Field(1.2, ge=0, description="Multiplier on propensity.")
    extra_fpu_capacity: Count = Field(0, ge=0, le=20, description="Extra units each can field.")


ConnectivityLevel = Literal["none", "ncb", "mission_hq", "field"]
"""Where deployed police reach INTERPOL's I-24/7 network and databases: not at all, through the
host state's National Central Bureau, at mission headquarters, or in the field."""


def _default_latency() -> dict[str, float]:
    # assumptions (docs/sources.md): a request relayed by the host's NCB takes days; a terminal
    # at mission HQ answers the same day; field access (mobile) within hours
    return {"ncb": 7.0, "mission_hq": 1.0, "field": 0.1}


def _default_hits() -> dict[str, float]:
    # assumptions (docs/sources.md): share of cases whose intake query finds a record
    return {"fugitives": 0.25, "drugs": 0.15, "terrorism": 0.1,
            "trafficking_in_human_beings": 0.1, "corruption": 0.05}


class InterpolConnectivity(Lever):
    """Access to INTERPOL's I-24/7 network and databases for the mission's casework.

    Every new case is queried at intake; the answer comes ``latency_days[level]`` later and is a
    hit with ``hit_probability[area]``. A hit multiplies the case's remaining work by
    ``work_factor`` and raises its clearance probability p to p + ``clearance_gain`` × (1 − p).
    Level ``none`` sends no queries. Needs a ``casework`` section.
    """

    mission_scoped: ClassVar[bool] = True

    lever: Literal["interpol_connectivity"] = Field(..., description="The lever's name.")
    level: ConnectivityLevel = Field(
        "mission_hq", description="Where police reach I-24/7: none, ncb, mission_hq or field.")
    latency_days: dict[str, Real] = Field(
        default_factory=_default_latency,
        description="Days from query to answer by level (ncb, mission_hq, field).")
    hit_probability: dict[str, Real] = Field(
        default_factory=_default_hits,
        description="Probability an intake query finds a record, by crime area (areas not "
        "named: 0).")
    work_factor: Real = Field(
        0.7, gt=0, le=1, description="Multiplier on a case's remaining work after a hit.")
    clearance_gain: Real = Field(
        0.3, ge=0, le=1, description="Share of the gap to certain clearance a hit closes.")
    monthly_cost: Real = Field(
        0, ge=0, description="Cost per mission per month (USD): terminals, links, training.")

    @field_validator("latency_days")
    @classmethod
    def _latencies(cls, value: dict[str, Real]) -> dict[str, Real]:
        allowed = ("ncb", "mission_hq", "field")
        for level, days in value.items():
            if level not in allowed:
                raise ValueError(f"unknown level {level!r} (allowed: {', '.join(allowed)})")
            if not 0 <= days <= 365:
                raise ValueError(f"{level}: got {days}, must be in [0, 365] days")
        return value

    @field_validator("hit_probability")
    @classmethod
    def _probabilities(cls, value: dict[str, Real]) -> dict[str, Real]:
        return shares(value)


class InterpolInvestigativeSupport(Lever):
    """A temporary block of INTERPOL expert case slots (an incident-response team).

    From ``start`` for ``weeks``, each mission in scope gets ``slots`` extra case slots in each
    named crime area. Needs a ``casework`` section and a ``start``.
    """

    mission_scoped: ClassVar[bool] = True

    lever: Literal["interpol_investigative_support"] = Field(..., description="The lever's name.")
    areas: list[str] | None = Field(None, description="Crime areas supported; empty = all.")
    slots: Count = Field(2, ge=0, le=100, description="Extra case slots per area and mission.")
    weeks: Real = Field(6, gt=0, le=520, description="How long the experts stay (weeks).")
    cost: Real = Field(0, ge=0, description="Cost per deployment to one mission (USD).")


class InterpolCapacityBuilding(Lever):
    """INTERPOL training of contributors' police: more specialists in their pools after a lag.

    Like ``specialist_training`` (each contributor's share of officers with a skill is multiplied
    by ``share_multiplier``, the shares capped to sum to at most 1), but from ``start`` plus
    ``lag_months``, and a lever of its own so its effect can be told apart.
    """

    lever: Literal["interpol_capacity_building"] = Field(..., description="The lever's name.")
    skills: list[str] | None = Field(None, description="Skills trained; empty means all.")
    share_multiplier: Real = Field(1.2, ge=1, le=10, description="Multiplier on skill shares.")
    lag_months: Real = Field(12, ge=0, le=120, description="Months from start to effect.")


class InterpolVetting(Lever):
    """Hypothetical: nominees screened against INTERPOL's databases before assessment.

    Screening adds ``extra_delay_days`` to every individual officer's nomination, rejects a share
    ``rejection_share`` of nominees (counted as failing assessment), and multiplies missions'
    early-repatriation hazard by ``repatriation_factor`` (fewer disciplinary repatriations).
    No such screening is published; every value is an assumption (docs/model.md).
    """

    lever: Literal["interpol_vetting"] = Field(..., description="The lever's name.")
    extra_delay_days: Real = Field(7, ge=0, le=365, description="Days added to nomination.")
    rejection_share: Real = Field(0.01, ge=0, le=1, description="Share of nominees rejected.")
    repatriation_factor: Real = Field(
        0.9, ge=0, le=1, description="Multiplier on early-repatriation hazard.")


RETIRED: dict[str, str] = {
    "interpol_support": "replaced by interpol_connectivity, interpol_investigative_support, "
    "interpol_capacity_building and interpol_vetting, which act on a casework section "
    "(docs/model.md, Casework); the output-only multiplier investigative_capacity is gone",
}
"""Lever names no longer accepted, with what replaced them (for a clear error)."""


Policy = Annotated[
    WomenNominationQuota
    | WomenSelectionPriority
    | GenderBalancedUnits
    | WomenOutreach
    | SkillCodedCalls
    | SpecialistRoster
    | SpecialistTraining
    | SpecializedTeams
    | AssessmentCapacity
    | PreAssessedRoster
    | StandingCapacity
    | FasterDeployment
    | LanguageTraining
    | TourLength
    | NewContributorOutreach
    | Reimbursement
    | InterpolConnectivity
    | InterpolInvestigativeSupport
    | InterpolCapacityBuilding
    | InterpolVetting,
    Field(discriminator="lever"),
]
"""One action-plan lever, told apart by its ``lever`` key."""

LEVERS: tuple[str, ...] = tuple(
    cls.model_fields["lever"].annotation.__args__[0]  # type: ignore[union-attr]
    for cls in Lever.__subclasses__()
)
"""Every lever name, taken from the classes (so docs and errors never drift from the code)."""
