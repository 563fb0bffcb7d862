"""Reading untrusted ``.xlsx`` workbooks safely and row by row.

The rest of the tool sees a workbook only through :class:`WorkbookReader`:
sheet names with their visibility, and rows streamed as plain Python values
(str, int, float, bool, date, datetime, time or None) with their 1-based row
numbers.

Why a reader of our own: openpyxl's read-only mode is safe but about 20× slower
than this on a 100,000-row export, and python-calamine aborts the whole process
on a sheet that declares a huge size. The file is untrusted, so before any XML
is parsed the container is identified (CSV, old ``.xls``, encrypted, truncated
…) and checked against zip bombs; every XML part is refused if it carries a DTD
(billion laughs, external entities); memory never depends on a sheet's declared
dimension, only on cells that hold values, and those are capped.

Sheet and shared-string XML is tokenised with regular expressions over
decompressed chunks, which is what makes the reader fast. That is only sound
for the XML that spreadsheet programs write, so the tokeniser refuses what they
never write (comments, CDATA, processing instructions, DTDs, non-UTF-8
encodings) and falls back to a slower, attribute-order-agnostic path whenever
the fast pattern did not account for every cell tag in a chunk. A large sheet
is read by two processes, the second half by a forked copy (see
``_rows_in_two_processes``), with exactly one process's rows, problems and errors.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import os
import pickle
import posixpath
import re
import signal
import struct
import sys
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import NoReturn
from xml.parsers import expat

from openmosprom_cli.errors import BadDataError, Location, MissingInputError, Problem
from openmosprom_cli.settings import Limits


@dataclass(frozen=True)
class SheetInfo:
    name: str
    hidden: bool


_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM_NAMES = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_CHUNK = 1 << 20
_MAX_ZIP_MEMBERS = 10_000
# Below this a member's compression ratio says nothing: a few KB of repeated XML compresses 1000:1 legitimately.
_RATIO_CHECK_MIN_BYTES = 1 << 20
_MAX_SMALL_PART_BYTES = 64 << 20
_MAX_CELL_PROBLEMS = 1000

_NS_RELATIONSHIPS = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                     "http://purl.oclc.org/ooxml/officeDocument/relationships")
_XML_CONSTRUCTS_HINT = "save the file again from Excel or LibreOffice"


def open_workbook(path: Path, limits: Limits | None = None) -> WorkbookReader:
    path = Path(path)
    if not path.exists():
        raise MissingInputError(f"{path} does not exist")
    if not path.is_file():
        raise MissingInputError(f"{path} is not a file")
    return WorkbookReader(path, limits or Limits())


class WorkbookReader:
    """Open with :func:`open_workbook`; use as a context manager."""

    def __init__(self, path: Path, limits: Limits):
        self.path = Path(path)
        self.limits = limits
        self._file = self.path.name
        self._max_bytes = limits.max_uncompressed_mb * 1024 * 1024
        self._zip: zipfile.ZipFile | None = None
        self._shared_strings: list[str] | None = None
        self._hidden_columns: dict[str, set[int]] = {}
        self._merged: dict[str, tuple[str, ...]] = {}
        _identify_container(self.path, self._file, self._max_bytes)
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, struct.error):
            raise self._error("is a damaged or truncated .xlsx workbook (its zip archive is incomplete)") from None
        except NotImplementedError:
            raise self._error("uses zip features that spreadsheet programs do not write; save it again as .xlsx") from None
        try:
            self._check_zip_sizes()
            self._load_structure()
        except BaseException:
            self.close()
            raise

    # -- public interface -------------------------------------------------

    def __enter__(self) -> WorkbookReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def sheet_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sheets)

    def visible_sheet(self, sheet: str) -> SheetInfo:
        """The sheet named ``sheet``; a hidden one is refused so that it is never read silently."""
        info = self._sheet(sheet)
        if info.hidden:
            raise self._error(f"sheet {sheet!r} is hidden; unhide it or remove it")
        return info

    def hidden_columns(self, sheet: str) -> set[int]:
        """0-based indexes of columns marked hidden in the sheet's ``<cols>``."""
        part = self._sheet_part(sheet)
        if sheet not in self._hidden_columns:
            self._hidden_columns[sheet] = self._read_hidden_columns(part, sheet)
        return set(self._hidden_columns[sheet])

    def merged_ranges(self, sheet: str) -> tuple[str, ...]:
        """Merged areas such as ``"B7:C8"``, in file order."""
        part = self._sheet_part(sheet)
        if sheet not in self._merged:
            self._merged[sheet] = self._read_merged_ranges(part, sheet)
        return self._merged[sheet]

    def merged_in_data(self, sheet: str, first_data_row: int) -> tuple[str, ...]:
        """Merged areas reaching row ``first_data_row`` or below (pass the header row to include it)."""
        found = []
        for ref in self.merged_ranges(sheet):
            bounds = _range_bounds(ref)
            if bounds is not None and bounds[3] >= first_data_row:
                found.append(ref)
        return tuple(found)

    def merged_data_problems(self, sheet: str, first_data_row: int) -> list[Problem]:
        """One problem per merged area inside the data, ready for a ProblemCollector."""
        problems = []
        for ref in self.merged_in_data(sheet, first_data_row):
            first_row = max(_range_bounds(ref)[1], first_data_row)
            problems.append(Problem(Location(self._file, sheet, first_row),
                                    f"merged cells {ref} inside the data; unmerge them so every row has its own values"))
        return problems

    def rows(self, sheet: str, *, problems: list[Problem] | None = None) -> Iterator[tuple[int, tuple[object, ...]]]:
        """Non-empty rows as ``(row_number, values)``; values beyond the last filled cell are dropped.

        Cells that hold no usable value (an error such as ``#DIV/0!``, a formula
        without a saved result, an impossible date) read as None and become
        problems: appended to ``problems`` when given, otherwise raised together
        as one BadDataError after the last row.
        """
        part = self._sheet_part(sheet)
        collected: list[Problem] = [] if problems is None else problems
        yield from _SheetRows(self, sheet, part, collected).rows()
        if problems is None and collected:
            count = len(collected)
            summary = str(collected[0]) if count == 1 else f"{self._file} › {sheet}: {count} unreadable cells"
            raise BadDataError(summary, collected)

    # -- container --------------------------------------------------------

    def _error(self, message: str, *, sheet: str | None = None, hint: str | None = None) -> BadDataError:
        return BadDataError.at(Location(self._file, sheet), message, hint=hint)

    def _check_zip_sizes(self) -> None:
        infos = self._zip.infolist()
        if len(infos) > _MAX_ZIP_MEMBERS:
            raise self._error(f"holds {len(infos)} files inside its zip archive; rejected as a possible zip bomb")
        total = 0
        limit_mb = self.limits.max_uncompressed_mb
        for info in infos:
            total += info.file_size
            if info.file_size > self._max_bytes:
                raise self._error(f"{info.filename} inflates to {info.file_size // (1 << 20)} MB "
                                  f"(limit {limit_mb} MB); rejected as a possible zip bomb",
                                  hint="raise [limits] max_uncompressed_mb in season.toml if the file is genuine")
            if info.file_size >= _RATIO_CHECK_MIN_BYTES:
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > self.limits.max_compression_ratio:
                    raise self._error(f"{info.filename} compresses {ratio:.0f}:1 (limit {self.limits.max_compression_ratio}:1); "
                                      "rejected as a possible zip bomb",
                                      hint="raise [limits] max_compression_ratio in season.toml if the file is genuine")
        if total > self._max_bytes:
            raise self._error(f"inflates to {total // (1 << 20)} MB in all (limit {limit_mb} MB); rejected as a possible zip bomb",
                              hint="raise [limits] max_uncompressed_mb in season.toml if the file is genuine")

    def _member(self, name: str) -> zipfile.ZipInfo | None:
        try:
            return self._zip.getinfo(name)
        except KeyError:
            return None

    def _chunks(self, name: str) -> Iterator[bytes]:
        """A member's decompressed bytes, counted against the cap: declared sizes can lie."""
        inflated = 0
        try:
            with self._zip.open(name) as stream:
                while True:
                    chunk = stream.read(_CHUNK)
                    if not chunk:
                        return
                    inflated += len(chunk)
                    if inflated > self._max_bytes:
                        raise self._error(f"inflates beyond {self.limits.max_uncompressed_mb} MB while reading {name}; "
                                          "rejected as a possible zip bomb")
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, struct.error, ValueError):
            raise self._error(f"is damaged: {name} inside it cannot be decompressed "
                              "(a truncated file, or sizes that do not match the contents)") from None
        except RuntimeError:  # zipfile's "password required" for an encrypted member
            raise self._error("is password-protected; remove the password and save again") from None
        except NotImplementedError:
            raise self._error(f"compresses {name} with a method spreadsheet programs do not use") from None

    def _read_small_part(self, name: str) -> bytes:
        data = bytearray()
        for chunk in self._chunks(name):
            data += chunk
            if len(data) > _MAX_SMALL_PART_BYTES:
                raise self._error(f"{name} is larger than {_MAX_SMALL_PART_BYTES >> 20} MB; rejected")
        return bytes(data)

    def _parse_small_part(self, name: str, start: Callable[[str, dict], None]) -> None:
        _parse_xml(self._read_small_part(name), name, start, self._error)

    def _load_structure(self) -> None:
        names = set(self._zip.namelist())
        if "xl/workbook.bin" in names:
            raise self._error("is a binary .xlsb workbook, not an .xlsx workbook; save it as .xlsx")
        if "mimetype" in names and "content.xml" in names:
            raise self._error("is an OpenDocument spreadsheet (.ods), not an .xlsx workbook; save it as .xlsx")
        workbook_part = self._office_document_part(names)
        if "[Content_Types].xml" not in names or workbook_part is None:
            raise self._error("is a zip archive but not an .xlsx workbook (it has no xl/workbook.xml)")

        sheets: list[tuple[str, str, str]] = []
        self._date1904 = False

        def on_workbook(tag: str, attrs: dict) -> None:
            if tag == "sheet":
                rel_id = next((v for k, v in attrs.items() if k.rpartition(" ")[0] in _NS_RELATIONSHIPS and k.endswith(" id")), "")
                sheets.append((attrs.get("name", ""), attrs.get("state", "visible"), rel_id))
            elif tag == "workbookPr":
                self._date1904 = attrs.get("date1904", "0").strip().lower() in ("1", "true")

        self._parse_small_part(workbook_part, on_workbook)
        rels = self._relationships(workbook_part)
        self._sheet_parts: dict[str, str | None] = {}
        infos = []
        for name, state, rel_id in sheets:
            if not name or name in self._sheet_parts:
                raise self._error(f"{workbook_part} lists a sheet with an empty or repeated name")
            target, kind = rels.get(rel_id, (None, ""))
            # Chart and dialog sheets have no cells: they are listed but read as empty.
            self._sheet_parts[name] = target if kind.endswith("/worksheet") and target in names else None
            if kind.endswith("/worksheet") and target not in names:
                raise self._error(f"is damaged: sheet {name!r} points to a missing part {target}")
            infos.append(SheetInfo(name, state != "visible"))
        self.sheets = tuple(infos)
        by_kind = {kind.rpartition("/")[2]: target for target, kind in rels.values()}
        self._shared_strings_part = by_kind.get("sharedStrings")
        styles_part = by_kind.get("styles")
        self._date_styles = self._read_date_styles(styles_part) if styles_part in names else {}

    def _office_document_part(self, names: set[str]) -> str | None:
        if "_rels/.rels" in names:
            for target, kind in self._relationships("").values():
                if kind.endswith("/officeDocument") and target in names:
                    return target
        return "xl/workbook.xml" if "xl/workbook.xml" in names else None

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        folder, base = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", base + ".rels")
        if self._member(rels_name) is None:
            return {}
        found: dict[str, tuple[str, str]] = {}

        def on_rel(tag: str, attrs: dict) -> None:
            if tag == "Relationship" and attrs.get("TargetMode", "Internal") != "External":
                target = attrs.get("Target", "")
                if target.startswith("/"):
                    target = target[1:]
                else:
                    target = posixpath.normpath(posixpath.join(folder, target))
                found[attrs.get("Id", "")] = (target, attrs.get("Type", ""))

        self._parse_small_part(rels_name, on_rel)
        return found

    def _read_date_styles(self, part: str) -> dict[int, str]:
        """Style index → "date", "time" or "datetime" for the cell formats that display dates."""
        custom: dict[int, str] = {}
        xf_formats: list[int] = []
        depth = {"cellXfs": False}

        def on_style(tag: str, attrs: dict) -> None:
            if tag == "numFmt":
                try:
                    custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
                except ValueError:
                    pass
            elif tag == "cellXfs":
                depth["cellXfs"] = True
            elif tag == "cellStyleXfs":
                depth["cellXfs"] = False
            elif tag == "xf" and depth["cellXfs"]:
                try:
                    xf_formats.append(int(attrs.get("numFmtId", "0")))
                except ValueError:
                    xf_formats.append(0)

        self._parse_small_part(part, on_style)
        kinds = {}
        for index, fmt_id in enumerate(xf_formats):
            kind = _BUILTIN_DATE_FORMATS.get(fmt_id) if fmt_id not in custom else _format_kind(custom[fmt_id])
            if kind:
                kinds[index] = kind
        return kinds

    # -- sheets -----------------------------------------------------------

    def _sheet(self, sheet: str) -> SheetInfo:
        for info in self.sheets:
            if info.name == sheet:
                return info
        listed = ", ".join(repr(s.name) for s in self.sheets) or "none"
        raise self._error(f"has no sheet named {sheet!r} (sheets: {listed})")

    def _sheet_part(self, sheet: str) -> str | None:
        self._sheet(sheet)
        if self._zip is None:
            raise ValueError("the workbook is closed")
        return self._sheet_parts[sheet]

    def _strings(self) -> list[str]:
        if self._shared_strings is None:
            part = self._shared_strings_part
            self._shared_strings = [] if part is None or self._member(part) is None else _read_shared_strings(self, part)
        return self._shared_strings

    def _read_hidden_columns(self, part: str | None, sheet: str) -> set[int]:
        if part is None:
            return set()
        head = b""
        prefix = b""
        for prefix, chunk in _checked_xml_chunks(self, part):
            head += chunk
            if re.search(b"<" + re.escape(prefix) + b"sheetData[\\s/>]", head[-len(chunk) - 64:]):
                break
        hidden: set[int] = set()
        col_tag = re.compile(b"<" + re.escape(prefix) + _COL_TAIL)
        for match in col_tag.finditer(head):
            attrs = _attributes(match.group(1))
            if attrs.get("hidden", "0").lower() not in ("1", "true"):
                continue
            try:
                first, last = int(attrs.get("min", "")), int(attrs.get("max", ""))
            except ValueError:
                continue
            # A hidden range past the columns we read at all (often 1…16384) needs no entries.
            for index in range(max(first, 1), min(last, self.limits.max_columns) + 1):
                hidden.add(index - 1)
        return hidden

    def _read_merged_ranges(self, part: str | None, sheet: str) -> tuple[str, ...]:
        if part is None:
            return ()
        found: list[str] = []
        tail = b""
        for prefix, chunk in _checked_xml_chunks(self, part):
            text = tail + chunk
            marker = b"<" + prefix + b"mergeCell"
            cut = text.rfind(b"<")
            body, tail = (text[:cut], text[cut:]) if cut >= 0 else (text, b"")
            if marker in body:
                found.extend(_merge_refs(body, prefix))
        if tail:
            found.extend(_merge_refs(tail, prefix))
        return tuple(found)


