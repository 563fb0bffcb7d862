"""A large sheet's table rows as XML, a batch at a time and column by column.

In constant-memory mode xlsxwriter writes each cell through several Python
calls (about 6 µs a cell); a 200,000-person participants list has 2.6 million.
Here a batch of rows is turned into ``<row>`` elements column by column: the
values of one kind in a column (plain text, whole numbers, dates, times,
blanks) become their ``<c>`` elements through C-level maps over one template,
about ten times faster. Every value that is not plainly one of those (text
that needs an escape, a float, a datetime, a yes/no) is resolved one by one,
exactly as the cell-by-cell path resolves it, so both paths give the same
cells.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import string
from collections.abc import Callable, Iterable, Sequence
from operator import is_, itemgetter

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell_fast

# Value kinds: how a cell is written and which number format it gets by default.
TEXT, NUMBER, DATE, DATETIME, TIME = "text", "number", "date", "datetime", "time"
KIND_WIDTHS = {DATE: 10, DATETIME: 16, TIME: 5}
# Beyond 2**53 a float no longer holds every integer: such an ID must be written as text.
MAX_EXACT_INT = 2 ** 53

# (kind or None for a blank, what to write, its xlsxwriter format, its width in characters)
Resolved = tuple[str | None, object, object, int]
Resolve = Callable[[object, int], Resolved]          # (value, column) → how to write it
Formats = Callable[[int, str | None, bool], object]  # (column, kind, quote prefix) → its format

# Text written as it is: no XML-special character, no "_" (so no _xHHHH_), no control character but a
# line break or tab inside, no space at either end, at most 16,383 characters. Group 1 is a leading
# character a spreadsheet reads as a formula: such text is the same, with the quote-prefix format.
_PLAIN_TEXT = re.compile(
    "(?:([=+\\-@])|[^\\s=+\\-@<>&_\x00-\x1f\ud800-\udfff\ufffe\uffff])"
    "[^<>&_\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]{0,16382}(?<!\\s)", re.S)
# As xlsxwriter writes a string: a literal ``_xHHHH_`` is escaped, control characters become ``_xHHHH_``.
_LITERAL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("([\x00-\x08\x0b-\x1f])")
_XML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_EXCEL_EPOCH_DAY = _EXCEL_EPOCH.date()


def style_attribute(cell_format: object) -> str:
    return f' s="{cell_format._get_xf_index()}"' if cell_format is not None else ""  # type: ignore[attr-defined]


def rows_xml(batch: Sequence[Sequence[object]], first_row: int, count: int, formats: Formats, resolve: Resolve,
             widths: list[int]) -> str:
    """The ``<row>`` elements of ``batch`` (rows of at most ``count`` values), the first at ``first_row``.

    ``widths`` grows to the widest value of each column. The batch's rows share one template, made of each
    column's cell template (or a slot for its cells made one by one), filled in for all rows at once.
    """
    numbers = range(first_row + 1, first_row + 1 + len(batch))
    if any(len(values) != count for values in batch):
        batch = [tuple(values) + (None,) * (count - len(values)) for values in batch]
    template: list[str] = ['<row r="{0}">']
    args: list[Sequence[object]] = [numbers]
    for col in range(count):
        cell, column_args = _column_cells(col, list(map(itemgetter(col), batch)), numbers, formats, resolve, widths)
        if column_args is not None:
            args.append(column_args)
            cell = cell.replace(_VALUE, f"{{{len(args) - 1}")
        template.append(cell)
    return _filled("".join(template) + "</row>", args, len(batch))


_FORMATTER = string.Formatter()


def _filled(template: str, args: Sequence[Sequence[object]], rows: int) -> str:
    """``"".join(map(template.format, *args))`` for ``rows`` rows (each of ``args`` has a value for each), at a
    third of the cost: ``format`` parses the template again for every row, and formats the row number again for
    every cell. Here the template is parsed once, each field's values are formatted once, and the pieces are
    joined row by row. The fields are those of the row templates: numbered, with a format spec at most."""
    pieces: list[Iterable[str]] = []
    formatted: dict[tuple[str, str], list[str]] = {}
    for literal, field, spec, conversion in _FORMATTER.parse(template):
        if literal:
            pieces.append(itertools.repeat(literal, rows))
        if field is not None:
            if conversion is not None or not field.isdigit() or "{" in (spec or ""):
                raise ValueError(f"not a field of a row template: {field!r}")
            spec = spec or ""
            if (field, spec) not in formatted:
                formatted[field, spec] = list(map(format, args[int(field)][:rows], itertools.repeat(spec)))
            pieces.append(formatted[field, spec])
    return "".join(itertools.chain.from_iterable(zip(*pieces, strict=True)))


# Where a cell template takes its value: its placeholder's start, field name V (the row number is field 0).
_VALUE = "{V"
# A column whose cells were made one by one: its template is the cell itself.
_ONE_BY_ONE = "{V}"


def _column_cells(col: int, values: list, numbers: Sequence[int], formats: Formats, resolve: Resolve,
                  widths: list[int]) -> tuple[str, list | None]:
    """One column's cells as a template and the values it takes (None if it takes none): a template with the
    row number as field 0 where all values are written alike, else each cell made by its group."""
    kinds = set(map(type, values))
    if len(kinds) == 1:
        kind = kinds.pop()
        group = kind if kind is not str else _text_group(values) if all(values) else None
        if group is not None:
            return _template(col, group, values, numbers, formats, resolve, widths)
    keys = _keys(values)
    groups = list(dict.fromkeys(keys))  # in order of first appearance: formats are made, and numbered, in this order
    if len(groups) == 1:
        return _template(col, groups.pop(), values, numbers, formats, resolve, widths)
    made = {}
    for group in groups:
        mask = list(map(is_, keys, itertools.repeat(group)))
        made[group] = iter(_cells(col, group, list(itertools.compress(values, mask)),
                                  list(itertools.compress(numbers, mask)), formats, resolve, widths))
    # Each group's cells in row order: the next of the row's group, row by row.
    return _ONE_BY_ONE, list(map(next, map(made.__getitem__, keys)))


_PLAIN, _QUOTED, _ANY_TEXT = "plain", "quoted", "text needing care"


def _keys(values: list) -> list:
    """:func:`_key` of each value; texts that need no care are told so by a few scans of all of them."""
    kinds = list(map(type, values))
    if str not in set(kinds):
        return kinds
    texts = [value for value in values if type(value) is str and value]
    group = _text_group(texts) if texts else _PLAIN
    if group is None:
        return list(map(_key, values))
    none, formula = type(None), _FORMULA_FIRSTS
    return [kind if kind is not str else none if not value else group if group is not _ANY_TEXT
            else _QUOTED if value[0] in formula else _PLAIN for kind, value in zip(kinds, values, strict=True)]


# What no text written as it is holds anywhere (see _PLAIN_TEXT), but for "_": a text with "_" but without a
# literal ``_xHHHH_`` is written as it is too. A line break (which no escape holds) joins the texts for one scan.
_NOT_PLAIN_INSIDE = re.compile("[<>&\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORMULA_FIRSTS = frozenset("=+-@")


def _text_group(texts: list[str]) -> object:
    """How these non-empty texts are written, if each goes as it is (``_PLAIN_TEXT``, or such a text with a ``_``
    that starts no escape: :func:`cell_xml` leaves it as it is): all ``_PLAIN``, all ``_QUOTED``, or ``_ANY_TEXT``
    for some of each (told apart by their first character). None if any needs care."""
    joined = "\n".join(texts)
    if (max(map(len, texts)) > 16_383 or _NOT_PLAIN_INSIDE.search(joined) is not None
            or ("_x" in joined and _LITERAL_ESCAPE.search(joined) is not None)):
        return None
    firsts, lasts = set(map(itemgetter(0), texts)), set(map(itemgetter(-1), texts))
    if any(c.isspace() for c in firsts | lasts):
        return None
    quoted = firsts & _FORMULA_FIRSTS
    return _PLAIN if not quoted else _QUOTED if quoted == firsts else _ANY_TEXT


def _key(value: object) -> object:
    """How a value is written: its type, or for text whether it goes as it is, quoted, or needs care."""
    if not isinstance(value, str) or type(value) is not str:
        return type(value)
    if not value:
        return type(None)
    plain = _PLAIN_TEXT.fullmatch(value)
    return _ANY_TEXT if plain is None else _QUOTED if plain[1] else _PLAIN


def _cells(col: int, group: object, values: list, numbers: Sequence[int], formats: Formats, resolve: Resolve,
           widths: list[int]) -> list[str]:
    """The cells of ``values``, all of one ``group`` (see :func:`_key`), in rows ``numbers`` (1-based)."""
    template, args = _template(col, group, values, numbers, formats, resolve, widths)
    if template is _ONE_BY_ONE:
        assert args is not None
        return args
    if args is None:
        return list(map(template.format, numbers)) if template else [""] * len(values)
    return list(map(template.replace(_VALUE, "{1").format, numbers, args))


def _template(col: int, group: object, values: list, numbers: Sequence[int], formats: Formats, resolve: Resolve,
              widths: list[int]) -> tuple[str, list | None]:
    """How the cells of ``values``, all of one ``group``, are written: a template (the row number is field 0,
    the value field ``V``) and the values it takes, or None where it takes none."""
    letter = xl_col_to_name(col)
    if group is _PLAIN or group is _QUOTED:
        style = style_attribute(formats(col, TEXT, group is _QUOTED))
        _widen(widths, col, max(map(_text_width, values)) if "\n" in "\r".join(values) else max(map(len, values)))
        return f'<c r="{letter}{{0}}"{style} t="inlineStr"><is><t>{{V}}</t></is></c>', values
    if group is int and min(values) >= -MAX_EXACT_INT and max(values) <= MAX_EXACT_INT:
        style = style_attribute(formats(col, NUMBER, False))
        _widen(widths, col, max(len(str(min(values))), len(str(max(values)))))
        return f'<c r="{letter}{{0}}"{style}><v>{{V}}</v></c>', values
    if group is type(None):
        style = style_attribute(formats(col, None, False))
        return (f'<c r="{letter}{{0}}"{style}/>' if style else ""), None
    if group is dt.date:
        style = style_attribute(formats(col, DATE, False))
        _widen(widths, col, KIND_WIDTHS[DATE])
        return f'<c r="{letter}{{0}}"{style}><v>{{V}}</v></c>', [(value - _EXCEL_EPOCH_DAY).days for value in values]
    if group is dt.time:
        style = style_attribute(formats(col, TIME, False))
        _widen(widths, col, KIND_WIDTHS[TIME])
        return f'<c r="{letter}{{0}}"{style}><v>{{V:.16G}}</v></c>', list(map(_excel_serial, values))
    # One by one, as the cell-by-cell path decides.
    cells = []
    for value, number in zip(values, numbers, strict=True):
        written_kind, payload, cell_format, width = resolve(value, col)
        _widen(widths, col, width)
        cells.append(cell_xml(number - 1, col, written_kind, payload, cell_format))
    return _ONE_BY_ONE, cells


def _widen(widths: list[int], col: int, width: int) -> None:
    if width > widths[col]:
        widths[col] = width


def _text_width(text: str) -> int:
    return max(map(len, text.split("\n"))) if "\n" in text else len(text)


def cell_xml(row: int, col: int, kind: str | None, payload: object, cell_format: object) -> str:
    """One ``<c>`` element as xlsxwriter's constant-memory mode writes it; "" for a blank without a format."""
    style = style_attribute(cell_format)
    ref = xl_rowcol_to_cell_fast(row, col)
    if kind is None:
        return f'<c r="{ref}"{style}/>' if style else ""
    if kind == TEXT:
        text = str(payload)
        if text.startswith("<r>") and text.endswith("</r>"):   # already one escaped run (see writer_xlsx)
            return f'<c r="{ref}"{style} t="inlineStr"><is>{text}</is></c>'
        text = _CONTROL.sub(lambda m: f"_x{ord(m[1]):04X}_", _LITERAL_ESCAPE.sub(r"_x005F\1", text))
        preserve = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{preserve}>{text.translate(_XML)}</t></is></c>'
    if kind == NUMBER:
        return f'<c r="{ref}"{style}><v>{payload:.16G}</v></c>'
    return f'<c r="{ref}"{style}><v>{_excel_serial(payload):.16G}</v></c>'


def _excel_serial(value: object) -> float:
    if isinstance(value, dt.datetime):
        return (value - _EXCEL_EPOCH).total_seconds() / 86400
    if isinstance(value, dt.date):
        return float((value - _EXCEL_EPOCH_DAY).days)
    assert isinstance(value, dt.time)
    return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
