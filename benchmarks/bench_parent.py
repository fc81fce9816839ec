"""Benchmark the parent process of a run: its memory, its serial work, and a run's fixed cost.

The parent (the process that calls ``sim.run``) receives every task (local workers store their
task files themselves), assembles the tables in a fixed order and writes the summaries; workers
simulate (and, after the last task, compute the bands' parts). So the parent's work
per replication bounds how many workers can help (Amdahl), and its memory must not grow with
the number of replications. Each measurement is a fresh interpreter running ``sim.run`` of the
tiny test scenario (``tests/data/tiny.yaml``, 0.1–0.2 s per replication) without figures:

1. **memory** (``--sizes``, default 100 and 1,000; add 10000 for the issue's figure, ~15 min
   on 2 busy cores): peak RSS of the parent (``VmHWM``) and of the largest worker (its
   ``VmHWM``, read as the workers are shut down: after the bands' parts they compute once the
   last task is in), and the parent's CPU during and after the
   simulation;
2. **fixed cost**: a 1-replication run on 1 worker: wall time of ``sim.run`` minus the
   replication's own time, and the CPU of the parent and of the worker;
3. **scaling** (``--workers``, default 1,2): ``--replications`` tiny replications per count,
   wall time and efficiency ``wall(1) / (n × wall(n))`` against the first count, same run;
4. **Amdahl**: from the largest memory run less the fixed-cost run, the parent's CPU per
   replication while tasks arrive (receiving, storing and assembling them as they come: caps
   how many workers one parent can feed) and after the last task (the rest of the assembly,
   summaries: serial), against a worker's CPU per replication; the implied efficiency at 16
   workers.

On a shared machine CPU contention distorts wall times: read the load average it prints.
Prints figures only; nothing passes or fails.

    python benchmarks/bench_parent.py [--sizes 100,1000,10000] [--workers 1,2] [--replications N]
        [--scenario scenarios/baseline.yaml --sizes 20,80 --skip-scaling]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny.yaml"

PROBE = """
import json, resource, sys, time

def peak_mb():
    # VmHWM is this process's own peak RSS (ru_maxrss would include the parent's before exec).
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")

start_cpu = time.process_time()
import sim.experiments.api as api
imported_cpu = time.process_time()
marks = {}

def workers_peak_mb():
    # The workers' own peak RSS, read while they are alive (ru_maxrss of RUSAGE_CHILDREN
    # would count the parent's memory at the fork that starts each worker).
    import os
    peaks = [0.0]
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except (OSError, ValueError):
            continue
        if fields.get("PPid", "").strip() != str(os.getpid()) or "VmHWM" not in fields:
            continue
        try:  # a worker, not a forked helper (git, run for the manifest), which starts with
            with open(f"/proc/{entry}/cmdline", "rb") as command:  # this process's pages
                arguments = command.read().split(b"\\0")
        except OSError:
            continue
        if not any(a.startswith(b"from multiprocessing.spawn import") for a in arguments):
            continue
        peaks.append(int(fields["VmHWM"].split()[0]) / 1024)
    return max(peaks)

def progress(finished, total):
    if finished == total:
        marks["simulated_cpu"] = time.process_time()
        marks["simulated_wall"] = time.perf_counter()
        marks["worker_peak_mb"] = workers_peak_mb()

# After the last task the workers compute the bands' parts; their peak is read again just
# before they are shut down.
from sim.experiments.executors import ProcessExecutor
close_pool = ProcessExecutor.close

def close(self):
    marks["worker_peak_end_mb"] = workers_peak_mb()
    close_pool(self)

ProcessExecutor.close = close

wall = time.perf_counter()
result = api.run(sys.argv[1], replications=int(sys.argv[2]), workers=int(sys.argv[3]),
                 out=sys.argv[4], plots=False, progress=progress)
