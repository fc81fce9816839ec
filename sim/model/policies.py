"""The action plan at run time: effective lever settings by day, and the pure decisions.

The model never branches on a lever's class; it asks :class:`PolicyBook` for the *effective
setting* at a time (e.g. :meth:`PolicyBook.women_quota`), so every decision stays a pure function
of (state, settings, random stream) that tests can call without an Environment. The levers
themselves (what a scenario may say) are schema, in :mod:`sim.scenario.levers`.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

from sim.scenario.casework import MONTH_DAYS
from sim.scenario.levers import (
    AssessmentCapacity,
    FasterDeployment,
    GenderBalancedUnits,
    InterpolCapacityBuilding,
    InterpolConnectivity,
    InterpolInvestigativeSupport,
    InterpolVetting,
    LanguageTraining,
    Lever,
    PreAssessedRoster,
    Reimbursement,
    SkillCodedCalls,
    SpecialistRoster,
    SpecialistTraining,
    TourLength,
    WomenNominationQuota,
    WomenOutreach,
    WomenSelectionPriority,
)


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


def _effect_day(timed: TimedLever) -> float:
    """Day an INTERPOL capacity-building lever takes effect: its start plus the lag."""
    lever = timed.lever
    assert isinstance(lever, InterpolCapacityBuilding)
    return timed.start_day + lever.lag_months * MONTH_DAYS


class PolicyBook:
    """The effective setting of every lever at a time, asked for by the model's decisions.

    Args:
        levers: the scenario's policies with their start days.
    """

    def __init__(self, levers: list[TimedLever]) -> None:
        self._by_kind: dict[type, list[TimedLever]] = {}
        for timed in levers:
            self._by_kind.setdefault(type(timed.lever), []).append(timed)
        # whether any lever changes contributors' propensity or skill shares (hot paths skip
        # asking when none does)
        self.moves_propensity = Reimbursement in self._by_kind or WomenOutreach in self._by_kind
        self.trains = (SpecialistTraining in self._by_kind
                       or InterpolCapacityBuilding in self._by_kind)
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
        """How many skill-share levers have taken effect by ``day`` (a cache key)."""
        kinds = self._by_kind
        if SpecialistTraining not in kinds and InterpolCapacityBuilding not in kinds:
            return 0  # hot path (availability cache key): no such lever
        trained = sum(1 for t in self._by_kind.get(SpecialistTraining, ()) if t.start_day <= day)
        built = sum(1 for t in self._by_kind.get(InterpolCapacityBuilding, ())
                    if _effect_day(t) <= day)
        return trained + 1000 * built

    def all_of(self, kind: type) -> list[TimedLever]:
        """Every lever of ``kind`` with its start day, whether in force yet or not."""
        return list(self._by_kind.get(kind, []))

    def _last(self, kind: type, day: float, mission: str | None = None) -> Lever | None:
        if kind not in self._by_kind:  # the common case: no such lever (one call, not two)
            return None
        found = self.active(kind, day, mission)
        return found[-1] if found else None

    def women_quota(self, day: float, mission: str) -> float:
        """Minimum women's share among individual-officer nominees (0 without a quota)."""
        if WomenNominationQuota not in self._by_kind:
            return 0.0
        lever = self._last(WomenNominationQuota, day, mission)
        return lever.share if isinstance(lever, WomenNominationQuota) else 0.0

    def women_quota_compliance(self, day: float, mission: str, default: float) -> float:
        """How much of the gap to the quota contributors close at ``mission`` on ``day``.

        The quota lever's own ``compliance`` where it sets one, else ``default`` (the
        scenario's ``pipeline.quota_compliance``).
        """
        if WomenNominationQuota not in self._by_kind:
            return default
        lever = self._last(WomenNominationQuota, day, mission)
        if isinstance(lever, WomenNominationQuota) and lever.compliance is not None:
            return lever.compliance
        return default

    def women_priority(self, day: float, mission: str) -> bool:
        """Whether women are selected first at ``mission``."""
        if WomenSelectionPriority not in self._by_kind:  # hot path: one call, not three
            return False
        return self._last(WomenSelectionPriority, day, mission) is not None

    def unit_women_minimum(self, day: float, mission: str) -> GenderBalancedUnits | None:
        """The gender-balanced-units rule in force at ``mission``, if any."""
        lever = self._last(GenderBalancedUnits, day, mission)
        return lever if isinstance(lever, GenderBalancedUnits) else None

    def skill_coded(self, day: float, mission: str, skill: str) -> bool:
        """Whether calls code posts with ``skill`` at ``mission``."""
        if SkillCodedCalls not in self._by_kind:
            return False
        for lever in self.active(SkillCodedCalls, day, mission):
            assert isinstance(lever, SkillCodedCalls)
            if lever.skills is None or skill in lever.skills:
                return True
        return False

    def specialist_roster(self, day: float, skill: str) -> SpecialistRoster | None:
        """The specialist roster covering ``skill``, if any."""
        if SpecialistRoster not in self._by_kind:
            return None
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
        for timed in self._by_kind.get(InterpolCapacityBuilding, ()):
            built = timed.lever
            assert isinstance(built, InterpolCapacityBuilding)
            if _effect_day(timed) <= day and (built.skills is None or skill in built.skills):
                factor *= built.share_multiplier
        return factor

    def assessment_teams(self, day: float, default: int) -> int:
        """Assessment teams working on ``day``."""
        if AssessmentCapacity not in self._by_kind:
            return default
        lever = self._last(AssessmentCapacity, day)
        return lever.teams if isinstance(lever, AssessmentCapacity) else default

    def pre_assessed_share(self, day: float) -> float:
        """Share of individual-officer nominees who arrive already assessed."""
        if PreAssessedRoster not in self._by_kind:
            return 0.0
        lever = self._last(PreAssessedRoster, day)
        return lever.share if isinstance(lever, PreAssessedRoster) else 0.0

    def delay_factors(self, day: float) -> tuple[float, float]:
        """Multipliers on (nomination delay, travel delay) on ``day``."""
        if FasterDeployment not in self._by_kind:
            return 1.0, 1.0
        nomination, travel = 1.0, 1.0
        for lever in self.active(FasterDeployment, day):
            assert isinstance(lever, FasterDeployment)
            nomination *= lever.nomination_delay_factor
            travel *= lever.travel_delay_factor
        return nomination, travel

    def language_penalty_reduction(self, day: float) -> float:
        """Share of the missing-language pass-rate penalty removed by training."""
        if LanguageTraining not in self._by_kind:
            return 0.0
        lever = self._last(LanguageTraining, day)
        return lever.penalty_reduction if isinstance(lever, LanguageTraining) else 0.0

    def tour_rules(self, day: float, months: float, extension: float) -> tuple[float, float]:
        """Effective (tour months, extension probability), given a contributor's own rules."""
        if TourLength not in self._by_kind:
            return months, extension
        lever = self._last(TourLength, day)
        if isinstance(lever, TourLength):
            months = lever.months if lever.months is not None else months
            if lever.extension_probability is not None:
                extension = lever.extension_probability
        return months, extension

    def propensity_multiplier(self, day: float, home_women_share: float) -> float:
        """Product of reimbursement and (if the contributor qualifies) outreach multipliers."""
        if Reimbursement not in self._by_kind and WomenOutreach not in self._by_kind:
            return 1.0
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

    def connectivity(self, day: float, mission: str) -> InterpolConnectivity | None:
        """The INTERPOL connectivity in force at ``mission`` (``None`` without, or level none)."""
        if InterpolConnectivity not in self._by_kind:  # asked for every case
            return None
        lever = self._last(InterpolConnectivity, day, mission)
        if isinstance(lever, InterpolConnectivity) and lever.level != "none":
            return lever
        return None

    def expert_slots(self, day: float, mission: str, area: str) -> int:
        """INTERPOL expert case slots in ``area`` at ``mission`` on ``day`` (support blocks)."""
        slots = 0
        for timed in self._by_kind.get(InterpolInvestigativeSupport, ()):
            lever = timed.lever
            assert isinstance(lever, InterpolInvestigativeSupport)
            if (timed.applies(day, mission) and day < timed.start_day + lever.weeks * 7
                    and (lever.areas is None or area in lever.areas)):
                slots += lever.slots
        return slots

    def vetting(self, day: float) -> InterpolVetting | None:
        """The INTERPOL vetting of nominees in force on ``day``, if any (hypothetical)."""
        if InterpolVetting not in self._by_kind:  # hot path: asked for every officer
            return None
        lever = self._last(InterpolVetting, day)
        return lever if isinstance(lever, InterpolVetting) else None


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


def complied_quota(pool_women_share: float, quota: float, compliance: float) -> float:
    """The women's share a contributor's nominations reach under a quota it partly complies with.

    A contributor whose pool has ``pool_women_share`` women closes ``compliance`` of the gap to
    ``quota`` (the quota itself when ``compliance`` is 1, its own share when 0); a quota below
    its share changes nothing. E.g. pool 0.3, quota 1.0, compliance 0.5 → 0.65.
    """
    if compliance >= 1.0 or quota <= pool_women_share:
        return quota
    return pool_women_share + max(compliance, 0.0) * (quota - pool_women_share)


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
    if len(candidates) == 1:  # the common case: one candidate for at least one post
        return [0]
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
