"""Findings in words: the report's executive summary, generated from the summary tables.

Pure functions from ``summary/comparison``, ``summary/outcomes`` and ``summary/targets`` (as
DataFrames) to plain-text sentences. A difference is *clear* when its 95% confidence interval
(paired over replications, common random numbers) excludes zero; whether it is an improvement
comes from :data:`sim.outputs.catalog.OUTCOMES` (``better``). Nothing here reads files, so the
report, notebooks and tests share the same wording.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.outputs import catalog

TOLERANCE = 1e-12
"""Differences this close to zero count as none (a variant that changes nothing)."""


@dataclass(frozen=True)
class Finding:
    """One sentence of the summary and whether it reports a clear change."""

    text: str
    clear: bool
    variant: str
    mission: str


def _number(value: float, unit: str, signed: bool = False) -> str:
    """A number in its display scale (shares ×100), one decimal below 100, with a sign if asked."""
    shown = value * 100 if unit == "share" else value
    text = f"{abs(shown):,.1f}" if abs(shown) < 100 else f"{abs(shown):,.0f}"
    if text.strip("0.,") == "":
        return text
    return ("−" if shown < 0 else "+" if signed else "") + text


def _value(value: float, unit: str, signed: bool = False) -> str:
    """A number with its unit: ``26.1%``, ``+3.2 points``, ``662 officers``."""
    if unit == "share":
        return f"{_number(value, unit, signed)} points" if signed else f"{_number(value, unit)}%"
    return f"{_number(value, unit, signed)} {unit}"


def _what(outcome: str, category: str) -> str:
    """``women's share (final month), IPO`` from the catalog."""
    label = catalog.describe(outcome).label
    short = catalog.CATEGORY_SHORT.get(category, category)
    return f"{label}, {short}" if category != "all" else label


def difference_sentence(row: dict[str, Any]) -> Finding:
    """One variant's paired difference from the base on one outcome, in words.

    ``row`` is a row of ``summary/comparison`` (variant, outcome, mission, category, mean,
    diff_mean, diff_ci_low, diff_ci_high, n).
    """
    entry = catalog.describe(str(row["outcome"]))
    diff, low, high = (float(row[k]) for k in ("diff_mean", "diff_ci_low", "diff_ci_high"))
    what = _what(str(row["outcome"]), str(row["category"]))
    where = "" if row["mission"] == "ALL" else f" in {row['mission']}"
    clear = low == low and high == high and (low > 0 or high < 0)
    if abs(diff) <= TOLERANCE and (low != low or abs(high - low) <= TOLERANCE):
        return Finding(f"{row['variant']} leaves {what}{where} unchanged.", False,
                       str(row["variant"]), str(row["mission"]))
    verb = "raises" if diff > 0 else "lowers"
    ci = f"95% CI {_number(low, entry.unit, True)} to {_number(high, entry.unit, True)}"
    judgement = ""
    if clear and entry.better != "neither":
        good = (diff > 0) == (entry.better == "higher")
        judgement = ", an improvement" if good else ", a deterioration"
    sure = "clear" if clear else "not distinguishable from zero"
    size = _value(abs(diff), entry.unit, True).lstrip("+")
    text = (f"{row['variant']} {verb} {what}{where} by {size} "
            f"({ci}; {sure}{judgement}) from the base's {_value(float(row['base']), entry.unit)}.")
    return Finding(text, clear, str(row["variant"]), str(row["mission"]))


def with_base(comparison: pd.DataFrame) -> pd.DataFrame:
    """Comparison rows of the variants (not the base) with the base's mean as ``base``."""
    keys = ["outcome", "mission", "category", "at"]
    base = comparison[comparison["variant"] == "base"][[*keys, "mean"]].rename(
        columns={"mean": "base"})
    rows = comparison[comparison["variant"] != "base"].merge(base, on=keys, how="left")
    return rows


def custom_panels(comparison: pd.DataFrame, mission: str = "ALL") -> list[tuple[str, str]]:
    """(outcome, category) of the comparison's custom outcomes (not built into the catalog).

    Read from the table, so a report made in another session still shows them.
    """
    rows = comparison[(comparison["at"] == "horizon") & (comparison["mission"] == mission)
                      & ~comparison["outcome"].isin(catalog.HEADLINE)]
    return list(dict.fromkeys(zip(rows["outcome"].astype(str), rows["category"].astype(str),
                                  strict=True)))


def differences(comparison: pd.DataFrame, mission: str = "ALL",
                panels: Sequence[tuple[str, str]] | None = None) -> list[Finding]:
    """A sentence per variant and headline outcome at the horizon, clear changes first.

    ``panels`` default to the ``differences`` figure's (:data:`catalog.FOREST`) followed by
    the comparison's custom outcomes (:func:`custom_panels`).
    """
    if panels is None:
        panels = [*catalog.FOREST, *custom_panels(comparison, mission)]
    rows = with_base(comparison)
    rows = rows[(rows["at"] == "horizon") & (rows["mission"] == mission)]
    out = []
    for variant in dict.fromkeys(rows["variant"]):
        mine = rows[rows["variant"] == variant]
        found = []
        for outcome, category in panels:
            sel = mine[(mine["outcome"] == outcome) & (mine["category"] == category)]
            if not sel.empty:
                found.append(difference_sentence(sel.iloc[0].to_dict()))
        out += sorted(found, key=lambda f: not f.clear)
    return out


def target_sentences(targets: pd.DataFrame) -> list[str]:
    """For each headline target: P(met) on its date per variant, with the Wilson interval."""
    if targets.empty:
        return []
    if "headline" in targets:
        targets = targets[targets["headline"].astype(str).isin(["True", "true", "1"])]
    out = []
    keys = ["mission", "category", "target_date", "target_share"]
    for key, group in targets.groupby(keys, sort=False, observed=True):
        mission, category, when, share = key
        parts = []
        for r in group.to_dict("records"):
            mean = r.get("mean_share", float("nan"))
            shown = "–" if mean != mean else f"{100 * mean:.1f}%"
            parts.append(f"{r['variant']} {100 * r['probability']:.0f}% "
                         f"({100 * r['ci_low']:.0f}–{100 * r['ci_high']:.0f}%; mean share "
                         f"{shown})")
        when_text = pd.Timestamp(str(when)).date().isoformat()
        short = catalog.CATEGORY_SHORT[str(category)]
        level = 100 * float(str(share))
        out.append(f"{mission}, {short}: {level:.0f}% women on {when_text} is met in "
                   + "; ".join(parts) + " of replications.")
    return out


def run_sentences(outcomes: pd.DataFrame, variant: str) -> list[str]:
    """A single run's headline outcomes (all missions) in words, with 95% CIs."""
    sel = outcomes[(outcomes["mission"] == "ALL") & (outcomes["variant"] == variant)]
    out = []
    for outcome, category in catalog.FOREST:
        row = sel[(sel["outcome"] == outcome) & (sel["category"] == category)]
        if row.empty:
            continue
        r = row.iloc[0]
        unit = catalog.describe(outcome).unit
        ci = ("" if r["ci_low"] != r["ci_low"] else
              f" (95% CI {_number(float(r['ci_low']), unit)} to "
              f"{_number(float(r['ci_high']), unit)})")
        what = _what(outcome, category)
        out.append(f"{what[0].upper()}{what[1:]}: {_value(float(r['mean']), unit)}{ci}.")
    return out


__all__ = ["Finding", "difference_sentence", "differences", "run_sentences",
           "target_sentences", "with_base"]
