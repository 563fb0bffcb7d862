import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmosprom_cli.io.values import (
    ValueProblem,
    check_text,
    normalize_header,
    normalize_passport,
    normalize_phone,
    parse_bool,
    parse_date,
    parse_int,
    parse_time,
)


@pytest.mark.parametrize("raw,expected", [
    ("11.12.2026", dt.date(2026, 12, 11)),
    ("1.2.2026", dt.date(2026, 2, 1)),
    ("2026-12-11", dt.date(2026, 12, 11)),
    (dt.datetime(2026, 12, 11), dt.date(2026, 12, 11)),
    (dt.date(2026, 12, 11), dt.date(2026, 12, 11)),
])
def test_dates_are_day_first(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["31.02.2026", "12/32/2026", "11.12.26", "2026-13-01", "завтра", 45000])
def test_impossible_or_ambiguous_dates_are_rejected(raw):
    with pytest.raises(ValueProblem):
        parse_date(raw)


@pytest.mark.parametrize("raw,expected", [
    ("10:00", dt.time(10)), ("10.00", dt.time(10)), ("9:30", dt.time(9, 30)), (dt.time(11, 15), dt.time(11, 15)),
    (0.5, dt.time(12)),
])
def test_times(raw, expected):
    assert parse_time(raw) == expected


@pytest.mark.parametrize("raw", ["25:00", "10:60", "ten", 1.5])
def test_bad_times(raw):
    with pytest.raises(ValueProblem):
        parse_time(raw)


@pytest.mark.parametrize("raw,expected", [
    ("да", True), ("Нет", False), ("yes", True), ("NO", False), ("true", True), ("false", False),
    ("1", True), ("0", False), ("+", True), ("-", False), (1, True), (True, True),
])
def test_yes_no(raw, expected):
    assert parse_bool(raw) is expected


def test_headers_ignore_case_space_and_yo():
    assert normalize_header("  Ёмкость  Группы ") == normalize_header("емкость группы")


@pytest.mark.parametrize("raw,expected", [
    ("+7 (916) 123-45-67", "+79161234567"), ("89161234567", "+79161234567"), ("8 495 123 45 67", "+74951234567"),
    (79161234567, "+79161234567"), (9161234567.0, "+79161234567"),
])
def test_phones_are_normalised(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["+1 212 555 0100", "12345", "+7 (116) 123-45-67", "phone"])
def test_non_russian_phones_are_rejected(raw):
    with pytest.raises(ValueProblem):
        normalize_phone(raw)


def test_passport_keeps_leading_zeros_and_refuses_numbers():
    assert normalize_passport("0123 456789") == "0123 456789"
    with pytest.raises(ValueProblem, match="stored as a number"):
        normalize_passport(123456789)


@pytest.mark.parametrize("bad", ["\u202eevil", "a\x00b", "a\x0bb", "\u200binvisible"])
def test_control_and_direction_characters_are_named(bad):
    with pytest.raises(ValueProblem, match="U\\+"):
        check_text(bad)


@given(st.integers(min_value=-10**6, max_value=10**6))
def test_int_round_trip(n):
    assert parse_int(str(n)) == n
    assert parse_int(float(n)) == n
