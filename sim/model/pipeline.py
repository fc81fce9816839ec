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
from collections.abc import Generator
from functools import partial
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import simpy

from sim.model.assessment import MONTH_DAYS, YEAR_DAYS
from sim.model.contributors import ContributorState
from sim.model.missions import MissionState
from sim.model.personnel import GENERAL, Category, Officer, State
from sim.model.policies import complied_quota
from sim.model.streams import gamma_delay
from sim.model.transitions import enlist, enlist_all, transition

if TYPE_CHECKING:
    from sim.model.world import World

IPO: Final = Category.IPO
ROUNDING_SLACK: Final = 1e-9
"""Slack under ``ceil`` so that posts × overbooking that is whole in theory is not rounded up."""


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
    committed = mission.committed_by_skill(ob)
    total = math.ceil(max(authorized - committed.sum(), 0.0) * ob - ROUNDING_SLACK)
    requests: list[tuple[int | None, int]] = []
    left = total
    for s, skill in enumerate(world.scenario.skills, start=1):
        posts = mission.skill_posts[s]
        if left <= 0 or posts <= 0 or not (
                world.policies.skill_coded(now, mission.name, skill)
                or (world.casework is not None and world.casework.codes(mission.index, s))):
            continue
        coded = min(math.ceil(max(posts - committed[s], 0.0) * ob - ROUNDING_SLACK), left)
        if coded > 0:
            requests.append((s, coded))
            left -= coded
    if left > 0:
        requests.append((None, left))
    for skill_index, n in requests:
        send_call(world, mission, skill_index, n)


def call_members(world: World, mission: MissionState) -> list[ContributorState]:
    """Contributors a call of ``mission`` goes to now: active, serving it, let in by its host.

    Who is active changes only on join and leave days, so the list is kept per mission until
    the next such day (or until a contributor joins the model).
    """
    now = world.env.now
    cached = world.call_members.get(mission.index)
    if cached is None or not (cached[0] <= now < cached[1]) or cached[2] != len(world.contributors):
        members = [c for c in world.members if c.active(now) and c.serves(mission.name)]
        days = [d for c in world.contributors for d in (c.join_day, c.leave_day)]
        valid_from = max((d for d in days if d <= now), default=-math.inf)
        valid_until = min((d for d in days if d > now), default=math.inf)
        cached = (valid_from, valid_until, len(world.contributors), members)
        world.call_members[mission.index] = cached
    members = cached[3]
    if mission.gate is not None:
        members = [c for c in members if mission.gate.accepts(c.name, now)]
    return members


def send_call(world: World, mission: MissionState, skill: int | None, n: int) -> None:
    """Split a request for ``n`` nominations (of ``skill``, or any) among contributors."""
    now = world.env.now
    members = call_members(world, mission)
    if not members:
        return
    policies = world.policies
    supply = [c.supply(now, policies, skill) for c in members]
    propensity = _propensities(world, mission, members)
    headroom = [min(c.headroom(), s) for c, s in zip(members, supply, strict=True)]
    # supply × propensity, zero without headroom (floats, as numpy would multiply them)
    weights = np.array([s * p * (1.0 if h > 0 else 0.0)
                        for s, p, h in zip(supply, propensity, headroom, strict=True)])
    asked: list[int] = np.asarray(world.decide(
        "split_call", n, weights, world.rng("call.split", mission.name),
        mission=mission.name)).tolist()
    for i, officers in enumerate(asked):
        if officers <= 0:
            continue
        c = members[i]
        sent = world.decide("answered_nominations",
                            int(officers), propensity[i], int(headroom[i]),
                            world.rng("nomination.answer", c.name),
                            mission=mission.name, contributor=c.name)
        if sent > 0:
            nominate(world, c, mission, skill, int(sent))


def _propensities(world: World, mission: MissionState,
                  members: list[ContributorState]) -> list[float]:
    """Each member's propensity to answer ``mission``'s calls now.

    Without reimbursement or outreach levers it never changes, so it is kept per mission.
    """
    now = world.env.now
    policies = world.policies
    hardship = mission.spec.hardship
    sensitivity = world.scenario.pipeline.hardship_sensitivity
    if policies.moves_propensity:
        return [c.propensity(now, hardship, sensitivity, policies) for c in members]
    known = mission.propensity
    for c in members:
        if c.index not in known:
            known[c.index] = c.propensity(now, hardship, sensitivity, policies)
    return [known[c.index] for c in members]


