"""One replication: build the SimPy world from a scenario and its random streams, run, tabulate.

:func:`simulate` is the whole model as a function: (resolved scenario, replication, seed) →
tables. It builds a :class:`World` (contributors, missions, the assessment centre, the observer,
the policy book and the decision functions), starts the timing processes of
:mod:`sim.model.pipeline` (individual officers), :mod:`sim.model.units` (formed units),
:mod:`sim.model.teams` (specialized teams and standing capacity), :mod:`sim.model.casework`
(cases, when the scenario has casework) and the monthly snapshots, runs
to the horizon and returns the tables of ``docs/outputs.md``.

Researchers can replace any decision with their own function without editing the package::

    from sim.model import Decisions, simulate
    def seniority_first(candidates, posts, women_first): ...
    tables = simulate(scenario, 0, decisions=Decisions(select_candidates=seniority_first))
"""

from __future__ import annotations

import gc
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import simpy

from sim import arrays
from sim.model import events, invariants, metrics, pipeline, teams, units
from sim.model.assessment import MONTH_DAYS, YEAR_DAYS, AssessmentCentre
from sim.model.casework import CaseBook, cases_columns, empty_cases_table
from sim.model.clock import ModelEnvironment
from sim.model.columns import table, text
from sim.model.contributors import ContributorState
from sim.model.invariants import debug_from_environment
from sim.model.metrics import TargetPoint
from sim.model.missions import MissionState
from sim.model.observe import Observer
from sim.model.personnel import Category, State
from sim.model.policies import PolicyBook, TimedLever
from sim.model.streams import Streams, replication_seed
from sim.model.tables import tabulate
from sim.model.uncertainty import sample_parameters
from sim.model.world import STANDING, Decisions, World
from sim.scenario.levers import AssessmentCapacity, NewContributorOutreach
from sim.scenario.schema import Contributor, Scenario, add_months, day_of

if TYPE_CHECKING:
    import pandas as pd

CLOSE_BEFORE_END_DAYS = 1e-9
"""The closing record is taken this long before the horizon (the run stops at the horizon)."""


def month_starts(scenario: Scenario) -> list[date]:
    """Snapshot dates: the start and the same day of each following month of the run."""
    return [add_months(scenario.run.start, k) for k in range(scenario.months)]


def women_steps(start: date, spec: Contributor) -> list[tuple[float, float]]:
    """A contributor's ``pool_women_steps`` as ``(simulation day, share)`` in date order."""
    return [(day_of(start, when), share) for when, share in sorted(spec.pool_women_steps.items())]


def build_world(scenario: Scenario, seed: np.random.SeedSequence,
                decisions: Decisions | None = None) -> World:
    """Create the environment, the state objects and the policy book (no processes yet)."""
    start = scenario.run.start
    horizon = scenario.horizon_days
    skills = list(scenario.skills)
    book = PolicyBook([
        TimedLever(day_of(start, p.start) if p.start else -np.inf, p) for p in scenario.policies
    ])
    extra = sum(p.max_new for p in scenario.policies if isinstance(p, NewContributorOutreach))
    contributors = [
        ContributorState(i, c, skills,
                         day_of(start, c.joins) if c.joins else -np.inf,
                         day_of(start, c.leaves) + 1 if c.leaves else np.inf,
                         women_steps(start, c))
        for i, c in enumerate(scenario.contributors)
    ]
    standing_spec = Contributor(name=STANDING, police_strength=0, women_share=0.3)
    standing = ContributorState(len(contributors), standing_spec, skills, -np.inf, np.inf)
    contributors.append(standing)
    cap = scenario.run.warmup_fill == "initial" and scenario.warmup_days > 0
    missions = [MissionState(i, m, start, skills, horizon, cap)
                for i, m in enumerate(scenario.missions)]
    observer = Observer([m.name for m in missions], len(contributors) + extra, skills,
                        month_starts(scenario))
    observer.contributor_names = [c.name for c in contributors]
    world = World(
        env=ModelEnvironment(initial_time=-scenario.warmup_days),
        scenario=scenario,
        streams=Streams(seed),
        policies=book,
        decisions=decisions or Decisions(),
        observer=observer,
        contributors=contributors,
        missions=missions,
        horizon=horizon,
        standing=standing,
    )
    default_teams = scenario.pipeline.assessment.teams
    world.assessment = AssessmentCentre(
        world.env,
        lambda day: book.assessment_teams(day, default_teams),
        scenario.pipeline.assessment.candidates_per_team_month,
        partial(pipeline.assessed, world),
    )
    if scenario.casework is not None:
        world.casework = CaseBook(world, scenario.casework)
    return world


