"""Writing ``.xlsx`` files that people open in Excel or LibreOffice.

Values that came from outside (registrants, factories) are always written as
text with Excel's quote prefix, so ``=HYPERLINK(...)`` stays a plain string
and never becomes a formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openmosprom_cli.io.files import atomic_write_with

HEADER_FILL = "DDEBF7"


def new_workbook():
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    return wb


def _xml_safe(text: str) -> str:
    """Control characters XML cannot hold (NUL, vertical tab…) become visible ``\\xNN`` escapes.

    They only reach a workbook when it reports rejected input, and there the
    organizer should see what the file contained.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def text_cell(ws, row: int, column: int, value: object):
    """Write untrusted ``value`` as a string cell that can never be a formula."""
    cell = ws.cell(row=row, column=column)
    text = _xml_safe("" if value is None else str(value))
    cell.value = text
    cell.data_type = "s"
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        cell.quotePrefix = True
    return cell


def value_cell(ws, row: int, column: int, value: Any, number_format: str | None = None):
    """Write a value the tool produced itself (numbers, dates); text still goes through :func:`text_cell`."""
    if isinstance(value, str) or value is None:
        return text_cell(ws, row, column, value)
    cell = ws.cell(row=row, column=column, value=value)
    if number_format:
        cell.number_format = number_format
    elif isinstance(value, dt.datetime):
        cell.number_format = "DD.MM.YYYY HH:MM"
    elif isinstance(value, dt.date):
        cell.number_format = "DD.MM.YYYY"
    elif isinstance(value, dt.time):
        cell.number_format = "HH:MM"
    return cell


def write_header(ws, row: int, headers: Iterable[str]) -> None:
    from openpyxl.styles import Font, PatternFill

    for i, header in enumerate(headers, start=1):
        cell = text_cell(ws, row, i, header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)


def fit_columns(ws, *, minimum: int = 6, maximum: int = 60) -> None:
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            text = cell.value.strftime("%d.%m.%Y") if isinstance(cell.value, (dt.date, dt.datetime)) else str(cell.value)
            widths[cell.column] = max(widths.get(cell.column, 0), len(text))
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = max(minimum, min(maximum, width + 2))


def print_ready(ws, *, header_row: int) -> None:
    """Landscape, fitted to page width, header row repeated on every page and frozen on screen."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def save_workbook(wb, path: Path, *, private: bool = False) -> None:
    """Save atomically; ``private`` files (passports, birth dates) are readable by the owner only."""
    atomic_write_with(Path(path), wb.save, private=private)
