"""A table's header and rows, whatever file they came from.

Spreadsheets and CSV files both arrive here as ``(row_number, values)`` rows.
Headers match case-insensitively, trimmed, with ё = е; each field accepts its
Russian name and English aliases. Title rows above the header, blank rows and
hidden columns are skipped.

A header that matches no column is a question, not noise: when it is close to
the name of a column the table has not found (a typo such as «Размер грппы»,
or «Длительность (мин)» for «Длительность, мин») it is an error with the
suggestion, since the data under it would otherwise be ignored; any other
unknown header gets one warning line. A missing required column is named
once, at the header, not once per row.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, overload

from openmosprom_cli.errors import BadDataError, Location, Problem
from openmosprom_cli.i18n import Msg, _, ngettext
from openmosprom_cli.io.values import ValueProblem, is_blank, normalize_header

HEADER_SEARCH_ROWS = 30
# Two headers are "close" when their letters and digits agree this much (difflib's ratio).
_CLOSE = 0.8
_NOT_LETTERS = re.compile(r"[\W_]+")

Rows = Iterable[tuple[int, Sequence[object]]]
_Parsed = TypeVar("_Parsed")


class NoHeaderRow(BadDataError):
    """No row names the table's columns: in a workbook, another sheet may hold the table."""


@dataclass(frozen=True)
class Column:
    """One field of a table: its canonical name and the headers that mean it."""

    field: str
    names: tuple[str, ...]
    required: bool = False

    @property
    def label(self) -> str:
        return self.names[0]


@dataclass(frozen=True)
class Header:
    """Where a table's header is and what each of its columns means."""

    file: str
    sheet: str | None
    row: int
    index: dict[str, int]      # field -> 0-based column
    labels: dict[str, str]     # field -> header text as written in the file
    extras: dict[str, int]     # any other header text -> 0-based column
    warnings: tuple[str, ...] = ()

    def location(self, row: int | None = None, fieldname: str | None = None) -> Location:
        return Location(self.file, self.sheet, row, self.labels.get(fieldname, fieldname) if fieldname else None)

    def named_columns(self) -> list[tuple[int, str]]:
        """(column, header) of every header of the file, in file order."""
        return sorted([(i, self.labels[f]) for f, i in self.index.items()] + [(i, h) for h, i in self.extras.items()])


@dataclass(frozen=True)
class Record:
    row: int
    values: dict[str, object]
    extra: dict[str, object] = field(default_factory=dict)

    def get(self, name: str, default: object = None) -> object:
        value = self.values.get(name, default)
        return default if is_blank(value) else value


@dataclass(frozen=True)
class Table:
    """A small table read whole: one :class:`Record` per non-blank row below the header."""

    file: str
    sheet: str | None
    header_row: int
    headers: dict[str, str]  # field -> header text as written in the file
    records: tuple[Record, ...]
    warnings: tuple[str, ...] = ()

    def location(self, row: int, fieldname: str | None = None) -> Location:
        return Location(self.file, self.sheet, row, self.headers.get(fieldname, fieldname) if fieldname else None)


def header_lookup(columns: Iterable[Column], mapping: dict[str, str] | None = None) -> dict[str, str]:
    """Normalized header text -> field name; ``mapping`` (source header -> field) wins."""
    lookup: dict[str, str] = {}
    for column in columns:
        lookup[normalize_header(column.field)] = column.field
        for name in column.names:
            lookup[normalize_header(name)] = column.field
    for source, target in (mapping or {}).items():
        lookup[normalize_header(source)] = target
    return lookup