# -- identifying what a file really is -------------------------------------

def _identify_container(path: Path, file: str, max_bytes: int) -> None:
    """Refuse anything that is not a zip archive, saying what it actually is."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise MissingInputError(f"{path} cannot be read ({exc.strerror})") from None
    location = Location(file)
    if not head:
        raise BadDataError.at(location, "is an empty file, not an .xlsx workbook")
    if head.startswith(_ZIP_SIGNATURES):
        return
    if head.startswith(_OLE2_SIGNATURE):
        if _ole2_is_encrypted(path, max_bytes):
            raise BadDataError.at(location, "is password-protected; remove the password and save again")
        raise BadDataError.at(location, "is an old Excel 97–2003 .xls workbook; save it as .xlsx")
    text = _as_text(head)
    if text is not None:
        stripped = text.lstrip("\ufeff \t\r\n").lower()
        if stripped.startswith(("<html", "<!doctype html", "<table")):
            raise BadDataError.at(location, "is a web page (HTML) saved with a spreadsheet name, not an .xlsx workbook; "
                                            "open it in Excel and save it as .xlsx")
        if stripped.startswith("<"):
            raise BadDataError.at(location, "is an XML text file, not an .xlsx workbook; save it as .xlsx")
        raise BadDataError.at(location, "is a text/CSV file, not an .xlsx workbook",
                              hint="give it a .csv name if it is a CSV export, or save it as .xlsx")
    raise BadDataError.at(location, "is not an .xlsx workbook (its contents are not a spreadsheet format this tool knows)")


def _as_text(head: bytes) -> str | None:
    if b"\x00" in head:
        return None
    for encoding in ("utf-8", "cp1251"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError as exc:
            if encoding == "utf-8" and exc.start >= len(head) - 3:  # a character cut at the 4 KB boundary
                text = head[:exc.start].decode(encoding)
            else:
                continue
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
        if printable >= 0.95 * max(len(text), 1):
            return text
    return None


def _ole2_is_encrypted(path: Path, max_bytes: int) -> bool:
    """An encrypted .xlsx is an OLE2 container holding EncryptionInfo and EncryptedPackage streams."""
    overlap = max(len(n) for n in _ENCRYPTED_STREAM_NAMES)
    tail = b""
    read = 0
    with open(path, "rb") as handle:
        while read < max_bytes:
            chunk = handle.read(_CHUNK)
            if not chunk:
                return False
            read += len(chunk)
            window = tail + chunk
            if any(name in window for name in _ENCRYPTED_STREAM_NAMES):
                return True
            tail = window[-overlap:]
    return False


# -- XML safety -------------------------------------------------------------

class _Refused(Exception):
    def __init__(self, message: str):
        self.message = message


def _refuse_dtd(*_args) -> None:
    raise _Refused("contains a DTD (<!DOCTYPE>), which spreadsheets never need; rejected for safety "
                   "(entity expansion or external entities)")


def _parse_xml(data: bytes, name: str, start: Callable[[str, dict], None],
               error: Callable[..., BadDataError]) -> None:
    """Parse a small part with expat, calling ``start(local_name, attrs)``; any DTD is refused."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    parser.StartElementHandler = lambda tag, attrs: start(tag.rpartition(" ")[2], attrs)
    try:
        parser.Parse(data, True)
    except _Refused as refused:
        raise error(f"{name} inside it {refused.message}") from None
    except expat.ExpatError as exc:
        raise error(f"is damaged: {name} inside it is not well-formed XML ({expat.ErrorString(exc.code)}, line {exc.lineno})") from None
    except (ValueError, LookupError, UnicodeError, RecursionError):  # e.g. an unknown declared encoding
        raise error(f"is damaged: {name} inside it cannot be parsed") from None


