"""The output tables: pure functions of one replication's snapshots (a :class:`Record`).

:func:`tabulate` turns what :class:`sim.model.observe.Observer` recorded into the tidy tables of
``docs/outputs.md`` (without variant/replication columns): monthly figures per mission and
category with the ALL mission and ``all`` category as sums, specialist coverage, the census by
state, contributors, the time-to-deploy histogram, targets met and the headline outcomes
(:mod:`sim.model.metrics`). Nothing here touches the simulation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model import metrics
from sim.model.observe import FLOWS, HIST_BIN_DAYS, HIST_BINS, N_CAT, F, Record
from sim.model.personnel import CATEGORY_NAMES, STATE_NAMES, Category
from sim.model.world import STANDING

COUNTED_FLOWS = FLOWS[:FLOWS.index("deploy_days")]
"""The flows reported as monthly counts (the rest only give the mean time to deploy)."""


def tabulate(record: Record, cost_rates: tuple[float, float, float],
             target_points: list[metrics.TargetPoint]) -> dict[str, pd.DataFrame]:
    """The tidy tables of ``docs/outputs.md`` (without variant/replication columns).

    Args:
        record: the snapshots of one replication.
        cost_rates: cost of an officer-month of an IPO, an FPU officer and an SPT officer.
        target_points: every women's-share target point of the scenario.
    """
    monthly = _monthly(record, np.array(cost_rates))
    skills = _skills(record)
    return {
        "monthly": monthly,
        "skills": skills,
        "pipeline": _pipeline(record),
        "contributors": _contributors(record),
        "deploy_times": _deploy_hist(record),
        "targets": metrics.targets_met(monthly, target_points),
        "outcomes": metrics.outcomes(monthly, skills, _all_deploy_times(record)),
    }


def _dates(record: Record) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(list(record.months)))


def _monthly(record: Record, cost_rates: np.ndarray) -> pd.DataFrame:
    n, m = len(record.months), len(record.missions)
    names = [*record.missions, "ALL"]
    cats = [*CATEGORY_NAMES, "all"]
    # arrays shaped (month, mission+ALL, category+all)
    dep = record.serving.sum(axis=4)  # (n, m, cat, gender)
    deployed = _with_totals(dep.sum(axis=3))
    women = _with_totals(dep[..., 1])
    auth = _with_totals(record.authorized)
    flows = np.stack([_with_totals(record.flows[..., i]) for i in range(len(FLOWS))], -1)
    gap = np.zeros((n, m + 1, N_CAT + 1))
    gap[:, :m, Category.FPU] = record.gap
    gap[:, m, Category.FPU] = record.gap.sum(axis=1)
    gap[:, :, N_CAT] = gap[:, :, Category.FPU]
    due = np.zeros((n, m + 1, N_CAT + 1))
    due[:, :m, Category.IPO] = record.due
    due[:, m, Category.IPO] = record.due.sum(axis=1)
    due[:, :, N_CAT] = due[:, :, Category.IPO]
    target = np.full((n, m + 1, N_CAT + 1), np.nan)
    target[:, :m, :N_CAT] = record.targets
    for c in range(N_CAT + 1):  # authorized-weighted mean of the targets in force
        for mi in range(m + 1):
            if mi == m or c == N_CAT:
                mis = slice(0, m) if mi == m else slice(mi, mi + 1)
                cs = slice(0, N_CAT) if c == N_CAT else slice(c, c + 1)
                t = record.targets[:, mis, cs].reshape(n, -1)
                w = record.authorized[:, mis, cs].reshape(n, -1)
                ok = ~np.isnan(t) & (w > 0)
                wsum = np.where(ok, w, 0).sum(axis=1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    target[:, mi, c] = np.where(ok, t * w, 0).sum(axis=1) / wsum
    contributors, hhi = _concentration(record)
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
            **{f: flows[..., F[f]] for f in COUNTED_FLOWS},
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
    index.insert(1, "date", np.repeat(_dates(record), (m + 1) * (N_CAT + 1)))
    for name, values in data.items():
        index[name] = np.asarray(values, dtype=float).reshape(-1)
    ints = ["authorized", "deployed", "deployed_women", "vacancies", "rotating_out",
            *COUNTED_FLOWS, "contributors"]
    for name in ints:
        index[name] = index[name].round().astype(np.int64)
    return index


def _concentration(record: Record) -> tuple[np.ndarray, np.ndarray]:
    """Contributors with anyone deployed and HHI, per (month, mission+ALL, category+all)."""
    member = _member_mask(record)
    per = record.serving_mc[:, :, member, :].astype(float)  # (n, m, c, cat)
    per = np.concatenate([per, per.sum(axis=1, keepdims=True)], axis=1)
    per = np.concatenate([per, per.sum(axis=3, keepdims=True)], axis=3)
    size = per.sum(axis=2)  # (n, m+1, cat+1)
    counts = (per > 0).sum(axis=2).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = per / size[:, :, None, :]
        hhi = np.where(size > 0, (share**2).sum(axis=2), np.nan)
    return counts, hhi


def _member_mask(record: Record) -> np.ndarray:
    """Contributor columns that are member states (not the UN's standing capacity)."""
    mask = np.zeros(record.serving_mc.shape[2], dtype=bool)  # unnamed slots stay out
    for i, name in enumerate(record.contributor_names):
        mask[i] = not name.startswith(STANDING)
    return mask


def _skills(record: Record) -> pd.DataFrame:
    n, m = len(record.months), len(record.missions)
    spec = record.serving[:, :, [Category.IPO, Category.SPT], :, 1:].sum(axis=(2, 3))
    posts = record.skill_posts[:, :, 1:]
    spec = np.concatenate([spec, spec.sum(axis=1, keepdims=True)], axis=1)
    posts = np.concatenate([posts, posts.sum(axis=1, keepdims=True)], axis=1)
    frame = pd.MultiIndex.from_product(
        [range(n), [*record.missions, "ALL"], record.skills], names=["month", "mission", "skill"]
    ).to_frame(index=False)
    frame.insert(1, "date", np.repeat(_dates(record), (m + 1) * len(record.skills)))
    frame["posts"] = posts.reshape(-1).round().astype(np.int64)
    frame["deployed"] = spec.reshape(-1).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["coverage"] = np.where(posts > 0, np.minimum(spec / posts, 1.0),
                                     np.nan).reshape(-1)
    return frame


def _pipeline(record: Record) -> pd.DataFrame:
    n = len(record.months)
    states = [*STATE_NAMES, "generated"]
    values = np.concatenate([record.census, record.generated[:, :, None]], axis=2)
    frame = pd.MultiIndex.from_product(
        [range(n), list(CATEGORY_NAMES), states], names=["month", "category", "state"]
    ).to_frame(index=False)
    frame.insert(1, "date", np.repeat(_dates(record), N_CAT * len(states)))
    frame["officers"] = values.reshape(-1)
    return frame


def _contributors(record: Record) -> pd.DataFrame:
    n = len(record.months)
    c = len(record.contributor_names)
    values = record.serving_c[:, :c]  # (n, c, cat, gender)
    frame = pd.MultiIndex.from_product(
        [range(n), record.contributor_names, list(CATEGORY_NAMES)],
        names=["month", "contributor", "category"],
    ).to_frame(index=False)
    frame.insert(1, "date", np.repeat(_dates(record), c * N_CAT))
    frame["deployed"] = values.sum(axis=3).reshape(-1)
    frame["deployed_women"] = values[..., 1].reshape(-1)
    return frame


def _all_deploy_times(record: Record) -> dict[tuple[str, str], np.ndarray]:
    out: dict[tuple[str, str], np.ndarray] = {}
    for c, cat in enumerate(CATEGORY_NAMES):
        every: list[float] = []
        for mi, name in enumerate(record.missions):
            out[(name, cat)] = np.asarray(record.deploy_times[mi][c])
            every.extend(record.deploy_times[mi][c])
        out[("ALL", cat)] = np.asarray(every)
    for name in [*record.missions, "ALL"]:
        out[(name, "all")] = np.concatenate([out[(name, cat)] for cat in CATEGORY_NAMES])
    return out


def _deploy_hist(record: Record) -> pd.DataFrame:
    rows = []
    edges = np.arange(HIST_BINS) * HIST_BIN_DAYS
    for (mission, cat), times in _all_deploy_times(record).items():
        bins = np.minimum((times // HIST_BIN_DAYS).astype(int), HIST_BINS - 1)
        counts = np.bincount(bins, minlength=HIST_BINS)
        rows.append(pd.DataFrame({"mission": mission, "category": cat,
                                  "bin_start_days": edges, "arrivals": counts}))
    return pd.concat(rows, ignore_index=True)


def _with_totals(values: np.ndarray) -> np.ndarray:
    """Append the ALL mission and the ``all`` category to a (month, mission, category) array."""
    values = np.concatenate([values, values.sum(axis=1, keepdims=True)], axis=1)
    return np.concatenate([values, values.sum(axis=2, keepdims=True)], axis=2)
