"""Benchmark parallel scaling: a run's wall time by worker count, efficiency, and its fixed cost.

For each worker count (``--workers 1,2,4``) runs ``sim.run`` of the scenario with
``--replications`` replications on local worker processes (and, with ``--dask``, on a Dask
LocalCluster of as many workers), all in the same invocation so the figures share the machine's
conditions. Prints per count: the wall time of the whole run, of its simulation phase, the sum of
the task times the workers reported, and the parallel efficiency against one worker in the same
invocation, ``wall(1) / (n × wall(n))``. Then the *fixed cost* of a run: the wall time of a
one-replication run minus that replication's own time (start-up of the workers and their imports,
the run folder, assembly and summaries), which every run pays whatever its size.

Efficiency is printed twice: of the whole run (the issue's figure, fixed cost included) and
beyond the fixed cost, ``(wall(1) − F) / (n × (wall(n) − F))`` with ``F`` the fixed cost measured
last (the issue's "efficiency beyond the fixed part").

``--project 4,8,16`` adds a *projection* (a model, not a measurement) for worker counts this
machine cannot run: from the first count's run it takes the start latency (sim.run's start to the
first task's end, less that task's time: the parent's preparation and a worker's start-up and
imports, which every worker pays at once), each task's time and the gap between consecutive
tasks on a worker (encoding, sending), the parent's CPU per task while tasks arrive (receiving
and storing; appending, in the assembly thread) and the time after the last task (assembly and
summaries); then it schedules the same tasks on ``n`` workers (each task to the first free
worker, in submission order; the parent receives one result at a time and its assembly thread
appends one at a time), and prints the projected wall time and efficiency, and the wall time's
parts: the start, the tasks' even share, the uneven end (the last worker's last task ends
after the even share: tasks are indivisible), the parent's lag behind the last result, and the
time after the last task. Of the time after the
last task, the parts the summaries hand to the workers (the bands' month chunks,
``Executor.map_local``) are spread over the ``n`` workers: each part as long as in the first
run, ``n`` at a time. It assumes ``n``
free cores besides the parent's, no memory-bandwidth contention and no contention for the
parent's GIL; the projection for the counts that were also measured is printed beside the
measurement, as a check of the model. With ``--dask`` the Dask LocalCluster is projected the
same way from its own first run (its start: the cluster's; its parent CPU per result: the
scheduler's and the client's too, since a local cluster's scheduler runs in the parent).
Each projection is followed by a ``one stage`` line: the same with the parent's receiving and
appending as one stage, as if all of its work per result held the interpreter lock (a
pessimistic bound: Arrow lets go of it while it encodes; the first line is the optimistic one).
"Beyond the fixed cost" uses the processes' ``F`` for both. A Dask row's efficiency is against
the cluster's own first run; since that run's tasks may be slower or faster than a process
worker's, its rows also print ``vs processes``: the efficiency against the processes' first run,
``wall_processes(1) / (n × wall_dask(n))``, the share of the one-process speed the cluster's
workers reach.

The runs above share one process, so only the first pays the parent's imports (the engine,
~0.15 s) and its first validation of a scenario (~0.06 s); a user's ``ppsim run`` pays them
every time. ``--cold 5`` measures that start too: five fresh processes each run one
replication on one worker, from before Python starts to the first result, less the task's
time; the projection is then also printed with their median start.

On a shared machine CPU contention distorts wall times: run it on a quiet machine and read the
load average it prints, or ``--repeat 3``: every count runs three times, interleaved (a change of
load then hits every count alike), and the run of median wall time is reported (and projected
from), with the range of the walls. Prints figures only; nothing passes or fails.

    python benchmarks/bench_scaling.py [SCENARIO] [--workers 1,2] [--replications N] [--dask]
        [--project 4,8,16] [--repeat 3] [--cold 5]
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@dataclass
class Timed:
    """One timed ``sim.run``: wall times, the task times, and when each task ended."""

    wall: float
    simulated: float
    task_sum: float
    tasks: list[float]
    """Each task's own time (``seconds`` in the manifest), in output order."""
    ends: list[float]
    """Seconds from the call to each task's arrival in the parent, in arrival order."""
    parent_cpu: float
    """The parent's CPU seconds per task while tasks arrive (first arrival to last), all threads."""
    assembly_cpu: float
    """Of it, the assembly thread's CPU seconds per task (manifest timings)."""
    parts: int = 0
    """Items the summaries handed to the workers after the last task (the bands' parts)."""
    parts_wall: float = 0.0
    """Wall seconds during which the workers had them (``Executor.map_local``, whichever
    thread handed them over)."""
    workers: int = 1
    """Worker processes of the run."""


