"""Events at run time: budget cuts, entry gates, re-hatting, transfers, freezes and closures.

The scenario's ``events`` (:mod:`sim.scenario.events`) act through a few small hooks; a scenario
without events installs nothing, so its results are unchanged.

- **Posts**: a ``budget_cut`` or ``forced_closure`` scales the mission's authorized schedules
  (:meth:`Schedule.scale`) from the cut day, so calls, selection and arrivals see fewer posts at
  once; the officers and units above the new ceiling are then repatriated in weekly batches by
  :func:`drawdown` (instead of all at once by the mission's schedule), chosen by
  :func:`choose_leaving`.
- **Entry gate** (:class:`EntryGate`, one per mission an event touches): arrivals of officers
  (``pipeline._arrive``) and units (``units.slot``) ask it to be let in. It refuses during a
  rotation freeze (they wait for its end) and above a monthly entry quota (they wait for the next
  calendar month), adds the extra entry delay to travel, and says which contributors are accepted
  (calls and unit requests go only to them). It also extends tours that end during a freeze.
- **Timing processes** place re-hatted police (:func:`rehat`), move police between missions
  (:func:`transfer`) and end the backlog of extended tours after a freeze (:func:`release`).

Choices are pure functions (:func:`cut_factors`, :func:`choose_leaving`, :func:`batch_days`,
:func:`allowed_after`, :func:`spread`), tested without an environment. Every officer stays
conserved: repatriated and transferred officers change state; re-hatted officers are *generated*
through the census, like the initial staffing.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pyarrow as pa
import simpy

from sim.model import pipeline, transitions, units
from sim.model.assessment import MONTH_DAYS
from sim.model.columns import nulls, table
from sim.model.missions import MissionState
from sim.model.personnel import GENERAL, Category, Officer, State, Unit
from sim.scenario.events import (
    BudgetCeiling,
    BudgetCut,
    ContributorsFirst,
    EntryConstraint,
    Event,
    ForcedClosure,
    Rehat,
    RotationFreeze,
    Transfer,
    window,
)
from sim.scenario.schema import add_months, day_of

if TYPE_CHECKING:
    from sim.model.world import World

IPO, FPU = Category.IPO, Category.FPU
WEEK = 7.0
AFTER = 1e-3
"""Days after a boundary (month start, freeze end) that held arrivals try again: just after that
day's monthly snapshot, so that they count in the new month."""


# --- Pure decisions ------------------------------------------------------------------------------


def cut_factors(ipo: float, units_: float, unit_size: int, share: float,
                order: Any) -> tuple[float, float]:
    """Multipliers on individual posts and on formed units that remove ``share`` of the posts.

    Proportional (each category keeps ``1 − share``, units rounded by the schedule), except under
    ``formed_units_first``: whole units go first (as many as the cut covers, rounded to the
    nearest unit) and individual posts cover the rest.
    """
    if order != "formed_units_first":
        return 1.0 - share, 1.0 - share
    officers = share * (ipo + units_ * unit_size)
    units_cut = min(units_, float(round(officers / unit_size)))
    ipo_cut = min(max(officers - units_cut * unit_size, 0.0), ipo)
    f_ipo = (ipo - ipo_cut) / ipo if ipo > 0 else 1.0
    f_units = (units_ - units_cut) / units_ if units_ > 0 else 1.0
    return f_ipo, f_units


def ceiling_factors(ipo: float, units_: float, unit_size: int, rates: tuple[float, float],
                    ceiling: float, order: Any) -> tuple[float, float]:
    """Multipliers on individual posts and on formed units that bring their cost under ``ceiling``.

    ``rates`` are the monthly costs of an individual officer and of a formed-unit officer. At or
    under the ceiling nothing changes. Above it, under ``formed_units_first`` whole units go first
    (as few as cover the excess, or all) and individual posts cover the rest; otherwise both keep
    the same share of posts ``ceiling / cost`` — units rounded down, then as many individual posts
    as the ceiling still pays for. Either way the cost kept is at most the ceiling and at least
    the ceiling less one unit's cost (when the ceiling can be met at all).
    """
    ipo_rate, fpu_rate = rates
    unit_cost = unit_size * fpu_rate
    cost = ipo * ipo_rate + units_ * unit_cost
    if cost <= ceiling:
        return 1.0, 1.0
    if order == "formed_units_first":
        units_cut = min(units_, float(math.ceil((cost - ceiling) / unit_cost - 1e-9)))
        rest = cost - units_cut * unit_cost - ceiling
        ipo_cut = min(ipo, float(math.ceil(rest / ipo_rate - 1e-9))) if rest > 0 else 0.0
        units_keep, ipo_keep = units_ - units_cut, ipo - ipo_cut
    else:
        units_keep = float(math.floor(units_ * ceiling / cost + 1e-9))
        ipo_keep = min(ipo, float(math.floor((ceiling - units_keep * unit_cost) / ipo_rate
                                             + 1e-9)))
    f_ipo = ipo_keep / ipo if ipo > 0 else 1.0
    f_units = units_keep / units_ if units_ > 0 else 1.0
    return f_ipo, f_units


