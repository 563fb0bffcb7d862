"""Getting the rows of a registrant export: a ``.csv`` or ``.xlsx`` file into a :class:`Sheet`.

The export is a ``.csv`` (UTF-8 with or without BOM, or cp1251 with
``encoding="cp1251"``; separator ``,`` or ``;`` detected from the header line)
or an ``.xlsx`` workbook, whose first visible sheet with the registrant
columns is read. The header is found and checked by :func:`tables.read_table`;
the cells below it are taken as they are, to be parsed column by column.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import cast

from openmosprom_cli.errors import BadDataError, Location, Problem
from openmosprom_cli.io.tables import (
    HEADER_SEARCH_ROWS,
    Column,
    header_lookup,
    read_table,
)
from openmosprom_cli.io.values import is_blank, normalize_header
from openmosprom_cli.settings import Settings


def read_sheet(path: Path, columns: tuple[Column, ...], lookup: dict[str, str], *, settings: Settings,
               encoding: str | None = None) -> Sheet:
    """The rows of a ``.csv`` or ``.xlsx`` export below its header; other kinds of file are refused."""
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise BadDataError.at(Location(path.name), "is an old Excel 97–2003 workbook; save it as .xlsx or .csv")
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise BadDataError.at(Location(path.name), "is neither .csv nor .xlsx")
    if suffix == ".csv":
        return load_sheet(_csv_rows(path, encoding, settings), columns, lookup, file=path.name, text_only=True)
    return _read_xlsx(path, columns, lookup, settings)


@dataclass(frozen=True)
class Sheet:
    """The data rows below a located header, with the column index of each field."""

    file: str
    sheet: str | None
    header_row: int
    headers: dict[str, str]  # field -> header text as in the file
    index: dict[str, int]  # field -> 0-based column
    extras: dict[str, int]  # any other header -> 0-based column
    numbers: list[int]  # row number of each data row, blank rows included
    rows: list[Sequence[object]]
    hidden: frozenset[int] = frozenset()
    text_only: bool = False  # every cell is a str (CSV), so its columns need no type checks
    # Cells the reader could not give a value (an error, a formula without a saved result): each rejects its row.
    unreadable: tuple[Problem, ...] = ()

    def columns(self) -> dict[str, Sequence[object]]:
        """Each field's cells, one per data row (``None`` where a row is short)."""
        width = max(self.index.values(), default=-1) + 1
        rows = self.rows
        if not rows:
            return dict.fromkeys(self.index, ())
        if min(map(len, rows)) < width:
            # A blank cell is None or "" alike; "" keeps a CSV's columns all text.
            missing = "" if self.text_only else None
            rows = [r if len(r) >= width else (*r, *(missing,) * (width - len(r))) for r in rows]
        # One transposition at C speed (zip stops at the shortest row, which now reaches every field).
        transposed = list(zip(*rows, strict=False))
        return {f: transposed[i] for f, i in self.index.items()}

    def is_blank_row(self, position: int) -> bool:
        return all(is_blank(v) for i, v in enumerate(self.rows[position]) if i not in self.hidden)

    def named_columns(self) -> list[tuple[int, str]]:
        """(column, header) of every header of the file, in file order."""
        return sorted([(i, self.headers[f]) for f, i in self.index.items()] + [(i, h) for h, i in self.extras.items()])

    def cells(self, position: int) -> tuple[tuple[str, object], ...]:
        """One data row as (header, value) pairs in file order."""
        values = self.rows[position]
        return tuple((header, values[i] if i < len(values) else None) for i, header in self.named_columns())

    def location(self, position: int, fieldname: str) -> Location:
        return Location(self.file, self.sheet, self.numbers[position], self.headers.get(fieldname, fieldname))

    def unreadable_cells(self) -> list[tuple[int, str, str]]:
        """(data row position, header, message) of each cell the reader could not give a value."""
        if not self.unreadable:
            return []
        position: dict[int | None, int] = {number: i for i, number in enumerate(self.numbers)}
        header_of: dict[int | None, str] = dict(self.named_columns())
        found: list[tuple[int, str, str]] = []
        for problem in self.unreadable:
            label = problem.location.column or ""  # the reader always names the column: "column C"
            found.append((position[problem.location.row], header_of.get(_column_index(label), label), problem.message))
        return found


def load_sheet(rows: Iterable[tuple[int, Sequence[object]]], columns: tuple[Column, ...], lookup: dict[str, str],
               *, file: str, sheet: str | None = None, hidden: set[int] | frozenset[int] = frozenset(),
               text_only: bool = False) -> Sheet:
    """Find and check the header with :func:`tables.read_table`, then take the data rows as they are.

    Only the rows where the header may be are handed to ``read_table``: its
    per-row records would cost more than parsing 100,000 registrants.
    """
    iterator = iter(rows)
    head = list(itertools.islice(iterator, HEADER_SEARCH_ROWS + 1))
    # read_table only iterates each row's values, which a CSV gives as a list.
    table = read_table(cast("list[tuple[int, tuple[object, ...]]]", head), columns, file=file, sheet=sheet,
                       hidden_columns=hidden, mapping=lookup, keep_extra=True)
    position = next(i for i, (number, _) in enumerate(head) if number == table.header_row)
    fields = header_lookup(columns, lookup)
    index: dict[str, int] = {}
    extras: dict[str, int] = {}
    for i, raw in enumerate(head[position][1]):
        if i in hidden or is_blank(raw):
            continue
        fieldname = fields.get(normalize_header(raw))
        if fieldname is None:
            extras.setdefault(str(raw).strip(), i)
        else:
            index.setdefault(fieldname, i)
    # Blank rows are not skipped here: a blank row has no ID, so it always
    # fails parsing, and only failed rows need the (slower) blank check.
    rest = head[position + 1:]
    rest.extend(iterator)
    return Sheet(file, sheet, table.header_row, dict(table.headers), index, extras,
                 list(map(itemgetter(0), rest)), list(map(itemgetter(1), rest)), frozenset(hidden), text_only)


