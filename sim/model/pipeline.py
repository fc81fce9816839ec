"""The individual-officer pipeline: calls → nominations → assessment → selection → travel → tour.

Timing only; every choice is a call to a pure function in :attr:`World.decisions`
(:mod:`sim.model.policies`). See :mod:`sim.model.personnel` for an officer's life cycle.

- Every ``call_interval_days`` the police division counts each mission's open posts (authorized
  minus serving officers not due to leave within the replacement lead, those travelling or
  waiting, and the nominees in the pipeline discounted by the overbooking factor) and asks for
  ``overbooking ×`` that many nominations: skill-coded for specialist posts where the lever is
  on, generic otherwise. Requests are split among contributors in proportion to their available
  pool × propensity; each answers with a binomial share of what it was asked, within its headroom.
- Nominees arrive after the nomination delay, then queue for assessment (unless pre-assessed).
- Passed candidates wait on the mission's roster; whenever posts are free (now or within the
  replacement lead) the longest-waiting (or women first, under selection priority) are selected
  and travel. Unselected candidates are released after ``roster_expiry_days``.
- A tour lasts the contributor's tour length (plus an extension, decided at arrival so that its
  replacement is called for on time) unless an early repatriation or a drawdown ends it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Generator
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from sim.model.assessment import MONTH_DAYS
from sim.model.contributors import ContributorState
from sim.model.missions import MissionState
from sim.model.personnel import GENERAL, Category, Officer, State
from sim.model.streams import draw_delay

if TYPE_CHECKING:
    from sim.model.world import World

IPO = Category.IPO


def calls(world: World) -> Generator[simpy.Event, Any, None]:
    """Issue a call for every active mission every ``call_interval_days``."""
    interval = world.scenario.pipeline.call_interval_days
    while True:
        for mission in world.missions:
            if mission.active(world.env.now):
                issue_call(world, mission)
        yield world.env.timeout(interval)


def issue_call(world: World, mission: MissionState) -> None:
    """Count the mission's open posts and ask contributors for nominations."""
    now = world.env.now
    fill_posts(world, mission)
    authorized = mission.ipo.at(now)
    if authorized <= 0:
        return
    ob = world.scenario.pipeline.overbooking
    committed = (mission.serving_ipo.array() - mission.due_out.array()
                 + mission.travelling.array() + mission.waiting.array()
                 + mission.pipeline.array() / ob)
    total = math.ceil(max(authorized - committed.sum(), 0.0) * ob - 1e-9)
    requests: list[tuple[int | None, int]] = []
    left = total
    for s, skill in enumerate(world.scenario.skills, start=1):
        posts = mission.skill_posts[s]
        if left <= 0 or posts <= 0 or not (
                world.policies.skill_coded(now, mission.name, skill)
                or (world.casework is not None and world.casework.codes(mission.index, s))):
            continue
        coded = min(math.ceil(max(posts - committed[s], 0.0) * ob - 1e-9), left)
        if coded > 0:
            requests.append((s, coded))
            left -= coded
    if left > 0:
        requests.append((None, left))
    for skill_index, n in requests:
        send_call(world, mission, skill_index, n)


def send_call(world: World, mission: MissionState, skill: int | None, n: int) -> None:
    """Split a request for ``n`` nominations (of ``skill``, or any) among contributors."""
    now = world.env.now
    pipe = world.scenario.pipeline
    members = [c for c in world.members if c.active(now) and c.serves(mission.name)]
    if mission.gate is not None:
        members = [c for c in members if mission.gate.accepts(c.name, now)]
    if not members:
        return
    available = [c.available(now, world.policies) for c in members]
    stacked = np.stack(available)  # (contributor, gender, skill); whole numbers: sums are exact
    supply = stacked[:, :, skill].sum(axis=1) if skill is not None else stacked.sum(axis=(1, 2))
    propensity = np.array([
        c.propensity(now, mission.spec.hardship, pipe.hardship_sensitivity, world.policies)
        for c in members
    ])
    headroom = np.array([min(c.headroom(), s) for c, s in zip(members, supply, strict=True)])
    weights = supply * propensity * (headroom > 0)
    asked = world.decisions.split_call(n, weights, world.rng("call.split", mission.name))
    for c, a, p, h, avail in zip(members, asked, propensity, headroom, available, strict=True):
        if a <= 0:
            continue
        sent = world.decisions.answered_nominations(
            int(a), float(p), int(h), world.rng("nomination.answer", c.name))
        if sent > 0:
            nominate(world, c, mission, skill, int(sent), avail)


