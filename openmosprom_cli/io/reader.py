"""The one table reader: a path and the columns a table expects, in; rows with their locations, out.

CSV and ``.xlsx`` alike (the CSV policy is :mod:`openmosprom_cli.io.csv_text`,
the safe workbook reader :mod:`openmosprom_cli.io.xlsx.reader`). Every row keeps
its number and every column its header as written, so each problem can name
file › sheet › row › column.

Which sheet of a workbook: the first sheet named as the caller prefers, else
the first visible sheet whose header has the table's columns. A hidden sheet is
never read: a hidden preferred sheet is an error rather than a silent fall-back
to another one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

from openmosprom_cli.errors import BadDataError, Location, MissingInputError, Problem
from openmosprom_cli.i18n import Msg, _
from openmosprom_cli.io.csv_text import (
    csv_rows,
    first_plain_lines,
    is_plain,
    may_hold_guarded_cells,
    plain_line_count,
    read_csv_text,
    uniform_columns,
)
from openmosprom_cli.io.tables import (
    HEADER_SEARCH_ROWS,
    Column,
    Header,
    NoHeaderRow,
    Record,
    Rows,
    Table,
    locate_header,
    unreadable_cells,
)
from openmosprom_cli.io.values import is_blank, normalize_header
from openmosprom_cli.settings import Limits

CSV_SUFFIXES = (".csv", ".txt")


class RowsOfColumns(Sequence[Sequence[object]]):
    """The rows of a table read column by column (a uniform CSV), each row made when asked for."""

    def __init__(self, columns: list[list[str]]):
        self.by_column = columns
        self._count = len(columns[0]) if columns else 0

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, position: int) -> list[str]: ...
    @overload
    def __getitem__(self, position: slice) -> list[list[str]]: ...

    def __getitem__(self, position: int | slice) -> list[str] | list[list[str]]:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(self._count))]
        return [column[position] for column in self.by_column]

    def __iter__(self) -> Iterator[list[str]]:
        return map(list, zip(*self.by_column, strict=True))


@dataclass(frozen=True)
class RawTable:
    """The rows below a table's header, as read; big imports parse them column by column."""

    header: Header
    numbers: list[int]                   # row number of each data row, blank rows included
    rows: Sequence[Sequence[object]]     # a list, or RowsOfColumns
    hidden: frozenset[int] = frozenset()
    text_only: bool = False              # every cell is a str (CSV), so columns need no type checks
    # Cells the reader could not give a value (an error, a formula without a saved result).
    unreadable: tuple[Problem, ...] = ()

    @property
    def file(self) -> str:
        return self.header.file

    @property
    def sheet(self) -> str | None:
        return self.header.sheet

    def columns(self) -> dict[str, Sequence[object]]:
        """Each field's cells, one per data row (``None``, or "" in a CSV, where a row is short)."""
        index = self.header.index
        width = max(index.values(), default=-1) + 1
        rows = self.rows
        if not rows:
            return dict.fromkeys(index, ())
        if isinstance(rows, RowsOfColumns):
            given = rows.by_column
            blank = ("",) * len(rows)  # a header without cells below it (the rows are shorter)
            return {f: given[i] if i < len(given) else blank for f, i in index.items()}
        if min(map(len, rows)) < width:
            missing = "" if self.text_only else None
            rows = [r if len(r) >= width else (*r, *(missing,) * (width - len(r))) for r in rows]
        # One transposition at C speed (zip stops at the shortest row, which now reaches every field).
        transposed = list(zip(*rows, strict=False))
        return {f: transposed[i] for f, i in index.items()}

    def is_blank_row(self, position: int) -> bool:
        return all(is_blank(v) for i, v in enumerate(self.rows[position]) if i not in self.hidden)

    def cells(self, position: int) -> tuple[tuple[str, object], ...]:
        """One data row as (header, value) pairs in file order."""
        values = self.rows[position]
        return tuple((header, values[i] if i < len(values) else None) for i, header in self.header.named_columns())

    def location(self, position: int, fieldname: str) -> Location:
        return self.header.location(self.numbers[position], fieldname)

    def unreadable_cells(self) -> list[tuple[int, str, str]]:
        """(data row position, header, message) of each cell the reader could not give a value."""
        if not self.unreadable:
            return []
        position: dict[int | None, int] = {number: i for i, number in enumerate(self.numbers)}
        header_of: dict[int | None, str] = dict(self.header.named_columns())
        found: list[tuple[int, str, str]] = []
        for problem in self.unreadable:
            label = problem.location.column or ""  # the workbook reader names the column: "column C"
            found.append((position[problem.location.row], header_of.get(_column_index(label), label), problem.message))
        return found

    def table(self) -> Table:
        """The non-blank rows as records; a table read whole refuses any cell it could not read."""
        if self.unreadable:
            problems = list(self.unreadable)
            raise BadDataError(str(problems[0]) if len(problems) == 1 else
                               unreadable_cells(self.file, len(problems)) + "; " + _("nothing was changed"), problems)
        index = self.header.index
        records = []
        for position, (number, values) in enumerate(zip(self.numbers, self.rows, strict=True)):
            if self.is_blank_row(position):
                continue
            records.append(Record(number, {f: values[i] if i < len(values) else None for f, i in index.items()}))
        return Table(self.file, self.sheet, self.header.row, dict(self.header.labels), tuple(records),
                     self.header.warnings)


