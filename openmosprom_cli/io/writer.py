"""The one table writer: every spreadsheet and CSV file the tool writes goes through here.

A caller describes what to write, in the manner of pretix's exporters: a
:class:`Sheet` names its :class:`Column` s and yields its rows, and this module
owns the format, the escaping, the layout and the file. Rows are consumed once,
as they are written, so a 200,000-row sheet never sits in memory.

- ``.xlsx`` through xlsxwriter in constant-memory mode (:mod:`.writer_xlsx`);
- ``.csv`` as Excel with Russian regional settings opens it directly: ``;``
  between cells, UTF-8 with a BOM, CRLF line ends.

Values:

- ``str`` is untrusted text (names, addresses, factories' notes) and is always
  written as a string, never as a formula. In ``.xlsx`` it is a string cell,
  and one starting with ``= + - @``, a tab or CR also gets Excel's quote prefix:
  Excel and LibreOffice show a string cell as text, but re-parse it when someone
  edits the cell (F2, Enter), and the quote prefix keeps it text then. In CSV
  such a text gets a leading ``'`` (see :func:`csv_guard`).
- ``int``, ``float``, ``date`` (DD.MM.YYYY), ``datetime`` (DD.MM.YYYY HH:MM)
  and ``time`` (HH:MM) are values the tool produced and become typed cells.
- ``bool`` is written as «да»/«нет» only in a column that says so
  (``Column(yes_no=True)``); anywhere else it is a caller's mistake.
- ``None`` is an empty cell.

What text cannot keep (the documented escapes): characters XML cannot hold
(NUL, vertical tab…, lone surrogates) become visible ``\\xNN``/``\\uNNNN``
escapes, in both formats, since they reach a file only when it reports bad
input and there the organizer should see what the input held; a text longer
than Excel's cell limit (32,767 characters) is cut there in ``.xlsx``.

Files are written atomically (a temporary file beside the target, renamed into
place), owner-only when ``private`` (personal data), and byte-reproducible:
the same rows give the same bytes, whatever the time of writing.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
import numbers
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from openmosprom_cli.io.files import atomic_path

# A text starting with one of these is a formula to a spreadsheet (a tab or CR is skipped before one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
YES, NO = "да", "нет"
CSV_DELIMITER = ";"
CSV_ENCODING = "utf-8-sig"
# The files' creation time when the caller gives none: a fixed date, so that the bytes never depend on the clock.
DEFAULT_STAMP = dt.datetime(1980, 1, 1)
# Excel's cell limit, in UTF-16 code units.
MAX_CELL_CHARS = 32_767

DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
TIME_FORMAT = "HH:MM"
TEXT_FORMAT = "@"
HEADER_FILL = "DDEBF7"

# What XML 1.0 cannot hold, even escaped: C0 controls but tab, LF and CR; lone surrogates; U+FFFE and U+FFFF.
_UNHOLDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# -- the records a caller fills in -----------------------------------------------------------------

@dataclass(frozen=True)
class Style:
    """How cells look; only ``.xlsx`` has looks. Unset fields take the column's (or the default) value."""

    bold: bool = False
    italic: bool = False
    size: float | None = None
    color: str | None = None  # font colour, "RRGGBB"
    fill: str | None = None  # solid background, "RRGGBB"
    wrap: bool = False
    align: str | None = None  # left | center | right
    valign: str | None = None  # top | vcenter | bottom
    number_format: str | None = None  # instead of the value's own (DD.MM.YYYY…); "@" keeps what is typed as text

    def over(self, base: Style) -> Style:
        """This style laid over ``base``: what is set here wins."""
        return Style(
            bold=self.bold or base.bold, italic=self.italic or base.italic,
            size=self.size if self.size is not None else base.size,
            color=self.color or base.color, fill=self.fill or base.fill, wrap=self.wrap or base.wrap,
            align=self.align or base.align, valign=self.valign or base.valign,
            number_format=self.number_format or base.number_format,
        )


