"""What one replication's processes share: the world (environment, state, streams, decisions).

:class:`World` is built by :func:`sim.model.replication.build_world` and passed to every timing
process (:mod:`sim.model.pipeline`, :mod:`sim.model.units`, :mod:`sim.model.teams`);
:class:`Decisions` bundles the pure decision functions a researcher may replace.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any, Protocol

import numpy as np

from sim.model import casework, policies
from sim.model.assessment import AssessmentCentre
from sim.model.clock import ModelEnvironment
from sim.model.contributors import ContributorState
from sim.model.missions import MissionState
from sim.model.observe import Observer
from sim.model.policies import PolicyBook
from sim.model.streams import Streams
from sim.scenario.schema import Scenario

STANDING = "UN standing capacity"
"""Name of the pseudo-contributor that holds the UN's standing police capacity."""


@dataclass(frozen=True)
class DecisionContext:
    """Where and when a decision is taken, for decision functions that ask for it.

    A replacement decision function that declares a keyword parameter ``context`` receives one
    (the stock rules do not). Only what applies is set: ``select_candidates`` knows its mission
    but no contributor, ``extends_tour`` both.

    Attributes:
        day: simulation day (0 = ``run.start``; negative during the warm-up).
        date: the calendar date of ``day``.
        mission: the mission the decision is about, or None.
        contributor: the contributing country the decision is about, or None.
    """

    day: float
    date: date
    mission: str | None = None
    contributor: str | None = None


class SplitCall(Protocol):
    """``split_call(n, weights, rng) -> int array``: officers asked of each contributor."""

    def __call__(self, n: int, weights: np.ndarray, rng: np.random.Generator, /) -> Any:
        """Take the decision (may also declare ``context``: see :class:`Decisions`)."""


class AnsweredNominations(Protocol):
    """``answered_nominations(asked, propensity, headroom, rng) -> int``: nominees sent."""

    def __call__(self, asked: int, propensity: float, headroom: int,
                 rng: np.random.Generator, /) -> int:
        """Take the decision (may also declare ``context``: see :class:`Decisions`)."""


class NomineeWomen(Protocol):
    """``nominee_women(n, share, quota, rng) -> int``: women among ``n`` nominees."""

    def __call__(self, n: int, share: float, quota: float,
                 rng: np.random.Generator, /) -> int:
        """Take the decision (may also declare ``context``: see :class:`Decisions`)."""


class PassProbability(Protocol):
    """``pass_probability(pass_rate, speaks, language_factor, reduction) -> float``."""

    def __call__(self, pass_rate: float, speaks: bool, language_factor: float,
                 reduction: float, /) -> float:
        """Take the decision (may also declare ``context``: see :class:`Decisions`)."""


class SelectCandidates(Protocol):
    """``select_candidates(candidates, posts, women_first) -> indices`` of selected candidates.

    ``candidates`` are ``(waiting since day, is_woman)`` in roster order.
    """

    def __call__(self, candidates: list[tuple[float, bool]], posts: int,
                 women_first: bool, /) -> Sequence[int]:
        """Take the decision (may also declare ``context``: see :class:`Decisions`)."""


class ExtendsTour(Protocol):
    """``extends_tour(probability, rng) -> bool``: whether an officer extends the tour."""

    def __call__(self, probability: float, rng: np.random.Generator, /) -> bool:
        """Take the decision (may also declare ``context``: see :class:`Decisions`)."""


class UnitWomen(Protocol):
    """``unit_women(size, share, minimum, rng) -> int``: women in a new formed unit."""

    def __call__(self, size: int, share: float, minimum: float,
                 rng: np.random.Generator, /) -> int:
        """Take the decision (may also declare ``context``: see :class:`Decisions`)."""


class ChooseWeighted(Protocol):
    """``choose_weighted(weights, rng) -> index`` (-1 when every weight is 0)."""

    def __call__(self, weights: np.ndarray, rng: np.random.Generator, /) -> int:
        """Take the decision (may also declare ``context``: see :class:`Decisions`)."""


class ChooseCase(Protocol):
    """``choose_case(arrival days) -> index`` of the waiting case to work on next."""

    def __call__(self, arrived: list[float], /) -> int:
        """Take the decision (may also declare ``context``: see :class:`Decisions`)."""


class CaseSlots(Protocol):
    """``case_slots(specialists, shares, general, general_share, counterparts, experts)``.

    Returns the number of cases a desk can work on at once.
    """

    def __call__(self, specialists: list[int], shares: list[float], general: int,
                 general_share: float, counterparts: int, experts: int, /) -> int:
        """Take the decision (may also declare ``context``: see :class:`Decisions`)."""


class QueryHit(Protocol):
    """``query_hit(probability, draw) -> bool``: a database query finds a match."""

    def __call__(self, probability: float, draw: float, /) -> bool:
        """Take the decision (may also declare ``context``: see :class:`Decisions`)."""