def _column_index(label: str) -> int | None:
    """0-based index of a workbook reader's ``column C`` (in the interface's language: its last word)."""
    letters = label.rpartition(" ")[2].strip()
    if not letters.isalpha():
        return None
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def check_input_file(path: Path) -> Path:
    """The file, or :class:`MissingInputError` (exit 66) naming why it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise MissingInputError(_("{path} does not exist").format(path=path))
    if not path.is_file():
        raise MissingInputError(_("{path} is not a file").format(path=path))
    return path


def read_file_table(path: Path, columns: Sequence[Column], limits: Limits, *, sheet_names: Sequence[str] = (),
                    encoding: str | None = None, mapping: dict[str, str] | None = None) -> Table:
    """A small table (tours, weights…) read whole; every unreadable or merged cell is a problem."""
    return read_raw_table(path, columns, limits, sheet_names=sheet_names, encoding=encoding, mapping=mapping).table()


def read_raw_table(path: Path, columns: Sequence[Column], limits: Limits, *, sheet_names: Sequence[str] = (),
                   encoding: str | None = None, mapping: dict[str, str] | None = None,
                   what: str | None = None) -> RawTable:
    """The table in ``path``: a ``.csv`` by the CSV policy, anything else as a workbook.

    A workbook's reader says what a misnamed file really is (.xls, CSV text, a zip of something else).
    ``what`` names the table's columns when no visible sheet has them (by default, "the columns of this table").
    """
    path = check_input_file(path)
    if path.suffix.lower() == ".xls":
        raise BadDataError.at(Location(path.name), Msg("is an old Excel 97–2003 workbook; save it as .xlsx or .csv"))
    if path.suffix.lower() in CSV_SUFFIXES:
        text, separator = read_csv_text(path, limits, encoding)
        table = _uniform_csv_table(text, separator, columns, limits, file=path.name, mapping=mapping)
        if table is not None:
            return table
        rows = csv_rows(text, separator, limits, path.name)
        del text
        return _raw_table(rows, columns, file=path.name, sheet=None, mapping=mapping, text_only=True)
    return _read_workbook_table(path, columns, limits, sheet_names=sheet_names, mapping=mapping, what=what)


def _raw_table(rows: Rows, columns: Sequence[Column], *, file: str, sheet: str | None,
               mapping: dict[str, str] | None, hidden: frozenset[int] = frozenset(),
               text_only: bool = False) -> RawTable:
    iterator = iter(rows)
    head = list(itertools.islice(iterator, HEADER_SEARCH_ROWS + 1))
    position, header = locate_header(head, columns, file=file, sheet=sheet, hidden_columns=hidden, mapping=mapping)
    rest = head[position + 1:]
    rest.extend(iterator)
    # Blank rows stay: a big import checks only its failed rows for blankness, which is cheaper.
    return RawTable(header, [number for number, _ in rest], [values for _, values in rest], hidden, text_only)


def _uniform_csv_table(text: str, separator: str, columns: Sequence[Column], limits: Limits, *, file: str,
                       mapping: dict[str, str] | None) -> RawTable | None:
    """A CSV text whose rows below the header are plain lines with the same number of cells, read column by
    column at C speed (an export); None for any other, which the csv module reads row by row.

    It is the table :func:`csv_rows` would give, and the same errors are raised: those about rows or columns
    beyond the caps, or cells to unguard, are left to :func:`csv_rows`.
    """
    if not is_plain(text) or may_hold_guarded_cells(text) or plain_line_count(text) > limits.max_rows:
        return None
    lines = first_plain_lines(text, HEADER_SEARCH_ROWS + 1)
    head = [(number, line.split(separator) if line else []) for number, (line, _) in enumerate(lines, start=1)]
    if any(len(cells) > limits.max_columns for _, cells in head):
        return None
    try:
        position, header = locate_header(head, columns, file=file, sheet=None, mapping=mapping)
    except BadDataError:
        return None  # csv_rows may find a row beyond the caps, which is said first
    start = sum(length for _, length in lines[:position + 1])
    by_column = uniform_columns(text, start, separator, limits.max_columns)
    if by_column is None:
        return None
    first = position + 2
    return RawTable(header, list(range(first, first + len(by_column[0]))), RowsOfColumns(by_column),
                    text_only=True)


def find_sheet(sheets, names: Sequence[str]) -> str | None:
    """The first sheet with one of ``names`` (matched like headers), a visible one before a hidden one."""
    wanted = {normalize_header(n) for n in names}
    for sheet in sorted(sheets, key=lambda s: s.hidden):
        if normalize_header(sheet.name) in wanted:
            return sheet.name
    return None


def _read_workbook_table(path: Path, columns: Sequence[Column], limits: Limits, *, sheet_names: Sequence[str],
                         mapping: dict[str, str] | None, what: str | None) -> RawTable:
    from openmosprom_cli.io.xlsx.reader import open_workbook

    file = path.name
    with open_workbook(path, limits) as book:
        preferred = find_sheet(book.sheets, sheet_names)
        if preferred is not None:
            return _sheet_table(book, book.visible_sheet(preferred).name, columns, mapping)
        visible = [s.name for s in book.sheets if not s.hidden]
        hidden = [s.name for s in book.sheets if s.hidden]
        first_error: BadDataError | None = None
        for name in visible:
            try:
                return _sheet_table(book, name, columns, mapping)
            except NoHeaderRow as exc:
                first_error = first_error or exc
    hint = _("Hidden sheets are never read ({sheets}); unhide the one to read.").format(
        sheets=", ".join(hidden)) if hidden else None
    if not visible:
        raise BadDataError.at(Location(file), Msg("has no visible sheet; unhide the sheet to read"), hint=hint)
    if hidden:
        raise BadDataError.at(Location(file), Msg("no visible sheet has {what}",
                                                  what=what or Msg("the columns of this table")), hint=hint)
    assert first_error is not None  # every visible sheet was tried
    raise first_error


def _sheet_table(book, sheet: str, columns: Sequence[Column], mapping: dict[str, str] | None) -> RawTable:
    unreadable: list[Problem] = []
    raw = _raw_table(book.rows(sheet, problems=unreadable), columns, file=book.path.name, sheet=sheet,
                     mapping=mapping, hidden=frozenset(book.hidden_columns(sheet)))
    merged = book.merged_data_problems(sheet, raw.header.row + 1)
    if merged:
        message = str(merged[0]) if len(merged) == 1 else _("{where}: merged cells inside the data").format(
            where=Location(book.path.name, sheet))
        raise BadDataError(message, merged, hint=_("Unmerge them so that every row stands on its own."))
    above = [p for p in unreadable if (p.location.row or 0) <= raw.header.row]
    if above:
        raise BadDataError(str(above[0]) if len(above) == 1 else _("{where}: unreadable header").format(
            where=Location(book.path.name, sheet)), above)
    return RawTable(raw.header, raw.numbers, raw.rows, raw.hidden, False, tuple(unreadable))
