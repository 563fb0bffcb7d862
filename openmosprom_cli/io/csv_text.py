"""The one CSV policy of every table the tool reads.

* **Encoding.** UTF-8 with or without a BOM, and UTF-16 with a BOM. Anything
  else is refused with the hint ``--encoding cp1251`` (what Excel on Russian
  Windows saves), never decoded with replacement characters: a silently
  garbled name or ID is worse than a clear stop. ``--encoding`` takes any text
  encoding Python knows; an unknown name, or a codec that is not a text
  encoding (base64, rot13, zlib…), is refused as a usage error (exit 2) that
  names the usual ones.
* **Separator.** ``,``, ``;`` or a tab: whichever the first line having any
  of them (outside quotes) has most of. Title lines above the header usually
  have none, so they are passed over.
* **Caps.** The file's size (``[limits] max_uncompressed_mb``), its rows, and
  its columns: a value beyond the last column read is an error, as in a
  workbook, so a wide file never loses its scores silently.
* **Not CSV at all.** A zip (``.xlsx``), an old ``.xls`` or an empty file is
  named for what it is.
* **Formula guard.** A cell written by our own CSV writer as ``'=…`` (the
  guard against formulas) reads back as ``=…``: :func:`~openmosprom_cli.io.writer.csv_unguard`,
  beside the guard itself.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import operator
import re
from collections.abc import Iterator
from pathlib import Path

from openmosprom_cli.errors import EX_USAGE, BadDataError, Location, MissingInputError, OpenMospromError
from openmosprom_cli.i18n import Msg, _
from openmosprom_cli.io.values import ValueProblem, is_blank
from openmosprom_cli.settings import Limits

HEADER_SEARCH_ROWS = 30
SEPARATORS = (",", ";", "\t")
_QUOTED = re.compile(r'"[^"]*"')
KNOWN_ENCODINGS = "utf-8, utf-8-sig, utf-16, cp1251, koi8-r"


def encoding_hint() -> str:
    return _("A CSV saved by Excel is usually in cp1251: add --encoding cp1251.")


class UnknownEncodingError(OpenMospromError):
    """``--encoding`` names no text encoding: a usage error (exit 2), wherever the option reached."""

    exit_code = EX_USAGE


def text_encoding(name: str) -> str:
    """The codec name for ``--encoding``; raises :class:`ValueProblem` for an unknown or non-text one."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        if info is None:
            raise ValueProblem(Msg("{name} is not a known encoding; use one of {known}", name=repr(name),
                                   known=KNOWN_ENCODINGS))
        raise ValueProblem(Msg("{name} is not a text encoding; use one of {known}", name=repr(name),
                               known=KNOWN_ENCODINGS))
    return info.name


def read_csv_rows(path: Path, limits: Limits, encoding: str | None = None) -> list[tuple[int, list[str]]]:
    """Every record of a CSV file as ``(row number, cells)``; a record is one row even if a quoted cell spans lines."""
    text, separator = read_csv_text(path, limits, encoding)
    return csv_rows(text, separator, limits, path.name)