def start_processes(world: World) -> None:
    """Place the officers serving at the start and start every timing process."""
    events.install(world)
    teams.start_standing_capacity(world)
    seeded = world.scenario.run.seed_pipeline
    for mission in world.missions:
        pipeline.initial_staffing(world, mission)
        if seeded:
            pipeline.seed_resting(world, mission)
        units.initial_units(world, mission)
        if seeded:  # after initial_units: the predecessors of the units it placed
            units.seed_resting(world, mission)
        world.env.process(mission_schedule(world, mission))
        teams.start_projects(world, mission)
    if seeded:  # the calls start once the replacements under way are seeded
        world.env.process(_seed_replacements(world))
    else:
        world.env.process(pipeline.calls(world))
    if world.casework is not None:
        world.casework.start()
    world.env.process(snapshots(world))
    for timed in world.policies.all_of(NewContributorOutreach):
        world.env.process(outreach(world, timed))
    for timed in world.policies.all_of(AssessmentCapacity):
        if timed.start_day > world.env.now:
            world.env.timeout(timed.start_day - world.env.now).callbacks.append(
                lambda _e: world.assessment.dispatch())


def _seed_replacements(world: World) -> Generator[simpy.Event, Any, None]:
    """Seed the individual officers' replacements under way (``run.seed_pipeline``) at day 0.

    After every mission's officers, units and resting predecessors are placed, and after the
    unit posts whose tours end within the rotation lead have started generating their
    replacement units (their own zero-delay timeouts, scheduled before this one), so that the
    contributors' available pools (who replaces whom, and how many are women) are as at a
    steady state: not swollen by officers of missions placed later or by the men of replacement
    units not yet generated. Then the periodic calls start (the first at day 0), so that they
    do not ask again for the posts whose replacements are seeded.
    """
    yield world.env.timeout(0)
    for mission in world.missions:
        pipeline.seed_replacements(world, mission)
    world.env.process(pipeline.calls(world))


def mission_schedule(world: World, mission: MissionState) -> Generator[simpy.Event, Any, None]:
    """Apply the mission's steps when they come: surges open vacancies, cuts draw down."""
    days = sorted(set(mission.ipo.change_days(world.horizon))
                  | set(mission.units.change_days(world.horizon)))
    posts = mission.ipo.at(world.env.now)
    unit_posts = mission.units.at(world.env.now)
    for day in days:
        yield world.env.timeout(day - world.env.now)
        new_posts = mission.ipo.at(day)
        if _lagged_cut(mission, day, new_posts < posts or mission.units.at(day) < unit_posts):
            mission.paced_days.add(day)
            world.env.process(events.drawdown(
                world, events.NO_EFFECTS, -1, mission,
                (day, mission.spec.drawdown_months * MONTH_DAYS), "last_arrivals"))
        unit_posts = mission.units.at(day)
        if new_posts > posts:
            mission.ledger.open(day, int(new_posts - posts))
            teams.surge(world, mission, int(new_posts - posts))
        elif new_posts < posts:
            successor = _successor(world, mission, day)
            if successor is not None:
                pipeline.hand_over(world, mission, successor)
            mission.ledger.close(int(posts - new_posts))
            if day not in mission.paced_days:
                pipeline.draw_down(world, mission, int(new_posts))
        posts = new_posts
        if day not in mission.paced_days:  # an event's cut repatriates at its own pace
            units.draw_down(world, mission)
        pipeline.fill_posts(world, mission)


