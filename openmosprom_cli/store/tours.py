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
    """The season's tours that take place (not cancelled), ordered by date, start and site."""
    return [tour_from_row(r) for r in conn.execute(
        "SELECT * FROM tours WHERE status = 'active' ORDER BY date, start, site_id")]


def load_cancelled_tours(conn: sqlite3.Connection) -> dict[str, tuple[Tour, str]]:
    """Tour ID → (the tour, why it was cancelled)."""
    return {r["tour_id"]: (tour_from_row(r), r["status_reason"])
            for r in conn.execute("SELECT * FROM tours WHERE status = 'cancelled' ORDER BY date, start, site_id")}


def tour_ids_ever(conn: sqlite3.Connection) -> set[str]:
    """Every tour ID the season has used, cancelled ones included: a new tour never takes one of them."""
    return {r[0] for r in conn.execute("SELECT tour_id FROM tours")}


def add_tour(conn: sqlite3.Connection, tour: Tour) -> None:
    conn.execute(
        "INSERT INTO tours (tour_id, site_id, date, start, duration_min, capacity, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (tour.tour_id, tour.site_id, tour.date.isoformat(), tour.start.strftime("%H:%M"), tour.duration_min,
         tour.capacity, tour.note))


def update_tour(conn: sqlite3.Connection, tour: Tour) -> None:
    """Its date, start, duration and capacity as given; the ID stays, so every choice and seat naming it holds."""
    conn.execute("UPDATE tours SET date = ?, start = ?, duration_min = ?, capacity = ? WHERE tour_id = ?",
                 (tour.date.isoformat(), tour.start.strftime("%H:%M"), tour.duration_min, tour.capacity,
                  tour.tour_id))


def cancel_tour(conn: sqlite3.Connection, tour_id: str, reason: str) -> None:
    conn.execute("UPDATE tours SET status = 'cancelled', status_reason = ? WHERE tour_id = ?", (reason, tour_id))


def replace_tours(conn: sqlite3.Connection, tours: Iterable[Tour]) -> None:
    conn.execute("DELETE FROM tours")
    conn.executemany(
        "INSERT INTO tours (tour_id, site_id, date, start, duration_min, capacity, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(t.tour_id, t.site_id, t.date.isoformat(), t.start.strftime("%H:%M"), t.duration_min, t.capacity, t.note)
         for t in tours],
    )


def count_tours(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM tours").fetchone()[0]
