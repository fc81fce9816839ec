"""Unit tests of the pure decision functions and the policy book (no SimPy environment)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from sim.model import policies as p
from sim.scenario.levers import LEVERS


def rng(seed: int = 1) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_nominee_women_without_quota_follows_pool_share() -> None:
    """With no quota the women's share of nominees matches the pool's (±0.01 over 200k)."""
    women = sum(p.nominee_women(10, 0.25, 0.0, rng(i)) for i in range(20000))
    assert women / 200000 == pytest.approx(0.25, abs=0.01)


def test_nominee_women_quota_is_met_on_average_not_exceeded() -> None:
    """A 40% quota on a 10% pool gives 40% women on average (±0.01), even one nominee at a time
    (taking the larger of two independent draws would give 46%)."""
    for size in (1, 5):
        draws = [p.nominee_women(size, 0.1, 0.4, rng(i)) for i in range(20000)]
        assert np.mean(draws) / size == pytest.approx(0.4, abs=0.01)


def test_nominee_women_quota_below_pool_share_changes_nothing() -> None:
    """A quota below the pool's share leaves the pool's share (±0.01)."""
    draws = [p.nominee_women(4, 0.5, 0.3, rng(i)) for i in range(20000)]
    assert np.mean(draws) / 4 == pytest.approx(0.5, abs=0.01)


def test_nominee_women_zero_nominees() -> None:
    """No nominees means no women."""
    assert p.nominee_women(0, 0.5, 1.0, rng()) == 0


def test_split_call_conserves_and_respects_zero_weights() -> None:
    """Every requested nomination goes to someone with positive weight."""
    counts = p.split_call(100, np.array([0.0, 1.0, 3.0]), rng())
    assert counts.sum() == 100 and counts[0] == 0


def test_split_call_without_weights_asks_nobody() -> None:
    """All-zero weights give all-zero counts."""
    assert p.split_call(5, np.zeros(3), rng()).sum() == 0


def test_answered_nominations_capped_by_headroom() -> None:
    """A contributor never sends more than its headroom, and nothing with propensity 0."""
    assert p.answered_nominations(50, 1.0, 7, rng()) == 7
    assert p.answered_nominations(50, 0.0, 100, rng()) == 0
    assert p.answered_nominations(5, 1.0, 0, rng()) == 0


def test_pass_probability_language_penalty_and_training() -> None:
    """Lacking the language halves the pass rate at factor 0.5; full training removes it."""
    assert p.pass_probability(0.8, True, 0.5, 0.0) == 0.8
    assert p.pass_probability(0.8, False, 0.5, 0.0) == pytest.approx(0.4)
    assert p.pass_probability(0.8, False, 0.5, 1.0) == pytest.approx(0.8)


def test_select_candidates_fifo_and_women_first() -> None:
    """Longest-waiting first; with priority, women (longest-waiting first) before men."""
    candidates = [(5.0, False), (1.0, False), (3.0, True), (4.0, True)]
    assert p.select_candidates(candidates, 2, women_first=False) == [1, 2]
    assert p.select_candidates(candidates, 3, women_first=True) == [2, 3, 1]
    assert p.select_candidates(candidates, 0, women_first=True) == []


def test_unit_women_minimum() -> None:
    """A unit meets the minimum share (rounded up) and never exceeds its size."""
    assert p.unit_women(140, 0.0, 0.2, rng()) == 28
    assert p.unit_women(10, 1.0, 0.5, rng()) == 10


def test_choose_weighted_none_positive() -> None:
    """No positive weight means nobody is chosen (-1)."""
    assert p.choose_weighted(np.zeros(4), rng()) == -1
    assert p.choose_weighted(np.array([0.0, 0.0, 2.0]), rng()) == 2


def test_policy_book_start_dates_and_mission_scope() -> None:
    """A lever has no effect before its start day, or at missions outside its scope."""
    quota = p.WomenNominationQuota(lever="women_nomination_quota", share=0.3,
                                   start=date(2026, 1, 1), missions=["North"])
    book = p.PolicyBook([p.TimedLever(365.0, quota)])
    assert book.women_quota(364.0, "North") == 0.0
    assert book.women_quota(365.0, "North") == 0.3
    assert book.women_quota(400.0, "South") == 0.0


def test_policy_book_combines_multipliers() -> None:
    """Reimbursement and outreach multiply; outreach only for high-women contributors."""
    book = p.PolicyBook([
        p.TimedLever(0.0, p.Reimbursement(lever="reimbursement", propensity_multiplier=1.2)),
        p.TimedLever(0.0, p.WomenOutreach(lever="women_outreach", min_home_women_share=0.2,
                                          propensity_multiplier=1.5)),
    ])
    assert book.propensity_multiplier(1.0, 0.1) == pytest.approx(1.2)
    assert book.propensity_multiplier(1.0, 0.3) == pytest.approx(1.8)


def test_levers_list_comes_from_the_classes() -> None:
    """The allowed lever names are read off the classes, so they never drift."""
    assert "women_nomination_quota" in LEVERS and "interpol_connectivity" in LEVERS
    assert len(LEVERS) == len(set(LEVERS)) == 20
