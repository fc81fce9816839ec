"""Where the observed record lives and how its three CSV files are read.

The record ships in the repository's top-level ``data/`` folder (a copy of the UN DPO / IPI
monthly figures, see ``data/README.md``); ``PPSIM_DATA=/some/folder`` points ppsim at another
copy. Each file is read once per process and per folder (``functools.lru_cache``), with its
types set: ``date`` as ``datetime64`` (the last day of the reporting month), counts as nullable
``Int64`` (an empty cell stays missing; nothing is filled in), names as strings.

Columns are renamed to one vocabulary for every level: ``police`` / ``police_women`` for the
monthly file's ``total`` / ``women``, ``contributor`` / ``iso3`` for the contributor file's
``country`` / ``country_iso3``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pandas as pd

from sim.errors import DataError

ENV = "PPSIM_DATA"
"""Environment variable naming a folder that holds the record instead of ``<repo>/data``."""

FILES = {
    "totals": "un_police_monthly.csv",
    "missions": "un_police_by_mission_monthly.csv",
    "contributors": "un_police_by_contributor_monthly.csv",
}
"""The record's files by level: one row per month, per mission × month, per contributor × month."""

COUNTS = ["ipo", "ipo_women", "fpu", "fpu_women", "police", "police_women"]
"""Officer counts in every file (individual officers, formed-unit personnel, both; women)."""

_RENAME = {"total": "police", "women": "police_women", "country": "contributor",
           "country_iso3": "iso3"}


def data_dir() -> Path:
    """The folder holding the record: ``$PPSIM_DATA`` if set, else the repository's ``data/``.

    Raises:
        DataError: if the folder or one of its files is missing.
    """
    override = os.environ.get(ENV)
    # sim/data/files.py → the repository root is three levels up (editable install).
    folder = Path(override) if override else Path(__file__).resolve().parents[2] / "data"
    missing = [name for name in FILES.values() if not (folder / name).is_file()]
    if missing:
        how = f"${ENV} is {override!r}" if override else f"set {ENV} to a folder that holds them"
        raise DataError(f"observed record not found: {folder} lacks {', '.join(missing)} ({how}; "
                        "the files ship in the repository's data/ folder)")
    return folder


def read(level: str) -> pd.DataFrame:
    """The file of ``level`` (``totals``, ``missions`` or ``contributors``), typed and cached.

    The frame is shared by every caller in the process: copy it before changing it.
    """
    if level not in FILES:
        raise DataError(f"unknown level {level!r} (allowed: {', '.join(FILES)})")
    return _read(str(data_dir() / FILES[level]))


@lru_cache(maxsize=8)
def _read(path: str) -> pd.DataFrame:
    """Read one CSV file with its types set (cached by path)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot be read ({exc})") from None
    frame = frame.rename(columns=_RENAME)
    try:
        frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
        for column in [*COUNTS, "n_contributors"]:
            if column in frame:
                frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    except (KeyError, ValueError, TypeError) as exc:
        raise DataError(f"{path}: unexpected content ({exc})") from None
    return frame


def clear_cache() -> None:
    """Forget the files read so far (after the files or ``$PPSIM_DATA`` changed)."""
    _read.cache_clear()