_PROLOG_DECL = re.compile(rb"<\?xml\s[^?]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*[\s/>]")


def _prolog_end(data: bytes, name: str, error: Callable[..., BadDataError]) -> tuple[int, bytes] | None:
    """Where the root element starts and its prefix; None if more bytes are needed.

    A DTD can only stand before the root element, so checking the prolog by hand
    is enough for parts that are tokenised rather than parsed.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise error(f"{name} inside it is UTF-16 encoded, which this reader does not support", hint=_XML_CONSTRUCTS_HINT)
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while pos < len(data) and data[pos] in b" \t\r\n":
            pos += 1
        if pos >= len(data):
            return None
        if data.startswith(b"<?", pos):
            end = data.find(b"?>", pos)
            if end < 0:
                return None
            declared = _PROLOG_DECL.match(data, pos, end + 2)
            if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
                raise error(f"{name} inside it is encoded as {declared.group(1).decode()}, not UTF-8",
                            hint=_XML_CONSTRUCTS_HINT)
            pos = end + 2
        elif data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos)
            if end < 0:
                return None
            pos = end + 3
        elif data.startswith(b"<!", pos):
            _raise_refused(data, pos, name, error)
        else:
            root = _ROOT_TAG.match(data, pos)
            if root is None:
                if len(data) - pos < 256:
                    return None
                raise error(f"is damaged: {name} inside it is not XML")
            return pos, root.group(1) or b""


def _raise_refused(data: bytes, pos: int, name: str, error: Callable[..., BadDataError]):
    if data[pos:pos + 9].upper() == b"<!DOCTYPE" or data.startswith(b"<!ENTITY", pos):
        try:
            _refuse_dtd()
        except _Refused as refused:
            raise error(f"{name} inside it {refused.message}") from None
    raise error(f"{name} inside it contains XML comments, CDATA or processing instructions, "
                "which spreadsheet programs do not write", hint=_XML_CONSTRUCTS_HINT)


def _checked_xml_chunks(reader: WorkbookReader, part: str) -> Iterator[tuple[bytes, bytes]]:
    """Yield (prefix, chunk) for a tokenised part; refuses DTDs and constructs the tokeniser does not handle."""
    pending = b""
    prefix = None
    carry = b""  # a possible "<!" or "<?" split across chunks
    for chunk in reader._chunks(part):
        if prefix is None:
            pending += chunk
            found = _prolog_end(pending, part, reader._error)
            if found is None:
                if len(pending) > (1 << 20):
                    raise reader._error(f"is damaged: {part} inside it has no root element in its first megabyte")
                continue
            start, prefix = found
            chunk = pending[start:]
            pending = b""
        probe = carry + chunk
        # "!" and "?" are rare in sheet XML and found at memchr speed; "<!" itself is not.
        for mark, marker in ((b"!", b"<!"), (b"?", b"<?")):
            if mark in probe:
                at = probe.find(marker)
                if at >= 0:
                    _raise_refused(probe, at, part, reader._error)
        carry = chunk[-1:]
        yield prefix, chunk
    if prefix is None and pending:
        raise reader._error(f"is damaged: {part} inside it is not XML")


# -- tokenising -------------------------------------------------------------

_ATTRS = rb"((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*"
_ATTR = re.compile(rb"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_COL_TAIL = rb"col" + _ATTRS + rb"/?>"
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][\w.-]*);|&")
_XSTRING_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_NAMED_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


class _CellProblem(Exception):
    pass


def _attributes(raw: bytes) -> dict[str, str]:
    return {name.decode("utf-8", "replace").rpartition(":")[2] if b":" in name and not name.startswith(b"xml") else name.decode("utf-8", "replace"):
            _unescape_leniently((double if double or not single else single).decode("utf-8", "replace"))
            for name, double, single in _ATTR.findall(raw)}


def _replace_entity(match: re.Match) -> str:
    name = match.group(1)
    if name is None:
        raise _CellProblem("has a stray '&' (the file is not well-formed XML)")
    if name.startswith("#"):
        try:
            return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
        except (ValueError, OverflowError):
            raise _CellProblem(f"has an invalid character reference &{name};") from None
    if name in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[name]
    raise _CellProblem(f"uses an undefined XML entity &{name};")


def _unescape(text: str) -> str:
    return _ENTITY.sub(_replace_entity, text) if "&" in text else text


def _unescape_leniently(text: str) -> str:
    """Attribute values only steer parsing (r, t, s, ref …): a broken entity there is left as it is, to fail later."""
    try:
        return _unescape(text)
    except _CellProblem:
        return text


def _text(raw: bytes) -> str:
    """Cell text: UTF-8, XML entities, then OOXML's ``_xHHHH_`` escapes for control characters."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _CellProblem("is not valid UTF-8 text") from None
    if "&" in text:
        text = _ENTITY.sub(_replace_entity, text)
    if "_x" in text:
        text = _XSTRING_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _range_bounds(ref: str) -> tuple[int, int, int, int] | None:
    """(first column, first row, last column, last row) of "B7:C8" or "B7", 0-based columns."""
    parts = ref.split(":")
    if len(parts) not in (1, 2):
        return None
    cells = [_CELL_REF.match(p.strip()) for p in parts]
    if not all(cells):
        return None
    cols = [_column_index(c.group(1)) for c in cells]
    rows = [int(c.group(2)) for c in cells]
    return min(cols), min(rows), max(cols), max(rows)