PLAIN = Style()
TITLE_STYLE = Style(bold=True, size=13)
HEADER_STYLE = Style(bold=True, fill=HEADER_FILL)
LABEL_STYLE = Style(bold=True)
BLOCK_VALUE_STYLE = Style(align="left")

_CRITERIA = ("between", ">", ">=", "<", "<=")
_VALIDATION_KINDS = ("list", "whole", "decimal", "date", "time")


@dataclass(frozen=True)
class Validation:
    """An Excel data-validation rule: Excel checks what is typed and refuses the rest (``.xlsx`` only).

    Build one with :meth:`one_of`, :meth:`between` or :meth:`compare`. ``prompt``
    is shown while the cell is selected; ``error`` when Excel refuses a value.
    """

    kind: str  # list | whole | decimal | date | time
    criteria: str = "between"
    minimum: object = None
    maximum: object = None
    choices: tuple[str, ...] = ()
    error: str = ""
    error_title: str = "Неверное значение"
    prompt: str = ""
    prompt_title: str = ""

    def __post_init__(self) -> None:
        if self.kind not in _VALIDATION_KINDS or self.criteria not in _CRITERIA:
            raise ValueError(f"unknown validation {self.kind!r} {self.criteria!r}")
        if self.kind == "list" and (not self.choices or len(",".join(self.choices)) > 255
                                    or any("," in c or '"' in c for c in self.choices)):
            raise ValueError("a list validation needs choices without commas or quotes, "
                             "at most 255 characters in all (Excel's limit)")
        if self.kind != "list" and (self.minimum is None or (self.criteria == "between") != (self.maximum is not None)):
            raise ValueError(f"validation {self.kind!r} {self.criteria!r} needs its bounds")
        # Excel's limits; xlsxwriter would only warn and drop the rule.
        for text, limit in ((self.error, 255), (self.prompt, 255), (self.error_title, 32), (self.prompt_title, 32)):
            if len(text) > limit:
                raise ValueError(f"validation text longer than Excel's {limit} characters: {text[:40]!r}…")

    @classmethod
    def one_of(cls, *choices: str, error: str = "", prompt: str = "", prompt_title: str = "") -> Validation:
        return cls("list", choices=tuple(choices), error=error, prompt=prompt, prompt_title=prompt_title)

    @classmethod
    def between(cls, kind: str, minimum: object, maximum: object, *, error: str = "", prompt: str = "",
                prompt_title: str = "") -> Validation:
        return cls(kind, "between", minimum, maximum, error=error, prompt=prompt, prompt_title=prompt_title)

    @classmethod
    def compare(cls, kind: str, criteria: str, value: object, *, error: str = "", prompt: str = "",
                prompt_title: str = "") -> Validation:
        """``compare("decimal", ">", 0)``: one bound, with ``>``, ``>=``, ``<`` or ``<=``."""
        return cls(kind, criteria, value, error=error, prompt=prompt, prompt_title=prompt_title)


@dataclass(frozen=True)
class Column:
    """One column of a table: its header and how its cells are written."""

    header: str
    width: float | None = None  # fixed width in characters; None: fitted to the header and the values
    style: Style = PLAIN  # for the values, not the header
    yes_no: bool = False  # bools in this column are written «да»/«нет»
    validation: Validation | None = None  # on every table row, the prepared empty ones included


@dataclass(frozen=True)
class Cell:
    """A value with its own look or rule, where its column's do not fit (a form's rows differ)."""

    value: object = None
    style: Style | None = None  # laid over the column's style
    validation: Validation | None = None


_CHART_KINDS = ("column", "bar", "line", "pie")


