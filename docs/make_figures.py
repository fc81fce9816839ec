"""Regenerate the README's figures from a fresh comparison of the bundled baseline.

    python3 tasks.py figures      # or: .venv/bin/python docs/make_figures.py [--replications N]

Runs ``ppsim compare scenarios/baseline.yaml`` (base, women_first, action_plan) into a
temporary folder and copies three of its standard figures into ``docs/figures/``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ("deployed", "women_share", "differences")


def main() -> None:
    """Run the comparison and copy its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    target = ROOT / "docs" / "figures"
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        result = sim.compare(ROOT / "scenarios" / "baseline.yaml",
                             variants=["women_first", "action_plan"],
                             replications=args.replications, workers=args.workers,
                             out=Path(tmp) / "compare")
        for name in FIGURES:
            shutil.copyfile(result.path / "plots" / f"{name}.png", target / f"{name}.png")
            print(f"wrote docs/figures/{name}.png")


if __name__ == "__main__":
    main()