def _lagged_cut(mission: MissionState, day: float, cut: bool) -> bool:
    """Whether a cut on ``day`` is paced over ``drawdown_months`` (never at the mission's end)."""
    return (cut and mission.spec.drawdown_months > 0 and day != mission.end_day
            and day not in mission.paced_days)


def _successor(world: World, mission: MissionState, day: float) -> MissionState | None:
    """The mission that takes over ``mission``'s officers on its end day, if any."""
    name = mission.spec.hands_over_to
    if name is None or day != mission.end_day:
        return None
    return next(m for m in world.missions if m.name == name)


def snapshots(world: World) -> Generator[simpy.Event, Any, None]:
    """Record the counters at the start of every month."""
    scenario = world.scenario
    start = scenario.run.start
    cats = len(Category)
    for k, when in enumerate(world.observer.months):
        day = day_of(start, when)
        yield world.env.timeout(day - world.env.now)
        _record(world, k, day, cats)
    end = world.horizon
    yield world.env.timeout(max(end - world.env.now - CLOSE_BEFORE_END_DAYS, 0))
    _record(world, len(world.observer.months), end, cats)


def _record(world: World, k: int, day: float, cats: int) -> None:
    if world.check_invariants:
        invariants.check_invariants(world)
    m = len(world.missions)
    due = np.array([mi.due_out.total for mi in world.missions])
    authorized = np.zeros((m, cats))
    targets = np.full((m, cats), np.nan)
    skill_posts = np.zeros((m, len(world.scenario.skills) + 1))
    gap = np.zeros(m)
    for i, mi in enumerate(world.missions):
        mi.touch_units(day)
        gap[i] = mi.gap_unit_days
        mi.gap_unit_days = 0.0
        authorized[i] = (mi.ipo.at(day), mi.units.at(day) * mi.spec.fpu_unit_size,
                         mi.spt_authorized)
        targets[i, Category.IPO] = mi.women_target("ipo", day)
        targets[i, Category.FPU] = mi.women_target("fpu", day)
        skill_posts[i] = mi.skill_posts * (mi.ipo.at(day) > 0) + mi.spt_skill_posts
    if world.casework is not None:
        world.casework.snapshot(k, day)
    if k < len(world.observer.months):
        world.observer.snapshot(k, due, authorized, targets, skill_posts, gap)
    else:  # the closing record only completes the last month's flows
        world.observer.close(gap)


def outreach(world: World, timed: TimedLever) -> Generator[simpy.Event, Any, None]:
    """New contributors join at a Poisson rate, each a copy of the lever's profile."""
    lever = timed.lever
    assert isinstance(lever, NewContributorOutreach)
    rng = world.rng("outreach.join", lever.profile)
    profile = next(c for c in world.scenario.contributors if c.name == lever.profile)
    yield world.env.timeout(max(timed.start_day - world.env.now, 0))
    if lever.joining_rate_per_year <= 0:
        return
    for i in range(lever.max_new):
        yield world.env.timeout(float(rng.exponential(YEAR_DAYS / lever.joining_rate_per_year)))
        spec = profile.model_copy(update={"name": f"{profile.name} (new {i + 1})",
                                          "joins": None, "leaves": None})
        index = len(world.contributors)
        world.contributors.append(
            ContributorState(index, spec, list(world.scenario.skills), world.env.now, np.inf,
                             women_steps(world.scenario.run.start, spec)))
        world.observer.contributor_names.append(spec.name)


GC_YOUNG_THRESHOLD = 50_000
"""Allocations between young-generation collections while a replication runs (CPython: 700)."""