@dataclass(frozen=True)
class Chart:
    """A native Excel chart of its sheet's table (``.xlsx`` only; CSV has no charts), not a picture.

    Each of ``values`` (0-based table columns) is one series, named by its
    header, over the table's data rows, which ``categories`` labels; the last
    ``skip_last`` rows (a totals row) are left out. Excel draws it from the
    cells, so the numbers and the chart cannot disagree. ``percent``: the
    values are shares from 0 to 1, shown as 0 %. Placed at ``anchor`` (a cell
    such as ``"H3"``), by default to the right of the table, charts of one sheet
    one under another.
    """

    title: str
    values: Sequence[int]
    categories: int = 0
    kind: str = "column"  # column | bar | line | pie
    stacked: bool = False
    percent: bool = False
    x_title: str = ""
    y_title: str = ""
    skip_last: int = 0
    anchor: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _CHART_KINDS or not self.values or (self.kind == "pie" and len(self.values) != 1):
            raise ValueError(f"chart {self.title!r}: a {self.kind!r} chart of {len(self.values)} series")


@dataclass(frozen=True)
class Sheet:
    """One worksheet: an optional title and block of label/value lines, then a table.

    Layout from the top: the ``title`` row; the ``block`` lines (label in
    ``block_column``, bold; value beside it); ``spacing`` empty rows (only after a
    title or block); the header row (bold on a fill, unless ``header`` is False);
    the rows. ``min_rows`` prepares the table down to that many rows with the
    columns' formats, borders and validation, for people to fill in.
    """

    name: str
    columns: Sequence[Column | str]
    rows: Iterable[Sequence[object]] = field(default=(), compare=False)
    title: str | None = None
    block: Sequence[tuple[str, object]] = ()
    block_column: int = 0
    spacing: int = 1
    header: bool = True
    borders: bool = False  # thin borders around every table cell: printed lists are ticked off by hand
    autofilter: bool = False
    freeze: bool = False  # keep the header on screen while scrolling
    print_ready: bool = False  # landscape, fitted to the page width, header repeated on every page; frozen too
    min_rows: int = 0
    min_width: float = 6
    max_width: float = 60
    charts: Sequence[Chart] = ()  # drawn from the table once its rows are written (.xlsx only)

    @property
    def table_columns(self) -> tuple[Column, ...]:
        return tuple(c if isinstance(c, Column) else Column(c) for c in self.columns)


# -- text: the one definition of what a cell may hold ------------------------------------------------

