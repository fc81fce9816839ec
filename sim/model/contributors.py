"""Member states at run time: their pools of eligible officers, who is abroad, who is resting.

A contributor's *pool* is its eligible officers (national strength × eligible share), split by
gender (the pool's women's share, which may step up or down on given days) and skill (the skill
shares, raised by specialist training).
Officers nominated, assessed, travelling or serving are *abroad*; after they return they *cool
down* for the pipeline's cool-down period before they can be nominated again. Availability is
pool − abroad − cooling, by gender and skill; the ceiling caps everyone abroad at once.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Sequence
from typing import Final

import numpy as np

from sim.model.policies import PolicyBook
from sim.scenario.schema import Contributor

NO_CEILING: Final = 10**9
"""Headroom of a contributor without a ceiling: more than any call could ask for."""


class ContributorState:
    """A contributor's pools and counters during one replication.

    Args:
        index: position in the model's contributor list.
        spec: the validated contributor.
        skills: the scenario's specialist skills, in order (skill index = position + 1).
        join_day, leave_day: days it takes part (inclusive start, exclusive end).
        women_steps: later women's shares of the pool as ``(day, share)`` in day order
            (``spec.pool_women_steps`` in simulation days); each holds from its day on.
    """

    def __init__(
        self, index: int, spec: Contributor, skills: list[str], join_day: float, leave_day: float,
        women_steps: Sequence[tuple[float, float]] = (),
    ) -> None:
        self.index = index
        self.spec = spec
        self.name = spec.name
        self.join_day = join_day
        self.leave_day = leave_day
        pool = spec.police_strength * spec.eligible_share
        women = spec.women_share if spec.pool_women_share is None else spec.pool_women_share
        self.pool_by_gender = np.array([pool * (1 - women), pool * women])
        self._women_steps = sorted(women_steps)
        # day of the next step of the pool's women's share not yet applied (inf: none left)
        self._next_women_day = self._women_steps[0][0] if self._women_steps else math.inf
        self.base_shares = np.array([spec.skills.get(s, 0.0) for s in skills])
        self.skills = skills
        k = len(skills) + 1
        # officers abroad and cooling down by [gender][skill]; the availability pool − both
        # (never negative) and its sums are kept up to date as they change, in Python numbers:
        # every call asks every contributor, far more often than the counts change
        self._abroad = [[0] * k for _ in range(2)]
        self._cooling = [[0] * k for _ in range(2)]
        self.abroad_total = 0  # everyone abroad (asked on every call)
        # (back on day, woman, skill, officers) in order of the day: officers come home in time
        # order with one cool-down, so a new entry nearly always goes last (a deque, not a heap)
        self._resting: deque[tuple[float, int, int, int]] = deque()
        self._pools: dict[int, np.ndarray] = {}
        self._epoch = -1  # the training epoch of _pool (-1: not built yet)
        self._pool: list[list[float]] = []
        self._free: list[list[float]] = []  # available by [gender][skill], whole numbers
        self._by_gender = [0.0, 0.0]  # sums of _free (exact: whole numbers)
        self._by_skill = [0.0] * k
        self._array: np.ndarray | None = None  # _free as an array, until the next change
        self.units_in_use = 0
        # unit posts it holds (a unit serving, or one on its way to a post not already its own);
        # checked against spec.fpu_max_deployed (sim.model.units)
        self.slots_held = 0
        self.languages = frozenset(spec.languages)
        self.missions = None if spec.missions is None else frozenset(spec.missions)

    def active(self, day: float) -> bool:
        """Whether the contributor takes part on ``day``."""
        return self.join_day <= day < self.leave_day

    def serves(self, mission: str) -> bool:
        """Whether it sends officers and units to ``mission`` (any, unless ``missions`` is set)."""
        return self.missions is None or mission in self.missions

    def skill_shares(self, day: float, policies: PolicyBook) -> np.ndarray:
        """Shares of the pool by skill index (general first) on ``day``, after training."""
        shares = self.base_shares.copy()
        for i, skill in enumerate(self.skills):
            shares[i] *= policies.skill_share_multiplier(day, skill)
        total = shares.sum()
        if total > 1:
            shares /= total
        return np.concatenate(([1.0 - shares.sum()], shares))

    @property
    def abroad(self) -> np.ndarray:
        """Officers abroad (nominated through serving), shape (gender, skill)."""
        return np.array(self._abroad, dtype=np.int64)

    @property
    def cooling(self) -> np.ndarray:
        """Officers at home cooling down, shape (gender, skill)."""
        return np.array(self._cooling, dtype=np.int64)

    def _release(self, day: float) -> None:
        """Move officers whose cool-down ended back into the pool."""
        resting = self._resting
        while resting and resting[0][0] <= day:
            _, woman, skill, n = resting.popleft()
            self._cooling[woman][skill] -= n
            self._recount(woman, skill)

    def _rest_until(self, until: float, woman: int, skill: int, n: int) -> None:
        """Queue ``n`` resting officers by the day they are back (ties: in order of arrival).

        The pool's counts after a release do not depend on the order within a day (whole
        numbers: every sum is exact), so first come, first released among equal days.
        """
        resting = self._resting
        entry = (until, woman, skill, n)
        if not resting or resting[-1][0] <= until:
            resting.append(entry)
        else:  # a seeded start's rest, or a shorter cool-down than those before it
            resting.insert(bisect.bisect_right(resting, until, key=_back_on), entry)

    def _recount(self, woman: int, skill: int) -> None:
        """Bring the availability of (woman, skill) and its sums up to date after a change."""
        if self._epoch < 0:
            return  # nothing built yet: the first :meth:`_refresh` counts everything
        free = max(self._pool[woman][skill] - (self._abroad[woman][skill]
                                               + self._cooling[woman][skill]), 0.0)
        change = free - self._free[woman][skill]
        if change:
            self._free[woman][skill] = free
            self._by_gender[woman] += change
            self._by_skill[skill] += change
            self._array = None

    def _refresh(self, day: float, policies: PolicyBook) -> None:
        """Release cool-downs ended by ``day``; rebuild the availability if the pool changed.

        The pool changes with training (a new epoch) and with a step of its women's share
        (``pool_women_steps``) that is due by ``day``.
        """
        if self._resting and self._resting[0][0] <= day:
            self._release(day)
        epoch = policies.training_epoch(day) if policies.trains else 0
        if epoch != self._epoch or self._next_women_day <= day:
            self._pool = self.pool(day, policies).tolist()
            self._epoch = epoch
            self._free = [[max(p - (a + c), 0.0) for p, a, c in zip(pool, abroad, cooling,
                                                                     strict=True)]
                          for pool, abroad, cooling in zip(self._pool, self._abroad,
                                                           self._cooling, strict=True)]
            self._by_gender = [float(sum(row)) for row in self._free]
            self._by_skill = [men + women for men, women in zip(*self._free, strict=True)]
            self._array = None

    def _step_women(self, day: float) -> None:
        """Apply the steps of the pool's women's share due by ``day`` (then recompute pools)."""
        pool = self.pool_by_gender.sum()
        while self._women_steps and self._women_steps[0][0] <= day:
            _, women = self._women_steps.pop(0)
            self.pool_by_gender = np.array([pool * (1 - women), pool * women])
        self._next_women_day = self._women_steps[0][0] if self._women_steps else math.inf
        self._pools.clear()

    def pool_women_share(self, day: float) -> float:
        """Women's share of the eligible pool on ``day`` (0 for an empty pool)."""
        if self._next_women_day <= day:
            self._step_women(day)
        total = self.pool_by_gender.sum()
        return float(self.pool_by_gender[1] / total) if total > 0 else 0.0

    def pool(self, day: float, policies: PolicyBook) -> np.ndarray:
        """Eligible officers by (gender, skill) on ``day`` (cached until a change of either)."""
        if self._next_women_day <= day:
            self._step_women(day)
        epoch = policies.training_epoch(day)
        pool = self._pools.get(epoch)
        if pool is None:
            pool = np.floor(np.outer(self.pool_by_gender, self.skill_shares(day, policies)))
            self._pools[epoch] = pool
        return pool

    def available(self, day: float, policies: PolicyBook) -> np.ndarray:
        """Officers available for nomination on ``day``, shape (gender, skill), never negative.

        The array is shared until the next change: read it, do not modify it.
        """
        self._refresh(day, policies)
        if self._array is None:
            self._array = np.array(self._free)
        return self._array

    def available_by_skill(self, day: float, policies: PolicyBook, woman: int) -> list[float]:
        """Officers of one gender (1 women, 0 men) available on ``day`` by skill (whole numbers).

        The row of :meth:`available` as a list, without building an array: shared until the next
        change, so read it, do not modify it.
        """
        self._refresh(day, policies)
        return self._free[woman]

    def supply(self, day: float, policies: PolicyBook, skill: int | None) -> float:
        """Officers available for nomination on ``day``: with ``skill``, or any (a whole number)."""
        self._refresh(day, policies)
        if skill is None:
            return self._by_gender[0] + self._by_gender[1]
        return self._by_skill[skill]

    def supply_by_gender(self, day: float, policies: PolicyBook,
                         skill: int | None = None) -> tuple[float, float]:
        """Officers available for nomination on ``day``, (men, women): with ``skill``, or any."""
        self._refresh(day, policies)
        if skill is None:
            return self._by_gender[0], self._by_gender[1]
        return self._free[0][skill], self._free[1][skill]

    def headroom(self) -> int:
        """Officers it may still send abroad under its ceiling (large when it has none)."""
        if self.spec.ceiling is None:
            return NO_CEILING
        return max(self.spec.ceiling - self.abroad_total, 0)

    def send(self, woman: int, skill: int, n: int = 1) -> None:
        """Count ``n`` officers as abroad (nominated through serving)."""
        self._abroad[woman][skill] += n
        self.abroad_total += n
        self._recount(woman, skill)

    def come_home(self, day: float, woman: int, skill: int, n: int, cool_down: float) -> None:
        """Officers return: no longer abroad, resting for ``cool_down`` days."""
        self._abroad[woman][skill] -= n
        self.abroad_total -= n
        if cool_down > 0:
            self._cooling[woman][skill] += n
            self._rest_until(day + cool_down, woman, skill, n)
        self._recount(woman, skill)

    def rest(self, until: float, woman: int, skill: int, n: int) -> None:
        """Count ``n`` officers at home as cooling down until day ``until`` (a seeded start)."""
        if n > 0:
            self._cooling[woman][skill] += n
            self._rest_until(until, woman, skill, n)
            self._recount(woman, skill)

    def propensity(self, day: float, hardship: float, sensitivity: float,
                   policies: PolicyBook) -> float:
        """Probability it answers a requested nomination for a mission of ``hardship``."""
        p = self.spec.ipo_propensity * policies.propensity_multiplier(day, self.spec.women_share)
        return min(max(p * (1.0 - sensitivity * hardship), 0.0), 1.0)

    def may_take_post(self) -> bool:
        """Whether it may take one more unit post (below ``fpu_max_deployed``, if set)."""
        cap = self.spec.fpu_max_deployed
        return cap is None or self.slots_held < cap

    def free_units(self, day: float, policies: PolicyBook) -> int:
        """Formed units it can still field on ``day``."""
        return max(self.spec.fpu_capacity + policies.extra_fpu_capacity(day) - self.units_in_use, 0)


def _back_on(entry: tuple[float, int, int, int]) -> float:
    """The day a resting entry's officers are back in the pool."""
    return entry[0]
