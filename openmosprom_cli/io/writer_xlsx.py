"""The ``.xlsx`` half of the table writer: :class:`~openmosprom_cli.io.writer.Sheet` records through xlsxwriter.

Callers use :mod:`openmosprom_cli.io.writer`; this module is its engine.

xlsxwriter runs in constant-memory mode: each row goes to a temporary file as
soon as the next one starts, so memory stays flat however long the sheet, and
rows must be written top to bottom, which the declarative layout guarantees.
Its temporary files live in a private temporary folder that is removed
whatever happens. In this mode strings are written inline, and xlsxwriter
escapes ``_xHHHH_`` sequences and CR itself; one more escape is ours (see
:func:`_cell_text`).

Reproducible bytes in one zip pass: the document's properties come from the
caller's stamp, and xlsxwriter dates every zip entry 1980-01-31 (it sets its
temporary files' times before adding them).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from openmosprom_cli.errors import CannotCreateError
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
    Chart,
    Sheet,
    Style,
    Validation,
    is_formula_like,
    visible_text,
)

CREATOR = "openmosprom"
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384

# Value kinds: how a cell is written and which number format it gets by default.
_TEXT, _NUMBER, _DATE, _DATETIME, _TIME = "text", "number", "date", "datetime", "time"
_KIND_FORMATS = {_TEXT: None, _NUMBER: None, _DATE: DATE_FORMAT, _DATETIME: DATETIME_FORMAT, _TIME: TIME_FORMAT}
_KIND_WIDTHS = {_DATE: 10, _DATETIME: 16, _TIME: 5}
# Beyond 2**53 a float no longer holds every integer: such an ID must be written as text.
_MAX_EXACT_INT = 2 ** 53


def write_xlsx(path: Path, sheets: Iterable[Sheet], *, private: bool, stamp: dt.datetime) -> None:
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    with atomic_path(path, private=private) as tmp, tempfile.TemporaryDirectory(prefix="omp-xlsx-") as scratch:
        workbook = xlsxwriter.Workbook(str(tmp), {
            "constant_memory": True, "tmpdir": scratch,
            # Text is never anything but text, whatever it looks like.
            "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
        })
        workbook.set_properties({"author": CREATOR, "created": _utc(stamp)})
        formats = _Formats(workbook)
        wrote_any = False
        for sheet in sheets:
            _SheetWriter(workbook.add_worksheet(sheet.name), sheet, formats, workbook).write()
            wrote_any = True
        if not wrote_any:
            raise ValueError("a workbook needs at least one sheet")
        try:
            workbook.close()
        except FileCreateError as exc:
            raise CannotCreateError(f"cannot write {path}: {exc}") from None


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
    def __init__(self, worksheet, sheet: Sheet, formats: _Formats, workbook=None):
        self.workbook = workbook
        self.ws = worksheet
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
        """The rows, keeping the charted columns' values: a chart carries a copy of what it shows (its cache),
        which constant-memory mode cannot read back from the written cells."""
        wanted = sorted({col for chart in self.sheet.charts for col in (chart.categories, *chart.values)})
        self.charted = {col: [] for col in wanted}
        for values in rows:
            for col in wanted:
                value = values[col] if col < len(values) else None
                value = value.value if isinstance(value, Cell) else value
                self.charted[col].append(_chart_value(value))
            yield values

    def _rows(self, row: int, rows: Iterable[Sequence[object]]) -> int:
        """The table's rows: plain text and numbers straight to xlsxwriter, everything else through :meth:`_value`."""
        sheet, ws, formats, widths = self.sheet, self.ws, self.formats, self.widths
        columns = self.columns
        border = sheet.borders
        count = len(columns)
        text_formats = [formats.get(c.style, _TEXT, border=border) for c in columns]
        number_formats = [formats.get(c.style, _NUMBER, border=border) for c in columns]
        blank_formats = [formats.get(c.style, None, border=border) for c in columns]
        write_string, write_number, write_blank = ws.write_string, ws.write_number, ws.write_blank
        needs_care = _NEEDS_CARE.match
        for values in rows:
            if row >= MAX_ROWS:
                raise CannotCreateError(f"sheet {sheet.name!r} has more rows than Excel allows ({MAX_ROWS})")
            if len(values) > count:
                raise ValueError(f"a row of sheet {sheet.name!r} has {len(values)} values for {count} columns")
            col = 0
            for value in values:
                if isinstance(value, str) and value and needs_care(value) is None:
                    write_string(row, col, value, text_formats[col])
                    width = len(value) if "\n" not in value else _text_width(value)
                elif (isinstance(value, int) and value is not True and value is not False
                      and -_MAX_EXACT_INT <= value <= _MAX_EXACT_INT):
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
        """Write one value of any kind; return its width in characters."""
        ws, formats = self.ws, self.formats
        if value is None or value == "":
            ws.write_blank(row, col, None, formats.get(style, None, border=border))
            return 0
        if isinstance(value, str):
            written = _cell_text(value)
            quote = is_formula_like(written)
            ws.write_string(row, col, written, formats.get(style, _TEXT, border=border, quote=quote))
            return _text_width(value)
        if isinstance(value, bool):
            if not yes_no:
                raise TypeError(f"sheet {self.sheet.name!r}: a bool is written only in a yes_no column")
            text = YES if value else NO
            ws.write_string(row, col, text, formats.get(style, _TEXT, border=border))
            return len(text)
        if isinstance(value, numbers.Integral):
            number = int(value)
            if abs(number) > _MAX_EXACT_INT:
                raise ValueError(f"{number} is too large for a spreadsheet number; pass it as str")
            ws.write_number(row, col, number, formats.get(style, _NUMBER, border=border))
            return len(str(number))
        if isinstance(value, numbers.Real):
            real = float(value)
            if not math.isfinite(real):
                raise ValueError(f"{real} cannot be written as a number")
            ws.write_number(row, col, real, formats.get(style, _NUMBER, border=border))
            return min(len(repr(real)), 12)
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                raise ValueError("a spreadsheet has no time zones; pass a naive local time")
            kind = _DATETIME
        elif isinstance(value, dt.date):
            kind = _DATE
        elif isinstance(value, dt.time):
            kind = _TIME
        else:
            raise TypeError(f"cannot write a {type(value).__name__}; pass it as str")
        ws.write_datetime(row, col, value, formats.get(style, kind, border=border))
        return _KIND_WIDTHS[kind]

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
            self._chart(chart, number, header_row, first_data_row, last_row)

    def _chart(self, spec: Chart, number: int, header_row: int, first_data_row: int, last_row: int) -> None:
        """A native chart over the table's cells: xlsxwriter writes the ranges, Excel draws from them."""
        last = last_row - spec.skip_last
        if self.workbook is None or not self.wrote_rows or last < first_data_row:
            return      # no rows, no chart: an empty chart says nothing
        for col in (spec.categories, *spec.values):
            if not 0 <= col < len(self.columns):
                raise ValueError(f"chart {spec.title!r}: no column {col} in sheet {self.sheet.name!r}")
        name = self.sheet.name
        options: dict[str, object] = {"type": spec.kind}
        if spec.stacked and spec.kind in ("column", "bar"):
            options["subtype"] = "stacked"
        chart = self.workbook.add_chart(options)
        for col in spec.values:
            count = last - first_data_row + 1
            series: dict[str, object] = {
                "categories": [name, first_data_row, spec.categories, last, spec.categories],
                "values": [name, first_data_row, col, last, col],
                # xlsxwriter's own (undocumented) way to give the cache when it cannot read the cells back.
                "categories_data": self.charted[spec.categories][:count],
                "values_data": self.charted[col][:count],
            }
            if self.sheet.header:
                series["name"] = [name, header_row, col]
            if spec.kind == "pie":
                series["data_labels"] = {"percentage": True}
            chart.add_series(series)
        chart.set_title({"name": spec.title, "name_font": {"size": 12}})
        if spec.kind != "pie":
            value_axis: dict[str, object] = {"name": spec.y_title} if spec.y_title else {}
            if spec.percent:
                value_axis.update(num_format="0%", max=1, min=0)
            category_axis: dict[str, object] = {"name": spec.x_title} if spec.x_title else {}
            x_axis, y_axis = category_axis, value_axis
            if spec.kind == "bar":   # horizontal: the values run along x, the categories down y, the first on top
                x_axis, y_axis = value_axis, {**category_axis, "reverse": True}
            chart.set_x_axis(x_axis)
            chart.set_y_axis(y_axis)
        chart.set_legend({"position": "bottom"} if len(spec.values) > 1 or spec.kind == "pie" else {"none": True})
        chart.set_size({"width": 640, "height": 320})
        if spec.anchor is not None:
            row, col = _cell_position(spec.anchor)
        else:
            row, col = header_row + 17 * number, len(self.columns) + 1
        self.ws.insert_chart(row, col, chart)


def _chart_value(value: object) -> object:
    """A value as a chart's cache holds it: numbers as they are, anything else as the text the cell shows."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return "" if value is None else visible_text(str(value))


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
