"""Sourced facts the record does not hold: today's mandates, missions' settings, national police.

These are the figures of ``scenarios/baseline.yaml`` (sources ``[Sn]`` listed there and in
``docs/sources.md``), kept here as data so that :mod:`sim.data.builder` can write a scenario
from the record without reading another scenario file. Authorized strengths are Security
Council figures (allowed for every year, the withheld ones included); no deployment figure is
taken from anywhere but the record.

These are today's mandates: they apply to months from ``PRESENT_FROM`` (2025-01) on, the
present-day months of the record; for earlier months :mod:`sim.data.builder` falls back to the
observed strength and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mandate:
    """A mission's authorized police and settings, with where each number comes from.

    ``ipo_posts`` and ``fpu_units`` are authorized individual officers and formed units, as a
    step on ``step`` (``YYYY-MM-DD``: the mission's start, as in the baseline, unless the source
    dates the step); ``note`` cites the sources; ``assumed`` names the fields that are
    assumptions (the rest are sourced).
    """

    start: str
    languages: tuple[str, ...]
    hardship: float
    early_repatriation_rate: float
    step: str
    ipo_posts: int
    fpu_units: int
    fpu_unit_size: int
    note: str
    assumed: tuple[str, ...] = field(default=())


MANDATES: dict[str, Mandate] = {
    "MINUSCA": Mandate(
        "2014-04-10", ("fr",), 0.8, 0.03, "2014-04-10", 600, 15, 161,
        "600 individual officers + 2,420 FPU personnel (15 units of 161), res. 2709 (2023) [S5], "
        "kept by res. 2759 (2024) [S4]; start: res. 2149 [S44]",
        ("hardship", "early_repatriation_rate")),
    "MONUSCO": Mandate(
        "2010-07-01", ("fr",), 0.8, 0.03, "2024-07-01", 443, 8, 160,
        "443 police + 1,270 FPU personnel (8 units of ~160) from 1 July 2024, res. 2717 [S6], "
        "kept to 20 Dec 2025 by res. 2765 [S7]; start: res. 1925 [S47]",
        ("hardship", "early_repatriation_rate")),
    "UNMISS": Mandate(
        "2011-07-09", ("en",), 0.8, 0.03, "2011-07-09", 733, 8, 160,
        "ceiling 2,101 incl. 88 corrections, res. 2729 (2024) [S8]; the split into 733 IPO posts "
        "and 8 units of 160 is an assumption (611 IPOs + 1,143 FPU personnel in 2020 [S9])",
        ("ipo_posts", "fpu_units", "fpu_unit_size", "hardship", "early_repatriation_rate")),
    "UNISFA": Mandate(
        "2011-06-27", ("en",), 0.9, 0.04, "2011-06-27", 148, 3, 164,
        "640 police = 148 individual officers + three FPUs, res. 2550 [S10], kept by res. 2760 "
        "(2024) [S12]; start: res. 1990 [S44]",
        ("fpu_unit_size", "hardship", "early_repatriation_rate")),
    "UNFICYP": Mandate(
        "1964-03-04", ("en",), 0.1, 0.01, "1964-03-04", 69, 0, 140,
        "69 UNPOL serving from 15 countries (2024) [S13]", ("hardship", "early_repatriation_rate")),
    "UNMIK": Mandate(
        "1999-06-10", ("en",), 0.1, 0.01, "1999-06-10", 10, 0, 140,
        "a few liaison officers; no current figure found",
        ("ipo_posts", "hardship", "early_repatriation_rate")),
    "BINUH": Mandate(
        "2019-10-16", ("fr",), 0.7, 0.04, "2019-10-16", 70, 0, 140,
        "up to 70 civilian and seconded police and corrections advisers, res. 2743 (2024) [S14], "
        "all modelled as IPO posts (assumption); start [S45]",
        ("hardship", "early_repatriation_rate")),
}
"""Present-day mandates of the missions of ``scenarios/baseline.yaml``, by mission."""

PRESENT_FROM = "2025-01"
"""First month to which :data:`MANDATES` apply (today's mandates: the record's 2025 months)."""

LANGUAGES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ["BINUB", "BNUB", "BONUCA", "MICAH", "MINURCA", "MINURCAT", "MINUSMA", "MINUSTAH",
         "MIPONUH", "MONUC", "ONUB", "UNAMIR", "UNMIH", "UNOCI", "UNSMIH", "UNTMIH"], ("fr",)),
    **dict.fromkeys(["MONUA", "ONUMOZ", "UNAVEM", "UNAVEM II", "UNOA"], ("pt",)),
    **dict.fromkeys(["MINUGUA", "ONUSAL", "UNVMC"], ("es",)),
    **dict.fromkeys(["UNTAET", "UNMISET", "UNOTIL", "UNMIT"], ("en", "pt")),
    "MINURSO": ("en", "fr", "es"),
}
"""Working languages of missions without a mandate entry (assumption: the host country's
official language; English elsewhere)."""

DEFAULT_HARDSHIP = 0.5
"""Hardship of a mission without a mandate entry (assumption: the schema's middle value)."""

UGPS_TARGETS = {"ipo": {"2025-01-01": 0.28, "2028-01-01": 0.30},
                "fpu": {"2025-01-01": 0.16, "2028-01-01": 0.20}}
"""Women's-share targets of the Uniformed Gender Parity Strategy 2018-2028: 30 % IPOs and 20 %
FPUs by 2028 [S1][S2]; the 2025 points are the baseline's straight-line assumption."""

UGPS_FROM = "2018-01"
"""First month the UGPS targets apply (the strategy covers 2018-2028)."""


@dataclass(frozen=True)
class NationalPolice:
    """A country's national police: strength and women's share, each with its source."""

    strength: int | None
    strength_note: str
    women_share: float
    women_note: str


NATIONAL_POLICE: dict[str, NationalPolice] = {
    "BGD": NationalPolice(191295, "Bangladesh Police, Jan 2021 [S26]", 0.079, "7.92 % [S26]"),
    "IND": NationalPolice(2091488, "police in service [S27]", 0.103, "10.30 % [S27]"),
    "NPL": NationalPolice(79541, "Nepal Police [S28]", 0.117, "11.73 % [S28]"),
    "RWA": NationalPolice(12000, "assumption: \"over 10,000\" [S30], grown since", 0.235,
                          "23.5 % [S29]"),
    "SEN": NationalPolice(None, "", 0.092, "9.18 % [S33]"),
    "IDN": NationalPolice(450000, "about 450,000 [S35]", 0.057, "below 6 % [S35]"),
    "GHA": NationalPolice(39184, "Ghana Police Service [S36]", 0.28, "28 % [S36]"),
    "JOR": NationalPolice(40000, "about 40,000 [S37]", 0.088,
                          "assumption: 3,500 policewomen in 2012 [S37] / 40,000"),
}
"""Sourced national police figures by ISO3 code (from ``scenarios/baseline.yaml``)."""

GLOBAL_WOMEN_SHARE = 0.182
"""Women's share of domestic police, global average [S39] (the default for other countries)."""

DEFAULT_STRENGTH = 20000
"""National police strength where no figure was found (assumption; only the pool, strength ×
eligible share, matters to the model, and the builder sets that from the record)."""
