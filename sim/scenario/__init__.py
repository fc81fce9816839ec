"""The scenario layer: the schema users write, loading, variants and key paths.

Schema only: pydantic and YAML, no numpy, simpy or pandas, so checking a scenario is fast.
"""

from __future__ import annotations

from sim.lazy import exports

_EXPORTS = {
    "Scenario": "schema",
    "LoadedScenario": "schema",
    "load_scenario": "schema",
    "validate": "schema",
    "BASE": "schema",
    "LEVERS": "levers",
    "Policy": "levers",
    "Lever": "levers",
}


__getattr__ = exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
