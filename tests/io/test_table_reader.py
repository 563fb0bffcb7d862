"""The one table reader: headers that mean nothing, missing columns, and the one CSV policy, through real commands."""

from __future__ import annotations

import codecs

import pytest

from openmosprom_cli.errors import BadDataError
from openmosprom_cli.io.csv_text import read_csv_rows, text_encoding
from openmosprom_cli.io.tables import Column, read_table
from openmosprom_cli.io.values import ValueProblem
from openmosprom_cli.settings import Limits
from openmosprom_cli.tours.exchange import export_tours
from openmosprom_cli.tours.generate import generate_season_tours
from tests.schedules.test_schedules import factory_book, problems
from tests.season_digest import season_digest

COLUMNS = (Column("date", ("Дата", "date"), required=True), Column("start", ("Начало", "start"), required=True),
           Column("duration_min", ("Длительность, мин", "duration_min")),
           Column("capacity", ("Размер группы", "capacity"), required=True))


def rows(*lines):
    return list(enumerate(lines, start=1))


# -- headers ----------------------------------------------------------------------------

def test_a_header_close_to_a_missing_column_is_an_error_with_the_suggestion():
    with pytest.raises(BadDataError) as refused:
        read_table(rows(("Дата", "Начало", "Длительность (мин)", "Размер группы"), ("11.12.2026", "10:00", 60, 20)),
                   COLUMNS, file="a.xlsx", sheet="Расписание")
    assert str(refused.value) == ("a.xlsx › Расписание › row 1 › Длительность (мин): is not a column this table "
                                  "knows; did you mean «Длительность, мин»?")


def test_a_misspelt_required_column_is_said_once_not_once_per_row(tmp_path):
    path = factory_book(tmp_path / "a.xlsx", header=("Дата", "Начало", "Размер грппы"),
                        rows=[("11.12.2026", f"{h}:00", 20) for h in range(9, 15)])
    assert problems(path) == ["a.xlsx › Расписание › row 1 › Размер грппы: is not a column this table knows; "
                              "did you mean «Размер группы»?"]


def test_a_missing_required_column_is_named_once():
    with pytest.raises(BadDataError) as refused:
        read_table(rows(("Дата", "Начало", "Примечание"), ("11.12.2026", "10:00", ""), ("12.12.2026", "10:00", "")),
                   COLUMNS, file="a.csv")
    assert [str(p) for p in refused.value.problems] == ["a.csv › row 1: the required column 'Размер группы' is missing"]


def test_an_unknown_header_far_from_every_column_is_one_warning_and_its_data_is_not_read():
    table = read_table(rows(("Дата", "Начало", "Размер группы", "Экскурсовод", "Автобус"),
                            ("11.12.2026", "10:00", 20, "Анна", "да")), COLUMNS, file="a.csv")
    assert table.warnings == ("a.csv: not read, no such column: «Экскурсовод», «Автобус»",)
    assert set(table.records[0].values) == {"date", "start", "capacity"}


def test_a_close_header_is_only_a_warning_when_its_column_is_already_there():
    table = read_table(rows(("Дата", "Начало", "Размер группы", "Размер группы 2"), ("11.12.2026", "10:00", 20, 30)),
                       COLUMNS, file="a.csv")
    assert table.warnings == ("a.csv: not read, no such column: «Размер группы 2»",)


def test_the_schedule_import_command_prints_the_warning(tmp_path, cli, season):
    path = factory_book(tmp_path / "a.xlsx", header=("Дата", "Начало", "Размер группы", "Экскурсовод"),
                        rows=[("11.12.2026", "10:00", 20, "Анна")])
    result = cli("schedules", "import", path, "-w", season.path)
    assert result.exit_code == 0, result.output
    assert "warning: a.xlsx › Расписание: not read, no such column: «Экскурсовод»" in result.output


def test_the_schedule_import_command_refuses_a_misspelt_column_and_changes_nothing(tmp_path, cli, season):
    path = factory_book(tmp_path / "a.xlsx", header=("Дата", "Начало", "Длительность (мин)", "Размер группы"),
                        rows=[("11.12.2026", "10:00", 60, 20)])
    before = season_digest(season.path)
    result = cli("schedules", "import", path, "-w", season.path)
    assert result.exit_code == 65
    assert "did you mean «Длительность, мин»?" in result.output
    assert season_digest(season.path) == before


# -- the CSV policy -----------------------------------------------------------------------

LIMITS = Limits()


