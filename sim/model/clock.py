"""Alarms on the SimPy clock: call a function after a delay, without a process.

Most of the model's events are timers: an assessment, a journey or a tour ends and one function
runs. ``env.timeout(delay).callbacks.append(callback)`` does that through SimPy's
:class:`simpy.events.Timeout`, whose construction runs two Python functions per event;
:func:`after` puts an :class:`Alarm` on the same event queue in the same place (same time,
priority and event number, so events run in the same order and every table is the same) with
none, which matters when the model is compiled (:mod:`sim.model.native`).

It relies on SimPy's event queue of ``(time, priority, event id, event)`` (SimPy 4):
``tests/test_clock.py`` checks that an alarm lands where a timeout would.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any, Final

import simpy

NORMAL: Final = 1
"""SimPy's priority of an ordinary event (``simpy.events.NORMAL``): what a timeout gets."""


class Alarm:
    """An event that is only ever waited on by callbacks (a timeout without a value).

    SimPy's ``Environment.step`` reads ``callbacks`` (and sets it to None when it fires) and
    ``_ok``; nothing else looks at it.
    """

    __slots__ = ("_ok", "callbacks")

    def __init__(self, callback: Callable[[Any], None]) -> None:
        self.callbacks: list[Callable[[Any], None]] | None = [callback]
        self._ok = True


def after(env: simpy.Environment, delay: float, callback: Callable[[Any], None]) -> Alarm:
    """Call ``callback(alarm)`` ``delay`` days from now, as ``env.timeout(delay)`` would.

    Raises:
        ValueError: for a negative delay (as SimPy does).
    """
    if delay < 0:
        raise ValueError(f"Negative delay {delay}")
    alarm = Alarm(callback)
    queue: list[Any] = env._queue  # of SimPy events, and alarms
    heappush(queue, (env._now + delay, NORMAL, next(env._eid), alarm))
    return alarm