def locate_header(head: Sequence[tuple[int, Sequence[object]]], columns: Sequence[Column], *, file: str,
                  sheet: str | None = None, hidden_columns: set[int] | frozenset[int] = frozenset(),
                  mapping: dict[str, str] | None = None) -> tuple[int, Header]:
    """Find the header among the first rows ``head``; returns its position in ``head`` and the :class:`Header`.

    The header is the first row naming every required column (or, for a table
    with none, two of its columns); failing that, the first row naming two, so
    that what is missing or misspelt there can be said. Raises
    :class:`BadDataError` with every problem of the header at once.
    """
    lookup = header_lookup(columns, mapping)
    required = [c for c in columns if c.required]

    def matched(values: Sequence[object]) -> set[str]:
        return {lookup[key] for key in (normalize_header(v) for v in values if not is_blank(v)) if key in lookup}

    candidates = list(itertools.islice(head, HEADER_SEARCH_ROWS + 1))
    found = next((i for i, (_, values) in enumerate(candidates)
                  if (all(c.field in matched(values) for c in required) if required else len(matched(values)) >= 2)),
                 None)
    if found is None:
        found = next((i for i, (_, values) in enumerate(candidates) if len(matched(values)) >= 2), None)
    if found is None:
        names = ", ".join(c.label for c in (required or columns))
        raise NoHeaderRow.at(Location(file, sheet), Msg("no header row found; expected columns such as {names}",
                                                        names=names))
    number, values = candidates[found]
    return found, _read_header(number, values, columns, lookup, file=file, sheet=sheet, hidden=hidden_columns)


def _read_header(number: int, values: Sequence[object], columns: Sequence[Column], lookup: dict[str, str], *,
                 file: str, sheet: str | None, hidden: set[int] | frozenset[int]) -> Header:
    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    extras: dict[str, int] = {}
    problems: list[Problem] = []
    for i, raw in enumerate(values):
        if i in hidden or is_blank(raw):
            continue
        text = str(raw).strip()
        fieldname = lookup.get(normalize_header(raw))
        if fieldname is None:
            extras.setdefault(text, i)
        elif fieldname in labels:
            problems.append(Problem(Location(file, sheet, number, text),
                                    Msg("the column for {field} appears twice (also {other})", field=fieldname,
                                        other=repr(labels[fieldname]))))
        else:
            index[fieldname] = i
            labels[fieldname] = text
    unknown: list[str] = []
    missing = {c.field: c for c in columns if c.field not in labels}
    for text in extras:
        close = _closest(text, list(missing.values()))
        if close is None:
            unknown.append(text)
            continue
        problems.append(Problem(Location(file, sheet, number, text),
                                Msg("is not a column this table knows; did you mean «{name}»?", name=close[1])))
        missing.pop(close[0].field)
    for column in missing.values():
        if column.required:
            problems.append(Problem(Location(file, sheet, number),
                                    Msg("the required column {column} is missing", column=repr(column.label))))
    if problems:
        raise BadDataError(str(problems[0]) if len(problems) == 1 else
                           header_problems(file, len(problems)), problems)
    warnings: tuple[str, ...] = ()
    if unknown:
        where = " › ".join(part for part in (file, sheet) if part)
        warnings = (Msg("{where}: not read, no such column: {columns}", where=where,
                        columns=", ".join(f"«{u}»" for u in unknown)),)
    return Header(file, sheet, number, index, labels, extras, warnings)


def header_problems(file: str, count: int) -> str:
    """The summary of several problems in a table's header."""
    return ngettext("{file}: {count} problem in the header", "{file}: {count} problems in the header",
                    count).format(file=file, count=count)


def unreadable_cells(where: str, count: int) -> str:
    """The summary of several cells that hold no usable value."""
    return ngettext("{where}: {count} unreadable cell", "{where}: {count} unreadable cells", count).format(
        where=where, count=count)


def _letters(text: str) -> str:
    return _NOT_LETTERS.sub("", normalize_header(text))


def _closest(header: str, columns: Sequence[Column]) -> tuple[Column, str] | None:
    """The column (and the name of it) that ``header`` most likely misspells, if any is close."""
    key = _letters(header)
    if not key:
        return None
    best: tuple[float, Column, str] | None = None
    for column in columns:
        for name in column.names:
            ratio = difflib.SequenceMatcher(None, key, _letters(name)).ratio()
            if ratio >= _CLOSE and (best is None or ratio > best[0]):
                best = (ratio, column, name)
    return (best[1], best[2]) if best else None