def _merge_refs(text: bytes, prefix: bytes) -> list[str]:
    refs = []
    for match in re.finditer(b"<" + re.escape(prefix) + b"mergeCell" + _ATTRS + b"/?>", text):
        ref = _attributes(match.group(1)).get("ref")
        if ref:
            refs.append(ref)
    return refs


def _cut_at_last(buffer: bytes, *closers: bytes) -> int:
    """End of the last complete element among ``closers``; -1 if none."""
    for closer in closers:
        at = buffer.rfind(closer)
        if at >= 0:
            return at + len(closer)
    return -1


class _PatternSet:
    """Regexes for one element prefix ("" or e.g. "x:"), compiled once per prefix."""

    _cache: dict[bytes, _PatternSet] = {}

    def __init__(self, prefix: bytes):
        p = re.escape(prefix)
        # The shape Excel, LibreOffice, openpyxl and XlsxWriter write: r first, simple double-quoted attributes.
        self.fast_cell = re.compile(
            b"<" + p + b"c r=\"([A-Z]{1,3})([0-9]{1,7})\"((?: [A-Za-z:]+=\"[^\"<>]*\")*)"
            b"(?:/>|>(?:<" + p + b"v>([^<]*)</" + p + b"v>|<" + p + b"is><" + p + b"t>([^<]*)</" + p + b"t></" + p + b"is>|"
            b"(.*?))</" + p + b"c>)", re.S)
        self.general = re.compile(
            b"<" + p + b"row(?=[\\s/>])" + _ATTRS + b"/?>|<" + p + b"c(?=[\\s/>])" + _ATTRS + b"(?:/>|>(.*?)</" + p + b"c\\s*>)",
            re.S)
        self.cell_open = b"<" + prefix + b"c"
        self.cell_starts = tuple(b"<" + prefix + b"c" + end for end in (b" ", b">", b"/", b"\t", b"\n", b"\r"))
        self.formula = re.compile(b"<" + p + b"f(?=[\\s/>])" + _ATTRS + b"(?:/>|>([^<]*)</" + p + b"f\\s*>)")
        self.value = re.compile(b"<" + p + b"v(?=[\\s/>])" + _ATTRS + b"(?:/>|>([^<]*)</" + p + b"v\\s*>)")
        self.inline = re.compile(b"<" + p + b"is(?=[\\s/>])" + _ATTRS + b"(?:/>|>(.*?)</" + p + b"is\\s*>)", re.S)
        self.phonetic = re.compile(b"<" + p + b"rPh(?=[\\s/>]).*?</" + p + b"rPh\\s*>", re.S)
        self.text = re.compile(b"<" + p + b"t(?=[\\s/>])" + _ATTRS + b"(?:/>|>([^<]*)</" + p + b"t\\s*>)")
        self.row_end = b"</" + prefix + b"row>"
        self.cell_end = b"</" + prefix + b"c>"
        self.fast_si = re.compile(
            b"<" + p + b"si><" + p + b"t>([^<]*)</" + p + b"t></" + p + b"si>|<" + p + b"si><" + p + b"t xml:space=\"preserve\">"
            b"([^<]*)</" + p + b"t></" + p + b"si>|<" + p + b"si(?=[\\s/>])" + _ATTRS + b"(?:/>|>(.*?)</" + p + b"si\\s*>)", re.S)
        self.si_starts = tuple(b"<" + prefix + b"si" + end for end in (b">", b" ", b"/", b"\t", b"\n", b"\r"))
        self.si_end = b"</" + prefix + b"si>"

    @classmethod
    def get(cls, prefix: bytes) -> _PatternSet:
        if prefix not in cls._cache:
            cls._cache[prefix] = cls(prefix)
        return cls._cache[prefix]

    def rich_text(self, body: bytes) -> str:
        """Text of an inline or shared rich string: every run's <t>, without phonetic guides."""
        if b"rPh" in body:
            body = self.phonetic.sub(b"", body)
        return "".join(_text(m.group(2) or b"") for m in self.text.finditer(body))


