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


def lever_and_event_hashes(replications: int) -> dict[str, str]:
    """Hashes of each lever of ``tests/test_levers.py`` alone on ``tests/data/levers.yaml`` and
    each event of ``tests/test_events.py`` alone on the tiny scenario (the paths the scenario
    files do not take: outreach, gates, freezes, re-hatting, transfers, closures …)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import test_events
    import test_levers

    from sim.scenario.schema import apply_overrides, read_yaml

    cases: dict[str, dict] = {}
    for name, case in test_levers.CASES.items():
        raw = apply_overrides(read_yaml(test_levers.SCENARIO), dict(case.settings))
        raw["policies"] = [*case.with_levers, case.policy]
        cases[f"lever:{name}"] = raw
    for name in ("CUT", "FREEZE", "GATE", "REHAT", "TRANSFER", "CLOSURE"):
        raw = read_yaml(ROOT / "tests/data/tiny.yaml")
        raw["events"] = [getattr(test_events, name)]
        cases[f"event:{name.lower()}"] = raw
    hashes = {}
    for label, raw in cases.items():
        scenario = sim.load_scenario(raw).base
        for r in range(replications):
            for name, frame in sorted(sim.simulate(scenario, r).items()):
                digest = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
                hashes[f"{label}/{r}/{name}"] = digest
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
    hashes.update(lever_and_event_hashes(args.replications))
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
