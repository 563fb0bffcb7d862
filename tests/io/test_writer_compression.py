"""How hard a workbook is deflated: a large (streamed) one quickly, a small one as before, both reproducibly."""

from __future__ import annotations

import datetime as dt
import zipfile
import zlib

import openpyxl
import pytest
import xlsxwriter.workbook
from xlsxwriter.worksheet import Worksheet

from openmosprom_cli.errors import CannotCreateError
from openmosprom_cli.io import writer_xlsx
from openmosprom_cli.io.writer import Sheet, write_workbook

STAMP = dt.datetime(2026, 11, 20, 12, 0)
# xlsxwriter's own copy of a streamed sheet's rows, which the writer swaps only while it closes a workbook.
XLSXWRITER_ROW_COPY = Worksheet._write_optimized_sheet_data


def participants(count: int) -> list[Sheet]:
    rows = [(i, f"Иванова Мария {i}", f"+7 916 {i:07d}", dt.date(2026, 12, 1 + i % 28), i % 3)
            for i in range(1, count + 1)]
    return [Sheet("Участники", ["№", "ФИО", "Телефон", "Дата", "Гостей"], rows, autofilter=True, freeze=True)]


def deflate_levels(path) -> dict[str, int | None]:
    """Each entry's deflate level, told by deflating its contents again at 1 and at zlib's default 6."""
    levels = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_DEFLATED
            data = archive.read(info)
            sizes = {}
            for level in (1, 6):
                deflate = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
                sizes[level] = len(deflate.compress(data) + deflate.flush())
            matching = [level for level, size in sizes.items() if size == info.compress_size]
            levels[info.filename] = matching[0] if len(set(sizes.values())) > 1 and len(matching) == 1 else None
    return levels


def test_a_large_workbook_is_deflated_quickly_yet_gives_the_same_bytes_and_cells(tmp_path):
    count = writer_xlsx.SMALL_WORKBOOK_ROWS + 1_000
    first = write_workbook(tmp_path / "a.xlsx", participants(count), private=True, stamp=STAMP)
    second = write_workbook(tmp_path / "b.xlsx", participants(count), private=True, stamp=STAMP)

    assert first.read_bytes() == second.read_bytes()
    assert deflate_levels(first)["xl/worksheets/sheet1.xml"] == writer_xlsx.LARGE_WORKBOOK_COMPRESSLEVEL == 1
    book = openpyxl.load_workbook(first, read_only=True)
    try:
        rows = list(book["Участники"].iter_rows(values_only=True))
    finally:
        book.close()
    assert rows[0] == ("№", "ФИО", "Телефон", "Дата", "Гостей")
    assert len(rows) == count + 1
    assert rows[1] == (1, "Иванова Мария 1", "+7 916 0000001", dt.datetime(2026, 12, 2), 1)
    assert rows[-1] == (count, f"Иванова Мария {count}", f"+7 916 {count:07d}",
                        dt.datetime(2026, 12, 1 + count % 28), count % 3)
    # The level is the writer's choice for this file only: xlsxwriter's own zip is left as it was.
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    assert Worksheet._write_optimized_sheet_data is XLSXWRITER_ROW_COPY


def test_a_small_workbook_keeps_zlibs_default_level_and_so_its_bytes(tmp_path):
    path = write_workbook(tmp_path / "small.xlsx", participants(200), private=True, stamp=STAMP)

    assert deflate_levels(path)["xl/worksheets/sheet1.xml"] == 6
    assert path.read_bytes() == write_workbook(tmp_path / "again.xlsx", participants(200), private=True,
                                               stamp=STAMP).read_bytes()


def test_a_failed_large_workbook_leaves_xlsxwriters_zip_and_row_copy_as_they_were(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "write", refuse)
    with pytest.raises(CannotCreateError, match="disk full"):
        write_workbook(tmp_path / "a.xlsx", participants(writer_xlsx.SMALL_WORKBOOK_ROWS + 1), private=True,
                       stamp=STAMP)
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    assert Worksheet._write_optimized_sheet_data is XLSXWRITER_ROW_COPY
