"""The rejected rows of an import, with their reasons, as a workbook beside the season.

``<season>/rejected-<file>.xlsx`` lists each row as written in the file, with
its row number and every reason; it holds personal data, so it is owner-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from openmosprom_cli.i18n import RUSSIAN, render
from openmosprom_cli.season.folder import Season

if TYPE_CHECKING:
    from openmosprom_cli.registrants.parse import ParsedRegistrants

REJECTED_PREFIX = "rejected-"
REJECTED_SHEET = "Отклонённые"


def rejected_file_path(season: Season, source: Path) -> Path:
    from openmosprom_cli.io.files import inside, safe_file_name

    return inside(season.path, safe_file_name(f"{REJECTED_PREFIX}{Path(source).stem}", suffix=".xlsx",
                                              fallback=f"{REJECTED_PREFIX}registrants"))


def write_rejected(target: Path, parsed: ParsedRegistrants) -> None:
    """The rejected rows as written in the file, each with its row number and reasons; owner-only."""
    from openmosprom_cli.io.writer import Sheet, write_workbook

    columns = ("Строка", "Причины", *parsed.headers)
    write_workbook(target, [Sheet(REJECTED_SHEET, columns, _rejected_rows(parsed), print_ready=True)], private=True)


def _rejected_rows(parsed: ParsedRegistrants) -> Iterator[tuple[object, ...]]:
    """Dates and times as the file had them; everything else as text, as it was written (no numbers reinterpreted)."""
    for rejected in parsed.rejected:
        by_header = dict(rejected.cells)
        cells = (by_header.get(header) for header in parsed.headers)
        # Files people read give their reasons in Russian, whatever the interface's language.
        yield (rejected.row, "\n".join(render(reason, RUSSIAN) for reason in rejected.reasons),
               *(raw if raw is None or isinstance(raw, (dt.date, dt.time)) else describe_cell(raw) for raw in cells))


def describe_cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

