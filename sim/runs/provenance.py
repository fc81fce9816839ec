"""What code produced a run's tasks: the ppsim version and a digest of the model's source.

A resumed run mixes tasks written by two sessions; they belong together only if the same code
wrote them. :func:`code_digest` hashes the source files that decide a task's bytes — the model
(``sim/model``), the scenario schema that resolves defaults (``sim/scenario``) and the task
encoding (``sim/runs/task.py``, ``sim/runs/folder.py``, and ``run_task`` in
``sim/experiments/executors.py``) — so a resume after any of them changed is refused.
Presentation (summaries, plots, report, CLI) is not part of it: it is recomputed on resume.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
"""The ``sim`` package folder."""

CODE_PARTS = ("model", "scenario", "runs/task.py", "runs/folder.py", "experiments/executors.py")
"""Parts of ``sim/`` (folders or files) whose source decides a task's bytes."""


def _sources() -> list[Path]:
    files: list[Path] = []
    for part in CODE_PARTS:
        path = PACKAGE / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


@cache
def code_digest() -> str:
    """A 16-hex-digit SHA-256 over the relative names and bytes of the model's source files."""
    digest = hashlib.sha256()
    for path in _sources():
        digest.update(path.relative_to(PACKAGE).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


__all__ = ["CODE_PARTS", "code_digest"]
