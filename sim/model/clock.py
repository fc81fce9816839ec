"""The model's clock: SimPy's environment with a plain ``now``, and alarms without a process.

:class:`ModelEnvironment` is :class:`simpy.Environment` whose current day ``now`` is a plain
attribute, set as each event is taken off the queue, instead of a property: the model reads the
day several times per event, and a property is a Python function call each time.

Most of the model's events are timers: an assessment, a journey or a tour ends and one function
runs. ``env.timeout(delay).callbacks.append(callback)`` does that through SimPy's
:class:`simpy.events.Timeout`, whose construction runs two Python functions per event;
:meth:`ModelEnvironment.after` puts an :class:`Alarm` on the same event queue in the same place
(same time, priority and event number, so events run in the same order and every table is the
same) with none, which matters when the model is compiled (:mod:`sim.model.native`).

Both rely on SimPy 4's environment (its event queue of ``(time, priority, event id, event)``
and its ``step``): ``tests/test_clock.py`` checks that an alarm lands where a timeout would and
that the environment runs a model as SimPy's does.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from itertools import count
from typing import Any, Final

import simpy
from simpy.core import EmptySchedule, StopSimulation

NORMAL: Final = 1
"""SimPy's priority of an ordinary event (``simpy.events.NORMAL``): what a timeout gets."""
PUSH: Final = heapq.heappush
POP: Final = heapq.heappop
"""The queue's operations, as constants (compiled: no lookup by name on every event)."""


class Alarm:
    """A timer on the event queue that calls one function (a timeout nobody else waits for).

    Only :meth:`ModelEnvironment.step` fires it: it calls ``callback(alarm)`` at once, where a
    SimPy event would go through its list of callbacks and its outcome.
    """

    __slots__ = ("callback",)

    def __init__(self, callback: Callable[[Any], None]) -> None:
        self.callback = callback


class ModelEnvironment(simpy.Environment):
    """:class:`simpy.Environment` with ``now`` an attribute, kept equal to SimPy's ``_now``.

    Args:
        initial_time: the day the clock starts at.
    """

    now: float = 0.0  # SimPy's read-only property, made a plain attribute
    # SimPy's own state, declared so that compiled code reads it without a lookup by name
    _now: float
    _queue: list[Any]  # of (time, priority, event number, SimPy event or alarm)
    _eid: count[int]

    def __init__(self, initial_time: float = 0.0) -> None:
        super().__init__(float(initial_time))
        self.now = self._now

    def after(self, delay: float, callback: Callable[[Any], None]) -> Alarm:
        """Call ``callback(alarm)`` ``delay`` days from now, as ``self.timeout(delay)`` would.

        Raises:
            ValueError: for a negative delay (as SimPy does).
        """
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        alarm = Alarm(callback)
        PUSH(self._queue, (self._now + delay, NORMAL, next(self._eid), alarm))
        return alarm

    def step(self) -> None:
        """Process the next event: :meth:`simpy.Environment.step`, setting ``now`` as well.

        An :class:`Alarm` calls its function; a SimPy event runs as in SimPy.
        """
        try:
            self._now, _, _, event = POP(self._queue)
        except IndexError:
            raise EmptySchedule from None
        self.now = self._now
        if isinstance(event, Alarm):  # most events: one function to call
            event.callback(event)
            return
        callbacks, event.callbacks = event.callbacks, None
        for position, callback in enumerate(callbacks):
            try:
                callback(event)
            except StopSimulation:  # as SimPy: the rest run when the simulation resumes
                event.callbacks = callbacks[position + 1:]
                self.schedule(event, simpy.events.EventPriority(-1))
                raise
        if not event._ok and not hasattr(event, "_defused"):
            # the event failed and nobody defused it: crash, as SimPy does
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc
