"""Erasing personal data the season no longer needs (Russian law 152-FZ).

Passport numbers, citizenship and birth dates are needed only until a
person's tours are over: they prove eligibility and let the factory's
security office check visitors in. Names, scores and results stay, so the
season's history and prize decisions remain.

Allocation snapshots already hold passports and citizenship only as yes/no.
Their birth dates are replaced by the one thing the audit still needs: for
each age-limited tour the person listed, whether they were old enough (see
``allocation.snapshots.erase_birth_dates``), so ``openmosprom audit`` keeps working.

A purge is planned first and cannot be left half-done: the files it will
remove are checked to be removable before anything changes; the database is
erased in one transaction (with SQLite's ``secure_delete``, then a VACUUM, so
no erased value survives in free pages or the write-ahead log); the files go
after the commit. The outbox keeps its record of each message sent (to whom,
when, which roster) while the copies that carried the data are removed. The
report lists every file still in the season folder that holds personal data.
The history of earlier seasons (VK IDs and what each season said of them) is
kept for ``[history] keep_seasons`` seasons; older ones go with every purge.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.allocation.snapshots import erase_birth_dates
from openmosprom_cli.allocation.stored import waitlisted_tours
from openmosprom_cli.errors import BadDataError, CannotCreateError, Location, OpenMospromError
from openmosprom_cli.history.seasons import age_out_history
from openmosprom_cli.i18n import Msg, _, ngettext
from openmosprom_cli.io.files import TEMP_SUFFIX
from openmosprom_cli.registrants.rejected import REJECTED_PREFIX
from openmosprom_cli.season import clock
from openmosprom_cli.season.clock import now_iso
from openmosprom_cli.season.folder import BACKUP_FOLDER, DB_FILE, Season
from openmosprom_cli.store.meta import set_meta
from openmosprom_cli.store.privacy import (
    email_paths,
    erase_sensitive_fields,
    forget_email_copies,
    forget_roster_exports,
    last_listed_tour_dates,
    last_tour_date,
    load_sensitive_fields,
    registrant_ids,
    roster_files,
)
from openmosprom_cli.store.runs import current_run_id, load_snapshot, save_snapshot

SENSITIVE_FIELDS = ("passport", "citizenship", "birth_date")
# Headers that say a table holds the fields a purge erases (as the registrant and roster files write them).
_SENSITIVE_HEADERS = {"паспорт", "passport", "дата рождения", "birth_date", "birth date", "гражданство",
                      "citizenship", "паспортные данные"}


@dataclass(frozen=True)
class HeldFile:
    """A file in the season folder that still holds personal data, and what kind."""

    path: Path
    holds: str


@dataclass(frozen=True)
class PurgeReport:
    before: dt.date
    people: int            # whose tours are over and who still had something to erase
    passports: int
    citizenships: int
    birth_dates: int
    runs_scrubbed: int     # allocation snapshots from which the same fields were erased
    files_removed: tuple[Path, ...]
    waiting: int           # people whose tours are not over yet, left untouched
    snapshot_fingerprint: str | None = None   # the current run's snapshot after the purge, if it changed
    still_holding: tuple[HeldFile, ...] = ()  # files the purge leaves that still hold personal data
    history_removed: tuple[str, ...] = ()     # earlier seasons aged out of the history ([history] keep_seasons)


def _people_whose_tours_are_over(conn: sqlite3.Connection, before: dt.date) -> tuple[set[str], int]:
    """IDs of everyone whose every tour (held or waitlisted) ended before ``before``.

    People linked to no tour are over once the whole season's last tour is.
    """
    last_tour = last_tour_date(conn)
    season_over = last_tour is not None and last_tour < before
    run_id = current_run_id(conn)
    latest = last_listed_tour_dates(conn, run_id, waitlisted_tours(conn, run_id)) if run_id is not None else {}
    over, waiting = set(), 0
    for registrant_id in registrant_ids(conn):
        last = latest.get(registrant_id)
        done = last < before if last is not None else season_over
        if done:
            over.add(registrant_id)
        else:
            waiting += 1
    return over, waiting


def _scrub(value, ids: set[str]) -> tuple[object, bool]:
    """Blank the sensitive fields of every person-shaped object in a snapshot that is not an inputs snapshot."""
    changed = False
    if isinstance(value, dict):
        if str(value.get("id")) in ids:
            for key in SENSITIVE_FIELDS:
                if value.get(key) not in (None, ""):
                    value[key] = None if key == "birth_date" else ""
                    changed = True
        for key, item in value.items():
            value[key], sub = _scrub(item, ids)
            changed |= sub
    elif isinstance(value, list):
        for i, item in enumerate(value):
            value[i], sub = _scrub(item, ids)
            changed |= sub
    return value, changed


def purge_personal_data(season: Season, before: dt.date | None = None) -> PurgeReport:
    today = clock.today()
    before = before or today
    if before > today:
        raise BadDataError.at(Location("--before"), Msg("{before} is after today ({today}): it would erase the "
                                                        "passports of tours that have not taken place",
                                                        before=f"{before:%d.%m.%Y}", today=f"{today:%d.%m.%Y}"))
    with season.transaction() as conn:
        conn.execute("PRAGMA secure_delete = ON")
        over, waiting = _people_whose_tours_are_over(conn, before)
        sites_over, doomed = _files_to_remove(season, conn, before)
        _check_removable(doomed)
        counts = dict.fromkeys(SENSITIVE_FIELDS, 0)
        people = 0
        for registrant_id in sorted(over):
            values = load_sensitive_fields(conn, registrant_id)
            held = [f for f in SENSITIVE_FIELDS if values[f]]
            if not held:
                continue
            people += 1
            for field in held:
                counts[field] += 1
            erase_sensitive_fields(conn, registrant_id, now=now_iso())
        snapshots = erase_birth_dates(conn, over, before)
        runs_scrubbed = len(snapshots.purged)
        for run_id in snapshots.unreadable:
            snapshot, changed = _scrub(load_snapshot(conn, run_id), over)
            if changed:
                runs_scrubbed += 1
                save_snapshot(conn, run_id, snapshot)
        current = current_run_id(conn)
        fingerprint = next((s.record.inputs_fingerprint for s in snapshots.purged if s.run_id == current), None)
        if people or runs_scrubbed:
            set_meta(conn, "purged_before", before.isoformat())
        # The records stay (to whom, when, which roster); the copies that carried the data go.
        forget_email_copies(conn, sites_over)
        forget_roster_exports(conn, sites_over)
        history_removed = age_out_history(conn, season.settings.history_keep_seasons)
    removed = [path for path in doomed if _remove(path)]
    season.compact()
    return PurgeReport(before, people, counts["passport"], counts["citizenship"], counts["birth_date"],
                       runs_scrubbed, tuple(removed), waiting, fingerprint, files_with_personal_data(season.path),
                       history_removed)


def _files_to_remove(season: Season, conn: sqlite3.Connection, before: dt.date) -> tuple[list[str], list[Path]]:
    """The sites whose tours are all over, and the files that carried their erased data: their rosters (whatever
    their mode), the emails that attached them, and, once the season is over, the rejected rows of imports."""
    sites, files = [], []
    for site_id, recorded_path, last in roster_files(conn):
        if last >= before:
            continue
        sites.append(site_id)
        files.append(_in_season(season, recorded_path))
        files += [_in_season(season, eml) for eml in email_paths(conn, site_id)]
    last_tour = last_tour_date(conn)
    if last_tour is not None and last_tour < before:
        files += sorted(season.path.glob(f"{REJECTED_PREFIX}*.xlsx"))
    return sites, [path for path in dict.fromkeys(files) if path.exists()]


def _in_season(season: Season, recorded: str) -> Path:
    path = Path(recorded)
    return path if path.is_absolute() else season.path / path


def _check_removable(paths: list[Path]) -> None:
    """Every file the purge will remove can be removed: otherwise nothing changes at all."""
    blocked = [path for path in paths if not os.access(path.parent, os.W_OK | os.X_OK)]
    if blocked:
        shown = ", ".join(str(p) for p in blocked[:3])
        if len(blocked) > 3:
            shown = ngettext("{files} and {count} more", "{files} and {count} more", len(blocked) - 3).format(
                files=shown, count=len(blocked) - 3)
        raise CannotCreateError(_("cannot remove {files}: its folder is not writable; nothing was erased").format(
            files=shown), hint=_("Make the folder writable (or move the files away yourself), then purge again."))


def _remove(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def files_with_personal_data(folder: Path) -> tuple[HeldFile, ...]:
    """Every file in the season folder that holds people's data, judged by what it holds, not by its mode."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(TEMP_SUFFIX)):
        relative = path.relative_to(folder)
        if relative.parts[0] == BACKUP_FOLDER and path.suffix == ".db":
            found.append(HeldFile(path, Msg("a copy of the season's database from before an upgrade")))
        elif path.suffix == ".eml":
            found.append(HeldFile(path, Msg("a roster email, with the roster attached")))
        elif path.suffix.lower() in (".xlsx", ".csv") and path.name != "tours.csv":
            holds = _what_a_table_holds(path)
            if holds:
                found.append(HeldFile(path, holds))
        elif path.name == DB_FILE:
            continue
    return tuple(found)


