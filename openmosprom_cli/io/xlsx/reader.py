"""Reading untrusted ``.xlsx`` workbooks safely and row by row.

The rest of the tool sees a workbook only through :class:`WorkbookReader`:
sheet names with their visibility, and rows streamed as plain Python values
(str, int, float, bool, date, datetime, time or None) with their 1-based row
numbers.

Why a reader of our own: openpyxl's read-only mode is safe but about 20× slower
than this on a 100,000-row export, and python-calamine aborts the whole process
on a sheet that declares a huge size. The file is untrusted, so before any XML
is parsed the container is identified (CSV, old ``.xls``, encrypted, truncated
…) and checked against zip bombs (``container``); every XML part is refused if
it carries a DTD (billion laughs, external entities; ``xml_safety``); memory
never depends on a sheet's declared dimension, only on cells that hold values,
and those are capped (``sheet``).

Sheet and shared-string XML is tokenised with regular expressions over
decompressed chunks (``tokens``), which is what makes the reader fast. That is
only sound for the XML that spreadsheet programs write, so the tokeniser refuses
what they never write (comments, CDATA, processing instructions, DTDs, non-UTF-8
encodings) and falls back to a slower, attribute-order-agnostic path whenever
the fast pattern did not account for every cell tag in a chunk.

This module holds the workbook's structure: its sheets and the parts they live
in, relationships, date styles and shared strings, loaded once.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.errors import BadDataError, Location, MissingInputError, Problem
from openmosprom_cli.i18n import Msg, _
from openmosprom_cli.io.tables import unreadable_cells
from openmosprom_cli.io.xlsx.cells import date_styles
from openmosprom_cli.io.xlsx.container import (
    check_zip_sizes,
    identify_container,
    inflated_chunks,
    open_zip,
    read_small_part,
)
from openmosprom_cli.io.xlsx.sheet import SheetRows, hidden_columns_in, merged_ranges_in
from openmosprom_cli.io.xlsx.tokens import range_bounds, read_shared_strings
from openmosprom_cli.io.xlsx.xml_safety import checked_xml_chunks, parse_xml
from openmosprom_cli.settings import Limits


@dataclass(frozen=True)
class SheetInfo:
    name: str
    hidden: bool


_NS_RELATIONSHIPS = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                     "http://purl.oclc.org/ooxml/officeDocument/relationships")


def open_workbook(path: Path, limits: Limits | None = None) -> WorkbookReader:
    path = Path(path)
    if not path.exists():
        raise MissingInputError(_("{path} does not exist").format(path=path))
    if not path.is_file():
        raise MissingInputError(_("{path} is not a file").format(path=path))
    return WorkbookReader(path, limits or Limits())


class WorkbookReader:
    """Open with :func:`open_workbook`; use as a context manager."""

    def __init__(self, path: Path, limits: Limits):
        self.path = Path(path)
        self.limits = limits
        self._file = self.path.name
        self._zip: zipfile.ZipFile | None = None
        self._shared_strings: list[str] | None = None
        self._hidden_columns: dict[str, set[int]] = {}
        self._merged: dict[str, tuple[str, ...]] = {}
        identify_container(self.path, self._file, limits.max_uncompressed_mb * 1024 * 1024)
        self._zip = open_zip(self.path, self._error)
        try:
            check_zip_sizes(self._zip, self.limits, self._error)
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
            raise self._error(Msg("sheet {sheet} is hidden; unhide it or remove it", sheet=repr(sheet)))
        return info

    def hidden_columns(self, sheet: str) -> set[int]:
        """0-based indexes of columns marked hidden in the sheet's ``<cols>``."""
        part = self._sheet_part(sheet)
        if sheet not in self._hidden_columns:
            self._hidden_columns[sheet] = (set() if part is None else
                                           hidden_columns_in(self._checked_chunks(part), self.limits.max_columns))
        return set(self._hidden_columns[sheet])

    def merged_ranges(self, sheet: str) -> tuple[str, ...]:
        """Merged areas such as ``"B7:C8"``, in file order."""
        part = self._sheet_part(sheet)
        if sheet not in self._merged:
            self._merged[sheet] = () if part is None else merged_ranges_in(self._checked_chunks(part))
        return self._merged[sheet]

    def merged_in_data(self, sheet: str, first_data_row: int) -> tuple[str, ...]:
        """Merged areas reaching row ``first_data_row`` or below (pass the header row to include it)."""
        found = []
        for ref in self.merged_ranges(sheet):
            bounds = range_bounds(ref)
            if bounds is not None and bounds[3] >= first_data_row:
                found.append(ref)
        return tuple(found)

    def merged_data_problems(self, sheet: str, first_data_row: int) -> list[Problem]:
        """One problem per merged area inside the data, ready for a ProblemCollector."""
        problems = []
        for ref in self.merged_in_data(sheet, first_data_row):
            bounds = range_bounds(ref)
            assert bounds is not None  # merged_in_data keeps only the areas with bounds
            first_row = max(bounds[1], first_data_row)
            message = Msg("merged cells {range} inside the data; unmerge them so every row has its own values",
                          range=ref)
            problems.append(Problem(Location(self._file, sheet, first_row), message))
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
        yield from SheetRows(self, sheet, part, collected).rows()
        if problems is None and collected:
            count = len(collected)
            summary = str(collected[0]) if count == 1 else unreadable_cells(str(Location(self._file, sheet)), count)
            raise BadDataError(summary, collected)

    # -- container --------------------------------------------------------

    def _error(self, message: str, *, sheet: str | None = None, hint: str | None = None) -> BadDataError:
        return BadDataError.at(Location(self._file, sheet), message, hint=hint)

    def _archive(self) -> zipfile.ZipFile:
        if self._zip is None:
            raise ValueError("the workbook is closed")
        return self._zip

    def _member(self, name: str) -> zipfile.ZipInfo | None:
        try:
            return self._archive().getinfo(name)
        except KeyError:
            return None

    def _checked_chunks(self, part: str) -> Iterator[tuple[bytes, bytes]]:
        """(prefix, chunk) pairs of a part that is tokenised: inflated within the caps, its XML checked."""
        return checked_xml_chunks(inflated_chunks(self._archive(), part, self.limits, self._error), part, self._error)

    def _parse_small_part(self, name: str, start: Callable[[str, dict], None]) -> None:
        parse_xml(self._read_small_part(name), name, start, self._error)

    def _read_small_part(self, name: str) -> bytes:
        return read_small_part(self._archive(), name, self.limits, self._error)

    def _load_structure(self) -> None:
        names = set(self._archive().namelist())
        if "xl/workbook.bin" in names:
            raise self._error(Msg("is a binary .xlsb workbook, not an .xlsx workbook; save it as .xlsx"))
        if "mimetype" in names and "content.xml" in names:
            raise self._error(Msg("is an OpenDocument spreadsheet (.ods), not an .xlsx workbook; save it as .xlsx"))
        workbook_part = self._office_document_part(names)
        if "[Content_Types].xml" not in names or workbook_part is None:
            raise self._error(Msg("is a zip archive but not an .xlsx workbook (it has no xl/workbook.xml)"))

        sheets: list[tuple[str, str, str]] = []
        self._date1904 = False

        def on_workbook(tag: str, attrs: dict) -> None:
            if tag == "sheet":
                rel_id = next((v for k, v in attrs.items()
                               if k.rpartition(" ")[0] in _NS_RELATIONSHIPS and k.endswith(" id")), "")
                sheets.append((attrs.get("name", ""), attrs.get("state", "visible"), rel_id))
            elif tag == "workbookPr":
                self._date1904 = attrs.get("date1904", "0").strip().lower() in ("1", "true")

        self._parse_small_part(workbook_part, on_workbook)
        rels = self._relationships(workbook_part)
        self._sheet_parts: dict[str, str | None] = {}
        infos = []
        for name, state, rel_id in sheets:
            if not name or name in self._sheet_parts:
                raise self._error(Msg("{part} lists a sheet with an empty or repeated name", part=workbook_part))
            target, kind = rels.get(rel_id, (None, ""))
            # Chart and dialog sheets have no cells: they are listed but read as empty.
            self._sheet_parts[name] = target if kind.endswith("/worksheet") and target in names else None
            if kind.endswith("/worksheet") and target not in names:
                raise self._error(Msg("is damaged: sheet {sheet} points to a missing part {part}", sheet=repr(name),
                                      part=target))
            infos.append(SheetInfo(name, state != "visible"))
        self.sheets = tuple(infos)
        by_kind = {kind.rpartition("/")[2]: target for target, kind in rels.values()}
        self._shared_strings_part = by_kind.get("sharedStrings")
        styles_part = by_kind.get("styles")
        self._date_styles = (date_styles(self._read_small_part(styles_part), styles_part, self._error)
                             if styles_part in names else {})

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
                target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
                found[attrs.get("Id", "")] = (target, attrs.get("Type", ""))

        self._parse_small_part(rels_name, on_rel)
        return found

    # -- sheets -----------------------------------------------------------

    def _sheet(self, sheet: str) -> SheetInfo:
        for info in self.sheets:
            if info.name == sheet:
                return info
        listed = ", ".join(repr(s.name) for s in self.sheets) or Msg("none")
        raise self._error(Msg("has no sheet named {sheet} (sheets: {listed})", sheet=repr(sheet), listed=listed))

    def _sheet_part(self, sheet: str) -> str | None:
        self._sheet(sheet)
        if self._zip is None:
            raise ValueError("the workbook is closed")
        return self._sheet_parts[sheet]

    def _strings(self) -> list[str]:
        if self._shared_strings is None:
            part = self._shared_strings_part
            self._shared_strings = ([] if part is None or self._member(part) is None else
                                    read_shared_strings(self._checked_chunks(part), part, self._error))
        return self._shared_strings