def timed_run(scenario: Path, replications: int, executor: str, workers: int,
              out: Path) -> Timed:
    """Time one ``sim.run`` without figures."""
    import sim

    ends: list[float] = []
    cpu: list[float] = []

    def progress(finished: int, total: int) -> None:
        if finished:
            ends.append(time.perf_counter() - start)
        if finished in (1, total):
            cpu.append(time.process_time())

    from sim.experiments.executors import DaskExecutor, ProcessExecutor

    handed: list[tuple[int, float, float]] = []
    kinds: tuple[Any, ...] = (ProcessExecutor, DaskExecutor)
    map_locals = [kind.map_local for kind in kinds]

    def timed(map_local: Any) -> Any:
        def timed_map(self: Any, fn: Any, items: Any) -> Any:
            began = time.perf_counter()
            try:
                return map_local(self, fn, items)
            finally:
                handed.append((len(items), began, time.perf_counter()))
        return timed_map

    for kind, map_local in zip(kinds, map_locals, strict=True):
        kind.map_local = timed(map_local)
    try:
        start = time.perf_counter()
        result = sim.run(scenario, replications=replications, executor=executor,
                         workers=workers, out=out, plots=False, progress=progress)
        wall = time.perf_counter() - start
    finally:
        for kind, map_local in zip(kinds, map_locals, strict=True):
            kind.map_local = map_local
    timing = result.manifest["timings"]
    return Timed(wall, timing["simulation_seconds"], timing["task_seconds_sum"],
                 [t["seconds"] for t in timing["tasks"]], ends,
                 (cpu[-1] - cpu[0]) / max(len(ends) - 1, 1),
                 timing.get("assembly_thread_cpu_seconds", 0.0) / max(len(ends), 1),
                 sum(n for n, _, _ in handed), _covered([(a, b) for _, a, b in handed]), workers)


def _covered(spans: list[tuple[float, float]]) -> float:
    """Seconds during which at least one of the ``(start, end)`` spans runs (the summaries
    hand over the bands' and the outcomes' parts from two threads, at once)."""
    covered, reached = 0.0, -math.inf
    for start, end in sorted(spans):
        if end > reached:
            covered += end - max(start, reached)
            reached = end
    return covered


def components(reference: Timed) -> tuple[float, float, float, float, float]:
    """(start latency, gap between tasks on a worker, the parent's CPU per result outside and
    inside the assembly thread, time after the last task)."""
    tasks, ends = reference.tasks, reference.ends
    start = max(ends[0] - tasks[0], 0.0)
    gap = max((ends[-1] - ends[0] - sum(tasks[1:])) / max(len(tasks) - 1, 1), 0.0)
    receiving = max(reference.parent_cpu - reference.assembly_cpu, 0.0)
    return start, gap, receiving, reference.assembly_cpu, reference.wall - ends[-1]


