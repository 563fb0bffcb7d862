"""The ``.xlsx`` half of the table writer: :class:`~openmosprom_cli.io.writer.Sheet` records through xlsxwriter.

Callers use :mod:`openmosprom_cli.io.writer`; this module is its engine.

Two modes, chosen by size so that the same data always gives the same bytes:

- a small workbook (at most ``SMALL_WORKBOOK_ROWS`` table rows in all) is built
  in memory: no temporary files, which for a roster of a few hundred rows are
  most of the cost;
- a large one is streamed in xlsxwriter's constant-memory mode: each row goes
  to a temporary file as soon as the next one starts, so memory stays flat
  however long the sheet. Its table rows are written as XML directly into that
  file (:meth:`_SheetWriter._streamed_rows`), about ten times faster than cell
  by cell through xlsxwriter, with the same formats, escapes and widths; the
  temporary files live in a private folder that is removed whatever happens.

xlsxwriter escapes ``_xHHHH_`` sequences and CR itself, and so do the streamed
rows; one more escape is ours (see :func:`_cell_text`).

Reproducible bytes in one zip pass: the document's properties come from the
caller's stamp, and xlsxwriter dates every zip entry 1980-01-31 (it sets its
temporary files' times before adding them).

A large workbook is deflated at ``LARGE_WORKBOOK_COMPRESSLEVEL`` rather than
zlib's default 6 (see :func:`~openmosprom_cli.io.xlsx_close.streamed_close`); deflate at a fixed level is as
reproducible as at any other. Small workbooks keep the default, and so their bytes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools
import math
import numbers
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from openmosprom_cli.errors import CannotCreateError
from openmosprom_cli.i18n import _
from openmosprom_cli.io.files import atomic_path
from openmosprom_cli.io.writer import (
    BLOCK_VALUE_STYLE,
    DATE_FORMAT,
    DATETIME_FORMAT,
    HEADER_STYLE,
    LABEL_STYLE,
    MAX_CELL_CHARS,
    NO,
    TIME_FORMAT,
    TITLE_STYLE,
    YES,
    Cell,
    Sheet,
    Style,
    Validation,
    is_formula_like,
    visible_text,
)
from openmosprom_cli.io.xlsx_charts import add_chart, keep_charted
from openmosprom_cli.io.xlsx_close import streamed_close
from openmosprom_cli.io.xlsx_rows import (
    DATE,
    DATETIME,
    KIND_WIDTHS,
    MAX_EXACT_INT,
    NUMBER,
    TEXT,
    TIME,
    Resolved,
    rows_xml,
)

CREATOR = "openmosprom"
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384

STREAM_BATCH_ROWS = 2_048
_KIND_FORMATS = {TEXT: None, NUMBER: None, DATE: DATE_FORMAT, DATETIME: DATETIME_FORMAT, TIME: TIME_FORMAT}


SMALL_WORKBOOK_ROWS = 5_000
# Deflate level of a large (streamed) workbook. participants.xlsx at 200,000 registrants has 159 MB of sheet
# XML: level 1 deflates it in 0.8 s to 28.9 MB, level 3 in 1.0 s to 25.4 MB, the default 6 in 2.3 s to
# 21.5 MB. The seconds count on every export; a third more megabytes on the organizers' disk does not.
LARGE_WORKBOOK_COMPRESSLEVEL = 1


def write_xlsx(path: Path, sheets: Iterable[Sheet], *, private: bool, stamp: dt.datetime) -> None:
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    sheets, small = _sized(sheets)
    with atomic_path(path, private=private) as tmp, tempfile.TemporaryDirectory(prefix="omp-xlsx-") as scratch:
        mode = {"in_memory": True} if small else {"constant_memory": True, "tmpdir": scratch}
        workbook = xlsxwriter.Workbook(str(tmp), {
            **mode,
            # Text is never anything but text, whatever it looks like.
            "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
        })
        try:
            workbook.set_properties({"author": CREATOR, "created": _utc(stamp)})
            formats = _Formats(workbook)
            if not sheets:
                raise ValueError("a workbook needs at least one sheet")
            for sheet in sheets:
                _SheetWriter(workbook.add_worksheet(sheet.name), sheet, formats, workbook, streamed=not small).write()
            try:
                with contextlib.nullcontext() if small else streamed_close(LARGE_WORKBOOK_COMPRESSLEVEL):
                    workbook.close()
            except FileCreateError as exc:
                raise CannotCreateError(_("cannot write {path}: {reason}").format(path=path, reason=exc)) from None
        finally:
            # Each worksheet holds its workbook's add_format: a reference cycle, which only the collector frees,
            # and the large steps pause it (allocation/bulk.py). Broken here, the workbook and its cells are freed
            # now: the export's 60 sites' workbooks stayed until exit (45 MB and 0.05 s to free at 50,000 people).
            for worksheet in workbook.worksheets():
                worksheet.workbook_add_format = None


def _sized(sheets: Iterable[Sheet]) -> tuple[list[Sheet], bool]:
    """The sheets with their rows' first part read ahead, and whether the whole workbook is small."""
    ready, total, small = [], 0, True
    for sheet in sheets:
        rows = iter(sheet.rows)
        head = list(itertools.islice(rows, SMALL_WORKBOOK_ROWS + 1 - total)) if small else []
        total += len(head)
        small = small and total <= SMALL_WORKBOOK_ROWS
        ready.append(dataclasses.replace(sheet, rows=itertools.chain(head, rows)))
    return ready, small