def choose_leaving(people: list[tuple[float, str]], n: int, order: Any) -> list[int]:
    """Indices of the ``n`` people (arrival day, contributor) who leave first under ``order``.

    ``last_arrivals`` (and ``formed_units_first``, for individual officers): the most recent
    arrivals first. A contributors list: those contributors' people first, in the order listed,
    each by last arrival; then everyone else by last arrival. Ties keep the given order.
    """
    if n <= 0:
        return []
    rank: dict[str, int] = {}
    if isinstance(order, ContributorsFirst):
        rank = {name: k for k, name in enumerate(order.contributors)}
    last = len(rank)
    keyed = sorted(range(len(people)),
                   key=lambda i: (rank.get(people[i][1], last), -people[i][0], i))
    return keyed[:n]


def batch_days(first: float, span: float) -> list[float]:
    """Days of weekly repatriation batches over ``span`` days from ``first`` (the last on the end).

    ``span`` 0 gives one batch at ``first``.
    """
    if span <= 0:
        return [first]
    batches = max(math.ceil(span / WEEK - 1e-9), 1)
    return [first + span * w / batches for w in range(1, batches + 1)]


def allowed_after(batch: int, batches: int, start: int, ceiling: int) -> int:
    """Officers allowed after batch ``batch`` of ``batches`` (``start`` evenly to ``ceiling``)."""
    excess = max(start - ceiling, 0)
    return ceiling + round(excess * (1 - batch / batches))


def spread(n: int, batches: int) -> list[int]:
    """Batch number (0…batches−1) of each of ``n`` items spread evenly, first items first."""
    if batches <= 1 or n <= 0:
        return [0] * max(n, 0)
    return [min(k * batches // n, batches - 1) for k in range(n)]


def month_index(starts: list[float], day: float) -> int:
    """Index of the calendar month containing ``day`` (``starts`` are month-start days)."""
    return bisect.bisect_right(starts, day) - 1


# --- The entry gate ------------------------------------------------------------------------------


@dataclass
class Limit:
    """An entry constraint in force on days [first, last), with its monthly entry counts."""

    index: int
    spec: EntryConstraint
    first: float
    last: float
    entered: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))

    def on(self, day: float) -> bool:
        """Whether the constraint is in force on ``day``."""
        return self.first <= day < self.last


@dataclass
class Freeze:
    """A rotation freeze on days [first, last): held tours are released over ``catch_up`` days."""

    index: int
    spec: RotationFreeze
    first: float
    last: float
    catch_up: float
    backlog: list[tuple[float, Officer, int]] = field(default_factory=list)

    def on(self, day: float) -> bool:
        """Whether the freeze is in force on ``day``."""
        return self.first <= day < self.last


