"""The output tables: pure functions of one replication's snapshots (a :class:`Record`).

:func:`tabulate` turns what :class:`sim.model.observe.Observer` recorded into the tidy tables of
``docs/outputs.md`` (without variant/replication columns): monthly figures per mission and
category with the ALL mission and ``all`` category as sums, specialist coverage, the census by
state, contributors, the time-to-deploy histogram, targets met and the headline outcomes
(:mod:`sim.model.metrics`). Nothing here touches the simulation. The tables are Arrow
(:mod:`sim.model.columns`: a worker builds and stores them without importing pandas).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from sim.model import metrics
from sim.model.columns import month_dates, table, text
from sim.model.observe import FLOWS, HIST_BIN_DAYS, HIST_BINS, N_CAT, F, Record
from sim.model.personnel import CATEGORY_NAMES, STATE_NAMES, Category
from sim.model.world import STANDING

COUNTED_FLOWS = FLOWS[:FLOWS.index("deploy_days")]
"""The flows reported as monthly counts (the rest only give the mean time to deploy)."""


def tabulate(record: Record, cost_rates: tuple[float, float, float],
             target_points: list[metrics.TargetPoint]) -> dict[str, pa.Table]:
    """The tidy tables of ``docs/outputs.md`` (without variant/replication columns).

    Args:
        record: the snapshots of one replication.
        cost_rates: cost of an officer-month of an IPO, an FPU officer and an SPT officer.
        target_points: every women's-share target point of the scenario.
    """
    monthly = _monthly(record, np.array(cost_rates))
    skills = _skills(record)
    groups = _groups(len(record.months), [*record.missions, "ALL"], [*CATEGORY_NAMES, "all"])
    return {
        "monthly": table(monthly),
        "skills": table(skills),
        "pipeline": _pipeline(record),
        "contributors": _contributors(record),
        "deploy_times": _deploy_hist(record),
        "targets": metrics.targets_met(monthly, groups, target_points),
        "outcomes": metrics.outcomes(monthly, groups, skills, _all_deploy_times(record)),
    }


def _groups(months: int, missions: list[str],
            categories: list[str]) -> dict[tuple[str, str], np.ndarray]:
    """Row positions of each (mission, category) of the monthly table, in order of appearance.

    Its rows run month by month, mission by mission, category by category.
    """
    step = len(missions) * len(categories)
    first = np.arange(months, dtype=np.int64) * step
    return {(mission, category): first + i * len(categories) + c
            for i, mission in enumerate(missions) for c, category in enumerate(categories)}


def _keyed(record: Record, names: tuple[str, str], first: list[str],
           second: list[str]) -> dict[str, Any]:
    """``month``, ``date`` and the level columns ``names`` of a month × first × second table."""
    months, inner = len(record.months), len(first) * len(second)
    return {"month": np.repeat(np.arange(months, dtype=np.int64), inner),
            "date": np.repeat(month_dates(record.months), inner),
            names[0]: np.tile(np.repeat(np.array(first, dtype=object), len(second)), months),
            names[1]: np.tile(np.array(second, dtype=object), months * len(first))}


def _monthly(record: Record, cost_rates: np.ndarray) -> dict[str, np.ndarray]:
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
    columns = _keyed(record, ("mission", "category"), names, cats)
    ints = {"authorized", "deployed", "deployed_women", "vacancies", "rotating_out",
            *COUNTED_FLOWS, "contributors"}
    for name, values in data.items():
        flat = np.asarray(values, dtype=float).reshape(-1)
        columns[name] = flat.round().astype(np.int64) if name in ints else flat
    return columns


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


def _skills(record: Record) -> dict[str, np.ndarray]:
    spec = record.serving[:, :, [Category.IPO, Category.SPT], :, 1:].sum(axis=(2, 3))
    posts = record.skill_posts[:, :, 1:]
    spec = np.concatenate([spec, spec.sum(axis=1, keepdims=True)], axis=1)
    posts = np.concatenate([posts, posts.sum(axis=1, keepdims=True)], axis=1)
    columns = _keyed(record, ("mission", "skill"), [*record.missions, "ALL"],
                     list(record.skills))
    columns["posts"] = posts.reshape(-1).round().astype(np.int64)
    columns["deployed"] = spec.reshape(-1).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["coverage"] = np.where(posts > 0, np.minimum(spec / posts, 1.0),
                                       np.nan).reshape(-1)
    return columns


def _pipeline(record: Record) -> pa.Table:
    states = [*STATE_NAMES, "generated"]
    values = np.concatenate([record.census, record.generated[:, :, None]], axis=2)
    columns = _keyed(record, ("category", "state"), list(CATEGORY_NAMES), states)
    columns["officers"] = values.reshape(-1)
    return table(columns)


def _contributors(record: Record) -> pa.Table:
    c = len(record.contributor_names)
    values = record.serving_c[:, :c]  # (n, c, cat, gender)
    columns = _keyed(record, ("contributor", "category"), list(record.contributor_names),
                     list(CATEGORY_NAMES))
    columns["deployed"] = values.sum(axis=3).reshape(-1)
    columns["deployed_women"] = values[..., 1].reshape(-1)
    return table(columns)


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


def _deploy_hist(record: Record) -> pa.Table:
    """The time-to-deploy histogram, one chunk per (mission, category).

    A chunk is a record batch in the task file, as the pandas table stored it: the task files
    keep their bytes.
    """
    parts = []
    edges = np.arange(HIST_BINS) * HIST_BIN_DAYS
    for (mission, cat), times in _all_deploy_times(record).items():
        bins = np.minimum((times // HIST_BIN_DAYS).astype(int), HIST_BINS - 1)
        parts.append(table({"mission": text([mission] * HIST_BINS),
                            "category": text([cat] * HIST_BINS),
                            "bin_start_days": edges,
                            "arrivals": np.bincount(bins, minlength=HIST_BINS)}))
    return pa.concat_tables(parts)


def _with_totals(values: np.ndarray) -> np.ndarray:
    """Append the ALL mission and the ``all`` category to a (month, mission, category) array."""
    values = np.concatenate([values, values.sum(axis=1, keepdims=True)], axis=1)
    return np.concatenate([values, values.sum(axis=2, keepdims=True)], axis=2)
