"""One exception hierarchy for everything a user can get wrong.

The library raises these; ``cli.py`` turns them into a one-paragraph message and the exit code
named on the class, in one place. Nothing here prints.
"""

from __future__ import annotations

import difflib
import errno


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


class StorageError(PpsimError):
    """The file system refused a read or write (disk full, permission, not a folder, …).

    The message names the path, what the system said, and what to do next; finished tasks are
    kept, so a run stopped by a full disk goes on with ``--resume`` once there is space.
    """

    exit_code = 6


_OS_ADVICE = {
    errno.ENOSPC: "the disk is full; free some space (or choose --out on another disk), then "
                  "{then}",
    errno.EDQUOT: "the disk quota is exhausted; free some space, then {then}",
    errno.EACCES: "permission denied; choose a folder you can write to with --out",
    errno.EPERM: "operation not permitted; choose a folder you can write to with --out",
    errno.EROFS: "the file system is read-only; choose a writable folder with --out",
    errno.ENOTDIR: "a part of the path is a file, not a folder; choose another --out",
    errno.EISDIR: "a folder is in the way of a file; choose another --out",
    errno.ENAMETOOLONG: "the path is too long; choose a shorter --out",
    errno.ENOENT: "a file or folder disappeared while ppsim was using it (was it moved or "
                  "deleted?); {then}",
    errno.EEXIST: "something else created the same path at the same time; choose another --out",
    errno.EMFILE: "too many open files; raise the limit (ulimit -n) or use fewer --workers",
    errno.EIO: "the disk reported an input/output error; check the disk, then {then}",
}


def os_error_message(exc: OSError, doing: str, then: str = "rerun with --resume") -> str:
    """``doing PATH: what the system said; what to do next`` for an :class:`OSError`.

    Args:
        exc: the error the operating system raised.
        doing: what ppsim was doing, e.g. ``"writing the run folder runs/x.partial"``.
        then: the step that goes on once the cause is fixed.
    """
    where = f" ({exc.filename})" if exc.filename else ""
    said = exc.strerror or str(exc) or exc.__class__.__name__
    advice = _OS_ADVICE.get(exc.errno or -1, "check the path and the disk, then {then}")
    return f"{doing}{where}: {said}; {advice.format(then=then)}"


def unknown_message(kind: str, got: str, allowed: list[str], where: str = "") -> str:
    """``where: unknown kind 'x'; did you mean 'y'? (allowed: a, b)`` with difflib's guess."""
    guess = difflib.get_close_matches(got, allowed, n=1)
    hint = f"; did you mean {guess[0]!r}?" if guess else ""
    prefix = f"{where}: " if where else ""
    return f"{prefix}unknown {kind} {got!r}{hint} (allowed: {', '.join(allowed) or 'none'})"
