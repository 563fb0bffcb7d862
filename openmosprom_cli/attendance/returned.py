"""Reading what comes back after the tours: the factories' rosters, and check-in lists as CSV or ``.xlsx``.

A returned roster is the workbook the factory was sent, each tour's sheet with
its check-in column ticked. Every visible sheet whose header has a «Код» (the
row's code) or an «ID VK» column is read, so sheets the factory added,
renamed or reordered are read too, and the standby and cancelled-tours sheets
are passed over. A check-in list from elsewhere (the mini-app, a volunteer's
spreadsheet) is the same table: «ID VK» and the mark, with «ID экскурсии» when
a person holds more than one tour.

Every cell is read through the one table reader
(:func:`~openmosprom_cli.io.reader.read_raw_table`), so each problem names
file › sheet › row › column. This module only reads; matching the rows to
people and tours is :mod:`openmosprom_cli.attendance.importer`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.attendance.marks import parse_mark, parse_yes_no_mark
from openmosprom_cli.errors import BadDataError, Location, Problem
from openmosprom_cli.i18n import Msg, _
from openmosprom_cli.io.reader import CSV_SUFFIXES, check_input_file, read_raw_table
from openmosprom_cli.io.tables import Column, NoHeaderRow, ProblemCollector, Table
from openmosprom_cli.io.values import ValueProblem, check_text, is_blank, parse_int
from openmosprom_cli.registrants.cells import parse_registrant_id
from openmosprom_cli.rosters.codes import normalise_code
from openmosprom_cli.settings import Limits

CODE, ID, TOUR, MARK, GUESTS, PRIZE = "code", "id", "tour_id", "mark", "guests", "prize_handed"
MAX_GUESTS = 100

RETURNED_COLUMNS = (
    Column(CODE, ("Код", "code", "Код посетителя", "Код строки")),
    Column(ID, ("ID VK", "id", "ID ВК", "VK ID", "vk_id", "ID пользователя", "user_id")),
    Column(TOUR, ("ID экскурсии", "tour_id", "tour", "Код экскурсии")),
    Column(MARK, ("Отметка о посещении", "mark", "attended", "Отметка", "Посещение", "Присутствие", "Пришёл",
                  "Явка")),
    Column(GUESTS, ("Пришло гостей", "guests_came", "Гостей пришло", "Пришли гости")),
    Column(PRIZE, ("Приз выдан", "prize_handed")),
    # The roster's other columns: read past, so that they are neither warned about nor taken for typos.
    *(Column(f"roster_{i}", (name,)) for i, name in enumerate(
        ("№", "ФИО", "Телефон", "Гостей", "Дата рождения", "Паспорт", "Гражданство", "Email", "Приз",
         "Экскурсия", "Фамилия", "Имя", "Отчество", "Примечание", "Комментарий")))
)


@dataclass(frozen=True)
class ReturnedRow:
    """One data row as read: who (by code, or by VK ID and tour), the mark, the guests, the prize."""

    where: Location              # file › sheet › row
    code: str                    # normalised; "" when the row has none
    registrant_id: str           # as given in an «ID VK» column; "" when none
    tour_id: str                 # as given in an «ID экскурсии» column; "" when none
    mark: str | None             # present | absent | None (not marked)
    guests: int | None
    prize_handed: bool | None
    labels: tuple[tuple[str, str], ...] = ()   # field → the header as written, for cell-precise messages

    def at(self, fieldname: str) -> Location:
        label = dict(self.labels).get(fieldname, fieldname)
        return Location(self.where.file, self.where.sheet, self.where.row, label)


@dataclass(frozen=True)
class ReturnedFile:
    path: Path
    rows: tuple[ReturnedRow, ...]
    sheets: tuple[str, ...]      # the sheets read (none for a CSV)
    warnings: tuple[str, ...] = ()   # the reader's, about its tables


def read_returned_files(paths: Sequence[Path], limits: Limits, *, encoding: str | None = None
                        ) -> tuple[list[ReturnedFile], ProblemCollector]:
    """Every file's rows; the problems of all files together, so that the organizer sees them at once."""
    problems = ProblemCollector()
    files = []
    for path in paths:
        path = check_input_file(path)
        try:
            tables = _tables(path, limits, encoding)
        except BadDataError as exc:
            problems.problems.extend(exc.problems or [_whole_file_problem(path, exc)])
            continue
        rows: list[ReturnedRow] = []
        for table in tables:
            rows.extend(_rows(table, problems))
        warnings = tuple(w for t in tables for w in t.warnings)
        files.append(ReturnedFile(path, tuple(rows), tuple(t.sheet for t in tables if t.sheet), warnings))
    return files, problems


