"""Events as the scenario states them: dated shocks planners cannot choose but must plan for.

A scenario's ``events`` list and each variant's extra ``events`` are validated into the classes
below (one per kind, told apart by the ``type`` key). This module is schema only (pydantic; no
numpy or simpy); how an event acts is :mod:`sim.model.events`' business.

- ``budget_cut``: a share of a mission's posts is removed ``lag_days`` after the announcement;
  the officers above the new ceiling are repatriated over ``over_weeks``, by a rule; the posts
  may come back on a ``restore`` date.
- ``budget_ceiling``: a cost ceiling (USD a month, at the scenario's ``costs`` rates) on a
  mission's (or every mission's) authorized police from a date; posts above it are removed
  ``lag_days`` later and their officers repatriated like a cut's, until ``end``.
- ``entry_constraint``: the host state lets in at most so many officers a month, adds an entry
  delay, and accepts only some contributors (or excludes some).
- ``rehat``: named contributors' officers and formed units already in the country join the
  mission at once (or within days), without the deployment pipeline.
- ``transfer``: serving officers and units move from one mission to another after a short delay.
- ``rotation_freeze``: no arrivals and no rotations in a window; tours extend; assessment
  capacity is reduced; at the end the held arrivals and the backlog of rotations are processed.
- ``forced_closure``: a mission must be empty by a date; its police leave at an even pace.

Dates are ISO dates; shares in [0, 1]; counts of officers or units.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from sim.errors import unknown_message
from sim.scenario.types import SECTION, Count, Real


class ContributorsFirst(BaseModel):
    """Order rule: the named contributors' police leave first (in the order listed)."""

    model_config = SECTION

    contributors: list[str] = Field(..., min_length=1, description="Contributors, first first.")


Order = Literal["formed_units_first", "last_arrivals"] | ContributorsFirst
"""Who leaves first when posts go: whole formed units first, the officers who arrived last, or
the named contributors' officers (then the last arrivals)."""


class Event(BaseModel):
    """Fields every event has."""

    model_config = SECTION

    start: date = Field(..., description="Date the event happens or is announced (ISO date).")
    note: str = Field("", description="What happened and the source (free text).")

    def mission_names(self) -> list[str]:
        """Missions the event names (for reference checks)."""
        return list(getattr(self, "missions", None) or [])

    def contributor_names(self) -> list[str]:
        """Contributors the event names (for reference checks)."""
        order = getattr(self, "order", None)
        return list(order.contributors) if isinstance(order, ContributorsFirst) else []


class BudgetCut(Event):
    """A share of each named mission's posts is removed for lack of funds.

    The authorized posts fall by ``share`` (individual posts and formed units alike, units
    rounded to whole units; under ``formed_units_first`` whole units go first and individual
    posts cover the rest) ``lag_days`` after ``start``; officers above the new ceiling are
    repatriated in weekly batches over ``over_weeks`` (0: at once), chosen by ``order``.
    Later mandate steps are scaled by the same factors until ``restore``. Specialized teams
    finish their projects unless ``include_teams``.
    """

    type: Literal["budget_cut"] = Field(..., description="The event's kind.")
    missions: list[str] = Field(..., min_length=1, description="Missions cut, by name.")
    share: Real = Field(..., ge=0, le=1, description="Share of posts removed.")
    lag_days: Real = Field(0, ge=0, le=3650, description="Days from announcement to the cut.")
    over_weeks: Real = Field(0, ge=0, le=520, description="Weeks the repatriation takes.")
    order: Order = Field("last_arrivals", description="Who leaves first.")
    restore: date | None = Field(None, description="Date the posts return; empty = never.")
    include_teams: bool = Field(
        False, description="Whether specialized teams are cut too (that share of the teams "
        "serving on the cut day, whole teams, go home over the same weeks); otherwise teams "
        "finish their projects.")


