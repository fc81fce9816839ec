"""What one replication's processes share: the world (environment, state, streams, decisions).

:class:`World` is built by :func:`sim.model.replication.build_world` and passed to every timing
process (:mod:`sim.model.pipeline`, :mod:`sim.model.units`, :mod:`sim.model.teams`);
:class:`Decisions` bundles the pure decision functions a researcher may replace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from sim.model import casework, policies
from sim.model.assessment import AssessmentCentre
from sim.model.contributors import ContributorState
from sim.model.missions import MissionState
from sim.model.observe import Observer
from sim.model.policies import PolicyBook
from sim.model.streams import Streams
from sim.scenario.schema import Scenario

STANDING = "UN standing capacity"
"""Name of the pseudo-contributor that holds the UN's standing police capacity."""


@dataclass(frozen=True)
class Decisions:
    """The model's decision functions (pure: state, settings and a random stream in, choice out).

    Each defaults to the stock rule in :mod:`sim.model.policies`; pass replacements to
    :func:`simulate` to try another rule. Signatures must match the stock functions.
    """

    split_call: Callable[..., Any] = policies.split_call
    answered_nominations: Callable[..., Any] = policies.answered_nominations
    nominee_women: Callable[..., Any] = policies.nominee_women
    pass_probability: Callable[..., Any] = policies.pass_probability
    select_candidates: Callable[..., Any] = policies.select_candidates
    extends_tour: Callable[..., Any] = policies.extends_tour
    unit_women: Callable[..., Any] = policies.unit_women
    choose_weighted: Callable[..., Any] = policies.choose_weighted
    choose_case: Callable[..., Any] = casework.choose_case
    case_slots: Callable[..., Any] = casework.case_slots
    query_hit: Callable[..., Any] = casework.query_hit
    clearance_probability: Callable[..., Any] = casework.clearance_probability


@dataclass
class World:
    """Everything one replication's processes share (built by :func:`build_world`)."""

    env: simpy.Environment
    scenario: Scenario
    streams: Streams
    policies: PolicyBook
    decisions: Decisions
    observer: Observer
    contributors: list[ContributorState]
    missions: list[MissionState]
    horizon: float
    standing: ContributorState
    assessment: AssessmentCentre = field(init=False)
    standby: list[Any] = field(default_factory=list)
    standing_lever: Any = None
    standing_months: float = 6.0
    events: Any = None
    """The scenario's events at run time (:class:`sim.model.events.EventBook`), or None."""
    casework: casework.CaseBook | None = None

    def rng(self, name: str, entity: str = "") -> np.random.Generator:
        """The named random stream (see :mod:`sim.model.streams`)."""
        return self.streams.get(name, entity)

    @property
    def members(self) -> list[ContributorState]:
        """Member states (every contributor but the UN's standing capacity)."""
        return [c for c in self.contributors if c is not self.standing]
