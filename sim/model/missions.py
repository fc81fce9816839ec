"""Missions at run time: authorized posts over time, vacancies, and who is there.

A mission authorizes individual posts and formed units by a schedule of steps between its start
and end. A *vacancy* opens when an authorized post is empty: at the start, when a step raises
the posts, or when an officer leaves without a replacement already there. The vacancy ledger
keeps the days vacancies opened (oldest filled first) so that each arrival records how long its
post waited: the time from vacancy to deployment.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.personnel import Officer, State, Unit
from sim.scenario.schema import Mission, day_of

if TYPE_CHECKING:
    from sim.model.contributors import ContributorState
    from sim.model.events import EntryGate


class Schedule:
    """A step function of days: the value of the last step on or before a day (0 before any).

    Args:
        steps: {date: value} from the scenario.
        start: the run's start date (day 0).
        active: (first, last) days the mission exists; the value is 0 outside.
    """

    def __init__(self, steps: dict[date, int] | dict[date, float], start: date,
                 active: tuple[float, float], warmup_cap: float | None = None) -> None:
        ordered = sorted((day_of(start, d), float(v)) for d, v in steps.items())
        self.days = [d for d, _ in ordered]
        self.values = [v for _, v in ordered]
        self.first, self.last = active
        self.warmup_cap = warmup_cap
        # the step last looked up, [lo, hi) → value: the model asks about the same step again
        # and again (time only moves forward), so most lookups need no search
        self._lo, self._hi, self._value = 0.0, -1.0, 0.0
        self.unscaled: Schedule | None = None  # the steps before an event scaled them
        self.known = math.inf  # the day the first scaling was announced

    def planned(self, day: float, now: float) -> float:
        """The value on ``day`` as known on ``now`` (a cut is unknown before its announcement)."""
        if self.unscaled is not None and now < self.known:
            return self.unscaled.at(day)
        return self.at(day)

    def at(self, day: float) -> float:
        """The value in force on ``day``; during a warm-up (day < 0), the value on day 0.

        With a ``warmup_cap`` (``run.warmup_fill: initial``), the warm-up value is at most the
        cap (the mission's initial staffing), and day 0 is a step up to the real value.
        """
        if day < 0.0:
            if self.warmup_cap is not None:
                return min(self.at(0.0), self.warmup_cap)
            day = 0.0
        if self._lo <= day < self._hi:
            return self._value
        if day < self.first or day >= self.last:
            return 0.0
        i = bisect.bisect_right(self.days, day) - 1
        value = self.values[i] if i >= 0 else 0.0
        self._lo = max(self.days[i] if i >= 0 else -math.inf, self.first)
        self._hi = min(self.days[i + 1] if i + 1 < len(self.days) else math.inf, self.last)
        self._value = value
        return value

    def change_days(self, horizon: float) -> list[float]:
        """Days in (0, horizon) when the value may change (steps, start, end)."""
        days = {d for d in [*self.days, self.first, self.last] if 0 < d < horizon}
        if self.warmup_cap is not None and horizon > 0:
            days.add(0.0)
        return sorted(days)

    def scale(self, first: float, last: float, factor: float, known: float) -> None:
        """Multiply the steps in force on days in [first, last) by ``factor``, rounded (a cut).

        Breakpoints are added at ``first`` and ``last`` so that later steps inside the window are
        scaled too and the value returns to the unscaled steps on ``last``. Before day ``known``
        (the announcement) :meth:`planned` still gives the unscaled steps.
        """
        if self.unscaled is None:
            self.unscaled = Schedule({}, date.min, (self.first, self.last))
            self.unscaled.days, self.unscaled.values = list(self.days), list(self.values)
            self.unscaled.warmup_cap = self.warmup_cap
        self.known = min(self.known, known)
        for day in (first, last):
            if math.isfinite(day) and day not in self.days:
                i = bisect.bisect_right(self.days, day)
                self.days.insert(i, day)
                self.values.insert(i, self.values[i - 1] if i > 0 else 0.0)
        for i, day in enumerate(self.days):
            if first <= day < last:
                self.values[i] = float(round(self.values[i] * factor))
        self._lo, self._hi = 0.0, -1.0  # the steps changed: forget the cached one

    def next_day_above(self, day: float, level: float, horizon: float) -> float | None:
        """First day ≥ ``day`` (before ``horizon``) on which the value exceeds ``level``."""
        if self.at(day) > level:
            return day
        for d in self.change_days(horizon):
            if d > day and self.at(d) > level:
                return d
        return None


class VacancyLedger:
    """Days on which the still-open vacancies opened, and early arrivals not yet matched.

    ``credit`` counts officers who arrived before the post they fill fell vacant (a replacement
    arriving before the outgoing officer leaves); the next departure then opens no vacancy.
    """

    def __init__(self) -> None:
        self.opened: deque[float] = deque()
        self.credit = 0

    def open(self, day: float, n: int = 1) -> None:
        """``n`` posts fall vacant on ``day`` (unless early arrivals already cover them)."""
        for _ in range(n):
            if self.credit > 0:
                self.credit -= 1
            else:
                self.opened.append(day)

    def fill(self, day: float) -> float:
        """An officer arrives: days the oldest vacancy waited (0 if it arrived early)."""
        if self.opened:
            return day - self.opened.popleft()
        self.credit += 1
        return 0.0

    def close(self, n: int) -> None:
        """``n`` posts are abolished: drop the most recently opened vacancies."""
        for _ in range(min(n, len(self.opened))):
            self.opened.pop()


class SkillCounts:
    """Officer counts by skill index with a running total (cheaper than summing arrays)."""

    __slots__ = ("by_skill", "total")

    def __init__(self, skills: int) -> None:
        self.by_skill = [0] * skills
        self.total = 0

    def add(self, skill: int, n: int = 1) -> None:
        """Add ``n`` (negative to remove) officers of ``skill``."""
        self.by_skill[skill] += n
        self.total += n

    def array(self) -> np.ndarray:
        """The counts by skill as an array."""
        return np.array(self.by_skill, dtype=float)


class MissionState:
    """A mission's schedules, vacancies and people during one replication.

    Args:
        index: position in the model's mission list.
        spec: the validated mission.
        start: the run's start date.
        skills: the scenario's specialist skills, in order.
        horizon: the run's length in days.
    """

    def __init__(self, index: int, spec: Mission, start: date, skills: list[str],
                 horizon: float, cap_warmup: bool = False) -> None:
        self.index = index
        self.spec = spec
        self.name = spec.name
        self.start_day = day_of(start, spec.start)
        self.end_day = day_of(start, spec.end) if spec.end else float("inf")
        active = (self.start_day, self.end_day)
        self.ipo = Schedule(spec.ipo_posts, start, active,
                            spec.initial.ipo if cap_warmup else None)
        self.units = Schedule(spec.fpu_units, start, active,
                              spec.initial.fpu_units if cap_warmup else None)
        self.targets: dict[str, Schedule] = {
            cat: Schedule(steps, start, (-float("inf"), float("inf")))
            for cat, steps in spec.women_target.items()
        }
        k = len(skills) + 1
        self.skill_posts = np.zeros(k)
        for i, skill in enumerate(skills):
            self.skill_posts[i + 1] = spec.specialist_posts.get(skill, 0)
        self.languages = frozenset(spec.languages)
        self.ledger = VacancyLedger()
        self.roster: list[Officer] = []
        self.serving: dict[Officer, None] = {}  # insertion-ordered, so iteration is reproducible
        # IPO counts by skill index, for calls: in the pipeline, travelling, leaving soon.
        self.pipeline = SkillCounts(k)  # nominated + assessing
        self.waiting = SkillCounts(k)
        self.travelling = SkillCounts(k)
        self.due_out = SkillCounts(k)
        self.serving_ipo = SkillCounts(k)
        # the counts above by State value (None: a state the mission keeps no count of); nominees
        # count in ``pipeline`` until assessed (nominated and assessing alike)
        self.by_state: tuple[SkillCounts | None, ...] = tuple(
            {State.SERVING: self.serving_ipo, State.TRAVELLING: self.travelling,
             State.WAITING: self.waiting, State.NOMINATED: self.pipeline,
             State.ASSESSING: self.pipeline}.get(state) for state in State)
        # officers due to leave, in the order they became due (= order of tour end), and how
        # many of them already have a replacement on the way
        self.due_queue: deque[Officer] = deque()
        self.claims = 0
        self.unit_slots: list[Unit | None] = []
        # who holds each unit post (its unit serves or is on the way), for rotation in kind and
        # contributors' limits on posts held
        self.slot_owner: list[ContributorState | None] = []
        self.units_serving = 0
        self.spt_authorized = 0
        self.spt_skill_posts = np.zeros(k)
        self._gap_since = 0.0
        self._gap_units = 0.0
        self.gap_unit_days = 0.0
        self.horizon = horizon
        # events (sim.model.events): the host state's entry gate, if any, and the days of cuts
        # whose repatriation is paced by an event rather than done at once
        self.gate: EntryGate | None = None
        self.paced_days: set[float] = set()
        self.closing_from = float("inf")  # a forced closure's start: no new team requested
        # each contributor's propensity to answer this mission's calls, by contributor index
        # (kept only while no lever moves propensities: sim.model.pipeline.send_call)
        self.propensity: dict[int, float] = {}
        # specialized teams serving: (their process, arrival day, contributor, size), for cuts
        self.serving_teams: list[tuple[Any, float, str, int]] = []

    def active(self, day: float) -> bool:
        """Whether the mission exists on ``day`` (during a warm-up, whether it does on day 0)."""
        return self.start_day <= max(day, 0.0) < self.end_day

    # --- post arithmetic: the one place that says whether an individual post is free ---------
    #
    # authorized (the schedule) = staying (serving, not due to leave within the replacement lead)
    #                           + due out + open posts; travelling officers fill open posts first.

    def staying(self) -> int:
        """Serving individual officers not due to leave within the replacement lead."""
        return self.serving_ipo.total - self.due_out.total

    def open_posts(self, day: float) -> int:
        """Individual posts free now or within the replacement lead (for selection)."""
        return int(self.ipo.at(day) - (self.staying() + self.travelling.total))

    def empty_posts(self, day: float) -> float:
        """Authorized individual posts nobody serves in on ``day`` (negative when over)."""
        return self.ipo.at(day) - self.serving_ipo.total

    def empty_posts_uncovered(self, day: float) -> int:
        """Posts empty now that no officer on the way is meant for (fill these at once)."""
        covering = self.travelling.total - self.claims
        return int(self.ipo.at(day) - self.serving_ipo.total - covering)

    def has_post_for_arrival(self, day: float) -> bool:
        """Whether an arriving officer still has a post (none if a cut removed it on the way)."""
        return self.ipo.at(day) - self.staying() > 0

    def committed_by_skill(self, overbooking: float) -> np.ndarray:
        """Officers counted against the posts of each skill when a call is sized.

        Serving officers not due out, those travelling and waiting on the roster, and nominees
        in the pipeline discounted by ``overbooking`` (not all of them will pass).
        """
        # in Python numbers, added in the order (and so to the bits) of the array expression
        # serving - due_out + travelling + waiting + pipeline / overbooking
        return np.array([
            float(serving - due + travelling + waiting) + pipeline / overbooking
            for serving, due, travelling, waiting, pipeline in zip(
                self.serving_ipo.by_skill, self.due_out.by_skill, self.travelling.by_skill,
                self.waiting.by_skill, self.pipeline.by_skill, strict=True)])

    def excess_officers(self, posts: int) -> int:
        """Serving individual officers beyond ``posts`` (those a cut to ``posts`` sends home)."""
        return self.serving_ipo.total - posts

    def counts_in(self, state: State) -> SkillCounts | None:
        """The mission's count of its individual officers in ``state`` (None if it keeps none).

        Nominees count in ``pipeline`` until assessed (nominated and assessing alike).
        """
        return self.by_state[state]

    def claim_due(self) -> Officer | None:
        """The serving officer leaving soonest whose post has no replacement on the way yet."""
        while self.due_queue:
            officer = self.due_queue.popleft()
            if officer.due_out and not officer.claimed and officer.tour_end != math.inf:
                officer.claimed = True
                self.claims += 1
                return officer
        return None

    def touch_units(self, day: float) -> None:
        """Accrue unit-days without a unit up to ``day``, then re-read the current gap."""
        self.gap_unit_days += (day - self._gap_since) * self._gap_units
        self._gap_since = day
        self._gap_units = max(self.units.at(day) - self.units_serving, 0.0)

    def women_target(self, category: str, day: float) -> float:
        """Target women's share for ``category`` on ``day`` (NaN if none is set yet)."""
        schedule = self.targets.get(category)
        if schedule is None or day < schedule.days[0]:
            return float("nan")
        return schedule.at(day)
