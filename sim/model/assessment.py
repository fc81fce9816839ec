"""Assessment for mission service: a queue served by a limited number of assessment teams.

Each team assesses ``candidates_per_team_month`` candidates a month, one after another; the
number of teams can change over time (the assessment-capacity lever). Nominees wait in first-in,
first-out order. The centre only times the work; whether a candidate passes is decided by the
caller's ``on_done`` through a pure function.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Final

from sim.model.clock import ModelEnvironment
from sim.model.personnel import Officer

YEAR_DAYS: Final = 365.25
"""Days in a year (on average, leap years included): rates per year become days."""
MONTH_DAYS: Final = YEAR_DAYS / 12
"""Days in a month on average (tours and team periods are stated in months)."""


class AssessmentCentre:
    """Assessment teams working through a queue of nominees.

    Args:
        env: the simulation environment.
        teams: number of teams at work on a given day.
        per_team_month: candidates one team assesses in a month.
        on_done: called with each candidate when their assessment ends.
    """

    def __init__(self, env: ModelEnvironment, teams: Callable[[float], int],
                 per_team_month: float, on_done: Callable[[Officer], None]) -> None:
        self.env = env
        self.teams = teams
        self.service_days = MONTH_DAYS / per_team_month
        self.on_done = on_done
        self.queue: deque[Officer] = deque()
        self.busy = 0

    def submit(self, officer: Officer) -> None:
        """Put a nominee in the queue."""
        self.queue.append(officer)
        self.dispatch()

    def dispatch(self) -> None:
        """Start assessments while a team is free (call again when capacity changes)."""
        if not self.queue:
            return
        free = self.teams(self.env.now) - self.busy
        while free > 0 and self.queue:
            officer = self.queue.popleft()
            self.busy += 1
            free -= 1
            self.env.after(self.service_days, partial(self._finish, officer))

    def _finish(self, officer: Officer, _event: object) -> None:
        self.busy -= 1
        self.on_done(officer)
        self.dispatch()