class EntryGate:
    """What a host state (and a rotation freeze) let into one mission, and when.

    Args:
        book: the replication's events (for effects and scheduling).
        mission: the mission the gate guards.
    """

    def __init__(self, book: EventBook, mission: MissionState) -> None:
        self.book = book
        self.mission = mission
        self.limits: list[Limit] = []
        self.freezes: list[Freeze] = []

    @property
    def limits_initial(self) -> bool:
        """Whether the officers and units serving at the start come only from accepted ones."""
        return any(limit.spec.applies_to_initial for limit in self.limits)

    def accepts(self, contributor: str, day: float) -> bool:
        """Whether every constraint in force on ``day`` accepts ``contributor``'s police."""
        return all(limit.spec.accepts(contributor) for limit in self.limits if limit.on(day))

    def extra_delay(self, day: float) -> float:
        """Extra entry days for an officer or unit setting off on ``day``."""
        return sum(limit.spec.extra_entry_delay_days for limit in self.limits if limit.on(day))

    def admit(self, day: float, category: Category) -> float:
        """Let one arrival in now (0, counted against the quotas) or say how long it must wait."""
        for freeze in self.freezes:
            if freeze.on(day):
                self.book.effect(freeze.index, self.mission, "arrivals_held")
                return freeze.last - day + AFTER
        month = month_index(self.book.month_starts, day)
        for limit in self.limits:
            quota = {IPO: limit.spec.arrivals_per_month,
                     FPU: limit.spec.units_per_month}.get(category)
            if limit.on(day) and quota is not None and limit.entered[(month, category)] >= quota:
                self.book.effect(limit.index, self.mission, "entries_deferred")
                return self.book.month_starts[month + 1] - day + AFTER
        for limit in self.limits:
            if limit.on(day):
                limit.entered[(month, category)] += 1
        return 0.0

    def hold_rotation(self, day: float, officer: Officer, token: int) -> bool:
        """Extend the tour of an officer due to rotate during a freeze (True if held)."""
        for freeze in self.freezes:
            if freeze.on(day):
                freeze.backlog.append((officer.tour_end, officer, token))
                self.book.effect(freeze.index, self.mission, "tours_extended")
                return True
        return False

    def hold_unit(self, day: float, unit: Unit, j: int, token: int) -> bool:
        """Extend the tour of a unit due to rotate during a freeze (True if held).

        The unit leaves when its replacement arrives, or at the end of the catch-up at latest.
        """
        for freeze in self.freezes:
            if freeze.on(day):
                self.book.effect(freeze.index, self.mission, "tours_extended", unit.size)
                deadline = freeze.last + freeze.catch_up - day
                self.book.world.env.timeout(deadline).callbacks.append(
                    partial(self._end_held_unit, unit, j, token))
                return True
        return False

    def _end_held_unit(self, unit: Unit, j: int, token: int, _event: simpy.Event) -> None:
        mission = self.mission
        if unit.tour == token and unit.state is State.SERVING and mission.unit_slots[j] is unit:
            units.leave(self.book.world, unit, j, "rotations")


# --- The replication's events --------------------------------------------------------------------


class Effects(Protocol):
    """Where a drawdown records what it did: an :class:`EventBook`, or :data:`NO_EFFECTS`."""

    def effect(self, index: int, mission: MissionState, name: str, n: float = 1.0) -> None:
        """Count ``n`` of effect ``name`` of event ``index`` on ``mission``."""


class _NoEffects:
    """Stands in for an event book when a mandate cut is paced: no event effects are recorded."""

    def effect(self, index: int, mission: MissionState, name: str, n: float = 1.0) -> None:
        """Ignore an effect (mandate steps are not events)."""


NO_EFFECTS: Effects = _NoEffects()
"""The :class:`Effects` of a paced mandate step (recorded nowhere)."""


class EventBook:
    """The scenario's events in one replication: gates, effects counted, and the events table.

    Args:
        world: the replication's world.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        scenario = world.scenario
        first = -math.ceil(scenario.warmup_days / 28) - 1
        self.month_starts = [day_of(scenario.run.start, add_months(scenario.run.start, k))
                             for k in range(first, scenario.months + 2)]
        self.effects: dict[tuple[int, str, str], float] = defaultdict(float)

    def gate(self, mission: MissionState) -> EntryGate:
        """The mission's entry gate (created on first use)."""
        if mission.gate is None:
            mission.gate = EntryGate(self, mission)
        return mission.gate

    def effect(self, index: int, mission: MissionState, name: str, n: float = 1.0) -> None:
        """Count ``n`` officers (or arrivals) affected by event ``index`` in ``mission``."""
        self.effects[(index, mission.name, name)] += n

    def table(self) -> pa.Table:
        """One row per event, mission and effect: what the events did in this replication."""
        events = self.world.scenario.events
        rows: list[tuple[Any, ...]] = []
        never = np.datetime64("NaT", "s")
        for (index, mission, name), n in sorted(self.effects.items()):
            event = events[index]
            first, last = window(event, self.world.scenario.end)
            rows.append((index, event.type, mission,
                         np.datetime64(first, "s") if event.start else never,
                         np.datetime64(last, "s") if last < date.max else never, name, float(n)))
        names = ["event", "type", "mission", "start", "end", "effect", "officers"]
        if not rows:  # pandas typed nothing
            return table({name: nulls(0) for name in names})
        types: list[Any] = [np.int64, object, object, "datetime64[s]", "datetime64[s]", object,
                            float]
        return table({name: np.array([row[i] for row in rows], dtype=types[i])
                      for i, name in enumerate(names)})