def visible_text(text: str) -> str:
    """``text`` with every character XML cannot hold written as a visible ``\\xNN`` or ``\\uNNNN``."""
    if _UNHOLDABLE.search(text) is None:
        return text
    return _UNHOLDABLE.sub(_visible, text)


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would take ``text``, typed or pasted into a cell, for a formula."""
    return text.startswith(FORMULA_STARTS)


def csv_guard(text: str) -> str:
    """A CSV field no spreadsheet evaluates: a formula-like text gets a leading ``'``.

    A text that already starts with ``'`` before a formula-like rest gets one
    more, so that :func:`csv_unguard` gives back exactly what was written.
    """
    return "'" + text if is_formula_like(text.lstrip("'")) else text


def csv_unguard(text: str) -> str:
    """The text :func:`csv_guard` was given: for reading back a CSV file this module wrote."""
    return text[1:] if text.startswith("'") and is_formula_like(text.lstrip("'")) else text


def yes_no(value: bool) -> str:
    return YES if value else NO


def csv_text(value: object, *, yes_no_column: bool = False) -> str:
    """One value as a CSV field: text guarded, numbers with a decimal comma, dates as DD.MM.YYYY."""
    if isinstance(value, Cell):
        value = value.value
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_guard(visible_text(value))
    if isinstance(value, bool):
        if not yes_no_column:
            raise TypeError("a bool is written only in a yes_no column")
        return yes_no(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{number} cannot be written as a number")
        # Excel with Russian regional settings reads "2,5" as a number; "2.5" would be a date or text.
        return repr(number).replace(".", ",")
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    raise TypeError(f"cannot write a {type(value).__name__}; pass it as str")


# -- writing --------------------------------------------------------------------------------------

def write_csv(path: Path, columns: Sequence[Column | str], rows: Iterable[Sequence[object]], *,
              private: bool) -> Path:
    """Write a header and ``rows`` as CSV for Excel with Russian regional settings; return ``path``."""
    path = Path(path)
    table = [c if isinstance(c, Column) else Column(c) for c in columns]
    flags = [c.yes_no for c in table]
    with atomic_path(path, private=private) as tmp, open(tmp, "w", encoding=CSV_ENCODING, newline="") as fh:
        writer = csv.writer(fh, delimiter=CSV_DELIMITER, lineterminator="\r\n")
        writer.writerow([csv_text(c.header) for c in table])
        rows = iter(rows)
        while batch := list(itertools.islice(rows, CSV_BATCH_ROWS)):
            writer.writerows(_csv_batch(batch, flags))
    return path


CSV_BATCH_ROWS = 4_096

# A text csv_text writes as it is matches neither: a formula-like start (behind any quotes), or an unholdable character.
_CSV_FORMULA_LINE = re.compile("^'*[=+\\-@\t\r]", re.M)
_CSV_NEEDS_CARE = re.compile("'*[=+\\-@\t\r]|.*[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", re.S)
# Values of these kinds are the tool's own and repeat (the tours' dates and times, waitlist places): each distinct
# one is written once per column. No two of them are equal unless they are written alike (a bool would be: True == 1).
_REPEATING_KINDS = frozenset({type(None), int, dt.date, dt.datetime, dt.time})
_TEXT_KINDS = frozenset({type(None), str})


def _csv_batch(batch: list[Sequence[object]], flags: list[bool]) -> Iterable[Sequence[str]]:
    """:func:`csv_text` of every value of ``batch``, column by column when its rows are of one length."""
    width = len(flags)
    lengths = set(map(len, batch))
    if max(lengths) > width:
        row = next(r for r in batch if len(r) > width)
        raise ValueError(f"a row has {len(row)} values for {width} columns")
    if len(lengths) > 1:
        return [[csv_text(v, yes_no_column=f) for v, f in zip(row, flags, strict=False)] for row in batch]
    if not lengths.pop():
        return batch  # type: ignore[return-value]
    return zip(*map(_csv_column, zip(*batch, strict=True), flags), strict=True)


def _csv_column(values: Sequence[object], yes_no_column: bool) -> Sequence[str]:
    """:func:`csv_text` of each value, with the common kinds decided for the whole column at once."""
    kinds = set(map(type, values))
    if kinds <= _TEXT_KINDS:
        texts = cast("Sequence[str]", [v if v is not None else "" for v in values] if type(None) in kinds else values)
        # One scan of the whole column; a line break inside a text may start a false alarm, never hide one.
        joined = "\n".join(texts)
        if _CSV_FORMULA_LINE.search(joined) is not None or _UNHOLDABLE.search(joined) is not None:
            return [v if _CSV_NEEDS_CARE.match(v) is None else csv_text(v) for v in texts]
        return texts
    if kinds <= _REPEATING_KINDS:
        written = {value: csv_text(value) for value in set(values)}
        return list(map(written.__getitem__, values))
    return [csv_text(value, yes_no_column=yes_no_column) for value in values]


def write_workbook(path: Path, sheets: Iterable[Sheet], *, private: bool, stamp: dt.datetime = DEFAULT_STAMP) -> Path:
    """Write ``sheets`` as one ``.xlsx`` workbook; return ``path``.

    ``stamp`` is the document's creation and modification time (naive: UTC).
    Pass a time derived from the data (say, the allocation run's) or keep the
    fixed default: never the current time, or the bytes would differ per run.
    """
    from openmosprom_cli.io.writer_xlsx import write_xlsx

    path = Path(path)
    write_xlsx(path, sheets, private=private, stamp=stamp)
    return path


def write_table(path: Path, sheet: Sheet, *, private: bool, stamp: dt.datetime = DEFAULT_STAMP) -> Path:
    """One table, as ``.xlsx`` or ``.csv`` by the name's suffix; the CSV keeps only the header and rows."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(path, sheet.table_columns, sheet.rows, private=private)
    if suffix == ".xlsx":
        return write_workbook(path, [sheet], private=private, stamp=stamp)
    raise ValueError(f"{path.name}: a table is written as .xlsx or .csv")
