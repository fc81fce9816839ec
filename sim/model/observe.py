"""Record, then measure: counters the model updates, monthly snapshots, and the output tables.

The model tells the :class:`Observer` what happens (officers generated and moved between states,
arrivals and departures, flows such as nominations); at each month's start the observer copies
its counters into a snapshot. :meth:`Observer.tables` turns the snapshots into the tidy tables
of ``docs/outputs.md``; derived outcomes are pure functions in :mod:`sim.model.metrics`.
Memory is bounded: a snapshot is a few small arrays per month, never a list of events.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from sim.model import metrics
from sim.model.personnel import CATEGORY_NAMES, STATE_NAMES, Category, State

FLOWS = (
    "nominations", "nominations_women", "assessed", "passed", "arrivals", "arrivals_women",
    "rotations", "repatriations", "drawdowns", "roster_expired", "deploy_days", "deploy_count",
)
"""Flow counters reset every month; ``deploy_days``/``deploy_count`` give the mean wait."""
F = {name: i for i, name in enumerate(FLOWS)}
N_CAT = len(Category)
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
        self.serving_mc = [[[0] * N_CAT for _ in range(contributors)] for _ in range(m)]
        self.serving_c = [[[0, 0] for _ in range(N_CAT)] for _ in range(contributors)]
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
        self.serving_mc[mission][contributor][category] += sign * (women + men)
        by_contributor = self.serving_c[contributor][category]
        by_contributor[1] += sign * women
        by_contributor[0] += sign * men

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
        self.snap_serving[k] = self.serving
        self.snap_census[k] = self.census
        self.snap_generated[k] = self.generated
        self.snap_mc[k] = self.serving_mc
        self.snap_c[k] = self.serving_c
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

    # --- tables ----------------------------------------------------------------------------------

    def tables(self, cost_rates: tuple[float, float, float],
               target_points: list[metrics.TargetPoint]) -> dict[str, pd.DataFrame]:
        """The tidy tables of ``docs/outputs.md`` (without variant/replication columns)."""
        monthly = self._monthly(np.array(cost_rates))
        skills = self._skills()
        return {
            "monthly": monthly,
            "skills": skills,
            "pipeline": self._pipeline(),
            "contributors": self._contributors(),
            "deploy_times": self._deploy_hist(),
            "targets": metrics.targets_met(monthly, target_points),
            "outcomes": metrics.outcomes(monthly, skills, self._all_deploy_times()),
        }

    def _dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(pd.to_datetime(self.months))

    def _monthly(self, cost_rates: np.ndarray) -> pd.DataFrame:
        n, m = len(self.months), len(self.missions)
        names = [*self.missions, "ALL"]
        cats = [*CATEGORY_NAMES, "all"]
        # arrays shaped (month, mission+ALL, category+all)
        dep = self.snap_serving.sum(axis=4)  # (n, m, cat, gender)
        deployed = _with_totals(dep.sum(axis=3))
        women = _with_totals(dep[..., 1])
        auth = _with_totals(self.snap_authorized)
        flows = np.stack([_with_totals(self.snap_flows[..., i]) for i in range(len(FLOWS))], -1)
        gap = np.zeros((n, m + 1, N_CAT + 1))
        gap[:, :m, Category.FPU] = self.snap_gap
        gap[:, m, Category.FPU] = self.snap_gap.sum(axis=1)
        gap[:, :, N_CAT] = gap[:, :, Category.FPU]
        due = np.zeros((n, m + 1, N_CAT + 1))
        due[:, :m, Category.IPO] = self.snap_due
        due[:, m, Category.IPO] = self.snap_due.sum(axis=1)
        due[:, :, N_CAT] = due[:, :, Category.IPO]
        target = np.full((n, m + 1, N_CAT + 1), np.nan)
        target[:, :m, :N_CAT] = self.snap_targets
        for c in range(N_CAT + 1):  # authorized-weighted mean of the targets in force
            for mi in range(m + 1):
                if mi == m or c == N_CAT:
                    mis = slice(0, m) if mi == m else slice(mi, mi + 1)
                    cs = slice(0, N_CAT) if c == N_CAT else slice(c, c + 1)
                    t = self.snap_targets[:, mis, cs].reshape(n, -1)
                    w = self.snap_authorized[:, mis, cs].reshape(n, -1)
                    ok = ~np.isnan(t) & (w > 0)
                    wsum = np.where(ok, w, 0).sum(axis=1)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        target[:, mi, c] = np.where(ok, t * w, 0).sum(axis=1) / wsum
        contributors, hhi = self._concentration()
        rates = np.append(cost_rates, 0.0)
        officer_months = deployed.astype(float)
        cost = officer_months * rates[None, None, :N_CAT + 1]
        cost[:, :, N_CAT] = cost[:, :, :N_CAT].sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            vacancies = np.maximum(auth - deployed, 0)
            data = {
                "authorized": auth,
                "deployed": deployed,
                "deployed_women": women,
                "vacancies": vacancies,
                "vacancy_rate": np.where(auth > 0, vacancies / auth, np.nan),
                "women_share": np.where(deployed > 0, women / deployed, np.nan),
                "women_target": target,
                "rotating_out": due,
                **{f: flows[..., F[f]] for f in FLOWS[:10]},
                "pass_rate": np.where(flows[..., F["assessed"]] > 0,
                                      flows[..., F["passed"]] / flows[..., F["assessed"]], np.nan),
                "time_to_deploy_days": np.where(
                    flows[..., F["deploy_count"]] > 0,
                    flows[..., F["deploy_days"]] / flows[..., F["deploy_count"]], np.nan),
                "unit_gap_days": gap,
                "officer_months": officer_months,
                "cost": cost,
                "contributors": contributors,
                "hhi": hhi,
            }
        index = pd.MultiIndex.from_product(
            [range(n), names, cats], names=["month", "mission", "category"]
        ).to_frame(index=False)
        index.insert(1, "date", np.repeat(self._dates(), (m + 1) * (N_CAT + 1)))
        for name, values in data.items():
            index[name] = np.asarray(values, dtype=float).reshape(-1)
        ints = ["authorized", "deployed", "deployed_women", "vacancies", "rotating_out",
                *FLOWS[:10], "contributors"]
        for name in ints:
            index[name] = index[name].round().astype(np.int64)
        return index

    def _concentration(self) -> tuple[np.ndarray, np.ndarray]:
        """Contributors with anyone deployed and HHI, per (month, mission+ALL, category+all)."""
        member = self._member_mask()
        per = self.snap_mc[:, :, member, :].astype(float)  # (n, m, c, cat)
        per = np.concatenate([per, per.sum(axis=1, keepdims=True)], axis=1)
        per = np.concatenate([per, per.sum(axis=3, keepdims=True)], axis=3)
        size = per.sum(axis=2)  # (n, m+1, cat+1)
        counts = (per > 0).sum(axis=2).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = per / size[:, :, None, :]
            hhi = np.where(size > 0, (share**2).sum(axis=2), np.nan)
        return counts, hhi

    def _member_mask(self) -> np.ndarray:
        """Contributor columns that are member states (not the UN's standing capacity)."""
        mask = np.zeros(len(self.serving_mc[0]), dtype=bool)  # unnamed slots stay out
        for i, name in enumerate(self.contributor_names):
            mask[i] = not name.startswith("UN standing capacity")
        return mask

    def _skills(self) -> pd.DataFrame:
        n, m = len(self.months), len(self.missions)
        spec = self.snap_serving[:, :, [Category.IPO, Category.SPT], :, 1:].sum(axis=(2, 3))
        posts = self.snap_skill_posts[:, :, 1:]
        spec = np.concatenate([spec, spec.sum(axis=1, keepdims=True)], axis=1)
        posts = np.concatenate([posts, posts.sum(axis=1, keepdims=True)], axis=1)
        frame = pd.MultiIndex.from_product(
            [range(n), [*self.missions, "ALL"], self.skills], names=["month", "mission", "skill"]
        ).to_frame(index=False)
        frame.insert(1, "date", np.repeat(self._dates(), (m + 1) * len(self.skills)))
        frame["posts"] = posts.reshape(-1).round().astype(np.int64)
        frame["deployed"] = spec.reshape(-1).astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["coverage"] = np.where(posts > 0, np.minimum(spec / posts, 1.0),
                                         np.nan).reshape(-1)
        return frame

    def _pipeline(self) -> pd.DataFrame:
        n = len(self.months)
        states = [*STATE_NAMES, "generated"]
        values = np.concatenate([self.snap_census, self.snap_generated[:, :, None]], axis=2)
        frame = pd.MultiIndex.from_product(
            [range(n), list(CATEGORY_NAMES), states], names=["month", "category", "state"]
        ).to_frame(index=False)
        frame.insert(1, "date", np.repeat(self._dates(), N_CAT * len(states)))
        frame["officers"] = values.reshape(-1)
        return frame

    def _contributors(self) -> pd.DataFrame:
        n = len(self.months)
        c = len(self.contributor_names)
        values = self.snap_c[:, :c]  # (n, c, cat, gender)
        frame = pd.MultiIndex.from_product(
            [range(n), self.contributor_names, list(CATEGORY_NAMES)],
            names=["month", "contributor", "category"],
        ).to_frame(index=False)
        frame.insert(1, "date", np.repeat(self._dates(), c * N_CAT))
        frame["deployed"] = values.sum(axis=3).reshape(-1)
        frame["deployed_women"] = values[..., 1].reshape(-1)
        return frame

    def _all_deploy_times(self) -> dict[tuple[str, str], np.ndarray]:
        out: dict[tuple[str, str], np.ndarray] = {}
        for c, cat in enumerate(CATEGORY_NAMES):
            every: list[float] = []
            for mi, name in enumerate(self.missions):
                out[(name, cat)] = np.asarray(self.deploy_times[mi][c])
                every.extend(self.deploy_times[mi][c])
            out[("ALL", cat)] = np.asarray(every)
        for name in [*self.missions, "ALL"]:
            out[(name, "all")] = np.concatenate([out[(name, cat)] for cat in CATEGORY_NAMES])
        return out

    def _deploy_hist(self) -> pd.DataFrame:
        rows = []
        edges = np.arange(HIST_BINS) * HIST_BIN_DAYS
        for (mission, cat), times in self._all_deploy_times().items():
            bins = np.minimum((times // HIST_BIN_DAYS).astype(int), HIST_BINS - 1)
            counts = np.bincount(bins, minlength=HIST_BINS)
            rows.append(pd.DataFrame({"mission": mission, "category": cat,
                                      "bin_start_days": edges, "arrivals": counts}))
        return pd.concat(rows, ignore_index=True)


def _with_totals(values: np.ndarray) -> np.ndarray:
    """Append the ALL mission and the ``all`` category to a (month, mission, category) array."""
    values = np.concatenate([values, values.sum(axis=1, keepdims=True)], axis=1)
    return np.concatenate([values, values.sum(axis=2, keepdims=True)], axis=2)
