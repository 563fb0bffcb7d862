"""Importing the people who registered in the VK mini-app «Открытая промышленность» into the season.

The file is read by :mod:`parse` (its columns in :mod:`columns`, its rows by
the one table reader, its cells by :mod:`cells` and :mod:`fast`). An import is
all-or-nothing unless ``skip_invalid``: then the valid rows are imported and
the rejected ones, with their reasons, are written to
``<season>/rejected-<file>.xlsx`` (owner-only, since it holds personal data;
see :mod:`rejected`).

Imports are cumulative and never erase: people are updated by ID and added,
never deleted; a column the file does not have leaves every known person's
stored value alone, while a cell that is there but empty clears it. The report
counts, field by field, how many people each import set, changed or cleared.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from openmosprom_cli.allocation.bulk import collector_paused
from openmosprom_cli.errors import BadDataError
from openmosprom_cli.i18n import _, ngettext
from openmosprom_cli.progress import stage
from openmosprom_cli.registrants.parse import RejectedRow, read_registrant_file
from openmosprom_cli.registrants.rejected import rejected_file_path, write_rejected
from openmosprom_cli.season.folder import Season, file_for_commit, now_iso, when_committed
from openmosprom_cli.store.changes import add_change, load_commitments
from openmosprom_cli.store.prizes import load_preferences, save_preferences
from openmosprom_cli.store.registrants import REGISTRANT_COLUMNS

if TYPE_CHECKING:
    # Imported where used: a first import needs neither (they cost a tenth of a second to load).
    from openmosprom_cli.allocation.attention import Attention
    from openmosprom_cli.changes.merges import MergeReport

SET, CHANGED, CLEARED = "set", "changed", "cleared"


@dataclass(frozen=True)
class FieldChange:
    """How many known people had one field set (it was empty), changed, or cleared by an import."""

    field: str
    kind: str       # set | changed | cleared
    people: int


@dataclass(frozen=True)
class RegistrantImportReport:
    file: str
    rows_read: int
    added: int
    updated: int
    unchanged: int
    not_in_file: int  # people already in the season whom this file does not mention (kept)
    rejected: tuple[RejectedRow, ...] = ()
    rejected_path: Path | None = None
    warnings: tuple[str, ...] = ()
    field_changes: tuple[FieldChange, ...] = ()   # what the re-import changed in people already known
    # People who keep a seat their new data would not give them (more guests, a passport cleared).
    attention: tuple[Attention, ...] = ()
    merged: tuple[MergeReport, ...] = ()          # duplicates merged by [duplicates] auto_merge

    @property
    def imported(self) -> int:
        return self.added + self.updated + self.unchanged


def import_registrants(season: Season, path: Path, *, mapping: Mapping[str, str] | None = None,
                       skip_invalid: bool = False, encoding: str | None = None) -> RegistrantImportReport:
    """Import (or re-import) a mini-app export into the season, in one transaction.

    People are updated by ID and added; nobody is ever deleted. Without
    ``skip_invalid`` any invalid row raises :class:`BadDataError` and the
    season stays unchanged. With it, the valid rows are imported and the
    rejected ones are written to ``rejected-<file>.xlsx`` in the season folder;
    a file without one valid row raises all the same.
    """
    from openmosprom_cli.store.registrants import (
        registrant_value_rows,
        stored_registrant_rows,
        upsert_registrant_rows,
    )
    from openmosprom_cli.store.sites import load_sites
    from openmosprom_cli.store.tours import load_tours

    path = Path(path)
    with season.transaction() as conn, collector_paused():
        tours = load_tours(conn)
        sites = load_sites(conn)
        with stage(_("Reading and checking {file}").format(file=path.name)):
            parsed = read_registrant_file(path, settings=season.settings, tours=tours, sites=sites,
                                          mapping=mapping, encoding=encoding)
        # Not one valid row: --skip-invalid would import nothing and say "Next: assign", as if all went well.
        if parsed.rejected and (not skip_invalid or not parsed.records):
            problems = parsed.problems
            count = len(parsed.rejected)
            summary = str(problems[0]) if len(problems) == 1 else (
                ngettext("{file}: {count} invalid row", "{file}: {count} invalid rows", count).format(
                    file=parsed.file, count=count)
                + " (" + ngettext("{count} problem", "{count} problems", len(problems)).format(count=len(problems))
                + ")")
            raise BadDataError(
                f"{summary}; {_('nothing was imported')}",
                problems,
                hint=(_("The season has no published tours yet: generate them (openmosprom slots generate) first.")
                      if not tours else
                      _("Not one row is valid, so --skip-invalid has nothing to import. Is it this season's export? "
                        "`openmosprom slots list` shows the season's tours.") if skip_invalid else
                      _("Fix them and import again, or import the valid rows with --skip-invalid.")),
            )
        with stage(_("Saving the registrants")):
            stored = stored_registrant_rows(conn)
            rows = registrant_value_rows(parsed.records)
            field_changes: Counter[tuple[str, str]] = Counter()
            if stored:
                rows = _kept_where_the_file_is_silent(rows, stored, parsed.fields)
                if parsed.no_patronymic_column:
                    rows = _patronymics_kept(rows, stored)
                befores = list(map(stored.get, map(itemgetter(0), rows)))
                added = befores.count(None)
                changed = [row for row, before in zip(rows, befores, strict=True) if row != before]
                for row, before in zip(rows, befores, strict=True):
                    if before is not None and row != before:
                        field_changes.update(_what_changed(before, row))
                updated = len(changed) - added
                unchanged = len(rows) - len(changed)
            else:
                added, updated, unchanged, changed = len(rows), 0, 0, rows
            upsert_registrant_rows(conn, changed, now=now_iso())
            attention = _flag_kept_seats(conn, parsed.file, [row[0] for row in changed]) if updated else ()
            if parsed.prizes is not None:
                field_changes.update(_save_prize_preferences(conn, dict(parsed.prizes), set(stored)))
            merged: tuple[MergeReport, ...] = ()
            if season.settings.auto_merge_duplicates:
                from openmosprom_cli.changes.merges import auto_merge
                merged = auto_merge(conn)
            in_file = set(map(itemgetter(0), rows)) | {r.registrant_id for r in parsed.rejected}
            not_in_file = sum(1 for registrant_id in stored if registrant_id not in in_file)
            target = rejected_file_path(season, path)
            rejected_path: Path | None = None
            if parsed.rejected:
                # It appears as the import commits, and never without it.
                write_rejected(file_for_commit(conn, target, private=True), parsed)
                rejected_path = target
            else:
                # A file listing rows that are now fine would mislead.
                when_committed(conn, partial(_remove, target))
    return RegistrantImportReport(parsed.file, parsed.rows_read, added, updated, unchanged, not_in_file,
                                  parsed.rejected, rejected_path, parsed.warnings,
                                  tuple(FieldChange(field, kind, people) for (field, kind), people
                                        in sorted(field_changes.items(), key=_in_field_order)), attention, merged)


def _flag_kept_seats(conn: sqlite3.Connection, file: str, changed_ids: list[str]) -> tuple[Attention, ...]:
    """The committed people this import changed so that their seat needs the organizer; logged as changes."""
    from openmosprom_cli.allocation.attention import DATA_CHANGED, kept_seats_needing_attention

    commitments = {(c.registrant_id, c.tour_id): c for c in load_commitments(conn)}
    found = kept_seats_needing_attention(conn, commitments, only=changed_ids)
    at = now_iso()
    for item in found:
        add_change(conn, at=at, kind=DATA_CHANGED, registrant_id=item.registrant_id, tour_id=item.tour_id,
                   reason=_("import of {file}").format(file=file), detail={"cause": item.what})
    return found


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _kept_where_the_file_is_silent(rows: list[tuple], stored: Mapping[str, tuple], given: Sequence[str]
                                   ) -> list[tuple]:
    """A known person's row with the stored value of every field the file has no column for.

    A later export with fewer columns must never erase what an earlier one gave.
    """
    kept = [i for i, name in enumerate(REGISTRANT_COLUMNS) if name not in given]
    if not kept:
        return rows
    merged = []
    for row in rows:
        before = stored.get(row[0])
        if before is not None:
            values = list(row)
            for i in kept:
                values[i] = before[i]
            row = tuple(values)
        merged.append(row)
    return merged


def _patronymics_kept(rows: list[tuple], stored: Mapping[str, tuple]) -> list[tuple]:
    """A known person's stored full name where the file gives only its surname and first name (a file with
    no «Отчество» column must not erase the patronymic an earlier export gave)."""
    at = REGISTRANT_COLUMNS.index("full_name")
    merged = []
    for row in rows:
        before = stored.get(row[0])
        if before is not None and row[at] and before[at] != row[at] and before[at].startswith(row[at] + " "):
            row = (*row[:at], before[at], *row[at + 1:])
        merged.append(row)
    return merged


def _what_changed(before: tuple, after: tuple) -> list[tuple[str, str]]:
    """(field, how) of each stored value this row changes: set, changed or cleared."""
    found = []
    for name, old, new in zip(REGISTRANT_COLUMNS[1:], before[1:], after[1:], strict=True):
        if old == new:
            continue
        if _is_empty(new):
            found.append((name, CLEARED))
        elif _is_empty(old):
            found.append((name, SET))
        else:
            found.append((name, CHANGED))
    return found


def _is_empty(stored_value: object) -> bool:
    return stored_value in (None, "", "[]")


def _in_field_order(item: tuple[tuple[str, str], int]) -> tuple[int, str]:
    (field, kind), _ = item
    return (REGISTRANT_COLUMNS + (PRIZES,)).index(field), kind


PRIZES = "prizes"


def _save_prize_preferences(conn, preferences: Mapping[str, tuple[str, ...]], known: set[str]
                            ) -> Counter[tuple[str, str]]:
    """Store the «Призы» of the file's people; what it set, changed or cleared for people known before."""
    before = load_preferences(conn)
    counts: Counter[tuple[str, str]] = Counter()
    for rid, prizes in preferences.items():
        old = before.get(rid, ())
        if rid in known and old != prizes:
            counts[(PRIZES, CLEARED if not prizes else SET if not old else CHANGED)] += 1
    save_preferences(conn, {rid: p for rid, p in preferences.items() if p != before.get(rid, ())})
    return counts
