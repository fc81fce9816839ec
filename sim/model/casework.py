"""Casework: transnational-crime cases that serving specialists and INTERPOL access clear.

Per mission and crime area a :class:`CaseDesk` holds the cases. A case's life cycle (days):

    arrived → waiting (FIFO for a case slot) → in work (a gamma time) → cleared | closed uncleared
                     └→ abandoned (waited longer than the area's ``max_wait_days``, or
                                   handed over when the mission ends)

Cases arrive as a Poisson stream whose rate is the mission's step schedule (cases per month).
Everything random about a case is drawn at intake from streams of its own (``case.arrival``,
``case.work``, ``case.clearance``, ``case.hit``, each keyed ``mission/area``), so a case's work,
clearance draw and query result do not depend on when it gets a slot or on other levers
(common random numbers), and a hit probability of 0 leaves every other draw as it was.

**Slots.** A desk's slots are re-read from the people serving at the mission every
``review_days`` (default weekly; cheap, and a week is short beside tours and case times) and
when an INTERPOL support block starts or ends: eligible specialists (individual officers and
specialized teams) give ``slots_per_specialist`` each, split evenly among the areas their
skill works; generic individual officers ``generic_slot_fraction`` each and host-state
counterparts their slots, split evenly among all areas; INTERPOL support blocks add expert
slots. The sum is rounded down. When slots fall below the cases in work, those cases finish
(no pre-emption) and no new case starts until a slot is free. Vacancies and rotation gaps
thus show up as backlog.

**INTERPOL.** With connectivity in force at intake, the case is queried: the answer comes after
the level's latency and is a hit with the area's probability. A hit answered while the case
waits or is in work cuts its remaining work by the lever's factor; a hit answered before the
case closes raises its clearance probability. Queries never delay a case.

Casework reads staffing and never changes it, unless the scenario's optional feedback is on:
then a backlog above ``backlog_per_slot`` × slots codes calls for the eligible skills.

The decisions (which case next, slots, whether a query hits, whether a case clears) are pure
functions below, replaceable through :class:`sim.model.world.Decisions`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import simpy

from sim.model.columns import month_dates, table, text
from sim.model.missions import MissionState, Schedule
from sim.model.personnel import Category
from sim.model.streams import Block
from sim.scenario.casework import MONTH_DAYS, Casework
from sim.scenario.levers import InterpolConnectivity, InterpolInvestigativeSupport

if TYPE_CHECKING:
    from sim.model.world import World

COUNTS = ("arrivals", "started", "cleared", "closed_uncleared", "abandoned", "hits")
"""Per-month case counters of a desk."""
CASE_COLUMNS = ("month", "date", "mission", "area", *COUNTS[:5], "backlog", "in_work",
                "median_days_to_clear", "mean_wait_days", "clearance_rate", "hit_share",
                "slots", "utilisation")
"""Columns of the ``cases`` table (``docs/outputs.md``)."""


# --- Pure decisions ------------------------------------------------------------------------------


def choose_case(arrived: Sequence[float]) -> int:
    """Index of the waiting case to start next, given their arrival days: first come, first served.

    ``arrived`` is in queue order (oldest first); a replacement may pick any index.
    """
    return 0


def case_slots(specialists: Sequence[float], shares: Sequence[float], generic: float,
               generic_fraction: float, counterparts: float, experts: float) -> int:
    """Case slots of one desk: eligible specialists' shares, generic officers, partners, experts.

    Args:
        specialists: serving officers by specialist skill.
        shares: slots each officer of that skill gives this desk (0 when not eligible).
        generic: serving generic individual officers.
        generic_fraction: slots per generic officer given to this desk.
        counterparts: host-state counterpart slots given to this desk.
        experts: INTERPOL expert slots at this desk.
    """
    total = sum(n * s for n, s in zip(specialists, shares, strict=True))
    total += generic * generic_fraction + counterparts + experts
    return max(math.floor(total + 1e-9), 0)


def query_hit(hit_probability: float, draw: float) -> bool:
    """Whether an intake query finds a record, given a uniform ``draw``."""
    return draw < hit_probability


def clearance_probability(base: float, hit: bool, gain: float) -> float:
    """Probability a worked case is cleared: ``base``, raised by ``gain`` of the gap if a hit."""
    return base + gain * (1.0 - base) if hit else base


# --- Random draws ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseDraws:
    """A desk's streams (``case.arrival``, ``case.work``, ``case.clearance``, ``case.hit``)."""

    gap: Block
    """Standard exponential variates (× mean gap = the gap to the next arrival)."""
    work: Callable[[], float]
    """Working time of the next case (days)."""
    clearance: Block
    """Uniforms compared with the clearance probability at closure."""
    hit: Block
    """Uniforms compared with the hit probability of an intake query."""