def _decode(data: bytes, encoding: str | None, file: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and encoding is None:
        encoding = "utf-16"
    if encoding is None:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            row = data.count(b"\n", 0, exc.start) + 1
            raise BadDataError.at(
                Location(file, row=row), f"is not UTF-8 text (byte 0x{data[exc.start]:02X})",
                hint="A CSV saved by Excel is usually in cp1251: add --encoding cp1251.",
            ) from None
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise BadDataError(f"{encoding!r} is not a known encoding", hint="Try --encoding cp1251 or utf-8.") from None
    try:
        text = data.decode(codec.name)
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        raise BadDataError.at(Location(file, row=row),
                              f"is not {encoding} text (byte 0x{data[exc.start]:02X})") from None
    return text.removeprefix("\ufeff")


_QUOTED = re.compile(r'"[^"]*"')


def detect_separator(text: str) -> str:
    """``;`` or ``,``: whichever the first line having either (outside quotes) has more of.

    Title lines above the header usually have neither, so they are passed over.
    """
    for line in itertools.islice(io.StringIO(text), HEADER_SEARCH_ROWS + 1):
        bare = _QUOTED.sub("", line)
        semicolons, commas = bare.count(";"), bare.count(",")
        if semicolons or commas:
            return ";" if semicolons > commas else ","
    return ","


def split_csv(text: str, separator: str, file: str) -> list[list[str]]:
    """CSV records as lists of cells: by the csv module, or by plain splitting when that gives the same.

    Without any quote character and with every ``\r`` part of a ``\r\n``,
    a CSV record is one line and a cell is whatever lies between separators,
    which ``str.split`` finds several times faster than the csv module.
    """
    if '"' not in text and text.count("\r") == text.count("\r\n"):
        lines = text.replace("\r\n", "\n").split("\n")
        if lines[-1] == "":
            lines.pop()
        return [line.split(separator) if line else [] for line in lines]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        return list(reader)
    except csv.Error as exc:
        raise BadDataError.at(Location(file, row=reader.line_num), f"is not valid CSV: {exc}") from None


def _csv_rows(path: Path, encoding: str | None, settings: Settings) -> list[tuple[int, list[str]]]:
    limits = settings.limits
    file = path.name
    size = path.stat().st_size
    if size == 0:
        raise BadDataError.at(Location(file), "is empty")
    if size > limits.max_uncompressed_mb * 1024 * 1024:
        raise BadDataError.at(Location(file), f"is larger than {limits.max_uncompressed_mb} MB",
                              hint="Raise [limits] max_uncompressed_mb in season.toml if the file is genuine.")
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise BadDataError.at(Location(file), "is an .xlsx workbook (a zip file), not CSV text; rename it to .xlsx")
    text = _decode(data, encoding, file)
    del data
    records = split_csv(text, detect_separator(text), file)
    if len(records) > limits.max_rows:
        raise BadDataError.at(Location(file), f"has more than {limits.max_rows} rows")
    if records and max(map(len, records)) > limits.max_columns:
        records = [cells[:limits.max_columns] for cells in records]
    # A record is one spreadsheet row even when a quoted cell spans lines, so rows count records.
    return list(zip(itertools.count(1), records))


def _read_xlsx(path: Path, columns: tuple[Column, ...], lookup: dict[str, str], settings: Settings) -> Sheet:
    """The first visible sheet with the registrant columns; hidden sheets are never read."""
    from openmosprom_cli.io.xlsx.reader import open_workbook

    file = path.name
    with open_workbook(path, settings.limits) as book:
        visible = [s.name for s in book.sheets if not s.hidden]
        hidden = [s.name for s in book.sheets if s.hidden]
        first_error: BadDataError | None = None
        for name in visible:
            unreadable: list[Problem] = []
            try:
                sheet = load_sheet(book.rows(name, problems=unreadable), columns, lookup, file=file, sheet=name,
                                   hidden=book.hidden_columns(name))
            except BadDataError as exc:
                if "no header row" not in exc.message:
                    raise
                first_error = first_error or exc
                continue
            merged = book.merged_data_problems(name, sheet.header_row + 1)
            if merged:
                message = str(merged[0]) if len(merged) == 1 else f"{file} › {name}: merged cells inside the data"
                raise BadDataError(message, merged, hint="Unmerge them so that every row stands on its own.")
            above = [p for p in unreadable if (p.location.row or 0) <= sheet.header_row]
            if above:
                raise BadDataError(str(above[0]), above)
            return dataclasses.replace(sheet, unreadable=tuple(unreadable))
    if hidden:
        raise BadDataError.at(
            Location(file), "no visible sheet has the registrant columns",
            hint=f"Hidden sheets are never read ({', '.join(hidden)}); unhide the one with the registrants.",
        )
    if first_error is not None:
        raise first_error
    raise BadDataError.at(Location(file), "has no visible sheet")


def _column_index(label: str | None) -> int | None:
    """0-based index of a reader location's ``column C``."""
    letters = (label or "").removeprefix("column ").strip()
    if not letters.isalpha():
        return None
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1