def install(world: World) -> None:
    """Apply the scenario's events to the world and start their processes (none: no-op)."""
    scenario = world.scenario
    if not scenario.events:
        return
    book = EventBook(world)
    world.events = book
    by_name = {m.name: m for m in world.missions}
    for index, event in enumerate(scenario.events):
        installer = _INSTALLERS[type(event)]
        installer(world, book, index, event, by_name)


def _day(world: World, when: Any) -> float:
    return day_of(world.scenario.run.start, when)


def _install_cut(world: World, book: EventBook, index: int, event: Event,
                 by_name: dict[str, MissionState]) -> None:
    assert isinstance(event, BudgetCut)
    first = _day(world, event.start) + event.lag_days
    last = _day(world, event.restore) if event.restore else math.inf
    for name in event.missions:
        mission = by_name[name]
        f_ipo, f_units = cut_factors(mission.ipo.at(first), mission.units.at(first),
                                     mission.spec.fpu_unit_size, event.share, event.order)
        _cut(world, book, index, mission, (first, last), (f_ipo, f_units),
             event.over_weeks * WEEK, event.order, _day(world, event.start),
             event.share if event.include_teams else 0.0)


def _install_ceiling(world: World, book: EventBook, index: int, event: Event,
                     by_name: dict[str, MissionState]) -> None:
    """Cut each stretch of posts between mandate steps to the ceiling; repatriate from the first.

    The posts of every stretch in [cut day, end) are priced and cut on their own (a later
    increase is capped too, a later fall below the ceiling is left alone); the officers above
    the first stretch's cut posts are repatriated like a budget cut's, later falls by the
    mission's schedule as usual. A ceiling no stretch exceeds installs nothing.
    """
    assert isinstance(event, BudgetCeiling)
    first = _day(world, event.start) + event.lag_days
    last = _day(world, event.end) if event.end else math.inf
    rates = (world.scenario.costs.ipo_officer_month, world.scenario.costs.fpu_officer_month)
    missions = [by_name[name] for name in event.missions or list(by_name)]
    horizon = min(last, float(world.scenario.months * 31 + 1))
    bounds = sorted({first, *(d for m in missions for schedule in (m.ipo, m.units)
                              for d in schedule.change_days(horizon) if first < d < horizon)})
    stretches = list(zip(bounds, [*bounds[1:], last], strict=True))
    plan = [(stretch, mission, factors)
            for stretch in stretches
            for mission, factors in zip(missions, _stretch_factors(
                missions, stretch[0], rates, event), strict=True)
            if factors != (1.0, 1.0)]
    announced = _day(world, event.start)
    for (s_first, s_last), mission, (f_ipo, f_units) in plan:
        if s_first == first:
            _cut(world, book, index, mission, (s_first, s_last), (f_ipo, f_units),
                 event.over_weeks * WEEK, event.order, announced)
        else:
            mission.ipo.scale(s_first, s_last, f_ipo, announced)
            mission.units.scale(s_first, s_last, f_units, announced)


def _stretch_factors(missions: list[MissionState], day: float, rates: tuple[float, float],
                     event: BudgetCeiling) -> list[tuple[float, float]]:
    """Each mission's post multipliers for the stretch starting on ``day`` (a shared ceiling)."""
    costs = [posts_cost(m, day, rates) for m in missions]
    total = sum(costs)
    if total <= event.usd_per_month:
        return [(1.0, 1.0)] * len(missions)
    return [ceiling_factors(m.ipo.at(day), m.units.at(day), m.spec.fpu_unit_size, rates,
                            event.usd_per_month * cost / total, event.order)
            for m, cost in zip(missions, costs, strict=True)]