def read_csv_text(path: Path, limits: Limits, encoding: str | None = None) -> tuple[str, str]:
    """The text of a CSV file and its separator, once the file as a whole passed the checks (size, not CSV at
    all, encoding)."""
    file = path.name
    try:
        size = path.stat().st_size
        if size > limits.max_uncompressed_mb * 1024 * 1024:
            raise BadDataError.at(Location(file), Msg("is larger than {limit} MB",
                                                      limit=limits.max_uncompressed_mb),
                                  hint=_("Raise [limits] max_uncompressed_mb in season.toml if the file is genuine."))
        data = path.read_bytes()
    except OSError as exc:
        raise MissingInputError(_("cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc)
                                ) from None
    if not data or data.isspace():
        raise BadDataError.at(Location(file), Msg("is empty"))
    if data.startswith(b"PK\x03\x04"):
        raise BadDataError.at(Location(file), Msg("is an .xlsx workbook (a zip file), not CSV text; "
                                                  "rename it to .xlsx"))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadDataError.at(Location(file), Msg("is an old Excel .xls workbook, not CSV text; "
                                                  "save it as .xlsx or .csv"))
    text = decode(data, encoding, file)
    del data
    return text, detect_separator(text)


def csv_rows(text: str, separator: str, limits: Limits, file: str) -> list[tuple[int, list[str]]]:
    """The records of a CSV text as ``(row number, cells)``, within the caps on rows and columns, unguarded."""
    records = split_csv(text, separator, file)
    check_row_count(len(records), limits.max_rows, file)
    _check_width(records, limits.max_columns, file)
    if not may_hold_guarded_cells(text):
        return list(zip(itertools.count(1), records))
    from openmosprom_cli.io.writer import csv_unguard  # the writer only when a cell may be guarded

    rows = []
    for number, cells in enumerate(records, start=1):
        if any(cell[:1] == "'" for cell in cells):
            cells = [csv_unguard(cell) for cell in cells]
        rows.append((number, cells))
    return rows


# What can stand right before a cell's first character: a separator, a line's end, a quote opening the cell.
_CELL_STARTS = (*SEPARATORS, "\n", "\r", '"')


def may_hold_guarded_cells(text: str) -> bool:
    """False when no cell of the text can begin with ``'`` (so none needs unguarding): one scan of the text
    for each character that may stand before a cell, instead of a look at every cell."""
    return "'" in text and (text.startswith("'") or any(start + "'" in text for start in _CELL_STARTS))


def decode(data: bytes, encoding: str | None, file: str) -> str:
    if encoding is None and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    if encoding is None:
        # UTF-16 without its mark may even decode as UTF-8 (Cyrillic becomes control characters), never usefully.
        if _looks_like_utf16(data):
            raise BadDataError.at(Location(file), Msg("looks like UTF-16 text without a byte-order mark"),
                                  hint=_("Save it again as CSV UTF-8, or add --encoding utf-16-le."))
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            row = data.count(b"\n", 0, exc.start) + 1
            raise BadDataError.at(Location(file, row=row),
                                  Msg("is not UTF-8 text (byte {byte})", byte=f"0x{data[exc.start]:02X}"),
                                  hint=encoding_hint()) from None
    try:
        codec = text_encoding(encoding)
    except ValueProblem as exc:
        raise UnknownEncodingError(f"--encoding {exc.message}") from None  # not a message
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        raise BadDataError.at(Location(file, row=row),
                              Msg("is not {encoding} text (byte {byte})", encoding=encoding,
                                  byte=f"0x{data[exc.start]:02X}")) from None
    return text.removeprefix("\ufeff")


def _looks_like_utf16(data: bytes) -> bool:
    """Latin and Cyrillic text in UTF-16 has 0x00 or 0x04 in the high byte of nearly every character.

    Such a file may even decode as UTF-8 (as control characters), never usefully.
    """
    sample = data[:4096]
    if b"\x00" not in sample or len(sample) < 8:
        return False
    units = len(sample) // 2
    return any(high[:units].count(0) + high[:units].count(4) >= 0.9 * units
               for high in (sample[1::2], sample[0::2]))  # little-endian, then big-endian


def detect_separator(text: str) -> str:
    for line in _first_lines(text, HEADER_SEARCH_ROWS + 1):
        bare = _QUOTED.sub("", line)
        counts = [bare.count(s) for s in SEPARATORS]
        if any(counts):
            return SEPARATORS[counts.index(max(counts))]
    return ","


def check_row_count(count: int, max_rows: int, file: str) -> None:
    if count > max_rows:
        raise BadDataError.at(Location(file), Msg("has more than {limit} rows", limit=max_rows),
                              hint=_("Raise [limits] max_rows in season.toml if the file is genuine."))


def _first_lines(text: str, count: int) -> Iterator[str]:
    """The first ``count`` lines of the text, as iterating over ``io.StringIO(text)`` gives them, without
    copying the whole text first."""
    start = 0
    for _line in range(count):
        if start >= len(text):
            return
        end = text.find("\n", start) + 1 or len(text)
        yield text[start:end]
        start = end


def split_csv(text: str, separator: str, file: str) -> list[list[str]]:
    """CSV records as lists of cells: by the csv module, or by plain splitting when that gives the same.

    Without any quote character and with every ``\\r`` part of a ``\\r\\n``,
    a CSV record is one line and a cell is whatever lies between separators,
    which ``str.split`` finds several times faster than the csv module.
    """
    lines = plain_lines(text)
    if lines is not None:
        records = list(map(str.split, lines, itertools.repeat(separator)))
        if "" in lines:  # a blank line is a record without cells, not one empty cell
            for i in itertools.compress(itertools.count(), map(operator.not_, lines)):
                records[i] = []
        return records
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        return list(reader)
    except csv.Error as exc:
        raise BadDataError.at(Location(file, row=reader.line_num), Msg("is not valid CSV: {reason}", reason=str(exc))
                              ) from None


def is_plain(text: str) -> bool:
    """Whether a record of the CSV text is one line and a cell whatever lies between separators: without any
    quote character and with every ``\\r`` part of a ``\\r\\n``."""
    return '"' not in text and text.count("\r") == text.count("\r\n")


def plain_lines(text: str) -> list[str] | None:
    """The records of a CSV text as lines when it :func:`is_plain`; None when the csv module must read it."""
    if not is_plain(text):
        return None
    lines = text.replace("\r\n", "\n").split("\n") if "\r" in text else text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def plain_line_count(text: str) -> int:
    """``len(plain_lines(text))``, without making the lines."""
    return text.count("\n") + (not text.endswith("\n"))


def first_plain_lines(text: str, count: int) -> list[tuple[str, int]]:
    """The first ``count`` of :func:`plain_lines` with the length each takes in the text, line end included."""
    found = []
    for line in _first_lines(text, count):
        end = -2 if line.endswith("\r\n") else -1 if line.endswith("\n") else None
        found.append((line[:end], len(line)))
    return found


# The text is split a chunk of lines at a time: big enough that joining and splitting run at C speed,
# small enough that its lines and cells cost little memory before each column keeps one copy of each
# repeated value.
_CHUNK_CHARACTERS = 1 << 20


def uniform_columns(text: str, start: int, separator: str, max_columns: int) -> list[list[str]] | None:
    """The cells of the plain text's lines from ``start`` on, column by column, when every line has the same
    number of cells (at most ``max_columns``) and none is blank; None otherwise (then :func:`csv_rows` reads
    them). The caller has made sure the text :func:`is_plain` and no cell needs unguarding
    (:func:`may_hold_guarded_cells`).

    A column whose first lines repeat values a lot (choices, dates, names) keeps one string of each value.
    """
    columns: list[list[str]] = []
    shared: list[dict[str, str] | None] = []
    separators = -1
    while start < len(text):
        end = text.find("\n", start + _CHUNK_CHARACTERS) + 1 or len(text)
        chunk = text[start:end]
        start = end
        lines = (chunk.replace("\r\n", "\n") if "\r" in chunk else chunk).split("\n")
        if lines[-1] == "":
            lines.pop()
        if "" in lines:
            return None
        if separators < 0:
            separators = lines[0].count(separator)
            if separators >= max_columns:
                return None
            columns = [[] for _ in range(separators + 1)]
        if not all(map(separators.__eq__, map(str.count, lines, itertools.repeat(separator)))):
            return None
        cells = separator.join(lines).split(separator)
        del lines
        width = len(columns)
        for j, column in enumerate(columns):
            part = cells[j::width]
            if len(shared) == j:  # decided on the first chunk
                shared.append({} if len(set(part)) * 2 < len(part) else None)
            seen = shared[j]
            column.extend(part if seen is None else map(seen.setdefault, part, part))
    return columns or None


def _check_width(records: list[list[str]], max_columns: int, file: str) -> None:
    """Cells beyond the last column read may only be empty (a spreadsheet's trailing separators)."""
    if not records or max(map(len, records)) <= max_columns:
        return
    for number, cells in enumerate(records, start=1):
        if len(cells) > max_columns and not all(map(is_blank, cells[max_columns:])):
            column = max_columns + next(i for i, v in enumerate(cells[max_columns:], 1) if not is_blank(v))
            raise BadDataError.at(Location(file, row=number),
                                  Msg("has a value in column {column}; at most {limit} columns are read",
                                      column=column, limit=max_columns),
                                  hint=_("Remove the columns the import does not need, or raise [limits] max_columns "
                                         "in season.toml."))
    for i, cells in enumerate(records):
        if len(cells) > max_columns:
            records[i] = cells[:max_columns]