def nominate(world: World, contributor: ContributorState, mission: MissionState,
             skill: int | None, n: int, available: np.ndarray) -> None:
    """Create ``n`` nominees (gender and skill drawn from the available pool) and time them."""
    now = world.env.now
    rng = world.rng("nomination.people", contributor.name)
    pool = available[:, skill] if skill is not None else available.sum(axis=1)
    total = pool.sum()
    if total <= 0:
        return
    quota = world.policies.women_quota(now, mission.name)
    women = min(int(world.decisions.nominee_women(n, pool[1] / total, quota, rng)), int(pool[1]))
    men = min(n - women, int(pool[0]))
    people: list[tuple[bool, int]] = []
    for woman, count in ((True, women), (False, men)):
        if count <= 0:
            continue
        if skill is not None:
            people.extend([(woman, skill)] * count)
        else:
            by_skill = rng.multinomial(count, available[int(woman)] / available[int(woman)].sum())
            for s, c in enumerate(by_skill):
                people.extend([(woman, s)] * int(c))
    if not people:
        return
    nominees = [Officer(contributor.index, woman, s, mission.index, now) for woman, s in people]
    for (woman, s), count in Counter(people).items():  # counters once per (gender, skill)
        contributor.send(int(woman), s, count)
        mission.pipeline.add(s, count)
    world.observer.generate(IPO, State.NOMINATED, len(nominees))
    nomination_factor, _ = world.policies.delay_factors(now)
    pre_assessed = world.policies.pre_assessed_share(now)
    if skill is not None:
        roster = world.policies.specialist_roster(now, world.scenario.skills[skill - 1])
        if roster is not None:
            nomination_factor *= roster.nomination_delay_factor
            pre_assessed = max(pre_assessed, roster.pre_assessed_share)
    spec = contributor.spec.nomination_delay or world.scenario.pipeline.nomination_delay
    delay = draw_delay(world.rng("nomination.delay", contributor.name), spec.mean_days, spec.cv,
                       nomination_factor)
    vetting = world.policies.vetting(now)
    if vetting is not None:  # screening against INTERPOL's databases (hypothetical)
        delay += vetting.extra_delay_days
    world.env.timeout(delay).callbacks.append(
        partial(_nominations_arrive, world, nominees, pre_assessed))


def _nominations_arrive(world: World, nominees: list[Officer], pre_assessed: float,
                        _event: simpy.Event) -> None:
    """Nominations reach the police division: pre-assessed ones wait, the rest queue."""
    now = world.env.now
    first = nominees[0]  # one batch: one contributor, one mission
    mission = world.missions[first.mission]
    women = sum(officer.woman for officer in nominees)
    world.observer.flow(mission.index, IPO, "nominations", len(nominees))
    if women:
        world.observer.flow(mission.index, IPO, "nominations_women", women)
    rng = world.rng("assessment.pre", world.contributors[first.contributor].name)
    for officer in nominees:
        officer.since = now
        if pre_assessed > 0 and rng.random() < pre_assessed:
            mission.pipeline.add(officer.skill, -1)
            _to_roster(world, officer, State.NOMINATED)
        else:
            officer.state = State.ASSESSING
            world.observer.move(IPO, State.NOMINATED, State.ASSESSING)
            world.assessment.submit(officer)


def assessed(world: World, officer: Officer) -> None:
    """An assessment ends: the candidate passes (and waits for a post) or goes home."""
    mission = world.missions[officer.mission]
    contributor = world.contributors[officer.contributor]
    mission.pipeline.add(officer.skill, -1)
    world.observer.flow(mission.index, IPO, "assessed")
    speaks = not mission.languages.isdisjoint(contributor.languages)
    p = world.decisions.pass_probability(
        contributor.spec.pass_rate, speaks,
        world.scenario.pipeline.assessment.language_pass_factor,
        world.policies.language_penalty_reduction(world.env.now),
    )
    vetting = world.policies.vetting(world.env.now)
    if vetting is not None:  # rejected by screening: counted as failing assessment
        p *= 1.0 - vetting.rejection_share
    if world.rng("assessment.pass", contributor.name).random() < p:
        world.observer.flow(mission.index, IPO, "passed")
        _to_roster(world, officer, State.ASSESSING)
    else:
        return_home(world, officer, State.ASSESSING)