def posts_cost(mission: MissionState, day: float, rates: tuple[float, float]) -> float:
    """Monthly cost (USD) of a mission's individual posts and formed-unit posts on ``day``."""
    return (mission.ipo.at(day) * rates[0]
            + mission.units.at(day) * mission.spec.fpu_unit_size * rates[1])


def _install_closure(world: World, book: EventBook, index: int, event: Event,
                     by_name: dict[str, MissionState]) -> None:
    assert isinstance(event, ForcedClosure)
    mission = by_name[event.mission]
    first, by = _day(world, event.start), _day(world, event.by)
    mission.end_day = min(mission.end_day, by)  # teams serving leave by then at the latest
    mission.closing_from = min(mission.closing_from, first)
    _cut(world, book, index, mission, (first, math.inf), (0.0, 0.0), max(by - 1 - first, 0.0),
         event.order, first)


def _cut(world: World, book: Effects, index: int, mission: MissionState,
         days: tuple[float, float], factors: tuple[float, float], span: float,
         order: Any, announced: float, teams_share: float = 0.0) -> None:
    """Scale the mission's posts over ``days`` and repatriate the excess over ``span`` days.

    ``teams_share`` of the specialized teams serving on the cut day are sent home too.
    """
    first, last = days
    before = mission.ipo.at(first) + mission.units.at(first) * mission.spec.fpu_unit_size
    mission.ipo.scale(first, last, factors[0], announced)
    mission.units.scale(first, last, factors[1], announced)
    after = mission.ipo.at(first) + mission.units.at(first) * mission.spec.fpu_unit_size
    book.effect(index, mission, "posts_cut", before - after)
    mission.paced_days.add(first)
    world.env.process(drawdown(world, book, index, mission, (first, span), order, teams_share))


def teams_leaving(teams: list[tuple[float, str]], share: float, order: Any) -> list[int]:
    """Indices of the serving teams (arrival day, contributor) a cut of ``share`` sends home.

    Whole teams: ``share`` of them, rounded to the nearest team, chosen like individual officers
    (last arrivals first, or the named contributors' first).
    """
    return choose_leaving(teams, round(share * len(teams)), order) if share > 0 else []


def drawdown(world: World, book: Effects, index: int, mission: MissionState,
             when: tuple[float, float], order: Any,
             teams_share: float = 0.0) -> Generator[simpy.Event, Any, None]:
    """Repatriate the officers and units above the mission's (cut) posts in weekly batches.

    With ``teams_share``, that share of the specialized teams serving on the cut day goes home
    too, spread over the same batches.
    """
    env = world.env
    first, span = when
    yield env.timeout(max(first - env.now, 0.0))
    start_ipo = mission.serving_ipo.total
    leaving_units = _units_above(mission, env.now)
    days = batch_days(first, span)
    unit_batch = spread(len(leaving_units), len(days))
    serving_teams = list(mission.serving_teams)
    cut_teams = [serving_teams[i] for i in teams_leaving(
        [(arrived, name) for _, arrived, name, _ in serving_teams], teams_share, order)]
    team_batch = spread(len(cut_teams), len(days))
    for w, day in enumerate(days, start=1):
        yield env.timeout(max(day - env.now, 0.0))
        allowed = allowed_after(w, len(days), start_ipo, int(mission.ipo.at(env.now)))
        serving = list(mission.serving)
        people = [(o.since, world.contributors[o.contributor].name) for o in serving]
        for i in choose_leaving(people, mission.serving_ipo.total - allowed, order):
            officer = serving[i]
            officer.tour += 1
            pipeline.depart(world, officer, "drawdowns")
            book.effect(index, mission, "repatriated")
        for (j, unit), batch in zip(leaving_units, unit_batch, strict=True):
            if batch == w - 1 and mission.unit_slots[j] is unit and unit.state is State.SERVING \
                    and j >= mission.units.at(env.now):
                units.leave(world, unit, j, "drawdowns")
                book.effect(index, mission, "repatriated", unit.size)
        for duty, batch in zip(cut_teams, team_batch, strict=True):
            if batch == w - 1 and duty in mission.serving_teams:
                duty[0].interrupt("budget cut")
                book.effect(index, mission, "repatriated", duty[3])
        pipeline.fill_posts(world, mission)


