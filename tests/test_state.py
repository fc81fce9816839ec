"""Unit tests of the model's state classes, without running a simulation.

Vacancy ledger, schedules, skill counts, a mission's post arithmetic, a contributor's pools, the
assessment centre and the random streams: one behaviour per test, known answers by hand.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from sim.model.assessment import MONTH_DAYS, AssessmentCentre
from sim.model.clock import ModelEnvironment
from sim.model.contributors import ContributorState
from sim.model.missions import MissionState, Schedule, SkillCounts, VacancyLedger
from sim.model.personnel import Officer, State
from sim.model.policies import PolicyBook, TimedLever
from sim.model.streams import Streams, replication_seed
from sim.scenario.levers import Reimbursement, SpecialistTraining
from sim.scenario.schema import Contributor, Mission

START = date(2025, 1, 1)
NO_POLICIES = PolicyBook([])


# --- VacancyLedger ---------------------------------------------------------------------------


def test_ledger_fills_the_oldest_vacancy_first() -> None:
    """Vacancies opened on days 10 and 20 are filled in that order: waits 40 then 35."""
    ledger = VacancyLedger()
    ledger.open(10)
    ledger.open(20)
    assert ledger.fill(50) == 40
    assert ledger.fill(55) == 35


def test_ledger_early_arrival_cancels_the_next_vacancy() -> None:
    """An arrival with no open vacancy waits 0 and the next departure opens no vacancy."""
    ledger = VacancyLedger()
    assert ledger.fill(5) == 0.0
    assert ledger.credit == 1
    ledger.open(8)
    assert not ledger.opened and ledger.credit == 0


def test_ledger_close_drops_the_newest_vacancies() -> None:
    """Abolishing 2 of 3 open posts keeps the oldest; closing more than are open is harmless."""
    ledger = VacancyLedger()
    ledger.open(1)
    ledger.open(2, n=2)
    ledger.close(2)
    assert list(ledger.opened) == [1]
    ledger.close(5)
    assert not ledger.opened


# --- Schedule --------------------------------------------------------------------------------


def schedule() -> Schedule:
    """100 posts from the start, 150 from day 90; the mission exists on days [0, 365)."""
    return Schedule({START: 100, date(2025, 4, 1): 150}, START, (0.0, 365.0))


def test_schedule_steps_and_active_window() -> None:
    """The last step on or before a day is in force; zero outside the active window."""
    s = schedule()
    assert s.at(0) == 100 and s.at(89) == 100 and s.at(90) == 150
    assert s.at(365) == 0 and s.at(400) == 0
    assert s.at(-30) == 100  # a warm-up reads day 0


def test_schedule_value_before_the_first_step_is_zero() -> None:
    """Before any step the value is 0, even inside the active window."""
    s = Schedule({date(2025, 2, 1): 10}, START, (0.0, 365.0))
    assert s.at(10) == 0 and s.at(31) == 10


def test_schedule_change_days_and_next_day_above() -> None:
    """Changes on the step and the end; the first day above 120 is day 90."""
    s = schedule()
    assert s.change_days(1000) == [90.0, 365.0]
    assert s.next_day_above(0, 120, 1000) == 90.0
    assert s.next_day_above(0, 200, 1000) is None


# --- SkillCounts -----------------------------------------------------------------------------


def test_skill_counts_keep_a_running_total() -> None:
    """Adding and removing by skill keeps the total equal to the sum of the parts."""
    counts = SkillCounts(3)
    counts.add(0, 4)
    counts.add(2)
    counts.add(0, -1)
    assert counts.by_skill == [3, 0, 1] and counts.total == 4
    np.testing.assert_array_equal(counts.array(), [3.0, 0.0, 1.0])


# --- MissionState post arithmetic ------------------------------------------------------------


def mission() -> MissionState:
    """A mission with 10 individual posts, skills [investigation] and 2 coded posts."""
    spec = Mission(name="M", start=date(2020, 1, 1), ipo_posts={date(2020, 1, 1): 10},
                   specialist_posts={"investigation": 2})
    return MissionState(0, spec, START, ["investigation"], 365.0)


def test_open_posts_count_serving_not_due_out_and_travelling() -> None:
    """10 posts, 6 serving of whom 2 due out, 1 travelling: 10 − (4 + 1) = 5 open."""
    m = mission()
    m.serving_ipo.add(0, 6)
    m.due_out.add(0, 2)
    m.travelling.add(0, 1)
    assert m.staying() == 4
    assert m.open_posts(0) == 5
    assert m.empty_posts(0) == 4
    assert m.has_post_for_arrival(0)


def test_uncovered_posts_discount_travellers_meant_for_a_rotation() -> None:
    """2 travelling, 1 of them claimed for a rotation: of 4 empty posts, 3 are uncovered."""
    m = mission()
    m.serving_ipo.add(0, 6)
    m.travelling.add(0, 2)
    m.claims = 1
    assert m.empty_posts_uncovered(0) == 10 - 6 - (2 - 1)


def test_no_post_for_an_arrival_when_everyone_staying_fills_the_posts() -> None:
    """10 serving, none due out: an arrival finds no post; the excess over a cut to 7 is 3."""
    m = mission()
    m.serving_ipo.add(0, 10)
    assert not m.has_post_for_arrival(0)
    assert m.open_posts(0) == 0
    assert m.excess_officers(7) == 3


def test_committed_by_skill_discounts_the_pipeline_by_overbooking() -> None:
    """3 nominees at overbooking 1.5 count as 2 against the posts of their skill."""
    m = mission()
    m.serving_ipo.add(1, 1)
    m.pipeline.add(1, 3)
    m.waiting.add(0, 2)
    np.testing.assert_allclose(m.committed_by_skill(1.5), [2.0, 1.0 + 2.0])


def test_claim_due_takes_the_earliest_unclaimed_officer() -> None:
    """The first officer due out is claimed once; a second claim takes the next one."""
    m = mission()
    first, second = (Officer(0, False, 0, 0, 0.0) for _ in range(2))
    for officer, end in ((first, 50.0), (second, 60.0)):
        officer.due_out, officer.tour_end = True, end
        m.due_queue.append(officer)
    assert m.claim_due() is first and first.claimed and m.claims == 1
    assert m.claim_due() is second
    assert m.claim_due() is None


def test_counts_in_maps_states_to_the_missions_counters() -> None:
    """Nominees and assessees share the pipeline count; returned officers have none."""
    m = mission()
    assert m.counts_in(State.NOMINATED) is m.pipeline is m.counts_in(State.ASSESSING)
    assert m.counts_in(State.SERVING) is m.serving_ipo
    assert m.counts_in(State.RETURNED) is None and m.counts_in(State.STANDBY) is None


# --- ContributorState ------------------------------------------------------------------------


def contributor(**changes: object) -> ContributorState:
    """1,000 eligible officers (10,000 × 0.1), 30% women, 10% investigators, ceiling 50."""
    fields: dict[str, object] = {"ceiling": 50, **changes}
    spec = Contributor(name="C", police_strength=10_000, women_share=0.3, eligible_share=0.1,
                       skills={"investigation": 0.1}, fpu_capacity=2,
                       **fields)  # type: ignore[arg-type]
    return ContributorState(0, spec, ["investigation"], 0.0, 365.0)


def test_pool_splits_by_gender_and_skill() -> None:
    """Pool = floor(eligible × gender share × skill share)."""
    np.testing.assert_array_equal(contributor().pool(0, NO_POLICIES),
                                  [[630.0, 70.0], [270.0, 30.0]])


def test_pool_women_steps_change_the_pool_from_their_day_on() -> None:
    """30 % women to day 99, 50 % from day 100: pool 450/50 women after the step, same total."""
    spec = Contributor(name="C", police_strength=10_000, women_share=0.3, eligible_share=0.1,
                       skills={"investigation": 0.1})
    c = ContributorState(0, spec, ["investigation"], 0.0, 365.0, [(100.0, 0.5)])
    np.testing.assert_array_equal(c.pool(99, NO_POLICIES), [[630.0, 70.0], [270.0, 30.0]])
    assert c.pool_women_share(99) == pytest.approx(0.3)
    c.send(1, 0, 20)
    np.testing.assert_array_equal(c.pool(100, NO_POLICIES), [[450.0, 50.0], [450.0, 50.0]])
    assert c.available(100, NO_POLICIES)[1, 0] == 430   # those abroad stay counted
    assert c.pool_women_share(400) == pytest.approx(0.5)


def test_pool_women_steps_reach_the_availability_built_before_the_step() -> None:
    """Availability read on day 99 (30 % women) is rebuilt on day 100: 500 women, 20 abroad."""
    spec = Contributor(name="C", police_strength=10_000, women_share=0.3, eligible_share=0.1,
                       skills={"investigation": 0.1})
    c = ContributorState(0, spec, ["investigation"], 0.0, 365.0, [(100.0, 0.5)])
    c.send(1, 0, 20)
    assert c.supply_by_gender(99, NO_POLICIES) == (700.0, 280.0)
    assert c.supply_by_gender(100, NO_POLICIES) == (500.0, 480.0)
    assert c.available(100, NO_POLICIES)[1, 0] == 430


def test_pool_women_steps_are_read_from_the_scenario_dates() -> None:
    """A step on 2010-01-01 in a run starting 2009-01-01 is day 365; the steps are date-sorted."""
    from sim.model.replication import women_steps

    spec = Contributor(name="C", police_strength=100, women_share=0.1,
                       pool_women_steps={date(2011, 1, 1): 0.3, date(2010, 1, 1): 0.2})
    assert women_steps(date(2009, 1, 1), spec) == [(365.0, 0.2), (730.0, 0.3)]


def test_training_multiplies_the_skill_share() -> None:
    """Specialist training × 2 doubles the investigators in the pool."""
    book = PolicyBook([TimedLever(0.0, SpecialistTraining(lever="specialist_training",
                                                          share_multiplier=2.0))])
    assert contributor().pool(0, book)[1, 1] == 60.0


def test_available_subtracts_abroad_and_cooling_and_releases_after_cool_down() -> None:
    """Two sent and returned with a 30-day cool-down are unavailable until day 40."""
    c = contributor()
    c.send(1, 1, 2)
    assert c.available(0, NO_POLICIES)[1, 1] == 28
    c.come_home(10.0, 1, 1, 2, 30.0)
    assert c.available(39, NO_POLICIES)[1, 1] == 28
    assert c.available(40, NO_POLICIES)[1, 1] == 30
    assert c.cooling.sum() == 0


def test_headroom_is_the_ceiling_less_everyone_abroad() -> None:
    """A ceiling of 50 with 45 abroad leaves 5; never negative; no ceiling means plenty."""
    c = contributor()
    c.send(0, 0, 45)
    assert c.headroom() == 5
    c.send(0, 0, 10)
    assert c.headroom() == 0
    assert contributor(ceiling=None).headroom() >= 10**6


def test_free_units_count_capacity_plus_reimbursement_less_units_in_use() -> None:
    """Capacity 2 + 1 extra from reimbursement − 2 in use = 1; never negative."""
    book = PolicyBook([TimedLever(0.0, Reimbursement(lever="reimbursement",
                                                     extra_fpu_capacity=1))])
    c = contributor()
    c.units_in_use = 2
    assert c.free_units(0, book) == 1
    assert c.free_units(0, NO_POLICIES) == 0
    c.units_in_use = 5
    assert c.free_units(0, NO_POLICIES) == 0


def test_contributor_takes_part_between_join_and_leave() -> None:
    """Active on [join, leave)."""
    c = contributor()
    assert c.active(0) and c.active(364.9) and not c.active(365) and not c.active(-1)


# --- AssessmentCentre ------------------------------------------------------------------------


def centre(teams: int, per_team_month: float = MONTH_DAYS) -> tuple[ModelEnvironment,
                                                                      AssessmentCentre,
                                                                      list[tuple[float, int]]]:
    """An assessment centre whose completions are logged as (day, officer's contributor)."""
    env = ModelEnvironment()
    done: list[tuple[float, int]] = []
    c = AssessmentCentre(env, lambda _day: teams, per_team_month,
                         lambda officer: done.append((env.now, officer.contributor)))
    return env, c, done


def test_assessment_serves_at_most_teams_at_once_in_fifo_order() -> None:
    """Two teams at one day per candidate: candidates 0–4 finish on days 1, 1, 2, 2, 3."""
    env, c, done = centre(teams=2)
    for i in range(5):
        c.submit(Officer(i, False, 0, 0, 0.0))
    assert c.busy == 2 and len(c.queue) == 3
    env.run()
    assert done == [(1.0, 0), (1.0, 1), (2.0, 2), (2.0, 3), (3.0, 4)]


def test_assessment_without_teams_holds_everyone() -> None:
    """No teams: nobody is assessed, the queue keeps its order."""
    env, c, done = centre(teams=0)
    for i in range(3):
        c.submit(Officer(i, False, 0, 0, 0.0))
    env.run()
    assert done == [] and [o.contributor for o in c.queue] == [0, 1, 2]


# --- Streams ---------------------------------------------------------------------------------


def test_same_name_and_entity_give_the_same_draws() -> None:
    """Two registries of one replication seed draw identically for the same (name, entity)."""
    a, b = Streams(replication_seed(5, 0)), Streams(replication_seed(5, 0))
    b.get("other.process").random(10)  # using another stream first shifts nothing
    np.testing.assert_array_equal(a.get("travel.delay", "X").random(5),
                                  b.get("travel.delay", "X").random(5))


def test_the_registry_returns_one_generator_per_name_and_entity() -> None:
    """Asking again continues the same stream rather than restarting it."""
    s = Streams(replication_seed(5, 0))
    assert s.get("a", "x") is s.get("a", "x")


@pytest.mark.parametrize(("first", "second"), [
    (("travel.delay", "X"), ("travel.delay", "Y")),
    (("travel.delay", "X"), ("nomination.delay", "X")),
])
def test_different_name_or_entity_give_independent_draws(
        first: tuple[str, str], second: tuple[str, str]) -> None:
    """Different streams differ, and their uniforms are uncorrelated (|r| < 0.05 over 10⁴)."""
    s = Streams(replication_seed(5, 0))
    x, y = s.get(*first).random(10_000), s.get(*second).random(10_000)
    assert not np.array_equal(x[:10], y[:10])
    assert abs(np.corrcoef(x, y)[0, 1]) < 0.05  # sd of r is 0.01 under independence


def test_replications_get_different_streams() -> None:
    """Replication 0 and 1 of one root seed draw differently from the same stream."""
    a = Streams(replication_seed(5, 0)).get("n").random(5)
    b = Streams(replication_seed(5, 1)).get("n").random(5)
    assert not np.array_equal(a, b)