def nominate(world: World, contributor: ContributorState, mission: MissionState,
             skill: int | None, n: int) -> None:
    """Create ``n`` nominees (gender and skill drawn from the available pool) and time them."""
    now = world.env.now
    policies = world.policies
    rng = world.rng("nomination.people", contributor.name)
    men_pool, women_pool = contributor.supply_by_gender(now, policies, skill)
    total = men_pool + women_pool
    if total <= 0:
        return
    share = women_pool / total
    quota = complied_quota(share, policies.women_quota(now, mission.name),
                           policies.women_quota_compliance(
                               now, mission.name, world.pipeline.quota_compliance))
    drawn = world.decide("nominee_women", n, share, quota, rng,
                         mission=mission.name, contributor=contributor.name)
    women = min(int(drawn), int(women_pool))
    men = min(n - women, int(men_pool))
    groups: list[tuple[bool, int, int]] = []  # (woman, skill, officers), women first
    for woman, count in ((True, women), (False, men)):
        if count <= 0:
            continue
        if skill is not None:
            groups.append((woman, skill, count))
        else:
            row = contributor.available_by_skill(now, policies, int(woman))
            total_row = sum(row)  # whole numbers: exact, as numpy's sum
            by_skill = rng.multinomial(count, [officers / total_row for officers in row])
            groups.extend((woman, s, c) for s, c in enumerate(by_skill.tolist()) if c > 0)
    if not groups:
        return
    nominees = [Officer(contributor.index, woman, s, mission.index, now)
                for woman, s, count in groups for _ in range(count)]
    for woman, s, count in groups:
        contributor.send(int(woman), s, count)
    enlist_all(world, nominees, State.NOMINATED)
    nomination_factor, _ = world.policies.delay_factors(now)
    pre_assessed = world.policies.pre_assessed_share(now)
    if skill is not None:
        roster = world.policies.specialist_roster(now, world.scenario.skills[skill - 1])
        if roster is not None:
            nomination_factor *= roster.nomination_delay_factor
            pre_assessed = max(pre_assessed, roster.pre_assessed_share)
    spec = contributor.spec.nomination_delay or world.scenario.pipeline.nomination_delay
    delay = gamma_delay(world.streams, "nomination.delay", contributor.name, spec.mean_days,
                        spec.cv, nomination_factor)
    vetting = world.policies.vetting(now)
    if vetting is not None:  # screening against INTERPOL's databases (hypothetical)
        delay += vetting.extra_delay_days
    world.env.after(delay, partial(_nominations_arrive, world, nominees, pre_assessed))


def _nominations_arrive(world: World, nominees: list[Officer], pre_assessed: float,
                        _event: object) -> None:
    """Nominations reach the police division: pre-assessed ones wait, the rest queue."""
    first = nominees[0]  # one batch: one contributor, one mission
    mission = world.missions[first.mission]
    women = sum(officer.woman for officer in nominees)
    world.observer.flow(mission.index, IPO, "nominations", len(nominees))
    if women:
        world.observer.flow(mission.index, IPO, "nominations_women", women)
    rng = world.rng("assessment.pre", world.contributors[first.contributor].name)
    for officer in nominees:
        if pre_assessed > 0 and rng.random() < pre_assessed:
            _to_roster(world, officer)
        else:
            transition(world, officer, State.ASSESSING)
            world.assessment.submit(officer)


def assessed(world: World, officer: Officer) -> None:
    """An assessment ends: the candidate passes (and waits for a post) or goes home."""
    mission = world.missions[officer.mission]
    contributor = world.contributors[officer.contributor]
    world.observer.flow(mission.index, IPO, "assessed")
    speaks = not mission.languages.isdisjoint(contributor.languages)
    p = world.decide(
        "pass_probability", contributor.spec.pass_rate, speaks,
        world.pipeline.language_pass_factor,
        world.policies.language_penalty_reduction(world.env.now),
        mission=mission.name, contributor=contributor.name,
    )
    vetting = world.policies.vetting(world.env.now)
    if vetting is not None:  # rejected by screening: counted as failing assessment
        p *= 1.0 - vetting.rejection_share
    if world.streams.uniform("assessment.pass", contributor.name)() < p:
        world.observer.flow(mission.index, IPO, "passed")
        _to_roster(world, officer)
    else:
        return_home(world, officer)


