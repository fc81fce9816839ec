"""Strict number types for scenario fields: no booleans, no infinities, no absurd magnitudes.

YAML reads ``true`` as a boolean and ``.inf``/``.nan`` as floats, and pydantic's lax mode would
take ``true`` for ``1``; here a boolean where a number is expected is an error, non-finite
floats are refused by the models' ``allow_inf_nan=False``, and every count has a ceiling
(:data:`MAX_COUNT`) so that ``10^400`` is a located message rather than an overflow deep in the
model. Fields with a tighter natural limit set their own ``le``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, ConfigDict, Field

MAX_COUNT = 10**9
"""Largest count any scenario field accepts (officers, posts, units, teams)."""

MAX_SEED = 2**63 - 1
"""Largest root seed (it must fit a signed 64-bit integer in tables and manifests)."""

MAX_REAL = 1e12
"""Largest magnitude of any real-valued field without its own limit (e.g. costs in USD)."""


def _no_bool(value: Any) -> Any:
    """Refuse ``true``/``false`` where a number is expected."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, not a boolean ({str(value).lower()})")
    return value


Count = Annotated[int, BeforeValidator(_no_bool), Field(le=MAX_COUNT)]
"""A whole number (officers, posts, units): booleans refused, at most :data:`MAX_COUNT`."""

Seed = Annotated[int, BeforeValidator(_no_bool), Field(le=MAX_SEED)]
"""A root seed: booleans refused, at most :data:`MAX_SEED`."""

Real = Annotated[float, BeforeValidator(_no_bool), Field(ge=-MAX_REAL, le=MAX_REAL)]
"""A finite real number: booleans refused, magnitude at most :data:`MAX_REAL`."""

SECTION = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)
"""Every scenario section's configuration: unknown keys are errors, objects are frozen,
infinities and NaN are refused, and validators are built only when a scenario is first
validated (a worker, which receives validated scenarios, never builds them: see
:class:`sim.scenario.schema.Model`)."""

M = TypeVar("M", bound=Mapping[Any, float])


def shares(value: M, where: str = "") -> M:
    """``value`` when each of its values is a share in [0, 1]; else a ValueError naming the key.

    For the validators of ``{key: share}`` fields; ``where`` prefixes the key in the message.
    """
    for key, share in value.items():
        if not 0 <= share <= 1:
            raise ValueError(f"{where}{key}: got {share}, must be in [0, 1]")
    return value


__all__ = ["MAX_COUNT", "MAX_REAL", "MAX_SEED", "SECTION", "Count", "Real", "Seed", "shares"]
