"""Every hostile or broken file in tests/data/bad gets one clear error of the right type."""

from __future__ import annotations

import copy
import importlib.util
import shutil
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from openmosprom_cli.errors import BadDataError, MissingInputError
from openmosprom_cli.io.xlsx.reader import open_workbook
from openmosprom_cli.settings import Limits
from tests.paths import BAD

_spec = importlib.util.spec_from_file_location("make_bad_files", BAD / "make_bad_files.py")
generator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generator)


def read_everything(path: Path, limits: Limits | None = None) -> dict[str, list]:
    with open_workbook(path, limits) as book:
        return {name: list(book.rows(name)) for name in book.sheet_names()}


@pytest.mark.parametrize(("name", "fragment"), [
    ("csv-renamed.xlsx", "csv-renamed.xlsx: is a text/CSV file, not an .xlsx workbook"),
    ("old.xls", "old.xls: is an old Excel 97–2003 .xls workbook; save it as .xlsx"),
    ("encrypted.xlsx", "encrypted.xlsx: is password-protected; remove the password and save again"),
    ("empty.xlsx", "empty.xlsx: is an empty file, not an .xlsx workbook"),
    ("truncated.xlsx", "truncated.xlsx: is a damaged or truncated .xlsx workbook"),
    ("not-xlsx.zip.xlsx", "is a zip archive but not an .xlsx workbook (it has no xl/workbook.xml)"),
    ("zip-bomb.xlsx",
     "zip-bomb.xlsx: xl/worksheets/sheet1.xml inflates to 300 MB (limit 256 MB); rejected as a possible zip bomb"),
    ("zip-ratio.xlsx", "compresses 1009:1 (limit 200:1); rejected as a possible zip bomb"),
    ("zip-lying-size.xlsx", "sizes that do not match the contents"),
    ("billion-laughs.xlsx", "xl/worksheets/sheet1.xml inside it contains a DTD (<!DOCTYPE>)"),
    ("xxe.xlsx", "xl/sharedStrings.xml inside it contains a DTD (<!DOCTYPE>)"),
    ("dtd-in-workbook.xlsx", "xl/workbook.xml inside it contains a DTD (<!DOCTYPE>)"),
    ("huge-dimension.xlsx", "huge-dimension.xlsx › Лист1 › row 1048576 › column XFD: holds a value beyond column GR"),
])
def test_each_bad_file_gets_its_own_one_line_message(name, fragment):
    with pytest.raises(BadDataError) as caught:
        read_everything(BAD / name)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message
    assert caught.value.exit_code == 65


def test_missing_file_is_exit_66(tmp_path):
    with pytest.raises(MissingInputError) as caught:
        open_workbook(tmp_path / "nowhere.xlsx")
    assert "nowhere.xlsx does not exist" in str(caught.value)
    assert caught.value.exit_code == 66


def test_a_directory_is_not_a_workbook(tmp_path):
    with pytest.raises(MissingInputError, match="is not a file"):
        open_workbook(tmp_path)


def test_the_bomb_is_refused_before_inflating_anything():
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(BadDataError):
        open_workbook(BAD / "zip-bomb.xlsx")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert time.perf_counter() - started < 1.0
    assert peak < 5 * 1024 * 1024


def test_the_size_cap_is_configurable():
    # 8 MB of sheet passes the size cap only when the cap is above it; the ratio cap still applies.
    with pytest.raises(BadDataError, match=r"inflates to 8 MB \(limit 4 MB\)"):
        open_workbook(BAD / "zip-ratio.xlsx", Limits(max_uncompressed_mb=4))
    rows = read_everything(BAD / "zip-ratio.xlsx", Limits(max_compression_ratio=2000))
    assert rows == {"Лист1": []}


def test_bytes_actually_inflated_are_capped_too(monkeypatch):
    """Declared sizes can lie in ways a zip library misses; the running count of inflated bytes still stops the read."""
    real_infolist = zipfile.ZipFile.infolist

    def understated(archive):
        infos = [copy.copy(info) for info in real_infolist(archive)]
        for info in infos:
            info.file_size = min(info.file_size, 1000)
        return infos

    monkeypatch.setattr(zipfile.ZipFile, "infolist", understated)
    with (open_workbook(BAD / "zip-ratio.xlsx", Limits(max_uncompressed_mb=4)) as book,
          pytest.raises(BadDataError, match="inflates beyond 4 MB while reading xl/worksheets/sheet1.xml")):
        list(book.rows("Лист1"))


