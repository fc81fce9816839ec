"""The observed record of UN police deployments (UN DPO monthly reports, IPI database).

A bottom layer: it reads the CSV files shipped in ``data/`` (or ``$PPSIM_DATA``) with pandas
and imports nothing else of ppsim but :mod:`sim.errors`. Tables are tidy DataFrames, one row per
month (and mission, contributor or category); missing months stay missing.

- :func:`totals`, :func:`by_mission`, :func:`by_contributor`: the three files, typed;
- :func:`series`, :func:`by_category`, :func:`yearly`: one slice by month, in long form, by year;
- :func:`coverage`, :data:`KNOWN_GAPS`, :data:`WITHHELD`: which months hold which detail;
- :func:`missions`, :func:`contributors`: the names in the record;
- :mod:`sim.data.builder`: a scenario (plain dict) from the record at a month.
"""

from sim.data.coverage import (
    KNOWN_GAPS,
    WITHHELD,
    check_window,
    contributor_detail,
    coverage,
    withheld,
)
from sim.data.files import ENV, clear_cache, data_dir
from sim.data.record import (
    CATEGORIES,
    at,
    by_category,
    by_contributor,
    by_mission,
    contributor_codes,
    contributor_name,
    contributors,
    mission_name,
    missions,
    series,
    totals,
    yearly,
)

__all__ = ["CATEGORIES", "ENV", "KNOWN_GAPS", "WITHHELD", "at", "by_category", "by_contributor",
           "by_mission", "check_window", "clear_cache", "contributor_codes", "contributor_detail",
           "contributor_name", "contributors", "coverage", "data_dir", "mission_name", "missions",
           "series", "totals", "withheld", "yearly"]
