"""The column-wide fast paths of the registrant import give exactly what the per-cell parsers give."""

from __future__ import annotations

import datetime as dt

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from openmosprom_cli.io import values
from openmosprom_cli.io.values import normalize_passport
from openmosprom_cli.io.xlsx.reader import open_workbook
from openmosprom_cli.models import Registrant
from openmosprom_cli.registrants.cells import (
    is_plain_email,
    parse_birth_date,
    parse_email,
    parse_phone,
    parse_registered_at,
    parse_registrant_id,
    parse_text,
)
from openmosprom_cli.registrants.columns import EARLIEST_BIRTH_YEAR
from openmosprom_cli.registrants.fast import (
    fast_birth_dates,
    fast_emails,
    fast_ids,
    fast_moments,
    fast_passports,
    fast_phones,
    fast_texts,
    parse_column,
)
from openmosprom_cli.store.registrants import registrant_value_rows, registrant_values

TODAY = dt.date(2026, 11, 27)

# Characters near every fast pattern's edges: digits, separators, Cyrillic, controls, direction overrides.
NOISE = st.text(alphabet=st.sampled_from("0123456789 +-().@;,_xX:ЁёАяaZ\t\n\u202e\x0b\u0301й"), max_size=24)


def cells(specific: st.SearchStrategy[str]) -> st.SearchStrategy[list]:
    """Columns as a CSV gives them (all text) or a spreadsheet (blanks as None, some numbers)."""
    cell = st.one_of(specific, NOISE, st.just(""), st.just("   "))
    text_column = st.lists(cell, max_size=30)
    sheet_column = st.lists(st.one_of(cell, st.none(), st.integers(-5, 10**12), st.booleans()), max_size=30)
    return st.one_of(text_column, sheet_column)


def same_as_per_cell(raws, parser, default, fast):
    kinds = {str} if all(type(v) is str for v in raws) else None
    assert parse_column(raws, parser, default, fast, kinds) == parse_column(raws, parser, default)


@settings(max_examples=150, deadline=None)
@given(cells(st.from_regex(r"[0-9]{1,70}", fullmatch=True)))
def test_ids(raws):
    same_as_per_cell(raws, parse_registrant_id, "", fast_ids)


@settings(max_examples=150, deadline=None)
@given(cells(st.text(alphabet=st.sampled_from("Аа Яя Ёё ЙйZz-.'"), max_size=30)))
def test_names_and_citizenship(raws):
    same_as_per_cell(raws, parse_text, "", fast_texts)


@settings(max_examples=150, deadline=None)
@given(cells(st.from_regex(r"(\+7|8|7|\+8)?[ (]{0,2}[0-9]{3}[) -]{0,2}[0-9]{3}[- .]?[0-9]{2}[- ]?[0-9]{1,3}",
                           fullmatch=True)))
def test_phones(raws):
    same_as_per_cell(raws, parse_phone, "", fast_phones)


@settings(max_examples=150, deadline=None)
@given(cells(st.from_regex(r"[a-z0-9._;,+ -]{1,8}@[a-zа-я0-9.-]{1,8}\.[a-z]{0,3}", fullmatch=True)))
def test_emails(raws):
    same_as_per_cell(raws, parse_email, "", fast_emails)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[A-Za-z0-9._+-]{1,70}@[a-z0-9.-]{1,70}\.(?:[a-z]{1,5}|test|local|onion|xn--p1ai)",
                     fullmatch=True))
def test_the_plain_address_shortcut_accepts_only_what_email_validator_keeps_unchanged(text):
    """cells.parse_email skips email-validator (40 µs an address) for plain ones; it must never disagree."""
    if is_plain_email(text):
        assert values.parse_email(text) == text


@settings(max_examples=150, deadline=None)
@given(cells(st.from_regex(r"[0-3][0-9]\.[01][0-9]\.(18|19|20)[0-9]{2}", fullmatch=True)))
def test_birth_dates_including_impossible_future_and_too_old(raws):
    same_as_per_cell(raws, lambda raw: parse_birth_date(raw, TODAY), None, fast_birth_dates(TODAY))


