"""ppsim: a discrete-event simulator of UN police peacekeeping staffing.

The public API that the CLI and notebooks share:

- :func:`load_scenario` validates a scenario file and its variants.
- :func:`simulate` runs one replication of one resolved scenario and returns its tables.
- :func:`run` runs replications of a variant (in parallel) and writes or returns the results.
"""

from sim.errors import PpsimError, ScenarioError
from sim.model import Decisions, simulate
from sim.scenario import LoadedScenario, Scenario, load_scenario

__version__ = "0.1.0"

__all__ = ["Decisions", "LoadedScenario", "PpsimError", "Scenario", "ScenarioError",
           "__version__", "load_scenario", "simulate"]