def case_draws(world: World, key: str, mean_days: float, cv: float) -> CaseDraws:
    """The named streams of the desk ``key`` (``mission/area``); work as :func:`draw_delay`."""
    work_rng = world.rng("case.work", key)
    if cv <= 0 or mean_days <= 0:
        def work() -> float:
            return mean_days
    else:
        shape = 1.0 / (cv * cv)
        work = Block(lambda n: work_rng.gamma(shape, mean_days / shape, n))
    return CaseDraws(
        gap=Block(world.rng("case.arrival", key).standard_exponential),
        work=work,
        clearance=Block(world.rng("case.clearance", key).random),
        hit=Block(world.rng("case.hit", key).random),
    )


# --- State ---------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class Case:
    """One case: when it arrived, its work, its draws and where it is (see module docstring)."""

    arrived: float
    work: float
    clear_draw: float
    hit: bool = False
    answered: bool = False
    started: float = math.nan
    end: float = math.inf
    token: int = 0
    open: bool = True
    working: bool = False


class CaseDesk:
    """The cases of one (mission, area) and their monthly counters.

    Args:
        mission: the mission's state.
        area: the crime area's name.
        index: the area's position in the scenario's areas.
        shares: slots each serving officer gives this desk, by skill index (general first).
        counterparts: host-state counterpart slots at this desk.
        arrivals: cases per month, a step schedule of days.
        draws: the desk's random streams.
    """

    def __init__(self, mission: MissionState, area: str, index: int, shares: list[float],
                 counterparts: float, arrivals: Schedule, draws: CaseDraws) -> None:
        self.mission = mission
        self.draws = draws
        self.changes: list[float] = []
        self.rate = 0.0  # cases per day in force until ``step`` (a day)
        self.step = -math.inf
        self.area = area
        self.index = index
        self.shares = shares
        self.counterparts = counterparts
        self.arrivals = arrivals
        self.waiting: deque[Case] = deque()
        self.waiting_open = 0
        self.busy = 0
        self.slots = 0
        self.counts = [0] * len(COUNTS)
        self.clear_days: list[float] = []
        self.wait_days = 0.0
        self._since = -math.inf
        self.busy_days = 0.0
        self.slot_days = 0.0

    def accrue(self, now: float) -> None:
        """Add slot-days and busy slot-days since the last change."""
        if self._since > -math.inf:
            span = now - self._since
            self.busy_days += span * self.busy
            self.slot_days += span * max(self.slots, self.busy)
        self._since = now