def _read_shared_strings(reader: WorkbookReader, part: str) -> list[str]:
    strings: list[str] = []
    buffer = b""
    patterns = None
    for prefix, chunk in _checked_xml_chunks(reader, part):
        patterns = patterns or _PatternSet.get(prefix)
        buffer += chunk
        cut = _cut_at_last(buffer, patterns.si_end, b"/>")
        if cut < 0:
            continue
        _shared_strings_in(buffer[:cut], patterns, strings, reader, part)
        buffer = buffer[cut:]
    if buffer and patterns is not None:
        _shared_strings_in(buffer, patterns, strings, reader, part)
    return strings


def _shared_strings_in(text: bytes, patterns: _PatternSet, strings: list[str], reader: WorkbookReader, part: str) -> None:
    found = patterns.fast_si.findall(text)
    expected = sum(text.count(start) for start in patterns.si_starts)
    if len(found) != expected:
        raise reader._error(f"is damaged: {part} inside it has string items this reader cannot delimit")
    try:
        for plain, preserved, _attrs, body in found:
            if plain or preserved:
                raw = plain or preserved
                strings.append(_text(raw) if b"&" in raw or b"_x" in raw or not raw.isascii() else raw.decode())
            else:
                strings.append(patterns.rich_text(body))
    except _CellProblem as problem:
        raise reader._error(f"is damaged: a shared string in {part} {problem}") from None


# -- dates ----------------------------------------------------------------

