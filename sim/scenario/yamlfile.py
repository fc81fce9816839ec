"""Reading a scenario file: YAML, strictly, with errors that name the file and the place.

PyYAML's safe loader with libyaml's C parser when built (the documents and checks of the
pure-Python loader, several times faster), dates kept as text (validation reports bad dates by
key path), duplicate keys refused, and limits on size, nesting and alias expansion, so that no
file makes the reader crash or run out of memory. Imported only where a file is read
(:func:`sim.scenario.schema.read_yaml`), never by a worker process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sim.errors import ScenarioError

MAX_FILE_BYTES = 5_000_000
"""Largest scenario file read (bytes); real scenarios are a few kilobytes."""

MAX_DEPTH = 32
"""Deepest nesting of mappings and lists in a scenario file."""

MAX_NODES = 1_000_000
"""Most YAML nodes in a scenario file once aliases are expanded (guards against alias bombs)."""


_CParser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)  # libyaml's, if built

if _CParser is not None:
    class _Events(yaml.composer.Composer, _CParser,  # type: ignore[misc]  # untyped C class
                  yaml.constructor.SafeConstructor,
                  yaml.resolver.Resolver):
        """YAML events from libyaml's C parser, composed and constructed by PyYAML's Python.

        Scanning and parsing (most of the time of reading a file: ~0.1 s of CPU for the
        baseline scenario in Python, ~0.02 s in C) run in C; composing (with the depth check
        below), constructing and resolving stay PyYAML's Python classes, so the documents
        read and the checks made are those of the pure-Python loader.
        """

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
else:  # pragma: no cover - PyYAML built without libyaml
    class _Events(yaml.SafeLoader):  # type: ignore[no-redef]
        """YAML events from PyYAML's pure-Python scanner and parser."""


class _Loader(_Events):
    """YAML's safe loader, made strict for scenario files.

    - dates stay text, so that validation reports bad dates by key path;
    - a key repeated in one mapping is an error (YAML would silently keep the last one, so a
      second ``contributors:`` would replace the first);
    - nesting deeper than :data:`MAX_DEPTH` is an error (instead of a ``RecursionError``).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_DEPTH} levels",
                    self.peek_event().start_mark)  # type: ignore[no-untyped-call,unused-ignore]
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            _refuse_duplicates(self, node)
        return super().construct_mapping(node, deep=deep)


def _refuse_duplicates(loader: _Loader, node: yaml.MappingNode) -> None:
    """Raise a located YAML error for the second occurrence of a key in ``node``."""
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # ``<<: *defaults`` merges are meant to be overridden
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.setdefault(key, key_node)
        except TypeError:
            continue  # an unhashable key: PyYAML reports it
        if first is not key_node:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark,
                f"duplicate key {key!r} (first on line {first.start_mark.line + 1}); each key "
                "may appear once per mapping", key_node.start_mark)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _expanded_nodes(node: Any, sizes: dict[int, int], open_: set[int]) -> int:
    """Nodes under ``node`` with aliases expanded (memoised; a cycle counts as too many)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_:
        return MAX_NODES + 1  # a recursive alias: infinitely many
    open_.add(key)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        children: list[Any] = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    else:
        children = []
    for child in children:
        total += _expanded_nodes(child, sizes, open_)
        if total > MAX_NODES:
            break
    open_.discard(key)
    sizes[key] = total
    return total


def _parse_yaml(text: str) -> Any:
    """Compose, check the expanded size, then construct one YAML document."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_nodes(node, {}, set()) > MAX_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"more than {MAX_NODES:,} values once aliases (*name) are "
                "expanded", node.start_mark)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a scenario file into a dict, with clear errors for missing, empty or bad files.

    Raises:
        ScenarioError: the file is missing, a folder, larger than :data:`MAX_FILE_BYTES`,
            unreadable, not UTF-8, not valid YAML (with line and column), has a duplicate
            key or nesting deeper than :data:`MAX_DEPTH`, or is not a mapping.
    """
    file = str(path)
    if "\0" in file:
        raise ScenarioError(repr(file), ["the path contains a NUL character"])
    p = Path(path)
    try:
        if not p.exists():
            raise ScenarioError(file, ["file not found"])
        if p.is_dir():
            raise ScenarioError(file, ["is a folder, expected a YAML scenario file"])
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(file, [f"file is {size:,} bytes, larger than the "
                                       f"{MAX_FILE_BYTES:,} a scenario may have"])
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(file, [f"cannot be read: {exc}"]) from None
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:  # a file that grew, or a special file
        raise ScenarioError(file, [f"larger than the {MAX_FILE_BYTES:,} bytes a scenario "
                                   "may have"])
    try:
        data = _parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(file, [f"{where}not valid YAML ({problem})"]) from None
    except (RecursionError, MemoryError, OverflowError, ValueError) as exc:
        raise ScenarioError(file, [f"cannot be read as YAML ({exc.__class__.__name__}: "
                                   f"{str(exc)[:200]})"]) from None
    if data is None:
        raise ScenarioError(file, ["file is empty; expected a mapping with run, contributors, "
                                   "missions"])
    if not isinstance(data, dict):
        raise ScenarioError(file, [f"top level: got {type(data).__name__}, expected a mapping"])
    return data


__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_NODES", "read_yaml"]