class CaseBook:
    """Every desk of a replication, the INTERPOL costs, and the monthly snapshots of the cases.

    Args:
        world: the replication's world; spec: the scenario's casework section.
    """

    def __init__(self, world: World, spec: Casework) -> None:
        self.world = world
        self.spec = spec
        self.areas = list(spec.areas)
        skills = list(world.scenario.skills)
        self.desks: list[CaseDesk] = []
        start = world.scenario.run.start
        n_areas = len(self.areas)
        for mission in world.missions:
            load = spec.missions.get(mission.name)
            if load is None:
                continue
            active = (mission.start_day, mission.end_day)
            for a, area in enumerate(self.areas):
                shares = [spec.generic_slot_fraction / n_areas]
                for skill in skills:
                    works = spec.eligible_areas(skill)
                    shares.append(spec.slots_per_specialist / len(works) if area in works
                                  else 0.0)
                spec_area = spec.areas[area]
                draws = case_draws(world, f"{mission.name}/{area}", spec_area.service_mean_days,
                                   spec_area.service_cv)
                self.desks.append(CaseDesk(mission, area, a, shares,
                                           load.counterpart_slots / n_areas,
                                           Schedule(load.arrivals.get(area, {}), start, active),
                                           draws))
        months = len(world.observer.months)
        self.snaps = np.zeros((months, len(self.desks), len(COUNTS) + 4))
        self.snap_clear: list[list[list[float]]] = [[[] for _ in self.desks]
                                                    for _ in range(months)]
        self.snap_open = np.zeros((months, len(self.desks), 2))
        self.cost = {m.name: 0.0 for m in world.missions}
        self.eligible = [i + 1 for i, skill in enumerate(skills) if spec.eligible_areas(skill)]
        self.coded: set[tuple[int, int]] = set()

    # --- slots -----------------------------------------------------------------------------------

    def serving_by_skill(self, mission: MissionState) -> list[int]:
        """Individual officers and team members serving at ``mission`` by skill (general first)."""
        serving = self.world.observer.serving[mission.index]
        ipo, spt = serving[Category.IPO], serving[Category.SPT]
        return [a + b + c + d for a, b, c, d in zip(ipo[0], ipo[1], spt[0], spt[1], strict=True)]

    def read_slots(self, desk: CaseDesk, people: list[int]) -> None:
        """Set the desk's slots from ``people`` serving at its mission by skill (general first)."""
        now = self.world.env.now
        experts = self.world.policies.expert_slots(now, desk.mission.name, desk.area)
        slots = self.world.decide("case_slots", people[1:], desk.shares[1:], people[0],
                                  desk.shares[0], desk.counterparts, experts,
                                  mission=desk.mission.name)
        if slots != desk.slots:
            desk.accrue(now)
            desk.slots = slots

    # --- timing ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the arrival stream of every desk and each mission's staffing review."""
        for desk in self.desks:
            desk.changes = desk.arrivals.change_days(self.world.horizon)
            self.next_arrival(desk)
        for index in sorted({d.mission.index for d in self.desks}):
            self.world.env.process(self.review(index))
        for mission in dict.fromkeys(d.mission for d in self.desks):
            if self.world.env.now < mission.end_day < self.world.horizon:
                self.world.env.timeout(mission.end_day - self.world.env.now).callbacks.append(
                    partial(self.close_mission, mission))
        for timed in self.world.policies.all_of(InterpolInvestigativeSupport):
            lever = timed.lever
            assert isinstance(lever, InterpolInvestigativeSupport)
            for day in (timed.start_day, timed.start_day + lever.weeks * 7):
                if day > self.world.env.now:
                    self.world.env.timeout(day - self.world.env.now).callbacks.append(
                        lambda _e: self.review_all())
            for m in self.world.missions:
                if timed.applies(timed.start_day, m.name) and timed.start_day >= 0 and any(
                        d.mission is m for d in self.desks):
                    self.cost[m.name] += lever.cost

    def next_arrival(self, desk: CaseDesk, _event: object = None) -> None:
        """Time the desk's next Poisson arrival at the schedule's rate.

        The rate is a step function; being memoryless, the next arrival is drawn anew at each
        step (a draw reaching past the step is discarded).
        """
        env = self.world.env
        now = env.now
        if now >= desk.step:  # a new step of the schedule: read its rate and the next step
            desk.rate = desk.arrivals.at(now) / MONTH_DAYS
            desk.step = next((d for d in desk.changes if d > now), math.inf)
        rate, step = desk.rate, desk.step
        if rate > 0:
            gap = desk.draws.gap() * (1.0 / rate)
            if now + gap < step:
                env.after(gap, partial(self._arrive, desk))
                return
        if step < math.inf:
            env.after(step - now, partial(self.next_arrival, desk))

    def _arrive(self, desk: CaseDesk, _event: object) -> None:
        self.intake(desk)
        self.next_arrival(desk)

    def intake(self, desk: CaseDesk) -> None:
        """A case arrives: draw its work and clearance, query INTERPOL, queue it."""
        world = self.world
        now = world.env.now
        area = self.spec.areas[desk.area]
        case = Case(now, desk.draws.work(), desk.draws.clearance())
        desk.counts[0] += 1
        link = world.policies.connectivity(now, desk.mission.name)
        if link is not None:
            draw = desk.draws.hit()
            if world.decide("query_hit", link.hit_probability.get(desk.area, 0.0), draw,
                            mission=desk.mission.name):
                case.hit = True
                desk.counts[5] += 1
                latency = link.latency_days.get(link.level, 0.0)
                world.env.after(latency, lambda _e: self.answered(desk, case, link))
        desk.waiting.append(case)
        desk.waiting_open += 1
        if area.max_wait_days is not None:
            world.env.after(area.max_wait_days, lambda _e: self.abandon(desk, case))
        self.dispatch(desk)

    def close_mission(self, mission: MissionState, _event: simpy.Event | None = None) -> None:
        """The mission ends: its waiting cases are handed over (counted as abandoned)."""
        for desk in self.desks:
            if desk.mission is mission:
                for case in desk.waiting:
                    self.abandon(desk, case)
                desk.waiting.clear()

    def answered(self, desk: CaseDesk, case: Case, link: InterpolConnectivity) -> None:
        """A query's hit comes back: the case's remaining work shrinks."""
        if not case.open:
            return
        case.answered = True
        now = self.world.env.now
        if not case.working:
            case.work *= link.work_factor
            return
        case.end = now + (case.end - now) * link.work_factor
        self._schedule_end(desk, case)

    def abandon(self, desk: CaseDesk, case: Case) -> None:
        """A case still waiting at its area's maximum wait is abandoned."""
        if case.open and not case.working:
            case.open = False
            desk.waiting_open -= 1
            desk.counts[4] += 1

    def dispatch(self, desk: CaseDesk) -> None:
        """Start waiting cases while the desk has free slots."""
        now = self.world.env.now
        while desk.busy < desk.slots and desk.waiting_open > 0:
            while not desk.waiting[0].open:
                desk.waiting.popleft()
            pick = self.world.decide("choose_case", [c.arrived for c in desk.waiting if c.open],
                                     mission=desk.mission.name) \
                if self.world.decisions.choose_case is not choose_case else 0
            case = self._take(desk, pick)
            desk.accrue(now)
            desk.busy += 1
            desk.waiting_open -= 1
            desk.counts[1] += 1
            desk.wait_days += now - case.arrived
            case.working = True
            case.started = now
            case.end = now + case.work
            self._schedule_end(desk, case)

    @staticmethod
    def _take(desk: CaseDesk, pick: int) -> Case:
        if pick == 0:
            return desk.waiting.popleft()
        opened = [c for c in desk.waiting if c.open]
        case = opened[pick]
        desk.waiting.remove(case)
        return case

    def _schedule_end(self, desk: CaseDesk, case: Case) -> None:
        case.token += 1
        token = case.token
        self.world.env.after(max(case.end - self.world.env.now, 0.0),
              lambda _e: self.finish(desk, case, token))

    def finish(self, desk: CaseDesk, case: Case, token: int) -> None:
        """Work on a case ends: cleared or closed uncleared; the slot takes the next case."""
        if token != case.token or not case.open:
            return
        now = self.world.env.now
        case.open = False
        desk.accrue(now)
        desk.busy -= 1
        area = self.spec.areas[desk.area]
        gain = 0.0
        if case.hit and case.answered:
            link = self.world.policies.connectivity(case.arrived, desk.mission.name)
            gain = link.clearance_gain if link is not None else 0.0
        p = self.world.decide("clearance_probability", area.clearance_probability,
                              case.hit and case.answered, gain, mission=desk.mission.name)
        if case.clear_draw < p:
            desk.counts[2] += 1
            desk.clear_days.append(now - case.arrived)
        else:
            desk.counts[3] += 1
        self.dispatch(desk)

    def review(self, mission: int) -> Generator[simpy.Event, Any, None]:
        """Every ``review_days``, re-read the mission's slots and start waiting cases."""
        desks = [d for d in self.desks if d.mission.index == mission]
        while True:
            self._reread(desks)
            if self.spec.feedback.enabled:
                self._code_calls(desks)
            yield self.world.env.timeout(self.spec.review_days)

    def _reread(self, desks: list[CaseDesk]) -> None:
        people = self.serving_by_skill(desks[0].mission)
        for desk in desks:
            self.read_slots(desk, people)
            self.dispatch(desk)

    def review_all(self) -> None:
        """Re-read every desk's slots now (an INTERPOL support block starts or ends)."""
        for mission in dict.fromkeys(d.mission.index for d in self.desks):
            self._reread([d for d in self.desks if d.mission.index == mission])

    def _code_calls(self, desks: list[CaseDesk]) -> None:
        """Feedback: code calls for skills eligible where the backlog is above the threshold."""
        limit = self.spec.feedback.backlog_per_slot
        mission = desks[0].mission.index
        self.coded = {(m, s) for m, s in self.coded if m != mission}
        for desk in desks:
            if desk.waiting_open > limit * max(desk.slots, 1):
                self.coded.update((mission, s) for s, share in enumerate(desk.shares)
                                  if s > 0 and share > 0)

    def codes(self, mission: int, skill: int) -> bool:
        """Whether casework feedback codes calls for ``skill`` (index) at ``mission``."""
        return (mission, skill) in self.coded

    # --- observation -----------------------------------------------------------------------------

    def snapshot(self, k: int, day: float) -> None:
        """Close month ``k − 1``'s counters at the start of month ``k`` (day ``day``)."""
        if k < len(self.world.observer.months) and day >= 0:
            self._add_costs(day)
        for i, desk in enumerate(self.desks):
            desk.accrue(day)
            if k > 0:
                self.snaps[k - 1, i] = [*desk.counts, desk.waiting_open, desk.busy,
                                        desk.busy_days, desk.slot_days]
                self.snap_clear[k - 1][i] = desk.clear_days
                self.snap_open[k - 1, i] = (desk.wait_days, desk.slots)
            desk.counts = [0] * len(COUNTS)
            desk.clear_days = []
            desk.wait_days = 0.0
            desk.busy_days = desk.slot_days = 0.0

    def _add_costs(self, day: float) -> None:
        """A month's casework cost per mission: eligible specialists serving, INTERPOL links.

        Specialists are priced at the individual-officer or team rate for the month (serving at
        the month's start, as ``officer_months``); generic officers and formed units are not.
        """
        costs = self.world.scenario.costs
        for m in dict.fromkeys(d.mission for d in self.desks):
            serving = self.world.observer.serving[m.index]
            ipo, spt = serving[Category.IPO], serving[Category.SPT]
            self.cost[m.name] += sum(
                (ipo[0][s] + ipo[1][s]) * costs.ipo_officer_month
                + (spt[0][s] + spt[1][s]) * costs.spt_officer_month for s in self.eligible)
            link = self.world.policies.connectivity(day, m.name)
            if link is not None and m.active(day):
                self.cost[m.name] += link.monthly_cost

    def table(self, months: list[date]) -> pa.Table:
        """The ``cases`` table: month × mission (and ALL) × area (and all); see docs/outputs.md."""
        return cases_table(self, months)


