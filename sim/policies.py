"""Action-plan policies: the levers a scenario can pull, and the pure decisions they shape.

A *lever* is a named, parameterised change with a start date (``start``; before it the lever has
no effect). A scenario's ``policies`` list and each variant's extra ``policies`` are validated into
the classes below (one per lever, told apart by the ``lever`` key). The model never branches on a
lever's class; it asks :class:`PolicyBook` for the *effective setting* at a time
(e.g. :meth:`PolicyBook.women_quota`), so every decision stays a pure function of
(state, settings, random stream) that tests can call without an Environment.

The levers follow the UN–INTERPOL ministerial commitments and the action plan: more police,
more specialists, more women, faster deployment, INTERPOL support (see ``docs/model.md``).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

import numpy as np
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


@dataclass(frozen=True)
class TimedLever:
    """A lever with its start converted to simulation days."""

    start_day: float
    lever: Lever

    def applies(self, day: float, mission: str | None = None) -> bool:
        """Whether the lever is in force on ``day`` (and at ``mission``, if it is scoped)."""
        if day < self.start_day:
            return False
        scoped = self.lever.missions
        return mission is None or scoped is None or mission in scoped


class PolicyBook:
    """The effective setting of every lever at a time, asked for by the model's decisions.

    Args:
        levers: the scenario's policies with their start days.
    """

    def __init__(self, levers: list[TimedLever]) -> None:
        self._by_kind: dict[type, list[TimedLever]] = {}
        for timed in levers:
            self._by_kind.setdefault(type(timed.lever), []).append(timed)
        # what is in force changes only on start days: answers are cached per period between
        # them (the model asks on every decision)
        self._starts = sorted({t.start_day for t in levers})
        self._cache: dict[tuple[type, int, str | None], list[Lever]] = {}

    def active(self, kind: type, day: float, mission: str | None = None) -> list[Lever]:
        """Levers of ``kind`` in force on ``day`` (at ``mission``), oldest first (do not mutate)."""
        timed = self._by_kind.get(kind)
        if not timed:
            return []
        key = (kind, bisect.bisect_right(self._starts, day), mission)
        found = self._cache.get(key)
        if found is None:
            found = [t.lever for t in timed if t.applies(day, mission)]
            self._cache[key] = found
        return found

    def training_epoch(self, day: float) -> int:
        """How many specialist-training levers have started by ``day`` (a cache key)."""
        return sum(1 for t in self._by_kind.get(SpecialistTraining, ()) if t.start_day <= day)

    def all_of(self, kind: type) -> list[TimedLever]:
        """Every lever of ``kind`` with its start day, whether in force yet or not."""
        return list(self._by_kind.get(kind, []))

    def _last(self, kind: type, day: float, mission: str | None = None) -> Lever | None:
        found = self.active(kind, day, mission)
        return found[-1] if found else None

    def women_quota(self, day: float, mission: str) -> float:
        """Minimum women's share among individual-officer nominees (0 without a quota)."""
        lever = self._last(WomenNominationQuota, day, mission)
        return lever.share if isinstance(lever, WomenNominationQuota) else 0.0

    def women_priority(self, day: float, mission: str) -> bool:
        """Whether women are selected first at ``mission``."""
        return self._last(WomenSelectionPriority, day, mission) is not None

    def unit_women_minimum(self, day: float, mission: str) -> GenderBalancedUnits | None:
        """The gender-balanced-units rule in force at ``mission``, if any."""
        lever = self._last(GenderBalancedUnits, day, mission)
        return lever if isinstance(lever, GenderBalancedUnits) else None

    def skill_coded(self, day: float, mission: str, skill: str) -> bool:
        """Whether calls code posts with ``skill`` at ``mission``."""
        for lever in self.active(SkillCodedCalls, day, mission):
            assert isinstance(lever, SkillCodedCalls)
            if lever.skills is None or skill in lever.skills:
                return True
        return False

    def specialist_roster(self, day: float, skill: str) -> SpecialistRoster | None:
        """The specialist roster covering ``skill``, if any."""
        for lever in reversed(self.active(SpecialistRoster, day)):
            assert isinstance(lever, SpecialistRoster)
            if lever.skills is None or skill in lever.skills:
                return lever
        return None

    def skill_share_multiplier(self, day: float, skill: str) -> float:
        """Product of specialist-training multipliers on ``skill`` in force on ``day``."""
        factor = 1.0
        for lever in self.active(SpecialistTraining, day):
            assert isinstance(lever, SpecialistTraining)
            if lever.skills is None or skill in lever.skills:
                factor *= lever.share_multiplier
        return factor

    def assessment_teams(self, day: float, default: int) -> int:
        """Assessment teams working on ``day``."""
        lever = self._last(AssessmentCapacity, day)
        return lever.teams if isinstance(lever, AssessmentCapacity) else default

    def pre_assessed_share(self, day: float) -> float:
        """Share of individual-officer nominees who arrive already assessed."""
        lever = self._last(PreAssessedRoster, day)
        return lever.share if isinstance(lever, PreAssessedRoster) else 0.0

    def delay_factors(self, day: float) -> tuple[float, float]:
        """Multipliers on (nomination delay, travel delay) on ``day``."""
        nomination, travel = 1.0, 1.0
        for lever in self.active(FasterDeployment, day):
            assert isinstance(lever, FasterDeployment)
            nomination *= lever.nomination_delay_factor
            travel *= lever.travel_delay_factor
        return nomination, travel

    def language_penalty_reduction(self, day: float) -> float:
        """Share of the missing-language pass-rate penalty removed by training."""
        lever = self._last(LanguageTraining, day)
        return lever.penalty_reduction if isinstance(lever, LanguageTraining) else 0.0

    def tour_rules(self, day: float, months: float, extension: float) -> tuple[float, float]:
        """Effective (tour months, extension probability), given a contributor's own rules."""
        lever = self._last(TourLength, day)
        if isinstance(lever, TourLength):
            months = lever.months if lever.months is not None else months
            if lever.extension_probability is not None:
                extension = lever.extension_probability
        return months, extension

    def propensity_multiplier(self, day: float, home_women_share: float) -> float:
        """Product of reimbursement and (if the contributor qualifies) outreach multipliers."""
        factor = 1.0
        for lever in self.active(Reimbursement, day):
            assert isinstance(lever, Reimbursement)
            factor *= lever.propensity_multiplier
        for lever in self.active(WomenOutreach, day):
            assert isinstance(lever, WomenOutreach)
            if home_women_share >= lever.min_home_women_share:
                factor *= lever.propensity_multiplier
        return factor

    def extra_fpu_capacity(self, day: float) -> int:
        """Extra formed units each contributor can field under reimbursement levers."""
        return sum(
            lever.extra_fpu_capacity
            for lever in self.active(Reimbursement, day)
            if isinstance(lever, Reimbursement)
        )

    def investigative_multiplier(self, day: float, mission: str) -> float:
        """INTERPOL support multiplier on specialists' investigative capacity at ``mission``."""
        lever = self._last(InterpolSupport, day, mission)
        return lever.investigative_multiplier if isinstance(lever, InterpolSupport) else 1.0


