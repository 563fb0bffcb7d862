"""Erasing personal data the season no longer needs (Russian law 152-FZ).

Passport numbers, citizenship and birth dates are needed only until a
person's tours are over: they prove eligibility and let the factory's
security office check visitors in. Names, scores and results stay, so the
season's history and prize decisions remain.

Allocation snapshots already hold passports and citizenship only as yes/no.
Their birth dates are replaced by the one thing the audit still needs: for
each age-limited tour the person listed, whether they were old enough (see
``allocation_runs.erase_birth_dates``), so ``openmosprom audit`` keeps working.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.allocation.snapshots import erase_birth_dates
from openmosprom_cli.registrants.importer import REJECTED_PREFIX
from openmosprom_cli.season.folder import Season, now_iso
from openmosprom_cli.store.meta import set_meta

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
    last_tour = conn.execute("SELECT max(date) FROM tours").fetchone()[0]
    season_over = last_tour is not None and dt.date.fromisoformat(last_tour) < before
    run = conn.execute("SELECT run_id FROM allocation_runs WHERE is_current = 1").fetchone()
    latest: dict[str, str] = {}
    if run is not None:
        rows = conn.execute(
            "SELECT p.registrant_id AS id, t.date AS date FROM placements p JOIN tours t ON t.tour_id = p.tour_id "
            "WHERE p.run_id = ? UNION ALL "
            "SELECT w.registrant_id, t.date FROM waitlist w JOIN tours t ON t.tour_id = w.tour_id WHERE w.run_id = ?",
            (run["run_id"], run["run_id"]),
        )
        for row in rows:
            if row["id"] not in latest or row["date"] > latest[row["id"]]:
                latest[row["id"]] = row["date"]
    over, waiting = set(), 0
    for (registrant_id,) in conn.execute("SELECT id FROM registrants"):
        last = latest.get(registrant_id)
        done = dt.date.fromisoformat(last) < before if last else season_over
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
            row = conn.execute("SELECT passport, citizenship, birth_date FROM registrants WHERE id = ?",
                               (registrant_id,)).fetchone()
            held = [f for f in SENSITIVE_FIELDS if row[f]]
            if not held:
                continue
            people += 1
            for field in held:
                counts[field] += 1
            conn.execute("UPDATE registrants SET passport = '', citizenship = '', birth_date = NULL, updated_at = ? "
                         "WHERE id = ?", (now_iso(), registrant_id))
        snapshots = erase_birth_dates(conn, over, before)
        runs_scrubbed = len(snapshots.purged)
        for run_id in snapshots.unreadable:
            (text,) = conn.execute("SELECT inputs FROM allocation_runs WHERE run_id = ?", (run_id,)).fetchone()
            snapshot, changed = _scrub(json.loads(text), over)
            if changed:
                runs_scrubbed += 1
                conn.execute("UPDATE allocation_runs SET inputs = ? WHERE run_id = ?",
                             (json.dumps(snapshot, ensure_ascii=False, sort_keys=True), run_id))
        current = conn.execute("SELECT run_id FROM allocation_runs WHERE is_current = 1").fetchone()
        fingerprint = next((s.record.inputs_fingerprint for s in snapshots.purged
                            if current is not None and s.run_id == current["run_id"]), None)
        if people or runs_scrubbed:
            set_meta(conn, "purged_before", before.isoformat())
        files_removed = _remove_exported_copies(season, conn, before)
    return PurgeReport(before, people, counts["passport"], counts["citizenship"], counts["birth_date"],
                       runs_scrubbed, tuple(files_removed), waiting, fingerprint)


def _remove_exported_copies(season: Season, conn: sqlite3.Connection, before: dt.date) -> list[Path]:
    """Remove the roster files of sites whose tours are all over (they hold the erased fields), the emails
    that carried them, and, once the season is over, the rejected rows of registrant imports."""
    removed = []
    rows = conn.execute(
        "SELECT r.site_id, r.path, max(t.date) AS last FROM roster_exports r JOIN tours t ON t.site_id = r.site_id "
        "GROUP BY r.site_id").fetchall()
    for row in rows:
        if dt.date.fromisoformat(row["last"]) >= before:
            continue
        path = Path(row["path"])
        path = path if path.is_absolute() else season.path / path
        if path.exists() and (path.stat().st_mode & 0o077) == 0:
            path.unlink()
            removed.append(path)
        # Drafts and sent copies carry the same roster as an attachment.
        for (eml,) in conn.execute("SELECT eml_path FROM outbox WHERE site_id = ? AND eml_path != ''",
                                   (row["site_id"],)).fetchall():
            eml_path = Path(eml) if Path(eml).is_absolute() else season.path / eml
            if eml_path.exists():
                eml_path.unlink()
                removed.append(eml_path)
    # Rejected rows of registrant imports hold passports and birth dates as typed; needed only while
    # the season's imports are being fixed, so they go once every tour is over.
    last_tour = conn.execute("SELECT max(date) FROM tours").fetchone()[0]
    if last_tour is not None and dt.date.fromisoformat(last_tour) < before:
        for rejected in sorted(season.path.glob(f"{REJECTED_PREFIX}*.xlsx")):
            rejected.unlink()
            removed.append(rejected)
    return removed
