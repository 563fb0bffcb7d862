"""How xlsxwriter closes a large (streamed) workbook: the table writer's two changes to its packaging.

Both are swapped in only while :func:`streamed_close` runs, around ``Workbook.close()``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import zipfile
from collections.abc import Iterator


@contextlib.contextmanager
def streamed_close(level: int) -> Iterator[None]:
    """How xlsxwriter closes a streamed workbook while the block runs: zipped at this deflate level, and each
    sheet's rows copied into its XML as bytes.

    xlsxwriter makes its ZipFile inside ``Workbook.close()`` with no way to pass a level, so the name it
    calls is swapped for the block (the CLI writes one workbook at a time). It copies the rows' temporary
    file into the sheet's XML as text, decoding and encoding every byte (0.35 s for participants.xlsx at
    200,000 people); the bytes copied are the same.
    """
    import xlsxwriter.workbook
    from xlsxwriter.worksheet import Worksheet

    def rows_as_bytes(ws: Worksheet) -> None:
        if ws.dim_rowmin is None:
            ws._xml_empty_tag("sheetData")
            return
        ws._xml_start_tag("sheetData")
        ws.row_data_fh.close()
        ws.fh.flush()
        with open(ws.row_data_filename, "rb") as rows:
            shutil.copyfileobj(rows, ws.fh.buffer, 1 << 20)
        os.unlink(ws.row_data_filename)
        ws._xml_end_tag("sheetData")

    plain_zip, plain_rows = xlsxwriter.workbook.ZipFile, Worksheet._write_optimized_sheet_data
    # A partial, not a subclass made here: a class is a reference cycle, left to the collector.
    xlsxwriter.workbook.ZipFile = functools.partial(zipfile.ZipFile, compresslevel=level)
    Worksheet._write_optimized_sheet_data = rows_as_bytes
    try:
        yield
    finally:
        xlsxwriter.workbook.ZipFile = plain_zip
        Worksheet._write_optimized_sheet_data = plain_rows
