"""ppsim: a discrete-event simulator of UN police peacekeeping staffing.

The public API that the CLI and notebooks share (imported lazily, so ``import sim`` is instant):

- :func:`load_scenario` validates a scenario file and its variants.
- :func:`simulate` runs one replication of one resolved scenario and returns its tables.
- :func:`run` runs replications of a variant (in parallel) and writes or returns the results.
- :func:`compare` runs variants with common random numbers and compares them with the base.
- :func:`sweep` runs a design of parameter points (grid, Latin hypercube, Sobol).
- :func:`calibrate` fits chosen parameters to the observed record (:mod:`sim.data`).

Layers, each a sub-package importing only those below it (checked by an import-linter contract
in the tests): ``sim.experiments`` → ``sim.outputs`` → ``sim.runs`` | ``sim.model`` →
``sim.scenario`` | ``sim.data`` → ``sim.errors``.
"""

from __future__ import annotations

from sim.errors import PpsimError, ScenarioError
from sim.lazy import exports
from sim.memory import prefer_system_pool

prefer_system_pool()  # before anything imports pyarrow (see sim.memory)

__version__ = "0.1.0"

_EXPORTS = {
    "DecisionContext": "sim.model.world",
    "Decisions": "sim.model.world",
    "LoadedScenario": "sim.scenario.schema",
    "RunResult": "sim.runs.folder",
    "Scenario": "sim.scenario.schema",
    "calibrate": "sim.experiments.calibration",
    "compare": "sim.experiments.api",
    "load_scenario": "sim.scenario.schema",
    "run": "sim.experiments.api",
    "simulate": "sim.model.replication",
    "sweep": "sim.experiments.sweep",
}


__getattr__ = exports(__name__, _EXPORTS)


def __dir__() -> list[str]:
    """Public names, including those not imported yet."""
    return sorted([*globals(), *_EXPORTS])


__all__ = ["PpsimError", "ScenarioError", "__version__", *sorted(_EXPORTS)]
