"""Formed police units: generation, pre-deployment assessment, tours and rotation gaps.

Each authorized unit post of a mission is a *slot* with one SimPy process. Life cycle of a slot::

    needed on day D ──(D − rotation lead)──► request: a contributor with a free unit is chosen
      ──(generation delay)──► pre-deployment assessment ──(fail: remedial delay, again)──►
      ──(travel)──► arrives on max(ready, D) and serves a tour ──► next needed on its tour end

The outgoing unit leaves at its tour end whatever happens; a replacement that is late leaves the
post empty (a rotation gap, counted in unit-days). Units are blocks of officers: their
composition (size, women) is counted, not simulated person by person.
"""

from __future__ import annotations

from collections.abc import Generator
from functools import partial
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import simpy

from sim.model.assessment import MONTH_DAYS
from sim.model.contributors import ContributorState
from sim.model.missions import MissionState
from sim.model.personnel import GENERAL, Category, State, Unit
from sim.model.streams import draw_delay

if TYPE_CHECKING:
    from sim.model.world import World

FPU: Final = Category.FPU


def initial_units(world: World, mission: MissionState) -> None:
    """Place the units serving at the start and start one process per unit slot."""
    slots = int(max([*mission.units.values, 0]))
    mission.unit_slots = [None] * slots
    mission.slot_owner = [None] * slots
    now = world.env.now
    serving = min(mission.spec.initial.fpu_units, slots) if mission.active(now) else 0
    rng = world.rng("initial.units", mission.name)
    pipe = world.scenario.pipeline.units
    tour = pipe.tour_months * MONTH_DAYS
    observed = _observed_units(world, mission) if mission.spec.initial.by_contributor else None
    for j in range(slots):
        unit = None
        if j < serving and observed is not None:  # as the record lists them
            owner, size, women = observed[j]
            unit = new_unit(world, mission, owner, rng, State.SERVING, size, women)
            serve(world, mission, unit, j, float(rng.uniform(0.0, tour)))
        elif j < serving:
            contributor = _choose(world, mission, rng, initial=True, post=j)
            if contributor is not None:
                unit = new_unit(world, mission, contributor, rng, State.SERVING)
                serve(world, mission, unit, j, float(rng.uniform(0.0, tour)))
        if unit is not None:
            hold(mission, j, world.contributors[unit.contributor])
        head_start = 0.0
        if unit is not None and world.scenario.run.seed_pipeline:
            # the replacement was requested rotation_lead_days before the tour's end, before
            # the start if the tour ends within the lead: that much of its pipeline is done
            head_start = max(pipe.rotation_lead_days - (unit.tour_end - now), 0.0)
        world.env.process(slot(world, mission, j, unit, head_start))
    mission.touch_units(now)


def hold(mission: MissionState, j: int, contributor: ContributorState | None) -> None:
    """``contributor`` now holds unit post ``j`` of ``mission`` (``None``: nobody does)."""
    old = mission.slot_owner[j]
    if old is contributor:
        return
    if old is not None:
        old.slots_held -= 1
    if contributor is not None:
        contributor.slots_held += 1
    mission.slot_owner[j] = contributor


def _spend(delay: float, credit: float) -> tuple[float, float]:
    """A delay shortened by the pipeline time already done (``credit``), and the credit left."""
    if credit <= 0:
        return delay, credit
    return max(delay - credit, 0.0), max(credit - delay, 0.0)


