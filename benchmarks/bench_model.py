"""Benchmark one replication of a scenario against a bare SimPy event loop.

Prints the SimPy events the model processed, wall and CPU time, events per second, and the
same figures for a bare SimPy loop (processes that only yield timeouts) processing the same
number of events in the same run, and the ratio of the two rates: the model's overhead per
event over SimPy's own, and which model ran (compiled or the Python sources: see
``sim/model/native.py``; ``PPSIM_NATIVE=0`` measures the sources). Targets (issue 12): one
10-year baseline replication in ≤ 0.4 s of CPU, ≤ 3× the bare loop's time per event.

    python benchmarks/bench_model.py [SCENARIO] [--replications N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import simpy

import sim
from sim.model import CHOICE
from sim.model.replication import (
    build_world,
    simulate,
    start_processes,
    target_points,
    tuned_collector,
)
from sim.model.streams import replication_seed
from sim.model.tables import tabulate

ROOT = Path(__file__).resolve().parent.parent


def bare_simpy(events: int, processes: int = 1000) -> tuple[float, float]:
    """Wall and CPU seconds for ``events`` timeouts spread over ``processes`` processes."""
    env = simpy.Environment()
    per = max(events // processes, 1)

    def proc(env: simpy.Environment, k: int):
        for i in range(per):
            yield env.timeout(1.0 + (k * 7 + i) % 13)

    for k in range(processes):
        env.process(proc(env, k))
    wall, cpu = time.perf_counter(), time.process_time()
    env.run()
    return time.perf_counter() - wall, time.process_time() - cpu


def timed_replication(scenario: sim.Scenario, replication: int) -> tuple[int, float, float]:
    """(events, CPU seconds of the event loop, CPU seconds to tabulate) of one replication."""
    with tuned_collector():  # as in simulate()
        world = build_world(scenario, replication_seed(scenario.run.seed, replication))
        cpu = time.process_time()
        start_processes(world)
        env = world.env
        events = 0
        while env.peek() < world.horizon:
            env.step()
            events += 1
        loop = time.process_time() - cpu
    costs = scenario.costs
    cpu = time.process_time()
    tabulate(world.observer.record(), (costs.ipo_officer_month, costs.fpu_officer_month,
                                       costs.spt_officer_month), target_points(scenario))
    return events, loop, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = ROOT / "scenarios" / "baseline.yaml"
    parser.add_argument("scenario", nargs="?",
                        default=str(default if default.exists() else ROOT / "tests/data/tiny.yaml"))
    parser.add_argument("--replications", type=int, default=5)
    args = parser.parse_args()
    scenario = sim.load_scenario(args.scenario).base
    walls, cpus, runs = [], [], []
    for r in range(args.replications):
        wall, cpu = time.perf_counter(), time.process_time()
        simulate(scenario, r)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        runs.append(timed_replication(scenario, r))
    events = int(statistics.median(e for e, _, _ in runs))
    loop_cpu = statistics.median(loop for _, loop, _ in runs)
    table_cpu = statistics.median(tab for _, _, tab in runs)
    rate = statistics.median(e / loop for e, loop, _ in runs)
    _, bare_cpu = bare_simpy(events)
    print(f"scenario            {args.scenario} ({scenario.run.years:g} years, "
          f"{len(scenario.contributors)} contributors, {len(scenario.missions)} missions)")
    print(f"replications        {args.replications}")
    print(f"model               {'compiled' if CHOICE.compiled else 'Python sources'} "
          f"({CHOICE.reason})")
    print(f"simulate() wall     median {statistics.median(walls):.3f} s "
          f"(min {min(walls):.3f}, max {max(walls):.3f})")
    print(f"simulate() CPU      median {statistics.median(cpus):.3f} s  (target ≤ 0.4 s), "
          f"mean {statistics.mean(cpus):.3f} s, max {max(cpus):.3f} s")
    print(f"events processed    {events:,} (median over replications)")
    print(f"model event loop    {loop_cpu:.3f} s CPU, {rate:,.0f} events/s")
    print(f"tables              {table_cpu:.3f} s CPU to tabulate")
    print(f"bare SimPy loop     {bare_cpu:.3f} s CPU, {events / bare_cpu:,.0f} events/s "
          f"(same number of timeouts, same run)")
    print(f"ratio               {(events / bare_cpu) / rate:.1f}× the bare loop's time per event "
          "(target ≤ 3×)")


if __name__ == "__main__":
    main()
