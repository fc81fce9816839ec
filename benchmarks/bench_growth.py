"""Benchmark how one replication's cost grows with the horizon and with the size of the system.

Horizon: the baseline scenario run for 5, 10, 20 and 40 years. Size: every authorized strength
(individual posts, formed units, specialist posts, the officers and units serving at the start)
and every pool (police strength, formed-unit capacity, ceilings) and the assessment teams
multiplied by 2, 4 and 8, through key-path overrides of the raw scenario (as ``set:`` in a
variant would). For each, prints the median CPU time of a replication, the SimPy events, the
CPU per event and the share of the time spent in CPython's cyclic garbage collector; then the
fitted exponent b of cost ∝ factor^b (least squares on logs). Linear growth is b ≈ 1; a b
clearly above 1 means something superlinear (a scan over all officers, the collector).

    python benchmarks/bench_growth.py [--replications N] [--horizons 5,10,20,40]
        [--sizes 1,2,4,8]      (an empty list skips that series)
"""

from __future__ import annotations

import argparse
import copy
import gc
import math
import os
import statistics
import time
from pathlib import Path
from typing import Any

import sim
from sim.model.replication import build_world, start_processes, tuned_collector
from sim.model.streams import replication_seed
from sim.model.tables import tabulate
from sim.scenario.keypaths import get_path, set_path
from sim.scenario.schema import read_yaml

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
FPU_CAPACITY_LIMIT = 100
"""The schema's largest ``fpu_capacity`` (units one contributor can field): at ×8 the two
largest contributors of formed units (16 and 14 units) stop there, at 100 instead of 128/112."""


class CollectorClock:
    """CPU seconds spent inside CPython's cyclic garbage collector (via ``gc.callbacks``)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def __call__(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            self.seconds += time.process_time() - self._start


def _scale_owners(mission: str, owners: dict[str, Any], times: Any) -> None:
    """Scale the observed owners of a data-built mission's initial staffing too."""
    for owner, counts in owners.items():
        for field in ("ipo", "ipo_women", "fpu_units", "fpu_officers", "fpu_women"):
            if counts.get(field) is not None:
                times(f"missions.{mission}.initial.by_contributor.{owner}.{field}")


def scaled(raw: dict[str, Any], factor: int) -> dict[str, Any]:
    """Overrides {key path: value} that multiply strengths, pools and capacity by ``factor``."""
    overrides: dict[str, Any] = {}

    def times(path: str, cap: int | None = None) -> None:
        value = round(get_path(raw, path) * factor)
        overrides[path] = value if cap is None else min(value, cap)

    for m in raw["missions"]:
        name = m["name"]
        for field in ("ipo_posts", "fpu_units"):
            for day in m.get(field, {}):
                times(f"missions.{name}.{field}.{day}")
        for skill in m.get("specialist_posts", {}):
            times(f"missions.{name}.specialist_posts.{skill}")
        initial = m.get("initial", {})
        for field in ("ipo", "fpu_units"):
            if field in initial:
                times(f"missions.{name}.initial.{field}")
        for skill in initial.get("specialists", {}):
            times(f"missions.{name}.initial.specialists.{skill}")
        _scale_owners(name, initial.get("by_contributor", {}), times)
    for c in raw["contributors"]:
        for field in ("police_strength", "fpu_capacity", "ceiling"):
            if c.get(field) is not None:
                times(f"contributors.{c['name']}.{field}",
                      FPU_CAPACITY_LIMIT if field == "fpu_capacity" else None)
    times("pipeline.assessment.teams")
    return overrides


def measure(scenario: sim.Scenario, replications: int) -> tuple[float, int, float]:
    """(median CPU s, median events, median collector share) of whole replications."""
    cpus, events, shares = [], [], []
    for r in range(replications):
        clock = CollectorClock()
        gc.callbacks.append(clock)
        try:
            start = time.process_time()
            with tuned_collector():  # as in simulate()
                world = build_world(scenario, replication_seed(scenario.run.seed, r))
                start_processes(world)
                env, n = world.env, 0
                while env.peek() < world.horizon:
                    env.step()
                    n += 1
            costs = scenario.costs
            tabulate(world.observer.record(), (costs.ipo_officer_month,
                                               costs.fpu_officer_month,
                                               costs.spt_officer_month), [])
            cpu = time.process_time() - start
        finally:
            gc.callbacks.remove(clock)
        del world
        cpus.append(cpu)
        events.append(n)
        shares.append(clock.seconds / cpu if cpu > 0 else 0.0)
    return statistics.median(cpus), int(statistics.median(events)), statistics.median(shares)


def exponent(factors: list[float], costs: list[float]) -> float:
    """Least-squares slope of log(cost) on log(factor)."""
    xs, ys = [math.log(f) for f in factors], [math.log(c) for c in costs]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs)


def series(label: str, factors: list[int], scenarios: list[sim.Scenario],
           replications: int) -> None:
    """Print one row per factor and the fitted exponents of CPU and events."""
    print(f"\n{label:<10}{'CPU s':>9}{'events':>11}{'µs/event':>10}{'GC share':>10}")
    cpus, events = [], []
    for factor, scenario in zip(factors, scenarios, strict=True):
        cpu, n, share = measure(scenario, replications)
        cpus.append(cpu)
        events.append(n)
        print(f"{factor:<10}{cpu:>9.2f}{n:>11,}{cpu / n * 1e6:>10.1f}{share:>10.1%}", flush=True)
    print(f"exponent  CPU ∝ {label}^{exponent(factors, cpus):.2f}, "
          f"events ∝ {label}^{exponent(factors, events):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--horizons", default="5,10,20,40")
    parser.add_argument("--sizes", default="1,2,4,8")
    args = parser.parse_args()
    raw = read_yaml(BASELINE)
    raw.pop("variants", None)  # only the base is measured (variants' own posts would not scale)
    print(f"baseline scenario; median of {args.replications} replications; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    if args.horizons:
        horizons = [int(y) for y in args.horizons.split(",")]
        by_years = []
        for years in horizons:
            data = copy.deepcopy(raw)
            set_path(data, "run.years", years)
            by_years.append(sim.load_scenario(data).base)
        series("years", horizons, by_years, args.replications)
    if args.sizes:
        sizes = [int(k) for k in args.sizes.split(",")]
        by_size = []
        for k in sizes:
            data = copy.deepcopy(raw)
            for path, value in scaled(raw, k).items():
                set_path(data, path, value)
            by_size.append(sim.load_scenario(data).base)
        series("size", sizes, by_size, args.replications)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