def slot(world: World, mission: MissionState, j: int, current: Unit | None,
         head_start: float = 0.0) -> Generator[simpy.Event, Any, None]:
    """Keep unit post ``j`` of ``mission`` filled for as long as it is authorized.

    ``head_start`` (days, ``run.seed_pipeline``) is pipeline time the first replacement has
    already done before the start: it shortens that replacement's generation, assessment and
    travel, in that order.
    """
    env = world.env
    pipe = world.scenario.pipeline
    rng = world.rng("unit.slot", f"{mission.name}/{j}")
    credit = head_start
    needed = current.tour_end if current is not None else \
        mission.units.next_day_above(env.now, j, world.horizon)
    while needed is not None and needed < world.horizon:
        yield env.timeout(max(needed - pipe.units.rotation_lead_days - env.now, 0.0))
        day = max(env.now, needed)
        if mission.units.planned(day, env.now) <= j:
            hold(mission, j, None)
            needed = mission.units.next_day_above(day, j, world.horizon)
            continue
        contributor = _for_post(world, mission, j, rng)
        while contributor is None:
            yield env.timeout(pipe.call_interval_days)
            contributor = _for_post(world, mission, j, rng)
        hold(mission, j, contributor)
        unit = new_unit(world, mission, contributor, rng, State.NOMINATED)
        delay, credit = _spend(draw_delay(rng, pipe.units.generation_delay.mean_days,
                                          pipe.units.generation_delay.cv), credit)
        yield env.timeout(delay)
        _move(world, unit, State.ASSESSING)
        while True:
            world.observer.flow(mission.index, FPU, "assessed", unit.size)
            if rng.random() < contributor.spec.fpu_pass_rate:
                break
            delay, credit = _spend(pipe.units.remedial_delay_days, credit)
            yield env.timeout(delay)
        world.observer.flow(mission.index, FPU, "passed", unit.size)
        _move(world, unit, State.TRAVELLING)
        delay, credit = _spend(draw_delay(rng, pipe.units.travel_delay.mean_days,
                                          pipe.units.travel_delay.cv), credit)
        credit = 0.0
        yield env.timeout(delay)
        if needed > env.now:
            yield env.timeout(needed - env.now)
        if mission.units.at(env.now) <= j:
            world.observer.flow(mission.index, FPU, "drawdowns", unit.size)
            go_home(world, unit)
            hold(mission, j, None)
            needed = mission.units.next_day_above(env.now, j, world.horizon)
            continue
        if mission.gate is not None:
            occupant = yield from _enter(world, mission, unit, j)
            if occupant is not None:  # the post is taken (re-hatted unit): not needed
                world.observer.flow(mission.index, FPU, "drawdowns", unit.size)
                go_home(world, unit)
                hold(mission, j, world.contributors[occupant.contributor])
                needed = occupant.tour_end
                continue
        world.observer.waited(mission.index, FPU, env.now - needed)
        serve(world, mission, unit, j, pipe.units.tour_months * MONTH_DAYS)
        needed = unit.tour_end


def _enter(world: World, mission: MissionState, unit: Unit, j: int
           ) -> Generator[simpy.Event, Any, Unit | None]:
    """A unit reaches a mission with an entry gate: wait to be let in, then take over post ``j``.

    Returns the unit already serving in post ``j`` if its tour is not over (the arriving unit is
    then not needed); a unit held over by a rotation freeze hands over and leaves.
    """
    env = world.env
    wait = mission.gate.admit(env.now, FPU)  # type: ignore[union-attr]
    while wait > 0:
        yield env.timeout(wait)
        wait = mission.gate.admit(env.now, FPU)  # type: ignore[union-attr]
    occupant = mission.unit_slots[j] if j < len(mission.unit_slots) else None
    if occupant is None or occupant is unit or occupant.state is not State.SERVING:
        return None
    if occupant.tour_end > env.now + 1e-6:
        return occupant
    leave(world, occupant, j, "rotations")
    return None


def _observed_units(world: World, mission: MissionState
                    ) -> list[tuple[ContributorState, int, int | None]]:
    """The initial units as ``initial.by_contributor`` lists them.

    One ``(contributor, officers, women)`` per unit (women ``None``: drawn), each contributor's
    officers and women shared evenly among its units.
    """
    by_name = {c.name: c for c in world.members}
    units: list[tuple[ContributorState, int, int | None]] = []
    for name, entry in mission.spec.initial.by_contributor.items():
        n = entry.fpu_units
        if n <= 0:
            continue
        contributor = by_name[name]
        officers = entry.fpu_officers
        sizes = _shares(officers if officers is not None else n * contributor.spec.fpu_unit_size,
                        n)
        women = _shares(entry.fpu_women, n) if entry.fpu_women is not None else [None] * n
        units += [(contributor, size, w) for size, w in zip(sizes, women, strict=True)]
    return units


