"""A complete scenario from the observed record at one month (``ppsim scenario from-data``).

:func:`build` reads the record at the end of month ``as_of`` and returns the scenario as a plain
dict (validate it with :func:`sim.scenario.load_scenario`; this layer does not import the schema)
together with a comment for every number saying where it comes from, which :func:`to_yaml`
writes next to it:

- ``record``: observed at ``as_of`` (UN DPO monthly reports / IPI database, ``data/``);
- ``estimated``: computed from the record by the rule named in the comment (below);
- ``[Sn]``: sourced mandates and national figures (:mod:`sim.data.mandates`, ``docs/sources.md``);
- ``assumption``: a documented default where neither the record nor a source can say.

What is built:

- the run starts on the first day after ``as_of`` (the record's figures are end-of-month), with
  no warm-up, so that the first month starts from exactly the observed state;
- every contributor present that month (no "Others"), with the missions it serves
  (``missions``); every mission with police, with its initial officers and units *by
  contributor* (``initial.by_contributor``): IPOs and their women, units (a contributor's
  personnel in a mission ÷ :data:`NOMINAL_UNIT`, rounded, at least one) with their observed
  officers and women;
- authorized strengths from today's mandates where ``as_of`` is a present-day month, else the
  observed strength (``assumption``);
- contributor parameters estimated from the record: women's share among its IPOs (shrunk
  towards the all-contributor share with the weight of :data:`PRIOR_OFFICERS` officers) and in
  its units; formed-unit size (its FPU personnel ÷ its units) and capacity (2 × its units:
  those serving and their replacements in preparation); the eligible pool (room for its
  officers abroad, in the pipeline and cooling down); the IPO propensity from its IPO vs FPU mix,
  so that IPO calls reach contributors in proportion to the IPOs they deploy (see
  :func:`ipo_propensity`).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.data import mandates
from sim.data.coverage import WITHHELD, month, withheld
from sim.data.files import read
from sim.data.record import yearly
from sim.errors import DataError

NOMINAL_UNIT = 160
"""Officers in a formed unit when counting a contributor's units in a mission (assumption:
units are "over 140" [S40], most today 140-180; the baseline uses 160)."""
PRIOR_OFFICERS = 10
"""Weight (in officers) of the all-contributor IPO women's share in a contributor's estimate."""
IPO_POOL_PER_OFFICER = 8 / 0.75
"""Eligible officers per IPO deployed (the baseline's rule: 8 × IPOs ÷ 0.75, room for officers
abroad, in the pipeline and cooling down)."""
FPU_POOL_PER_OFFICER = 3
"""Eligible officers per FPU officer deployed (serving, the replacement unit in preparation and
the returned unit cooling down), plus one unit of slack."""
IPO_IN_USE, FPU_IN_USE = 2.5, 8 / 3
"""Officers of the pool in use (abroad, pipeline, cooling) per IPO and per FPU officer deployed,
at a steady state of 12-month tours and a 365-day cool-down."""
PROPENSITY_RANGE = (0.2, 0.7)
"""Lowest and highest IPO propensity written (assumption: 0.7 as the baseline's strongest
contributors; 0.2 keeps FPU-only contributors in the formed-unit rotation)."""
SKILLS = {"investigation": 0.06, "forensics": 0.005, "sgbv": 0.01, "organized_crime": 0.01,
          "public_order": 0.03}
"""Specialist shares of every contributor's pool (assumption, as in the baseline: no
per-country data)."""
PIPELINE: dict[str, Any] = {
    "call_interval_days": 30, "overbooking": 1.5, "replacement_lead_days": 150,
    "nomination_delay": {"mean_days": 90, "cv": 0.5}, "travel_delay": {"mean_days": 60, "cv": 0.5},
    "cool_down_days": 365, "roster_expiry_days": 730, "hardship_sensitivity": 0.3,
    "assessment": {"teams": 4, "candidates_per_team_month": 80, "language_pass_factor": 0.5},
    "units": {"generation_delay": {"mean_days": 150, "cv": 0.4}, "remedial_delay_days": 60,
              "travel_delay": {"mean_days": 45, "cv": 0.4}, "rotation_lead_days": 240,
              "tour_months": 12},
    "teams": {"generation_delay": {"mean_days": 120, "cv": 0.4}},
}
"""Pipeline settings of ``scenarios/baseline.yaml`` (its sources and assumptions there)."""
IPOS_PER_TEAM = 450
"""IPOs deployed per assessment team: the baseline's 4 teams for about 1,800 IPOs, so that the
assessment capacity scales with the IPOs to replace (2012 had almost four times today's)."""
COSTS = {"ipo_officer_month": 4000, "fpu_officer_month": 1428, "spt_officer_month": 4000}
"""Cost rates of the baseline: FPU reimbursement 1,428 USD [S18]; IPO and team rates assumed."""

KeyPath = tuple[str | int, ...]


@dataclass
class Built:
    """A scenario built from the record: its data and the comments that go with it.

    Attributes:
        data: the scenario file's content as plain dicts, lists, strings and numbers.
        notes: a comment per key path (``("contributors", 3, "ipo_propensity")``); a path
            ending at a list item or a section puts the comment on the line above it.
        header: comment lines for the top of the file.
        summary: the record's state at ``as_of`` that the scenario starts from.
    """

    data: dict[str, Any]
    notes: dict[KeyPath, str] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def scenario_from_record(as_of: str, years: float = 10) -> dict[str, Any]:
    """The scenario of :func:`build` as a plain dict (without its comments)."""
    return build(as_of, years).data


def check_as_of(as_of: str) -> pd.Period:
    """``as_of`` as a month the record can start a scenario from.

    Raises:
        DataError: if it is not a month, lies outside the record or in the withheld years, or
            has no contributor × mission detail with the IPO/FPU split and women.
    """
    period = month(as_of, "--as-of")
    assert period is not None
    table = read("contributors")
    first, last = table["date"].min().to_period("M"), table["date"].max().to_period("M")
    if not first <= period <= last:
        raise DataError(f"--as-of {period}: outside the record ({first}..{last})")
    if withheld(period):
        raise DataError(f"--as-of {period}: in the withheld years ({WITHHELD[0]}..{WITHHELD[1]}"
                        "), kept out of the record for the out-of-sample check")
    detailed = _detailed_months(table)
    if period not in detailed:
        before = [m for m in detailed if m < period]
        after = [m for m in detailed if m > period]
        near = ", ".join(str(m) for m in [*before[-1:], *after[:1]])
        raise DataError(f"--as-of {period}: the record has no contributor × mission detail with "
                        f"IPO/FPU and women for that month (nearest: {near}; all such months: "
                        f"{_runs(detailed)})")
    return period


def _detailed_months(table: pd.DataFrame) -> list[pd.Period]:
    """Months with contributor × mission rows that all carry the split and women."""
    rows = table[table["level"] == "country_mission"]
    complete = rows[["ipo", "ipo_women", "fpu", "fpu_women"]].notna().all(axis=1)
    ok = complete.groupby(rows["date"].dt.to_period("M")).all()
    return sorted(ok.index[ok.to_numpy()])


def _runs(months: list[pd.Period]) -> str:
    """``2009-11..2014-02, 2015-01..2015-02, …``: consecutive months as ranges."""
    runs: list[list[pd.Period]] = []
    for m in months:
        if runs and m == runs[-1][-1] + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return ", ".join(f"{r[0]}..{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def units_of(fpu: int) -> int:
    """Formed units for ``fpu`` personnel of one contributor in one mission (0 if none)."""
    return 0 if fpu <= 0 else max(1, math.floor(fpu / NOMINAL_UNIT + 0.5))


def ipo_propensity(ipo: int, fpu: int, unit_size: int) -> float:
    """A contributor's IPO propensity from its IPO vs FPU mix.

    IPO calls are split in proportion to available pool × propensity and answered with the
    propensity, so a contributor's expected nominations grow with ``available × p²``. Its pool is
    ``IPO_POOL_PER_OFFICER × ipo + FPU_POOL_PER_OFFICER × fpu + unit_size``; at a steady state
    ``IPO_IN_USE × ipo + FPU_IN_USE × fpu`` of it is in use, and the rest is available, partly
    thanks to its units. ``p = p_max × √(IPO part of the available / available)`` makes expected
    nominations proportional to the IPOs it deploys (a contributor of IPOs only gets ``p_max``),
    clipped to :data:`PROPENSITY_RANGE`.
    """
    low, high = PROPENSITY_RANGE
    ipo_part = (IPO_POOL_PER_OFFICER - IPO_IN_USE) * ipo
    fpu_part = (FPU_POOL_PER_OFFICER - FPU_IN_USE) * fpu + (unit_size if fpu > 0 else 0)
    if ipo_part + fpu_part <= 0:
        return high
    return round(min(max(high * math.sqrt(ipo_part / (ipo_part + fpu_part)), low), high), 3)


def build(as_of: str, years: float = 10) -> Built:
    """The scenario of the record at the end of month ``as_of`` (``YYYY-MM``), with comments.

    Raises:
        DataError: for a month the record cannot start from (see :func:`check_as_of`).
    """
    period = check_as_of(as_of)
    years = int(years) if float(years).is_integer() else float(years)
    rows = read("contributors")
    rows = rows[(rows["date"].dt.to_period("M") == period)
                & (rows["level"] == "country_mission") & (rows["police"] > 0)]
    rows = rows.assign(units=[units_of(int(f)) for f in rows["fpu"]])
    built = Built(data={})
    start = (period + 1).start_time.date()
    totals = {k: int(rows[k].sum()) for k in ("ipo", "ipo_women", "fpu", "fpu_women")}
    built.summary = {"as_of": str(period), "start": start.isoformat(),
                     "contributors": int(rows["iso3"].nunique()),
                     "missions": int(rows["mission"].nunique()), "units": int(rows["units"].sum()),
                     **totals}
    mission_rows = _mission_table(period)
    _header(built, period)
    data = built.data
    data["name"] = f"record-{period}"
    data["description"] = (
        f"UN police as the record shows them at the end of {period:%B %Y}: "
        f"{built.summary['contributors']} contributors and {built.summary['missions']} missions "
        "with their officers and formed units by contributor, authorized strengths from the "
        "mandates (or, where none is on file, the observed strength), and contributor parameters "
        "estimated from the record. Generated by `ppsim scenario from-data`; sources and "
        "assumptions in the comments and in docs/data.md.")
    data["run"] = {"start": start.isoformat(), "years": years,
                   "seed": int(start.strftime("%Y%m%d")), "replications": 20, "warmup_years": 0}
    built.notes[("run", "warmup_years")] = (
        "assumption: no warm-up, so month 0 is the observed state; replacements for tours ending "
        "in the first months are not yet in the pipeline")
    built.notes[("run", "start")] = (f"the day after the record's month {period} "
                                     "(end-of-month figures)")
    data["skills"] = list(SKILLS)
    pipeline = copy.deepcopy(PIPELINE)
    teams = max(1, math.ceil(totals["ipo"] / IPOS_PER_TEAM))
    pipeline["assessment"]["teams"] = teams
    data["pipeline"] = pipeline
    built.notes[("pipeline",)] = ("assumption: the pipeline settings of scenarios/baseline.yaml "
                                  "(sources and reasons there)")
    built.notes[("pipeline", "assessment", "teams")] = (
        f"assumption: the baseline's 4 teams per ~1,800 IPOs, scaled to {totals['ipo']:,} IPOs "
        f"(one per {IPOS_PER_TEAM})")
    data["costs"] = COSTS
    built.notes[("costs",)] = ("as scenarios/baseline.yaml: FPU reimbursement 1,428 USD per "
                               "person-month [S18]; IPO and team rates are assumptions")
    data["contributors"] = _contributors(built, rows, period)
    data["missions"] = _missions(built, rows, mission_rows, period)
    data["policies"] = []
    built.notes[("policies",)] = (
        "none: contributors nominate women at the shares the record shows (pool_women_share); "
        "add levers or variants to ask what if")
    data["observed"] = _observed(built, period, start, years)
    return built


def _header(built: Built, period: pd.Period) -> None:
    s = built.summary
    built.header = [
        f"ppsim scenario built from the observed record at the end of {period}",
        f"(`ppsim scenario from-data --as-of {period}`; edit freely, it is yours now).",
        "",
        f"Initial state = the record at {period}: {s['ipo']:,} IPOs ({s['ipo_women']:,} women) "
        f"and {s['fpu']:,} FPU personnel ({s['fpu_women']:,} women)",
        f"in {s['missions']} missions from {s['contributors']} contributors "
        f"({s['units']} formed units of their observed sizes).",
        "",
        "How to read the comments: 'record' = observed at that month (UN DPO monthly reports /",
        "IPI Peacekeeping Database, data/README.md); 'estimated' = computed from the record by the",
        "rule named (docs/data.md); [Sn] = sourced (list in docs/sources.md); 'assumption' = a",
        "documented default where neither the record nor a source can say.",
        "",
        "Contributor fields not written take the schema's defaults (assumption): pass_rate 0.7,",
        "fpu_pass_rate 0.9, tour_months 12, extension_probability 0.2, extension_months 6,",
        "no ceiling; missions: early_repatriation_rate 0.02 unless written.",
    ]


def _mission_table(period: pd.Period) -> pd.DataFrame:
    table = read("missions")
    return table[table["date"].dt.to_period("M") == period].set_index("mission")


def _first_month(mission: str) -> str:
    table = read("missions")
    first = table.loc[table["mission"] == mission, "date"].min()
    return f"{first:%Y-%m}-01"


def _contributors(built: Built, rows: pd.DataFrame, period: pd.Period) -> list[dict[str, Any]]:
    overall = int(rows["ipo_women"].sum()) / max(int(rows["ipo"].sum()), 1)
    out = []
    order = rows.groupby("contributor")["police"].sum().sort_values(ascending=False, kind="stable")
    for i, name in enumerate(order.index):
        mine = rows[rows["contributor"] == name]
        iso3 = str(mine["iso3"].iloc[0])
        ipo, ipo_w = int(mine["ipo"].sum()), int(mine["ipo_women"].sum())
        fpu, fpu_w = int(mine["fpu"].sum()), int(mine["fpu_women"].sum())
        units = int(mine["units"].sum())
        size = min(max(round(fpu / units), 1), 400) if units else 0
        served = sorted(mine["mission"].unique())
        women_ipo = (ipo_w + PRIOR_OFFICERS * overall) / (ipo + PRIOR_OFFICERS)
        pool_ipo = IPO_POOL_PER_OFFICER * ipo
        pool_fpu = FPU_POOL_PER_OFFICER * fpu + size if fpu else 0.0
        pool = math.ceil(pool_ipo + pool_fpu)
        pool_women = (pool_ipo * women_ipo + pool_fpu * (fpu_w / fpu if fpu else 0.0)) / pool
        national = mandates.NATIONAL_POLICE.get(iso3)
        strength = national.strength if national and national.strength else \
            mandates.DEFAULT_STRENGTH
        strength = max(strength, pool)
        languages = sorted({lang for m in served for lang in _mission_languages(m, period)})
        c: dict[str, Any] = {
            "name": name,
            "police_strength": strength,
            "women_share": national.women_share if national else mandates.GLOBAL_WOMEN_SHARE,
            "pool_women_share": round(pool_women, 4),
            "eligible_share": round(pool / strength, 8),
            "skills": dict(SKILLS),
            "languages": languages,
            "missions": served,
            "ipo_propensity": ipo_propensity(ipo, fpu, size),
        }
        where = ("contributors", i)
        by_mission = ", ".join(
            f"{r.mission} {int(r.ipo)} IPO" + (f" + {int(r.fpu)} FPU" if r.fpu else "")
            for r in mine.itertuples())
        built.notes[where] = (f"{name} ({iso3}), record {period}: {by_mission}; "
                              f"women {ipo_w}/{ipo} IPO, {fpu_w}/{fpu} FPU")
        built.notes[(*where, "police_strength")] = (
            national.strength_note if national and national.strength else
            "assumption: no figure found (only strength × eligible_share matters)")
        built.notes[(*where, "women_share")] = (
            national.women_note if national else
            "assumption: global average of domestic police [S39]")
        built.notes[(*where, "pool_women_share")] = (
            f"estimated: IPO women {women_ipo:.3f} (record, shrunk to the all-contributor "
            f"{overall:.3f} by {PRIOR_OFFICERS} officers)"
            + (f" and FPU women {fpu_w / fpu:.3f}, weighted by pool" if fpu else ""))
        built.notes[(*where, "eligible_share")] = (
            f"estimated: pool {pool:,} = {IPO_POOL_PER_OFFICER:.2f} × {ipo} IPO"
            + (f" + {FPU_POOL_PER_OFFICER} × {fpu} FPU + a unit" if fpu else ""))
        built.notes[(*where, "skills")] = "assumption: baseline's generic specialist shares"
        built.notes[(*where, "languages")] = "assumption: the working languages of its missions"
        built.notes[(*where, "missions")] = "record: the missions it serves"
        built.notes[(*where, "ipo_propensity")] = (
            "estimated from its IPO vs FPU mix (docs/data.md)")
        if fpu:
            c["fpu_capacity"] = min(2 * units, 100)
            c["fpu_women_share"] = round(fpu_w / fpu, 4)
            c["fpu_unit_size"] = size
            built.notes[(*where, "fpu_capacity")] = (
                f"estimated: 2 × its {units} units serving (replacements in preparation)")
            built.notes[(*where, "fpu_women_share")] = f"record: {fpu_w}/{fpu}"
            built.notes[(*where, "fpu_unit_size")] = (f"estimated: {fpu} FPU personnel / "
                                                      f"{units} units")
        out.append(c)
    return out


def _mission_languages(mission: str, period: pd.Period) -> tuple[str, ...]:
    mandate = _mandate(mission, period)
    if mandate is not None:
        return mandate.languages
    return mandates.LANGUAGES.get(mission, ("en",))


def _mandate(mission: str, period: pd.Period) -> mandates.Mandate | None:
    if period < pd.Period(mandates.PRESENT_FROM, freq="M"):
        return None
    return mandates.MANDATES.get(mission)


def _missions(built: Built, rows: pd.DataFrame, table: pd.DataFrame,
              period: pd.Period) -> list[dict[str, Any]]:
    out = []
    police = {str(k): int(v) for k, v in table["police"].items()}
    names = sorted(rows["mission"].unique(), key=lambda m: (-police[m], m))
    for i, name in enumerate(names):
        mine = rows[rows["mission"] == name]
        ipo, ipo_w = int(mine["ipo"].sum()), int(mine["ipo_women"].sum())
        fpu, units = int(mine["fpu"].sum()), int(mine["units"].sum())
        where: KeyPath = ("missions", i)
        mandate = _mandate(name, period)
        m: dict[str, Any] = {"name": name}
        if mandate is not None:
            m["start"] = mandate.start
            m["languages"] = list(mandate.languages)
            m["hardship"] = mandate.hardship
            m["early_repatriation_rate"] = mandate.early_repatriation_rate
            posts, authorized_units, step = mandate.ipo_posts, mandate.fpu_units, mandate.step
            size = mandate.fpu_unit_size
            assumed = set(mandate.assumed)
            built.notes[where] = f"{name}: {mandate.note}"
            for key in ("hardship", "early_repatriation_rate"):
                if key in assumed:
                    built.notes[(*where, key)] = "assumption (as the baseline)"
            built.notes[(*where, "ipo_posts")] = "assumption (see above)" if "ipo_posts" in \
                assumed else "mandate (see above)"
        else:
            m["start"] = _first_month(name)
            m["languages"] = list(mandates.LANGUAGES.get(name, ("en",)))
            m["hardship"] = mandates.DEFAULT_HARDSHIP
            posts, authorized_units, step = ipo, units, m["start"]
            size = min(max(round(fpu / units), 1), 400) if units else 140
            built.notes[where] = f"{name}: no mandate on file for {period} (sim/data/mandates.py)"
            built.notes[(*where, "start")] = ("assumption: first month in the record (the mandate "
                                              "may be older)")
            built.notes[(*where, "languages")] = "assumption: the host country's language"
            built.notes[(*where, "hardship")] = "assumption: middle value"
            built.notes[(*where, "ipo_posts")] = ("assumption: authorized = observed strength at "
                                                  f"{period}")
        if posts or ipo:  # a mandate without IPO posts but IPOs serving: the observed ones
            m["ipo_posts"] = {step: posts or ipo}
        if authorized_units or units:
            m["fpu_units"] = {step: max(authorized_units, units)}
            m["fpu_unit_size"] = size
            note = "mandate" if mandate is not None and authorized_units >= units else \
                "assumption: observed units"
            if mandate is not None and authorized_units < units:
                note = f"assumption: raised from the mandate's {authorized_units} to the " \
                       f"{units} units observed"
            built.notes[(*where, "fpu_units")] = note
        if period >= pd.Period(mandates.UGPS_FROM, freq="M"):
            m["women_target"] = {k: dict(v) for k, v in mandates.UGPS_TARGETS.items()
                                 if k == "ipo" or "fpu_units" in m}
            built.notes[(*where, "women_target")] = "UGPS 2018-2028 [S1][S2]; 2025 points assumed"
        m["initial"] = _initial(mine, ipo, ipo_w, units)
        built.notes[(*where, "initial")] = (
            f"record {period}: {ipo} IPO ({ipo_w} women), {fpu} FPU personnel "
            f"({int(mine['fpu_women'].sum())} women) in {units} units")
        out.append(m)
    return out


def _initial(mine: pd.DataFrame, ipo: int, ipo_w: int, units: int) -> dict[str, Any]:
    by: dict[str, Any] = {}
    ordered = mine.sort_values(["police", "contributor"], ascending=[False, True])
    for r in ordered.to_dict("records"):
        entry: dict[str, int] = {"ipo": int(r["ipo"]), "ipo_women": int(r["ipo_women"])}
        if r["units"]:
            entry.update(fpu_units=int(r["units"]), fpu_officers=int(r["fpu"]),
                         fpu_women=int(r["fpu_women"]))
        by[str(r["contributor"])] = entry
    return {"ipo": ipo, "ipo_women_share": round(ipo_w / ipo, 4) if ipo else 0.0,
            "fpu_units": units, "by_contributor": by}


def _observed(built: Built, period: pd.Period, start: Any, years: float) -> list[dict[str, Any]]:
    """Year-end figures of the record after ``as_of`` within the run (checks, not inputs)."""
    # an end-of-month figure is compared with the next month's first-day snapshot: the last
    # month that can be checked is the one before the run's last snapshot
    end = pd.Period(start, freq="M") + max(round(years * 12), 1) - 2
    table = read("totals")
    months = table["date"].dt.to_period("M")
    later = table[(months > period) & (months <= end)]
    later = later[[not withheld(m) for m in later["date"].dt.to_period("M")]]
    out: list[dict[str, Any]] = []
    for row in yearly(later).to_dict("records"):
        source = f"record ({row['source']})"
        when = f"{row['date']:%Y-%m-%d}"
        for category, column in (("all", "police"), ("ipo", "ipo"), ("fpu", "fpu")):
            count, women = _count(row[column]), _count(row[f"{column}_women"])
            if count is None:
                continue
            out.append({"date": when, "category": category, "value": count, "source": source})
            if women is not None and count:
                out.append({"date": when, "category": category, "metric": "women_share",
                            "value": round(women / count, 4), "source": source})
    if out:
        built.notes[("observed",)] = ("record: year-end totals after the start (December, or the "
                                      "last month in the record) to check runs against")
    return out


def _count(value: Any) -> int | None:
    """A count from the record as an ``int``, ``None`` where it is missing."""
    return None if pd.isna(value) else int(value)
