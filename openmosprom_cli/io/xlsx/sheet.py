"""One sheet's XML: its rows streamed as plain values, its hidden columns and its merged areas.

Memory never depends on a sheet's declared dimension, only on the cells that
hold values, and those are capped by ``[limits] max_rows`` and ``max_columns``.
Each chunk is tokenised by the fast pattern for the shape spreadsheet programs
write; whenever that did not account for every cell tag in a chunk, the chunk
goes through a slower, attribute-order-agnostic path instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from openmosprom_cli.errors import BadDataError, Location, Problem
from openmosprom_cli.i18n import Msg, _
from openmosprom_cli.io.xlsx.cells import (
    CELL_TYPES,
    T_BOOL,
    T_ERROR,
    T_INLINE,
    T_ISO_DATE,
    T_NUMBER,
    T_SHARED,
    T_STR,
    T_UNKNOWN,
    CellProblem,
    iso_value,
    serial_to_value,
)
from openmosprom_cli.io.xlsx.tokens import (
    CELL_REF,
    COL_TAIL,
    PatternSet,
    attributes,
    cell_text,
    column_index,
    column_letters,
    cut_at_last,
    merge_refs,
)

if TYPE_CHECKING:
    from openmosprom_cli.io.xlsx.reader import WorkbookReader

# A sheet reports at most this many unreadable cells: past that, more say nothing new.
_MAX_CELL_PROBLEMS = 1000


def hidden_columns_in(chunks: Iterable[tuple[bytes, bytes]], max_columns: int) -> set[int]:
    """0-based indexes of the columns marked hidden in a sheet's ``<cols>``, from its checked chunks."""
    head = b""
    prefix = b""
    for prefix, chunk in chunks:
        head += chunk
        if re.search(b"<" + re.escape(prefix) + b"sheetData[\\s/>]", head[-len(chunk) - 64:]):
            break
    hidden: set[int] = set()
    col_tag = re.compile(b"<" + re.escape(prefix) + COL_TAIL)
    for match in col_tag.finditer(head):
        attrs = attributes(match.group(1))
        if attrs.get("hidden", "0").lower() not in ("1", "true"):
            continue
        try:
            first, last = int(attrs.get("min", "")), int(attrs.get("max", ""))
        except ValueError:
            continue
        # A hidden range past the columns we read at all (often 1…16384) needs no entries.
        for index in range(max(first, 1), min(last, max_columns) + 1):
            hidden.add(index - 1)
    return hidden


def merged_ranges_in(chunks: Iterable[tuple[bytes, bytes]]) -> tuple[str, ...]:
    """Merged areas such as ``"B7:C8"`` in a sheet, in file order, from its checked chunks."""
    found: list[str] = []
    tail = b""
    prefix = b""
    for prefix, chunk in chunks:
        text = tail + chunk
        marker = b"<" + prefix + b"mergeCell"
        cut = text.rfind(b"<")
        body, tail = (text[:cut], text[cut:]) if cut >= 0 else (text, b"")
        if marker in body:
            found.extend(merge_refs(body, prefix))
    if tail:
        found.extend(merge_refs(tail, prefix))
    return tuple(found)