def cases_table(book: CaseBook, months: list[date]) -> pa.Table:
    """Tabulate a :class:`CaseBook`'s snapshots, with ALL missions and all areas as totals."""
    return table(cases_columns(book, months))


def cases_columns(book: CaseBook, months: list[date]) -> dict[str, np.ndarray]:
    """The columns of :func:`cases_table`, as NumPy arrays (what the case outcomes read)."""
    missions = list(dict.fromkeys(d.mission.name for d in book.desks))
    names, areas, members = [], [], []
    for name in [*missions, "ALL"]:
        for area in [*book.areas, "all"]:
            names.append(name)
            areas.append(area)
            members.append([i for i, d in enumerate(book.desks)
                            if name in (d.mission.name, "ALL") and area in (d.area, "all")])
    n, g = len(months), len(members)
    belongs = np.zeros((g, len(book.desks)))
    for j, found in enumerate(members):
        belongs[j, found] = 1.0
    snaps = np.einsum("gd,kdc->kgc", belongs, book.snaps)  # (month, group, counter)
    opens = np.einsum("gd,kdc->kgc", belongs, book.snap_open)
    c = {name: snaps[..., i] for i, name in enumerate(COUNTS)}
    backlog, in_work, busy, avail = (snaps[..., len(COUNTS) + i] for i in range(4))
    closed = c["cleared"] + c["closed_uncleared"]
    medians = np.array([[_median([t for i in found for t in book.snap_clear[k][i]])
                         for found in members] for k in range(n)]).reshape(n, g)
    with np.errstate(invalid="ignore", divide="ignore"):
        columns = {
            "month": np.repeat(np.arange(n), g),
            "date": np.repeat(month_dates(months), g),
            "mission": np.tile(np.array(names, dtype=object), n),
            "area": np.tile(np.array(areas, dtype=object), n),
            **{name: c[name].reshape(-1).round().astype(np.int64) for name in COUNTS[:5]},
            "backlog": backlog.reshape(-1).round().astype(np.int64),
            "in_work": in_work.reshape(-1).round().astype(np.int64),
            "median_days_to_clear": medians.reshape(-1),
            "mean_wait_days": np.where(c["started"] > 0, opens[..., 0] / c["started"],
                                       np.nan).reshape(-1),
            "clearance_rate": np.where(closed > 0, c["cleared"] / closed, np.nan).reshape(-1),
            "hit_share": np.where(c["arrivals"] > 0, c["hits"] / c["arrivals"],
                                  np.nan).reshape(-1),
            "slots": opens[..., 1].reshape(-1).round().astype(np.int64),
            "utilisation": np.where(avail > 0, busy / avail, np.nan).reshape(-1),
        }
    return {name: columns[name] for name in CASE_COLUMNS}


def _median(values: list[float]) -> float:
    """Median of a short list (NaN when empty); cheaper than numpy for a handful of values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def empty_cases_table() -> pa.Table:
    """A ``cases`` table without rows, of the same columns and types (no casework)."""
    floats = {"median_days_to_clear", "mean_wait_days", "clearance_rate", "hit_share",
              "utilisation"}
    columns: dict[str, Any] = {c: np.zeros(0, np.float64 if c in floats else np.int64)
                               for c in CASE_COLUMNS}
    columns["date"] = np.zeros(0, "datetime64[s]")
    columns["mission"] = columns["area"] = text([])
    return table(columns)


__all__ = ["CASE_COLUMNS", "Case", "CaseBook", "CaseDesk", "case_slots", "cases_columns",
           "cases_table",
           "choose_case", "clearance_probability", "empty_cases_table", "query_hit"]