def _to_roster(world: World, officer: Officer) -> None:
    mission = world.missions[officer.mission]
    transition(world, officer, State.WAITING)
    mission.roster.append(officer)
    fill_posts(world, mission)


def fill_posts(world: World, mission: MissionState) -> None:
    """Release expired candidates, then select waiting candidates for free posts."""
    now = world.env.now
    roster = mission.roster
    if not roster:
        return
    expiry = world.pipeline.roster_expiry_days
    closed = not mission.active(now) and now >= mission.start_day
    expired = 0  # the roster is in order of waiting since: expired candidates are a prefix
    while expired < len(roster) and (closed or now - roster[expired].since > expiry):
        expired += 1
    if expired:
        leaving = roster[:expired]
        del roster[:expired]  # one shift of the list, not one per candidate
        for officer in leaving:
            world.observer.flow(mission.index, IPO, "roster_expired")
            return_home(world, officer)
    free = mission.open_posts(now)
    if free <= 0 or not roster:
        return
    women_first = world.policies.women_priority(now, mission.name)
    chosen = world.decide("select_candidates",
                          [(o.since, o.woman) for o in roster], free, women_first,
                          mission=mission.name)
    if not chosen:
        return
    picked = set(chosen)
    if len(picked) == len(roster) and min(picked) == 0 and max(picked) == len(roster) - 1:
        # everyone waiting is selected (the common case)
        selected, mission.roster = roster, []
    else:
        selected = [roster[i] for i in sorted(picked)]
        mission.roster = [o for i, o in enumerate(roster) if i not in picked]
    _, travel_factor = world.policies.delay_factors(now)
    empty_now = mission.empty_posts_uncovered(now)
    for officer in selected:
        contributor = world.contributors[officer.contributor]
        spec = contributor.spec.travel_delay or world.scenario.pipeline.travel_delay
        delay = gamma_delay(world.streams, "travel.delay", contributor.name, spec.mean_days,
                            spec.cv, travel_factor)
        if empty_now > 0:
            empty_now -= 1
        else:  # a rotation: arrive for the handover, not months before it
            outgoing = mission.claim_due()
            if outgoing is not None:
                delay = max(delay, outgoing.tour_end - now)
        travel(world, officer, delay)


def travel(world: World, officer: Officer, delay: float, to: MissionState | None = None) -> None:
    """The officer travels to the mission (or to mission ``to``), arriving after ``delay`` days."""
    transition(world, officer, State.TRAVELLING, to)
    mission = world.missions[officer.mission]
    if mission.gate is not None:
        delay += mission.gate.extra_delay(world.env.now)
    world.env.after(delay, partial(_arrive, world, officer))


def _arrive(world: World, officer: Officer, _event: object) -> None:
    """Start a tour if a post is still there; otherwise go home (the post was cut)."""
    now = world.env.now
    mission = world.missions[officer.mission]
    if not mission.has_post_for_arrival(now):
        world.observer.flow(mission.index, IPO, "drawdowns")
        return_home(world, officer)
        return
    if mission.gate is not None:
        wait = mission.gate.admit(now, IPO)
        if wait > 0:  # held at the border (entry quota or freeze): try again later
            world.env.after(wait, partial(_arrive, world, officer))
            return
    take_post(world, officer)


def take_post(world: World, officer: Officer) -> None:
    """The officer starts a tour in their mission now; tour rules drawn."""
    now = world.env.now
    mission = world.missions[officer.mission]
    transition(world, officer, State.SERVING)
    contributor = world.contributors[officer.contributor]
    world.observer.waited(mission.index, IPO, mission.ledger.fill(now))
    world.observer.flow(mission.index, IPO, "arrivals")
    if officer.woman:
        world.observer.flow(mission.index, IPO, "arrivals_women")
    if contributor is world.standing:
        tour_days = world.standing_months * MONTH_DAYS
        repatriation = math.inf
    else:
        spec = contributor.spec
        months, extension = world.policies.tour_rules(now, spec.tour_months,
                                                      spec.extension_probability)
        if world.decide("extends_tour", extension,
                        world.rng("tour.extension", contributor.name),
                        mission=mission.name, contributor=contributor.name):
            months += spec.extension_months
        tour_days = months * MONTH_DAYS
        rate = mission.spec.early_repatriation_rate
        vetting = world.policies.vetting(now)
        if vetting is not None:  # fewer disciplinary repatriations among screened officers
            rate *= vetting.repatriation_factor
        repatriation = (world.streams.standard_exponential("tour.repatriation", mission.name)()
                        * (YEAR_DAYS / rate) if rate > 0 else math.inf)
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
        env.after(repatriation, partial(_tour_ends, world, officer, token, "repatriations"))
        return
    lead = world.pipeline.replacement_lead_days
    if tour_days > lead:
        env.after(tour_days - lead, partial(_due_out, world, officer, token))
    else:
        _due_out(world, officer, token, None)