class ClearanceProbability(Protocol):
    """``clearance_probability(base, hit_answered, gain) -> float`` of clearing a case."""

    def __call__(self, base: float, hit_answered: bool, gain: float, /) -> float:
        """Take the decision (may also declare ``context``: see :class:`Decisions`)."""


@dataclass(frozen=True)
class Decisions:
    """The model's decision functions (pure: state, settings and a random stream in, choice out).

    Each defaults to the stock rule in :mod:`sim.model.policies` (or :mod:`sim.model.casework`);
    pass replacements to :func:`simulate` to try another rule. A replacement takes the stock
    function's positional arguments (the Protocols above, e.g. :class:`SelectCandidates`);
    one that also declares a keyword parameter ``context`` receives a :class:`DecisionContext`
    (day, date, mission, contributor) as ``context=`` — detected once, when the
    ``Decisions`` is made, so the stock rules pay nothing for it.
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

    def __post_init__(self) -> None:
        """Note which functions ask for a :class:`DecisionContext` (not a field)."""
        object.__setattr__(self, "contextual", frozenset(
            name for name in decision_names() if _wants_context(getattr(self, name))))

    contextual: frozenset[str] = field(init=False, repr=False, compare=False,
                                       metadata={"not_a_decision": True})
    """Names of the decisions whose functions take ``context=`` (set on creation)."""


def decision_names() -> list[str]:
    """The names of the replaceable decisions, in :class:`Decisions` order."""
    return [f.name for f in fields(Decisions) if not f.metadata.get("not_a_decision")]


def _wants_context(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` declares a ``context`` parameter that can be passed by keyword."""
    try:
        parameter = inspect.signature(fn).parameters.get("context")
    except (TypeError, ValueError):  # builtins without a signature
        return False
    return parameter is not None and parameter.kind in (
        inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class PipelineSettings:
    """The pipeline settings the model reads on nearly every event, as plain numbers.

    Read once from the scenario, which does not change during a run (compiled, they are read
    without looking their names up in the pydantic models' dictionaries).
    """

    __slots__ = ("cool_down_days", "language_pass_factor", "quota_compliance",
                 "replacement_lead_days", "roster_expiry_days")

    def __init__(self, scenario: Scenario) -> None:
        pipeline = scenario.pipeline
        self.cool_down_days: float = pipeline.cool_down_days
        self.language_pass_factor: float = pipeline.assessment.language_pass_factor
        self.quota_compliance: float = pipeline.quota_compliance
        self.replacement_lead_days: float = pipeline.replacement_lead_days
        self.roster_expiry_days: float = pipeline.roster_expiry_days


@dataclass
class World:
    """Everything one replication's processes share (built by :func:`build_world`)."""

    env: ModelEnvironment
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
    check_invariants: bool = False
    """Whether every officer state change is followed by the invariant checks (debug mode)."""

    officer_log: list[tuple[Any, ...]] | None = None
    """One row per individual officer state change when asked (``simulate(officer_log=True)``)."""
    officers_logged: int = 0
    """Officers entered in the officer log so far (the next one's number)."""
    call_members: dict[int, tuple[float, float, int, list[ContributorState]]] = field(
        default_factory=dict)
    """Per mission index: (valid from, valid until, contributors then, who a call goes to)
    (:func:`sim.model.pipeline.call_members`)."""

    pipeline: PipelineSettings = field(init=False)
    """The scenario's pipeline settings read on nearly every event."""

    def __post_init__(self) -> None:
        """Look up once which decisions are called without a context (most are: the stock ones).

        Also reads the pipeline settings the model asks for on nearly every event.
        """
        self.pipeline = PipelineSettings(self.scenario)
        self._plain: dict[str, Callable[..., Any]] = {
            name: getattr(self.decisions, name) for name in decision_names()
            if name not in self.decisions.contextual}

    def decide(self, name: str, *args: Any, mission: str | None = None,
               contributor: str | None = None) -> Any:
        """Call the decision ``name`` with ``args`` (and a context if its function wants one)."""
        fn = self._plain.get(name)
        if fn is not None:
            return fn(*args)
        return getattr(self.decisions, name)(*args, context=self.context(mission, contributor))

    def context(self, mission: str | None = None,
                contributor: str | None = None) -> DecisionContext:
        """The :class:`DecisionContext` now, for ``mission`` and ``contributor``."""
        day = float(self.env.now)
        when = self.scenario.run.start + timedelta(days=int(np.floor(day)))
        return DecisionContext(day, when, mission, contributor)

    def rng(self, name: str, entity: str = "") -> np.random.Generator:
        """The named random stream (see :mod:`sim.model.streams`)."""
        return self.streams.get(name, entity)

    @property
    def members(self) -> list[ContributorState]:
        """Member states (every contributor but the UN's standing capacity)."""
        return [c for c in self.contributors if c is not self.standing]