class BudgetCeiling(Event):
    """A cost ceiling on the authorized police of some missions (or of all of them together).

    ``lag_days`` after ``start``, the monthly cost of the posts in force (individual posts ×
    ``costs.ipo_officer_month`` + formed-unit officers × ``costs.fpu_officer_month``; specialized
    teams are project-funded and not counted) is compared with ``usd_per_month``; if above it,
    whole posts are removed so that the cost is at most the ceiling (and at least the ceiling
    less one unit's cost per mission), by ``order`` as for ``budget_cut``, and the officers
    above the new posts are repatriated over ``over_weeks``. A system ceiling (no ``missions``)
    is shared among the missions in proportion to their cost. Each later mandate step before
    ``end`` is priced and cut the same way; the posts return on ``end``.
    """

    type: Literal["budget_ceiling"] = Field(..., description="The event's kind.")
    missions: list[str] | None = Field(
        None, description="Missions under the ceiling, by name; empty = all missions together.")
    usd_per_month: Real = Field(..., ge=0, description="Ceiling on the monthly cost of the "
                                "authorized police (USD, at the scenario's cost rates).")
    lag_days: Real = Field(0, ge=0, le=3650, description="Days from announcement to the cut.")
    over_weeks: Real = Field(0, ge=0, le=520, description="Weeks the repatriation takes.")
    order: Order = Field("last_arrivals", description="Who leaves first.")
    end: date | None = Field(None, description="Date the ceiling is lifted; empty = never.")


class EntryConstraint(Event):
    """A host state's visa and entry limits for a mission.

    While in force, at most ``arrivals_per_month`` individual officers and ``units_per_month``
    formed units enter in a calendar month (the rest wait at the border for the next month),
    each arrival takes ``extra_entry_delay_days`` longer, and only accepted contributors (all
    but the excluded ones) are asked for officers and units.
    """

    type: Literal["entry_constraint"] = Field(..., description="The event's kind.")
    start: date | None = Field(  # type: ignore[assignment]
        None, description="Date the limits start; empty = always, including the warm-up.")
    end: date | None = Field(None, description="Date the limits end; empty = never.")
    missions: list[str] = Field(..., min_length=1, description="Missions limited, by name.")
    arrivals_per_month: Count | None = Field(
        None, ge=0, description="Individual officers let in per calendar month; empty = no cap.")
    units_per_month: Count | None = Field(
        None, ge=0, description="Formed units let in per calendar month; empty = no cap.")
    extra_entry_delay_days: Real = Field(
        0, ge=0, le=730, description="Extra days every arrival waits for visas and entry.")
    accepted_contributors: list[str] | None = Field(
        None, description="Only these contributors are accepted; empty = all.")
    excluded_contributors: list[str] | None = Field(
        None, description="These contributors are refused; empty = none.")
    applies_to_initial: bool = Field(
        False, description="Whether the officers and units serving at the start also come only "
        "from accepted contributors.")

    @model_validator(mode="after")
    def _one_list(self) -> EntryConstraint:
        if self.accepted_contributors is not None and self.excluded_contributors is not None:
            raise ValueError("give accepted_contributors or excluded_contributors, not both")
        return self

    def contributor_names(self) -> list[str]:
        """Contributors the event names."""
        return [*(self.accepted_contributors or []), *(self.excluded_contributors or [])]

    def accepts(self, contributor: str) -> bool:
        """Whether the host state lets ``contributor``'s police in."""
        if self.accepted_contributors is not None:
            return contributor in self.accepted_contributors
        return contributor not in (self.excluded_contributors or [])


class Contingent(BaseModel):
    """Police of one contributor re-hatted into a mission."""

    model_config = SECTION

    contributor: str = Field(..., description="Contributor whose police join.")
    ipo: Count = Field(0, ge=0, le=100000, description="Individual officers.")
    fpu_units: Count = Field(0, ge=0, le=100, description="Formed units.")
    ipo_women_share: Real | None = Field(
        None, ge=0, le=1, description="Women among the officers; empty = the contributor's "
        "pool share.")


class Rehat(Event):
    """Police already in the country (a regional force) join the mission in blue.

    They are counted as deployed from ``start`` (spread evenly over ``within_days``), without
    nomination, assessment or travel, up to the mission's free posts, and serve a full tour.
    """

    type: Literal["rehat"] = Field(..., description="The event's kind.")
    mission: str = Field(..., description="Mission joined.")
    within_days: Real = Field(0, ge=0, le=365, description="Days over which they join.")
    contingents: list[Contingent] = Field(..., min_length=1, description="Who joins.")

    def mission_names(self) -> list[str]:
        """Missions the event names."""
        return [self.mission]

    def contributor_names(self) -> list[str]:
        """Contributors the event names."""
        return [c.contributor for c in self.contingents]


