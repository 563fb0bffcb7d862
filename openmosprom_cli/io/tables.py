"""Finding a table's header row and reading its records, for any row source.

Spreadsheets and CSV files both arrive here as ``(row_number, values)`` rows.
Headers match case-insensitively, trimmed, with ё = е; each field accepts its
Russian name and English aliases. Title rows above the header, blank rows and
hidden columns are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from openmosprom_cli.errors import BadDataError, Location, Problem
from openmosprom_cli.io.values import ValueProblem, is_blank, normalize_header

HEADER_SEARCH_ROWS = 30


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
class Record:
    row: int
    values: dict[str, object]
    extra: dict[str, object] = field(default_factory=dict)

    def get(self, name: str, default: object = None) -> object:
        value = self.values.get(name, default)
        return default if is_blank(value) else value


@dataclass(frozen=True)
class Table:
    file: str
    sheet: str | None
    header_row: int
    headers: dict[str, str]  # field -> header text as written in the file
    records: tuple[Record, ...]

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


def read_table(
    rows: Iterable[tuple[int, tuple[object, ...]]],
    columns: Iterable[Column],
    *,
    file: str,
    sheet: str | None = None,
    hidden_columns: set[int] | frozenset[int] = frozenset(),
    mapping: dict[str, str] | None = None,
    keep_extra: bool = False,
) -> Table:
    """Locate the header row, then collect every data row as a :class:`Record`.

    Raises :class:`BadDataError` when no header row is found, a required
    column is missing, or a header appears twice.
    """
    columns = tuple(columns)
    lookup = header_lookup(columns, mapping)
    required = [c for c in columns if c.required]
    iterator = iter(rows)
    header: tuple[int, tuple[object, ...]] | None = None
    for scanned, (number, values) in enumerate(iterator):
        matched = {lookup[normalize_header(v)] for v in values if not is_blank(v) and normalize_header(v) in lookup}
        if (required and all(c.field in matched for c in required)) or (not required and len(matched) >= 2):
            header = (number, values)
            break
        if scanned >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        names = ", ".join(c.label for c in (required or columns))
        raise BadDataError.at(Location(file, sheet), f"no header row found; expected columns such as {names}")

    header_row, header_values = header
    index: dict[int, str] = {}
    headers: dict[str, str] = {}
    extras: dict[int, str] = {}
    problems: list[Problem] = []
    for i, raw in enumerate(header_values):
        if i in hidden_columns or is_blank(raw):
            continue
        key = normalize_header(raw)
        fieldname = lookup.get(key)
        if fieldname is None:
            if keep_extra:
                extras[i] = str(raw).strip()
            continue
        if fieldname in headers:
            problems.append(Problem(Location(file, sheet, header_row, str(raw).strip()),
                                    f"the column for {fieldname} appears twice (also {headers[fieldname]!r})"))
            continue
        index[i] = fieldname
        headers[fieldname] = str(raw).strip()
    for column in required:
        if column.field not in headers:
            problems.append(Problem(Location(file, sheet, header_row),
                                    f"the required column {column.label!r} is missing"))
    if problems:
        raise BadDataError(str(problems[0]) if len(problems) == 1 else
                           f"{file}: {len(problems)} problems in the header", problems)

    records = []
    for number, values in iterator:
        if all(is_blank(v) for i, v in enumerate(values) if i not in hidden_columns):
            continue
        record_values = {name: (values[i] if i < len(values) else None) for i, name in index.items()}
        extra = {name: (values[i] if i < len(values) else None) for i, name in extras.items()}
        records.append(Record(number, record_values, extra))
    return Table(file, sheet, header_row, headers, tuple(records))


class ProblemCollector:
    """Gathers every problem in a file so the user sees them all at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, location: Location, message: str) -> None:
        self.problems.append(Problem(location, message))

    def parse(self, table: Table, record: Record, fieldname: str, parser: Callable[[object], object],
              default: object = None, *, required: bool = False) -> object:
        """Parse one field of a record; on failure note the problem and return ``default``."""
        raw = record.values.get(fieldname)
        if is_blank(raw):
            if required:
                self.add(table.location(record.row, fieldname), "is empty")
            return default
        try:
            return parser(raw)
        except ValueProblem as exc:
            self.add(table.location(record.row, fieldname), str(exc))
            return default

    def raise_if_any(self, what: str | None = None, *, hint: str | None = None,
                     outcome: str = "nothing was changed") -> None:
        """Raise every problem at once; a single one is the message itself, so the line shown names its place.

        ``what`` names the input in the summary of several problems; by default, the files they are in.
        """
        if len(self.problems) == 1:
            raise BadDataError(f"{self.problems[0]}; {outcome}", self.problems, hint=hint)
        if self.problems:
            if what is None:
                files = list(dict.fromkeys(p.location.file for p in self.problems))
                what = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
            raise BadDataError(f"{what}: {len(self.problems)} problems found; {outcome}", self.problems, hint=hint)


def iter_field_pairs(rows: Iterable[tuple[int, tuple[object, ...]]], hidden_columns: set[int] | frozenset[int] = frozenset()) -> Iterator[tuple[int, object, object]]:
    """Rows of a two-column ``field | value`` sheet as ``(row, field, value)``."""
    for number, values in rows:
        visible = [v for i, v in enumerate(values) if i not in hidden_columns]
        cells = [v for v in visible if not is_blank(v)]
        if not cells:
            continue
        key = visible[0] if visible else None
        value = visible[1] if len(visible) > 1 else None
        yield number, key, value
