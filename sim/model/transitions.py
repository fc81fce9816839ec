"""Officer state changes: the one place that moves an individual officer between states.

:func:`enlist` brings a new officer into the model and :func:`transition` moves one from its
state to another. Both update, together, the census (:class:`sim.model.observe.Observer`),
the mission's counters of its officers by state (:meth:`MissionState.counts_in`) and, on entering
or leaving service, the mission's serving list and the observer's serving counters, so that the
counts kept in different places cannot drift apart.

With ``World.check_invariants`` on (``simulate(..., check_invariants=True)`` or the environment
variable ``PPSIM_DEBUG_INVARIANTS=1``) every change is followed by
:func:`sim.model.invariants.check_invariants`, which raises
:class:`sim.model.invariants.InvariantViolation` at the first event that breaks a count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sim.model.invariants import check_invariants
from sim.model.personnel import Category, Officer, State

if TYPE_CHECKING:
    from sim.model.missions import MissionState
    from sim.model.world import World

IPO: Final = Category.IPO


SERVING: Final = State.SERVING
STANDBY: Final = State.STANDBY


def enlist(world: World, officer: Officer, state: State) -> None:
    """A new individual officer enters the model in ``state`` (generated once, counted once)."""
    enlist_all(world, [officer], state)


def enlist_all(world: World, officers: list[Officer], state: State) -> None:
    """New individual officers enter the model in ``state``, in order (as :func:`enlist` each).

    The census is updated once for all; the officer log numbers them in list order.
    """
    world.observer.generate(IPO, state, len(officers))
    log = world.officer_log is not None
    for officer in officers:
        officer.state = state
        if log:
            officer.number = world.officers_logged
            world.officers_logged += 1
            _log(world, officer, None, state)
        if state is not STANDBY:  # standby officers belong to no mission
            _enter(world, world.missions[officer.mission], officer, state)
    if world.check_invariants:
        check_invariants(world)


def transition(world: World, officer: Officer, new: State,
               to: MissionState | None = None) -> None:
    """Move ``officer`` to ``new``: census, mission counters and serving lists together.

    With ``to``, the officer also moves to that mission (a transfer): off the old mission's
    counters, onto the new one's. Leaving service also settles the officer's place in the
    rotation (no longer due out, its replacement no longer claimed).
    """
    old = officer.state
    officer.state = new
    officer.since = world.env.now
    # the states as plain ints for indexing (compiled, a list is then indexed natively)
    old_index: int = old
    new_index: int = new
    census = world.observer.census[IPO]  # Observer.move, inlined: the most common change
    census[old_index] -= 1
    census[new_index] += 1
    missions = world.missions
    skill = officer.skill
    if old is not STANDBY:  # standby officers belong to no mission
        mission = missions[officer.mission]
        counts = mission.by_state[old_index]
        if counts is not None:  # SkillCounts.add, inlined (hot path)
            counts.by_skill[skill] -= 1
            counts.total -= 1
        if old is SERVING:
            _stop_serving(world, mission, officer)
    if to is not None:
        officer.mission = to.index
    if new is not STANDBY:
        mission = missions[officer.mission]
        counts = mission.by_state[new_index]
        if counts is not None:  # as in _enter
            counts.by_skill[skill] += 1
            counts.total += 1
        if new is SERVING:
            _start_serving(world, mission, officer)
    if world.officer_log is not None:
        _log(world, officer, old, new)
    if world.check_invariants:
        check_invariants(world)


def _log(world: World, officer: Officer, old: State | None, new: State) -> None:
    """Add one row to the officer log (see :func:`sim.model.replication.officer_table`)."""
    assert world.officer_log is not None
    world.officer_log.append((world.env.now, officer.number, officer.contributor,
                              officer.mission, officer.skill, officer.woman,
                              -1 if old is None else int(old), int(new)))


def _enter(world: World, mission: MissionState, officer: Officer, state: State) -> None:
    """Count ``officer`` in ``state`` at ``mission`` (the counters of :func:`transition`)."""
    counts = mission.by_state[state]
    if counts is not None:  # SkillCounts.add, inlined (hot path)
        counts.by_skill[officer.skill] += 1
        counts.total += 1
    if state is SERVING:
        _start_serving(world, mission, officer)


def _start_serving(world: World, mission: MissionState, officer: Officer) -> None:
    """The officer joins the mission's serving list and the observer's serving counters."""
    mission.serving[officer] = None
    world.observer.serve(mission.index, IPO, officer.contributor, int(officer.woman),
                         int(not officer.woman), officer.skill, 1)


def _stop_serving(world: World, mission: MissionState, officer: Officer) -> None:
    """The officer leaves service: no longer due out or claimed, off the serving counters."""
    if officer.due_out:
        mission.due_out.add(officer.skill, -1)
        officer.due_out = False
    if officer.claimed:
        mission.claims -= 1
        officer.claimed = False
    mission.serving.pop(officer, None)
    world.observer.serve(mission.index, IPO, officer.contributor, int(officer.woman),
                         int(not officer.woman), officer.skill, -1)