# --- Pure decision functions -------------------------------------------------------------------


def nominee_women(
    nominees: int, pool_women_share: float, quota: float, rng: np.random.Generator
) -> int:
    """How many of ``nominees`` are women.

    Each nominee is a woman with probability ``max(pool share, quota)``: without a quota the
    nominees mirror the pool; a quota raises the expected share to the quota, no further. (Taking
    the larger of two independent draws instead would overshoot the quota.) Availability of
    women in the pool is checked by the caller.
    """
    if nominees <= 0:
        return 0
    share = min(max(pool_women_share, quota, 0.0), 1.0)
    return int(rng.binomial(nominees, share))


def split_call(
    requested: int, weights: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Share ``requested`` nominations among contributors in proportion to ``weights``.

    Returns one count per contributor (a multinomial draw); all zeros if no weight is positive.
    """
    total = float(weights.sum())
    if requested <= 0 or total <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    return rng.multinomial(requested, weights / total)


def answered_nominations(
    asked: int, propensity: float, headroom: int, rng: np.random.Generator
) -> int:
    """How many of ``asked`` nominations a contributor sends, given its propensity and headroom.

    Each request is answered with probability ``propensity``; the answer never exceeds the
    officers the contributor can still send abroad (``headroom``).
    """
    if asked <= 0 or headroom <= 0:
        return 0
    return min(int(rng.binomial(asked, min(max(propensity, 0.0), 1.0))), headroom)


def pass_probability(
    base_pass_rate: float, speaks_language: bool, language_factor: float, reduction: float
) -> float:
    """Probability a nominee passes assessment for mission service.

    A nominee who speaks none of the mission's working languages passes with the base rate times
    ``language_factor``; language training removes a share ``reduction`` of that penalty.
    """
    if speaks_language:
        return base_pass_rate
    factor = language_factor + (1.0 - language_factor) * reduction
    return base_pass_rate * factor


def select_candidates(
    candidates: list[tuple[float, bool]], posts: int, women_first: bool
) -> list[int]:
    """Indices of waiting candidates to select for ``posts`` open posts.

    Candidates are ``(waiting since day, is_woman)``; the longest-waiting go first, or, with
    women's selection priority, women (longest-waiting first) before men.
    """
    if posts <= 0 or not candidates:
        return []
    order = sorted(
        range(len(candidates)),
        key=lambda i: ((not candidates[i][1]) if women_first else False, candidates[i][0], i),
    )
    return order[:posts]


def extends_tour(extension_probability: float, rng: np.random.Generator) -> bool:
    """Whether an officer extends at the end of a tour."""
    return bool(rng.random() < extension_probability)


def unit_women(
    size: int, women_share: float, minimum: float, rng: np.random.Generator
) -> int:
    """Women in a formed unit of ``size``: a binomial draw, raised to ``ceil(minimum × size)``."""
    drawn = int(rng.binomial(size, min(max(women_share, 0.0), 1.0)))
    return min(size, max(drawn, math.ceil(minimum * size - 1e-9)))


def choose_weighted(weights: np.ndarray, rng: np.random.Generator) -> int:
    """Index drawn in proportion to ``weights``; -1 when no weight is positive."""
    total = float(weights.sum())
    if total <= 0:
        return -1
    return int(rng.choice(len(weights), p=weights / total))