class SheetRows:
    """The non-empty rows of one sheet part, with the problems of the cells that hold no usable value."""

    def __init__(self, reader: WorkbookReader, sheet: str, part: str | None, problems: list[Problem]):
        self.reader = reader
        self.sheet = sheet
        self.part = part
        self.problems = problems
        self.max_rows = reader.limits.max_rows
        self.max_columns = reader.limits.max_columns
        self.date_styles = reader._date_styles
        self.date1904 = reader._date1904
        self.column_cache: dict[str, int] = {}
        self.attr_cache: dict[bytes, tuple[int, str | None]] = {}
        self.inline_cache: dict[bytes, str] = {}
        self.date_cache: dict[tuple[float, str], object] = {}
        self.row_number = 0
        self.values: list[object] = []
        self.patterns: PatternSet | None = None
        self.prefix = b""
        self.merged: list[str] = []

    def rows(self) -> Iterator[tuple[int, tuple[object, ...]]]:
        if self.part is None:
            return
        yield from self._rows_of(self.reader._checked_chunks(self.part))
        if self.values:
            yield from self._flush()
        self.reader._merged.setdefault(self.sheet, tuple(self.merged))

    def _rows_of(self, chunks: Iterable[tuple[bytes, bytes]]) -> Iterator[tuple[int, tuple[object, ...]]]:
        """The rows in these chunks of the sheet's XML.

        The last row is left open, as the next chunk may go on with it.
        """
        buffer = b""
        for prefix, chunk in chunks:
            if self.patterns is None:
                self.patterns = PatternSet.get(prefix)
                self.prefix = prefix
            buffer += chunk
            cut = cut_at_last(buffer, self.patterns.row_end, self.patterns.cell_end)
            if cut < 0:
                continue
            yield from self._piece(buffer[:cut])
            buffer = buffer[cut:]
        if buffer:
            yield from self._piece(buffer)

    def _piece(self, piece: bytes) -> Iterator[tuple[int, tuple[object, ...]]]:
        # Merged areas are collected on the way, so that asking for them after the rows costs no second pass.
        if b"mergeCell" in piece:
            self.merged.extend(merge_refs(piece, self.prefix))
        yield from self._chunk(piece)

    def _flush(self) -> Iterator[tuple[int, tuple[object, ...]]]:
        values = self.values
        self.values = []
        while values and (values[-1] is None or values[-1] == ""):
            values.pop()
        if values:
            yield self.row_number, tuple(values)

    def _chunk(self, text: bytes) -> Iterator[tuple[int, tuple[object, ...]]]:
        patterns = self.patterns
        assert patterns is not None  # set by _rows_of before any chunk
        found = patterns.fast_cell.findall(text)
        # "<c" also starts <col…> and <cfRule…>, so the exact count is needed only when the quick one disagrees.
        if (len(found) != text.count(patterns.cell_open)
                and len(found) != sum(text.count(start) for start in patterns.cell_starts)):
            yield from self._general_chunk(text)
            return
        column_cache = self.column_cache
        attr_cache = self.attr_cache
        inline_cache = self.inline_cache
        strings = None
        max_columns, max_rows = self.max_columns, self.max_rows
        current = b""
        row_number = self.row_number
        # Any value at or right of this column is out of bounds: 0 on a row beyond max_rows.
        limit = max_columns if row_number <= max_rows else 0
        values = self.values
        value: object
        for letters, digits, attrs, raw_value, inline, body in found:
            if not (raw_value or inline or body):
                continue  # an empty styled cell: formatting only
            if digits != current:
                current = digits
                number = int(digits)
                if number != row_number:
                    if values:
                        yield from self._flush()
                    values = self.values = []
                    row_number = self.row_number = number
                    limit = max_columns if number <= max_rows else 0
            column = column_cache.get(letters)
            if column is None:
                column = column_cache[letters] = column_index(letters.decode())
            if inline:
                # Names, choices and the like repeat: each distinct text is decoded once.
                decoded = inline_cache.get(inline)
                if decoded is None:
                    if b"&" in inline or b"_x" in inline:
                        decoded = self._text(inline, column)
                    else:
                        try:
                            decoded = inline.decode()
                        except UnicodeDecodeError:
                            decoded = self._text(inline, column)
                    if decoded is None:
                        continue
                    if len(inline_cache) < 100_000:
                        inline_cache[inline] = decoded
                if column >= limit:
                    self._place(column, decoded)  # raises: far-away cell
                count = len(values)
                if column == count:
                    values.append(decoded)
                elif column > count:
                    values.extend([None] * (column - count))
                    values.append(decoded)
                else:
                    values[column] = decoded
                continue
            style = attr_cache.get(attrs)
            if style is None:
                style = self._cell_kind(attributes(attrs))
                if len(attr_cache) < 10_000:
                    attr_cache[attrs] = style
            cell_type = style[0]
            if cell_type == T_SHARED and raw_value.isdigit():
                if strings is None:
                    strings = self.reader._strings()
                index = int(raw_value)
                value = strings[index] if index < len(strings) else self._convert(style, raw_value, None, column)
            elif cell_type == T_NUMBER and style[1] is None and raw_value.isdigit() and len(raw_value) < 16:
                value = int(raw_value)  # a whole number below 1e15, exactly as the float path gives it
            elif cell_type == T_NUMBER and raw_value:
                try:
                    number_value = float(raw_value)
                except ValueError:
                    number_value = math.nan
                if not math.isfinite(number_value):
                    value = self._convert(style, raw_value, None, column)
                elif style[1] is not None:
                    value = self._date(number_value, style[1], column)
                elif number_value.is_integer() and abs(number_value) < 1e15:
                    value = int(number_value)
                else:
                    value = number_value
            else:
                value = self._convert(style, raw_value, body, column)
            if value is None:
                continue
            # The same placement as for inline strings above, kept inline: this loop runs once per cell.
            if column >= limit:
                self._place(column, value)  # raises: far-away cell
            count = len(values)
            if column == count:
                values.append(value)
            elif column > count:
                values.extend([None] * (column - count))
                values.append(value)
            else:
                values[column] = value

    def _date(self, serial: float, kind: str, column: int) -> object:
        key = (serial, kind)
        value = self.date_cache.get(key)
        if value is None:
            try:
                value = serial_to_value(serial, kind, self.date1904)
            except CellProblem as problem:
                self._problem(column, problem.message)
                return None
            if len(self.date_cache) < 100_000:
                self.date_cache[key] = value
        return value

    def _general_chunk(self, text: bytes) -> Iterator[tuple[int, tuple[object, ...]]]:
        """Any attribute order, quoting or missing references.

        Slower, so used only when the fast pattern missed a cell.
        """
        patterns = self.patterns
        assert patterns is not None  # set by _rows_of before any chunk
        column = -1
        for match in patterns.general.finditer(text):
            row_attrs, cell_attrs, body = match.groups()
            if row_attrs is not None and cell_attrs is None:
                reference = attributes(row_attrs).get("r")
                # A row without a number follows the one before it.
                number = int(reference) if reference and reference.isdigit() else self.row_number + 1
                if number != self.row_number and self.values:
                    yield from self._flush()
                self.row_number = number
                column = -1
                continue
            attrs = attributes(cell_attrs or b"")
            cell_ref = CELL_REF.match(attrs.get("r", ""))
            if cell_ref:
                column = column_index(cell_ref.group(1))
                number = int(cell_ref.group(2))
                if number != self.row_number:
                    if self.values:
                        yield from self._flush()
                    self.row_number = number
            else:
                column += 1
            if body:
                self._place(column, self._convert(self._cell_kind(attrs), None, body, column))

    def _cell_kind(self, attrs: dict[str, str]) -> tuple[int, str | None]:
        cell_type = CELL_TYPES.get(attrs.get("t", "n"), T_UNKNOWN)
        style = attrs.get("s", "0")
        kind = self.date_styles.get(int(style)) if style.isdigit() and len(style) < 7 else None
        return cell_type, kind

    def _place(self, column: int, value: object) -> None:
        if value is None:
            return
        if self.row_number > self.max_rows:
            raise self._fatal(column, Msg("holds a value beyond row {limit}, the most this tool reads",
                                          limit=self.max_rows),
                              _("raise [limits] max_rows in season.toml if the file is genuine"))
        if column >= self.max_columns:
            raise self._fatal(column, Msg("holds a value beyond column {last}, the last of the {limit} columns "
                                          "this tool reads", last=column_letters(self.max_columns - 1),
                                          limit=self.max_columns),
                              _("delete the far-away cell, or raise [limits] max_columns in season.toml"))
        values = self.values
        if column == len(values):
            values.append(value)
        elif column > len(values):
            values.extend([None] * (column - len(values)))
            values.append(value)
        else:
            values[column] = value

    def _location(self, column: int) -> Location:
        return Location(self.reader._file, self.sheet, self.row_number,
                        Msg("column {letters}", letters=column_letters(column)))

    def _fatal(self, column: int, message: str, hint: str) -> BadDataError:
        return BadDataError.at(self._location(column), message, hint=hint)

    def _problem(self, column: int, message: str) -> None:
        if len(self.problems) < _MAX_CELL_PROBLEMS:
            self.problems.append(Problem(self._location(column), message))

    def _text(self, raw: bytes, column: int) -> str | None:
        try:
            return cell_text(raw)
        except CellProblem as problem:
            self._problem(column, problem.message)
            return None

    def _convert(self, style: tuple[int, str | None], raw_value: bytes | None, body: bytes | None,
                 column: int) -> object:
        """The value of one cell from its type, style and either its <v> text or its whole body."""
        cell_type, date_kind = style
        patterns = self.patterns
        assert patterns is not None  # set by _rows_of before any chunk
        formula = None
        has_value = raw_value is not None and (raw_value != b"" or cell_type == T_STR)
        if body:
            if cell_type == T_INLINE:
                inline = patterns.inline.search(body)
                if inline is not None:
                    try:
                        return patterns.rich_text(inline.group(2) or b"")
                    except CellProblem as problem:
                        self._problem(column, problem.message)
                        return None
            formula_match = patterns.formula.search(body)
            if formula_match is not None:
                formula = formula_match.group(2) or b""
            value_match = patterns.value.search(body)
            if value_match is not None:
                raw_value = value_match.group(2) or b""
                has_value = raw_value != b"" or cell_type == T_STR
            elif formula is None:
                return None
        if not has_value:
            if formula is not None:
                shown = self._text(formula, column) if formula else ""
                if shown:
                    self._problem(column, Msg("formula {formula} has no saved result; open the file in Excel or "
                                              "LibreOffice, let it calculate, and save it again", formula=f"={shown}"))
                else:
                    self._problem(column, Msg("a formula has no saved result; open the file in Excel or LibreOffice, "
                                              "let it calculate, and save it again"))
            return None
        assert raw_value is not None  # has_value
        try:
            if cell_type == T_NUMBER:
                try:
                    number = float(raw_value)
                except ValueError:
                    shown = raw_value[:40].decode("utf-8", "replace")
                    raise CellProblem(Msg("holds {value}, which is not a number", value=repr(shown))) from None
                if not math.isfinite(number):
                    raise CellProblem(Msg("holds a number that is not finite"))
                if date_kind is not None:
                    return self._date(number, date_kind, column)
                return int(number) if number.is_integer() and abs(number) < 1e15 else number
            if cell_type == T_SHARED:
                strings = self.reader._strings()
                index = int(raw_value) if raw_value.strip().isdigit() else -1
                if not 0 <= index < len(strings):
                    raise CellProblem(Msg("refers to a shared string that does not exist (the file is damaged)"))
                return strings[index]
            if cell_type in (T_STR, T_INLINE):
                return cell_text(raw_value)
            if cell_type == T_BOOL:
                flag = raw_value.strip()
                if flag in (b"1", b"true"):
                    return True
                if flag in (b"0", b"false"):
                    return False
                raise CellProblem(Msg("holds a true/false value that is neither 1 nor 0"))
            if cell_type == T_ERROR:
                raise CellProblem(Msg("holds the error {error}; fix the cell or its formula in Excel",
                                      error=cell_text(raw_value)))
            if cell_type == T_ISO_DATE:
                return iso_value(cell_text(raw_value))
            raise CellProblem(Msg("has a cell type this reader does not know"))
        except CellProblem as problem:
            self._problem(column, problem.message)
            return None

