"""One exception hierarchy for everything a user can get wrong.

The library raises these; ``cli.py`` turns them into a one-paragraph message and the exit code
named on the class, in one place. Nothing here prints.
"""

from __future__ import annotations

import difflib


class PpsimError(Exception):
    """Base of every error ppsim reports to a user; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class ScenarioError(PpsimError):
    """A scenario file is missing, unreadable or invalid.

    Attributes:
        file: the scenario file's path as given (or ``"<dict>"`` for data passed in Python).
        problems: one line per problem, each ``key.path: got VALUE, ALLOWED``.
    """

    exit_code = 2

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = problems
        lines = "\n".join(f"  {file}: {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"invalid scenario ({len(problems)} {noun}):\n{lines}")


class VariantError(PpsimError):
    """A variant name that the scenario does not define."""

    exit_code = 2


class ParameterError(PpsimError):
    """A sweep or override names a parameter path that does not exist or is not numeric."""

    exit_code = 2


class ExecutorError(PpsimError):
    """The chosen executor (processes or a Dask cluster) cannot be started or reached."""

    exit_code = 3


class ResultsError(PpsimError):
    """A run folder is missing, incomplete, or belongs to a different scenario or settings."""

    exit_code = 4


class DataError(PpsimError):
    """The observed record cannot answer the request.

    Its folder is missing, a mission or contributor is unknown, a month is outside the record or
    lacks the detail asked for, or a calibration asks for the withheld years (2017-01..2024-12).
    """

    exit_code = 5


def unknown_message(kind: str, got: str, allowed: list[str], where: str = "") -> str:
    """``where: unknown kind 'x'; did you mean 'y'? (allowed: a, b)`` with difflib's guess."""
    guess = difflib.get_close_matches(got, allowed, n=1)
    hint = f"; did you mean {guess[0]!r}?" if guess else ""
    prefix = f"{where}: " if where else ""
    return f"{prefix}unknown {kind} {got!r}{hint} (allowed: {', '.join(allowed) or 'none'})"