def write(path, text: str, encoding: str = "utf-8", bom: bytes = b"") -> object:
    path.write_bytes(bom + text.encode(encoding))
    return path


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", b""), ("utf-8", codecs.BOM_UTF8),
                                               ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)])
def test_utf8_with_or_without_a_bom_and_utf16_with_one_are_read(tmp_path, encoding, bom):
    path = write(tmp_path / "a.csv", "Код;Вес\r\nestet;1,5\r\n", encoding, bom)
    assert read_csv_rows(path, LIMITS) == [(1, ["Код", "Вес"]), (2, ["estet", "1,5"])]


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_the_separator_is_found_past_a_title_line(tmp_path, separator):
    path = write(tmp_path / "a.csv", f"Экскурсии\n\nКод{separator}Вес\nestet{separator}2\n")
    assert read_csv_rows(path, LIMITS)[-1] == (4, ["estet", "2"])


def test_anything_else_is_refused_with_the_encoding_hint(tmp_path):
    path = write(tmp_path / "a.csv", "Код;Вес\nЭстет;1\n", "cp1251")
    with pytest.raises(BadDataError, match="not UTF-8") as refused:
        read_csv_rows(path, LIMITS)
    assert "--encoding cp1251" in refused.value.hint
    assert read_csv_rows(path, LIMITS, "cp1251")[1] == (2, ["Эстет", "1"])


def test_utf16_without_a_bom_is_named_as_the_likely_cause(tmp_path):
    path = write(tmp_path / "a.csv", "Код;Вес\nестет;1\n", "utf-16-le")
    with pytest.raises(BadDataError, match="UTF-16 text without a byte-order mark"):
        read_csv_rows(path, LIMITS)