class Transfer(Event):
    """Serving officers and formed units move from one mission to another.

    On ``start`` they leave ``from_mission`` (chosen by ``order``; their posts fall vacant) and
    arrive in ``to_mission`` ``delay_days`` later, where they start a new tour if a post is free.
    """

    type: Literal["transfer"] = Field(..., description="The event's kind.")
    from_mission: str = Field(..., description="Mission they leave.")
    to_mission: str = Field(..., description="Mission they join.")
    ipo: Count = Field(0, ge=0, le=100000, description="Individual officers moved.")
    fpu_units: Count = Field(0, ge=0, le=100, description="Formed units moved.")
    delay_days: Real = Field(14, ge=0, le=365, description="Days between leaving and arriving.")
    order: Order = Field("last_arrivals", description="Who is moved first.")

    def mission_names(self) -> list[str]:
        """Missions the event names."""
        return [self.from_mission, self.to_mission]


class RotationFreeze(Event):
    """No arrivals and no rotations of uniformed personnel in a window.

    Officers and units due to rotate stay (tours extend); officers and units on the way wait at
    the border; assessment capacity is multiplied by ``assessment_factor``. After ``end`` the
    held arrivals enter and the extended tours end in weekly batches over ``catch_up_weeks``
    (oldest due first); a unit held over leaves as soon as its replacement arrives.
    """

    type: Literal["rotation_freeze"] = Field(..., description="The event's kind.")
    end: date = Field(..., description="First day rotations resume.")
    missions: list[str] | None = Field(None, description="Missions frozen; empty = all.")
    assessment_factor: Real = Field(
        0.5, ge=0, le=1, description="Multiplier on assessment teams during the freeze.")
    catch_up_weeks: Real = Field(
        8, ge=0, le=104, description="Weeks over which the backlog is processed after the end.")


class ForcedClosure(Event):
    """A mission must be empty by a date (the host state withdraws consent, or the Council ends it).

    From ``start`` no more posts are filled; serving officers and units leave in weekly batches,
    at an even pace, chosen by ``order``, so the last leave by ``by``; the mission ends on ``by``.
    """

    type: Literal["forced_closure"] = Field(..., description="The event's kind.")
    mission: str = Field(..., description="Mission closed.")
    by: date = Field(..., description="Date the mission must be empty.")
    order: Order = Field("last_arrivals", description="Who leaves first.")

    def mission_names(self) -> list[str]:
        """Missions the event names."""
        return [self.mission]


ScenarioEvent = Annotated[
    BudgetCut | BudgetCeiling | EntryConstraint | Rehat | Transfer | RotationFreeze
    | ForcedClosure,
    Field(discriminator="type"),
]
"""One dated event, told apart by its ``type`` key."""

EVENT_TYPES: dict[str, type[Event]] = {
    cls.model_fields["type"].annotation.__args__[0]: cls  # type: ignore[union-attr]
    for cls in (BudgetCut, BudgetCeiling, EntryConstraint, Rehat, Transfer, RotationFreeze,
                ForcedClosure)
}
"""Event classes by their ``type`` name, in the order the docs list them."""


# --- Cross-checks (names, dates, contradictions) -------------------------------------------------


def window(event: Event, run_end: date) -> tuple[date, date]:
    """The dates an event is in force: [first, last) (open-ended ones run to the run's end)."""
    first = event.start or date.min
    if isinstance(event, BudgetCut):
        return first, event.restore or run_end
    if isinstance(event, EntryConstraint | RotationFreeze | BudgetCeiling):
        return first, event.end or run_end
    if isinstance(event, ForcedClosure):
        return first, date.max
    return first, first


def check_events(events: list[Event], missions: list[str], contributors: list[str],
                 run: tuple[date, date]) -> list[str]:
    """Problems with events: unknown names, dates outside the run, contradictions.

    Args:
        events: the scenario's events in file order.
        missions: mission names.
        contributors: contributor names.
        run: the run's first day and the first day after it.
    """
    problems: list[str] = []
    for i, event in enumerate(events):
        where = f"events[{i}]"
        problems += _check_dates(event, where, run)
        for key in ("missions", "mission", "from_mission", "to_mission"):
            value = getattr(event, key, None)
            for name in [value] if isinstance(value, str) else value or []:
                if name not in missions:
                    problems.append(unknown_message("mission", name, missions, f"{where}.{key}"))
        for name in event.contributor_names():
            if name not in contributors:
                problems.append(unknown_message("contributor", name, contributors, where))
        if isinstance(event, Transfer) and event.from_mission == event.to_mission:
            problems.append(f"{where}.to_mission: got {event.to_mission!r}, must differ from "
                            "from_mission")
    problems += _contradictions(events, missions, run[1])
    return problems


