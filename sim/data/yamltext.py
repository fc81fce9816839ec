"""Scenario data as YAML text with a comment beside (or above) each value that has one.

A small emitter for the plain data :mod:`sim.data.builder` makes (dicts, lists, strings,
numbers, booleans, ``None``): block mappings and lists of mappings, flow style for short
mappings and lists of scalars, folded text for long strings. Strings are quoted where YAML
would read them as something else. Reading the text back with ppsim's loader gives the same
data (dates stay ISO strings); the tests check it.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

WIDTH = 100
"""Longest line aimed at; a comment that would pass it goes on the line above its key."""
FLOW_WIDTH = 110
"""Longest line for a mapping written on one line (a few more characters than a block)."""
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_ -]*[A-Za-z0-9_]|[A-Za-z]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}

KeyPath = tuple[str | int, ...]


def scalar(value: Any) -> str:
    """One value as a YAML scalar that reads back as the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text or "inf" in text or "nan" in text:
            text = f"{value:.12f}".rstrip("0")
            text += "0" if text.endswith(".") else ""
        return text
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} {value!r} as YAML (plain data only)")
    text = value
    if _DATE.fullmatch(text) or (_PLAIN.fullmatch(text) and text.lower() not in _SPECIAL):
        return text
    return json.dumps(text, ensure_ascii=False)


def flow(value: Any) -> str:
    """A value on one line: ``{a: 1, b: [x, y]}``."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def to_text(data: dict[str, Any], notes: dict[KeyPath, str] | None = None,
            header: list[str] | None = None) -> str:
    """``data`` as YAML text, with ``notes`` as comments and ``header`` as the opening lines."""
    lines = [f"# {h}".rstrip() for h in header or []]
    if lines:
        lines.append("")
    emitter = _Emitter(lines, notes or {})
    for key, value in data.items():
        emitter.entry((key,), key, value, 0, "")
        if isinstance(value, dict | list) and value and not emitter.inline((key,), value, 0):
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


class _Emitter:
    def __init__(self, lines: list[str], notes: dict[KeyPath, str]) -> None:
        self.lines = lines
        self.notes = notes

    def comment(self, text: str, indent: int) -> None:
        pad = " " * indent
        self.lines += textwrap.wrap(text, WIDTH - indent - 2, initial_indent=f"{pad}# ",
                                    subsequent_indent=f"{pad}# ", break_long_words=False,
                                    break_on_hyphens=False)

    def inline(self, path: KeyPath, value: Any, indent: int) -> bool:
        """Whether a mapping or list goes on its key's line (not if its entries have notes)."""
        if isinstance(value, list):
            return not value or not any(isinstance(v, dict) for v in value)
        if isinstance(value, dict):
            if any((*path, k) in self.notes for k in value):
                return False
            width = indent + len(scalar(path[-1])) + 2 + len(flow(value))
            return not value or width <= FLOW_WIDTH
        return True

    def entry(self, path: KeyPath, key: Any, value: Any, indent: int, lead: str) -> None:
        """``key: value`` at ``indent`` (``lead`` replaces the indent: ``"- "`` for items)."""
        pad = lead or " " * indent
        note = self.notes.get(path)
        if isinstance(value, str) and len(value) > WIDTH - indent - 10:
            if note:
                self.comment(note, indent)
            self.lines.append(f"{pad}{scalar(key)}: >-")
            self.lines += textwrap.wrap(value, WIDTH - indent - 2,
                                        initial_indent=" " * (indent + 2),
                                        subsequent_indent=" " * (indent + 2),
                                        break_long_words=False, break_on_hyphens=False)
            return
        if self.inline(path, value, indent):
            line = f"{pad}{scalar(key)}: {flow(value)}"
            if note and len(line) + len(note) + 4 <= WIDTH:
                line += f"  # {note}"
            elif note:
                self.comment(note, indent)
            self.lines.append(line)
            return
        if note:
            self.comment(note, indent)
        self.lines.append(f"{pad}{scalar(key)}:")
        if isinstance(value, dict):
            for k, v in value.items():
                self.entry((*path, k), k, v, indent + 2, "")
            return
        for i, item in enumerate(value):
            item_note = self.notes.get((*path, i))
            if item_note:
                self.comment(item_note, indent + 2)
            for j, (k, v) in enumerate(item.items()):
                self.entry((*path, i, k), k, v, indent + 4,
                           " " * (indent + 2) + "- " if j == 0 else "")