def read_table(rows: Rows, columns: Iterable[Column], *, file: str, sheet: str | None = None,
               hidden_columns: set[int] | frozenset[int] = frozenset(), mapping: dict[str, str] | None = None,
               keep_extra: bool = False) -> Table:
    """Locate the header row, then collect every non-blank data row as a :class:`Record`.

    ``keep_extra``: each record also keeps the cells of the columns the table does not know.
    """
    columns = tuple(columns)
    iterator = iter(rows)
    head = list(itertools.islice(iterator, HEADER_SEARCH_ROWS + 1))
    position, header = locate_header(head, columns, file=file, sheet=sheet, hidden_columns=hidden_columns,
                                     mapping=mapping)
    records = [_record(number, values, header, keep_extra)
               for number, values in itertools.chain(head[position + 1:], iterator)
               if not all(is_blank(v) for i, v in enumerate(values) if i not in hidden_columns)]
    return Table(file, sheet, header.row, dict(header.labels), tuple(records), header.warnings)


def _record(number: int, values: Sequence[object], header: Header, keep_extra: bool) -> Record:
    def cell(i: int) -> object:
        return values[i] if i < len(values) else None

    return Record(number, {name: cell(i) for name, i in header.index.items()},
                  {name: cell(i) for name, i in header.extras.items()} if keep_extra else {})


class ProblemCollector:
    """Gathers every problem in a file so the user sees them all at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[str] = []    # worth saying, but no reason to refuse the file (Msgs)

    def add(self, location: Location, message: str) -> None:
        self.problems.append(Problem(location, message))

    @overload
    def parse(self, table: Table, record: Record, fieldname: str, parser: Callable[[object], _Parsed],
              default: None = None, *, required: bool = False) -> _Parsed | None: ...
    @overload
    def parse(self, table: Table, record: Record, fieldname: str, parser: Callable[[object], _Parsed],
              default: _Parsed, *, required: bool = False) -> _Parsed: ...

    def parse(self, table: Table, record: Record, fieldname: str, parser: Callable[[object], _Parsed],
              default: _Parsed | None = None, *, required: bool = False) -> _Parsed | None:
        """Parse one field of a record; on failure note the problem and return ``default``."""
        raw = record.values.get(fieldname)
        if is_blank(raw):
            if required:
                self.add(table.location(record.row, fieldname), Msg("is empty"))
            return default
        try:
            return parser(raw)
        except ValueProblem as exc:
            self.add(table.location(record.row, fieldname), exc.message)
            return default

    def raise_if_any(self, what: str | None = None, *, hint: str | None = None, outcome: str | None = None) -> None:
        """Raise every problem at once; a single one is the message itself, so the line shown names its place.

        ``what`` names the input in the summary of several problems; by default, the files they are in.
        ``outcome`` says what the refusal left as it was: by default, "nothing was changed".
        """
        if not self.problems:
            return
        outcome = outcome or _("nothing was changed")
        if len(self.problems) == 1:
            raise BadDataError(f"{self.problems[0]}; {outcome}", self.problems, hint=hint)
        if what is None:
            files = list(dict.fromkeys(p.location.file for p in self.problems))
            what = ", ".join(files[:3])
            if len(files) > 3:
                what = _("{files} and {count} more").format(files=what, count=len(files) - 3)
        count = len(self.problems)
        summary = ngettext("{what}: {count} problem found; {outcome}", "{what}: {count} problems found; {outcome}",
                           count).format(what=what, count=count, outcome=outcome)
        raise BadDataError(summary, self.problems, hint=hint)


def iter_field_pairs(rows: Rows, hidden_columns: set[int] | frozenset[int] = frozenset()
                     ) -> Iterator[tuple[int, object, object]]:
    """Rows of a two-column ``field | value`` sheet as ``(row, field, value)``."""
    for number, values in rows:
        visible = [v for i, v in enumerate(values) if i not in hidden_columns]
        cells = [v for v in visible if not is_blank(v)]
        if not cells:
            continue
        key = visible[0] if visible else None
        value = visible[1] if len(visible) > 1 else None
        yield number, key, value
