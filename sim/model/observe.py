"""Record, then measure: the counters the model updates and their monthly snapshots.

The model tells the :class:`Observer` what happens (officers generated and moved between states,
arrivals and departures, flows such as nominations); at each month's start the observer copies
its counters into a snapshot. :meth:`Observer.record` hands the snapshots over as a
:class:`Record`, which :func:`sim.model.tables.tabulate` turns into the tidy tables of
``docs/outputs.md`` (recording is here, on the hot path; tabulation is there, with pandas).
Memory is bounded: a snapshot is a few small arrays per month, never a list of events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np

from sim.model.personnel import Category, State

FLOWS = (
    "nominations", "nominations_women", "assessed", "passed", "arrivals", "arrivals_women",
    "rotations", "repatriations", "drawdowns", "roster_expired", "deploy_days", "deploy_count",
)
"""Flow counters reset every month; ``deploy_days``/``deploy_count`` give the mean wait."""
F: Final = {name: i for i, name in enumerate(FLOWS)}
N_CAT: Final = len(Category)
HIST_BIN_DAYS = 15
HIST_BINS = 49  # 0, 15, …, 720 (open-ended last bin)


class Observer:
    """Counters of one replication and their monthly snapshots.

    Args:
        missions: mission names; contributors: capacity for contributor indices (names are
            registered as they join); skills: specialist skill names; months: snapshot dates.
    """

    def __init__(self, missions: list[str], contributors: int, skills: list[str],
                 months: list[date]) -> None:
        self.missions = missions
        self.skills = skills
        self.months = months
        self.contributor_names: list[str] = []
        m, k = len(missions), len(skills) + 1
        # live counters are nested lists: updating one is several times cheaper than a numpy
        # item, and they change on nearly every event; snapshots turn them into arrays
        self.generated = [0] * N_CAT
        self.census = [[0] * len(State) for _ in range(N_CAT)]
        self.serving = [[[[0] * k for _ in range(2)] for _ in range(N_CAT)] for _ in range(m)]
        # by (mission, contributor, category) and (contributor, category, gender), flat (row-
        # major): a flat list becomes an array several times faster than a nested one
        self._contributors = contributors
        self.serving_mc = [0] * (m * contributors * N_CAT)
        self.serving_c = [0] * (contributors * N_CAT * 2)
        self.flows = self._no_flows()
        self.deploy_times: list[list[list[float]]] = [[[] for _ in range(N_CAT)] for _ in range(m)]
        n = len(months)
        self.snap_serving = np.zeros((n, m, N_CAT, 2, k), dtype=np.int64)
        self.snap_flows = np.zeros((n, m, N_CAT, len(FLOWS)))
        self.snap_census = np.zeros((n, N_CAT, len(State)), dtype=np.int64)
        self.snap_generated = np.zeros((n, N_CAT), dtype=np.int64)
        self.snap_mc = np.zeros((n, m, contributors, N_CAT), dtype=np.int64)
        self.snap_c = np.zeros((n, contributors, N_CAT, 2), dtype=np.int64)
        self.snap_due = np.zeros((n, m), dtype=np.int64)
        self.snap_authorized = np.zeros((n, m, N_CAT))
        self.snap_targets = np.full((n, m, N_CAT), np.nan)
        self.snap_skill_posts = np.zeros((n, m, k))
        self.snap_gap = np.zeros((n, m))

    def _no_flows(self) -> list[list[list[float]]]:
        return [[[0.0] * len(FLOWS) for _ in range(N_CAT)] for _ in self.missions]

    # --- what happens ----------------------------------------------------------------------------

    def generate(self, category: int, state: State, n: int = 1) -> None:
        """``n`` new officers enter the model in ``state``."""
        self.generated[category] += n
        self.census[category][state] += n

    def move(self, category: int, old: State, new: State, n: int = 1) -> None:
        """``n`` officers change state."""
        census = self.census[category]
        census[old] -= n
        census[new] += n

    def serve(self, mission: int, category: int, contributor: int, women: int, men: int,
              skill: int, sign: int) -> None:
        """Officers start (``sign`` 1) or stop (-1) serving."""
        serving = self.serving[mission][category]
        serving[1][skill] += sign * women
        serving[0][skill] += sign * men
        self.serving_mc[(mission * self._contributors + contributor) * N_CAT + category] += (
            sign * (women + men))
        at = (contributor * N_CAT + category) * 2
        self.serving_c[at + 1] += sign * women
        self.serving_c[at] += sign * men

    def flow(self, mission: int, category: int, name: str, amount: float = 1.0) -> None:
        """Add to this month's flow counter ``name``."""
        self.flows[mission][category][F[name]] += amount

    def waited(self, mission: int, category: int, days: float, n: int = 1) -> None:
        """``n`` arrivals whose posts waited ``days`` since falling vacant."""
        days = max(days, 0.0)  # timers add up with float error: a just-in-time arrival is 0
        flows = self.flows[mission][category]
        flows[F["deploy_days"]] += days * n
        flows[F["deploy_count"]] += n
        self.deploy_times[mission][category].extend([days] * n)

    def snapshot(self, k: int, due: np.ndarray, authorized: np.ndarray, targets: np.ndarray,
                 skill_posts: np.ndarray, gap: np.ndarray) -> None:
        """Copy the counters at month ``k``'s start; the flows and gaps are of the month before."""
        # flattened first: numpy reads a flat list of ints several times faster than a nested one
        self.snap_serving[k] = np.array(
            [n for per_mission in self.serving for per_category in per_mission
             for per_gender in per_category for n in per_gender],
            dtype=np.int64).reshape(self.snap_serving.shape[1:])
        self.snap_census[k] = self.census
        self.snap_generated[k] = self.generated
        self.snap_mc[k] = np.array(self.serving_mc, dtype=np.int64).reshape(self.snap_mc.shape[1:])
        self.snap_c[k] = np.array(self.serving_c, dtype=np.int64).reshape(self.snap_c.shape[1:])
        self.snap_due[k] = due
        self.snap_authorized[k] = authorized
        self.snap_targets[k] = targets
        self.snap_skill_posts[k] = skill_posts
        if k > 0:
            self.snap_flows[k - 1] = np.array(self.flows)
            self.snap_gap[k - 1] = gap
        else:  # a warm-up's arrivals are not reported
            for per_mission in self.deploy_times:
                for times in per_mission:
                    times.clear()
        self.flows = self._no_flows()

    def close(self, gap: np.ndarray) -> None:
        """Complete the last month's flows and gaps at the horizon (no snapshot follows)."""
        k = len(self.months)
        self.snap_flows[k - 1] = np.array(self.flows)
        self.snap_gap[k - 1] = gap

    def record(self) -> Record:
        """The snapshots taken so far, for :func:`sim.model.tables.tabulate`."""
        return Record(
            missions=tuple(self.missions), skills=tuple(self.skills), months=tuple(self.months),
            contributor_names=tuple(self.contributor_names),
            serving=self.snap_serving, flows=self.snap_flows, census=self.snap_census,
            generated=self.snap_generated, serving_mc=self.snap_mc, serving_c=self.snap_c,
            due=self.snap_due, authorized=self.snap_authorized, targets=self.snap_targets,
            skill_posts=self.snap_skill_posts, gap=self.snap_gap,
            deploy_times=self.deploy_times,
        )


