"""ppsim: a discrete-event simulator of UN police peacekeeping staffing.

The public API that the CLI and notebooks share:

- :func:`load_scenario` validates a scenario file and its variants.
- :func:`simulate` runs one replication of one resolved scenario and returns its tables.
- :func:`run` runs replications of a variant (in parallel) and writes or returns the results.
- :func:`compare` runs variants with common random numbers and compares them with the base.
- :func:`sweep` runs a design of parameter points (grid, Latin hypercube, Sobol).
"""

from sim.errors import PpsimError, ScenarioError
from sim.experiment import compare, run
from sim.model import Decisions, simulate
from sim.results import RunResult
from sim.scenario import LoadedScenario, Scenario, load_scenario
from sim.sweep import sweep

__version__ = "0.1.0"

__all__ = ["Decisions", "LoadedScenario", "PpsimError", "RunResult", "Scenario",
           "ScenarioError", "__version__", "compare", "load_scenario", "run", "simulate", "sweep"]