@settings(max_examples=150, deadline=None)
@given(cells(st.from_regex(r"[0-3][0-9]\.[01][0-9]\.20[0-9]{2} [0-2][0-9]:[0-6][0-9]:[0-6][0-9]", fullmatch=True)))
def test_registration_times(raws):
    same_as_per_cell(raws, parse_registered_at, None, fast_moments)


MOMENTS = st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), MOMENTS.map(lambda m: m.replace(microsecond=0)), MOMENTS,
                          MOMENTS.map(lambda m: m.replace(tzinfo=dt.timezone(dt.timedelta(hours=3)))),
                          st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1))), max_size=30))
def test_registration_times_from_a_spreadsheet(raws):
    """Date-times as the reader gives them: mostly whole seconds, some with milliseconds, a zone or no time."""
    same_as_per_cell(raws, parse_registered_at, None, fast_moments)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.dates(dt.date(1890, 1, 1), dt.date(2030, 1, 1)), st.just(TODAY),
                          st.just(dt.date(EARLIEST_BIRTH_YEAR, 1, 1))), max_size=30))
def test_birth_dates_from_a_spreadsheet_including_future_and_too_old(raws):
    same_as_per_cell(raws, lambda raw: parse_birth_date(raw, TODAY), None, fast_birth_dates(TODAY))


@settings(max_examples=150, deadline=None)
@given(cells(st.from_regex(r"[0-9]{2}[ ]{0,2}[0-9]{2}[ №-]{0,2}[0-9]{5,7}", fullmatch=True)))
def test_passports(raws):
    same_as_per_cell(raws, normalize_passport, "", fast_passports)


def test_one_impossible_date_among_many_leaves_the_rest_fast():
    raws = [f"{day:02d}.01.1990" for day in range(1, 32)] + ["31.02.1990"] * 3 + ["15.06.1985"]
    values, misses = fast_birth_dates(TODAY)(raws, {str}, None)
    assert misses == [31, 32, 33]
    assert values[0] == dt.date(1990, 1, 1) and values[-1] == dt.date(1985, 6, 15)


registrants = st.builds(
    Registrant,
    id=st.text(min_size=1, max_size=8),
    full_name=st.text(max_size=10),
    birth_date=st.one_of(st.none(), st.dates()),
    score=st.floats(0, 1e6),
    registered_at=st.one_of(st.none(), st.datetimes()),
    choices=st.lists(st.text(max_size=6), max_size=5).map(tuple),
    companions=st.integers(0, 2),
)


@given(st.lists(registrants, max_size=20))
def test_bulk_database_rows_equal_registrant_values(people):
    records = [tuple(vars(p).values()) for p in people]
    assert registrant_value_rows(records) == [registrant_values(p) for p in people]


def test_merged_areas_read_with_the_rows_equal_those_read_alone(tmp_path):
    path = tmp_path / "merged.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Лист"
    for row in range(1, 40):
        ws.append([f"r{row}", row, None, "x"])
    ws.merge_cells("A3:B4")
    ws.merge_cells("C10:D12")
    wb.save(path)
    with open_workbook(path) as alone:
        expected = alone.merged_ranges("Лист")
    with open_workbook(path) as book:
        rows = list(book.rows("Лист"))
        assert book.merged_ranges("Лист") == expected
    assert sorted(expected) == ["A3:B4", "C10:D12"]
    assert len(rows) == 39


def test_what_is_made_while_the_collector_is_paused_joins_the_oldest_generation():
    """So the first collection after a big import does not scan its millions of objects, about to be freed."""
    import gc

    from openmosprom_cli.allocation.bulk import collector_paused

    with collector_paused():
        assert not gc.isenabled()
        made = [[] for _ in range(1000)]
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert any(o is made for o in gc.get_objects(generation=2))