def _shares(total: int, n: int) -> list[int]:
    """``total`` split into ``n`` near-equal whole parts, the larger ones first."""
    q, r = divmod(total, n)
    return [q + 1] * r + [q] * (n - r)


def _for_post(world: World, mission: MissionState, j: int,
              rng: np.random.Generator) -> ContributorState | None:
    """The contributor asked for unit post ``j``: its holder first under rotation in kind."""
    owner = mission.slot_owner[j] if j < len(mission.slot_owner) else None
    if owner is not None and world.scenario.pipeline.units.rotate_in_kind \
            and _can_field(world, mission, owner):
        return owner
    return _choose(world, mission, rng, post=j)


def _can_field(world: World, mission: MissionState, contributor: ContributorState) -> bool:
    """Whether ``contributor`` can send a unit to ``mission`` now (capacity, pool, host state)."""
    now = world.env.now
    if not (contributor.active(now) and contributor.serves(mission.name)):
        return False
    if mission.gate is not None and not mission.gate.accepts(contributor.name, now):
        return False
    size = contributor.spec.fpu_unit_size
    return (contributor.free_units(now, world.policies) > 0 and contributor.headroom() >= size
            and int(contributor.available(now, world.policies)[:, GENERAL].sum()) >= size)


def _choose(world: World, mission: MissionState, rng: np.random.Generator,
            initial: bool = False, post: int | None = None) -> ContributorState | None:
    """The contributor asked for a unit: free capacity × propensity, gender rule permitting.

    A host state's entry gate (:mod:`sim.model.events`) limits the choice to the contributors
    it accepts (for the units serving at the start only if it says so). A contributor holding
    as many unit posts as its ``fpu_max_deployed`` is not asked, unless it already holds
    ``post`` (the request replaces its own unit).
    """
    now = world.env.now
    pipe = world.scenario.pipeline
    rule = world.policies.unit_women_minimum(now, mission.name)
    members = [c for c in world.members if c.active(now) and c.serves(mission.name)]
    gate = mission.gate
    if gate is not None and (not initial or gate.limits_initial):
        members = [c for c in members if gate.accepts(c.name, now)]
    weights = np.zeros(len(members))
    for i, c in enumerate(members):
        free = c.free_units(now, world.policies)  # cheapest test first: most have none free
        size = c.spec.fpu_unit_size
        if free <= 0 or c.headroom() < size:
            continue
        if not c.may_take_post() and (post is None or mission.slot_owner[post] is not c):
            continue
        if c.available(now, world.policies)[:, GENERAL].sum() < size:
            continue
        w = free * c.propensity(now, mission.spec.hardship, pipe.hardship_sensitivity,
                                world.policies)
        if rule is not None and not rule.funded and c.spec.fpu_women_share < rule.min_women_share:
            w *= rule.unfunded_weight
        weights[i] = w
    index = world.decide("choose_weighted", weights, rng, mission=mission.name)
    return members[index] if index >= 0 else None


def new_unit(world: World, mission: MissionState, contributor: ContributorState,
             rng: np.random.Generator, state: State, size: int | None = None,
             women: int | None = None) -> Unit:
    """Generate a unit: its composition, the contributor's capacity and the census.

    ``size`` and ``women`` fix the composition (an observed unit); by default the unit has the
    contributor's unit size and its women are drawn.
    """
    now = world.env.now
    spec = contributor.spec
    size = spec.fpu_unit_size if size is None else size
    if women is None:
        rule = world.policies.unit_women_minimum(now, mission.name)
        minimum = 0.0
        if rule is not None and (rule.funded or spec.fpu_women_share >= rule.min_women_share):
            minimum = rule.min_women_share
        women = int(world.decide("unit_women", size, spec.fpu_women_share, minimum, rng,
                                     mission=mission.name, contributor=spec.name))
    unit = Unit(FPU, contributor.index, mission.index, size, women)
    unit.state = state
    contributor.units_in_use += 1
    contributor.send(1, GENERAL, women)
    contributor.send(0, GENERAL, unit.size - women)
    world.observer.generate(FPU, state, unit.size)
    if state is State.NOMINATED:
        world.observer.flow(mission.index, FPU, "nominations", unit.size)
        world.observer.flow(mission.index, FPU, "nominations_women", women)
    return unit