@dataclass(frozen=True)
class Record:
    """What one replication recorded: monthly snapshots (month first) and the arrivals' waits.

    Attributes:
        missions, skills, months, contributor_names: the labels of the axes.
        serving: officers serving, (month, mission, category, gender, skill index).
        flows: the month's flows, (month, mission, category, :data:`FLOWS`).
        census: officers by state, (month, category, state); generated: (month, category).
        serving_mc: serving by (month, mission, contributor, category).
        serving_c: serving by (month, contributor, category, gender).
        due: individual officers due to rotate out, (month, mission).
        authorized: posts, (month, mission, category); targets: women's-share targets, same shape.
        skill_posts: specialist posts, (month, mission, skill index).
        gap: FPU unit-days without a unit in the month, (month, mission).
        deploy_times: days each arrival's post waited, [mission][category].
    """

    missions: tuple[str, ...]
    skills: tuple[str, ...]
    months: tuple[date, ...]
    contributor_names: tuple[str, ...]
    serving: np.ndarray
    flows: np.ndarray
    census: np.ndarray
    generated: np.ndarray
    serving_mc: np.ndarray
    serving_c: np.ndarray
    due: np.ndarray
    authorized: np.ndarray
    targets: np.ndarray
    skill_posts: np.ndarray
    gap: np.ndarray
    deploy_times: list[list[list[float]]]
