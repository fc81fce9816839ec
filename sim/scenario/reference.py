"""The scenario reference, generated from the schema: every field's type, default, range, meaning.

``docs/scenarios.md`` embeds :func:`fields_markdown` and :func:`levers_markdown` between
``<!-- generated: … -->`` markers (``python3 tasks.py docs`` rewrites them, and a test fails
when they differ), and ``ppsim levers`` prints :func:`lever_catalog`, so neither can drift from
the code. A field's ``json_schema_extra={"estimate": …}`` says how to estimate it.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sim.scenario import casework, events, schema, uncertainty
from sim.scenario.levers import Lever
from sim.scenario.types import MAX_REAL

SECTIONS: tuple[tuple[str, type[BaseModel]], ...] = (
    ("top level", schema.ScenarioFile),
    ("run", schema.RunSettings),
    ("pipeline", schema.Pipeline),
    ("pipeline.assessment", schema.Assessment),
    ("pipeline.units", schema.UnitPipeline),
    ("pipeline.teams", schema.TeamPipeline),
    ("delays (nomination_delay, travel_delay, generation_delay)", schema.Delay),
    ("contributors[]", schema.Contributor),
    ("missions[]", schema.Mission),
    ("missions[].initial", schema.InitialStaffing),
    ("missions[].initial.by_contributor.NAME", schema.InitialContribution),
    ("missions[].teams[]", schema.SpecializedTeam),
    ("costs", schema.Costs),
    ("observed[]", schema.Observation),
    ("variants.NAME", schema.Variant),
    ("events[].contingents[] (rehat)", events.Contingent),
    ("events[].order (contributors first)", events.ContributorsFirst),
    ("casework", casework.Casework),
    ("casework.areas.NAME", casework.CrimeArea),
    ("casework.missions.NAME", casework.MissionCasework),
    ("casework.feedback", casework.CaseworkFeedback),
    ("uncertainties[]", uncertainty.Uncertainty),
    ("calibration", schema.Calibration),
)
"""Each section of a scenario file, by where it sits, and its schema class."""

_BOUNDS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}


@dataclass(frozen=True)
class FieldDoc:
    """One field as the reference shows it."""

    name: str
    type: str
    default: str
    allowed: str
    meaning: str
    estimate: str


@dataclass(frozen=True)
class LeverDoc:
    """One action-plan lever: its name, one-line meaning, full description and fields."""

    name: str
    summary: str
    description: str
    fields: tuple[FieldDoc, ...]


def _plain(annotation: Any) -> str:
    """The annotation without pydantic metadata (``Annotated[float, …]`` reads ``float``)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated and "Union" not in repr(args[0]):
        return _plain(args[0])
    if origin in (Union, types.UnionType):
        return " | ".join(_plain(a) for a in args)
    if origin in (list, dict, tuple) and args:
        return f"{origin.__name__}[{', '.join(_plain(a) for a in args)}]"
    if annotation is type(None):
        return "None"
    return annotation.__name__ if isinstance(annotation, type) else repr(annotation)


def type_name(annotation: Any) -> str:
    """A short readable type: ``dict[date, int]``, ``list[str]``, ``float | None``."""
    text = _plain(annotation)
    text = re.sub(r"\b(?:[a-z_]+\.)+([A-Za-z_]+)", r"\1", text)
    if "BudgetCut" in text:
        return "list of events"
    text = re.sub(r"Annotated\[Union\[.*", "list of levers", text)
    text = text.replace("Literal[", "one of [").replace("NoneType", "None")
    return "list of levers" if "WomenNominationQuota" in text else text


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    factory = info.default_factory
    value = factory() if factory is not None else info.default  # type: ignore[call-arg]
    if value is None or value is PydanticUndefined or value == "":
        return "empty"
    if isinstance(value, BaseModel):
        return "see section" if value.model_fields_set == set() else str(value.model_dump())
    if isinstance(value, list | dict) and not value:
        return "empty"
    return str(value)


def _bounds(info: FieldInfo) -> list[tuple[str, Any]]:
    """The field's (bound, value) pairs, for the reference's "allowed" column.

    The generic ±MAX_REAL cap of ``Real`` is left out where the field has a tighter bound of
    its own on that side (``> 0, ≤ 50`` rather than ``> 0, ≤ 50, ≥ -1e+12, ≤ 1e+12``).
    """
    found = [(attr, value) for meta in info.metadata for attr in _BOUNDS
             if (value := getattr(meta, attr, None)) is not None]

    def is_cap(value: Any) -> bool:
        return isinstance(value, float) and abs(value) == MAX_REAL

    bounded = {attr[0] for attr, value in found if not is_cap(value)}  # "g" (≥, >), "l" (≤, <)
    return [(attr, value) for attr, value in found if not (is_cap(value) and attr[0] in bounded)]


def _allowed(info: FieldInfo) -> str:
    parts = []
    for attr, value in _bounds(info):
        sign = _BOUNDS[attr]
        parts.append(f"{sign} {value:g}" if isinstance(value, float) else f"{sign} {value}")
    for meta in info.metadata:
        pattern = getattr(meta, "pattern", None)
        if pattern:
            parts.append("no dots in the name")
        min_length = getattr(meta, "min_length", None)
        if min_length:
            parts.append(f"at least {min_length}")
    return ", ".join(parts)


