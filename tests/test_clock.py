"""The model's clock: alarms land where timeouts would, its environment runs as SimPy's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import simpy

from sim.model.clock import Alarm, ModelEnvironment


def test_an_alarm_takes_the_place_of_a_timeout_in_the_queue() -> None:
    """Same time, priority and event number as ``env.timeout`` given the same delays in turn."""
    with_timeouts, with_alarms = simpy.Environment(2.5), ModelEnvironment(2.5)
    delays = [3.0, 0.0, 1.25, 3.0, 0]
    for delay in delays:
        with_timeouts.timeout(delay)
        with_alarms.after(delay, lambda _e: None)
    expected = [entry[:3] for entry in with_timeouts._queue]
    assert [(e.time, e.priority, e.number) for e in with_alarms._queue] == expected
    assert expected[0] == (2.5, 1, 1)  # (now + 0, NORMAL, the second event)


@pytest.mark.parametrize("seed", range(5))
def test_entries_come_off_the_queue_in_simpys_order(seed: int) -> None:
    """Timeouts with tied times and priorities leave both queues in one order of events."""
    rng = np.random.default_rng(seed)
    delays = rng.integers(0, 4, 200).astype(float)  # many ties, broken by event number
    urgent = rng.random(200) < 0.3
    order: dict[str, list[int]] = {}
    for name, env in (("simpy", simpy.Environment()), ("model", ModelEnvironment())):
        fired = order[name] = []
        for i, (delay, first) in enumerate(zip(delays, urgent, strict=True)):
            event = env.event()
            event._ok, event._value = True, None  # triggered, as SimPy's run(until) does
            event.callbacks.append(lambda _e, i=i, fired=fired: fired.append(i))
            env.schedule(event, simpy.events.URGENT if first else simpy.events.NORMAL, delay)
        env.run()
    assert order["model"] == order["simpy"] and len(order["model"]) == 200


def test_alarms_and_timeouts_fire_in_one_order_with_their_callbacks() -> None:
    """Mixed alarms and timeouts run in time order, ties in order of creation."""
    env = ModelEnvironment()
    fired: list[tuple[float, str]] = []

    def note(label: str) -> Callable[[Any], None]:
        return lambda event: fired.append((env.now, label))

    env.timeout(2.0).callbacks.append(note("timeout at 2"))
    alarm = env.after(1.0, note("alarm at 1"))
    env.after(2.0, note("alarm at 2"))
    env.timeout(1.0).callbacks.append(note("timeout at 1"))
    env.run()
    assert fired == [(1.0, "alarm at 1"), (1.0, "timeout at 1"), (2.0, "timeout at 2"),
                     (2.0, "alarm at 2")]
    assert isinstance(alarm, Alarm) and env.peek() == float("inf")


def test_a_negative_delay_is_refused_as_by_simpy() -> None:
    """``after`` raises the ValueError ``env.timeout`` raises, and schedules nothing."""
    env = ModelEnvironment()
    with pytest.raises(ValueError, match="Negative delay"):
        env.timeout(-1.0)
    with pytest.raises(ValueError, match="Negative delay"):
        env.after(-1.0, lambda _e: None)
    assert env.peek() == float("inf")


def _trace(env: simpy.Environment, alarm: Callable[[float, Callable[[Any], None]], Any]
           ) -> list[tuple[float, str]]:
    """Run a little model of processes and a timer (set with ``alarm``) on ``env``."""
    seen: list[tuple[float, str]] = []

    def patrol(name: str, pause: float) -> Any:
        for leg in range(3):
            yield env.timeout(pause)
            seen.append((env.now, f"{name} leg {leg}"))

    env.process(patrol("a", 1.5))
    env.process(patrol("b", 2.0))
    alarm(3.0, lambda _e: seen.append((env.now, "alarm")))
    env.run(until=5.0)  # stops at 5 (SimPy's StopSimulation), before b's last leg, also at 5
    seen.append((env.now, "stopped"))
    env.run()
    seen.append((env.now, "done"))
    return seen


def test_the_model_environment_runs_as_simpys() -> None:
    """Same events at the same times in the same order, ``now`` kept equal to SimPy's."""
    simpys = simpy.Environment(-1.0)
    expected = _trace(simpys, lambda delay, fn: simpys.timeout(delay).callbacks.append(fn))
    model = ModelEnvironment(-1.0)
    assert _trace(model, model.after) == expected
    assert expected[-3:] == [(5.0, "stopped"), (5.0, "b leg 2"), (5.0, "done")]


def test_a_failed_event_crashes_the_model_environment_as_simpys() -> None:
    """An event that fails undefused raises its exception's copy from ``step``."""
    for env in (simpy.Environment(), ModelEnvironment()):
        env.event().fail(KeyError("no such post"))
        with pytest.raises(KeyError, match="no such post"):
            env.run()