def _units_above(mission: MissionState, day: float) -> list[tuple[int, Unit]]:
    """Serving units in posts beyond the authorized number on ``day``, highest post first.

    Formed units hold numbered posts, so the posts cut are the highest ones (an order rule
    does not pick among units; see docs/model.md).
    """
    ceiling = mission.units.at(day)
    found = [(j, u) for j, u in enumerate(mission.unit_slots)
             if j >= ceiling and u is not None and u.state is State.SERVING]
    return sorted(found, key=lambda ju: -ju[0])


def _install_gate(world: World, book: EventBook, index: int, event: Event,
                  by_name: dict[str, MissionState]) -> None:
    assert isinstance(event, EntryConstraint)
    first = _day(world, event.start) if event.start else -math.inf
    last = _day(world, event.end) if event.end else math.inf
    for name in event.missions:
        book.gate(by_name[name]).limits.append(Limit(index, event, first, last))


def _install_freeze(world: World, book: EventBook, index: int, event: Event,
                    by_name: dict[str, MissionState]) -> None:
    assert isinstance(event, RotationFreeze)
    first, last = _day(world, event.start), _day(world, event.end)
    freeze = Freeze(index, event, first, last, event.catch_up_weeks * WEEK)
    for name in event.missions or list(by_name):
        book.gate(by_name[name]).freezes.append(freeze)
    world.assessment.teams = _reduced(world.assessment.teams, first, last,
                                      event.assessment_factor)
    world.env.timeout(last - world.env.now).callbacks.append(
        lambda _e: world.assessment.dispatch())
    world.env.process(release(world, book, freeze))


def _reduced(teams: Callable[[float], int], first: float, last: float,
             factor: float) -> Callable[[float], int]:
    """Assessment teams at work, multiplied by ``factor`` (rounded down) on days [first, last)."""
    def capacity(day: float) -> int:
        base = teams(day)
        return math.floor(base * factor) if first <= day < last else base
    return capacity


def release(world: World, book: EventBook, freeze: Freeze) -> Generator[simpy.Event, Any, None]:
    """After a freeze, end the extended tours in weekly batches over the catch-up, oldest first."""
    env = world.env
    yield env.timeout(freeze.last - env.now)
    backlog = sorted(freeze.backlog, key=lambda held: held[0])
    days = batch_days(env.now, freeze.catch_up)
    batches = spread(len(backlog), len(days))
    for b, day in enumerate(days):
        yield env.timeout(max(day - env.now, 0.0))
        for (_, officer, token), batch in zip(backlog, batches, strict=True):
            if batch == b and officer.tour == token and officer.state is State.SERVING:
                pipeline.depart(world, officer, "rotations")


def _install_rehat(world: World, book: EventBook, index: int, event: Event,
                   by_name: dict[str, MissionState]) -> None:
    assert isinstance(event, Rehat)
    mission = by_name[event.mission]
    book.gate(mission)  # arriving pipeline units must see re-hatted units in their posts
    world.env.process(rehat(world, book, index, event, mission))


def rehat(world: World, book: EventBook, index: int, event: Rehat,
          mission: MissionState) -> Generator[simpy.Event, Any, None]:
    """Re-hatted police join the mission, evenly over ``within_days``, in free posts only."""
    env = world.env
    first = _day(world, event.start)
    joiners = [(c, category) for c in event.contingents
               for category, n in ((IPO, c.ipo), (FPU, c.fpu_units)) for _ in range(n)]
    step = event.within_days / len(joiners) if joiners else 0.0
    by_name = {c.name: c for c in world.members}
    for k, (contingent, category) in enumerate(joiners):
        wait = first + k * step - env.now
        if wait > 0:  # those joining at once are all placed before the day's snapshot
            yield env.timeout(wait)
        contributor = by_name[contingent.contributor]
        rng = world.rng("rehat.people", contributor.name)
        if category is IPO:
            placed = _rehat_officer(world, mission, contributor, contingent.ipo_women_share, rng)
            size = 1
        else:
            placed, size = _rehat_unit(world, mission, contributor, rng)
        book.effect(index, mission, "rehatted" if placed else "rehat_no_post", size)


