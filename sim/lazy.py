"""Lazy names: ``import sim`` (or one of its layers) costs nothing until a name is used."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def exports(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``names[name]`` (a module path) on first use.

    Relative module paths (``"schema"``) are taken inside ``package``. Unknown names raise
    ``AttributeError``, so ``from package import submodule`` still imports the submodule.
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        path = module if "." in module else f"{package}.{module}"
        return getattr(importlib.import_module(path), name)

    return __getattr__


def module(name: str, namespace: MutableMapping[str, Any], alias: str) -> Any:
    """A stand-in for ``import name as alias`` in the module whose globals are ``namespace``.

    The first attribute read through it imports the module and puts it in the stand-in's
    place, so later reads cost what a plain import's do. For modules whose functions need a
    heavy library but whose import must not load it: the run folder's module imports numpy and
    pyarrow (~55 ms) only once a run's first tasks are out (``tests/test_startup.py``).
    """

    class StandIn:
        def __getattr__(self, attr: str) -> Any:
            real = importlib.import_module(name)
            namespace[alias] = real
            return getattr(real, attr)

        def __repr__(self) -> str:
            return f"<{name!r}, imported when first used>"

    return StandIn()
