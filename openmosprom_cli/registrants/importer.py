"""Importing the people who registered in the VK mini-app «Открытая промышленность».

The export is a ``.csv`` (UTF-8 with or without BOM, or cp1251 with
``encoding="cp1251"``; separator ``,`` or ``;`` detected from the header line)
or an ``.xlsx`` workbook. Headers match like every other table of the tool
(case-insensitive, trimmed, ё = е; Russian names first, English aliases too),
and ``mapping`` renames any other header to a field.

Rules of reading, beyond the plain parsers of :mod:`values`:

* **Text stays text.** Phones become ``+7XXXXXXXXXX``; a phone Excel stored as
  a number is repaired only when unambiguous (see :func:`values.normalize_phone`).
  A passport Excel stored as a number is reported, never guessed.
* **Dates** are strict and day-first; a birth date in the future or before
  1900 is impossible. The registration time keeps its seconds, since it breaks
  ties between equal scores; one written with a UTC offset is converted to
  Moscow time (UTC+3) and stored without the offset.
* **Choices** come from ``Выбор 1`` … ``Выбор 5`` or from one ``Выбор``
  column separated by ``;`` (or ``,``). Each is a tour ID of the published
  list or the ID of a site with published tours, matched case-insensitively.
  A choice repeated by the same person counts once.
* **Score from tasks.** With no score column, the ``[scoring]`` table of
  season.toml gives points per task column. A task counts as done when its
  cell is non-empty and not a "no" (``нет``, ``no``, ``0``, ``false``, ``-``…);
  any other value, whatever the number, earns the task's points once. A task
  column named in ``[scoring]`` but missing from the file is an error, so a
  typo cannot silently zero everyone's score. With neither a score column nor
  ``[scoring]`` everyone scores 0 and the lottery decides.
* **Duplicates.** The same ID on several rows with identical data is merged
  silently; with different data every one of those rows is rejected, naming
  the others.

Every invalid row is reported with file, row and column. An import is
all-or-nothing unless ``skip_invalid``: then the valid rows are imported and
the rejected ones, with their reasons, are written to
``<season>/rejected-<file>.xlsx`` (owner-only, since it holds personal data).
"""

from __future__ import annotations

import codecs
import collections
import contextlib
import csv
import dataclasses
import datetime as dt
import functools
import gc
import io
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from pathlib import Path

from openmosprom_cli.errors import BadDataError, Location, MissingInputError, Problem
from openmosprom_cli.io.tables import (
    HEADER_SEARCH_ROWS,
    Column,
    header_lookup,
    read_table,
)
from openmosprom_cli.io.values import (
    ValueProblem,
    check_text,
    describe,
    is_blank,
    normalize_header,
    normalize_passport,
    normalize_phone,
    parse_date,
    parse_email,
    parse_int,
    parse_number,
)
from openmosprom_cli.models import Registrant, Site, Tour
from openmosprom_cli.season.folder import Season, now_iso
from openmosprom_cli.settings import Settings

MAX_CHOICES = 5
MAX_ID_LENGTH = 64
MAX_TEXT_LENGTH = 200
EARLIEST_BIRTH_YEAR = 1900
MOSCOW = dt.timezone(dt.timedelta(hours=3))
REJECTED_PREFIX = "rejected-"

CHOICE_FIELDS = tuple(f"choice_{n}" for n in range(1, MAX_CHOICES + 1))

COLUMNS: tuple[Column, ...] = (
    Column("id", ("ID VK", "id", "ID ВК", "VK ID", "vk_id", "ID пользователя", "user_id"), required=True),
    Column("full_name", ("ФИО", "full_name", "name", "full name", "Ф.И.О.")),
    Column("last_name", ("Фамилия", "last_name", "last name", "surname")),
    Column("first_name", ("Имя", "first_name", "first name")),
    Column("middle_name", ("Отчество", "middle_name", "middle name", "patronymic")),
    Column("phone", ("Телефон", "phone", "Номер телефона", "Мобильный телефон", "tel")),
    Column("email", ("Email", "e-mail", "Почта", "Электронная почта", "mail")),
    Column("birth_date", ("Дата рождения", "birth_date", "birth date", "birthday", "birthdate")),
    Column("score", ("Баллы", "score", "points", "Очки")),
    Column("registered_at", ("Дата регистрации", "registered_at", "registered at", "registered",
                             "Время регистрации")),
    *(Column(f"choice_{n}", (f"Выбор {n}", f"choice_{n}", f"choice {n}", f"Выбор{n}", f"choice{n}"))
      for n in range(1, MAX_CHOICES + 1)),
    Column("choices", ("Выбор", "choices", "choice", "Экскурсии")),
    Column("companions", ("Гостей", "companions", "Гости", "guests")),
    Column("passport", ("Паспорт", "passport", "Паспортные данные")),
    Column("citizenship", ("Гражданство", "citizenship")),
)
FIELDS = tuple(c.field for c in COLUMNS)
_TASK_PREFIX = "task:"