@pytest.mark.parametrize(("data", "what"), [(b"PK\x03\x04rest", ".xlsx workbook"),
                                            (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old Excel .xls"),
                                            (b"  \r\n", "is empty")])
def test_files_that_are_not_csv_are_named_for_what_they_are(tmp_path, data, what):
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    with pytest.raises(BadDataError, match=what):
        read_csv_rows(path, LIMITS)


def test_a_value_beyond_the_last_column_read_is_an_error_but_trailing_separators_are_not(tmp_path):
    wide = write(tmp_path / "wide.csv", ";".join(["Код"] + [""] * 200 + ["Вес"]) + "\nestet" + ";" * 201 + "2\n")
    with pytest.raises(BadDataError, match="value in column 202; at most 200 columns are read"):
        read_csv_rows(wide, LIMITS)
    trailing = write(tmp_path / "trailing.csv", "Код;Вес" + ";" * 300 + "\nestet;2" + ";" * 300 + "\n")
    assert read_csv_rows(trailing, LIMITS)[1][1][:2] == ["estet", "2"]


def test_our_own_formula_guard_reads_back_as_the_text_it_guarded(tmp_path):
    path = write(tmp_path / "a.csv", "Код;Примечание\nestet;'=HYPERLINK(1)\nil;'Не формула\n")
    assert read_csv_rows(path, LIMITS)[1:] == [(2, ["estet", "=HYPERLINK(1)"]), (3, ["il", "'Не формула"])]


@pytest.mark.parametrize("name", ["base64", "rot13", "hex", "zlib", "win-1251x"])
def test_only_text_encodings_are_encodings(name):
    with pytest.raises(ValueProblem, match="cp1251"):
        text_encoding(name)


@pytest.mark.parametrize("name,why", [("base64", "not a text encoding"), ("win-1251x", "not a known encoding")])
def test_an_unknown_or_non_text_encoding_on_the_command_line_is_a_usage_error(stocked, tmp_path, cli, name, why):
    generate_season_tours(stocked, tours=6)
    path = export_tours(stocked, tmp_path / "tours.csv")
    result = cli("slots", "import", path, "--encoding", name, "-w", stocked.path)
    assert result.exit_code == 2
    assert why in result.output and "utf-8, utf-8-sig, utf-16, cp1251, koi8-r" in " ".join(result.output.split())


def test_slots_import_reads_a_utf16_export_saved_by_excel(stocked, tmp_path, cli):
    generate_season_tours(stocked, tours=6)
    exported = export_tours(stocked, tmp_path / "tours.csv")
    text = exported.read_bytes().decode("utf-8-sig").replace(";", "\t")
    saved = tmp_path / "saved.csv"
    saved.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    result = cli("slots", "import", saved, "-w", stocked.path)
    assert result.exit_code == 0, result.output
    assert "No changes" in result.output


# -- a uniform CSV read column by column ---------------------------------------------------

def _read_row_by_row(path, limits):
    """The table as the csv path row by row gives it: what the column-by-column reading must equal."""
    from openmosprom_cli.io.csv_text import csv_rows, read_csv_text
    from openmosprom_cli.io.reader import _raw_table

    text, separator = read_csv_text(path, limits)
    return _raw_table(csv_rows(text, separator, limits, path.name), COLUMNS, file=path.name, sheet=None,
                      mapping=None, text_only=True)


@pytest.mark.parametrize(("text", "by_column"), [
    ("Дата;Начало;Размер группы\n11.12.2026;10:00;20\n11.12.2026;11:00;20\n12.12.2026;10:00;\n", True),
    ("Расписание завода\r\n\r\nДата,Начало,Размер группы,Заметка\r\n11.12.2026,10:00,20,\r\n,,,\r\n", True),
    ("Дата\tНачало\tРазмер группы\tЛишнее\n11.12.2026\t10:00\n", True),          # a header wider than its rows
    ("Дата;Начало;Размер группы;Заметка\n11.12.2026;10:00;20;it's\n", True),       # an apostrophe inside a cell
    ("Дата;Начало;Размер группы\n11.12.2026;10:00;20\n\n12.12.2026;10:00;20", False),  # a blank line
    ("Дата;Начало;Размер группы\n11.12.2026;10:00;20\n12.12.2026;10:00\n", False),   # a short row
    ('Дата;Начало;Размер группы\n"11.12.2026";10:00;"2\n0"\n', False),               # quotes
    ("Дата;Начало;Размер группы;Заметка\n11.12.2026;10:00;20;'=1+1\n", False),      # a guarded cell
    ("Дата;Начало;Размер группы\r\n11.12.2026;10:00;20\r12.12.2026;10:00;20\r\n", False),  # a lone \\r
    ("Дата;Начало;Размер группы\n" + "11.12.2026;10:00;20\n" * 40 + "12.12.2026;10:00\n", False),  # short at the end
    ("Дата;Начало;Размер группы\n" + "11.12.2026;10:00;20\n" * 40 + "\n", False),   # a blank line at the end
    ("Дата;Начало;Размер группы\r\n" + "11.12.2026;10:00;20\r\n" * 40 + "11.12.2026;12:00;20", True),
])
@pytest.mark.parametrize("chunk", [1 << 20, 7])  # characters split at once: a chunk, or one a line
def test_a_csv_read_column_by_column_is_the_table_read_row_by_row(tmp_path, monkeypatch, text, by_column, chunk):
    from openmosprom_cli.io import csv_text
    from openmosprom_cli.io.reader import RowsOfColumns, read_raw_table

    monkeypatch.setattr(csv_text, "_CHUNK_CHARACTERS", chunk)
    path = tmp_path / "a.csv"
    path.write_text(text, encoding="utf-8")
    limits = Limits()
    table = read_raw_table(path, COLUMNS, limits)
    expected = _read_row_by_row(path, limits)
    assert (table.header, table.numbers, table.text_only) == (expected.header, expected.numbers, True)
    assert {f: list(cells) for f, cells in table.columns().items()} == {
        f: list(cells) for f, cells in expected.columns().items()}
    assert [table.cells(i) for i in range(len(table.rows))] == [expected.cells(i) for i in range(len(expected.rows))]
    assert [table.is_blank_row(i) for i in range(len(table.rows))] == [
        expected.is_blank_row(i) for i in range(len(expected.rows))]
    assert table.table() == expected.table()
    # Only a file whose rows below the header all have the same cells is read column by column.
    assert isinstance(table.rows, RowsOfColumns) == by_column


def test_the_caps_on_rows_and_columns_hold_for_a_uniform_csv(tmp_path):
    from openmosprom_cli.io.reader import read_raw_table

    path = tmp_path / "a.csv"
    path.write_text("Дата;Начало;Размер группы\n" + "11.12.2026;10:00;20\n" * 5, encoding="utf-8")
    with pytest.raises(BadDataError, match="has more than 5 rows"):
        read_raw_table(path, COLUMNS, Limits(max_rows=5))
    with pytest.raises(BadDataError, match="row 1: has a value in column 3; at most 2 columns are read"):
        read_raw_table(path, COLUMNS, Limits(max_columns=2))
    path.write_text("Дата;Начало;Размер группы\n" + "11.12.2026;10:00;20;x\n" * 5, encoding="utf-8")
    with pytest.raises(BadDataError, match="row 2: has a value in column 4; at most 3 columns are read"):
        read_raw_table(path, COLUMNS, Limits(max_columns=3))
