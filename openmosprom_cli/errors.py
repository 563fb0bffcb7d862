"""One exception family for the whole project.

Core modules raise these; only the CLI edge turns them into a message and an
exit status (BSD sysexits), so the core stays usable as a library.
"""

from __future__ import annotations

from dataclasses import dataclass

from openmosprom_cli.i18n import Msg, _

EX_FOUND_PROBLEMS = 1   # a check ran and found problems (audit), or a question was answered no
EX_USAGE = 2            # a bad option or argument (click's own status)
EX_DATAERR = 65
EX_NOINPUT = 66
EX_SOFTWARE = 70
EX_CANTCREAT = 73
EX_TEMPFAIL = 75
EX_INTERRUPTED = 130    # Ctrl-C

EXIT_STATUSES: dict[int, Msg] = {
    0: Msg("success"),
    EX_FOUND_PROBLEMS: Msg("a check found problems (audit), or a confirmation was declined: nothing changed"),
    EX_USAGE: Msg("usage error: a bad option or argument"),
    EX_DATAERR: Msg("bad input data, or a request the season's state does not allow"),
    EX_NOINPUT: Msg("an input file or the season is missing"),
    EX_SOFTWARE: Msg("internal error: a bug, please report it"),
    EX_CANTCREAT: Msg("an output cannot be created"),
    EX_TEMPFAIL: Msg("temporary failure: the season is in use, or the mail server is down; try again"),
    EX_INTERRUPTED: Msg("interrupted"),
}
"""Every exit status a command may end with; README and --help name only these."""


@dataclass(frozen=True)
class Location:
    """Where a problem sits in an input file; every part but the file is optional."""

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(self.sheet)
        if self.row is not None:
            parts.append(_("row {row}").format(row=self.row))
        if self.column:
            parts.append(self.column)
        return " › ".join(parts)


@dataclass(frozen=True)
class Problem:
    location: Location
    message: str       # a Msg where the problem may be shown in another language (a rejected row's reasons)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class OpenMospromError(Exception):
    """Base of every error the tool reports to a user."""

    exit_code = EX_SOFTWARE

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class BadDataError(OpenMospromError):
    """Input data is wrong; carries every problem found, not just the first."""

    exit_code = EX_DATAERR

    def __init__(self, message: str, problems: list[Problem] | tuple[Problem, ...] = (), *,
                 hint: str | None = None):
        super().__init__(message, hint=hint)
        self.problems = tuple(problems)

    @classmethod
    def at(cls, location: Location, message: str, *, hint: str | None = None) -> BadDataError:
        problem = Problem(location, message)
        return cls(str(problem), [problem], hint=hint)


class MissingInputError(OpenMospromError):
    exit_code = EX_NOINPUT


class SeasonNotFoundError(MissingInputError):
    pass


class CannotCreateError(OpenMospromError):
    exit_code = EX_CANTCREAT


class TemporaryFailure(OpenMospromError):
    exit_code = EX_TEMPFAIL


class SeasonBusyError(TemporaryFailure):
    pass


class Declined(OpenMospromError):
    """The organizer answered no (or could not be asked, with no --yes): nothing was changed."""

    exit_code = EX_FOUND_PROBLEMS


class InternalError(OpenMospromError):
    exit_code = EX_SOFTWARE
