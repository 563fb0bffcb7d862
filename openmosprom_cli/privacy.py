"""Erasing personal data the season no longer needs (Russian law 152-FZ).

Passport numbers, citizenship and birth dates are needed only until a
person's tours are over: they prove eligibility and let the factory's
security office check visitors in. Names, scores and results stay, so the
season's history and prize decisions remain.

Allocation snapshots already hold passports and citizenship only as yes/no.
Their birth dates are replaced by the one thing the audit still needs: for
each age-limited tour the person listed, whether they were old enough (see
``allocation.snapshots.erase_birth_dates``), so ``openmosprom audit`` keeps working.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.allocation.snapshots import erase_birth_dates
from openmosprom_cli.registrants.rejected import REJECTED_PREFIX
from openmosprom_cli.season.folder import Season, now_iso
from openmosprom_cli.store.meta import set_meta
from openmosprom_cli.store.privacy import (
    email_paths,
    erase_sensitive_fields,
    last_listed_tour_dates,
    last_tour_date,
    load_sensitive_fields,
    registrant_ids,
    roster_files,
)
from openmosprom_cli.store.runs import current_run_id, load_snapshot, save_snapshot

SENSITIVE_FIELDS = ("passport", "citizenship", "birth_date")


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


def _people_whose_tours_are_over(conn: sqlite3.Connection, before: dt.date) -> tuple[set[str], int]:
    """IDs of everyone whose every tour (held or waitlisted) ended before ``before``.

    People linked to no tour are over once the whole season's last tour is.
    """
    last_tour = last_tour_date(conn)
    season_over = last_tour is not None and last_tour < before
    run_id = current_run_id(conn)
    latest = last_listed_tour_dates(conn, run_id) if run_id is not None else {}
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
    before = before or dt.date.today()
    with season.transaction() as conn:
        over, waiting = _people_whose_tours_are_over(conn, before)
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
        files_removed = _remove_exported_copies(season, conn, before)
    return PurgeReport(before, people, counts["passport"], counts["citizenship"], counts["birth_date"],
                       runs_scrubbed, tuple(files_removed), waiting, fingerprint)


def _remove_exported_copies(season: Season, conn: sqlite3.Connection, before: dt.date) -> list[Path]:
    """Remove the roster files of sites whose tours are all over (they hold the erased fields), the emails
    that carried them, and, once the season is over, the rejected rows of registrant imports."""
    removed = []
    for site_id, recorded_path, last in roster_files(conn):
        if last >= before:
            continue
        path = Path(recorded_path)
        path = path if path.is_absolute() else season.path / path
        if path.exists() and (path.stat().st_mode & 0o077) == 0:
            path.unlink()
            removed.append(path)
        # Drafts and sent copies carry the same roster as an attachment.
        for eml in email_paths(conn, site_id):
            eml_path = Path(eml) if Path(eml).is_absolute() else season.path / eml
            if eml_path.exists():
                eml_path.unlink()
                removed.append(eml_path)
    # Rejected rows of registrant imports hold passports and birth dates as typed; needed only while
    # the season's imports are being fixed, so they go once every tour is over.
    last_tour = last_tour_date(conn)
    if last_tour is not None and last_tour < before:
        for rejected in sorted(season.path.glob(f"{REJECTED_PREFIX}*.xlsx")):
            rejected.unlink()
            removed.append(rejected)
    return removed
