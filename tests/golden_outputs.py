"""Stored model outputs for the tiny scenario, compared exactly by ``tests/test_golden_model.py``.

Regenerate them (only when a change of the model's results is intended, and say so in the commit
message) with::

    python3 tasks.py golden
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "tests" / "data" / "tiny.yaml"
GOLDEN = ROOT / "tests" / "golden" / "model"
CASES = (("base", 0), ("quota", 1))
"""(variant, replication) pairs stored: the base and a lever, on different random streams."""
TABLES = ("monthly", "outcomes", "targets", "contributors", "pipeline")


def render(variant: str, replication: int) -> dict[str, str]:
    """The stored tables of one case as CSV text (floats at full precision)."""
    import sim

    tables = sim.simulate(sim.load_scenario(SCENARIO).resolve(variant), replication)
    return {name: tables[name].to_csv(index=False, float_format="%.17g") for name in TABLES}


def path(variant: str, replication: int, table: str) -> Path:
    """Where one stored table lives."""
    return GOLDEN / f"{variant}-{replication}-{table}.csv"


def main() -> None:
    """Write every stored table anew."""
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for variant, replication in CASES:
        for table, text in render(variant, replication).items():
            path(variant, replication, table).write_text(text)
            print(f"wrote {path(variant, replication, table).relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
