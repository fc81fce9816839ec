"""The model's invariants: counts kept in different places that must agree (debug mode).

:func:`check_invariants` runs after every officer state change when ``World.check_invariants``
is on (``simulate(..., check_invariants=True)`` or ``PPSIM_DEBUG_INVARIANTS=1``). It is kept
apart from :mod:`sim.model.transitions` so that the hot path stays compilable (see
:mod:`sim.model.native`): an ``AssertionError`` subclass cannot be a compiled class.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from sim.model.personnel import Category, State

if TYPE_CHECKING:
    from sim.model.missions import MissionState
    from sim.model.world import World

IPO = Category.IPO
DEBUG_ENV = "PPSIM_DEBUG_INVARIANTS"
"""Environment variable that turns the invariant checks on (``1``) for every simulation."""


class InvariantViolation(AssertionError):
    """A count the model keeps disagrees with another (a bug in the model, never the input)."""


def debug_from_environment() -> bool:
    """Whether ``PPSIM_DEBUG_INVARIANTS`` asks for invariant checks (``1``, ``true``, ``yes``)."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() in {"1", "true", "yes"}


def check_invariants(world: World) -> None:
    """Raise :class:`InvariantViolation` if the model's counts disagree or go negative.

    Checked: no negative count anywhere; everyone generated is in exactly one state; for every
    category, officers serving in the census = the sum of the missions' serving counters; for
    individual officers, the census of each state = the sum of the missions' counters for it,
    the missions' serving lists hold exactly their serving officers, and no more officers are
    due out (or have a replacement claimed) than serve.
    """
    observer = world.observer
    day = world.env.now
    for category in Category:
        census = observer.census[category]
        _require(min(census) >= 0, day, f"negative census for {category.name}: {census}")
        _require(sum(census) == observer.generated[category], day,
                 f"{category.name}: states sum to {sum(census)}, "
                 f"generated {observer.generated[category]}")
        serving = sum(sum(by_gender) for mission in observer.serving
                      for by_gender in mission[category])
        _require(census[State.SERVING] == serving, day,
                 f"{category.name}: census serving {census[State.SERVING]} ≠ missions' {serving}")
    ipo = observer.census[IPO]
    for state, label in ((State.SERVING, "serving_ipo"), (State.TRAVELLING, "travelling"),
                         (State.WAITING, "waiting")):
        total = sum(getattr(m, label).total for m in world.missions)
        _require(ipo[state] == total, day,
                 f"IPO census {state.name.lower()} {ipo[state]} ≠ missions' {label} {total}")
    in_pipeline = sum(m.pipeline.total for m in world.missions)
    _require(ipo[State.NOMINATED] + ipo[State.ASSESSING] == in_pipeline, day,
             f"IPO nominated + assessing {ipo[State.NOMINATED] + ipo[State.ASSESSING]} "
             f"≠ missions' pipeline {in_pipeline}")
    for mission in world.missions:
        _check_mission(mission, day)


def _check_mission(mission: MissionState, day: float) -> None:
    name = mission.name
    for label in ("pipeline", "waiting", "travelling", "due_out", "serving_ipo"):
        counts = getattr(mission, label)
        _require(min(counts.by_skill) >= 0 and counts.total == sum(counts.by_skill), day,
                 f"{name}.{label}: {counts.by_skill} (total {counts.total})")
    _require(len(mission.serving) == mission.serving_ipo.total, day,
             f"{name}: {len(mission.serving)} in the serving list, "
             f"{mission.serving_ipo.total} counted")
    _require(0 <= mission.claims <= mission.due_out.total <= mission.serving_ipo.total, day,
             f"{name}: claims {mission.claims}, due out {mission.due_out.total}, "
             f"serving {mission.serving_ipo.total}")
    _require(mission.units_serving >= 0 and mission.spt_authorized >= 0, day,
             f"{name}: units serving {mission.units_serving}, SPT posts {mission.spt_authorized}")


def _require(condition: bool, day: float, message: str) -> None:
    if not condition:
        raise InvariantViolation(f"day {day:.2f}: {message}")
