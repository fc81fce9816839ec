"""Warnings about scenarios that validate but cannot work, and levers that cannot act.

Validation (:mod:`sim.scenario.schema`) refuses what is malformed; these checks flag what is
well formed but pointless or impossible: a mission that starts after the run ends, a working
language no contributor speaks, more formed units authorized than contributors can field,
specialist posts for a skill no contributor has, and levers that can have no effect in this
scenario (a roster without skill-coded calls, a standing capacity no surge ever calls, a gender
rule every contributor already meets, a lever scoped to no mission …).

Every check is a pure function of a validated :class:`~sim.scenario.schema.Scenario` returning
:class:`Finding` objects that name the key path (in the ``set:`` syntax of variants:
``missions.MINUSCA.fpu_units``, ``policies.2``). ``ppsim check`` prints them (and exits non-zero
with ``--strict``); ``run`` and ``compare`` print them before running. Schema layer: no numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sim.scenario.levers import (
    AssessmentCapacity,
    GenderBalancedUnits,
    Lever,
    NewContributorOutreach,
    SkillCodedCalls,
    SpecialistRoster,
    SpecializedTeams,
    StandingCapacity,
    WomenOutreach,
)
from sim.scenario.schema import BASE, LoadedScenario, Mission, Scenario

Kind = Literal["cannot work", "inert lever"]


@dataclass(frozen=True)
class Finding:
    """One warning: where (a key path), what is wrong, and which kind of problem it is."""

    path: str
    message: str
    kind: Kind = "cannot work"

    def __str__(self) -> str:
        """``path: message``."""
        return f"{self.path}: {self.message}"


# --- dates --------------------------------------------------------------------------------------


def simulated_from(s: Scenario) -> date:
    """First simulated day: the start less the warm-up (levers may act during the warm-up)."""
    return s.run.start - timedelta(days=round(s.warmup_days))


def ipo_posts_on(m: Mission, day: date) -> int:
    """Individual-officer posts authorized at ``m`` on ``day`` (0 outside its mandate)."""
    if day < m.start or (m.end is not None and day >= m.end):
        return 0
    steps = [count for when, count in sorted(m.ipo_posts.items()) if when <= day]
    return steps[-1] if steps else 0


def fpu_units_on(m: Mission, day: date) -> int:
    """Formed units authorized at ``m`` on ``day`` (0 outside its mandate)."""
    if day < m.start or (m.end is not None and day >= m.end):
        return 0
    steps = [count for when, count in sorted(m.fpu_units.items()) if when <= day]
    return steps[-1] if steps else 0


def ipo_step_ups(s: Scenario) -> list[tuple[date, str]]:
    """(day, mission) of every rise in authorized individual posts inside the simulated period.

    These are the surges that call a standing capacity (a mission's start counts as one).
    """
    first, end = simulated_from(s), s.end
    out = []
    for m in s.missions:
        for day in sorted({m.start, *m.ipo_posts}):
            if first < day < end and ipo_posts_on(m, day) > ipo_posts_on(m, day - timedelta(1)):
                out.append((day, m.name))
    return sorted(out)


# --- scenarios that cannot work -----------------------------------------------------------------


def missions_outside_the_run(s: Scenario) -> list[Finding]:
    """Missions whose mandate lies wholly before or after the simulated period."""
    out = []
    for m in s.missions:
        if m.start >= s.end:
            out.append(Finding(f"missions.{m.name}.start", f"got {m.start}, on or after the "
                               f"run's end ({s.end}): the mission is never simulated"))
        if m.end is not None and m.end <= simulated_from(s):
            out.append(Finding(f"missions.{m.name}.end", f"got {m.end}, before the run starts "
                               f"({simulated_from(s)}): the mission is over before anything "
                               "is simulated"))
    return out


def languages_nobody_speaks(s: Scenario) -> list[Finding]:
    """Missions whose working languages no contributor speaks."""
    spoken = sorted({lang for c in s.contributors for lang in c.languages})
    return [
        Finding(f"missions.{m.name}.languages",
                f"got {m.languages}, but no contributor speaks any of them (contributors speak "
                f"{', '.join(spoken)}): every nominee passes assessment at "
                f"pipeline.assessment.language_pass_factor "
                f"({s.pipeline.assessment.language_pass_factor:g}) × its pass rate")
        for m in s.missions
        if m.languages and not set(m.languages) & set(spoken)
    ]


def formed_units_beyond_capacity(s: Scenario) -> list[Finding]:
    """More formed units authorized at once than all contributors can field."""
    days = sorted({simulated_from(s), *(d for m in s.missions for d in (m.start, *m.fpu_units))})
    days = [d for d in days if simulated_from(s) <= d < s.end]
    if not days:
        return []
    demand = {d: sum(fpu_units_on(m, d) for m in s.missions) for d in days}
    peak_day = max(days, key=lambda d: (demand[d], -d.toordinal()))
    extra = max((getattr(p, "extra_fpu_capacity", 0) for p in s.policies), default=0)
    capacity = sum(c.fpu_capacity + (extra if c.fpu_capacity or extra else 0)
                   for c in s.contributors)
    if demand[peak_day] <= capacity:
        return []
    return [Finding("missions.*.fpu_units",
                    f"{demand[peak_day]} formed units authorized at once (on {peak_day}) but "
                    f"contributors can field {capacity} in all (sum of contributors.*."
                    f"fpu_capacity{' with reimbursement' if extra else ''}): at least "
                    f"{demand[peak_day] - capacity} units stay vacant")]


def skills_nobody_has(s: Scenario) -> list[Finding]:
    """Specialist posts or teams for a skill that no contributor's pool holds."""
    held = {skill for c in s.contributors for skill, share in c.skills.items() if share > 0}
    out = []
    for m in s.missions:
        for skill, posts in m.specialist_posts.items():
            if posts > 0 and skill not in held:
                out.append(Finding(f"missions.{m.name}.specialist_posts.{skill}",
                                   f"{posts} posts, but no contributor has skill {skill!r} "
                                   f"(contributors.*.skills.{skill} is 0 or absent): they are "
                                   "never filled by a specialist"))
        for j, team in enumerate(m.teams):
            if team.skill not in held:
                out.append(Finding(f"missions.{m.name}.teams.{j}.skill",
                                   f"got {team.skill!r}, a skill no contributor has: the team "
                                   "is never generated"))
    for i, lever in enumerate(s.policies):
        if isinstance(lever, SpecializedTeams) and lever.skill not in held:
            out.append(Finding(f"policies.{i}.skill", f"got {lever.skill!r}, a skill no "
                               "contributor has: no team is ever generated", "inert lever"))
    return out


# --- levers that cannot act ---------------------------------------------------------------------


def _lever(i: int, lever: Lever, message: str) -> Finding:
    name = getattr(lever, "lever", type(lever).__name__)
    return Finding(f"policies.{i}", f"{name}: {message}", "inert lever")


def levers_out_of_time_or_place(s: Scenario) -> list[Finding]:
    """Levers that start after the run, or are scoped to no mission still open at their start."""
    out = []
    for i, lever in enumerate(s.policies):
        if lever.start is not None and lever.start >= s.end:
            out.append(_lever(i, lever, f"starts {lever.start}, on or after the run's end "
                                        f"({s.end}): it never acts"))
            continue
        if lever.missions is None:
            continue
        if not lever.mission_scoped:
            out.append(_lever(i, lever, f"missions: {lever.missions} is ignored: this lever "
                                        "acts on contributors or the whole pipeline, so on "
                                        "every mission"))
            continue
        if not lever.missions:
            out.append(_lever(i, lever, "missions: [] names no mission, so it applies nowhere "
                                        "(leave missions out to apply it everywhere)"))
            continue
        begins = max(lever.start or simulated_from(s), simulated_from(s))
        named = [m for m in s.missions if m.name in lever.missions]
        if named and all(m.end is not None and m.end <= begins for m in named):
            out.append(_lever(i, lever, f"every mission it names ({', '.join(lever.missions)}) "
                                        f"has ended by its start ({begins})"))
    return out


def rosters_and_coded_calls(s: Scenario) -> list[Finding]:
    """A specialist roster without skill-coded calls; coded calls without specialist posts."""
    out = []
    coded = [p for p in s.policies if isinstance(p, SkillCodedCalls)]
    coded_skills = {k for p in coded for k in (p.skills or s.skills)}
    has_posts = any(n > 0 for m in s.missions for n in m.specialist_posts.values())
    for i, lever in enumerate(s.policies):
        if isinstance(lever, SpecialistRoster):
            skills = set(lever.skills or s.skills)
            if not skills & coded_skills:
                out.append(_lever(i, lever, "acts only on skill-coded calls, and no "
                                            "skill_coded_calls lever codes its skills: add one "
                                            "(as in a variant's policies) or it does nothing"))
        if isinstance(lever, SkillCodedCalls) and not has_posts:
            out.append(_lever(i, lever, "no mission has specialist_posts to code"))
    return out


def standing_capacity_triggers(s: Scenario) -> list[Finding]:
    """A standing capacity that no surge calls (only the last such lever is used)."""
    out = []
    standing = [(i, p) for i, p in enumerate(s.policies) if isinstance(p, StandingCapacity)]
    for i, lever in standing[:-1]:
        out.append(_lever(i, lever, f"replaced by the later standing_capacity (policies."
                                    f"{standing[-1][0]}): only the last one is used"))
    if standing:
        i, lever = standing[-1]
        begins = lever.start or simulated_from(s)
        surges = [(d, m) for d, m in ipo_step_ups(s) if d >= begins]
        if lever.size > 0 and not surges and lever.vacancy_trigger is None:
            out.append(_lever(i, lever, f"deploys only when a mission starts or its ipo_posts "
                                        f"step up, and none does between {begins} and the "
                                        f"run's end ({s.end}): it never deploys (set "
                                        f"vacancy_trigger to support existing missions)"))
    return out


def gender_rules(s: Scenario) -> list[Finding]:
    """Gender-balanced-unit rules with nothing to act on."""
    out = []
    fielding = [c for c in s.contributors if c.fpu_capacity > 0]
    units = any(n > 0 for m in s.missions for n in m.fpu_units.values())
    for i, lever in enumerate(s.policies):
        if not isinstance(lever, GenderBalancedUnits):
            continue
        if not units or not fielding:
            out.append(_lever(i, lever, "no mission authorizes formed units (or no contributor "
                                        "has fpu_capacity)"))
            continue
        meets = [c for c in fielding if c.fpu_women_share >= lever.min_women_share]
        if not lever.funded and len(meets) == len(fielding):
            out.append(_lever(i, lever, f"unfunded, and every contributor with formed units "
                                        f"already has fpu_women_share ≥ "
                                        f"{lever.min_women_share:g}: it only tops up units "
                                        "drawn below the minimum"))
        elif not lever.funded and not meets:
            out.append(_lever(i, lever, f"unfunded, and no contributor has fpu_women_share ≥ "
                                        f"{lever.min_women_share:g}: all are down-weighted alike "
                                        "and no minimum applies, so it changes nothing"))
    return out


def other_inert_levers(s: Scenario) -> list[Finding]:
    """Outreach nobody qualifies for, no newcomers, assessment teams as in the pipeline."""
    out = []
    for i, lever in enumerate(s.policies):
        if isinstance(lever, WomenOutreach) and not any(
                c.women_share >= lever.min_home_women_share for c in s.contributors):
            out.append(_lever(i, lever, f"no contributor's women_share reaches "
                                        f"{lever.min_home_women_share:g}"))
        if isinstance(lever, NewContributorOutreach) and (
                lever.joining_rate_per_year == 0 or lever.max_new == 0):
            out.append(_lever(i, lever, "joining_rate_per_year or max_new is 0: nobody joins"))
        if isinstance(lever, AssessmentCapacity) and \
                lever.teams == s.pipeline.assessment.teams:
            out.append(_lever(i, lever, f"teams: {lever.teams} equals pipeline.assessment.teams"
                                        ": no change"))
    return out


CHECKS: tuple[Callable[[Scenario], list[Finding]], ...] = (
    missions_outside_the_run,
    languages_nobody_speaks,
    formed_units_beyond_capacity,
    skills_nobody_has,
    levers_out_of_time_or_place,
    rosters_and_coded_calls,
    standing_capacity_triggers,
    gender_rules,
    other_inert_levers,
)
"""Every check, in the order warnings are printed."""


def check_scenario(s: Scenario) -> list[Finding]:
    """Every warning about one resolved scenario."""
    return [finding for check in CHECKS for finding in check(s)]


def check_loaded(loaded: LoadedScenario, names: Iterable[str] | None = None) -> list[Finding]:
    """Warnings about the base and each variant, each problem reported once.

    A lever's warning names where the lever is written (``policies.0`` in the base,
    ``variants.women_first.policies.2`` in a variant, even when reached through ``extends``);
    other warnings of a variant are prefixed ``variants.NAME:``.
    """
    base = check_scenario(loaded.base)
    out = list(base)
    seen = {(f.path, f.message) for f in base}
    spec = loaded.raw.get("variants") or {}
    for name in names if names is not None else loaded.variants:
        if name == BASE:
            continue
        origins = _policy_origins(loaded, name, spec)
        for f in check_scenario(loaded.resolve(name)):
            finding = _placed(f, name, origins)
            key = (finding.path, f.message)
            if key not in seen and (f.path, f.message) not in seen:
                seen.add(key)
                out.append(finding)
    return out


def _policy_origins(loaded: LoadedScenario, name: str, spec: dict[str, Any]) -> list[str]:
    """Where each policy of variant ``name``'s resolved scenario is written in the file."""
    from sim.scenario.schema import Variant, variant_chain

    variants = {k: Variant.model_validate(v or {}) for k, v in spec.items()}
    origins = [f"policies.{k}" for k in range(len(loaded.base.policies))]
    for step in variant_chain(name, variants):
        origins += [f"variants.{step}.policies.{k}" for k in range(len(variants[step].policies))]
    return origins


def _placed(f: Finding, name: str, origins: list[str]) -> Finding:
    """``f`` with its path moved to where the variant's lever (or value) is written."""
    head, _, rest = f.path.partition(".")
    if head == "policies" and rest.split(".")[0].isdigit():
        index, _, tail = rest.partition(".")
        origin = origins[int(index)] if int(index) < len(origins) else f.path
        path = origin + (f".{tail}" if tail else "")
        mine = origin.startswith(f"variants.{name}.")
        return Finding(path, f.message if mine else f"{f.message} (in variant {name})", f.kind)
    return Finding(f"variants.{name}: {f.path}", f.message, f.kind)


__all__ = ["CHECKS", "Finding", "check_loaded", "check_scenario"]
