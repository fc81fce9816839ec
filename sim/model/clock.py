"""The model's clock: SimPy's environment with a plain ``now``, and alarms without a process.

:class:`ModelEnvironment` is :class:`simpy.Environment` with three changes that leave the order
of events, and so every table, as it was (each event is still ordered by its time, priority and
event number, the number counting events in the order they were scheduled):

- its current day ``now`` is a plain attribute, set as each event is taken off the queue,
  instead of a property: the model reads the day several times per event, and a property is a
  Python function call each time;
- its queue holds :class:`Entry` objects that compare by (time, priority, number) themselves
  instead of SimPy's tuples, which compare element by element through Python's generic
  comparison (the heap compares a dozen pairs per event);
- :meth:`ModelEnvironment.after` puts an :class:`Alarm` on the queue, calling one function when
  it is due. Most of the model's events are such timers (an assessment, a journey or a tour
  ends); ``env.timeout(delay).callbacks.append(callback)`` would build SimPy's
  :class:`simpy.events.Timeout`, whose construction runs two Python functions per event.

The gains show when the model is compiled (:mod:`sim.model.native`). The class overrides the
three methods of SimPy 4's environment that touch its queue (``schedule``, ``peek``, ``step``);
``tests/test_clock.py`` checks that it runs processes, timeouts and alarms as SimPy does.
"""

from __future__ import annotations

import heapq
import math
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


class Entry:
    """An event on the queue, ordered as SimPy orders its ``(time, priority, number, event)``.

    Attributes:
        time: the day it is due; priority: SimPy's (0 urgent, 1 normal); number: the order in
            which it was scheduled (unique, so two entries never tie); event: a SimPy event or
            an :class:`Alarm`.
    """

    __slots__ = ("event", "number", "priority", "time")

    def __init__(self, time: float, priority: int, number: int, event: Any) -> None:
        self.time = time
        self.priority = priority
        self.number = number
        self.event = event

    def __lt__(self, other: Entry) -> bool:
        """Earlier first; at the same time, the higher priority; then the first scheduled."""
        if self.time != other.time:
            return self.time < other.time
        if self.priority != other.priority:
            return self.priority < other.priority
        return self.number < other.number


class ModelEnvironment(simpy.Environment):
    """:class:`simpy.Environment` with ``now`` an attribute and a queue of :class:`Entry`.

    Args:
        initial_time: the day the clock starts at.
    """

    now: float = 0.0  # SimPy's read-only property, made a plain attribute
    # SimPy's own state, declared so that compiled code reads it without a lookup by name
    _now: float
    _queue: list[Any]  # of Entry (SimPy's annotation says tuples)
    _eid: count[int]

    def __init__(self, initial_time: float = 0.0) -> None:
        super().__init__(float(initial_time))
        self.now = self._now

    def schedule(self, event: simpy.Event,
                 priority: simpy.events.EventPriority = simpy.events.NORMAL,
                 delay: float = 0) -> None:
        """Schedule ``event`` with ``priority`` after ``delay`` days (as SimPy does)."""
        PUSH(self._queue, Entry(self._now + delay, priority, next(self._eid), event))

    def after(self, delay: float, callback: Callable[[Any], None]) -> Alarm:
        """Call ``callback(alarm)`` ``delay`` days from now, as ``self.timeout(delay)`` would.

        Raises:
            ValueError: for a negative delay (as SimPy does).
        """
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        alarm = Alarm(callback)
        PUSH(self._queue, Entry(self._now + delay, NORMAL, next(self._eid), alarm))
        return alarm

    def peek(self) -> float:
        """The time of the next event (infinity if none is scheduled)."""
        if not self._queue:
            return math.inf
        first: Entry = self._queue[0]
        return first.time

    def step(self) -> None:
        """Process the next event: :meth:`simpy.Environment.step`, setting ``now`` as well.

        An :class:`Alarm` calls its function; a SimPy event runs as in SimPy.
        """
        try:
            entry: Entry = POP(self._queue)
        except IndexError:
            raise EmptySchedule from None
        self._now = self.now = entry.time
        event = entry.event
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