def _what_a_table_holds(path: Path) -> str:
    """"passports or birth dates", "names and contacts", or "" for a table of neither (say, the tours)."""
    headers = _first_rows_text(path)
    if headers is None:
        return Msg("unknown: the file cannot be read, so check it yourself")
    if headers & _SENSITIVE_HEADERS:
        return Msg("passports, birth dates or citizenship")
    if headers & {"фио", "телефон", "id vk", "email", "фамилия"}:
        return Msg("names and contacts")
    return ""


def _first_rows_text(path: Path) -> set[str] | None:
    from openmosprom_cli.io.csv_text import read_csv_rows
    from openmosprom_cli.io.values import normalize_header
    from openmosprom_cli.io.xlsx.reader import open_workbook
    from openmosprom_cli.settings import Limits

    cells: set[str] = set()
    try:
        if path.suffix.lower() == ".csv":
            for _row_number, line in read_csv_rows(path, Limits())[:40]:
                cells |= {normalize_header(v) for v in line if v}
        else:
            with open_workbook(path) as book:
                for sheet in book.sheet_names():
                    for number, (_, cells_of_row) in enumerate(book.rows(sheet, problems=[])):
                        cells |= {normalize_header(v) for v in cells_of_row if isinstance(v, str)}
                        if number > 40:
                            break
    except (OpenMospromError, OSError):    # a file the readers refuse is reported, never fatal to a purge
        return None
    return cells
