"""The privacy purge's queries: they cross the season's tables (registrants, tours, runs, rosters, outbox)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from itertools import chain
from typing import Any


def last_tour_date(conn: sqlite3.Connection) -> dt.date | None:
    """The date of the season's last tour; None without tours."""
    last = conn.execute("SELECT max(date) FROM tours").fetchone()[0]
    return dt.date.fromisoformat(last) if last is not None else None


def last_listed_tour_dates(conn: sqlite3.Connection, run_id: int,
                           waitlisted: Iterable[tuple[str, str]] = ()) -> dict[str, dt.date]:
    """Registrant ID → the date of the last tour the run gave them or waitlisted them for.

    ``waitlisted``: (person, tour) pairs; a run stores its waitlists as columns, which the allocation stage reads.
    """
    dates = dict(conn.execute("SELECT tour_id, date FROM tours").fetchall())
    given = conn.execute("SELECT registrant_id, tour_id FROM placements WHERE run_id = ?", (run_id,)).fetchall()
    latest: dict[str, str] = {}
    for registrant_id, tour_id in chain(map(tuple, given), waitlisted):
        date = dates.get(tour_id)
        if date is not None and date > latest.get(registrant_id, ""):
            latest[registrant_id] = date
    return {registrant_id: dt.date.fromisoformat(date) for registrant_id, date in latest.items()}


def registrant_ids(conn: sqlite3.Connection) -> list[str]:
    return [row["id"] for row in conn.execute("SELECT id FROM registrants")]


def load_sensitive_fields(conn: sqlite3.Connection, registrant_id: str) -> dict[str, Any]:
    """The person's passport, citizenship and birth date, as stored."""
    row = conn.execute("SELECT passport, citizenship, birth_date FROM registrants WHERE id = ?",
                       (registrant_id,)).fetchone()
    return dict(row)


def erase_sensitive_fields(conn: sqlite3.Connection, registrant_id: str, *, now: str) -> None:
    conn.execute("UPDATE registrants SET passport = '', citizenship = '', birth_date = NULL, updated_at = ? "
                 "WHERE id = ?", (now, registrant_id))


def roster_files(conn: sqlite3.Connection) -> list[tuple[str, str, dt.date]]:
    """(site ID, roster path as recorded, the date of the site's last tour) of every exported roster."""
    rows = conn.execute(
        "SELECT r.site_id, r.path, max(t.date) AS last FROM roster_exports r JOIN tours t ON t.site_id = r.site_id "
        "GROUP BY r.site_id").fetchall()
    return [(row["site_id"], row["path"], dt.date.fromisoformat(row["last"])) for row in rows]


def email_paths(conn: sqlite3.Connection, site_id: str) -> list[str]:
    """The recorded paths of the site's email drafts and sent copies."""
    return [eml for (eml,) in conn.execute("SELECT eml_path FROM outbox WHERE site_id = ? AND eml_path != ''",
                                           (site_id,)).fetchall()]


def forget_email_copies(conn: sqlite3.Connection, site_ids: list[str]) -> None:
    """The outbox keeps each message's record (to whom, when, which roster), without the copy that carried it."""
    conn.executemany("UPDATE outbox SET eml_path = '' WHERE site_id = ?", [(s,) for s in site_ids])


def forget_roster_exports(conn: sqlite3.Connection, site_ids: list[str]) -> None:
    """Rosters whose tours are over are not kept for sending any more: their files are gone."""
    conn.executemany("DELETE FROM roster_exports WHERE site_id = ?", [(s,) for s in site_ids])