# -- results -------------------------------------------------------------------

@dataclass(frozen=True)
class RejectedRow:
    """A row that was not imported: its cells as written, and every reason."""

    row: int
    registrant_id: str  # as read, "" when missing or unreadable
    cells: tuple[tuple[str, object], ...]  # (header as in the file, raw value)
    problems: tuple[Problem, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(f"{p.location.column}: {p.message}" if p.location.column else p.message
                     for p in self.problems)


@dataclass(frozen=True)
class ParsedRegistrants:
    file: str
    sheet: str | None
    header_row: int
    headers: tuple[str, ...]  # every header of the file, in file order
    rows_read: int
    records: tuple[tuple, ...]  # valid people as Registrant field tuples, duplicates merged, in file order
    rejected: tuple[RejectedRow, ...]  # in file order

    @functools.cached_property
    def registrants(self) -> tuple[Registrant, ...]:
        """The valid people, in file order (made on first use: a bulk import needs only ``records``)."""
        return tuple(itertools.starmap(Registrant, self.records))

    @property
    def problems(self) -> tuple[Problem, ...]:
        return tuple(p for r in self.rejected for p in r.problems)


@dataclass(frozen=True)
class RegistrantImportReport:
    file: str
    rows_read: int
    added: int
    updated: int
    unchanged: int
    not_in_file: int  # people already in the season whom this file does not mention (kept)
    rejected: tuple[RejectedRow, ...] = ()
    rejected_path: Path | None = None

    @property
    def imported(self) -> int:
        return self.added + self.updated + self.unchanged


# -- reading files -------------------------------------------------------------------

@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Parsing a large export makes millions of objects and no cycles; the cyclic
    collector would rescan all of them again and again (a third of the time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_registrant_file(path: Path, *, settings: Settings, tours: Iterable[Tour],
                         sites: Mapping[str, Site] | Iterable[Site], mapping: Mapping[str, str] | None = None,
                         encoding: str | None = None) -> ParsedRegistrants:
    """Parse and validate a mini-app export; touches nothing but the file.

    Raises :class:`BadDataError` for problems with the file as a whole (not
    readable, no header row, a required or ``[scoring]`` column missing);
    invalid rows come back in ``.rejected``.
    """
    path = Path(path)
    if not path.exists():
        raise MissingInputError(f"{path} does not exist")
    if not path.is_file():
        raise MissingInputError(f"{path} is not a file")
    columns = _columns(settings)
    lookup = _resolve_mapping(mapping, columns)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise BadDataError.at(Location(path.name), "is an old Excel 97–2003 workbook; save it as .xlsx or .csv")
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise BadDataError.at(Location(path.name), "is neither .csv nor .xlsx")
    with _collector_paused():
        if suffix == ".csv":
            sheet = _load_sheet(_csv_rows(path, encoding, settings), columns, lookup, file=path.name, text_only=True)
        else:
            sheet = _read_xlsx(path, columns, lookup, settings)
        return _parse_sheet(sheet, settings, tours, sites)


def _columns(settings: Settings) -> tuple[Column, ...]:
    tasks = tuple(Column(f"{_TASK_PREFIX}{header}", (header,)) for header, _ in settings.scoring)
    return COLUMNS + tasks


def _resolve_mapping(mapping: Mapping[str, str] | None, columns: tuple[Column, ...]) -> dict[str, str]:
    """``--map`` targets may be field names or any header the field accepts."""
    known = header_lookup(columns)
    resolved: dict[str, str] = {}
    for source, target in (mapping or {}).items():
        fieldname = known.get(normalize_header(target))
        if fieldname is None:
            raise BadDataError(
                f"--map {source}={target}: {target!r} is not a registrant field",
                hint="Fields: " + ", ".join(FIELDS) + " (or their column names, e.g. Баллы).",
            )
        resolved[source] = fieldname
    return resolved


@dataclass(frozen=True)
class _Sheet:
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
        transposed = list(zip(*rows))
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


def _load_sheet(rows: Iterable[tuple[int, Sequence[object]]], columns: tuple[Column, ...], lookup: dict[str, str],
                *, file: str, sheet: str | None = None, hidden: set[int] | frozenset[int] = frozenset(),
                text_only: bool = False) -> _Sheet:
    """Find and check the header with :func:`tables.read_table`, then take the data rows as they are.

    Only the rows where the header may be are handed to ``read_table``: its
    per-row records would cost more than parsing 100,000 registrants.
    """
    iterator = iter(rows)
    head = list(itertools.islice(iterator, HEADER_SEARCH_ROWS + 1))
    table = read_table(head, columns, file=file, sheet=sheet, hidden_columns=hidden, mapping=lookup,
                       keep_extra=True)
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
    return _Sheet(file, sheet, table.header_row, dict(table.headers), index, extras,
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


def _read_xlsx(path: Path, columns: tuple[Column, ...], lookup: dict[str, str], settings: Settings) -> _Sheet:
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
                sheet = _load_sheet(book.rows(name, problems=unreadable), columns, lookup, file=file, sheet=name,
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


# -- fast, strict cell parsers -----------------------------------------------------------

def _text(value: object, limit: int = MAX_TEXT_LENGTH) -> str:
    text = check_text(value)
    if len(text) > limit:
        raise ValueProblem(f"{text[:40]!r}… is longer than {limit} characters")
    return text


def _registrant_id(value: object) -> str:
    # VK IDs are digits: already clean text, or a whole number in a spreadsheet.
    if value.__class__ is str and value.isdigit() and value.isascii() and len(value) <= MAX_ID_LENGTH:
        return value
    if value.__class__ is int and value >= 0:
        return str(value)
    return _text(value, MAX_ID_LENGTH)


_PHONE_SEPARATORS = str.maketrans("", "", " ()-.")


def _phone(value: object) -> str:
    """:func:`values.normalize_phone`, with a fast path for the common well-formed spellings."""
    if value.__class__ is str:
        if len(value) == 12 and value[:2] == "+7" and value[2] in "3489" and value[2:].isdigit() and value.isascii():
            return value
        digits = value.translate(_PHONE_SEPARATORS)
        if digits.isascii():
            if digits[:2] == "+7":
                digits = digits[2:]
            elif len(digits) == 11 and digits[0] in "78":
                digits = digits[1:]
            if len(digits) == 10 and digits.isdigit() and digits[0] in "3489":
                return "+7" + digits
    return normalize_phone(value)


_DAY_FIRST = re.compile(r"(\d\d)\.(\d\d)\.(\d{4})", re.ASCII)


def _date(value: object) -> dt.date:
    if value.__class__ is str:
        m = _DAY_FIRST.fullmatch(value)
        if m:
            try:
                return dt.date(int(m[3]), int(m[2]), int(m[1]))
            except ValueError:
                pass  # parse_date words the message
    return parse_date(value)


# The address pattern of values.parse_email; the fast path accepts only what it accepts.
_PLAIN_EMAIL = re.compile(r"[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+", re.ASCII)


def _email(value: object) -> str:
    if value.__class__ is str and value.isascii() and value.isprintable() and _PLAIN_EMAIL.fullmatch(value):
        return value
    return parse_email(value)


def _birth_date(value: object, today: dt.date) -> dt.date:
    day = _date(value)
    if day > today:
        raise ValueProblem(f"{describe(value)} is in the future")
    if day.year < EARLIEST_BIRTH_YEAR:
        raise ValueProblem(f"{describe(value)} is before {EARLIEST_BIRTH_YEAR}")
    return day


_DATETIME_DAY_FIRST = re.compile(
    r"\s*(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T,]+(\d{1,2})[:.](\d{2})(?::(\d{2}))?)?\s*", re.ASCII)
_DATETIME_ISO = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*", re.ASCII)


_DATETIME_EXPORTED = re.compile(r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d", re.ASCII)


def _registered_at(value: object) -> dt.datetime:
    """A registration time with its seconds kept; an offset is converted to Moscow time."""
    if value.__class__ is str and _DATETIME_EXPORTED.fullmatch(value):
        # The mini-app's own format; fromisoformat validates and is the fastest constructor.
        try:
            return dt.datetime.fromisoformat(f"{value[6:10]}-{value[3:5]}-{value[:2]}T{value[11:]}")
        except ValueError:
            raise ValueProblem(f"{describe(value)} is not a real date and time") from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(MOSCOW).replace(tzinfo=None)
        return value.replace(microsecond=0)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0, 0))
    if value.__class__ is str:
        zone = None
        m = _DATETIME_DAY_FIRST.fullmatch(value)
        if m:
            day, month, year, hour, minute, second = m.groups()
        else:
            m = _DATETIME_ISO.fullmatch(value)
            if m:
                year, month, day, hour, minute, second, zone = m.groups()
        if m:
            try:
                moment = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                                     int(second or 0))
            except ValueError:
                raise ValueProblem(f"{describe(value)} is not a real date and time") from None
            if zone:
                offset = dt.datetime.strptime(zone.replace("Z", "+0000").replace(":", ""), "%z").tzinfo
                moment = moment.replace(tzinfo=offset).astimezone(MOSCOW).replace(tzinfo=None)
            return moment
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueProblem(f"{describe(value)} is not a date and time (write DD.MM.YYYY HH:MM:SS)")
    raise ValueProblem(f"{describe(value)} is not a date and time (write DD.MM.YYYY HH:MM:SS)")


def _score(value: object) -> float:
    if value.__class__ is str and value.isdigit() and value.isascii():
        return float(value)
    return parse_number(value, minimum=0)


_NOT_DONE = {"нет", "no", "n", "н", "0", "false", "ложь", "-", "—", "не выполнено", "не выполнен"}


def task_done(value: object) -> bool:
    """Whether a task cell says the task was done: non-empty and not a "no"."""
    if value is None or isinstance(value, bool) and not value:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    text = normalize_header(value)
    if text.replace(",", ".") in ("0.0", "0.00"):
        return False
    return bool(text) and text not in _NOT_DONE


# -- rows -> registrants ---------------------------------------------------------------

class _ChoiceIndex:
    """Tour IDs of the published list and site IDs with tours, matched case-insensitively."""

    def __init__(self, tours: Iterable[Tour], sites: Mapping[str, Site] | Iterable[Site]):
        site_ids = set(sites.keys() if isinstance(sites, Mapping) else (s.site_id for s in sites))
        self.known: dict[str, str] = {}
        self.sites_without_tours: dict[str, str] = {s.lower(): s for s in site_ids}
        for tour in tours:
            self.known[tour.tour_id.lower()] = tour.tour_id
            self.known[tour.site_id.lower()] = tour.site_id
            self.sites_without_tours.pop(tour.site_id.lower(), None)

    def resolve(self, raw: str) -> str:
        key = raw.strip().lower()
        found = self.known.get(key)
        if found is not None:
            return found
        if key in self.sites_without_tours:
            raise ValueProblem(f"{raw!r} is a site with no tours this season")
        raise ValueProblem(f"{raw!r} is not a tour or site of this season")


class _Invalid:
    """A cell that could not be read, with the reason; memoized like a good value."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


# A column-wide fast path: given a column's cells, either None (not applicable)
# or the parsed values with the positions it could not decide, at C speed.
_FastColumn = Callable[[Sequence[object], "set[type]"], "tuple[list, list[int]] | None"]
_NONE_AS_EMPTY = {None: ""}


def _strings_of(raws: Sequence[object], kinds: set[type]) -> Sequence[str] | None:
    """The cells as strings when they are all strings or blank (None reads as "", which no fast pattern accepts)."""
    if kinds == {str}:
        return raws
    if kinds == {str, type(None)}:
        return list(map(_NONE_AS_EMPTY.get, raws, raws))
    return None


def _misses(matches: Iterable[object]) -> list[int]:
    """Positions where a match is None (or false)."""
    return list(itertools.compress(itertools.count(), map(operator.not_, matches)))


def _same_where(pattern: re.Pattern, limit: int | None = None) -> _FastColumn:
    """Cells that fully match ``pattern`` are their own parsed value (clean text, digits, plain addresses)."""
    def fast(raws: Sequence[object], kinds: set[type]) -> tuple[list, list[int]] | None:
        texts = _strings_of(raws, kinds)
        if texts is None or (limit is not None and max(map(len, texts), default=0) > limit):
            return None
        distinct = list(dict.fromkeys(texts))
        clean = set(itertools.compress(distinct, map(pattern.fullmatch, distinct)))
        if len(clean) == len(distinct):
            return list(texts), []
        return list(texts), _misses(map(clean.__contains__, texts))
    return fast


def _convert_where(pattern: re.Pattern, convert: Callable[[list[str]], list]) -> _FastColumn:
    """Distinct cells matching ``pattern`` are converted together by ``convert`` (C-level maps over
    slices); where it raises ValueError (an impossible date, say), one by one. The rest is left undecided."""
    def fast(raws: Sequence[object], kinds: set[type]) -> tuple[list, list[int]] | None:
        texts = _strings_of(raws, kinds)
        if texts is None:
            return None
        distinct = list(dict.fromkeys(texts))
        matching = list(itertools.compress(distinct, map(pattern.fullmatch, distinct)))
        table = _converted(convert, matching)
        out = list(map(table.get, texts))
        return out, ([] if len(table) == len(distinct) else _misses(map(table.__contains__, texts)))
    return fast


def _converted(convert: Callable[[list[str]], list], texts: list[str]) -> dict[str, object]:
    """``text -> value`` for the texts ``convert`` accepts; halves around the few it refuses."""
    try:
        return dict(zip(texts, convert(texts)))
    except ValueError:
        if len(texts) < 2:
            return {}
        middle = len(texts) // 2
        return _converted(convert, texts[:middle]) | _converted(convert, texts[middle:])


_TEXT_CHARS = "!-~\u0400-\u045f"
# Printable, NFC-stable characters, single inner spaces and none around: exactly what check_text returns unchanged.
_CLEAN_TEXT = re.compile(f"[{_TEXT_CHARS}]+(?: [{_TEXT_CHARS}]+)*")
_CLEAN_ID = re.compile(r"[0-9]{1,%d}" % MAX_ID_LENGTH, re.ASCII)
_EMAIL_CHARS = r"[^\x00-\x20\x7f-\U0010ffff@;,]"
_CLEAN_EMAIL = re.compile(f"{_EMAIL_CHARS}+@{_EMAIL_CHARS}+\\.{_EMAIL_CHARS}+")
_PHONE_SPELLED = re.compile(r"(?:\+7|[78])?[3489][0-9]{9}", re.ASCII)
_PASSPORT_DIGITS = re.compile(r"[0-9]{4} ?[0-9]{6}", re.ASCII)
_same_clean_ids = _same_where(_CLEAN_ID)


def _fast_ids(raws: Sequence[object], kinds: set[type]) -> tuple[list, list[int]] | None:
    if kinds == {int}:  # whole numbers from a spreadsheet
        return list(map(str, raws)), list(itertools.compress(itertools.count(), map((0).__gt__, raws)))
    return _same_clean_ids(raws, kinds)


def _fast_phones(raws: Sequence[object], kinds: set[type]) -> tuple[list, list[int]] | None:
    """The spellings :func:`_phone` accepts without help: separators dropped, then +7, 7 or 8 and ten digits."""
    texts = _strings_of(raws, kinds)
    if texts is None:
        return None
    digits = list(map(str.translate, texts, itertools.repeat(_PHONE_SEPARATORS)))
    normal = list(map(operator.add, itertools.repeat("+7"), map(itemgetter(slice(-10, None)), digits)))
    return normal, _misses(map(_PHONE_SPELLED.fullmatch, digits))


def _passports_from_digits(texts: list[str]) -> list[str]:
    return list(map("{} {}".format, map(itemgetter(slice(0, 4)), texts), map(itemgetter(slice(-6, None)), texts)))


def _dates_from_day_first(texts: list[str]) -> list[dt.date]:
    """DD.MM.YYYY texts as dates; fromisoformat validates and is the fastest constructor."""
    from_iso = dt.date.fromisoformat
    return [from_iso(f"{t[6:10]}-{t[3:5]}-{t[:2]}") for t in texts]


def _moments_from_export(texts: list[str]) -> list[dt.datetime]:
    """The mini-app's DD.MM.YYYY HH:MM:SS texts as date-times, as :func:`_registered_at` reads them."""
    from_iso = dt.datetime.fromisoformat
    return [from_iso(f"{t[6:10]}-{t[3:5]}-{t[:2]}T{t[11:]}") for t in texts]


_exported_moments = _convert_where(_DATETIME_EXPORTED, _moments_from_export)


def _fast_birth_dates(today: dt.date) -> _FastColumn:
    convert = _convert_where(_DAY_FIRST, _dates_from_day_first)
    earliest = dt.date(EARLIEST_BIRTH_YEAR, 1, 1)

    def fast(raws: Sequence[object], kinds: set[type]) -> tuple[list, list[int]] | None:
        if kinds <= _DATES_OR_BLANK:
            values, misses = list(raws), []  # dates from a spreadsheet are their own value
        else:
            decided = convert(raws, kinds)
            if decided is None:
                return None
            values, misses = decided
        # Impossible birth dates go the slow way, which words the problem.
        implausible = set(itertools.compress(itertools.count(), map(today.__lt__, map(_NO_DATE.get, values, values))))
        implausible.update(itertools.compress(itertools.count(), map(earliest.__gt__, map(_NO_DATE.get, values, values))))
        return values, sorted(implausible.union(misses)) if implausible else misses
    return fast


_NO_DATE = {None: dt.date(EARLIEST_BIRTH_YEAR, 1, 1)}
_DATES_OR_BLANK = {dt.date, type(None)}
_MOMENTS_OR_BLANK = {dt.datetime, type(None)}
_NO_MOMENT = {None: dt.datetime(2000, 1, 1)}


def _fast_moments(raws: Sequence[object], kinds: set[type]) -> tuple[list, list[int]] | None:
    """Registration times from a spreadsheet: without a zone or fractions of a second they are their own value."""
    if not kinds <= _MOMENTS_OR_BLANK:
        return _exported_moments(raws, kinds)
    filled = list(map(_NO_MOMENT.get, raws, raws))
    if any(map(attrgetter("tzinfo"), filled)):
        return None
    return list(raws), list(itertools.compress(itertools.count(), map(attrgetter("microsecond"), filled)))


def _parse_column(raws: Sequence[object], parser: Callable[[object], object], default: object = None,
                  fast: _FastColumn | None = None, kinds: set[type] | None = None) -> tuple[list, list[tuple[int, str]]]:
    """Parse a column: first ``fast`` for the whole column at C speed where given, then each distinct
    remaining value once (exports repeat scores, choices, dates and names a lot).

    Returns the parsed values (``default`` for blank cells) and ``(index, message)`` for unreadable ones.
    """
    out: list | None = None
    todo: list[int] | None = None
    if kinds is None:
        kinds = set(map(type, raws))
    if fast is not None and raws:
        decided = fast(raws, kinds)
        if decided is not None:
            out, todo = decided
            if not todo:
                return out, []
            raws = [raws[i] for i in todo]
    # True == 1 == 1.0 as keys, yet they parse differently: with a bool about, key by type too.
    typed = bool in kinds
    keys = list(zip(map(type, raws), raws)) if typed else raws
    results: dict = {}
    for key in dict.fromkeys(keys):
        raw = key[1] if typed else key
        if raw is None or (raw.__class__ is str and (not raw or raw.isspace())):
            results[key] = default
            continue
        try:
            results[key] = parser(raw)
        except ValueProblem as exc:
            results[key] = _Invalid(str(exc))
    parsed = list(map(results.__getitem__, keys))
    errors: list[tuple[int, str]] = []
    if any(v.__class__ is _Invalid for v in results.values()):
        for i, value in enumerate(parsed):
            if value.__class__ is _Invalid:
                errors.append((i if todo is None else todo[i], value.message))
                parsed[i] = default
    if todo is None:
        return parsed, errors
    for i, value in zip(todo, parsed):
        out[i] = value
    return out, errors


_CHOICE_SPLIT = re.compile(r"[;,\n]")


def _parse_sheet(sheet: _Sheet, settings: Settings, tours: Iterable[Tour],
                 sites: Mapping[str, Site] | Iterable[Site]) -> ParsedRegistrants:
    headers = sheet.headers
    count = len(sheet.rows)
    _check_columns(sheet, settings)
    cells_by_field = sheet.columns()
    text_kinds = {str} if sheet.text_only else None
    resolve_choice = _ChoiceIndex(tours, sites).resolve
    today = dt.date.today()
    max_companions = settings.max_companions
    # problems[i] collects (field, message) of record i, in column order
    problems: dict[int, list[tuple[str, str]]] = {}

    def column(fieldname: str, parser: Callable[[object], object], default: object = None,
               fast: _FastColumn | None = None) -> list:
        if fieldname not in headers:
            return [default] * count
        parsed, errors = _parse_column(cells_by_field[fieldname], parser, default, fast, text_kinds)
        for i, message in errors:
            problems.setdefault(i, []).append((fieldname, message))
        return parsed

    ids = column("id", _registrant_id, "", _fast_ids)
    for i in itertools.compress(itertools.count(), map(operator.not_, ids)):
        if i not in problems:
            problems[i] = [("id", "the ID is missing")]

    names, name_field = _names(column, headers)
    for i in itertools.compress(itertools.count(), map(operator.not_, names)):
        if not any(f == name_field for f, _ in problems.get(i, ())):
            problems.setdefault(i, []).append((name_field, "the name is empty"))

    phones = column("phone", _phone, "", _fast_phones)
    emails = column("email", _email, "", _same_where(_CLEAN_EMAIL))
    birth_dates = column("birth_date", lambda raw: _birth_date(raw, today), None, _fast_birth_dates(today))
    registered = column("registered_at", _registered_at, None, _fast_moments)
    if "score" in headers:
        scores = column("score", _score, 0.0)
    else:
        scores = _task_scores(cells_by_field, settings, count) if settings.scoring else [0.0] * count

    def companions_parser(raw: object) -> int:
        number = parse_int(raw, minimum=0)
        if number > max_companions:
            raise ValueProblem(f"{number} guests is more than the {max_companions} allowed")
        return number

    companions = column("companions", companions_parser, 0)
    passports = column("passport", normalize_passport, "", _convert_where(_PASSPORT_DIGITS, _passports_from_digits))
    citizenships = column("citizenship", _text, "", _same_where(_CLEAN_TEXT, MAX_TEXT_LENGTH))

    def one_choice(raw: object) -> str:
        return resolve_choice(_text(raw, MAX_ID_LENGTH))

    def many_choices(raw: object) -> tuple[str, ...]:
        found, unknown = [], []
        for part in _CHOICE_SPLIT.split(str(raw)):
            if part.strip():
                try:
                    found.append(one_choice(part))
                except ValueProblem as exc:
                    unknown.append(str(exc))
        if unknown:
            raise ValueProblem("; ".join(unknown))
        return tuple(found)

    choice_columns = [column(f, one_choice, "") for f in CHOICE_FIELDS if f in headers]
    if "choices" in headers:
        choice_columns.append(column("choices", many_choices, ()))
    choices = _combine_choices(choice_columns, count, "choices" in headers)
    choice_field = "choices" if "choices" in headers else "choice_1"
    for i in itertools.compress(itertools.count(), map(MAX_CHOICES.__lt__, map(len, choices))):
        problems.setdefault(i, []).append((choice_field, f"{len(choices[i])} choices; at most {MAX_CHOICES} are allowed"))

    blank_rows = {i for i in problems if sheet.is_blank_row(i)}
    for i in blank_rows:
        del problems[i]
    if sheet.unreadable:
        position = {number: i for i, number in enumerate(sheet.numbers)}
        header_of = dict(sheet.named_columns())
        for problem in sheet.unreadable:
            i = position[problem.location.row]
            column = _column_index(problem.location.column)
            problems.setdefault(i, []).append((header_of.get(column, problem.location.column), problem.message))
            blank_rows.discard(i)
    # Each person's fields in Registrant order; the objects themselves are made only when asked for.
    records: list[tuple | None] = list(zip(ids, names, phones, emails, birth_dates, scores, registered, choices,
                                           companions, passports, citizenships))
    for i in itertools.chain(problems, blank_rows):
        records[i] = None
    _mark_conflicting_duplicates(ids, records, problems, sheet.numbers)

    valid = [record for record in records if record is not None]
    if len(set(map(itemgetter(0), valid))) < len(valid):
        seen: set[str] = set()
        valid = [record for record in valid if not (record[0] in seen or seen.add(record[0]))]
    rejected = tuple(
        RejectedRow(sheet.numbers[i], ids[i], sheet.cells(i),
                    tuple(Problem(sheet.location(i, f), message) for f, message in problems[i]))
        for i in sorted(problems)
    )
    headers_in_order = tuple(header for _, header in sheet.named_columns())
    return ParsedRegistrants(sheet.file, sheet.sheet, sheet.header_row, headers_in_order, count - len(blank_rows),
                             tuple(valid), rejected)


def _column_index(label: str | None) -> int | None:
    """0-based index of a reader location's ``column C``."""
    letters = (label or "").removeprefix("column ").strip()
    if not letters.isalpha():
        return None
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _names(column: Callable[..., list], headers: Mapping[str, str]) -> tuple[list[str], str]:
    """Full names from ФИО, else joined from Фамилия/Имя/Отчество (also where ФИО is blank)."""
    parts = [f for f in ("last_name", "first_name", "middle_name") if f in headers]
    joined: list[str] | None = None
    if parts:
        columns = [column(f, _text, "", _same_where(_CLEAN_TEXT, MAX_TEXT_LENGTH)) for f in parts]
        joined = [" ".join(filter(None, names)) for names in zip(*columns)]
    if "full_name" not in headers:
        return joined or [], parts[0]
    full = column("full_name", _text, "", _same_where(_CLEAN_TEXT, MAX_TEXT_LENGTH))
    if joined is not None:
        full = [name or fallback for name, fallback in zip(full, joined)]
    return full, "full_name"


def _task_scores(cells_by_field: Mapping[str, Sequence[object]], settings: Settings, count: int) -> list[float]:
    scores = [0.0] * count
    for header, points in settings.scoring:
        for i, value in enumerate(cells_by_field[f"{_TASK_PREFIX}{header}"]):
            if task_done(value):
                scores[i] += points
    return scores


def _combine_choices(columns: list[list], count: int, last_is_split: bool) -> list[tuple[str, ...]]:
    """Each person's choices in order; a choice repeated by the same person counts once, in its first place."""
    singles = columns[:-1] if last_is_split else columns
    if singles:
        combined = list(map(tuple, map(filter, itertools.repeat(None), zip(*singles))))
        repeats = itertools.compress(itertools.count(), map(operator.ne, map(len, combined), map(len, map(set, combined))))
        for i in repeats:
            combined[i] = tuple(dict.fromkeys(combined[i]))
    else:
        combined = [()] * count
    if last_is_split:
        combined = [tuple(dict.fromkeys(own + split)) if split else own
                    for own, split in zip(combined, columns[-1])]
    return combined


def _check_columns(table: _Sheet, settings: Settings) -> None:
    headers = table.headers
    problems: list[Problem] = []
    where = Location(table.file, table.sheet, table.header_row)
    if "full_name" not in headers and not ({"last_name", "first_name"} & headers.keys()):
        problems.append(Problem(where, "no name column: expected ФИО, or Фамилия and Имя"))
    if "choices" in headers and any(f in headers for f in CHOICE_FIELDS):
        problems.append(Problem(where, "both a Выбор column and Выбор 1…5 columns; keep one form"))
    if "score" not in headers:
        missing = [h for h, _ in settings.scoring if f"{_TASK_PREFIX}{h}" not in headers]
        if missing:
            problems.append(Problem(where, "no Баллы column, and the [scoring] task column"
                                           f"{'s' if len(missing) > 1 else ''} "
                                           f"{', '.join(repr(m) for m in missing)} of season.toml "
                                           f"{'are' if len(missing) > 1 else 'is'} missing"))
    if problems:
        raise BadDataError(str(problems[0]) if len(problems) == 1 else
                           f"{table.file}: {len(problems)} problems in the header", problems)


def _mark_conflicting_duplicates(ids: list[str], registrants: list, problems: dict, numbers: list[int]) -> None:
    """The same ID with different data: every such row is rejected, naming the others."""
    distinct = set(ids)
    distinct.discard("")
    if len(distinct) == len(ids) - ids.count(""):
        return
    repeated = {registrant_id for registrant_id, times in collections.Counter(ids).items()
                if times > 1 and registrant_id}
    groups: dict[str, list[int]] = {}
    for i in itertools.compress(itertools.count(), map(repeated.__contains__, ids)):
        groups.setdefault(ids[i], []).append(i)
    for registrant_id, indexes in groups.items():
        # An invalid row is never "identical": its data could not be read.
        versions = {registrants[i] if registrants[i] is not None else i for i in indexes}
        if len(versions) < 2:
            continue
        rows = [numbers[i] for i in indexes]
        for i in indexes:
            others = ", ".join(str(r) for r in rows if r != numbers[i])
            plural = "s" if len(rows) > 2 else ""
            problems.setdefault(i, []).append(
                ("id", f"ID {registrant_id!r} also appears on row{plural} {others} with different data"))
            registrants[i] = None


# -- the season -----------------------------------------------------------------------

_STORED_COLUMNS = ("id, full_name, phone, email, birth_date, score, registered_at, choices, companions, "
                   "passport, citizenship")


def import_registrants(season: Season, path: Path, *, mapping: Mapping[str, str] | None = None,
                       skip_invalid: bool = False, encoding: str | None = None) -> RegistrantImportReport:
    """Import (or re-import) a mini-app export into the season, in one transaction.

    People are updated by ID and added; nobody is ever deleted. Without
    ``skip_invalid`` any invalid row raises :class:`BadDataError` and the
    season stays unchanged. With it, the valid rows are imported and the
    rejected ones are written to ``rejected-<file>.xlsx`` in the season folder.
    """
    from openmosprom_cli.store.registrants import (
        registrant_value_rows,
        upsert_registrant_rows,
    )
    from openmosprom_cli.store.sites import load_sites
    from openmosprom_cli.store.tours import load_tours

    path = Path(path)
    with season.transaction() as conn, _collector_paused():
        tours = load_tours(conn)
        sites = load_sites(conn)
        parsed = read_registrant_file(path, settings=season.settings, tours=tours, sites=sites, mapping=mapping,
                                      encoding=encoding)
        if parsed.rejected and not skip_invalid:
            problems = parsed.problems
            count = len(parsed.rejected)
            summary = str(problems[0]) if len(problems) == 1 else (
                f"{parsed.file}: {count} invalid row{'s' if count != 1 else ''} ({len(problems)} problems)")
            raise BadDataError(
                f"{summary}; nothing was imported",
                problems,
                hint=("The season has no published tours yet: generate them (openmosprom slots generate) first."
                      if not tours else "Fix them and import again, or import the valid rows with --skip-invalid."),
            )
        conn.row_factory = None  # plain tuples, compared as they are
        stored = {row[0]: row for row in conn.execute(f"SELECT {_STORED_COLUMNS} FROM registrants")}
        rows = registrant_value_rows(parsed.records)
        if stored:
            befores = list(map(stored.get, map(itemgetter(0), rows)))
            added = befores.count(None)
            changed = [row for row, before in zip(rows, befores) if row != before]
            updated = len(changed) - added
            unchanged = len(rows) - len(changed)
        else:
            added, updated, unchanged, changed = len(rows), 0, 0, rows
        upsert_registrant_rows(conn, changed, now=now_iso())
        in_file = set(map(itemgetter(0), rows)) | {r.registrant_id for r in parsed.rejected}
        not_in_file = sum(1 for registrant_id in stored if registrant_id not in in_file)
        rejected_path = rejected_file_path(season, path)
        if parsed.rejected:
            write_rejected(rejected_path, parsed)
        else:
            # A file listing rows that are now fine would mislead.
            rejected_path.unlink(missing_ok=True)
            rejected_path = None
    return RegistrantImportReport(parsed.file, parsed.rows_read, added, updated, unchanged, not_in_file,
                                  parsed.rejected, rejected_path)


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


def list_registrants(season: Season) -> list[Registrant]:
    from openmosprom_cli.store.registrants import load_registrants

    with season.reader() as conn:
        return load_registrants(conn)


def show_registrant(season: Season, registrant_id: str) -> Registrant:
    """One person by VK ID; an unknown ID raises :class:`MissingInputError` (exit 66)."""
    from openmosprom_cli.store.registrants import load_registrant

    with season.reader() as conn:
        found = load_registrant(conn, registrant_id.strip())
        if found is None:
            count = conn.execute("SELECT count(*) FROM registrants").fetchone()[0]
    if found is None:
        raise MissingInputError(f"no registrant with ID {registrant_id!r} in this season ({count} registered)",
                                hint="See the IDs with `openmosprom registrants list`.")
    return found


def registrant_as_dict(r: Registrant) -> dict[str, object]:
    """Every field, JSON-ready: dates in ISO form."""
    return {
        "id": r.id, "full_name": r.full_name, "phone": r.phone, "email": r.email,
        "birth_date": r.birth_date.isoformat() if r.birth_date else None, "score": r.score,
        "registered_at": r.registered_at.isoformat() if r.registered_at else None,
        "choices": list(r.choices), "companions": r.companions, "passport": r.passport,
        "citizenship": r.citizenship,
    }