def _to_roster(world: World, officer: Officer, old: State) -> None:
    mission = world.missions[officer.mission]
    officer.state = State.WAITING
    officer.since = world.env.now
    world.observer.move(IPO, old, State.WAITING)
    mission.waiting.add(officer.skill)
    mission.roster.append(officer)
    fill_posts(world, mission)


def fill_posts(world: World, mission: MissionState) -> None:
    """Release expired candidates, then select waiting candidates for free posts."""
    now = world.env.now
    roster = mission.roster
    if not roster:
        return
    expiry = world.scenario.pipeline.roster_expiry_days
    closed = not mission.active(now) and now >= mission.start_day
    expired = 0  # the roster is in order of waiting since: expired candidates are a prefix
    while expired < len(roster) and (closed or now - roster[expired].since > expiry):
        expired += 1
    if expired:
        leaving = roster[:expired]
        del roster[:expired]  # one shift of the list, not one per candidate
        for officer in leaving:
            mission.waiting.add(officer.skill, -1)
            world.observer.flow(mission.index, IPO, "roster_expired")
            return_home(world, officer, State.WAITING)
    free = mission.open_posts(now)
    if free <= 0 or not roster:
        return
    women_first = world.policies.women_priority(now, mission.name)
    chosen = world.decisions.select_candidates(
        [(o.since, o.woman) for o in roster], free, women_first)
    if not chosen:
        return
    picked = set(chosen)
    selected = [roster[i] for i in sorted(picked)]
    mission.roster = [o for i, o in enumerate(roster) if i not in picked]
    _, travel_factor = world.policies.delay_factors(now)
    empty_now = mission.empty_posts_uncovered(now)
    for officer in selected:
        mission.waiting.add(officer.skill, -1)
        contributor = world.contributors[officer.contributor]
        spec = contributor.spec.travel_delay or world.scenario.pipeline.travel_delay
        delay = draw_delay(world.rng("travel.delay", contributor.name), spec.mean_days, spec.cv,
                           travel_factor)
        if empty_now > 0:
            empty_now -= 1
        else:  # a rotation: arrive for the handover, not months before it
            outgoing = mission.claim_due()
            if outgoing is not None:
                delay = max(delay, outgoing.tour_end - now)
        travel(world, officer, State.WAITING, delay)


def travel(world: World, officer: Officer, old: State, delay: float) -> None:
    """The officer travels to the mission and arrives after ``delay`` days."""
    mission = world.missions[officer.mission]
    officer.state = State.TRAVELLING
    officer.since = world.env.now
    world.observer.move(IPO, old, State.TRAVELLING)
    mission.travelling.add(officer.skill)
    if mission.gate is not None:
        delay += mission.gate.extra_delay(world.env.now)
    world.env.timeout(delay).callbacks.append(partial(_arrive, world, officer))


def _arrive(world: World, officer: Officer, _event: simpy.Event) -> None:
    """Start a tour if a post is still there; otherwise go home (the post was cut)."""
    now = world.env.now
    mission = world.missions[officer.mission]
    mission.travelling.add(officer.skill, -1)
    if mission.ipo.at(now) - (mission.serving_ipo.total - mission.due_out.total) <= 0:
        world.observer.flow(mission.index, IPO, "drawdowns")
        return_home(world, officer, State.TRAVELLING)
        return
    if mission.gate is not None:
        wait = mission.gate.admit(now, IPO)
        if wait > 0:  # held at the border (entry quota or freeze): try again later
            mission.travelling.add(officer.skill)
            world.env.timeout(wait).callbacks.append(partial(_arrive, world, officer))
            return
    take_post(world, officer, State.TRAVELLING)