def _rehat_officer(world: World, mission: MissionState, contributor: Any,
                   women_share: float | None, rng: np.random.Generator) -> bool:
    now = world.env.now
    if mission.empty_posts(now) <= 0:
        return False
    share = women_share if women_share is not None else contributor.pool_women_share(now)
    woman = bool(rng.random() < share)
    officer = Officer(contributor.index, woman, GENERAL, mission.index, now)
    contributor.send(int(woman), GENERAL)
    transitions.enlist(world, officer, State.TRAVELLING)
    pipeline.take_post(world, officer)
    return True


def _rehat_unit(world: World, mission: MissionState, contributor: Any,
                rng: np.random.Generator) -> tuple[bool, int]:
    now = world.env.now
    free = _free_slot(mission, now)
    if free is None:
        return False, contributor.spec.fpu_unit_size
    unit = units.new_unit(world, mission, contributor, rng, State.TRAVELLING)
    units.serve(world, mission, unit, free, world.scenario.pipeline.units.tour_months * MONTH_DAYS)
    return True, unit.size


def _free_slot(mission: MissionState, day: float) -> int | None:
    """The first authorized unit post with no unit serving in it."""
    for j in range(min(int(mission.units.at(day)), len(mission.unit_slots))):
        occupant = mission.unit_slots[j]
        if occupant is None or occupant.state is not State.SERVING:
            return j
    return None


def _install_transfer(world: World, book: EventBook, index: int, event: Event,
                      by_name: dict[str, MissionState]) -> None:
    assert isinstance(event, Transfer)
    source, target = by_name[event.from_mission], by_name[event.to_mission]
    book.gate(target)
    world.env.process(transfer(world, book, index, event, (source, target)))


def transfer(world: World, book: EventBook, index: int, event: Transfer,
             missions: tuple[MissionState, MissionState]) -> Generator[simpy.Event, Any, None]:
    """Serving officers and units leave one mission and, after the delay, join the other."""
    env = world.env
    source, target = missions
    yield env.timeout(max(_day(world, event.start) - env.now, 0.0))
    serving = list(source.serving)
    people = [(o.since, world.contributors[o.contributor].name) for o in serving]
    for i in choose_leaving(people, event.ipo, event.order):
        officer = serving[i]
        officer.tour += 1
        pipeline.travel(world, officer, event.delay_days, to=target)
        pipeline.vacate(world, source, "drawdowns", opens=True)
        book.effect(index, source, "transferred_out")
    slots = [(j, u) for j, u in enumerate(source.unit_slots)
             if u is not None and u.state is State.SERVING]
    unit_people = [(u.tour_end, world.contributors[u.contributor].name) for _, u in slots]
    moving = [slots[i] for i in choose_leaving(unit_people, event.fpu_units, event.order)]
    for j, unit in moving:
        units.vacate_slot(world, unit, j, "drawdowns")
        unit.tour += 1
        world.observer.move(FPU, State.SERVING, State.TRAVELLING, unit.size)
        unit.state = State.TRAVELLING
        book.effect(index, source, "transferred_out", unit.size)
    pipeline.fill_posts(world, source)
    if moving:
        yield env.timeout(event.delay_days)
    for _, unit in moving:
        free = _free_slot(target, env.now)
        unit.mission = target.index
        if free is None:
            world.observer.flow(target.index, FPU, "drawdowns", unit.size)
            units.go_home(world, unit)
            continue
        units.serve(world, target, unit, free,
                    world.scenario.pipeline.units.tour_months * MONTH_DAYS)
        book.effect(index, target, "transferred_in", unit.size)


_INSTALLERS: dict[type, Callable[..., None]] = {
    BudgetCut: _install_cut,
    BudgetCeiling: _install_ceiling,
    ForcedClosure: _install_closure,
    EntryConstraint: _install_gate,
    RotationFreeze: _install_freeze,
    Rehat: _install_rehat,
    Transfer: _install_transfer,
}


__all__ = [
    "EntryGate",
    "EventBook",
    "allowed_after",
    "batch_days",
    "ceiling_factors",
    "choose_leaving",
    "cut_factors",
    "install",
    "posts_cost",
    "spread",
    "teams_leaving",
]
