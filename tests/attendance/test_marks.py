"""Check-in marks in every spelling gate staff use, and the roster codes that survive any reordering or retyping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmosprom_cli.attendance.marks import ABSENT, PRESENT, parse_mark, parse_yes_no_mark
from openmosprom_cli.io.values import ValueProblem
from openmosprom_cli.rosters.codes import ALPHABET, CODE_LENGTH, normalise_code, visitor_code

PRESENT_SPELLINGS = ["+", "++", "да", "Да", "ДА", "д", "1", "yes", "Yes", "y", "true", "ok", "ок", "есть", "был",
                     "была", "пришёл", "Пришел", "пришла", "присутствовал", "Присутствовала", "явился", "явилась",
                     "v", "V", "х", "Х", "x", "X", "✓", "✔", "☑", "✅", "√", "☒"]
ABSENT_SPELLINGS = ["-", "–", "—", "нет", "Нет", "НЕТ", "н", "0", "no", "n", "false", "не был", "не была",
                    "не пришёл", "Не пришел", "не пришла", "не явился", "неявка", "отсутствовал", "отсутствовала",
                    "✗", "✘", "❌", "н/я"]
UNMARKED = [None, "", "   ", "\t", "☐", "?"]


@pytest.mark.parametrize("spelling", PRESENT_SPELLINGS)
def test_present_in_every_spelling(spelling):
    assert parse_mark(spelling) == PRESENT


@pytest.mark.parametrize("spelling", ABSENT_SPELLINGS)
def test_absent_in_every_spelling(spelling):
    assert parse_mark(spelling) == ABSENT


@pytest.mark.parametrize("cell", UNMARKED)
def test_an_empty_cell_is_not_marked_not_absent(cell):
    assert parse_mark(cell) is None


@pytest.mark.parametrize("cell, expected", [(1, PRESENT), (0, ABSENT), (1.0, PRESENT), (0.0, ABSENT), (True, PRESENT),
                                            (False, ABSENT)])
def test_numbers_and_booleans_as_excel_stores_them(cell, expected):
    assert parse_mark(cell) == expected


@pytest.mark.parametrize("cell", ["может быть", "2", 2, 0.5, "позже", "+-"])
def test_anything_else_is_refused_with_the_spellings(cell):
    with pytest.raises(ValueProblem, match="is not a check-in mark"):
        parse_mark(cell)


@given(spelling=st.sampled_from(PRESENT_SPELLINGS + ABSENT_SPELLINGS), left=st.sampled_from(["", " ", "  ", "\u00a0"]),
       right=st.sampled_from(["", " ", ".", "!", " . "]), upper=st.booleans())
def test_case_spaces_and_a_closing_full_stop_do_not_change_a_mark(spelling, left, right, upper):
    expected = parse_mark(spelling)
    typed = left + (spelling.upper() if upper else spelling) + right
    assert parse_mark(typed) == expected


@given(st.text(min_size=1, max_size=12))
def test_any_text_is_present_absent_unmarked_or_refused_never_a_crash(text):
    try:
        result = parse_mark(text)
    except ValueProblem:
        return
    assert result in (PRESENT, ABSENT, None)


def test_prize_handed_reads_the_same_spellings():
    assert parse_yes_no_mark("да") is True and parse_yes_no_mark("-") is False and parse_yes_no_mark("") is None


# -- the codes -------------------------------------------------------------------------------------------

KEY = "00112233445566778899aabbccddeeff"


def test_a_code_is_short_stable_and_names_a_person_on_a_tour():
    code = visitor_code(KEY, "123456789", "estet-1214-1100")
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    assert visitor_code(KEY, "123456789", "estet-1214-1100") == code
    assert visitor_code(KEY, "123456789", "estet-1215-1500") != code
    assert visitor_code(KEY, "123456788", "estet-1214-1100") != code
    # Another season's key gives another code: a code means nothing outside its season.
    assert visitor_code("ff" * 16, "123456789", "estet-1214-1100") != code


@given(rid=st.integers(1, 10**12).map(str), tour=st.sampled_from(["a-1211-1000", "b-1222-1530"]),
       lower=st.booleans(), dashes=st.booleans())
def test_a_code_reads_back_however_it_was_retyped(rid, tour, lower, dashes):
    code = visitor_code(KEY, rid, tour)
    typed = code.lower() if lower else code
    if dashes:
        typed = f" {typed[:3]}-{typed[3:]} "
    assert normalise_code(typed) == code


def test_cyrillic_lookalikes_and_misread_letters_are_taken_for_what_they_look_like():
    assert normalise_code("АВС-ЕНК") == "ABCEHK"       # Cyrillic А В С Е Н К
    assert normalise_code("O1IL23") == "011123"
    assert normalise_code("12345") == "" and normalise_code("ABCDEFG") == "" and normalise_code("ABCDE!") == ""
    assert normalise_code(12345) == "012345"           # digits only, stored by Excel as a number
