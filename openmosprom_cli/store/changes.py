"""The season after publication: the log of changes, the commitments, cancellations, publications, and what
visitors were told."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from openmosprom_cli.models import Holding


@dataclass(frozen=True)
class ChangeRow:
    change_id: int
    at: str
    kind: str
    registrant_id: str | None
    tour_id: str | None
    seats: int | None
    choice_rank: int | None
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)
    run_id: int | None = None


def _change(row: sqlite3.Row | tuple) -> ChangeRow:
    change_id, at, kind, registrant_id, tour_id, seats, choice_rank, reason, detail, run_id = tuple(row)
    return ChangeRow(change_id, at, kind, registrant_id, tour_id, seats, choice_rank, reason,
                     json.loads(detail or "{}"), run_id)


_CHANGE_COLUMNS = "change_id, at, kind, registrant_id, tour_id, seats, choice_rank, reason, detail, run_id"


def add_change(conn: sqlite3.Connection, *, at: str, kind: str, registrant_id: str | None = None,
               tour_id: str | None = None, seats: int | None = None, choice_rank: int | None = None,
               reason: str = "", detail: dict[str, Any] | None = None, run_id: int | None = None) -> int:
    cursor = conn.execute(
        "INSERT INTO changes (at, kind, registrant_id, tour_id, seats, choice_rank, reason, detail, run_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at, kind, registrant_id, tour_id, seats, choice_rank, reason,
         json.dumps(detail or {}, ensure_ascii=False, sort_keys=True), run_id))
    return int(cursor.lastrowid or 0)


def load_changes(conn: sqlite3.Connection, *, after: int = 0, upto: int | None = None) -> list[ChangeRow]:
    """The changes with ``after < change_id <= upto``, in the order they were made."""
    if upto is None:
        rows = conn.execute(f"SELECT {_CHANGE_COLUMNS} FROM changes WHERE change_id > ? ORDER BY change_id",
                            (after,))
    else:
        rows = conn.execute(f"SELECT {_CHANGE_COLUMNS} FROM changes WHERE change_id > ? AND change_id <= ? "
                            "ORDER BY change_id", (after, upto))
    return [_change(r) for r in rows]


def load_seat_changes(conn: sqlite3.Connection, *, upto: int | None = None) -> list[ChangeRow]:
    """The seats given and taken away by a change (``seat`` and ``unseat``), in the order they were made."""
    rows = conn.execute(f"SELECT {_CHANGE_COLUMNS} FROM changes WHERE kind IN ('seat', 'unseat') "
                        "AND change_id <= ? ORDER BY change_id", (upto if upto is not None else 2**62,))
    return [_change(r) for r in rows]


def load_person_changes(conn: sqlite3.Connection, registrant_id: str) -> list[ChangeRow]:
    rows = conn.execute(f"SELECT {_CHANGE_COLUMNS} FROM changes WHERE registrant_id = ? ORDER BY change_id",
                        (registrant_id,))
    return [_change(r) for r in rows]


def last_change_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(change_id), 0) FROM changes").fetchone()[0])


# -- commitments -------------------------------------------------------------------------------

# What made a seat a commitment, as its change's detail "by" says: the publication, or the roster sent to a
# site ("roster sent to " and the site's ID). Stored text, read back by explain.
COMMITTED_BY_PUBLICATION = "publication"
COMMITTED_BY_ROSTER = "roster sent to "


@dataclass(frozen=True)
class CommitmentRow:
    holding: Holding
    change_id: int
    override: str

    @property
    def registrant_id(self) -> str:
        return self.holding.registrant_id

    @property
    def tour_id(self) -> str:
        return self.holding.tour_id


def load_commitments(conn: sqlite3.Connection) -> list[CommitmentRow]:
    rows = conn.execute("SELECT registrant_id, tour_id, seats, choice_rank, change_id, override FROM commitments "
                        "ORDER BY registrant_id, tour_id")
    return [CommitmentRow(Holding(r[0], r[1], r[2], r[3]), r[4], r[5]) for r in rows]


def add_commitment(conn: sqlite3.Connection, holding: Holding, *, change_id: int, override: str = "") -> None:
    conn.execute("INSERT INTO commitments (registrant_id, tour_id, seats, choice_rank, change_id, override) "
                 "VALUES (?, ?, ?, ?, ?, ?)",
                 (holding.registrant_id, holding.tour_id, holding.seats, holding.choice_rank, change_id, override))


def add_commitments(conn: sqlite3.Connection, rows: Iterable[tuple[Holding, int]]) -> None:
    conn.executemany("INSERT INTO commitments (registrant_id, tour_id, seats, choice_rank, change_id) "
                     "VALUES (?, ?, ?, ?, ?)",
                     ((h.registrant_id, h.tour_id, h.seats, h.choice_rank, change_id) for h, change_id in rows))


def end_commitment(conn: sqlite3.Connection, registrant_id: str, tour_id: str) -> None:
    conn.execute("DELETE FROM commitments WHERE registrant_id = ? AND tour_id = ?", (registrant_id, tour_id))


# -- cancellations ----------------------------------------------------------------------------

def load_cancellations(conn: sqlite3.Connection) -> dict[str, tuple[str, str, int]]:
    """ID → (reason, source, change ID) of everyone cancelled and not reinstated."""
    return {r[0]: (r[1], r[2], r[3])
            for r in conn.execute("SELECT registrant_id, reason, source, change_id FROM cancellations")}


def add_cancellation(conn: sqlite3.Connection, registrant_id: str, *, reason: str, source: str,
                     change_id: int) -> None:
    conn.execute("INSERT INTO cancellations (registrant_id, reason, source, change_id) VALUES (?, ?, ?, ?)",
                 (registrant_id, reason, source, change_id))


def remove_cancellation(conn: sqlite3.Connection, registrant_id: str) -> None:
    conn.execute("DELETE FROM cancellations WHERE registrant_id = ?", (registrant_id,))


# -- publications and what visitors were told ----------------------------------------------------

@dataclass(frozen=True)
class PublicationRow:
    publication_id: int
    at: str
    kind: str
    run_id: int
    change_id: int
    site_id: str
    files: tuple[str, ...]
    people: int


def load_publications(conn: sqlite3.Connection) -> list[PublicationRow]:
    rows = conn.execute("SELECT publication_id, at, kind, run_id, change_id, site_id, files, people "
                        "FROM publications ORDER BY publication_id")
    return [PublicationRow(r[0], r[1], r[2], r[3], r[4], r[5], tuple(json.loads(r[6])), r[7]) for r in rows]


def add_publication(conn: sqlite3.Connection, *, at: str, kind: str, run_id: int, change_id: int,
                    site_id: str = "", files: Iterable[str] = (), people: int = 0) -> int:
    cursor = conn.execute(
        "INSERT INTO publications (at, kind, run_id, change_id, site_id, files, people) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (at, kind, run_id, change_id, site_id, json.dumps(list(files), ensure_ascii=False), people))
    return int(cursor.lastrowid or 0)


def count_publications(conn: sqlite3.Connection, kind: str = "publish") -> int:
    return int(conn.execute("SELECT count(*) FROM publications WHERE kind = ?", (kind,)).fetchone()[0])


def is_published(conn: sqlite3.Connection) -> bool:
    """Whether anyone was ever told: a publication, or a factory sent its roster."""
    return conn.execute("SELECT 1 FROM publications LIMIT 1").fetchone() is not None


ToldRow = tuple[str, str, str, str]   # registrant, tour, ISO date, HH:MM


def load_told(conn: sqlite3.Connection) -> Iterator[ToldRow]:
    yield from conn.execute("SELECT registrant_id, tour_id, date, start FROM told ORDER BY registrant_id, tour_id")


def replace_told(conn: sqlite3.Connection, rows: Iterable[ToldRow], publication_id: int) -> None:
    conn.execute("DELETE FROM told")
    conn.executemany("INSERT INTO told (registrant_id, tour_id, date, start, publication_id) VALUES (?, ?, ?, ?, ?)",
                     ((*row, publication_id) for row in rows))