end_wall, end_cpu = time.perf_counter(), time.process_time()
children = resource.getrusage(resource.RUSAGE_CHILDREN)
timing = result.manifest["timings"]
print(json.dumps({
    "parent_peak_mb": peak_mb(),
    "worker_peak_mb": max(marks["worker_peak_mb"], marks.get("worker_peak_end_mb", 0.0)),
    "import_cpu": imported_cpu - start_cpu,
    "cpu_until_simulated": marks["simulated_cpu"] - imported_cpu,
    "cpu_after_simulated": end_cpu - marks["simulated_cpu"],
    "wall": end_wall - wall, "wall_after_simulated": end_wall - marks["simulated_wall"],
    "worker_cpu": children.ru_utime + children.ru_stime,
    "task_seconds_sum": timing["task_seconds_sum"],
    "simulation_seconds": timing["simulation_seconds"],
}))
"""


SCENARIO = [TINY]
"""The scenario every probe runs (``--scenario``; the tiny test scenario by default)."""


def probe(replications: int, workers: int, out: Path) -> dict[str, float]:
    """One ``sim.run`` of the scenario in a fresh interpreter; its figures."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE, str(SCENARIO[0]), str(replications),
                           str(workers), str(out)], check=True, capture_output=True, text=True,
                          env=env, cwd=ROOT)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def memory(sizes: list[int], tmp: Path) -> dict[str, float]:
    """Peak RSS and parent CPU by run size (2 workers); returns the largest run's figures."""
    print(f"{'replications':>12}{'parent MB':>11}{'worker MB':>11}{'parent CPU s':>14}"
          f"{'(during':>9}{'after)':>8}{'wall s':>9}")
    largest: dict[str, float] = {}
    for n in sizes:
        f = probe(n, 2, tmp / f"memory-{n}")
        cpu = f["cpu_until_simulated"] + f["cpu_after_simulated"]
        print(f"{n:>12,}{f['parent_peak_mb']:>11.0f}{f['worker_peak_mb']:>11.0f}{cpu:>14.2f}"
              f"{f['cpu_until_simulated']:>9.2f}{f['cpu_after_simulated']:>8.2f}"
              f"{f['wall']:>9.1f}")
        largest = {**f, "replications": n}
    return largest


def fixed_cost(tmp: Path) -> dict[str, float]:
    """A 1-replication, 1-worker run: what every run pays whatever its size."""
    f = probe(1, 1, tmp / "fixed")
    print(f"fixed cost (1 replication, 1 worker): {f['wall'] - f['task_seconds_sum']:.2f} s "
          f"(sim.run wall {f['wall']:.2f} s − the replication {f['task_seconds_sum']:.2f} s); "
          f"of it after the last task {f['wall_after_simulated']:.2f} s; CPU: parent "
          f"{f['cpu_until_simulated'] + f['cpu_after_simulated']:.2f} s (+ {f['import_cpu']:.2f}"
          f" s importing sim.experiments.api), worker {f['worker_cpu']:.2f} s (start-up, "
          "imports and the replication)")
    return f


def scaling(counts: list[int], replications: int, tmp: Path) -> None:
    """Wall time and efficiency against the first worker count, same invocation."""
    print(f"{'workers':>8}{'wall s':>9}{'sim s':>8}{'efficiency':>12}  ({replications} "
          "replications each)")
    reference = 0.0
    for n in counts:
        f = probe(replications, n, tmp / f"workers-{n}")
        reference = reference or f["wall"] * counts[0]
        print(f"{n:>8}{f['wall']:>9.2f}{f['simulation_seconds']:>8.2f}"
              f"{reference / (n * f['wall']):>12.0%}")


def amdahl(f: dict[str, float], fixed: dict[str, float]) -> None:
    """The parent's serial work per replication (beyond the fixed cost) and the speed-up.

    CPU seconds, not wall (a loaded machine stretches wall times): a worker's CPU per
    replication (its start-up included, spread), the parent's CPU per replication while tasks
    arrive and after the last one, each less the 1-replication run's.
    """
    n = f["replications"]
    task = f["worker_cpu"] / n
    during = (f["cpu_until_simulated"] - fixed["cpu_until_simulated"]) / (n - 1)
    after = max((f["cpu_after_simulated"] - fixed["cpu_after_simulated"]) / (n - 1), 1e-9)
    serial = after / (task + after)
    at16 = 1 / (serial + (1 - serial) / 16)
    keeps_up = task / max(during, 1e-9)
    print(f"per replication ({n:,.0f} replications of {SCENARIO[0].stem}, CPU): worker "
          f"{1000 * task:.1f} ms; parent while tasks arrive {1000 * during:.2f} ms (receive, "
          f"store, assemble: one parent keeps up with ~{keeps_up:,.0f} workers); parent after "
          f"the last task {1000 * after:.2f} ms (serial: {serial:.1%} of the work, Amdahl "
          f"speed-up ≤ {1 / serial:,.0f}×; at 16 workers ≤ {at16:.1f}×, efficiency ≤ "
          f"{min(at16 / 16, keeps_up / 16):.0%} counting the parent's pace)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000", help="replication counts for memory")
    parser.add_argument("--workers", default="1,2", help="worker counts for scaling")
    parser.add_argument("--replications", type=int, default=100, help="per scaling run")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--scenario", type=Path, default=TINY,
                        help="scenario to run (default: the tiny test scenario)")
    args = parser.parse_args()
    SCENARIO[0] = args.scenario.resolve()
    print(f"{args.scenario.stem} scenario; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        fixed = fixed_cost(tmp)
        largest = memory([int(s) for s in args.sizes.split(",")], tmp)
        amdahl(largest, fixed)
        if not args.skip_scaling:
            scaling([int(w) for w in args.workers.split(",")], args.replications, tmp)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
