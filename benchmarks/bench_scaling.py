"""Benchmark parallel scaling: a run's wall time by worker count, efficiency, and its fixed cost.

For each worker count (``--workers 1,2,4``) runs ``sim.run`` of the scenario with
``--replications`` replications on local worker processes (and, with ``--dask``, on a Dask
LocalCluster of as many workers), all in the same invocation so the figures share the machine's
conditions. Prints per count: the wall time of the whole run, of its simulation phase, the sum of
the task times the workers reported, and the parallel efficiency against one worker in the same
invocation, ``wall(1) / (n × wall(n))``. Then the *fixed cost* of a run: the wall time of a
one-replication run minus that replication's own time (start-up of the workers and their imports,
the run folder, assembly and summaries), which every run pays whatever its size.

On a shared machine CPU contention distorts wall times: run it on a quiet machine and read the
load average it prints. Prints figures only; nothing passes or fails.

    python benchmarks/bench_scaling.py [SCENARIO] [--workers 1,2] [--replications N] [--dask]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def timed_run(scenario: Path, replications: int, executor: str, workers: int,
              out: Path) -> tuple[float, float, float]:
    """(wall s, simulation-phase s, sum of task s) of one ``sim.run`` without figures."""
    import sim

    start = time.perf_counter()
    result = sim.run(scenario, replications=replications, executor=executor, workers=workers,
                     out=out, plots=False)
    wall = time.perf_counter() - start
    timing = result.manifest["timings"]
    return wall, timing["simulation_seconds"], timing["task_seconds_sum"]


def _children_cpu() -> float:
    """User + system CPU seconds of this process's finished children (the worker processes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(BASELINE))
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--replications", type=int, default=16)
    parser.add_argument("--dask", action="store_true", help="also a Dask LocalCluster per count")
    args = parser.parse_args()
    scenario = Path(args.scenario)
    counts = [int(w) for w in args.workers.split(",")]
    print(f"scenario {scenario.name}, {args.replications} replications per run; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    print(f"{'executor':<12}{'workers':>8}{'wall s':>9}{'sim s':>9}{'task s sum':>12}"
          f"{'efficiency':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        base: dict[str, float] = {}
        executors = ["processes", "dask-local"] if args.dask else ["processes"]
        for executor in executors:
            for n in counts:
                wall, simulated, tasks = timed_run(scenario, args.replications, executor, n,
                                                   Path(tmp) / f"{executor}-{n}")
                base.setdefault(executor, wall * n)  # the first count is the reference
                reference = base[executor] / counts[0]
                efficiency = reference / (n * wall)
                print(f"{executor:<12}{n:>8}{wall:>9.2f}{simulated:>9.2f}{tasks:>12.2f}"
                      f"{efficiency:>12.0%}")
        cpu, children = time.process_time(), _children_cpu()
        wall, _, tasks = timed_run(scenario, 1, "processes", 1, Path(tmp) / "one")
        cpu, children = time.process_time() - cpu, _children_cpu() - children
        print(f"fixed cost of a run (1 replication, 1 worker): {wall - tasks:.2f} s "
              f"(wall {wall:.2f} s − task {tasks:.2f} s); CPU: parent {cpu:.2f} s, "
              f"worker {children:.2f} s in all (its imports and the one replication)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