def _move(world: World, unit: Unit, new: State) -> None:
    world.observer.move(unit.category, unit.state, new, unit.size)
    unit.state = new


def serve(world: World, mission: MissionState, unit: Unit, j: int, tour_days: float) -> None:
    """The unit takes up slot ``j`` for ``tour_days``; its departure is scheduled."""
    now = world.env.now
    if unit.state is not State.SERVING:
        _move(world, unit, State.SERVING)
        world.observer.flow(mission.index, FPU, "arrivals", unit.size)
        world.observer.flow(mission.index, FPU, "arrivals_women", unit.women)
    mission.unit_slots[j] = unit
    mission.units_serving += 1
    mission.touch_units(now)
    world.observer.serve(mission.index, FPU, unit.contributor, unit.women,
                         unit.size - unit.women, GENERAL, 1)
    unit.tour_end = now + tour_days
    world.env.timeout(tour_days).callbacks.append(
        partial(_leave_event, world, unit, j, unit.tour))


def _leave_event(world: World, unit: Unit, j: int, token: int, _event: simpy.Event) -> None:
    if unit.state is State.SERVING and unit.tour == token:
        gate = world.missions[unit.mission].gate
        if gate is not None and gate.hold_unit(world.env.now, unit, j, token):
            return  # a rotation freeze extends the tour until the unit is replaced
        leave(world, unit, j, "rotations")


def leave(world: World, unit: Unit, j: int, reason: str) -> None:
    """The unit leaves slot ``j`` (rotation or drawdown) and goes home."""
    vacate_slot(world, unit, j, reason)
    go_home(world, unit)


def vacate_slot(world: World, unit: Unit, j: int, reason: str) -> None:
    """The unit stops serving in slot ``j``, counted as ``reason`` (the caller moves it on)."""
    mission = world.missions[unit.mission]
    mission.unit_slots[j] = None
    mission.units_serving -= 1
    mission.touch_units(world.env.now)
    world.observer.serve(mission.index, FPU, unit.contributor, unit.women,
                         unit.size - unit.women, GENERAL, -1)
    world.observer.flow(mission.index, FPU, reason, unit.size)


def go_home(world: World, unit: Unit) -> None:
    """The unit goes home: its contributor's capacity and officers are free after a cool-down."""
    contributor = world.contributors[unit.contributor]
    _move(world, unit, State.RETURNED)
    contributor.units_in_use -= 1
    cool = world.scenario.pipeline.cool_down_days
    contributor.come_home(world.env.now, 1, GENERAL, unit.women, cool)
    contributor.come_home(world.env.now, 0, GENERAL, unit.size - unit.women, cool)


def draw_down(world: World, mission: MissionState) -> None:
    """Units in slots beyond the authorized number leave now."""
    authorized = int(mission.units.at(world.env.now))
    for j in range(authorized, len(mission.unit_slots)):
        unit = mission.unit_slots[j]
        if unit is not None and unit.state is State.SERVING:
            leave(world, unit, j, "drawdowns")
    mission.touch_units(world.env.now)


def seed_resting(world: World, mission: MissionState) -> None:
    """At the start, the units the serving units replaced are at home cooling down.

    Used with ``run.seed_pipeline`` (see :func:`sim.model.pipeline.seed_resting`): the
    predecessor of a unit with ``r`` days left rests until ``r + cool-down − tour``, with the
    serving unit's composition.
    """
    now = world.env.now
    pipe = world.scenario.pipeline
    tour = pipe.units.tour_months * MONTH_DAYS
    for unit in mission.unit_slots:
        if unit is None or unit.state is not State.SERVING:
            continue
        until = unit.tour_end + pipe.cool_down_days - tour
        if until > now:
            contributor = world.contributors[unit.contributor]
            contributor.rest(until, 1, GENERAL, unit.women)
            contributor.rest(until, 0, GENERAL, unit.size - unit.women)
