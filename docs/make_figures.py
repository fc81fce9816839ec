"""Regenerate the README's figures: a comparison of the baseline and the historical check.

    python3 tasks.py figures      # or: .venv/bin/python docs/make_figures.py [--replications N]
                                  #     [--only compare|historical]

Runs ``ppsim compare scenarios/baseline.yaml`` (base, women_first, action_plan) and ``ppsim run
scenarios/historical.yaml`` into a temporary folder and copies their figures into
``docs/figures/`` (three standard figures and ``historical_validation.png``); prints the
historical validation table.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import pandas as pd

import sim

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ("deployed", "women_share", "differences")


def comparison_figures(target: Path, replications: int, workers: int | None) -> None:
    """Compare the baseline with two variants and copy three of its standard figures."""
    with tempfile.TemporaryDirectory() as tmp:
        result = sim.compare(ROOT / "scenarios" / "baseline.yaml",
                             variants=["women_first", "action_plan"],
                             replications=replications, workers=workers,
                             out=Path(tmp) / "compare")
        for name in FIGURES:
            shutil.copyfile(result.path / "plots" / f"{name}.png", target / f"{name}.png")
            print(f"wrote docs/figures/{name}.png")


def historical_figure(target: Path, replications: int, workers: int | None) -> None:
    """Run the historical scenario, copy its validation figure and print its error table."""
    with tempfile.TemporaryDirectory() as tmp:
        result = sim.run(ROOT / "scenarios" / "historical.yaml",
                         replications=replications, workers=workers,
                         out=Path(tmp) / "historical")
        shutil.copyfile(result.path / "plots" / "validation.png",
                        target / "historical_validation.png")
        metrics = pd.read_csv(result.path / "summary" / "validation_by_category.csv")
        print(metrics.to_string(index=False))
        print("wrote docs/figures/historical_validation.png")


def main() -> None:
    """Run the comparison and the historical check and copy their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--only", choices=["compare", "historical"])
    args = parser.parse_args()
    target = ROOT / "docs" / "figures"
    target.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "compare"):
        comparison_figures(target, args.replications, args.workers)
    if args.only in (None, "historical"):
        historical_figure(target, args.replications, args.workers)


if __name__ == "__main__":
    main()