def _check_dates(event: Event, where: str, run: tuple[date, date]) -> list[str]:
    first, end = run
    out = []
    if event.start is not None and not (
            first <= event.start < end or isinstance(event, EntryConstraint)):
        out.append(f"{where}.start: got {event.start}, must be within the run ({first} to "
                   f"before {end})")
    if isinstance(event, EntryConstraint) and event.start is not None and event.start >= end:
        out.append(f"{where}.start: got {event.start}, must be before the run's end ({end})")
    for key in ("end", "by", "restore"):
        value = getattr(event, key, None)
        if value is not None and event.start is not None and value <= event.start:
            out.append(f"{where}.{key}: got {value}, must be after start ({event.start})")
    return out


def _contradictions(events: list[Event], missions: list[str], run_end: date) -> list[str]:
    """Events on one mission that cannot both hold (overlapping limits, closures, entries)."""
    return [*_overlaps(events, missions, run_end), *_entries_after_closure(events),
            *_rehats_refused(events, run_end)]


def _overlaps(events: list[Event], missions: list[str], run_end: date) -> list[str]:
    """Two entry limits, freezes, closures or budget limits on one mission at once.

    Budget cuts and ceilings contradict each other (and a ceiling another ceiling): which one
    sets the posts would be arbitrary.
    """
    out: list[str] = []
    exclusive = (EntryConstraint, RotationFreeze, ForcedClosure, BudgetCeiling)
    for i, a in enumerate(events):
        for j in range(i):
            b = events[j]
            budget = isinstance(a, BudgetCut | BudgetCeiling) and isinstance(
                b, BudgetCut | BudgetCeiling) and BudgetCeiling in (type(a), type(b))
            if not budget and (type(a) is not type(b) or not isinstance(a, exclusive)):
                continue
            shared = _missions_of(a, missions) & _missions_of(b, missions)
            (a0, a1), (b0, b1) = window(a, run_end), window(b, run_end)
            if shared and a0 < b1 and b0 < a1:
                kind_a, kind_b = getattr(a, "type", "?"), getattr(b, "type", "?")
                kinds = f"both {kind_a}" if kind_a == kind_b else f"{kind_a} and {kind_b}"
                out.append(f"events[{i}]: overlaps events[{j}] ({kinds} on "
                           f"{', '.join(sorted(shared))}); merge them into one event")
    return out


def _entries_after_closure(events: list[Event]) -> list[str]:
    """Re-hats or transfers into a mission on or after the day it is closed."""
    out: list[str] = []
    closures = {e.mission: (k, e) for k, e in enumerate(events) if isinstance(e, ForcedClosure)}
    for i, event in enumerate(events):
        for name in _joins(event):
            if name in closures and event.start is not None \
                    and event.start >= closures[name][1].start:
                k = closures[name][0]
                out.append(f"events[{i}]: {event.type} into {name} on {event.start}, "  # type: ignore
                           f"but events[{k}] closes {name} from {closures[name][1].start}")
    return out


def _rehats_refused(events: list[Event], run_end: date) -> list[str]:
    """Re-hats of contributors an entry constraint in force refuses."""
    out: list[str] = []
    for i, event in enumerate(events):
        if not isinstance(event, Rehat):
            continue
        for k, gate in enumerate(events):
            if isinstance(gate, EntryConstraint) and event.mission in gate.missions:
                g0, g1 = window(gate, run_end)
                refused = [c.contributor for c in event.contingents
                           if not gate.accepts(c.contributor)]
                if refused and g0 <= event.start < g1:
                    out.append(f"events[{i}]: re-hats {', '.join(refused)} into {event.mission}, "
                               f"but events[{k}] refuses them entry")
    return out


def _missions_of(event: Event, missions: list[str]) -> set[str]:
    if isinstance(event, RotationFreeze | BudgetCeiling) and event.missions is None:
        return set(missions)
    return set(event.mission_names())


def _joins(event: Event) -> list[str]:
    """Missions an event brings police into."""
    if isinstance(event, Rehat):
        return [event.mission]
    if isinstance(event, Transfer):
        return [event.to_mission]
    return []


__all__ = ["EVENT_TYPES", "BudgetCeiling", "BudgetCut", "ContributorsFirst", "EntryConstraint",
           "Event",
           "ForcedClosure", "Rehat", "RotationFreeze", "ScenarioEvent", "Transfer",
           "check_events", "window"]
