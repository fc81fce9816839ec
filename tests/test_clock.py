"""Alarms (sim.model.clock) land on SimPy's queue where timeouts would, and fire in that order."""

from __future__ import annotations

from typing import Any

import pytest
import simpy

from sim.model.clock import Alarm, after


def test_an_alarm_takes_the_place_of_a_timeout_in_the_queue() -> None:
    """Same time, priority and event number as ``env.timeout`` given the same delays in turn."""
    with_timeouts, with_alarms = simpy.Environment(initial_time=2.5), simpy.Environment(
        initial_time=2.5)
    delays = [3.0, 0.0, 1.25, 3.0, 0]
    for delay in delays:
        with_timeouts.timeout(delay)
        after(with_alarms, delay, lambda _e: None)
    expected = [entry[:3] for entry in with_timeouts._queue]
    assert [entry[:3] for entry in with_alarms._queue] == expected
    assert expected[0] == (2.5, 1, 1)  # (now + 0, NORMAL, the second event)


def test_alarms_and_timeouts_fire_in_one_order_with_their_callbacks() -> None:
    """Mixed alarms and timeouts run in time order, ties in order of creation."""
    env = simpy.Environment()
    fired: list[tuple[float, str]] = []

    def note(label: str) -> Any:
        return lambda event: fired.append((env.now, label))

    env.timeout(2.0).callbacks.append(note("timeout at 2"))
    alarm = after(env, 1.0, note("alarm at 1"))
    after(env, 2.0, note("alarm at 2"))
    env.timeout(1.0).callbacks.append(note("timeout at 1"))
    env.run()
    assert fired == [(1.0, "alarm at 1"), (1.0, "timeout at 1"), (2.0, "timeout at 2"),
                     (2.0, "alarm at 2")]
    assert isinstance(alarm, Alarm) and alarm.callbacks is None  # SimPy took its callbacks


def test_a_negative_delay_is_refused_as_by_simpy() -> None:
    """``after`` raises the ValueError ``env.timeout`` raises."""
    env = simpy.Environment()
    with pytest.raises(ValueError, match="Negative delay"):
        env.timeout(-1.0)
    with pytest.raises(ValueError, match="Negative delay"):
        after(env, -1.0, lambda _e: None)
    assert env.peek() == float("inf")
