"""Benchmark experiments: replications per second by executor, and parent memory by run size.

Throughput: the baseline scenario (``scenarios/baseline.yaml``, or the tiny test scenario until
it exists) run with 1 and 2 local worker processes and on a 2-worker Dask LocalCluster. For each,
prints the wall time of the whole ``sim.run`` (start-up, simulation, assembly and summaries), the
simulation phase alone, replications per second of the simulation phase, and the parallel
efficiency ``rate(2) / (2 × rate(1))``.

Memory: the peak resident set size of the *parent* process (the one that writes the run folder
and computes the summaries) and of the largest *worker* process, for runs of 100 and 1,000
(``--sizes 100,1000,10000`` for more) replications of the tiny scenario, each in a fresh
interpreter. Flat is the target: task results stream to disk, the summaries read the tables in
bounded chunks, and a worker keeps nothing between tasks.

Prints figures only; nothing passes or fails.

    python benchmarks/bench_experiment.py [--replications N] [--sizes 100,1000]
        [--skip-memory] [--skip-throughput]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TINY = ROOT / "tests" / "data" / "tiny.yaml"

MEMORY_PROBE = """
import json, sys, time


def status(field):
    # VmHWM is this process's peak RSS (ru_maxrss would include the parent's before exec).
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024


import sim

before = status("VmHWM")
start = time.perf_counter()
result = sim.run(sys.argv[1], replications=int(sys.argv[2]), workers=2, out=sys.argv[3])
# each task reports its worker's VmHWM so far (ru_maxrss of children would count the parent's
# memory before exec); the largest over the run is the workers' peak
workers_mb = max(t["worker_peak_rss_mb"] for t in result.manifest["timings"]["tasks"])
print(json.dumps({"after_import_mb": before, "peak_mb": status("VmHWM"),
                  "worker_peak_mb": workers_mb,
                  "seconds": time.perf_counter() - start,
                  "monthly_rows": result.manifest["tables"]["monthly"]}))
"""


def throughput(scenario: Path, replications: int, workdir: Path) -> None:
    """Replications per second at 1 and 2 local processes and on a Dask LocalCluster."""
    import sim

    print(f"scenario: {scenario.relative_to(ROOT)}, {replications} replications per run, "
          f"{os.cpu_count()} CPUs")
    print(f"{'executor':<22}{'wall s':>9}{'sim s':>9}{'reps/s':>9}{'task s (mean)':>15}")
    rates: dict[str, float] = {}
    for label, executor, workers in (("processes, 1 worker", "processes", 1),
                                     ("processes, 2 workers", "processes", 2),
                                     ("dask-local, 2 workers", "dask-local", 2)):
        start = time.perf_counter()
        result = sim.run(scenario, replications=replications, executor=executor,
                         workers=workers, out=workdir / label.replace(" ", "").replace(",", "-"))
        wall = time.perf_counter() - start
        timing = result.manifest["timings"]
        simulated = timing["simulation_seconds"]
        rates[label] = replications / simulated
        per_task = timing["task_seconds_sum"] / replications
        print(f"{label:<22}{wall:>9.2f}{simulated:>9.2f}{rates[label]:>9.2f}{per_task:>15.3f}")
    one, two = rates["processes, 1 worker"], rates["processes, 2 workers"]
    print(f"parallel efficiency, 2 processes vs 1: {two / (2 * one):.0%} "
          f"(speed-up {two / one:.2f}×); Dask vs 2 processes: "
          f"{rates['dask-local, 2 workers'] / two:.0%}")


def memory(sizes: list[int], workdir: Path) -> None:
    """Peak parent memory for runs of each size of the tiny scenario, in fresh interpreters."""
    print("\npeak RSS (VmHWM) of the parent and the largest worker, tiny scenario, 2 worker"
          " processes, fresh interpreter each")
    print(f"{'replications':>12}{'monthly rows':>14}{'after import MB':>17}{'parent MB':>11}"
          f"{'worker MB':>11}{'wall s':>9}")
    for n in sizes:
        out = workdir / f"memory-{n}"
        proc = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(TINY), str(n), str(out)],
                              cwd=ROOT, capture_output=True, text=True, check=True)
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{n:>12}{figures['monthly_rows']:>14,}{figures['after_import_mb']:>17.0f}"
              f"{figures['peak_mb']:>11.0f}{figures['worker_peak_mb']:>11.0f}"
              f"{figures['seconds']:>9.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=None,
                        help="replications per throughput run (default 16 baseline, 40 tiny)")
    parser.add_argument("--sizes", default="100,1000", help="replication counts for memory")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    scenario = BASELINE if BASELINE.exists() else TINY
    replications = args.replications or (16 if scenario == BASELINE else 40)
    with tempfile.TemporaryDirectory(prefix="ppsim-bench-") as tmp:
        if not args.skip_throughput:
            throughput(scenario, replications, Path(tmp))
        if not args.skip_memory:
            memory([int(s) for s in args.sizes.split(",")], Path(tmp))


if __name__ == "__main__":
    main()