_BUILTIN_DATE_FORMATS = {14: "date", 15: "date", 16: "date", 17: "date", 18: "time", 19: "time", 20: "time",
                         21: "time", 22: "datetime", 45: "time", 46: "time", 47: "time"}
_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|_.|\*.|\[(?![hHmMsS]+\])[^\]]*\]')


def _format_kind(code: str) -> str | None:
    """Whether a custom number format shows a date, a time or both (text in quotes and [colours] ignored)."""
    section = _FORMAT_NOISE.sub("", code.split(";")[0]).lower()
    if "general" in section:
        return None
    has_date = any(ch in section for ch in "dy") or ("m" in section and not any(ch in section for ch in "hs"))
    has_time = any(ch in section for ch in "hs")
    if has_date and has_time:
        return "datetime"
    if has_date:
        return "date"
    if has_time:
        return "time"
    return None


_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
# Excel counts a phantom 29.02.1900, so serials before it are one day off from those after it.
_EPOCH_1900_EARLY = dt.datetime(1899, 12, 31)
_MAX_SERIAL = 2_958_465  # 9999-12-31


def _serial_to_value(serial: float, kind: str, date1904: bool) -> object:
    if not 0 <= serial <= _MAX_SERIAL:
        raise _CellProblem(f"holds {serial!r}, which is not a date Excel can show")
    if kind == "time" and serial < 1:
        millis = round(serial * 86_400_000)
        if millis >= 86_400_000:
            return dt.time(0)
        seconds, millis = divmod(millis, 1000)
        return dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60, millis * 1000)
    if date1904:
        epoch = _EPOCH_1904
    elif serial >= 61:
        epoch = _EPOCH_1900
    elif serial >= 60:
        raise _CellProblem("holds 29.02.1900, a date that does not exist (Excel's 1900 leap-year bug)")
    else:
        epoch = _EPOCH_1900_EARLY
    value = epoch + dt.timedelta(milliseconds=round(serial * 86_400_000))
    if kind == "date" and not (value.hour or value.minute or value.second or value.microsecond):
        return value.date()
    return value


# -- streaming a sheet ----------------------------------------------------------

_T_NUMBER, _T_SHARED, _T_STR, _T_INLINE, _T_BOOL, _T_ERROR, _T_ISO_DATE, _T_UNKNOWN = range(8)
_CELL_TYPES = {"n": _T_NUMBER, "s": _T_SHARED, "str": _T_STR, "inlineStr": _T_INLINE, "b": _T_BOOL,
               "e": _T_ERROR, "d": _T_ISO_DATE}


