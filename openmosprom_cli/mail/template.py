"""The email template: the text of the roster emails, which the organizers may edit.

The package's ``templates/roster_email.txt``, or the season's own copy,
``roster_email.txt`` in the season folder, which overrides it
(:func:`write_season_template` makes that copy). Its first line is
``Тема: …`` (the subject), the rest is the body. Placeholders, written ``$name``:

``$site_name``, ``$site_id``, ``$site_address``, ``$tours`` (one line per tour:
date, time, number of visitors and of people on standby; then each cancelled
tour with its reason), ``$visitors_total``, ``$deadline`` (the phrase
«до DD.MM.YYYY (день)» or «как можно скорее»), ``$attachment_name``,
``$changes`` (for an updated roster: who was added, removed or moved, and who
joined or left the standby; empty otherwise), ``$organizer_name``,
``$organizer_email``, ``$organizer_phone``.
Write ``$$`` for a dollar sign.
"""

from __future__ import annotations

import difflib
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from openmosprom_cli.errors import BadDataError, CannotCreateError, Location, MissingInputError, Problem
from openmosprom_cli.i18n import Msg, _, ngettext
from openmosprom_cli.io.files import atomic_write_text

TEMPLATE_FILE = "roster_email.txt"
SUBJECT_PREFIXES = ("тема:", "subject:")

PLACEHOLDERS = frozenset({
    "site_name", "site_id", "site_address", "tours", "visitors_total", "deadline", "attachment_name", "changes",
    "organizer_name", "organizer_email", "organizer_phone",
})


@dataclass(frozen=True)
class EmailTemplate:
    subject: str
    body: str
    source: str  # file it came from, for error messages


def default_template_path() -> Path:
    """The template installed with the package; the season's own copy (:func:`season_template_path`) overrides it."""
    return Path(str(resources.files("openmosprom_cli").joinpath("templates", TEMPLATE_FILE)))


def season_template_path(season_path: Path) -> Path:
    """Where a season keeps its own copy of the email template: ``<season>/roster_email.txt``."""
    return Path(season_path) / TEMPLATE_FILE


def load_template(season_path: Path) -> EmailTemplate:
    """The season's ``roster_email.txt`` if there is one, else the package's default."""
    override = season_template_path(season_path)
    if override.exists():
        try:
            text = override.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise BadDataError.at(Location(str(override)), Msg("is not UTF-8 text"),
                                  hint=_("Save the template as UTF-8.")) from None
        except OSError as exc:
            raise MissingInputError(_("cannot read {file}: {reason}").format(
                file=override, reason=exc.strerror or exc)) from None
        return parse_template(text, str(override))
    default = default_template_path()
    # Only an edited installation breaks the default: say where the organizers' own text belongs instead.
    return parse_template(default.read_text(encoding="utf-8"), str(default),
                          hint=_("This is the template installed with openmosprom. Keep your own text in the "
                                 "season's copy, {copy}: copy this file there and correct it; the season then "
                                 "uses it.").format(copy=override))


def write_season_template(season_path: Path) -> Path:
    """Copy the installed template into the season (``<season>/roster_email.txt``) for the organizers to edit.

    Refuses (exit 73) when the season has its copy already, so an edited text is never overwritten.
    """
    target = season_template_path(season_path)
    if target.exists():
        raise CannotCreateError(_("{file} exists already; nothing was changed").format(file=target),
                                hint=_("Edit it, or delete it first to start again from the installed template."))
    try:
        text = default_template_path().read_text(encoding="utf-8")
        atomic_write_text(target, text)
    except OSError as exc:
        raise CannotCreateError(_("cannot write {file}: {reason}").format(
            file=target, reason=exc.strerror or exc)) from None
    return target


def parse_template(text: str, source: str, *, hint: str | None = None) -> EmailTemplate:
    """Split ``Тема: …`` from the body and check every placeholder, reporting all problems at once.

    Each problem names the file, the line and what is wrong there (an unknown
    placeholder with the known ones); a single problem is the error's message
    itself, so nothing hides behind a count.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    problems: list[Problem] = []
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or not lines[first].strip().lower().startswith(SUBJECT_PREFIXES):
        raise BadDataError.at(Location(source, row=(first or 0) + 1),
                              Msg("the first line must be the subject, written «Тема: …»"), hint=hint)
    subject_line = lines[first].strip()
    subject = subject_line.split(":", 1)[1].strip()
    body_lines = lines[first + 1:]
    while body_lines and not body_lines[0].strip():
        body_lines.pop(0)
    for number, line in enumerate(lines, start=1):
        for match in string.Template.pattern.finditer(line):
            name = match.group("named") or match.group("braced")
            if match.group("invalid") is not None:
                problems.append(Problem(Location(source, row=number),
                                        Msg("a lone '$' (write $$ for a dollar sign, or $name for a placeholder)")))
            elif name and name not in PLACEHOLDERS:
                problems.append(Problem(Location(source, row=number), _unknown_placeholder(name)))
    if not subject:
        problems.append(Problem(Location(source, row=first + 1), Msg("the subject is empty")))
    if len(problems) == 1:
        raise BadDataError(str(problems[0]), problems, hint=hint)
    if problems:
        raise BadDataError(ngettext("{file}: the email template has {count} problem",
                                    "{file}: the email template has {count} problems", len(problems)
                                    ).format(file=source, count=len(problems)), problems, hint=hint)
    return EmailTemplate(subject=subject, body="\n".join(body_lines).rstrip() + "\n", source=source)


def _unknown_placeholder(name: str) -> Msg:
    known = ", ".join(f"${p}" for p in sorted(PLACEHOLDERS))
    close = difflib.get_close_matches(name, PLACEHOLDERS, n=1)
    if close:
        return Msg("unknown placeholder {placeholder} (did you mean {guess}?); known: {known}",
                   placeholder=f"${name}", guess=f"${close[0]}", known=known)
    return Msg("unknown placeholder {placeholder}; known: {known}", placeholder=f"${name}", known=known)
