"""The people registered in the VK mini-app."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import operator
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any

from openmosprom_cli.models import Contact, Registrant

# The stored columns of a person, in Registrant's field order.
REGISTRANT_COLUMNS = ("id", "full_name", "phone", "email", "birth_date", "score", "registered_at", "choices",
                      "companions", "passport", "citizenship")


def json_string_list(items: Iterable[str]) -> str:
    """Exactly ``json.dumps(list(items), ensure_ascii=False)`` for strings, at a third of the cost (bulk imports)."""
    return "[" + ", ".join(map(encode_basestring, items)) + "]"


def registrant_values(r: Registrant) -> tuple:
    return (r.id, r.full_name, r.phone, r.email, r.birth_date.isoformat() if r.birth_date else None, r.score,
            r.registered_at.isoformat() if r.registered_at else None, json_string_list(r.choices),
            r.companions, r.passport, r.citizenship)


def load_registrants(conn: sqlite3.Connection) -> list[Registrant]:
    """Everyone in the season, by ID, for the steps that read all 200,000 people (see :func:`_registrants`).

    SQLite sorts them and they are made a chunk at a time, so each person's
    values and record are made together, in the order the steps read them,
    and only a chunk's rows are held meanwhile. Sorted in Python after one
    fetch of everyone, they lay scattered over the memory: the steps reading
    them lost more time than the sort saved, and the rows held took 90 MB
    more at 200,000 people.
    """
    # The unary + keeps SQLite off the ID index, whose walk looks each row up apart: its sorter is faster.
    # The order is the same: a column's BINARY collation is the order of the code points, as Python's.
    cursor = _plain_cursor(conn).execute(f"{_SELECT_REGISTRANTS} ORDER BY +id")
    records: list[Registrant] = []
    while rows := cursor.fetchmany(LOAD_CHUNK):
        records += _registrants(rows)
    return records


LOAD_CHUNK = 1_000  # people; from 500 to 2,500 as fast at 50,000 people, 1,000 the fastest at 200,000


def load_contacts(conn: sqlite3.Connection) -> dict[str, Contact]:
    """Everyone's ID, name, phone, email and points, keyed by ID (in no order): a third of the cost of everyone's
    whole record."""
    contacts: dict[str, Contact] = {}
    cursor = _plain_cursor(conn).execute("SELECT id, full_name, phone, email, score FROM registrants")
    while rows := cursor.fetchmany(LOAD_CHUNK):
        contacts.update((c.id, c) for c in map(Contact, *zip(*rows, strict=True)))
    return contacts


class RegistrantsOnDemand(Mapping[str, Registrant]):
    """The whole records of the people ``ids`` names, each read from the season when first asked for.

    For a step that needs a few thousand of the 200,000 people and cannot tell
    which before it looks: the sites' rosters need their visitors (read
    together with :meth:`read_ahead`) and walk each waitlist until its standby
    is full. Reading everyone took them 0.3 s at 50,000 people, reading these 0.04 s.

    It reads through ``conn`` whenever a record is asked for, so it serves only
    while that connection's transaction is open, and only in the process that
    opened it (not in a forked child). Going over all of it (``values()``,
    ``items()``, ``==``) reads everyone one query at a time: that is what
    :func:`load_registrants` is for.
    """

    def __init__(self, conn: sqlite3.Connection, ids: Collection[str]) -> None:
        self._conn, self._ids = conn, ids
        self._read: dict[str, Registrant] = {}

    def read_ahead(self, ids: Iterable[str]) -> None:
        """Reads these people's records together, rather than one query each when they are asked for."""
        wanted = sorted({rid for rid in ids if rid in self._ids and rid not in self._read})
        for start in range(0, len(wanted), _READ_AHEAD_CHUNK):
            chunk = wanted[start:start + _READ_AHEAD_CHUNK]
            rows = _plain_cursor(self._conn).execute(
                f"{_SELECT_REGISTRANTS} WHERE id IN ({', '.join('?' * len(chunk))})", chunk).fetchall()
            self._read.update((person.id, person) for person in _registrants(rows))

    def __getitem__(self, registrant_id: str) -> Registrant:
        person = self._read.get(registrant_id)
        if person is None:
            if registrant_id not in self._ids or (person := load_registrant(self._conn, registrant_id)) is None:
                raise KeyError(registrant_id)
            self._read[registrant_id] = person
        return person

    def __contains__(self, registrant_id: object) -> bool:
        return registrant_id in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


_READ_AHEAD_CHUNK = 500  # IDs a query: below SQLite's oldest limit of parameters, 999


def load_registrant(conn: sqlite3.Connection, registrant_id: str) -> Registrant | None:
    rows = _plain_cursor(conn).execute(f"{_SELECT_REGISTRANTS} WHERE id = ?", (registrant_id,)).fetchall()
    return _registrants(rows)[0] if rows else None


_SELECT_REGISTRANTS = f"SELECT {', '.join(REGISTRANT_COLUMNS)} FROM registrants"