def _due_out(world: World, officer: Officer, token: int, _event: object) -> None:
    """The officer enters the replacement lead: the post counts as open for calls."""
    if officer.tour != token or officer.state is not State.SERVING:
        return
    officer.due_out = True
    mission = world.missions[officer.mission]
    mission.due_out.add(officer.skill)
    mission.due_queue.append(officer)
    remaining = officer.tour_end - world.env.now
    world.env.after(max(remaining, 0.0), partial(_tour_ends, world, officer, token, "rotations"))


def _tour_ends(world: World, officer: Officer, token: int, reason: str,
               _event: object) -> None:
    if officer.tour == token and officer.state is State.SERVING:
        mission = world.missions[officer.mission]
        if reason == "rotations" and mission.gate is not None \
                and mission.gate.hold_rotation(world.env.now, officer, token):
            return  # a rotation freeze extends the tour; the backlog ends it later
        depart(world, officer, reason)


def depart(world: World, officer: Officer, reason: str) -> None:
    """The officer leaves the mission; the post falls vacant unless it was cut."""
    mission = world.missions[officer.mission]
    return_home(world, officer)
    vacate(world, mission, reason)
    fill_posts(world, mission)


def vacate(world: World, mission: MissionState, reason: str, opens: bool | None = None) -> None:
    """An officer has left ``mission`` (counted as ``reason``); the post falls vacant if ``opens``.

    Call it after the officer's state change (which takes them off the mission's counters).
    ``opens`` defaults to every reason but a drawdown (whose post was cut).
    """
    now = world.env.now
    world.observer.flow(mission.index, IPO, reason)
    if (reason != "drawdowns" if opens is None else opens) and mission.empty_posts(now) > 0:
        mission.ledger.open(now)


def return_home(world: World, officer: Officer) -> None:
    """The officer goes home (to cool down) or, for standing capacity, back to standby."""
    contributor = world.contributors[officer.contributor]
    if contributor is world.standing:
        transition(world, officer, State.STANDBY)
        world.standby.append(officer)
        return
    transition(world, officer, State.RETURNED)
    contributor.come_home(world.env.now, int(officer.woman), officer.skill, 1,
                          world.pipeline.cool_down_days)


def draw_down(world: World, mission: MissionState, posts: int) -> None:
    """Posts were cut to ``posts``: those due to leave soonest go now."""
    excess = mission.excess_officers(posts)
    if excess <= 0:
        return
    leaving = sorted(mission.serving, key=lambda o: o.tour_end)[:excess]  # stable, dict order
    for officer in leaving:
        officer.tour += 1
        depart(world, officer, "drawdowns")


def hand_over(world: World, old: MissionState, new: MissionState) -> None:
    """A closing mission's serving officers move to its successor, up to the open posts.

    Those with the longest remaining tours move first and keep their tours (and their place in
    the replacement lead); in the books they leave ``old`` as a drawdown and arrive in ``new``
    (filling its oldest vacancies). The rest are drawn down as usual.
    """
    now = world.env.now
    room = int(new.ipo.at(now) - new.serving_ipo.total - new.travelling.total)
    if room <= 0 or not new.active(now):
        return
    movers = sorted(old.serving, key=lambda o: -o.tour_end)[:room]  # stable, dict order
    for officer in movers:
        due = officer.due_out
        if due:
            old.due_out.add(officer.skill, -1)
        if officer.claimed:
            old.claims -= 1
            officer.claimed = False
        old.serving_ipo.add(officer.skill, -1)
        old.serving.pop(officer, None)
        women, men = int(officer.woman), int(not officer.woman)
        world.observer.serve(old.index, IPO, officer.contributor, women, men, officer.skill, -1)
        world.observer.flow(old.index, IPO, "drawdowns")
        officer.mission = new.index
        new.serving_ipo.add(officer.skill)
        new.serving[officer] = None
        if due:
            new.due_out.add(officer.skill)
            new.due_queue.append(officer)
        world.observer.serve(new.index, IPO, officer.contributor, women, men, officer.skill, 1)
        world.observer.waited(new.index, IPO, new.ledger.fill(now))
        world.observer.flow(new.index, IPO, "arrivals")
        if officer.woman:
            world.observer.flow(new.index, IPO, "arrivals_women")


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
        if not members:  # no contributor to second them: nobody is placed
            mission.ledger.open(now, int(max(mission.ipo.at(now), 0)))
            return
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
        contributor.send(int(woman), skill)
        enlist(world, officer, State.SERVING)
        tour_days = contributor.spec.tour_months * MONTH_DAYS
        remaining = float(rng.uniform(0.0, tour_days))
        rate = mission.spec.early_repatriation_rate
        repatriation = float(rng.exponential(YEAR_DAYS / rate)) if rate > 0 else float("inf")
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


