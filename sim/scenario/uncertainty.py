"""Parameter uncertainty: distributions over key paths, sampled once per replication.

A scenario's ``uncertainties`` section says what we do not know about its parameters::

    uncertainties:
      - path: pipeline.assessment.teams          # any numeric key path (sim.scenario.keypaths)
        distribution: triangular                 # uniform | triangular | normal | lognormal
        low: 3
        mode: 4
        high: 6
      - path: contributors.Senegal.ipo_propensity
        distribution: normal                     # truncated to [low, high]
        mean: 1.0
        sd: 0.2
        low: 0.5
        high: 1.5

Each replication draws one value per entry (:mod:`sim.model.uncertainty`) from its own named
stream, seeded by the root seed and the replication number only, so every variant of a scenario
sees the same sampled future in replication ``r`` (common random numbers across variants), and
the draws do not depend on the executor or the number of workers. The value replaces the one at
the key path (an integer field gets the rounded value) before the world is built; a variant
that sets the same path (``set:``) is overridden by the draw, so vary a path either by a
variant or by an uncertainty, not both.

This module is the schema and the load-time checks only (no numpy): every path must exist in the
base scenario and hold a number, and the scenario must stay valid at both ends of each range.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.errors import ParameterError, ScenarioError
from sim.scenario.keypaths import apply_overrides, get_path

Distribution = Literal["uniform", "triangular", "normal", "lognormal"]

REQUIRED: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd", "low", "high"),
    "lognormal": ("median", "sigma", "low", "high"),
}
"""Fields each distribution needs (normal and lognormal are truncated to ``[low, high]``)."""


class Uncertainty(BaseModel):
    """One uncertain parameter: a key path and the distribution of its value.

    ``low`` and ``high`` bound every draw (normal and lognormal are truncated to them);
    ``triangular`` peaks at ``mode``; ``normal`` has ``mean`` and ``sd``; ``lognormal`` has
    ``median`` (``exp(mu)``) and ``sigma`` (of the log).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    path: str = Field(..., min_length=1, description="Key path of a numeric scenario field.")
    distribution: Distribution = Field(..., description="Shape of the distribution.")
    low: float = Field(..., description="Smallest value drawn.")
    high: float = Field(..., description="Largest value drawn.")
    mode: float | None = Field(None, description="Peak of a triangular distribution.")
    mean: float | None = Field(None, description="Mean of a normal (before truncation).")
    sd: float | None = Field(None, gt=0, description="Standard deviation of a normal.")
    median: float | None = Field(None, gt=0, description="Median of a lognormal.")
    sigma: float | None = Field(None, gt=0, description="Standard deviation of a lognormal's log.")
    source: str = Field("", description="Where the range comes from (e.g. a calibration run).")

    @model_validator(mode="after")
    def _shape(self) -> Uncertainty:
        if not all(math.isfinite(v) for v in (self.low, self.high)):
            raise ValueError(f"low/high: got {self.low}, {self.high}, must be finite")
        if self.high < self.low:
            raise ValueError(f"high: got {self.high}, must be ≥ low ({self.low})")
        needed = REQUIRED[self.distribution]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.distribution} needs {', '.join(needed)}; missing: "
                             f"{', '.join(missing)}")
        extra = [name for name in ("mode", "mean", "sd", "median", "sigma")
                 if getattr(self, name) is not None and name not in needed]
        if extra:
            raise ValueError(f"{self.distribution} takes {', '.join(needed)}; got also: "
                             f"{', '.join(extra)}")
        if self.mode is not None and not self.low <= self.mode <= self.high:
            raise ValueError(f"mode: got {self.mode}, must be in [low, high] = "
                             f"[{self.low}, {self.high}]")
        if self.distribution == "lognormal" and self.low < 0:
            raise ValueError(f"low: got {self.low}, a lognormal needs low ≥ 0")
        return self


def is_number(value: Any) -> bool:
    """Whether ``value`` is an int or float (not a bool, not text)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def cast_like(current: Any, value: float) -> int | float:
    """``value`` as the type of the field it replaces: rounded for an integer field."""
    return round(value) if isinstance(current, int) else float(value)


def check_uncertainties(data: dict[str, Any], uncertainties: list[Uncertainty],
                        validate: Callable[[dict[str, Any]], Any]) -> list[str]:
    """Problems with ``uncertainties`` given the validated scenario's ``data`` (its JSON dump).

    Each path must exist and hold a number, appear once, and keep the scenario valid at
    ``low`` and at ``high`` (``validate`` raises on an invalid scenario).
    """
    problems: list[str] = []
    seen: set[str] = set()
    for i, entry in enumerate(uncertainties):
        where = f"uncertainties[{i}].path"
        if entry.path in seen:
            problems.append(f"{where}: got {entry.path!r} twice; give each path one distribution")
            continue
        seen.add(entry.path)
        try:
            current = get_path(data, entry.path, where)
        except ParameterError as exc:
            problems.append(str(exc))
            continue
        if not is_number(current):
            problems.append(f"{where}: got {entry.path!r}, which holds {current!r}; an "
                            "uncertainty needs a numeric field")
            continue
        for end in (entry.low, entry.high):
            changed = apply_overrides(data, {entry.path: cast_like(current, end)}, where)
            try:
                validate(changed)
            except ScenarioError as exc:
                detail = exc.problems
                problems.append(f"uncertainties[{i}]: the scenario is invalid at {entry.path} "
                                f"= {end}: {'; '.join(detail)}")
                break
    return problems


__all__ = ["REQUIRED", "Distribution", "Uncertainty", "cast_like", "check_uncertainties",
           "is_number"]