def _utc(stamp: dt.datetime) -> dt.datetime:
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return stamp.replace(microsecond=0)


class _Formats:
    """One xlsxwriter format per distinct look, shared across the workbook."""

    def __init__(self, workbook):
        self._workbook = workbook
        self._cache: dict[tuple, object] = {}

    def get(self, style: Style, kind: str | None, *, border: bool = False, quote: bool = False):
        key = (style, kind, border, quote)
        found = self._cache.get(key)
        if found is None and key not in self._cache:
            found = self._cache[key] = self._make(style, kind, border, quote)
        return found

    def _make(self, style: Style, kind: str | None, border: bool, quote: bool):
        properties: dict[str, object] = {}
        if style.bold:
            properties["bold"] = True
        if style.italic:
            properties["italic"] = True
        if style.size is not None:
            properties["font_size"] = style.size
        if style.color:
            properties["font_color"] = f"#{style.color}"
        if style.fill:
            properties.update(pattern=1, bg_color=f"#{style.fill}")
        if style.wrap:
            properties["text_wrap"] = True
        if style.align:
            properties["align"] = style.align
        if style.valign:
            properties["valign"] = style.valign
        number_format = style.number_format or (_KIND_FORMATS[kind] if kind else None)
        if number_format:
            properties["num_format"] = number_format
        if border:
            properties["border"] = 1
        if quote:
            properties["quote_prefix"] = True
        # Without any property a cell needs no format: empty cells are then not written at all.
        return self._workbook.add_format(properties) if properties else None


def _cell_text(text: str) -> str:
    """Untrusted text as xlsxwriter should be handed it.

    xlsxwriter writes an inline string that starts with ``<r>`` and ends with
    ``</r>`` into the XML unescaped, taking it for its own rich text: a name
    like ``<r><t>x</t></r></is><f>…</f><is><r>…</r>`` would inject a formula.
    Such a text is wrapped as one rich-text run holding it, escaped, which
    shows exactly the text.
    """
    text = visible_text(text)
    if len(text) > MAX_CELL_CHARS // 2 and len(text.encode("utf-16-le")) > 2 * MAX_CELL_CHARS:
        text = text.encode("utf-16-le")[: 2 * MAX_CELL_CHARS].decode("utf-16-le", "ignore")
    if text.startswith("<r>") and text.endswith("</r>"):
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f'<r><t xml:space="preserve">{escaped}</t></r>'
    return text


# Text that the fast path must not write as it is: see :func:`_cell_text` and :func:`is_formula_like`.
_NEEDS_CARE = re.compile("[=+\\-@\t\r]|<r>|.*[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|.{16384}", re.S)


def _text_width(text: str) -> int:
    return max(map(len, text.split("\n"))) if "\n" in text else len(text)


