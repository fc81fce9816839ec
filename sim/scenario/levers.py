"""Action-plan levers as the scenario states them: named, parameterised, with a start date.

A scenario's ``policies`` list and each variant's extra ``policies`` are validated into the classes
below (one per lever, told apart by the ``lever`` key). This module is schema only (pydantic; no
numpy or simpy): how a lever acts is :class:`sim.model.policies.PolicyBook`'s business.

The levers follow the UN–INTERPOL ministerial commitments and the action plan: more police,
more specialists, more women, faster deployment, INTERPOL support (see ``docs/model.md``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Lever(BaseModel):
    """Fields every lever has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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

    lever: Literal["women_nomination_quota"] = Field(..., description="The lever's name.")
    share: float = Field(..., ge=0, le=1, description="Minimum share of women among nominees.")
    compliance: float = Field(
        1.0, ge=0, le=1,
        description="Share of the gap between a contributor's pool and the quota that its "
        "nominations close: 1 = full compliance (nominees reach the quota), 0 = the quota "
        "changes nothing; in between, women's share = pool + compliance × (quota − pool).",
    )


class WomenSelectionPriority(Lever):
    """Among assessed candidates waiting for a post, women are selected first."""

    lever: Literal["women_selection_priority"] = Field(..., description="The lever's name.")


class GenderBalancedUnits(Lever):
    """Formed police units must include at least ``min_women_share`` women.

    With ``funded`` the UN pays for the extra women (facilities, training), so every contributor
    can meet the minimum; without funding, contributors whose formed units fall short are asked
    last (their weight is multiplied by ``unfunded_weight``).
    """

    lever: Literal["gender_balanced_units"] = Field(..., description="The lever's name.")
    min_women_share: float = Field(..., ge=0, le=1, description="Minimum women's share per unit.")
    funded: bool = Field(True, description="Whether funding lets every contributor meet it.")
    unfunded_weight: float = Field(
        0.2, ge=0, le=1, description="Weight multiplier for contributors that cannot meet it."
    )


class WomenOutreach(Lever):
    """Targeted outreach to contributors with many women in their national police.

    Contributors whose national women's share is at least ``min_home_women_share`` answer calls
    more often: their nomination propensity is multiplied by ``propensity_multiplier``
    (the result capped at 1).
    """

    lever: Literal["women_outreach"] = Field(..., description="The lever's name.")
    min_home_women_share: float = Field(0.2, ge=0, le=1, description="Threshold share of women.")
    propensity_multiplier: float = Field(1.5, ge=1, description="Multiplier on propensity.")


class SkillCodedCalls(Lever):
    """Calls code specialist posts by skill and go to contributors that have that skill.

    Without this lever, calls are generic and specialists arrive only as often as the
    contributor's pool happens to hold them.
    """

    lever: Literal["skill_coded_calls"] = Field(..., description="The lever's name.")
    skills: list[str] | None = Field(None, description="Skills coded; empty means all skills.")


class SpecialistRoster(Lever):
    """A roster of pre-identified, pre-assessed specialists for skill-coded posts.

    Specialist nominees skip the assessment queue with probability ``pre_assessed_share`` and
    are nominated ``nomination_delay_factor`` times faster.
    """

    lever: Literal["specialist_roster"] = Field(..., description="The lever's name.")
    skills: list[str] | None = Field(None, description="Skills rostered; empty means all.")
    pre_assessed_share: float = Field(0.8, ge=0, le=1, description="Share already assessed.")
    nomination_delay_factor: float = Field(
        0.5, gt=0, le=1, description="Multiplier on nomination delay for rostered specialists."
    )


class SpecialistTraining(Lever):
    """Training that adds specialist skills to contributors' eligible officers.

    Each contributor's share of officers with a skill is multiplied by ``share_multiplier``
    (and capped so that all specialist shares sum to at most 1).
    """

    lever: Literal["specialist_training"] = Field(..., description="The lever's name.")
    skills: list[str] | None = Field(None, description="Skills trained; empty means all.")
    share_multiplier: float = Field(2.0, ge=1, description="Multiplier on skill shares.")


class SpecializedTeams(Lever):
    """Extra specialized police teams deployed to missions from ``start``."""

    lever: Literal["specialized_teams"] = Field(..., description="The lever's name.")
    skill: str = Field(..., description="The team's skill.")
    size: int = Field(8, ge=1, le=60, description="Officers per team.")
    months: float = Field(12, gt=0, le=60, description="How long each team serves (months).")
    teams_per_mission: int = Field(1, ge=1, le=20, description="Teams sent to each mission.")


