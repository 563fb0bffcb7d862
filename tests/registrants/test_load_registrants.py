"""Loading everyone (column by column), one person, everyone's contact, or people on demand gives exactly the records
a plain row-by-row reading gives."""

import datetime as dt
import json
import sqlite3
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmosprom_cli.models import Contact, Registrant
from openmosprom_cli.store import registrants
from openmosprom_cli.store.registrants import (
    REGISTRANT_COLUMNS,
    RegistrantsOnDemand,
    json_string_list,
    load_contacts,
    load_registrant,
    load_registrants,
    upsert_registrants,
)

NOW = "2026-12-01T00:00:00"


def read_row_by_row(conn: sqlite3.Connection) -> list[Registrant]:
    """The reference: each stored row as it is, ordered by SQLite, dates parsed and choices decoded one by one."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return [Registrant(id=rid, full_name=name, phone=phone, email=email,
                       birth_date=dt.date.fromisoformat(born) if born else None, score=score,
                       registered_at=dt.datetime.fromisoformat(registered) if registered else None,
                       choices=tuple(json.loads(choices)), companions=companions, passport=passport,
                       citizenship=citizenship)
            for (rid, name, phone, email, born, score, registered, choices, companions, passport, citizenship)
            in cursor.execute(f"SELECT {', '.join(REGISTRANT_COLUMNS)} FROM registrants ORDER BY id")]


def store_rows(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    """Rows as another writer might have left them: the values go in as given, not as this package writes them."""
    conn.execute("DELETE FROM registrants")
    conn.executemany(f"INSERT INTO registrants ({', '.join(REGISTRANT_COLUMNS)}) "
                     f"VALUES ({', '.join('?' for _ in REGISTRANT_COLUMNS)})", rows)


def assert_same_records(conn: sqlite3.Connection) -> None:
    loaded, expected = load_registrants(conn), read_row_by_row(conn)
    assert loaded == expected
    # Equal is not enough: -0.0 == 0.0 and 1 == 1.0, and the types and reprs must be the stored ones too.
    assert [repr(r) for r in loaded] == [repr(r) for r in expected]
    assert [tuple(map(type, vars(r).values())) for r in loaded] == [tuple(map(type, vars(r).values()))
                                                                    for r in expected]
    assert [hash(r) for r in loaded] == [hash(r) for r in expected]
    assert [load_registrant(conn, r.id) for r in expected] == expected
    assert [repr(load_registrant(conn, r.id)) for r in expected] == [repr(r) for r in expected]
    assert_same_contacts_and_records_on_demand(conn, expected)


def assert_same_contacts_and_records_on_demand(conn: sqlite3.Connection, expected: list[Registrant]) -> None:
    """Everyone's contact is their record's ID, name, phone, email and points; the records read on demand
    (some read ahead, a few at a time) are the records loaded with everyone."""
    contacts = load_contacts(conn)
    assert sorted(contacts) == [r.id for r in expected]
    assert [repr(contacts[r.id]) for r in expected] == [
        repr(Contact(r.id, r.full_name, r.phone, r.email, r.score)) for r in expected]
    with mock.patch.object(registrants, "_READ_AHEAD_CHUNK", 2):
        on_demand = RegistrantsOnDemand(conn, contacts.keys())
        on_demand.read_ahead([r.id for r in expected[::2]] + ["nobody"])
    assert len(on_demand) == len(expected) and set(on_demand) == set(contacts)
    assert all(r.id in on_demand for r in expected[1::2]), "known before their records are read"
    with mock.patch.object(registrants, "load_registrant", wraps=load_registrant) as one_by_one:
        assert [repr(on_demand[r.id]) for r in reversed(expected)] == [repr(r) for r in reversed(expected)]
        assert [repr(on_demand[r.id]) for r in expected] == [repr(r) for r in expected]
    # Those read ahead are not read again, and the others are read once each.
    assert sorted(c.args[1] for c in one_by_one.call_args_list) == sorted(r.id for r in expected[1::2])
    assert "nobody" not in on_demand
    with pytest.raises(KeyError):
        on_demand["nobody"]


# Any text SQLite keeps (not lone surrogates): other scripts, astral characters, NUL, quotes and backslashes.
_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=6)
_AWKWARD = st.sampled_from(['a", "b', 'x\\"', "\\", '"', '""', ", ", '", "', "[]", '["', '"]', "t-1", "", "é",
                            "\U0001f600", "\x00", "zavod-33-1217-1000"])
_ITEM = st.one_of(_TEXT, _AWKWARD)
_IDS = st.one_of(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=4),
                 st.integers(0, 10**12).map(str), st.sampled_from(["1", "10", "9", "01", "a", "A", "ä", "\U0001f600"]))


@st.composite
def _stored_choices(draw) -> str:
    """A choice list as this package writes it, or as another writer might have."""
    items = draw(st.lists(_ITEM, max_size=4))
    form = draw(st.sampled_from(["ours", "ours", "ascii", "compact", "spaced", "numbers"]))
    if form == "ours":
        return json_string_list(items)
    if form == "ascii":
        return json.dumps(items)
    if form == "compact":
        return json.dumps(items, ensure_ascii=False, separators=(",", ":"))
    if form == "spaced":
        return json.dumps(items, ensure_ascii=False, indent=1)
    return json.dumps([*items, draw(st.integers(-5, 5))], ensure_ascii=False)


# Dates and times drawn from a few values (repeated, as birth dates are) or each its own, some empty.
_DATES = st.one_of(st.none(), st.just(""), st.dates().map(dt.date.isoformat))
_MOMENTS = st.one_of(st.none(), st.just(""), st.datetimes().map(dt.datetime.isoformat),
                     st.datetimes(timezones=st.timezones()).map(dt.datetime.isoformat),
                     st.dates().map(dt.date.isoformat))
_SCORES = st.one_of(st.floats(allow_nan=False), st.integers(-(2**63), 2**63 - 1), st.just(-0.0),
                    st.sampled_from(["", "abc", "1.5", "7"]))


@st.composite
def _seasons(draw) -> list[tuple]:
    ids = draw(st.lists(_IDS, max_size=14, unique=True))
    pool_of_dates = draw(st.lists(_DATES, min_size=1, max_size=3))
    pool_of_moments = draw(st.lists(_MOMENTS, min_size=1, max_size=3))
    repeating = draw(st.booleans())
    rows = []
    for rid in ids:
        born = draw(st.sampled_from(pool_of_dates) if repeating else _DATES)
        registered = draw(st.sampled_from(pool_of_moments) if repeating else _MOMENTS)
        rows.append((rid, draw(_TEXT), draw(_TEXT), draw(_TEXT), born, draw(_SCORES), registered,
                     draw(_stored_choices()), draw(st.integers(0, 3)), draw(_TEXT), draw(_TEXT)))
    return rows


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], max_examples=150)
@given(rows=_seasons(), chunk=st.sampled_from([1, 2, 3, 5, registrants.LOAD_CHUNK]))
def test_everyone_is_loaded_as_stored_in_the_order_of_their_ids(season, rows, chunk):
    with season.transaction() as conn, mock.patch.object(registrants, "LOAD_CHUNK", chunk):
        store_rows(conn, rows)
        assert_same_records(conn)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(people=st.lists(st.tuples(_IDS, _TEXT, st.none() | st.dates(), st.none() | st.datetimes(),
                                 st.lists(_ITEM, max_size=4), st.floats(allow_nan=False, allow_infinity=False)),
                       max_size=12, unique_by=lambda p: p[0]))
def test_people_written_by_the_import_load_back_as_they_were(season, people):
    records = [Registrant(rid, name, birth_date=born, registered_at=registered, choices=tuple(choices), score=score,
                          companions=1, passport="4510 123456")
               for rid, name, born, registered, choices, score in people]
    with season.transaction() as conn:
        conn.execute("DELETE FROM registrants")
        upsert_registrants(conn, records, now=NOW)
        assert load_registrants(conn) == sorted(records, key=lambda r: r.id)
        assert_same_records(conn)


def test_choices_stored_by_another_writer_are_decoded(season):
    with season.transaction() as conn:
        upsert_registrants(conn, [Registrant("1", "А", birth_date=dt.date(2000, 1, 2))], now=NOW)
        for stored in ('["a","b"]', '[ "a" ]', '["a", 1]', '["a", 1, "b"]', '["\\u0041"]', '["a\\", \\"b"]',
                       '["a", "b" ]', '[]', '["", ""]', '["\\\\"]'):
            conn.execute("UPDATE registrants SET choices = ?", (stored,))
            assert_same_records(conn)


def test_repeated_and_distinct_dates_with_empty_ones(season):
    # Birth dates repeat, registration times differ; some of either are empty (NULL or '').
    rows = [(str(i), "", "", "", ["2001-03-11", None, ""][i % 3], 1.0, f"2026-11-{1 + i:02d}T05:45:0{i % 10}"
             if i % 4 else ["", None][i % 8 // 4], "[]", 0, "", "") for i in range(24)]
    with season.transaction() as conn:
        store_rows(conn, rows)
        loaded = load_registrants(conn)
        assert_same_records(conn)
    assert {r.birth_date for r in loaded} == {dt.date(2001, 3, 11), None}
    assert sum(r.registered_at is None for r in loaded) == 6


@pytest.mark.parametrize(("column", "stored", "error"), [
    ("birth_date", "11.03.2001", ValueError), ("registered_at", "вчера", ValueError),
    ("choices", '["a"', json.JSONDecodeError), ("choices", '["]', json.JSONDecodeError),
])
def test_a_value_neither_reading_understands_fails_alike(season, column, stored, error):
    with season.transaction() as conn:
        store_rows(conn, [(f"{i}", "", "", "", None, 0.0, None, "[]", 0, "", "") for i in range(5)])
        conn.execute(f"UPDATE registrants SET {column} = ? WHERE id = '3'", (stored,))
        with pytest.raises(error):
            read_row_by_row(conn)
        with pytest.raises(error):
            load_registrants(conn)


def test_an_empty_season_has_nobody(season):
    with season.reader() as conn:
        assert load_registrants(conn) == []
        assert load_registrant(conn, "1") is None