def _validation_options(rule: Validation) -> dict[str, object]:
    options: dict[str, object] = {"validate": "integer" if rule.kind == "whole" else rule.kind,
                                  "ignore_blank": True, "error_type": "stop"}
    if rule.kind == "list":
        options["source"] = list(rule.choices)
    else:
        options.update(criteria=rule.criteria, minimum=rule.minimum)
        if rule.maximum is not None:
            options["maximum"] = rule.maximum
    if rule.error:
        options.update(error_title=rule.error_title, error_message=rule.error)
    if rule.prompt:
        options["input_message"] = rule.prompt
        if rule.prompt_title:
            options["input_title"] = rule.prompt_title
    return options


class _SheetWriter:
    def __init__(self, worksheet, sheet: Sheet, formats: _Formats, workbook=None, *, streamed: bool = False):
        self.workbook = workbook
        self.ws = worksheet
        self.streamed = streamed
        self.sheet = sheet
        self.formats = formats
        self.columns = sheet.table_columns
        if not 0 < len(self.columns) <= MAX_COLUMNS:
            raise ValueError(f"sheet {sheet.name!r} needs 1 to {MAX_COLUMNS} columns")
        self.widths = [0] * len(self.columns)
        self.wrote_rows = False
        self.charted: dict[int, list[object]] = {}
        self.cell_rules: dict[Validation, list[str]] = {}

    def write(self) -> None:
        sheet, formats = self.sheet, self.formats
        row = 0
        if sheet.title is not None:
            self._value(row, 0, sheet.title, TITLE_STYLE)
            row += 1
        for label, value in sheet.block:
            self._value(row, sheet.block_column, label, LABEL_STYLE)
            self._value(row, sheet.block_column + 1, value, BLOCK_VALUE_STYLE)
            row += 1
        if sheet.title is not None or sheet.block:
            row += sheet.spacing
        header_row = row
        if sheet.header:
            for col, column in enumerate(self.columns):
                self.widths[col] = max(self.widths[col], self._value(row, col, column.header, HEADER_STYLE,
                                                                     border=sheet.borders))
            row += 1
        first_data_row = row
        row = self._rows(row, self._capturing(sheet.rows) if sheet.charts else sheet.rows)
        self.wrote_rows = row > first_data_row
        while row < first_data_row + sheet.min_rows:
            # Empty rows that already carry the columns' formats and borders, for people to fill in.
            for col, column in enumerate(self.columns):
                self.ws.write_blank(row, col, None, formats.get(column.style, None, border=sheet.borders))
            row += 1
        self._layout(header_row, first_data_row, max(row - 1, first_data_row))

    def _capturing(self, rows: Iterable[Sequence[object]]) -> Iterator[Sequence[object]]:
        """The rows, keeping the charted columns' values for the charts' caches (see :mod:`xlsx_charts`)."""
        wanted = sorted({col for chart in self.sheet.charts for col in (chart.categories, *chart.values)})
        self.charted = {col: [] for col in wanted}
        return keep_charted(rows, self.charted)

    def _rows(self, row: int, rows: Iterable[Sequence[object]]) -> int:
        """The table's rows: plain text and numbers straight to xlsxwriter, everything else through :meth:`_value`."""
        if self.streamed:
            return self._streamed_rows(row, rows)
        sheet, ws, formats, widths = self.sheet, self.ws, self.formats, self.widths
        columns = self.columns
        border = sheet.borders
        count = len(columns)
        text_formats = [formats.get(c.style, TEXT, border=border) for c in columns]
        number_formats = [formats.get(c.style, NUMBER, border=border) for c in columns]
        blank_formats = [formats.get(c.style, None, border=border) for c in columns]
        write_string, write_number, write_blank = ws.write_string, ws.write_number, ws.write_blank
        needs_care = _NEEDS_CARE.match
        for values in rows:
            if row >= MAX_ROWS:
                raise CannotCreateError(_("sheet {sheet} has more rows than Excel allows ({limit})").format(
                    sheet=repr(sheet.name), limit=MAX_ROWS))
            if len(values) > count:
                raise ValueError(f"a row of sheet {sheet.name!r} has {len(values)} values for {count} columns")
            col = 0
            for value in values:
                if isinstance(value, str) and value and needs_care(value) is None:
                    write_string(row, col, value, text_formats[col])
                    width = len(value) if "\n" not in value else _text_width(value)
                elif (isinstance(value, int) and value is not True and value is not False
                      and -MAX_EXACT_INT <= value <= MAX_EXACT_INT):
                    write_number(row, col, value, number_formats[col])
                    width = len(str(value))
                elif value is None:
                    write_blank(row, col, None, blank_formats[col])
                    width = 0
                else:
                    width = self._table_value(row, col, value)
                if width > widths[col]:
                    widths[col] = width
                col += 1
            while col < count:
                write_blank(row, col, None, blank_formats[col])
                col += 1
            row += 1
        return row

    def _table_value(self, row: int, col: int, value: object) -> int:
        column = self.columns[col]
        style = column.style
        if isinstance(value, Cell):
            if value.validation is not None:
                self.cell_rules.setdefault(value.validation, []).append(_cell_name(row, col))
            if value.style is not None:
                style = value.style.over(style)
            value = value.value
        return self._value(row, col, value, style, border=self.sheet.borders, yes_no=column.yes_no)

    def _value(self, row: int, col: int, value: object, style: Style, *, border: bool = False,
               yes_no: bool = False) -> int:
        """Write one value of any kind through xlsxwriter; return its width in characters."""
        kind, payload, cell_format, width = self._resolve(value, style, border=border, yes_no=yes_no)
        if kind is None:
            self.ws.write_blank(row, col, None, cell_format)
        elif kind == TEXT:
            self.ws.write_string(row, col, payload, cell_format)
        elif kind == NUMBER:
            self.ws.write_number(row, col, payload, cell_format)
        else:
            self.ws.write_datetime(row, col, payload, cell_format)
        return width

    def _resolve(self, value: object, style: Style, *, border: bool = False, yes_no: bool = False) -> Resolved:
        """How to write a value of any kind: (kind or None for blank, what to write, its format, its width)."""
        formats = self.formats
        if value is None or value == "":
            return None, None, formats.get(style, None, border=border), 0
        if isinstance(value, str):
            written = _cell_text(value)
            quote = is_formula_like(written)
            return TEXT, written, formats.get(style, TEXT, border=border, quote=quote), _text_width(value)
        if isinstance(value, bool):
            if not yes_no:
                raise TypeError(f"sheet {self.sheet.name!r}: a bool is written only in a yes_no column")
            text = YES if value else NO
            return TEXT, text, formats.get(style, TEXT, border=border), len(text)
        if isinstance(value, numbers.Integral):
            number = int(value)
            if abs(number) > MAX_EXACT_INT:
                raise ValueError(f"{number} is too large for a spreadsheet number; pass it as str")
            return NUMBER, number, formats.get(style, NUMBER, border=border), len(str(number))
        if isinstance(value, numbers.Real):
            real = float(value)
            if not math.isfinite(real):
                raise ValueError(f"{real} cannot be written as a number")
            return NUMBER, real, formats.get(style, NUMBER, border=border), min(len(repr(real)), 12)
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                raise ValueError("a spreadsheet has no time zones; pass a naive local time")
            kind = DATETIME
        elif isinstance(value, dt.date):
            kind = DATE
        elif isinstance(value, dt.time):
            kind = TIME
        else:
            raise TypeError(f"cannot write a {type(value).__name__}; pass it as str")
        return kind, value, formats.get(style, kind, border=border), KIND_WIDTHS[kind]

    def _streamed_rows(self, row: int, table_rows: Iterable[Sequence[object]]) -> int:
        """The table's rows as XML straight into xlsxwriter's row file (constant-memory mode), in batches.

        Every value is resolved as :meth:`_value` resolves it (see :mod:`xlsx_rows`). A batch with a
        :class:`Cell` (a validation or a style of its own) goes through xlsxwriter, which keeps track of those.
        """
        sheet, ws, columns = self.sheet, self.ws, self.columns
        count, border = len(columns), sheet.borders
        first = row

        def formats(col: int, kind: str | None, quote: bool) -> object:
            return self.formats.get(columns[col].style, kind, border=border, quote=quote)

        def resolve(value: object, col: int) -> Resolved:
            return self._resolve(value, columns[col].style, border=border, yes_no=columns[col].yes_no)

        ws._write_single_row(row)        # out with the rows above (title, header), through xlsxwriter
        rows = iter(table_rows)
        while batch := list(itertools.islice(rows, STREAM_BATCH_ROWS)):
            if row + len(batch) > MAX_ROWS:
                raise CannotCreateError(_("sheet {sheet} has more rows than Excel allows ({limit})").format(
                    sheet=repr(sheet.name), limit=MAX_ROWS))
            longest = max(map(len, batch))
            if longest > count:
                raise ValueError(f"a row of sheet {sheet.name!r} has {longest} values for {count} columns")
            if Cell in set(map(type, itertools.chain.from_iterable(batch))):
                for values in batch:
                    for col, value in enumerate(itertools.chain(values, [None] * (count - len(values)))):
                        self.widths[col] = max(self.widths[col], self._table_value(row, col, value))
                    row += 1
                    ws._write_single_row(row)
                continue
            ws.fh.write(rows_xml(batch, row, count, formats, resolve, self.widths))
            row += len(batch)
        if row > first:
            ws.dim_rowmin = first if ws.dim_rowmin is None else min(ws.dim_rowmin, first)
            ws.dim_rowmax = row - 1 if ws.dim_rowmax is None else max(ws.dim_rowmax, row - 1)
            ws.dim_colmin = 0
            ws.dim_colmax = count - 1 if ws.dim_colmax is None else max(ws.dim_colmax, count - 1)
        ws.previous_row = row
        return row

    # -- after the rows ----------------------------------------------------------------------------

    def _layout(self, header_row: int, first_data_row: int, last_row: int) -> None:
        sheet, ws = self.sheet, self.ws
        for col, column in enumerate(self.columns):
            if column.width is not None:
                width = column.width
            elif self.widths[col]:
                width = max(sheet.min_width, min(sheet.max_width, self.widths[col] + 2))
            else:
                continue
            if sheet.block and col == sheet.block_column:
                # Only the labels: their values spill over the empty cells to their right.
                width = max(width, max(len(label) for label, _ in sheet.block) + 2)
            ws.set_column(col, col, width)
        if sheet.block and not 0 <= sheet.block_column < len(self.columns):
            longest = max(len(label) for label, _ in sheet.block) + 2
            ws.set_column(sheet.block_column, sheet.block_column, longest)
        for col, column in enumerate(self.columns):
            if column.validation is not None:
                _check(ws.data_validation(first_data_row, col, last_row, col, _validation_options(column.validation)),
                       "data validation")
        for rule, cells in self.cell_rules.items():
            first_row, first_col = _cell_position(cells[0])
            options = _validation_options(rule)
            options["multi_range"] = " ".join(cells)
            _check(ws.data_validation(first_row, first_col, first_row, first_col, options), "data validation")
        if sheet.autofilter:
            ws.autofilter(header_row, 0, max(last_row, header_row + 1), len(self.columns) - 1)
        if sheet.freeze or sheet.print_ready:
            ws.freeze_panes(first_data_row, 0)
        if sheet.print_ready:
            ws.set_landscape()
            ws.fit_to_pages(1, 0)
            if sheet.header:
                ws.repeat_rows(header_row)
        for number, chart in enumerate(sheet.charts):
            add_chart(self.workbook, ws, sheet, len(self.columns), chart, number, header_row=header_row,
                      first_data_row=first_data_row, last_row=last_row, wrote_rows=self.wrote_rows,
                      charted=self.charted)

def _check(code: int, what: str) -> None:
    # xlsxwriter warns and carries on where a caller's mistake should stop the export.
    if code != 0:
        raise ValueError(f"xlsxwriter refused the {what} (code {code})")


def _cell_name(row: int, col: int) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    return xl_rowcol_to_cell(row, col)


def _cell_position(name: str) -> tuple[int, int]:
    from xlsxwriter.utility import xl_cell_to_rowcol

    return xl_cell_to_rowcol(name)
