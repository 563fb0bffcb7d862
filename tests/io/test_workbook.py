"""The .xlsx reader returns the values a spreadsheet program shows, whoever wrote the file."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.io.xlsx.cells import format_kind as _format_kind
from openmosprom_cli.io.xlsx.reader import open_workbook
from openmosprom_cli.settings import Limits
from tests.paths import BAD

_spec = importlib.util.spec_from_file_location("make_bad_files", BAD / "make_bad_files.py")
generator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generator)


def test_reference_workbook_values():
    with open_workbook(BAD / "valid.xlsx") as book:
        assert book.sheet_names() == ("Значения", "Ошибки")
        rows = dict(book.rows("Значения"))
    assert rows == {
        1: ("Что", "Значение"),
        2: ("целое", 42),
        3: ("дробное", 2.5),
        4: ("экспонента", 0.0015),
        5: ("общая строка", "Иванов Иван"),
        6: ("пробелы", "  с пробелами  "),
        7: ("форматированный текст", "Жирный и обычный"),
        8: ("сущности", "A & B <tag>"),
        9: ("фонетика и _x", "перенос\rстроки"),
        10: ("строка формулы", "ab"),
        11: ("встроенный форматированный", "раз два"),
        12: ("истина", True),
        13: ("ложь", False),
        14: ("дата", dt.date(2026, 12, 15)),
        15: ("дата и время", dt.datetime(2026, 12, 15, 10, 30)),
        16: ("время", dt.time(13, 30)),
        17: ("свой формат даты", dt.date(2026, 12, 15)),
        18: ("формат с локалью", dt.date(2026, 12, 15)),
        19: ('число с "дн"', 3),
        20: ("[h]:mm", dt.time(6, 0)),
        21: ("[Red]0.00", 46371),
        22: ("28.02.1900", dt.date(1900, 2, 28)),
        23: ("01.03.1900", dt.date(1900, 3, 1)),
        24: ("01.01.1900", dt.date(1900, 1, 1)),
        25: ("пропуск столбцов", None, None, 7),
        26: ("формула с результатом", 84),
        27: ("хвост пустых",),
        30: ("большое целое", 79161234567),
    }
    assert isinstance(rows[2][1], int) and isinstance(rows[3][1], float) and isinstance(rows[12][1], bool)


def test_error_cells_and_the_phantom_leap_day_are_reported_by_cell():
    problems = []
    with open_workbook(BAD / "valid.xlsx") as book:
        rows = list(book.rows("Ошибки", problems=problems))
    assert rows == [(1, ("Ошибки",)), (3, (None, 1))]
    assert [str(p) for p in problems] == [
        "valid.xlsx › Ошибки › row 2 › column A: holds the error #DIV/0!; fix the cell or its formula in Excel",
        "valid.xlsx › Ошибки › row 2 › column B: holds the error #N/A; fix the cell or its formula in Excel",
        "valid.xlsx › Ошибки › row 3 › column A: holds 29.02.1900, a date that does not exist "
        "(Excel's 1900 leap-year bug)",
    ]


def test_1904_date_system():
    with open_workbook(BAD / "valid-1904.xlsx") as book:
        assert list(book.rows("Лист1")) == [
            (1, (dt.date(1904, 1, 1), dt.date(2027, 1, 2), dt.datetime(1904, 1, 2, 12, 0)))]


@pytest.mark.parametrize(("code", "kind"), [
    ("dd.mm.yyyy", "date"), ("[$-419]d mmmm yyyy", "date"), ("mmm-yy", "date"), ("hh:mm", "time"),
    ("[h]:mm:ss", "time"), ("dd.mm.yyyy hh:mm", "datetime"), ('0.00 "дн"', None), ("[Red]0.00", None),
    ("General", None), ("#,##0", None), ('"день" 0', None), (r"0\d", None),
])
def test_number_format_kinds(code, kind):
    assert _format_kind(code) == kind


def test_unknown_sheet_is_a_data_error():
    with (open_workbook(BAD / "valid.xlsx") as book,
          pytest.raises(BadDataError, match=r"has no sheet named 'Лист9' \(sheets: 'Значения', 'Ошибки'\)")):
        list(book.rows("Лист9"))


# -- round trips through openpyxl -----------------------------------------------------

texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(
    lambda s: not s.startswith("=") and s.strip() == s and s != "")
cell_values = st.one_of(
    st.none(),
    st.integers(-10**14, 10**14),
    # openpyxl itself writes floats to 15 significant digits, so only such floats can round-trip.
    st.floats(-1e12, 1e12, allow_nan=False).map(lambda f: float(f"{f:.15g}")),
    texts,
    st.booleans(),
    st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 30)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 30)).map(lambda d: d.replace(microsecond=0)),
)
tables = st.lists(st.lists(cell_values, max_size=8), min_size=1, max_size=12)


def written_by_openpyxl(table: list[list[object]]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Данные"
    for row in table:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def expected_rows(table: list[list[object]]) -> list[tuple[int, tuple[object, ...]]]:
    expected = []
    for number, row in enumerate(table, start=1):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        if values:
            expected.append((number, tuple(values)))
    return expected


def read_bytes(tmp_path: Path, data: bytes, name: str = "book.xlsx", limits: Limits | None = None):
    path = tmp_path / name
    path.write_bytes(data)
    with open_workbook(path, limits) as book:
        return {sheet: list(book.rows(sheet)) for sheet in book.sheet_names()}


def same(actual, expected) -> bool:
    return actual == expected and all(
        type(a) is type(e) or {type(a), type(e)} <= {int, float}
        for (_, arow), (_, erow) in zip(actual, expected) for a, e in zip(arow, erow))


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables)
def test_openpyxl_written_values_read_back_unchanged(tmp_path, table):
    rows = read_bytes(tmp_path, written_by_openpyxl(table))["Данные"]
    assert same(rows, expected_rows(table))


def rewrite_sheet(data: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                content = change(content)
            target.writestr(info.filename, content)
    return out.getvalue()


def reorder_attributes(xml: bytes) -> bytes:
    """t before r, single quotes, line breaks between attributes: legal XML the fast pattern does not expect."""
    def cell(match: re.Match) -> bytes:
        attrs = re.findall(rb'(\w+)="([^"]*)"', match.group(1))
        return b"<c\n" + b" ".join(b"%s='%s'" % pair for pair in reversed(attrs)) + match.group(2)
    return re.sub(rb"<c ((?:\w+=\"[^\"]*\" ?)+)(/?>)", cell, xml)


def prefix_elements(xml: bytes) -> bytes:
    """The same sheet with every element in an explicit ``x:`` prefix, as the .NET Open XML SDK writes it."""
    xml = re.sub(rb"<(/?)(?!\?)([A-Za-z]+)", rb"<\1x:\2", xml)
    return xml.replace(b'xmlns="http://schemas', b'xmlns:x="http://schemas', 1)


def drop_references(xml: bytes) -> bytes:
    """Cells without r="…" are placed one after another; rows without r follow the previous row."""
    return re.sub(rb' r="[A-Z]*[0-9]+"', b"", xml)


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables)
def test_other_writers_layouts_read_the_same(tmp_path, table):
    data = written_by_openpyxl(table)
    expected = read_bytes(tmp_path, data)["Данные"]
    assert read_bytes(tmp_path, rewrite_sheet(data, reorder_attributes))["Данные"] == expected
    assert read_bytes(tmp_path, rewrite_sheet(data, prefix_elements))["Данные"] == expected


def test_cells_without_references_fill_left_to_right(tmp_path):
    data = written_by_openpyxl([["a", 1], ["b", None, 3]])
    # openpyxl writes no element for the empty B2, so without references 3 moves into column B.
    assert read_bytes(tmp_path, rewrite_sheet(data, drop_references))["Данные"] == [(1, ("a", 1)), (2, ("b", 3))]


def test_a_far_column_with_a_value_is_refused_naming_it(tmp_path):
    data = written_by_openpyxl([["ID VK"]])

    def far(xml: bytes) -> bytes:
        return xml.replace(b"</sheetData>",
                           b'<row r="5"><c r="ZZ5" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
    with pytest.raises(BadDataError, match=r"book.xlsx › Данные › row 5 › column ZZ: holds a value beyond column GR"):
        read_bytes(tmp_path, rewrite_sheet(data, far))


# -- fuzzing: anything either reads or raises BadDataError ----------------------------------

def read_all_or_bad_data(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(data)
    try:
        with open_workbook(path, Limits(max_uncompressed_mb=8, max_rows=5000, max_columns=50)) as book:
            for sheet in book.sheet_names():
                book.hidden_columns(sheet)
                book.merged_in_data(sheet, 1)
                list(book.rows(sheet))
    except BadDataError as error:
        assert error.message and "\n" not in error.message


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000))
def test_random_bytes_never_escape_as_other_errors(tmp_path, data):
    read_all_or_bad_data(tmp_path, data)


VALID = (BAD / "valid.xlsx").read_bytes()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(positions=st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_corrupted_zip_bytes_never_escape_as_other_errors(tmp_path, positions):
    data = bytearray(VALID)
    for at, value in positions:
        data[at] = value
    read_all_or_bad_data(tmp_path, bytes(data))


xml_noise = st.sampled_from([b"<", b">", b"&", b"&amp;", b"&#0;", b"&#x110000;", b"&bogus;", b'"', b"'", b"</c>",
                             b"<c r=\"B", b"<row>", b"</row>", b"<v>", b"</v>", b"<f>", b"\xff", b"\x00", b"_x0000_",
                             b"<is>", b"<t>", b"/>", b" t=\"s\"", b" t=\"e\"", b" t=\"b\"", b" s=\"99999\"", b"<!--",
                             b"<![CDATA[", b"XFD1048576", b"9" * 30])


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 40), xml_noise), min_size=1, max_size=6),
       part=st.sampled_from(["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml",
                             "xl/_rels/workbook.xml.rels"]))
def test_mangled_xml_parts_never_escape_as_other_errors(tmp_path, edits, part):
    source = zipfile.ZipFile(io.BytesIO(VALID))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == part:
                for at, cut, noise in edits:
                    at %= len(content) + 1
                    content = content[:at] + noise + content[at + cut:]
            target.writestr(info.filename, content)
    read_all_or_bad_data(tmp_path, out.getvalue())