class AssessmentCapacity(Lever):
    """More (or fewer) assessment teams from ``start``."""

    lever: Literal["assessment_capacity"] = Field(..., description="The lever's name.")
    teams: int = Field(..., ge=0, le=1000, description="Assessment teams working at once.")


class PreAssessedRoster(Lever):
    """A share of individual-officer nominees arrives already assessed (a pre-assessed roster)."""

    lever: Literal["pre_assessed_roster"] = Field(..., description="The lever's name.")
    share: float = Field(..., ge=0, le=1, description="Share of nominees who skip assessment.")


class StandingCapacity(Lever):
    """A standing pool of pre-selected specialists that deploys within weeks to surges.

    When a mission starts or its authorized individual-officer strength steps up, up to ``size``
    standing officers (less those already away) deploy after ``deploy_delay_days`` for
    ``deployment_months``, filling posts until contributors' officers arrive.
    """

    lever: Literal["standing_capacity"] = Field(..., description="The lever's name.")
    size: int = Field(..., ge=0, le=1000, description="Officers in the standing capacity.")
    deploy_delay_days: float = Field(21, ge=0, le=365, description="Days from surge to arrival.")
    deployment_months: float = Field(6, gt=0, le=24, description="Months each deployment lasts.")
    women_share: float = Field(0.3, ge=0, le=1, description="Women's share of the pool.")
    skill: str | None = Field(None, description="Their specialist skill; empty means general.")


class FasterDeployment(Lever):
    """Shorter lead times: nomination and travel delays are multiplied by these factors."""

    lever: Literal["faster_deployment"] = Field(..., description="The lever's name.")
    nomination_delay_factor: float = Field(1.0, gt=0, le=1, description="Nomination multiplier.")
    travel_delay_factor: float = Field(1.0, gt=0, le=1, description="Travel delay multiplier.")


class LanguageTraining(Lever):
    """Language training: nominees who lack a working language pass more often.

    The pass-rate penalty for lacking the mission's language shrinks by ``penalty_reduction``
    (1 removes it).
    """

    lever: Literal["language_training"] = Field(..., description="The lever's name.")
    penalty_reduction: float = Field(0.5, ge=0, le=1, description="Share of penalty removed.")


class TourLength(Lever):
    """Retention: tour length and extension rules for individual officers."""

    lever: Literal["tour_length"] = Field(..., description="The lever's name.")
    months: float | None = Field(None, gt=0, le=48, description="Tour length (months).")
    extension_probability: float | None = Field(
        None, ge=0, le=1, description="Probability an officer extends at tour end."
    )


class NewContributorOutreach(Lever):
    """Burden sharing: outreach brings new contributors in at ``joining_rate_per_year``.

    Each newcomer is a copy of the contributor named ``profile`` (its pools, propensity and lead
    times), with its own name (``"<profile> (new 1)"`` …).
    """

    lever: Literal["new_contributor_outreach"] = Field(..., description="The lever's name.")
    joining_rate_per_year: float = Field(..., ge=0, le=50, description="New contributors/year.")
    profile: str = Field(..., description="Name of the contributor whose profile newcomers copy.")
    max_new: int = Field(20, ge=0, le=200, description="Most newcomers over the run.")


class Reimbursement(Lever):
    """Reimbursement that raises contributors' willingness to nominate and to field units."""

    lever: Literal["reimbursement"] = Field(..., description="The lever's name.")
    propensity_multiplier: float = Field(1.2, ge=0, description="Multiplier on propensity.")
    extra_fpu_capacity: int = Field(0, ge=0, le=20, description="Extra units each can field.")


class InterpolSupport(Lever):
    """Access to INTERPOL's databases and investigative support at a mission.

    Modelled (an assumption, documented in ``docs/model.md``) as a multiplier on the investigative
    capacity of specialists serving there: capacity = specialists × ``investigative_multiplier``.
    """

    lever: Literal["interpol_support"] = Field(..., description="The lever's name.")
    investigative_multiplier: float = Field(
        1.25, ge=1, le=5, description="Multiplier on specialists' investigative capacity."
    )


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
    | InterpolSupport,
    Field(discriminator="lever"),
]
"""One action-plan lever, told apart by its ``lever`` key."""

LEVERS: tuple[str, ...] = tuple(
    cls.model_fields["lever"].annotation.__args__[0]  # type: ignore[union-attr]
    for cls in Lever.__subclasses__()
)
"""Every lever name, taken from the classes (so docs and errors never drift from the code)."""