def _whole_file_problem(path: Path, exc: BadDataError) -> Problem:
    return Problem(Location(path.name), exc.message)


def _tables(path: Path, limits: Limits, encoding: str | None) -> list[Table]:
    """The tables of a file that say who came: a CSV's one, or each such sheet of a workbook."""
    if path.suffix.lower() in CSV_SUFFIXES:
        table = read_raw_table(path, RETURNED_COLUMNS, limits, encoding=encoding).table()
        _check_columns(table)
        return [table]
    from openmosprom_cli.io.xlsx.reader import open_workbook

    with open_workbook(path, limits) as book:
        sheets = [s.name for s in book.sheets if not s.hidden]
    tables = []
    for sheet in sheets:
        try:
            table = read_raw_table(path, RETURNED_COLUMNS, limits, sheet_names=[sheet]).table()
        except NoHeaderRow:
            continue      # a sheet of notes: the tables are on the other sheets
        if CODE not in table.headers and ID not in table.headers and MARK not in table.headers:
            continue      # the standby, a sheet of notes…: nobody to check in there
        _check_columns(table)
        tables.append(table)
    if not tables:
        raise BadDataError.at(Location(path.name), Msg("no sheet has a «Код» or «ID VK» column to say who came"),
                              hint=_("Return the roster as it was sent, with «Отметка о посещении» filled in."))
    return tables


def _check_columns(table: Table) -> None:
    where = Location(table.file, table.sheet, table.header_row)
    if CODE not in table.headers and ID not in table.headers:
        raise BadDataError.at(where, Msg("has neither a «Код» nor an «ID VK» column to say who came"),
                              hint=_("A roster exported before rows had codes has no «Код»: export the rosters "
                                     "again, or add an «ID VK» column."))
    if MARK not in table.headers:
        raise BadDataError.at(where, Msg("has no «Отметка о посещении» column"),
                              hint=_("Marks go in a column headed «Отметка о посещении» (or «Отметка»)."))


def _rows(table: Table, problems: ProblemCollector) -> list[ReturnedRow]:
    labels = tuple(table.headers.items())
    rows = []
    for record in table.records:
        code_cell = record.values.get(CODE)
        code = ""
        if not is_blank(code_cell):
            code = normalise_code(code_cell)
            if not code:
                problems.add(table.location(record.row, CODE), Msg("{value} is not a roster code",
                                                                   value=_shown(code_cell)))
        registrant_id = problems.parse(table, record, ID, parse_registrant_id, "")
        tour_id = problems.parse(table, record, TOUR, _text, "")
        mark = problems.parse(table, record, MARK, parse_mark)
        guests = problems.parse(table, record, GUESTS, _guests)
        prize = problems.parse(table, record, PRIZE, parse_yes_no_mark)
        if not code and not registrant_id and not is_blank(code_cell):
            continue      # already a problem
        if not code and not registrant_id:
            if mark is not None or guests:
                problems.add(table.location(record.row), Msg("is marked, but has no «Код» or «ID VK» to say "
                                                             "whose row it is"))
            continue      # a note below the list, an empty prepared row
        rows.append(ReturnedRow(Location(table.file, table.sheet, record.row), code, registrant_id, tour_id, mark,
                                guests, prize, labels))
    return rows


def _text(value: object) -> str:
    return check_text(value)


def _guests(value: object) -> int:
    return parse_int(value, minimum=0, maximum=MAX_GUESTS)


def _shown(value: object) -> str:
    try:
        text = check_text(value)
    except ValueProblem:
        return Msg("the value")
    return repr(text[:20])
