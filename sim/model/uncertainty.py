"""Sampling a scenario's uncertain parameters for one replication (common random numbers).

:func:`sample_parameters` draws one value per ``uncertainties`` entry
(:mod:`sim.scenario.uncertainty`) from the stream ``("uncertainty", path)`` of the replication's
seed sequence. That seed depends on the root seed and the replication number only, never on the
variant, the executor or the worker, so every variant of a scenario runs replication ``r`` in the
same sampled future, and a run gives the same draws at any worker count. Each path has its own
stream: adding an uncertainty never shifts the draws of another, nor of any model process.

Truncated distributions (normal, lognormal) are drawn by inverting the CDF between the bounds'
CDF values, so one uniform number gives one draw (no rejection loop whose length varies).
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from sim import arrays
from sim.model.columns import column
from sim.model.streams import Streams
from sim.scenario.keypaths import apply_overrides, get_path
from sim.scenario.schema import Scenario
from sim.scenario.uncertainty import Uncertainty, cast_like

STREAM = "uncertainty"
"""Stream name of parameter draws (the entity is the key path)."""


def draw(entry: Uncertainty, rng: np.random.Generator) -> float:
    """One value of ``entry``'s distribution, within ``[low, high]``."""
    u = float(rng.random())
    low, high = entry.low, entry.high
    if high == low:
        return low
    if entry.distribution == "uniform":
        return low + u * (high - low)
    from scipy import stats  # only when needed: it is most of a worker's start-up (~0.5 s CPU)

    if entry.distribution == "triangular":
        assert entry.mode is not None
        c = (entry.mode - low) / (high - low)
        return float(stats.triang.ppf(u, c, loc=low, scale=high - low))
    if entry.distribution == "normal":
        assert entry.mean is not None and entry.sd is not None
        dist = stats.norm(entry.mean, entry.sd)
    else:
        assert entry.median is not None and entry.sigma is not None
        dist = stats.lognorm(entry.sigma, scale=entry.median)
    lo, hi = float(dist.cdf(low)), float(dist.cdf(high))
    if hi - lo <= 0:  # the bounds sit far in one tail: the nearer bound
        return low if lo >= 1 else high
    value = float(dist.ppf(lo + u * (hi - lo)))
    return min(max(value, low), high) if math.isfinite(value) else low


def sample_values(scenario: Scenario, streams: Streams) -> dict[str, float]:
    """The replication's raw draws by key path (before rounding integer fields)."""
    return {e.path: draw(e, streams.get(STREAM, e.path)) for e in scenario.uncertainties}


def sample_parameters(scenario: Scenario, seed: np.random.SeedSequence
                      ) -> tuple[Scenario, pa.Table]:
    """``scenario`` with its uncertain parameters drawn for one replication, and the draws.

    Returns:
        The scenario with every path set to its draw (rounded for integer fields; re-validated
        like a variant) and the ``parameters`` table: ``parameter`` (the key path), ``value``
        (as applied) and ``distribution``.
    """
    data = scenario.model_dump(mode="json")
    values = sample_values(scenario, Streams(seed))
    applied = {path: cast_like(get_path(data, path, "uncertainties"), value)
               for path, value in values.items()}
    sampled = Scenario.model_validate(apply_overrides(data, applied, "uncertainties"))
    table = pa.table({  # text as plain strings: pandas' object columns, not its str dtype
        "parameter": arrays.text(list(applied), pa.string()),
        "value": column(np.array([float(v) for v in applied.values()], dtype=float)),
        "distribution": arrays.text([e.distribution for e in scenario.uncertainties],
                                    pa.string()),
    })
    return sampled, table


__all__ = ["STREAM", "draw", "sample_parameters", "sample_values"]