def _plain_cursor(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """A cursor giving plain tuples, whatever the connection's row factory: they cost less than Rows."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor


def _registrants(rows: Sequence[tuple]) -> list[Registrant]:
    """The records of stored rows (:data:`REGISTRANT_COLUMNS`), made column by column.

    Dates and times are parsed as a column (:func:`_parsed`), the choice
    lists as this module writes them (:func:`json_string_list`) are split
    rather than decoded, and the records are made by one ``map``.
    """
    if not rows:
        return []
    (ids, names, phones, emails, births, scores, registered, choices, companions, passports,
     citizenships) = zip(*rows, strict=True)
    return list(map(Registrant, ids, names, phones, emails, _parsed(births, dt.date.fromisoformat), scores,
                    _parsed(registered, dt.datetime.fromisoformat), map(_choice_tuple, choices), companions,
                    passports, citizenships))


# Parses as a date and as a date and time: stands in for the empty values while a column is parsed.
_SOME_DATE = "0001-01-01"


def _parsed(column: Sequence[Any], parse: Callable[[str], Any]) -> list[Any]:
    """``parse(value) if value else None`` for each value of a column, parsed by one ``map``.

    Parsing each distinct value once and looking the values up costs as much
    for birth dates, which repeat, and twice as much for registration times.
    """
    empty = list(itertools.compress(itertools.count(), map(operator.not_, column)))
    if not empty:
        return list(map(parse, column))
    texts = list(column)
    for i in empty:
        texts[i] = _SOME_DATE
    values = list(map(parse, texts))
    for i in empty:
        values[i] = None
    return values


def _choice_tuple(stored: str) -> tuple[str, ...]:
    """``tuple(json.loads(stored))``; a list of plain strings in :func:`json_string_list` form is split instead."""
    if stored == "[]":
        return ()
    if len(stored) >= 4 and stored[:2] == '["' and stored[-2:] == '"]' and "\\" not in stored:
        # Without a backslash no item holds a quote, so every quote is one of an item's two.
        items = stored[2:-2].split('", "')
        if stored.count('"') == 2 * len(items):
            return tuple(items)
    return tuple(json.loads(stored))


def count_registrants(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM registrants").fetchone()[0]


def stored_registrant_rows(conn: sqlite3.Connection) -> dict[str, tuple]:
    """Everyone in the season by ID, each as a plain tuple in :func:`registrant_values` form.

    A re-import compares these tuples with the file's rows as they are, so
    only the people whose data changed are written.
    """
    return {row[0]: row for row in _plain_cursor(conn).execute(_SELECT_REGISTRANTS)}


def registrant_value_rows(records: Iterable[tuple]) -> list[tuple]:
    """:func:`registrant_values` for many people given as tuples of Registrant's fields, in its order.

    Column by column: dates and times at C speed, each distinct choice list
    once (a bulk import has 100,000 people but far fewer distinct lists).
    """
    columns: list[Sequence[Any]] = list(zip(*records, strict=False))
    if not columns:
        return []
    choices = columns[7]
    formatted = {value: json_string_list(value) for value in dict.fromkeys(choices)}
    return list(zip(*columns[:4], _iso_or_none(columns[4]), columns[5], _iso_or_none(columns[6]),
                    map(formatted.__getitem__, choices), *columns[8:], strict=False))


_ISOFORMAT = operator.methodcaller("isoformat")
_NONE_AS_A_DATE: dict[object, dt.date] = {None: dt.date.min}


def _iso_or_none(column: Sequence[dt.date | None]) -> list[str | None]:
    """Each date's (or time's) ``isoformat()``, None for None."""
    if None not in column:
        return list(map(_ISOFORMAT, column))
    texts: list[str | None] = list(map(_ISOFORMAT, map(_NONE_AS_A_DATE.get, column, column)))
    for i in itertools.compress(itertools.count(), map(operator.not_, column)):  # a date is never false
        texts[i] = None
    return texts


def upsert_registrants(conn: sqlite3.Connection, registrants: Iterable[Registrant], *, now: str) -> None:
    """Insert new people and update known ones by ID; never deletes anyone."""
    upsert_registrant_rows(conn, map(registrant_values, registrants), now=now)


BULK_CACHE_SIZE = -32768  # KiB


def upsert_registrant_rows(conn: sqlite3.Connection, rows: Iterable[tuple], *, now: str) -> None:
    """:func:`upsert_registrants` for rows already in :func:`registrant_values` form."""
    # Each new ID lands at a random place of the ID index: with SQLite's default 2 MB page cache a bulk
    # import keeps spilling pages and reading them back (a quarter of its time at 200,000 people).
    cache_size = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {BULK_CACHE_SIZE}")
    placeholders = ", ".join("?" for _ in REGISTRANT_COLUMNS)
    updates = ", ".join(f"{f} = excluded.{f}" for f in REGISTRANT_COLUMNS[1:])
    try:
        conn.executemany(
            f"INSERT INTO registrants ({', '.join(REGISTRANT_COLUMNS)}, first_seen, updated_at) "
            f"VALUES ({placeholders}, ?, ?) ON CONFLICT(id) DO UPDATE SET {updates}, "
            f"updated_at = excluded.updated_at",
            map(operator.add, rows, itertools.repeat((now, now))),
        )
    finally:
        conn.execute(f"PRAGMA cache_size = {int(cache_size)}")