def take_post(world: World, officer: Officer, old: State) -> None:
    """The officer starts a tour in their mission now (from state ``old``); tour rules drawn."""
    now = world.env.now
    mission = world.missions[officer.mission]
    officer.state = State.SERVING
    officer.since = now
    world.observer.move(IPO, old, State.SERVING)
    contributor = world.contributors[officer.contributor]
    mission.serving_ipo.add(officer.skill)
    mission.serving[officer] = None
    world.observer.serve(mission.index, IPO, officer.contributor, int(officer.woman),
                         int(not officer.woman), officer.skill, 1)
    world.observer.waited(mission.index, IPO, mission.ledger.fill(now))
    world.observer.flow(mission.index, IPO, "arrivals")
    if officer.woman:
        world.observer.flow(mission.index, IPO, "arrivals_women")
    if contributor is world.standing:
        tour_days = world.standing_months * MONTH_DAYS
        repatriation = float("inf")
    else:
        spec = contributor.spec
        months, extension = world.policies.tour_rules(now, spec.tour_months,
                                                      spec.extension_probability)
        if world.decisions.extends_tour(extension, world.rng("tour.extension", contributor.name)):
            months += spec.extension_months
        tour_days = months * MONTH_DAYS
        rate = mission.spec.early_repatriation_rate
        vetting = world.policies.vetting(now)
        if vetting is not None:  # fewer disciplinary repatriations among screened officers
            rate *= vetting.repatriation_factor
        rng = world.rng("tour.repatriation", mission.name)
        repatriation = float(rng.exponential(365.25 / rate)) if rate > 0 else float("inf")
    _start_tour(world, officer, tour_days, repatriation)


def _start_tour(world: World, officer: Officer, tour_days: float, repatriation: float) -> None:
    """Time the tour with two timers (no process: tours are the model's most common event).

    The officer serves until rotation, early repatriation or drawdown and counts as leaving
    (``due_out``) from ``replacement_lead_days`` before a rotation. A drawdown ends the tour at
    once and bumps ``officer.tour``, which disarms the timers already scheduled.
    """
    env = world.env
    officer.tour += 1
    officer.tour_end = env.now + tour_days
    token = officer.tour
    if repatriation < tour_days:
        env.timeout(repatriation).callbacks.append(
            partial(_tour_ends, world, officer, token, "repatriations"))
        return
    lead = world.scenario.pipeline.replacement_lead_days
    if tour_days > lead:
        env.timeout(tour_days - lead).callbacks.append(partial(_due_out, world, officer, token))
    else:
        _due_out(world, officer, token, None)


def _due_out(world: World, officer: Officer, token: int, _event: simpy.Event | None) -> None:
    """The officer enters the replacement lead: the post counts as open for calls."""
    if officer.tour != token or officer.state is not State.SERVING:
        return
    officer.due_out = True
    mission = world.missions[officer.mission]
    mission.due_out.add(officer.skill)
    mission.due_queue.append(officer)
    remaining = officer.tour_end - world.env.now
    world.env.timeout(max(remaining, 0.0)).callbacks.append(
        partial(_tour_ends, world, officer, token, "rotations"))


def _tour_ends(world: World, officer: Officer, token: int, reason: str,
               _event: simpy.Event) -> None:
    if officer.tour == token and officer.state is State.SERVING:
        mission = world.missions[officer.mission]
        if reason == "rotations" and mission.gate is not None \
                and mission.gate.hold_rotation(world.env.now, officer, token):
            return  # a rotation freeze extends the tour; the backlog ends it later
        depart(world, officer, reason)


def depart(world: World, officer: Officer, reason: str) -> None:
    """The officer leaves the mission; the post falls vacant unless it was cut."""
    mission = vacate(world, officer, reason)
    return_home(world, officer, State.SERVING)
    fill_posts(world, mission)


def vacate(world: World, officer: Officer, reason: str, opens: bool | None = None
           ) -> MissionState:
    """The officer stops serving (counted as ``reason``); the post falls vacant if ``opens``.

    ``opens`` defaults to every reason but a drawdown (whose post was cut). The officer's state
    is left to the caller (home, or on to another mission).
    """
    now = world.env.now
    mission = world.missions[officer.mission]
    if officer.due_out:
        mission.due_out.add(officer.skill, -1)
        officer.due_out = False
    if officer.claimed:
        mission.claims -= 1
        officer.claimed = False
    mission.serving_ipo.add(officer.skill, -1)
    mission.serving.pop(officer, None)
    world.observer.serve(mission.index, IPO, officer.contributor, int(officer.woman),
                         int(not officer.woman), officer.skill, -1)
    world.observer.flow(mission.index, IPO, reason)
    if (reason != "drawdowns" if opens is None else opens) \
            and mission.serving_ipo.total < mission.ipo.at(now):
        mission.ledger.open(now)
    return mission


