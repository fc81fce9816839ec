"""Hash the CSV of every output table of one replication, for many scenarios and variants.

A performance change must leave every table byte-identical. Run this before and after the change
and compare the two files (``--compare``): any differing hash names the scenario, variant,
replication and table that changed.

    python benchmarks/table_hashes.py --out before.json
    python benchmarks/table_hashes.py --compare before.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("scenarios/baseline.yaml", "scenarios/historical.yaml",
             "scenarios/growth_1999_2009.yaml", "tests/data/tiny.yaml", "tests/data/levers.yaml")


def table_hashes(path: Path, replications: int) -> dict[str, str]:
    """``{"variant/replication/table": sha256 of the table's CSV}`` for every variant of ``path``.

    The base variant's first replication also logs officers, so the ``officers`` table is hashed.
    """
    loaded = sim.load_scenario(path)
    hashes = {}
    for variant in loaded.names:
        scenario = loaded.resolve(variant)
        for r in range(replications):
            log = variant == loaded.names[0] and r == 0
            tables = sim.simulate(scenario, r, officer_log=log)
            for name, frame in sorted(tables.items()):
                digest = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
                hashes[f"{path.name}/{variant}/{r}/{name}"] = digest
    return hashes


def main() -> int:
    """Print or compare the hashes; exit 1 when any differs from ``--compare``'s file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args()
    hashes: dict[str, str] = {}
    for name in SCENARIOS:
        if (ROOT / name).exists():
            hashes.update(table_hashes(ROOT / name, args.replications))
    if args.out:
        args.out.write_text(json.dumps(hashes, indent=1, sort_keys=True))
    print(f"{len(hashes)} tables hashed")
    if args.compare is None:
        return 0
    expected = json.loads(args.compare.read_text())
    differ = sorted(k for k in expected.keys() | hashes.keys() if expected.get(k) != hashes.get(k))
    for key in differ:
        print("DIFFERS", key)
    print(f"{len(differ)} of {len(expected)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