class _SheetRows:
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
        self.first_row: int | None = None  # the first row that held a value
        self.counted_rows = False  # a row without a number was numbered after the one before it
        self.patterns: _PatternSet | None = None
        self.prefix = b""
        self.merged: list[str] = []

    def rows(self) -> Iterator[tuple[int, tuple[object, ...]]]:
        if self.part is None:
            return
        chunks = _checked_xml_chunks(self.reader, self.part)
        if _second_process_pays(self.reader, self.part):
            yield from self._rows_in_two_processes(chunks)
        else:
            yield from self._rows_of(chunks)
        if self.values:
            yield from self._flush()
        self.reader._merged.setdefault(self.sheet, tuple(self.merged))

    def _rows_of(self, chunks: Iterable[tuple[bytes, bytes]]) -> Iterator[tuple[int, tuple[object, ...]]]:
        """The rows in these chunks of the sheet's XML; the last one is left open, as the next chunk may go on with it."""
        buffer = b""
        for prefix, chunk in chunks:
            if self.patterns is None:
                self.patterns = _PatternSet.get(prefix)
                self.prefix = prefix
            buffer += chunk
            cut = _cut_at_last(buffer, self.patterns.row_end, self.patterns.cell_end)
            if cut < 0:
                continue
            yield from self._piece(buffer[:cut])
            buffer = buffer[cut:]
        if buffer:
            yield from self._piece(buffer)

    def _piece(self, piece: bytes) -> Iterator[tuple[int, tuple[object, ...]]]:
        # Merged areas are collected on the way, so that asking for them after the rows costs no second pass.
        if b"mergeCell" in piece:
            self.merged.extend(_merge_refs(piece, self.prefix))
        yield from self._chunk(piece)

    def _rows_in_two_processes(self, chunks: Iterable[tuple[bytes, bytes]]) -> Iterator[tuple[int, tuple[object, ...]]]:
        """The same rows as :meth:`_rows_of`, the second half of the sheet read by a forked copy of this process.

        Why: reading cells is CPU-bound Python, and a 100,000-row export has two cores waiting. The
        whole part is decompressed (within the zip-bomb caps) and checked first, then cut after a row
        a little past the middle. If the copy fails in any way, its first row goes on with our last one (a row
        number repeated across the cut), or it met rows without numbers (numbered after the row
        before them, which only we know), its half is read here: the rows, problems and errors are
        always exactly those of one process.
        """
        gathered = list(chunks)
        if not gathered:
            return
        prefix = gathered[0][0]
        row_end = b"</" + prefix + b"row>"
        first, second = _halves(gathered, row_end)
        try:
            self.reader._strings()  # loaded here: the copy must not read the zip, whose file offset we share
        except BadDataError:
            second = []  # damaged: one process tells it when, and only if, a cell uses them
        if not second:
            yield from self._rows_of(gathered)
            return
        copy = _Forked(partial(_rows_of_copy, self, second))
        try:
            yield from self._rows_of(first)
            outcome = copy.result()
        finally:
            copy.close()
        if outcome is None or outcome.counted_rows or (self.values and outcome.first_row == self.row_number):
            yield from self._rows_of(second)
            return
        if self.values:
            yield from self._flush()
        yield from outcome.rows
        self.problems.extend(outcome.problems[:max(0, _MAX_CELL_PROBLEMS - len(self.problems))])
        self.merged.extend(outcome.merged)

    def _flush(self) -> Iterator[tuple[int, tuple[object, ...]]]:
        if self.first_row is None:
            self.first_row = self.row_number
        values = self.values
        self.values = []
        while values and (values[-1] is None or values[-1] == ""):
            values.pop()
        if values:
            yield self.row_number, tuple(values)

    def _chunk(self, text: bytes) -> Iterator[tuple[int, tuple[object, ...]]]:
        patterns = self.patterns
        found = patterns.fast_cell.findall(text)
        # "<c" also starts <col…> and <cfRule…>, so the exact count is needed only when the quick one disagrees.
        if len(found) != text.count(patterns.cell_open) and len(found) != sum(text.count(s) for s in patterns.cell_starts):
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
                column = column_cache[letters] = _column_index(letters.decode())
            if inline:
                # Names, choices and the like repeat: each distinct text is decoded once.
                value = inline_cache.get(inline)
                if value is None:
                    if b"&" in inline or b"_x" in inline:
                        value = self._text(inline, column)
                    else:
                        try:
                            value = inline.decode()
                        except UnicodeDecodeError:
                            value = self._text(inline, column)
                    if value is None:
                        continue
                    if len(inline_cache) < 100_000:
                        inline_cache[inline] = value
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
                continue
            style = attr_cache.get(attrs)
            if style is None:
                style = self._cell_kind(_attributes(attrs))
                if len(attr_cache) < 10_000:
                    attr_cache[attrs] = style
            cell_type = style[0]
            if cell_type == _T_SHARED and raw_value.isdigit():
                if strings is None:
                    strings = self.reader._strings()
                index = int(raw_value)
                value = strings[index] if index < len(strings) else self._convert(style, raw_value, None, column)
            elif cell_type == _T_NUMBER and style[1] is None and raw_value.isdigit() and len(raw_value) < 16:
                value = int(raw_value)  # a whole number below 1e15, exactly as the float path gives it
            elif cell_type == _T_NUMBER and raw_value:
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
                value = _serial_to_value(serial, kind, self.date1904)
            except _CellProblem as problem:
                self._problem(column, str(problem))
                return None
            if len(self.date_cache) < 100_000:
                self.date_cache[key] = value
        return value

    def _general_chunk(self, text: bytes) -> Iterator[tuple[int, tuple[object, ...]]]:
        """Any attribute order, quoting or missing references; slower, so used only when the fast pattern missed a cell."""
        column = -1
        for match in self.patterns.general.finditer(text):
            row_attrs, cell_attrs, body = match.groups()
            if row_attrs is not None and cell_attrs is None:
                reference = _attributes(row_attrs).get("r")
                if reference and reference.isdigit():
                    number = int(reference)
                else:
                    number = self.row_number + 1
                    self.counted_rows = True
                if number != self.row_number and self.values:
                    yield from self._flush()
                self.row_number = number
                column = -1
                continue
            attrs = _attributes(cell_attrs or b"")
            reference = _CELL_REF.match(attrs.get("r", ""))
            if reference:
                column = _column_index(reference.group(1))
                number = int(reference.group(2))
                if number != self.row_number:
                    if self.values:
                        yield from self._flush()
                    self.row_number = number
            else:
                column += 1
            if body:
                self._place(column, self._convert(self._cell_kind(attrs), None, body, column))

    def _cell_kind(self, attrs: dict[str, str]) -> tuple[int, str | None]:
        cell_type = _CELL_TYPES.get(attrs.get("t", "n"), _T_UNKNOWN)
        style = attrs.get("s", "0")
        kind = self.date_styles.get(int(style)) if style.isdigit() and len(style) < 7 else None
        return cell_type, kind

    def _place(self, column: int, value: object) -> None:
        if value is None:
            return
        if self.row_number > self.max_rows:
            raise self._fatal(column, f"holds a value beyond row {self.max_rows}, the most this tool reads",
                              "raise [limits] max_rows in season.toml if the file is genuine")
        if column >= self.max_columns:
            raise self._fatal(column, f"holds a value beyond column {_column_letters(self.max_columns - 1)}, "
                                      f"the last of the {self.max_columns} columns this tool reads",
                              "delete the far-away cell, or raise [limits] max_columns in season.toml")
        values = self.values
        if column == len(values):
            values.append(value)
        elif column > len(values):
            values.extend([None] * (column - len(values)))
            values.append(value)
        else:
            values[column] = value

    def _location(self, column: int) -> Location:
        return Location(self.reader._file, self.sheet, self.row_number, f"column {_column_letters(column)}")

    def _fatal(self, column: int, message: str, hint: str) -> BadDataError:
        return BadDataError.at(self._location(column), message, hint=hint)

    def _problem(self, column: int, message: str) -> None:
        if len(self.problems) < _MAX_CELL_PROBLEMS:
            self.problems.append(Problem(self._location(column), message))

    def _text(self, raw: bytes, column: int) -> str | None:
        try:
            return _text(raw)
        except _CellProblem as problem:
            self._problem(column, str(problem))
            return None

    def _convert(self, style: tuple[int, str | None], raw_value: bytes | None, body: bytes | None, column: int) -> object:
        """The value of one cell from its type, style and either its <v> text or its whole body."""
        cell_type, date_kind = style
        patterns = self.patterns
        formula = None
        has_value = raw_value is not None and (raw_value != b"" or cell_type == _T_STR)
        if body:
            if cell_type == _T_INLINE:
                inline = patterns.inline.search(body)
                if inline is not None:
                    try:
                        return patterns.rich_text(inline.group(2) or b"")
                    except _CellProblem as problem:
                        self._problem(column, str(problem))
                        return None
            formula_match = patterns.formula.search(body)
            if formula_match is not None:
                formula = formula_match.group(2) or b""
            value_match = patterns.value.search(body)
            if value_match is not None:
                raw_value = value_match.group(2) or b""
                has_value = raw_value != b"" or cell_type == _T_STR
            elif formula is None:
                return None
        if not has_value:
            if formula is not None:
                shown = self._text(formula, column) if formula else ""
                what = f"formula ={shown}" if shown else "a formula"
                self._problem(column, f"{what} has no saved result; open the file in Excel or LibreOffice, "
                                      "let it calculate, and save it again")
            return None
        try:
            if cell_type == _T_NUMBER:
                try:
                    number = float(raw_value)
                except ValueError:
                    raise _CellProblem(f"holds {raw_value[:40].decode('utf-8', 'replace')!r}, which is not a number") from None
                if not math.isfinite(number):
                    raise _CellProblem("holds a number that is not finite")
                if date_kind is not None:
                    return self._date(number, date_kind, column)
                return int(number) if number.is_integer() and abs(number) < 1e15 else number
            if cell_type == _T_SHARED:
                strings = self.reader._strings()
                index = int(raw_value) if raw_value.strip().isdigit() else -1
                if not 0 <= index < len(strings):
                    raise _CellProblem("refers to a shared string that does not exist (the file is damaged)")
                return strings[index]
            if cell_type in (_T_STR, _T_INLINE):
                return _text(raw_value)
            if cell_type == _T_BOOL:
                flag = raw_value.strip()
                if flag in (b"1", b"true"):
                    return True
                if flag in (b"0", b"false"):
                    return False
                raise _CellProblem("holds a true/false value that is neither 1 nor 0")
            if cell_type == _T_ERROR:
                raise _CellProblem(f"holds the error {_text(raw_value)}; fix the cell or its formula in Excel")
            if cell_type == _T_ISO_DATE:
                return _iso_value(_text(raw_value))
            raise _CellProblem("has a cell type this reader does not know")
        except _CellProblem as problem:
            self._problem(column, str(problem))
            return None