@contextmanager
def tuned_collector() -> Iterator[None]:
    """Collect the young generation every 50,000 allocations instead of 700 while inside.

    Almost everything a replication allocates lives long (pending timeouts, officers on tours),
    so with CPython's defaults the cyclic collector keeps re-examining the same survivors and
    its share grows with the system's size (3 % → 21 % of a replication at 4× the baseline's
    strengths, measured with cProfile). The model makes little cyclic garbage while it runs,
    so this costs no memory to speak of. The previous thresholds are restored on exit.
    """
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], GC_YOUNG_THRESHOLD), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def target_points(scenario: Scenario) -> list[TargetPoint]:
    """Every women's-share target point (mission, category, date, share) of the scenario."""
    return [
        (m.name, category, when, share)
        for m in scenario.missions
        for category, steps in m.women_target.items()
        for when, share in sorted(steps.items())
    ]


OFFICER_COLUMNS = ("day", "date", "officer", "contributor", "mission", "category", "skill",
                   "woman", "from_state", "to_state")
"""Columns of the ``officers`` table (``docs/outputs.md``)."""


def officer_table(world: World) -> pa.Table:
    """The officer log as a table: one row per individual officer state change, in time order.

    ``officer`` numbers officers in order of entry; ``from_state`` is ``new`` when the officer
    enters the model (nominated, or placed at the start); states are lower-case names of
    :class:`sim.model.personnel.State`; ``skill`` is ``general`` or a scenario skill.
    """
    rows = world.officer_log or []
    fields = ("day", "officer", "contributor", "mission", "skill", "woman", "from_state",
              "to_state")
    log = {name: [row[i] for row in rows] for i, name in enumerate(fields)}
    states = np.array([s.name.lower() for s in State] + ["new"], dtype=object)
    skills = np.array(["general", *world.scenario.skills], dtype=object)
    names = np.array([c.name for c in world.contributors], dtype=object)
    if len(world.observer.contributor_names) > len(names):
        names = np.array(world.observer.contributor_names, dtype=object)
    missions = np.array([m.name for m in world.missions], dtype=object)
    day = np.array(log["day"], dtype=float) + 0.0  # no -0.0
    start = np.datetime64(world.scenario.run.start, "D")

    def coded(name: str, labels: np.ndarray) -> pa.Array:
        return text(labels[np.array(log[name], dtype=int)].tolist())

    return table({
        "day": day,
        "date": arrays.numeric(start + np.floor(day).astype("timedelta64[D]")),
        "officer": np.array(log["officer"], dtype=np.int64),
        "contributor": coded("contributor", names),
        "mission": coded("mission", missions),
        "category": text(["ipo"] * len(rows)),
        "skill": coded("skill", skills),
        "woman": np.array(log["woman"], dtype=bool),
        "from_state": coded("from_state", states),
        "to_state": coded("to_state", states),
    })


def simulate(scenario: Scenario, replication: int = 0, seed: int | None = None,
             decisions: Decisions | None = None,
             check_invariants: bool | None = None,
             officer_log: bool = False) -> dict[str, pd.DataFrame]:
    """Run one replication and return its tables (``docs/outputs.md``) as DataFrames.

    Args:
        scenario: a resolved scenario (``load_scenario(path).resolve(variant)``).
        replication: replication number; with ``seed`` it picks the random streams. Variants of
            one scenario share streams for the same replication (common random numbers).
        seed: root seed; ``None`` uses ``scenario.run.seed``.
        decisions: replacement decision functions (default: the stock rules).
        check_invariants: check the model's counts after every officer state change and at
            every snapshot, raising :class:`sim.model.invariants.InvariantViolation` at the
            first that disagrees (slower; a debugging aid). ``None`` reads the environment
            variable ``PPSIM_DEBUG_INVARIANTS``.
        officer_log: also return the table ``officers``: one row per state change of an
            individual officer (:func:`officer_table`); off by default (it is large).

    A scenario with ``uncertainties`` first gets its parameters drawn for this replication
    (:mod:`sim.model.uncertainty`; the same draws in every variant) and returns them as the
    extra table ``parameters``; without them the tables are exactly as before.

    The tables are :func:`simulate_arrow`'s, converted (a worker stores those as they are).
    """
    tables = simulate_arrow(scenario, replication, seed, decisions, check_invariants,
                            officer_log)
    return {name: _frame(table) for name, table in tables.items()}


