"""Key paths: addressing any field of a scenario's raw data by a dotted path.

``pipeline.assessment.teams`` walks mappings; ``contributors.Bangladesh.pass_rate`` finds named
list entries by their ``name``; ``missions.MINUSCA.ipo_posts.2025-01-01`` addresses a dated
schedule by its date; ``policies.0.share`` takes other list entries by index. Variants
(``set:``) and sweeps (``--param``) use them; they work on the raw data before validation, and
the result is validated like a scenario file, so a bad value is reported as in a file.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date
from typing import Any, get_origin

from pydantic import BaseModel

from sim.errors import ParameterError, unknown_message


def match_key(node: dict[Any, Any], piece: Any) -> Any:
    """The key of ``node`` that pydantic's location ``piece`` refers to (dates are strings)."""
    if piece in node:
        return piece
    for key in node:
        if str(key) == str(piece):
            return key
    return None


def model_in(annotation: Any) -> Any:
    """The pydantic model inside ``annotation`` (``list[M]``, ``M | None``, ``dict[str, M]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = model_in(arg)
        if found is not None:
            return found
    return None




_SCALARS = (str, int, float, bool, type(None), date)
"""Immutable values of raw scenario data, shared rather than copied by :func:`copy_tree`."""


def copy_tree(data: Any, memo: dict[int, Any] | None = None) -> Any:
    """A deep copy of raw scenario data, several times faster than :func:`copy.deepcopy`.

    Raw data is what YAML or JSON gives: dicts, lists and immutable scalars. Dicts and lists
    are copied all the way down (a node shared through a YAML alias stays shared in the copy,
    as with :func:`copy.deepcopy`), scalars are shared, anything else goes to
    :func:`copy.deepcopy`. For data that will be changed in place (a variant's added
    policies and events).
    """
    kind = type(data)
    if kind in _SCALARS:
        return data
    memo = {} if memo is None else memo
    if id(data) in memo:
        return memo[id(data)]
    if kind is dict:
        out: Any = {}
        memo[id(data)] = out
        for key, value in data.items():
            out[key] = copy_tree(value, memo)
    elif kind is list:
        out = []
        memo[id(data)] = out
        out.extend(copy_tree(value, memo) for value in data)
    else:
        out = copy.deepcopy(data)
        memo[id(data)] = out
    return out


def apply_overrides(
    data: dict[str, Any], overrides: Mapping[str, Any], where: str = "set"
) -> dict[str, Any]:
    """``data`` with each ``{key.path: value}`` applied (see module docstring), ``data`` unchanged.

    Only the mappings and lists on the overridden paths are copied (the top level always);
    the rest is shared with ``data``. Loading a scenario builds every variant this way, and a
    sweep every point: copying the whole base each time was most of what building them cost.
    The result's top-level keys may be replaced, but nothing below them changed in place (that
    would change ``data`` too; :func:`copy_tree` gives a copy that can be). An override changes
    its own key path only, also inside a node the file shares through a YAML alias (``*name``).
    """
    out: dict[str, Any] = dict(data)
    own = {id(out)}
    for path, value in overrides.items():
        set_path(out, str(path), value, where, own)
    return out


def set_path(data: dict[str, Any], path: str, value: Any, where: str = "set",
             own: set[int] | None = None) -> None:
    """Set the field at ``path`` in raw scenario ``data`` to ``value`` (in place).

    ``own``: ids of the containers that may be changed in place; any other container on the
    path is copied first (and the copy put in its parent's place). ``None``: change all in place.
    """
    parent, last = _walk(data, path, where, own)
    if isinstance(parent, list):
        parent[_list_index(parent, last, path, where)] = value
    else:
        key = match_key(parent, last)
        parent[key if key is not None else _new_key(parent, last)] = value


def get_path(data: dict[str, Any], path: str, where: str = "param") -> Any:
    """The raw value at ``path``, or the schema default if the file leaves it out."""
    parent, last = _walk(data, path, where)
    if isinstance(parent, list):
        return parent[_list_index(parent, last, path, where)]
    key = match_key(parent, last)
    if key is None:
        raise ParameterError(f"{where}: {path!r}: {last!r} is not set in the scenario file; set it "
                             "there first to sweep it")
    return parent[key]


def _walk(data: dict[str, Any], path: str, where: str,
          own: set[int] | None = None) -> tuple[Any, str]:
    """Descend ``path`` and return (container of the last segment, last segment).

    ``own``: see :func:`set_path` (``data`` itself must be in it).
    """
    pieces = path.split(".")
    if not path or any(p == "" for p in pieces):
        raise ParameterError(
            f"{where}: {path!r} is not a key path like 'pipeline.assessment.teams'")
    node: Any = data
    for depth, piece in enumerate(pieces[:-1]):
        if isinstance(node, list):
            node = _child(node, _list_index(node, piece, path, where), own)
        elif isinstance(node, dict):
            key = match_key(node, piece)
            if key is None:
                if _schema_allows(pieces[: depth + 1]):
                    node[piece] = {}
                    key = piece
                    if own is not None:
                        own.add(id(node[piece]))
                else:
                    raise ParameterError(unknown_message(
                        "key", piece, [str(k) for k in node], f"{where}: {path!r}"))
            node = _child(node, key, own)
        else:
            raise ParameterError(f"{where}: {path!r}: {'.'.join(pieces[:depth + 1])} is a value, "
                                 "not a section")
    if not isinstance(node, dict | list):
        raise ParameterError(f"{where}: {path!r}: parent is a value, not a section")
    if isinstance(node, dict) and match_key(node, pieces[-1]) is None \
            and not _schema_allows(pieces):
        raise ParameterError(unknown_message("key", pieces[-1], [str(k) for k in node],
                                             f"{where}: {path!r}"))
    return node, pieces[-1]


def _child(node: Any, key: Any, own: set[int] | None) -> Any:
    """``node[key]``, first replaced by a shallow copy if it is a container not in ``own``."""
    child = node[key]
    if own is None or id(child) in own or type(child) not in (dict, list):
        return child
    child = dict(child) if type(child) is dict else list(child)
    node[key] = child
    own.add(id(child))
    return child


_ROOT: list[Any] = []
"""The scenario schema's root model, registered by :mod:`sim.scenario.schema` at import (so that
this module, which the schema imports, does not import the schema back)."""


def use_schema(root: Any) -> None:
    """Check key paths absent from a file against ``root`` (the scenario's pydantic model)."""
    _ROOT[:] = [root]


def _schema_allows(pieces: list[str]) -> bool:
    """Whether a key path absent from the file is still a schema field (it has a default).

    Named or indexed list entries (``contributors.Chad``) must exist in the file; free-form
    mappings (skills, dated schedules) accept any key, which validation then checks.
    """
    schema: Any = _ROOT[0] if _ROOT else None
    if schema is None:
        return True
    list_entry = False
    for piece in pieces:
        if list_entry:
            list_entry = False
            continue
        fields = getattr(schema, "model_fields", None)
        if fields is None:
            return True
        if piece not in fields:
            return False
        annotation = fields[piece].annotation
        if get_origin(annotation) is dict:
            return True
        schema = model_in(annotation)
        list_entry = get_origin(annotation) is list
        if schema is None:
            return not list_entry
    return True


def _new_key(parent: dict[Any, Any], last: str) -> Any:
    """Key to add to ``parent`` (dates stay text, as the loader leaves them)."""
    return last


def _list_index(node: list[Any], piece: str, path: str, where: str) -> int:
    """Index of the list entry called ``piece`` (by its ``name``) or at index ``piece``."""
    names = [str(item.get("name")) for item in node if isinstance(item, dict) and "name" in item]
    for i, item in enumerate(node):
        if isinstance(item, dict) and str(item.get("name")) == piece:
            return i
    if piece.isdigit() and int(piece) < len(node):
        return int(piece)
    allowed = names or [str(i) for i in range(len(node))]
    raise ParameterError(unknown_message("entry", piece, allowed, f"{where}: {path!r}"))