# -- the second process ------------------------------------------------------

# Below this a sheet reads in well under a second, and a second process would not pay for itself.
_TWO_PROCESSES_MIN_BYTES = 8 << 20


def _second_process_pays(reader: WorkbookReader, part: str) -> bool:
    member = reader._member(part)
    # Linux only: elsewhere fork is unsafe (macOS) or missing (Windows). A threaded caller is never
    # forked, since another thread may hold a lock the copy would then wait for forever.
    return (member is not None and member.file_size >= _TWO_PROCESSES_MIN_BYTES and sys.platform.startswith("linux")
            and len(os.sched_getaffinity(0)) > 1 and threading.active_count() == 1)


# The copy also pickles its rows, and we unpickle them: giving it a little less than half keeps us from waiting.
_OUR_SHARE = 0.55


def _halves(chunks: list[tuple[bytes, bytes]], row_end: bytes) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
    """The chunks cut just after the first row end past our share; the second half is empty if there is none."""
    remaining = int(sum(len(chunk) for _, chunk in chunks) * _OUR_SHARE)
    for index, (prefix, chunk) in enumerate(chunks):
        if remaining < len(chunk):
            end = chunk.find(row_end, remaining)
            if end >= 0:
                end += len(row_end)
                return chunks[:index] + [(prefix, chunk[:end])], [(prefix, chunk[end:])] + chunks[index + 1:]
            remaining = 0  # not in this chunk: the first row end of the next one
        else:
            remaining -= len(chunk)
    return chunks, []


@dataclass(frozen=True)
class _CopyOutcome:
    rows: list[tuple[int, tuple[object, ...]]]
    problems: list[Problem]
    merged: list[str]
    first_row: int | None
    counted_rows: bool  # numbered from the copy's start, not from the rows before it


def _rows_of_copy(rows: _SheetRows, chunks: list[tuple[bytes, bytes]]) -> _CopyOutcome:
    """Run in the forked copy: the rows of its half, read from a fresh start."""
    copy = _SheetRows(rows.reader, rows.sheet, rows.part, [])
    found = list(copy._rows_of(chunks))
    if copy.values:
        found.extend(copy._flush())
    return _CopyOutcome(found, copy.problems, copy.merged, copy.first_row, copy.counted_rows)


class _Forked:
    """``work()`` run in a forked copy of this process, its pickled result read back through a pipe.

    Why fork: the copy starts with everything already in memory (the sheet's XML, the shared
    strings), so only the result crosses over. Any failure (an exception in the copy, a copy that
    was killed, a fork that was refused) reads back as None, and the caller does the work itself.
    """

    def __init__(self, work: Callable[[], object]):
        self.pid: int | None = None
        self.read_end: int | None = None
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return
        if pid == 0:
            _serve_in_copy(work, read_end, write_end)
        os.close(write_end)
        self.pid, self.read_end = pid, read_end

    def result(self) -> object | None:
        if self.read_end is None:
            return None
        with open(self.read_end, "rb", closefd=True) as stream:
            self.read_end = None
            data = stream.read()
        self._reap()
        try:
            return pickle.loads(data) if data else None
        except Exception:
            return None

    def close(self) -> None:
        """Stop the copy if it still runs (the rows were abandoned or failed) and free what it held."""
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap()
        if self.read_end is not None:
            os.close(self.read_end)
            self.read_end = None

    def _reap(self) -> None:
        if self.pid is not None:
            os.waitpid(self.pid, 0)
            self.pid = None


def _open_files_limit() -> int:
    limit = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else -1
    return limit if limit > 0 else 1 << 20  # -1: no limit reported; closerange is a single syscall anyway


def _serve_in_copy(work: Callable[[], object], read_end: int, write_end: int) -> NoReturn:
    try:
        # Everything the copy needs is in memory. Its copies of the parent's files are closed at once,
        # so that if the parent is killed, the season's lock (a flock, shared with the copy) goes with it.
        os.closerange(3, write_end)
        os.closerange(write_end + 1, _open_files_limit())
        gc.disable()  # the copy lives for one task; collecting would only copy the parent's memory pages
        try:
            payload = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            payload = b""
        with open(write_end, "wb", closefd=True) as stream:
            stream.write(payload)
    finally:
        os._exit(0)  # never the parent's cleanup: its transaction, its files, its atexit handlers


def _iso_value(text: str) -> object:
    text = text.strip()
    try:
        if "T" in text:
            return dt.datetime.fromisoformat(text.rstrip("Z"))
        if ":" in text:
            return dt.time.fromisoformat(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _CellProblem(f"holds {text[:40]!r}, which is not an ISO date") from None