def seed_replacements(world: World, mission: MissionState) -> None:
    """At the start, give every post whose officer leaves within the lead a replacement on the way.

    Used with ``run.seed_pipeline`` instead of a warm-up, so that the initial staffing stays as
    given (month 0 = the initial state) while the posts emptying in the first months do not all
    wait for a full pipeline. Every initial officer already due out (rotation within
    ``replacement_lead_days``) gets a replacement selected and travelling that arrives at the
    handover (the travel ends at the outgoing officer's tour end; an entry gate adds its delay).
    The replacement's contributor is drawn as a call would split the post (available officers
    × propensity², among those serving the mission and accepted by its host state), its gender
    from that contributor's available pool with the nomination quota as far as they comply, its
    skill the outgoing officer's when the contributor has one available. Stream:
    ``warmup.replacements`` per mission.
    """
    now = world.env.now
    due = [o for o in mission.due_queue if o.due_out and not o.claimed]
    if not due:
        return
    members = [c for c in world.members if c.active(now) and c.serves(mission.name)]
    if mission.gate is not None:
        members = [c for c in members if mission.gate.accepts(c.name, now)]
    if not members:
        return
    sensitivity = world.scenario.pipeline.hardship_sensitivity
    # as a call would split them: available officers × propensity (asked) × propensity (answer);
    # the whole pool would favour contributors whose units keep most of it in use
    weights = np.array([
        c.available(now, world.policies).sum()
        * c.propensity(now, mission.spec.hardship, sensitivity, world.policies) ** 2
        for c in members
    ])
    rng = world.rng("warmup.replacements", mission.name)
    quota = world.policies.women_quota(now, mission.name)
    compliance = world.scenario.pipeline.quota_compliance
    for outgoing in due:
        index = world.decide("choose_weighted", weights, rng, mission=mission.name)
        if index < 0:
            return
        contributor = members[index]
        by_gender = contributor.supply_by_gender(now, world.policies)
        total = by_gender[0] + by_gender[1]
        share = by_gender[1] / total if total > 0 else 0.0
        woman = bool(rng.random() < min(max(complied_quota(share, quota, compliance), share), 1.0))
        if by_gender[int(woman)] <= 0:
            woman = not woman
        with_skill = contributor.supply_by_gender(now, world.policies, outgoing.skill)
        skill = outgoing.skill if with_skill[int(woman)] > 0 else GENERAL
        officer = Officer(contributor.index, woman, skill, mission.index, now)
        contributor.send(int(woman), skill)
        enlist(world, officer, State.WAITING)
        outgoing.claimed = True
        mission.claims += 1
        travel(world, officer, max(outgoing.tour_end - now, 0.0))


def seed_resting(world: World, mission: MissionState) -> None:
    """At the start, the predecessors of the officers serving are at home cooling down.

    Used with ``run.seed_pipeline``: an officer serving at the start with ``r`` days of tour left
    replaced a predecessor who came home ``tour − r`` days ago and rests until ``r + cool-down −
    tour`` (if that is still ahead). Without this the contributors' pools start with no one
    cooling down, so more of their officers (mostly men, where units keep women in use) are
    available than at a steady state, and the women's share of nominations dips in the first year.
    """
    now = world.env.now
    cool = world.scenario.pipeline.cool_down_days
    for officer in mission.serving:
        contributor = world.contributors[officer.contributor]
        if contributor is world.standing:
            continue
        tour = contributor.spec.tour_months * MONTH_DAYS
        until = officer.tour_end + cool - tour
        if until > now:
            contributor.rest(until, int(officer.woman), officer.skill, 1)