def median_run(runs: list[Timed]) -> Timed:
    """The run of median wall time (the lower middle one of an even number)."""
    return sorted(runs, key=lambda t: t.wall)[(len(runs) - 1) // 2]


@dataclass
class Projected:
    """A projected run on ``n`` workers, as the parts of its wall time, one after another."""

    start: float
    """Until the workers' first tasks begin (the parent's preparation, the workers' imports)."""
    even: float
    """The tasks and gaps, shared evenly: their sum over ``n``."""
    uneven: float
    """Until the last worker's last task ends, beyond the even share (tasks are indivisible)."""
    pipeline: float
    """Until the parent has received and appended the last result."""
    after: float
    """After the last task: the summaries (their parts over ``n`` workers), the manifest."""

    @property
    def wall(self) -> float:
        return self.start + self.even + self.uneven + self.pipeline + self.after


def projection(reference: Timed, workers: int, start: float | None = None,
               one_stage: bool = False) -> Projected:
    """The same run on ``workers`` workers, by part (see the module docstring).

    The parent is a two-stage pipeline: receiving and storing each result (main threads), then
    appending it (the assembly thread), each stage one result at a time. Both stages need the
    interpreter lock for part of their work (Arrow lets go of it while it encodes), so this
    is optimistic when results come fast; ``one_stage`` makes them one stage instead, as if
    all of the parent's work held the lock (pessimistic). ``start``: another start latency
    than the reference run's (a fresh process's, :func:`cold_start`).
    """
    tasks = reference.tasks
    measured, gap, receiving, assembling, _ = components(reference)
    start = measured if start is None else start
    free = [start] * workers  # when each worker is next free
    heapq.heapify(free)
    finished = []
    for seconds in tasks:
        begin = heapq.heappop(free)
        end = begin + seconds + gap
        finished.append(end)
        heapq.heappush(free, end)
    received = appended = 0.0
    for end in sorted(finished):
        received = max(received, end) + receiving
        if one_stage:
            received += assembling
        appended = received if one_stage else max(appended, received) + assembling
    even = sum(tasks) / workers + gap * len(tasks) / workers
    last = max(finished)
    return Projected(start, even, last - start - even, max(received, appended) - last,
                     after_last_task(reference, workers))


def project(reference: Timed, workers: int) -> float:
    """Projected wall time of the same run on ``workers`` workers (:func:`projection`)."""
    return projection(reference, workers).wall


def after_last_task(reference: Timed, workers: int) -> float:
    """The time after the last task on ``workers`` workers: the reference run's, with the
    parts it handed to its workers (each ``parts_wall / parts`` long, ``reference_workers``
    at a time) spread over ``workers`` instead."""
    after = components(reference)[4]
    if reference.parts == 0:
        return after
    each = reference.parts_wall / math.ceil(reference.parts / reference.workers)
    return after - reference.parts_wall + each * math.ceil(reference.parts / workers)


def cold_start(scenario: Path, out: Path) -> float:
    """The start latency of a run in a fresh process, as ``ppsim run`` has it: from before
    Python starts to the first result, less that task's time (one replication, one worker)."""
    launched = time.time()
    child = subprocess.run([sys.executable, __file__, str(scenario), "--cold-child", str(out)],
                           capture_output=True, text=True, check=True)
    got = json.loads(child.stdout.strip().splitlines()[-1])
    return float(got["first_result"]) - launched - float(got["task"])


def _cold_child(scenario: Path, out: Path) -> None:
    """:func:`cold_start`'s process: one replication on one worker; prints when its result
    came (epoch seconds) and the task's own time."""
    import sim

    first: list[float] = []

    def progress(finished: int, total: int) -> None:
        if finished and not first:
            first.append(time.time())

    result = sim.run(scenario, replications=1, workers=1, out=out, plots=False,
                     progress=progress)
    task = result.manifest["timings"]["tasks"][0]["seconds"]
    print(json.dumps({"first_result": first[0], "task": task}))


def _children_cpu() -> float:
    """User + system CPU seconds of this process's finished children (the worker processes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def versus(runs: dict[tuple[str, int], Timed], executor: str, first: int, n: int,
           wall: float) -> str:
    """For a Dask row: its efficiency against the processes' first run (module docstring)."""
    if executor == "processes":
        return ""
    return f"  vs processes {runs['processes', first].wall * first / (n * wall):.0%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(BASELINE))
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--replications", type=int, default=16)
    parser.add_argument("--dask", action="store_true", help="also a Dask LocalCluster per count")
    parser.add_argument("--project", default="", help="worker counts to project (a model)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per count, interleaved; the median run is reported")
    parser.add_argument("--cold", type=int, default=0,
                        help="fresh processes whose start to measure (projected with it too)")
    parser.add_argument("--cold-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    scenario = Path(args.scenario)
    if args.cold_child is not None:
        _cold_child(scenario, args.cold_child)
        return
    counts = [int(w) for w in args.workers.split(",")]
    projected = [int(w) for w in args.project.split(",") if w]
    print(f"scenario {scenario.name}, {args.replications} replications per run; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        repeats: dict[tuple[str, int], list[Timed]] = {}
        executors = ["processes", "dask-local"] if args.dask else ["processes"]
        for r in range(args.repeat):  # interleaved: a change of load hits every count alike
            for executor in executors:
                for n in counts:
                    repeats.setdefault((executor, n), []).append(timed_run(
                        scenario, args.replications, executor, n,
                        Path(tmp) / f"{executor}-{n}-{r}"))
        runs = {k: median_run(v) for k, v in repeats.items()}
        cpu, children = time.process_time(), _children_cpu()
        one = timed_run(scenario, 1, "processes", 1, Path(tmp) / "one")
        cpu, children = time.process_time() - cpu, _children_cpu() - children
        colds = [cold_start(scenario, Path(tmp) / f"cold-{i}") for i in range(args.cold)]
    fixed = one.wall - one.task_sum
    print(f"{'executor':<12}{'workers':>8}{'wall s':>9}{'sim s':>9}{'task s sum':>12}"
          f"{'efficiency':>12}{'beyond F':>10}{'projected s':>13}")
    for executor in executors:
        first = runs[executor, counts[0]]
        for n in counts:
            run = runs[executor, n]
            whole = first.wall * counts[0] / (n * run.wall)
            beyond = (first.wall - fixed) * counts[0] / (n * (run.wall - fixed))
            guess = f"{project(first, n):>13.2f}" if n != counts[0] else f"{'':>13}"
            walls = sorted(t.wall for t in repeats[executor, n])
            spread = f"  (walls {walls[0]:.2f}–{walls[-1]:.2f} s)" if len(walls) > 1 else ""
            print(f"{executor:<12}{n:>8}{run.wall:>9.2f}{run.simulated:>9.2f}"
                  f"{run.task_sum:>12.2f}{whole:>12.0%}{beyond:>10.0%}{guess}{spread}"
                  f"{versus(runs, executor, counts[0], n, run.wall)}")
    for executor in executors if projected else ():
        first = runs[executor, counts[0]]
        start, gap, receiving, assembling, after = components(first)
        print(f"{executor} projected from the {counts[0]}-worker run (a model: n free cores, "
              f"see the docstring): start {start:.2f} s, task "
              f"{sum(first.tasks) / len(first.tasks):.3f} s + gap {gap:.3f} s on a worker, "
              f"parent CPU per result {1000 * receiving:.1f} ms receiving + "
              f"{1000 * assembling:.1f} ms assembling, {after:.2f} s after the last task "
              f"({first.parts} parts handed to the workers, {first.parts_wall:.2f} s)")
        for n in projected:
            parts = projection(first, n)
            wall = parts.wall
            whole = first.wall * counts[0] / (n * wall)
            beyond = (first.wall - fixed) * counts[0] / (n * (wall - fixed))
            print(f"{'projection':<12}{n:>8}{wall:>9.2f}{'':>9}{'':>12}{whole:>12.0%}"
                  f"{beyond:>10.0%}   (start {parts.start:.2f} + tasks {parts.even:.2f} + "
                  f"uneven end {parts.uneven:.2f} + parent {parts.pipeline:.2f} + after the "
                  f"last task {parts.after:.2f} s)"
                  f"{versus(runs, executor, counts[0], n, wall)}")
            locked = projection(first, n, one_stage=True)
            print(f"{'  one stage':<12}{n:>8}{locked.wall:>9.2f}{'':>9}{'':>12}"
                  f"{first.wall * counts[0] / (n * locked.wall):>12.0%}"
                  f"{(first.wall - fixed) * counts[0] / (n * (locked.wall - fixed)):>10.0%}"
                  f"   (the parent's receiving and appending as one stage: parent "
                  f"{locked.pipeline:.2f} s)"
                  f"{versus(runs, executor, counts[0], n, locked.wall)}")
    if projected and colds:
        first = runs["processes", counts[0]]
        cold = statistics.median(colds)
        print(f"processes with a fresh process's start (as `ppsim run`; median of "
              f"{len(colds)}: {cold:.2f} s, range {min(colds):.2f}–{max(colds):.2f} s):")
        for n in projected:
            wall = projection(first, n, start=cold).wall
            print(f"{'projection':<12}{n:>8}{wall:>9.2f}{'':>9}{'':>12}"
                  f"{first.wall * counts[0] / (n * wall):>12.0%}"
                  f"{(first.wall - fixed) * counts[0] / (n * (wall - fixed)):>10.0%}")
    print(f"fixed cost F of a run (1 replication, 1 worker): {fixed:.2f} s "
          f"(wall {one.wall:.2f} s − task {one.task_sum:.2f} s); CPU: parent {cpu:.2f} s, "
          f"worker {children:.2f} s in all (its imports and the one replication)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
