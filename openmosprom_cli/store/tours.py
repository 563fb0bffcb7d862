"""The season's tours."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable

from openmosprom_cli.models import Tour


def tour_from_row(row: sqlite3.Row) -> Tour:
    return Tour(tour_id=row["tour_id"], site_id=row["site_id"], date=dt.date.fromisoformat(row["date"]),
                start=dt.time.fromisoformat(row["start"]), duration_min=row["duration_min"],
                capacity=row["capacity"], note=row["note"])


def load_tours(conn: sqlite3.Connection) -> list[Tour]:
    """The season's tours, ordered by date, start and site."""
    return [tour_from_row(r) for r in conn.execute("SELECT * FROM tours ORDER BY date, start, site_id")]


def replace_tours(conn: sqlite3.Connection, tours: Iterable[Tour]) -> None:
    conn.execute("DELETE FROM tours")
    conn.executemany(
        "INSERT INTO tours (tour_id, site_id, date, start, duration_min, capacity, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(t.tour_id, t.site_id, t.date.isoformat(), t.start.strftime("%H:%M"), t.duration_min, t.capacity, t.note)
         for t in tours],
    )


def count_tours(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM tours").fetchone()[0]
