"""Specialized police teams and the standing capacity.

A *specialized police team* (SPT) serves a mission's project for a fixed period: on the
project's start its posts are authorized, a contributor with enough officers of the skill is
asked (the one named, or one drawn by available specialists × propensity), the team arrives after
the generation delay and serves ``months`` (never past the mission's end), then goes home.

The *standing capacity* (a lever) is a small pool of pre-selected officers on standby that
deploys within weeks when a mission starts or its individual posts step up, filling posts for
``deployment_months`` until contributors' officers arrive, then returns to standby.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import simpy

from sim.model import pipeline, transitions
from sim.model.assessment import MONTH_DAYS
from sim.model.contributors import ContributorState
from sim.model.missions import MissionState
from sim.model.personnel import Category, Officer, State
from sim.model.streams import draw_delay
from sim.scenario.levers import SpecializedTeams, StandingCapacity
from sim.scenario.schema import day_of

if TYPE_CHECKING:
    from sim.model.world import World

SPT: Final = Category.SPT


@dataclass(frozen=True)
class Project:
    """A request for one specialized team: skill (index), size, start day, months, contributor."""

    skill: int
    size: int
    start_day: float
    months: float
    contributor: str | None = None


def start_projects(world: World, mission: MissionState) -> None:
    """Start one process per team project of the mission (its own and the lever's)."""
    skills = list(world.scenario.skills)
    start = world.scenario.run.start
    projects = [
        Project(skills.index(t.skill) + 1, t.size, day_of(start, t.start), t.months, t.contributor)
        for t in mission.spec.teams
    ]
    for timed in world.policies.all_of(SpecializedTeams):
        lever = timed.lever
        assert isinstance(lever, SpecializedTeams)
        if lever.missions is None or mission.name in lever.missions:
            projects += [Project(skills.index(lever.skill) + 1, lever.size, timed.start_day,
                                 lever.months)] * lever.teams_per_mission
    for n, project in enumerate(projects):
        if project.start_day + project.months * MONTH_DAYS > 0:
            world.env.process(team(world, mission, project, n))


def team(world: World, mission: MissionState, project: Project,
         n: int) -> Generator[simpy.Event, Any, None]:
    """Request, generate and deploy one team; it serves its months, then goes home."""
    env = world.env
    rng = world.rng("team", f"{mission.name}/{n}")
    yield env.timeout(max(project.start_day - env.now, 0.0))
    if not mission.active(env.now) or env.now >= mission.closing_from:
        return
    requested = env.now
    window_end = project.start_day + project.months * MONTH_DAYS
    mission.spt_authorized += project.size
    mission.spt_skill_posts[project.skill] += project.size
    contributor = _choose(world, project, rng)
    while contributor is None and env.now + world.scenario.pipeline.call_interval_days < window_end:
        yield env.timeout(world.scenario.pipeline.call_interval_days)
        contributor = _choose(world, project, rng)
    if contributor is None:
        mission.spt_authorized -= project.size
        mission.spt_skill_posts[project.skill] -= project.size
        return
    available = contributor.available(env.now, world.policies)[:, project.skill]
    share = available[1] / available.sum() if available.sum() > 0 else 0.0
    women = int(rng.binomial(project.size, share))
    contributor.send(1, project.skill, women)
    contributor.send(0, project.skill, project.size - women)
    world.observer.generate(SPT, State.NOMINATED, project.size)
    world.observer.flow(mission.index, SPT, "nominations", project.size)
    world.observer.flow(mission.index, SPT, "nominations_women", women)
    delay = draw_delay(rng, world.scenario.pipeline.teams.generation_delay.mean_days,
                       world.scenario.pipeline.teams.generation_delay.cv)
    world.observer.move(SPT, State.NOMINATED, State.TRAVELLING, project.size)
    yield env.timeout(delay)
    if mission.gate is not None:  # an event's entry gate (a freeze holds teams too)
        wait = mission.gate.admit(env.now, SPT)
        while wait > 0:
            yield env.timeout(wait)
            wait = mission.gate.admit(env.now, SPT)
    world.observer.move(SPT, State.TRAVELLING, State.SERVING, project.size)
    world.observer.serve(mission.index, SPT, contributor.index, women, project.size - women,
                         project.skill, 1)
    world.observer.flow(mission.index, SPT, "arrivals", project.size)
    world.observer.flow(mission.index, SPT, "arrivals_women", women)
    world.observer.waited(mission.index, SPT, env.now - requested)
    serve = min(project.months * MONTH_DAYS, max(mission.end_day - env.now, 0.0))
    duty = (env.active_process, env.now, contributor.name, project.size)
    mission.serving_teams.append(duty)
    reason = "rotations"
    try:
        yield env.timeout(serve)
    except simpy.Interrupt:  # a budget cut with include_teams sends the team home early
        reason = "drawdowns"
    mission.serving_teams.remove(duty)
    world.observer.serve(mission.index, SPT, contributor.index, women, project.size - women,
                         project.skill, -1)
    world.observer.flow(mission.index, SPT, reason, project.size)
    world.observer.move(SPT, State.SERVING, State.RETURNED, project.size)
    mission.spt_authorized -= project.size
    mission.spt_skill_posts[project.skill] -= project.size
    cool = world.scenario.pipeline.cool_down_days
    contributor.come_home(env.now, 1, project.skill, women, cool)
    contributor.come_home(env.now, 0, project.skill, project.size - women, cool)


def _choose(world: World, project: Project, rng: np.random.Generator) -> ContributorState | None:
    """The contributor asked: the one named, or drawn by specialists available × propensity."""
    now = world.env.now
    members = [c for c in world.members if c.active(now)]
    if project.contributor is not None:
        members = [c for c in members if c.name == project.contributor]
    weights = np.array([
        c.available(now, world.policies)[:, project.skill].sum() * c.spec.ipo_propensity
        if c.headroom() >= project.size
        and c.available(now, world.policies)[:, project.skill].sum() >= project.size else 0.0
        for c in members
    ])
    index = world.decide("choose_weighted", weights, rng) if len(members) else -1
    return members[index] if index >= 0 else None


def start_standing_capacity(world: World) -> None:
    """Put the standing capacity's officers on standby when its lever starts."""
    levers = world.policies.all_of(StandingCapacity)
    world.standing_lever = None
    if not levers:
        return
    timed = levers[-1]
    lever = timed.lever
    assert isinstance(lever, StandingCapacity)
    world.standing_lever = lever
    world.standing_months = lever.deployment_months
    skill = list(world.scenario.skills).index(lever.skill) + 1 if lever.skill else 0

    def enlist(_event: simpy.Event | None = None) -> None:
        rng = world.rng("standing.enlist")
        for _ in range(lever.size):
            officer = Officer(world.standing.index, bool(rng.random() < lever.women_share),
                              skill, 0, world.env.now)
            transitions.enlist(world, officer, State.STANDBY)
            world.standby.append(officer)

    if timed.start_day <= world.env.now:
        enlist()
    else:
        world.env.timeout(timed.start_day - world.env.now).callbacks.append(enlist)
    if lever.vacancy_trigger is not None:
        world.env.process(support_existing_missions(world, timed.start_day,
                                                    lever.vacancy_trigger))


def support_existing_missions(world: World, start_day: float,
                              trigger: float) -> Generator[simpy.Event, Any, None]:
    """From ``start_day``, each month send officers on standby to the emptiest missions.

    Only scheduled when the lever has a ``vacancy_trigger``, so runs without one keep their
    event sequence.
    """
    yield world.env.timeout(max(start_day - world.env.now, 0.0))
    while True:
        now = world.env.now
        shares = [(m.index, vacancy_share(m.empty_posts(now), m.ipo.at(now)))
                  for m in world.missions if m.active(now)]
        for index in missions_to_support(shares, trigger):
            mission = world.missions[index]
            surge(world, mission, max(mission.open_posts(now), 0))
        yield world.env.timeout(MONTH_DAYS)


def vacancy_share(empty_posts: float, posts: float) -> float:
    """Share of a mission's individual posts nobody serves in (0 without posts)."""
    return max(empty_posts, 0.0) / posts if posts > 0 else 0.0


def missions_to_support(shares: list[tuple[int, float]], trigger: float) -> list[int]:
    """Missions whose vacancy share is at least ``trigger``, emptiest first (ties: list order)."""
    due = [(index, share) for index, share in shares if share >= trigger]
    return [index for index, _ in sorted(due, key=lambda pair: -pair[1])]


def surge(world: World, mission: MissionState, posts: int) -> None:
    """Send standing-capacity officers to a mission whose posts just stepped up."""
    lever = world.standing_lever
    if lever is None or not world.standby:
        return
    n = min(posts, len(world.standby), max(mission.open_posts(world.env.now), 0))
    for _ in range(n):
        officer = world.standby.pop(0)
        officer.mission = mission.index
        pipeline.travel(world, officer, lever.deploy_delay_days)
