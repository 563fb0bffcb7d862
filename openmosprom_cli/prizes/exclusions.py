"""Who is never in the prize draw: ``prizes-excluded.csv`` in the season folder.

Staff and the organizers' relatives are listed by VK ID, with an optional
reason, in a file of the season folder that only its owner may read (which
accounts belong to staff is personal data), never in season.toml, which is
shared and edited freely. ``prizes exclude`` writes it owner-only; a file the
organizer made by hand and left readable by others is still read, with a
warning. Accounts merged away as duplicates and, with ``[prizes]
exclude_cancelled``, people who cancelled are left out by the draw itself.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.errors import BadDataError, Location, Problem
from openmosprom_cli.i18n import Msg, ngettext
from openmosprom_cli.io.tables import Column
from openmosprom_cli.io.values import check_text
from openmosprom_cli.registrants.cells import canonical_id
from openmosprom_cli.season.folder import Season

EXCLUSIONS_FILE = "prizes-excluded.csv"
COLUMNS = (Column("id", ("ID VK", "id", "ID ВК", "VK ID", "vk_id"), required=True),
           Column("reason", ("Причина", "reason", "Комментарий", "comment")))
HEADERS = ("ID VK", "Причина")


@dataclass(frozen=True)
class Exclusions:
    reasons: dict[str, str]            # ID → why ("" when the file gives none)
    warnings: tuple[str, ...] = ()     # Msgs, and the reader's


def exclusions_path(season: Season) -> Path:
    return season.path / EXCLUSIONS_FILE


def read_exclusions(season: Season) -> Exclusions:
    """The file's IDs; none when there is no file. A bad ID is bad data, named by its row."""
    path = exclusions_path(season)
    if not path.exists():
        return Exclusions({})
    from openmosprom_cli.io.reader import read_file_table  # only when there is a file: audit reads none

    table = read_file_table(path, COLUMNS, season.settings.limits)
    reasons: dict[str, str] = {}
    problems = []
    for record in table.records:
        rid = canonical_id(check_text(record.get("id", "")))
        if not rid.isdigit():
            problems.append(Problem(table.location(record.row, "id"), Msg("{id} is not a VK ID", id=repr(rid))))
            continue
        reasons[rid] = check_text(record.get("reason", ""))
    if problems:
        raise BadDataError(str(problems[0]) if len(problems) == 1 else
                           ngettext("{file}: {count} bad ID; nothing was drawn", "{file}: {count} bad IDs; nothing "
                                    "was drawn", len(problems)).format(file=path.name, count=len(problems)), problems)
    warnings = list(table.warnings)
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        warnings.append(Msg("{file} can be read by others on this machine; make it owner-only: chmod 600 {file}",
                            file=path.name))
    return Exclusions(reasons, tuple(warnings))


def update_exclusions(season: Season, add: Iterable[str] = (), remove: Iterable[str] = (), *,
                      reason: str = "") -> Exclusions:
    """Add IDs to the file (with the reason) or take them out; the file is rewritten owner-only."""
    with season.lock():
        current = read_exclusions(season).reasons
        for rid in remove:
            rid = canonical_id(rid)
            if rid not in current:
                raise BadDataError.at(Location(EXCLUSIONS_FILE, column=rid), Msg("is not in the file; nothing changed"))
            del current[rid]
        for rid in add:
            rid = canonical_id(rid)
            if not rid.isdigit():
                raise BadDataError.at(Location("ID", column=rid), Msg("is not a VK ID; nothing changed"))
            current[rid] = " ".join(reason.split()) or current.get(rid, "")
        from openmosprom_cli.io.writer import write_csv

        rows: list[tuple[str, str]] = sorted(current.items(), key=lambda kv: (len(kv[0]), kv[0]))
        write_csv(exclusions_path(season), HEADERS, rows, private=True)
    return Exclusions(current)
