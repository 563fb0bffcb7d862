"""Who came: ``attendance_marks`` and ``attendance_imports``, and the light reads of the seats they are checked against.

A tour's marks are replaced as a whole when its roster comes back again. The
seats are read here without the run's waitlists, outcomes or inputs snapshot:
attendance, the history of a season and the report need only who sat where.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class MarkRow:
    tour_id: str
    registrant_id: str
    mark: str                    # present | absent
    inferred: bool = False       # an unmarked row read as absent (--unmarked-absent)
    guests: int | None = None    # «Пришло гостей»
    prize_handed: bool | None = None   # «Приз выдан»; None when the file had no such mark
    source: str = ""             # file › sheet › row


@dataclass(frozen=True)
class AttendanceImportRow:
    tour_id: str
    imported_at: str
    files: tuple[str, ...]
    unmarked_absent: bool


def _bool_or_none(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def load_marks(conn: sqlite3.Connection) -> list[MarkRow]:
    rows = conn.execute("SELECT tour_id, registrant_id, mark, inferred, guests, prize_handed, source "
                        "FROM attendance_marks ORDER BY tour_id, registrant_id")
    return [MarkRow(r[0], r[1], r[2], bool(r[3]), r[4], _bool_or_none(r[5]), r[6]) for r in rows]


def load_attendance_imports(conn: sqlite3.Connection) -> dict[str, AttendanceImportRow]:
    rows = conn.execute("SELECT tour_id, imported_at, files, unmarked_absent FROM attendance_imports")
    return {r[0]: AttendanceImportRow(r[0], r[1], tuple(json.loads(r[2])), bool(r[3])) for r in rows}


def replace_tour_marks(conn: sqlite3.Connection, marks: Iterable[MarkRow], *, imported_at: str,
                       files_by_tour: Mapping[str, Iterable[str]], unmarked_absent: bool) -> None:
    """The marks of the tours in ``files_by_tour``, replacing whatever those tours had."""
    tours = [(tour_id,) for tour_id in files_by_tour]
    conn.executemany("DELETE FROM attendance_marks WHERE tour_id = ?", tours)
    conn.executemany(
        "INSERT INTO attendance_marks (tour_id, registrant_id, mark, inferred, guests, prize_handed, source) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(m.tour_id, m.registrant_id, m.mark, int(m.inferred), m.guests,
          None if m.prize_handed is None else int(m.prize_handed), m.source) for m in marks])
    conn.executemany(
        "INSERT INTO attendance_imports (tour_id, imported_at, files, unmarked_absent) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(tour_id) DO UPDATE SET imported_at = excluded.imported_at, files = excluded.files, "
        "unmarked_absent = excluded.unmarked_absent",
        [(tour_id, imported_at, json.dumps(sorted(set(files)), ensure_ascii=False), int(unmarked_absent))
         for tour_id, files in files_by_tour.items()])


def count_marks(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM attendance_marks").fetchone()[0])


# -- the seats, read lightly --------------------------------------------------------------------------

def current_run_ref(conn: sqlite3.Connection) -> tuple[int, int, str] | None:
    """(run ID, the last change its inputs include, its kind) of the current run, without its snapshot."""
    row = conn.execute("SELECT run_id, last_change, kind FROM allocation_runs WHERE is_current = 1 "
                       "ORDER BY run_id DESC LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), int(row[1]), str(row[2]))


def seat_pairs_ever(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Every (person, tour) that any run or change ever gave a seat: whoever a roster may have listed."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT registrant_id, tour_id FROM placements UNION "
        "SELECT registrant_id, tour_id FROM changes WHERE kind IN ('seat', 'unseat', 'commit') "
        "AND registrant_id IS NOT NULL AND tour_id IS NOT NULL")]


def registrant_id_set(conn: sqlite3.Connection) -> set[str]:
    cursor = conn.cursor()
    cursor.row_factory = None
    return {r[0] for r in cursor.execute("SELECT id FROM registrants")}