def _frame(table: pa.Table) -> pd.DataFrame:
    """``table`` as a DataFrame, with plain Arrow strings as object columns.

    Plain strings are the ``parameters`` table's, which pandas had as object columns.
    """
    frame: pd.DataFrame = table.to_pandas()
    for field in table.schema:
        if field.type == pa.string():
            frame[field.name] = frame[field.name].astype(object)
    return frame


def simulate_arrow(scenario: Scenario, replication: int = 0, seed: int | None = None,
                   decisions: Decisions | None = None,
                   check_invariants: bool | None = None,
                   officer_log: bool = False) -> dict[str, pa.Table]:
    """:func:`simulate`, with the tables as Arrow tables.

    They are built without pandas, which a worker process then never imports
    (:mod:`sim.model.columns`).
    """
    tables = _replication_tables(scenario, replication, seed, decisions, check_invariants,
                                 officer_log)
    collect_world()
    return tables


def collect_world() -> None:
    """Collect the young generations: the replication just run, now cyclic garbage.

    A replication's world (~23,000 objects in the baseline: officers, pending alarms, the
    processes' callbacks) is held together by reference cycles, so only the cyclic collector
    frees it. Left to the collector's own schedule, the worlds of ~12 replications pile up in
    the middle generation and go in one collection of ~220,000 objects (0.3 s: that
    replication took twice as long) when one process runs replication after replication on
    one scenario, as the serial executor and a notebook's loop do. Collected at once, while
    its objects are still in the CPU's caches, a world takes ~11 ms: the mean replication of
    such a loop was 5 % faster, with a third of the spread (docs/performance.md).
    """
    gc.collect(1)


def _replication_tables(scenario: Scenario, replication: int, seed: int | None,
                        decisions: Decisions | None, check_invariants: bool | None,
                        officer_log: bool) -> dict[str, pa.Table]:
    """:func:`simulate_arrow`'s tables (its world is garbage when this returns)."""
    root = scenario.run.seed if seed is None else seed
    stream_seed = replication_seed(root, replication)
    parameters = None
    if scenario.uncertainties:
        scenario, parameters = sample_parameters(scenario, stream_seed)
    with tuned_collector():
        world = build_world(scenario, stream_seed, decisions)
        world.check_invariants = (debug_from_environment() if check_invariants is None
                                  else check_invariants)
        if officer_log:
            world.officer_log = []
        start_processes(world)
        world.env.run(until=world.horizon)
    costs = scenario.costs
    rates = (costs.ipo_officer_month, costs.fpu_officer_month, costs.spt_officer_month)
    tables = tabulate(world.observer.record(), rates, target_points(scenario))
    if parameters is not None:
        tables["parameters"] = parameters
    if world.events is not None:
        tables["events"] = world.events.table()
    if world.officer_log is not None:
        tables["officers"] = officer_table(world)
    if world.casework is None:
        tables["cases"] = empty_cases_table()
        return tables
    cases = cases_columns(world.casework, world.observer.months)
    tables["cases"] = table(cases)
    tables["outcomes"] = _appended(tables["outcomes"],
                                   metrics.case_outcomes(cases, world.casework.cost))
    return tables


def _appended(outcomes: pa.Table, more: pa.Table) -> pa.Table:
    """``more`` outcomes after ``outcomes``, laid out as pandas' concatenation was stored.

    Text in two chunks, ``value`` in one: the task files keep their bytes.
    """
    both = pa.concat_tables([outcomes, more])
    index = both.schema.get_field_index("value")
    values = pa.concat_arrays(both.column(index).chunks)
    return both.set_column(index, both.schema.field(index), values)


__all__ = ["OFFICER_COLUMNS", "Decisions", "World", "build_world", "officer_table", "simulate",
           "simulate_arrow", "start_processes", "tuned_collector"]
