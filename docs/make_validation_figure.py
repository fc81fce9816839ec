"""Regenerate the README's observed-vs-simulated figure from a run of the historical scenario.

    .venv/bin/python docs/make_validation_figure.py [--replications N] [--workers N]

Runs ``ppsim run scenarios/historical.yaml`` (2009-2024; observations are the record's
Decembers 2009-2016, the calibration window) into a temporary folder and copies its
``plots/validation.png`` to ``docs/figures/historical_validation.png``; prints the check.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import pandas as pd

import sim

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Run the historical scenario and copy its validation figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    target = ROOT / "docs" / "figures"
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        result = sim.run(ROOT / "scenarios" / "historical.yaml",
                         replications=args.replications, workers=args.workers,
                         out=Path(tmp) / "historical")
        shutil.copyfile(result.path / "plots" / "validation.png",
                        target / "historical_validation.png")
        metrics = pd.read_csv(result.path / "summary" / "validation_by_category.csv")
        print(metrics.to_string(index=False))
        print("wrote docs/figures/historical_validation.png")


if __name__ == "__main__":
    main()