def field_docs(model: type[BaseModel], skip: tuple[str, ...] = ()) -> list[FieldDoc]:
    """The fields of ``model`` in declaration order (``skip`` leaves some out)."""
    out = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        out.append(FieldDoc(name, type_name(info.annotation), _default(info), _allowed(info),
                            info.description or "", str(extra.get("estimate", ""))))
    return out


def lever_catalog() -> list[LeverDoc]:
    """Every lever (:data:`sim.scenario.levers.LEVERS` order) with its own fields first."""
    common = tuple(Lever.model_fields)
    out = []
    for cls in Lever.__subclasses__():
        doc = (cls.__doc__ or "").strip().replace("``", "`")
        summary = doc.split("\n\n")[0].replace("\n", " ")
        name = cls.model_fields["lever"].annotation.__args__[0]  # type: ignore[union-attr]
        fields = [*field_docs(cls, skip=("lever", *common)), *field_docs(Lever)]
        out.append(LeverDoc(name, summary, " ".join(doc.split()), tuple(fields)))
    return out


def event_catalog() -> list[LeverDoc]:
    """Every event type (:data:`sim.scenario.events.EVENT_TYPES` order) with its own fields."""
    common = tuple(events.Event.model_fields)
    out = []
    for name, cls in events.EVENT_TYPES.items():
        doc = (cls.__doc__ or "").strip().replace("``", "`")
        summary = doc.split("\n\n")[0].replace("\n", " ")
        fields = [*field_docs(cls, skip=("type", *common)), *field_docs(events.Event)]
        out.append(LeverDoc(name, summary, " ".join(doc.split()), tuple(fields)))
    return out


def events_markdown() -> str:
    """Markdown: each event type with its meaning and a table of its own fields."""
    lines = ["Every event also takes `start` (ISO date, required) and `note` (what happened and "
             "the source).", ""]
    common = set(events.Event.model_fields)
    for event in event_catalog():
        lines += [f"### `{event.name}`", "", event.description, "",
                  "| field | type | default | allowed | meaning |", "|---|---|---|---|---|"]
        for f in event.fields:
            if f.name not in common:
                lines.append(f"| `{f.name}` | {_cell(f.type)} | {_cell(f.default)} | "
                             f"{_cell(f.allowed)} | {_cell(f.meaning)} |")
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def fields_markdown() -> str:
    """Markdown tables of every scenario field, section by section."""
    lines = []
    for where, model in SECTIONS:
        lines += [f"### `{where}`", "", " ".join((model.__doc__ or "").split()), "",
                  "| field | type | default | allowed | meaning (unit) | how to estimate |",
                  "|---|---|---|---|---|---|"]
        for f in field_docs(model):
            lines.append(f"| `{f.name}` | {_cell(f.type)} | {_cell(f.default)} | "
                         f"{_cell(f.allowed)} | {_cell(f.meaning)} | {_cell(f.estimate)} |")
        lines.append("")
    return "\n".join(lines)


def levers_markdown() -> str:
    """Markdown: each lever with its meaning and a table of its own fields."""
    lines = ["Every lever also takes `start` (ISO date; empty = always) and `missions` (names; "
             "empty = every mission).", ""]
    common = set(Lever.model_fields)
    for lever in lever_catalog():
        lines += [f"### `{lever.name}`", "", lever.description, ""]
        own = [f for f in lever.fields if f.name not in common]
        if not own:
            lines += ["No fields besides `start` and `missions`.", ""]
            continue
        lines += ["| field | type | default | allowed | meaning |", "|---|---|---|---|---|"]
        for f in own:
            lines.append(f"| `{f.name}` | {_cell(f.type)} | {_cell(f.default)} | "
                         f"{_cell(f.allowed)} | {_cell(f.meaning)} |")
        lines.append("")
    return "\n".join(lines)


def example_markdown() -> str:
    """The starter scenario of ``ppsim init`` as a YAML code block."""
    from sim.scenario.starter import STARTER

    return f"```yaml\n{STARTER}```"


GENERATED = {"example": example_markdown, "fields": fields_markdown, "levers": levers_markdown,
             "events": events_markdown}
"""The generated blocks of ``docs/scenarios.md`` by marker name."""


def _filler(block: str) -> Callable[[re.Match[str]], str]:
    """A ``re.sub`` replacement that puts ``block`` between a marker pair."""
    def fill(match: re.Match[str]) -> str:
        return f"{match.group(1)}{block}\n{match.group(2)}"
    return fill


def render_doc(text: str) -> str:
    """``text`` with every ``<!-- generated: NAME -->`` … ``<!-- end -->`` block regenerated."""
    for name, make in GENERATED.items():
        pattern = re.compile(rf"(<!-- generated: {name} -->\n).*?(<!-- end {name} -->)", re.S)
        text = pattern.sub(_filler(make()), text)
    return text


def schema_text() -> str:
    """The JSON Schema of scenario files as written to ``scenarios/scenario.schema.json``."""
    import json

    return json.dumps(schema.schema_json(), indent=2, default=str) + "\n"


def main(root: str = ".") -> None:
    """Rewrite ``docs/scenarios.md``'s generated blocks and ``scenarios/scenario.schema.json``."""
    from pathlib import Path

    doc = Path(root) / "docs" / "scenarios.md"
    doc.write_text(render_doc(doc.read_text(encoding="utf-8")), encoding="utf-8")
    (Path(root) / "scenarios" / "scenario.schema.json").write_text(schema_text(),
                                                                  encoding="utf-8")


if __name__ == "__main__":
    main()
