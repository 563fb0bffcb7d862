"""The factories' sites and the candidate tours they offer."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable

from openmosprom_cli.models import Candidate, Site

_SITE_FIELDS = ("site_id", "name", "industry", "address", "contact", "roster_emails", "phone", "min_age",
                "passport_required", "citizens_only", "max_tours_per_day", "duration_min", "roster_lead_days",
                "notes", "weight")


def site_from_row(row: sqlite3.Row) -> Site:
    return Site(
        site_id=row["site_id"], name=row["name"], industry=row["industry"], address=row["address"],
        contact=row["contact"], roster_emails=tuple(json.loads(row["roster_emails"])), phone=row["phone"],
        min_age=row["min_age"], passport_required=bool(row["passport_required"]),
        citizens_only=bool(row["citizens_only"]), max_tours_per_day=row["max_tours_per_day"],
        duration_min=row["duration_min"], roster_lead_days=row["roster_lead_days"], notes=row["notes"],
        weight=row["weight"],
    )


def load_sites(conn: sqlite3.Connection) -> dict[str, Site]:
    return {r["site_id"]: site_from_row(r) for r in conn.execute("SELECT * FROM sites ORDER BY site_id")}


def save_site(conn: sqlite3.Connection, site: Site, *, source_file: str = "", imported_at: str = "") -> None:
    """Insert or replace one site (its candidates are left alone)."""
    values = (site.site_id, site.name, site.industry, site.address, site.contact,
              json.dumps(list(site.roster_emails), ensure_ascii=False), site.phone, site.min_age,
              int(site.passport_required), int(site.citizens_only), site.max_tours_per_day, site.duration_min,
              site.roster_lead_days, site.notes, site.weight)
    placeholders = ", ".join("?" for _ in _SITE_FIELDS)
    updates = ", ".join(f"{f} = excluded.{f}" for f in _SITE_FIELDS[1:])
    conn.execute(
        f"INSERT INTO sites ({', '.join(_SITE_FIELDS)}, source_file, imported_at) VALUES ({placeholders}, ?, ?) "
        f"ON CONFLICT(site_id) DO UPDATE SET {updates}, source_file = excluded.source_file, "
        f"imported_at = excluded.imported_at",
        (*values, source_file, imported_at),
    )


def candidate_from_row(row: sqlite3.Row) -> Candidate:
    return Candidate(
        site_id=row["site_id"], date=dt.date.fromisoformat(row["date"]), start=dt.time.fromisoformat(row["start"]),
        duration_min=row["duration_min"], capacity=row["capacity"], note=row["note"],
        pin=bool(row["pin"]), exclude=bool(row["exclude"]),
    )


def load_candidates(conn: sqlite3.Connection, site_id: str | None = None) -> list[Candidate]:
    if site_id is None:
        rows = conn.execute("SELECT * FROM candidates ORDER BY site_id, date, start")
    else:
        rows = conn.execute("SELECT * FROM candidates WHERE site_id = ? ORDER BY date, start", (site_id,))
    return [candidate_from_row(r) for r in rows]


def replace_candidates(conn: sqlite3.Connection, site_id: str, candidates: Iterable[Candidate]) -> None:
    conn.execute("DELETE FROM candidates WHERE site_id = ?", (site_id,))
    conn.executemany(
        "INSERT INTO candidates (tour_id, site_id, date, start, duration_min, capacity, note, pin, exclude) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(c.tour_id, c.site_id, c.date.isoformat(), c.start.strftime("%H:%M"), c.duration_min, c.capacity,
          c.note, int(c.pin), int(c.exclude)) for c in candidates],
    )


def load_source_files(conn: sqlite3.Connection) -> dict[str, str]:
    """Each site's workbook, as it was named when its schedule was imported."""
    return {r["site_id"]: r["source_file"] for r in conn.execute("SELECT site_id, source_file FROM sites")}
