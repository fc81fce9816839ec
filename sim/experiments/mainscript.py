"""The program's main script, as local worker processes see it when they start.

Local workers (the process pool's, a local Dask cluster's) are started with ``spawn``: each is
a fresh interpreter that first runs its parent's main script again, as ``__mp_main__``, so that
functions defined there can reach it. Two kinds of script break that, and without the checks
here each worker would print a traceback and the run would end in a broken pool:

- a script with no file to run again: read from standard input (``python - < study.py``), or
  deleted since it started. Its workers are told not to run it (:func:`prepare_main_script`);
  functions defined in it cannot reach them, as in a notebook;
- a script that starts the run as it is run, with no ``if __name__ == "__main__":`` around the
  call: each worker would start the run again (and Python stops it). This is reported before
  any worker starts (:func:`unguarded_run`), naming the script and the line.

A notebook, ``python -c``, a package run with ``python -m package`` (its ``__main__`` is not
run again) and the ``ppsim`` command (``cli._workers_skip_the_cli``) are left alone.
"""

from __future__ import annotations

import os
import sys
from types import FrameType, ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ast

NO_FILE_SUFFIX = ".__main__"
"""multiprocessing does not run again a main module whose name ends so (a package's
``__main__``): the name a main script with no file is given for its workers."""


def _main_module() -> ModuleType | None:
    return sys.modules.get("__main__")


def prepare_main_script() -> None:
    """Let workers start from a main script that has no file, by not running it in them.

    Only for a script run by path (no ``__spec__``) whose path is not a file; it is given a
    module spec named ``<stdin>.__main__`` (or its path's), which tells multiprocessing to skip
    it. Nothing else reads a main module's spec; its functions still pickle as ``__main__``'s.
    """
    main = _main_module()
    path = getattr(main, "__file__", None)
    if main is None or getattr(main, "__spec__", None) is not None or not isinstance(path, str):
        return
    if os.path.isfile(path):
        return
    import importlib.machinery

    main.__spec__ = importlib.machinery.ModuleSpec(f"{path}{NO_FILE_SUFFIX}", None)


def unguarded_run() -> str | None:
    """Why workers cannot start: the main script starts this run as it is run, or ``None``.

    The call stack is searched for the main script's own code; if this run was started from
    a line of it that no ``if __name__ == "__main__":`` encloses, every worker would run that
    line again. ``None`` when the main script is not on the stack, has no readable file, or
    encloses the line in such a guard.
    """
    main = _main_module()
    path = getattr(main, "__file__", None)
    if main is None or not isinstance(path, str) or not os.path.isfile(path):
        return None
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if isinstance(name, str) and (name == "__main__" or name.endswith(NO_FILE_SUFFIX)):
        return None  # multiprocessing does not run it again (python -m package, the CLI)
    line = _script_line(sys._getframe(1), vars(main))
    if line is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    if _guarded(source, line):
        return None
    return (f"{path}, line {line}, starts the run as the script is run: each worker process "
            "runs the script again when it starts, and would start the run again. Put the "
            "script's work under `if __name__ == \"__main__\":` (or in a function called "
            "there), or use the serial executor")


def _script_line(frame: FrameType | None, namespace: dict[str, Any]) -> int | None:
    """The line of the main script's top-level code the stack passes through, if any."""
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals is namespace:
            return frame.f_lineno
        frame = frame.f_back
    return None


def _guarded(source: str, line: int) -> bool:
    """Whether ``line`` of ``source`` runs only when the module is run as ``__main__``.

    True inside the body of an ``if __name__ == "__main__":`` (or the ``else`` of
    ``if __name__ != "__main__":``); also when the source cannot be parsed (no false alarm).
    """
    import ast  # here: a worker imports this module, never this function

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return True
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        test = _main_test(node.test)
        branch = node.body if test == "==" else node.orelse if test == "!=" else []
        if branch and branch[0].lineno <= line <= (branch[-1].end_lineno or branch[-1].lineno):
            return True
    return False


def _main_test(test: ast.expr) -> str | None:
    """``"=="`` or ``"!="`` for ``__name__ == "__main__"`` (either way round), else ``None``."""
    import ast  # (see _guarded)

    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq | ast.NotEq)):
        return None
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    texts = [s.value for s in sides if isinstance(s, ast.Constant)]
    if names == ["__name__"] and texts == ["__main__"]:
        return "==" if isinstance(test.ops[0], ast.Eq) else "!="
    return None


__all__ = ["prepare_main_script", "unguarded_run"]