def return_home(world: World, officer: Officer, old: State) -> None:
    """The officer goes home (to cool down) or, for standing capacity, back to standby."""
    contributor = world.contributors[officer.contributor]
    if contributor is world.standing:
        officer.state = State.STANDBY
        world.observer.move(IPO, old, State.STANDBY)
        world.standby.append(officer)
        return
    officer.state = State.RETURNED
    world.observer.move(IPO, old, State.RETURNED)
    contributor.come_home(world.env.now, int(officer.woman), officer.skill, 1,
                          world.scenario.pipeline.cool_down_days)


def draw_down(world: World, mission: MissionState, posts: int) -> None:
    """Posts were cut to ``posts``: those due to leave soonest go now."""
    excess = mission.serving_ipo.total - posts
    if excess <= 0:
        return
    leaving = sorted(mission.serving, key=lambda o: o.tour_end)[:excess]  # stable, dict order
    for officer in leaving:
        officer.tour += 1
        depart(world, officer, "drawdowns")


def initial_staffing(world: World, mission: MissionState) -> None:
    """Place the officers serving at the start, part-way through their tours."""
    init = mission.spec.initial
    now = world.env.now
    if init.ipo <= 0 or not mission.active(now):
        mission.ledger.open(now, int(max(mission.ipo.at(now), 0)))
        return
    rng = world.rng("initial.ipo", mission.name)
    women: np.ndarray | None = None
    if init.by_contributor:  # observed owners and women (e.g. a scenario built from data)
        members, owners, women = _observed_owners(world, mission)
    else:
        members = [c for c in world.members if c.active(now) and c.serves(mission.name)]
        if mission.gate is not None and mission.gate.limits_initial:
            members = [c for c in members if mission.gate.accepts(c.name, now)] or members
        sensitivity = world.scenario.pipeline.hardship_sensitivity
        # owners in proportion to expected nominations: the call's weight (pool × propensity)
        # times the chance of answering (propensity)
        weights = np.array([
            c.pool_by_gender.sum()
            * c.propensity(now, mission.spec.hardship, sensitivity, world.policies) ** 2
            for c in members
        ])
        if weights.sum() <= 0:
            weights = np.ones(len(members))
        owners = np.repeat(np.arange(len(members)),
                           rng.multinomial(init.ipo, weights / weights.sum()))
    skills = [GENERAL] * init.ipo
    position = 0
    for index, name in enumerate(world.scenario.skills, start=1):
        for _ in range(min(init.specialists.get(name, 0), init.ipo - position)):
            skills[position] = index
            position += 1
    order = rng.permutation(init.ipo)
    for i in range(init.ipo):
        contributor = members[int(owners[order[i]])]
        woman = bool(rng.random() < init.ipo_women_share) if women is None \
            else bool(women[order[i]])
        skill = skills[i]
        officer = Officer(contributor.index, woman, skill, mission.index, now)
        officer.state = State.SERVING
        contributor.send(int(woman), skill)
        world.observer.generate(IPO, State.SERVING)
        mission.serving_ipo.add(skill)
        mission.serving[officer] = None
        world.observer.serve(mission.index, IPO, contributor.index, int(woman), int(not woman),
                             skill, 1)
        tour_days = contributor.spec.tour_months * MONTH_DAYS
        remaining = float(rng.uniform(0.0, tour_days))
        rate = mission.spec.early_repatriation_rate
        repatriation = float(rng.exponential(365.25 / rate)) if rate > 0 else float("inf")
        _start_tour(world, officer, remaining, repatriation)
    mission.ledger.open(now, int(max(mission.ipo.at(now) - init.ipo, 0)))


def _observed_owners(world: World, mission: MissionState
                     ) -> tuple[list[ContributorState], np.ndarray, np.ndarray]:
    """The initial officers as ``initial.by_contributor`` lists them.

    Returns the contributors, each officer's contributor (an index into them) and whether the
    officer is a woman, in the file's order.
    """
    by_name = {c.name: c for c in world.members}
    members: list[ContributorState] = []
    owners: list[int] = []
    women: list[bool] = []
    for name, entry in mission.spec.initial.by_contributor.items():
        owners += [len(members)] * entry.ipo
        women += [True] * entry.ipo_women + [False] * (entry.ipo - entry.ipo_women)
        members.append(by_name[name])
    return members, np.array(owners, dtype=np.int64), np.array(women, dtype=bool)