def test_huge_dimension_with_only_an_empty_far_cell_reads_normally():
    tracemalloc.start()
    rows = read_everything(BAD / "huge-dimension-empty-cell.xlsx")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rows == {"Лист1": [(1, ("ID VK", "ФИО")), (2, (101, "Иванов Иван"))]}
    assert peak < 5 * 1024 * 1024


def test_rows_beyond_the_row_cap_are_refused():
    with pytest.raises(BadDataError, match=r"row 2 › column A: holds a value beyond row 1"):
        read_everything(BAD / "merged-in-data.xlsx", Limits(max_rows=1))


def test_formatting_only_rows_are_skipped_quickly():
    started = time.perf_counter()
    rows = read_everything(BAD / "formatting-rows.xlsx")
    assert time.perf_counter() - started < 2.0
    assert rows == {"Лист1": [(1, ("ID VK", "ФИО")), (2, (101, "Иванов Иван"))]}


def test_formula_without_saved_result_is_reported_not_read_as_empty():
    with pytest.raises(BadDataError) as caught:
        read_everything(BAD / "formula-no-value.xlsx")
    problems = [str(p) for p in caught.value.problems]
    assert problems == [
        "formula-no-value.xlsx › Лист1 › row 2 › column B: formula =SUM(C2:E2) has no saved result; "
        "open the file in Excel or LibreOffice, let it calculate, and save it again",
        "formula-no-value.xlsx › Лист1 › row 3 › column B: formula =C3*2 has no saved result; "
        "open the file in Excel or LibreOffice, let it calculate, and save it again",
    ]


def test_cell_problems_can_be_collected_while_rows_keep_coming():
    problems = []
    with open_workbook(BAD / "formula-no-value.xlsx") as book:
        rows = list(book.rows("Лист1", problems=problems))
    assert rows == [(1, ("ID VK", "Баллы")), (2, (101,)), (3, (102,))]
    assert len(problems) == 2


def test_a_single_unreadable_cell_is_the_whole_message(tmp_path):
    path = tmp_path / "one-error.xlsx"
    generator.simple_workbook(path, generator.HEADER_ROW + '<row r="2"><c r="B2" t="e"><v>#REF!</v></c></row>')
    with pytest.raises(BadDataError) as caught:
        read_everything(path)
    assert caught.value.message == ("one-error.xlsx › Лист1 › row 2 › column B: holds the error #REF!; "
                                    "fix the cell or its formula in Excel")


def test_merged_cells_inside_the_data_are_found_and_the_title_is_not():
    with open_workbook(BAD / "merged-in-data.xlsx") as book:
        assert book.merged_ranges("Лист1") == ("A1:C1", "B3:B4")
        assert book.merged_in_data("Лист1", 2) == ("B3:B4",)
        problems = book.merged_data_problems("Лист1", 2)
    assert [str(p) for p in problems] == [
        "merged-in-data.xlsx › Лист1 › row 3: merged cells B3:B4 inside the data; "
        "unmerge them so every row has its own values"]


def test_hidden_sheets_are_flagged_and_refused_by_visible_sheet():
    with open_workbook(BAD / "hidden-sheet.xlsx") as book:
        assert [(s.name, s.hidden) for s in book.sheets] == [
            ("Участники", False), ("Черновик", True), ("Служебный", True)]
        assert book.visible_sheet("Участники").name == "Участники"
        with pytest.raises(BadDataError, match="hidden-sheet.xlsx: sheet 'Черновик' is hidden; unhide it or remove it"):
            book.visible_sheet("Черновик")
        with pytest.raises(BadDataError, match="has no sheet named 'Нет'"):
            book.visible_sheet("Нет")


def test_hidden_columns_are_reported_and_capped_at_the_columns_read():
    with open_workbook(BAD / "hidden-columns.xlsx", Limits(max_columns=10)) as book:
        assert book.hidden_columns("Лист1") == {1, 3, 4, 5, 6, 7, 8, 9}


def test_unsupported_xml_constructs_are_refused(tmp_path):
    path = tmp_path / "comment.xlsx"
    generator.simple_workbook(path, generator.HEADER_ROW + "<!-- a comment -->")
    with pytest.raises(BadDataError, match="comments, CDATA or processing instructions"):
        read_everything(path)


def test_the_generator_reproduces_the_committed_files(tmp_path):
    generator.main(tmp_path)
    for made in sorted(tmp_path.iterdir()):
        assert made.read_bytes() == (BAD / made.name).read_bytes(), made.name


def test_renamed_copies_are_judged_by_content_not_name(tmp_path):
    renamed = tmp_path / "schedule.xlsx"
    shutil.copy(BAD / "old.xls", renamed)
    with pytest.raises(BadDataError, match="schedule.xlsx: is an old Excel 97–2003 .xls workbook"):
        open_workbook(renamed)
