"""The rejected rows of an import, with their reasons, as a workbook beside the season.

``<season>/rejected-<file>.xlsx`` lists each row as written in the file, with
its row number and every reason; it holds personal data, so it is owner-only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from openmosprom_cli.season.folder import Season

if TYPE_CHECKING:
    from openmosprom_cli.registrants.parse import ParsedRegistrants

REJECTED_PREFIX = "rejected-"


def rejected_file_path(season: Season, source: Path) -> Path:
    from openmosprom_cli.io.files import inside, safe_file_name

    return inside(season.path, safe_file_name(f"{REJECTED_PREFIX}{Path(source).stem}", suffix=".xlsx",
                                              fallback=f"{REJECTED_PREFIX}registrants"))


def write_rejected(target: Path, parsed: ParsedRegistrants) -> None:
    """The rejected rows as written in the file, each with its row number and reasons; owner-only."""
    from openmosprom_cli.io.xlsx_out import (
        fit_columns,
        new_workbook,
        print_ready,
        save_workbook,
        text_cell,
        value_cell,
        write_header,
    )

    wb = new_workbook()
    ws = wb.create_sheet("Отклонённые")
    write_header(ws, 1, ("Строка", "Причины", *parsed.headers))
    for i, rejected in enumerate(parsed.rejected, start=2):
        value_cell(ws, i, 1, rejected.row)
        text_cell(ws, i, 2, "\n".join(rejected.reasons))
        by_header = dict(rejected.cells)
        for j, header in enumerate(parsed.headers, start=3):
            raw = by_header.get(header)
            if isinstance(raw, (dt.date, dt.time)):
                value_cell(ws, i, j, raw)
            else:
                text_cell(ws, i, j, "" if raw is None else describe_cell(raw))
    fit_columns(ws)
    print_ready(ws, header_row=1)
    save_workbook(wb, target, private=True)


def describe_cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

