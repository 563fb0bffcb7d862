"""Factories' availability: reading their schedule workbooks and importing them into the season.

Two layouts are accepted, told apart by their sheets:

* one workbook per factory: a field/value sheet ``Площадка`` and a table ``Расписание``;
* one combined workbook: a table ``Площадки`` (one site per row) and a table
  ``Расписание`` whose first column ``Код площадки`` names the site.

Everything is parsed and validated before the season is touched; every problem
in every file is reported at once, and an import is all-or-nothing.

Hostile or damaged workbooks are refused by :mod:`workbook`; on top of that,
cells with no usable value (a formula without a saved result, an error such as
``#DIV/0!``) and merged cells inside the data are reported with their place.
Hidden sheets: a sheet we need (``Площадка``, ``Площадки`` or ``Расписание``)
that is hidden is an error, since the factory may not know what it holds; any
other hidden sheet is never opened, so nothing in it can reach the season.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from openmosprom_cli.errors import BadDataError, Location, MissingInputError, Problem
from openmosprom_cli.i18n import Msg, _
from openmosprom_cli.io.reader import find_sheet
from openmosprom_cli.io.tables import ProblemCollector, Record, Table, iter_field_pairs, read_table
from openmosprom_cli.io.values import (
    ValueProblem,
    check_text,
    describe,
    is_blank,
    normalize_header,
    parse_bool,
    parse_date,
    parse_time,
)
from openmosprom_cli.models import Candidate, Site
from openmosprom_cli.schedules.fields import (
    CANDIDATE_COLUMNS,
    COMBINED_CANDIDATE_COLUMNS,
    PAIR_HEADER_KEYS,
    SCHEDULE_SHEET,
    SCHEDULE_SHEET_NAMES,
    SITE_COLUMNS,
    SITE_LABELS,
    SITE_PARSERS,
    SITE_SHEET,
    SITE_SHEET_NAMES,
    SITES_SHEET,
    SITES_SHEET_NAMES,
    parse_capacity,
    parse_duration,
)
from openmosprom_cli.settings import Settings

# -- records -------------------------------------------------------------------

@dataclass(frozen=True)
class SiteSchedule:
    """A site with its candidate tours, sorted by date and start."""

    site: Site
    candidates: tuple[Candidate, ...]
    source_file: str = ""


@dataclass(frozen=True)
class ParsedSchedules:
    """Every site read from a set of workbooks, sorted by site_id."""

    sites: tuple[SiteSchedule, ...]
    files: tuple[str, ...]
    warnings: tuple[str, ...] = ()    # e.g. columns that are not read

    @property
    def candidate_count(self) -> int:
        return sum(len(s.candidates) for s in self.sites)


# -- parsing ---------------------------------------------------------------------

@dataclass(frozen=True)
class _RawCandidate:
    candidate: Candidate
    table: Table
    row: int

    def location(self, fieldname: str | None = None) -> Location:
        return self.table.location(self.row, fieldname)


@dataclass
class _RawSite:
    """A site as read, with its candidates, before the checks across files."""

    draft: Site  # best effort, so that its schedule can still be checked
    valid: bool  # False when a required field could not be read
    declared_id: str | None
    file: str
    id_location: Location
    candidates: list[_RawCandidate] = field(default_factory=list)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders become their ``*.xlsx`` (sorted, without Excel's ``~$`` lock files)."""
    result: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise MissingInputError(_("{path} does not exist").format(path=path))
        if path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.suffix.lower() == ".xlsx" and not p.name.startswith("~$") and p.is_file())
            if not found:
                raise MissingInputError(_("{path} holds no .xlsx workbooks").format(path=path))
        else:
            found = [path]
        for p in found:
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                result.append(p)
    if not result:
        raise MissingInputError(_("no schedule workbooks given"))
    return result


def parse_schedule_files(paths: list[Path], settings: Settings) -> ParsedSchedules:
    """Read and validate every workbook; raise :class:`BadDataError` listing every problem found."""
    from openmosprom_cli.io.xlsx.reader import open_workbook

    files = expand_paths(paths)
    problems = ProblemCollector()
    hints: list[str] = []  # from a whole workbook refused, e.g. which limit to raise for a genuine big file
    sites: list[_RawSite] = []
    for path in files:
        try:
            with open_workbook(path, settings.limits) as book:
                sites.extend(_parse_workbook(book, path.name, problems))
        except BadDataError as exc:
            problems.problems.extend(exc.problems or [Problem(Location(path.name), exc.message)])
            if exc.hint and str(exc.hint) not in hints:
                hints.append(str(exc.hint))

    schedules = _assemble(sites, settings, problems)
    problems.raise_if_any(hint="; ".join(hints) or None, outcome=_("nothing was imported"))
    return ParsedSchedules(tuple(schedules), tuple(p.name for p in files), tuple(problems.warnings))


def _parse_workbook(book, file: str, problems: ProblemCollector) -> list[_RawSite]:
    names = book.sheet_names()
    site_sheet = find_sheet(book.sheets, SITE_SHEET_NAMES)
    sites_sheet = find_sheet(book.sheets, SITES_SHEET_NAMES)
    schedule_sheet = find_sheet(book.sheets, SCHEDULE_SHEET_NAMES)
    hidden = False
    for sheet in (site_sheet, sites_sheet, schedule_sheet):
        if sheet is not None:
            try:
                book.visible_sheet(sheet)
            except BadDataError as exc:
                problems.problems.extend(exc.problems)
                hidden = True
    if hidden:
        return []
    if site_sheet and sites_sheet:
        problems.add(Location(file), Msg("has both a {site} and a {sites} sheet; keep one layout",
                                         site=repr(SITE_SHEET), sites=repr(SITES_SHEET)))
        return []
    if not schedule_sheet or not (site_sheet or sites_sheet):
        listed = ", ".join(repr(n) for n in names) or Msg("none")
        problems.add(Location(file), Msg("is not a schedule workbook: expected the sheets {site} and {schedule} "
                                         "(one factory) or {sites} and {schedule} (all sites); its sheets are "
                                         "{listed}", site=repr(SITE_SHEET), schedule=repr(SCHEDULE_SHEET),
                                         sites=repr(SITES_SHEET), listed=listed))
        return []
    if site_sheet:
        site = _read_site_sheet(book, file, site_sheet, problems)
        table = _read(book, file, schedule_sheet, CANDIDATE_COLUMNS, problems)
        if table is not None:
            for record in table.records:
                _read_candidate(table, record, site, problems)
        return [site]

    assert sites_sheet is not None  # neither layout's sheet returned above
    sites_table = _read(book, file, sites_sheet, SITE_COLUMNS, problems)
    sites: list[_RawSite] = []
    if sites_table is not None:
        sites = [_build_site(record.values, partial(sites_table.location, record.row), problems, file)
                 for record in sites_table.records]
    table = _read(book, file, schedule_sheet, COMBINED_CANDIDATE_COLUMNS, problems)
    if table is None or sites_table is None:
        return sites
    local: dict[str, _RawSite] = {}
    for site in sites:
        if site.declared_id:
            local.setdefault(site.declared_id, site)
    for record in table.records:
        raw_id = record.get("site_id")
        declared = _declared_id(raw_id)
        owner = local.get(declared) if declared is not None else None
        if owner is not None:
            _read_candidate(table, record, owner, problems)
        elif raw_id is None:
            if not _is_skippable_date_row(record):
                problems.add(table.location(record.row, "site_id"), Msg("is empty"))
        else:
            problems.add(table.location(record.row, "site_id"),
                         Msg("{value} is not a site of the {sheet} sheet", value=describe(raw_id),
                             sheet=repr(sites_sheet)))
    return sites


def _read(book, file: str, sheet: str, columns, problems: ProblemCollector) -> Table | None:
    """The table of ``sheet``; unreadable cells and merged cells inside the data become problems."""
    try:
        table = read_table(book.rows(sheet, problems=problems.problems), columns, file=file, sheet=sheet,
                           hidden_columns=book.hidden_columns(sheet))
    except BadDataError as exc:
        problems.problems.extend(exc.problems or [Problem(Location(file, sheet), exc.message)])
        return None
    problems.problems.extend(book.merged_data_problems(sheet, table.header_row))
    problems.warnings.extend(table.warnings)
    return table


def _declared_id(value: object) -> str | None:
    """The site code as a key for matching rows, even when it is not a valid slug."""
    if is_blank(value):
        return None
    return normalize_header(describe(value) if isinstance(value, (int, float)) else value)


def _read_site_sheet(book, file: str, sheet: str, problems: ProblemCollector) -> _RawSite:
    lookup = {normalize_header(name): c.field for c in SITE_COLUMNS for name in (c.field, *c.names)}
    values: dict[str, object] = {}
    locations: dict[str, Location] = {}
    first_field_row: int | None = None  # merged cells from here on hide values
    for row, key, value in iter_field_pairs(book.rows(sheet, problems=problems.problems), book.hidden_columns(sheet)):
        normalized = normalize_header(key)
        if normalized in PAIR_HEADER_KEYS:
            first_field_row = first_field_row or row
            continue
        fieldname = lookup.get(normalized)
        if fieldname is not None:
            first_field_row = first_field_row or row
        label = str(key).strip()
        if fieldname is None:
            if not is_blank(value):
                problems.add(Location(file, sheet, row, label), Msg("is not a known field"))
            continue  # a title or a remark without a value
        if fieldname in values:
            problems.add(Location(file, sheet, row, label), Msg("appears twice (also row {row})",
                                                                row=locations[fieldname].row))
            continue
        values[fieldname] = value
        locations[fieldname] = Location(file, sheet, row, label)

    if first_field_row is not None:
        problems.problems.extend(book.merged_data_problems(sheet, first_field_row))

    def locate(fieldname: str) -> Location:
        return locations.get(fieldname) or Location(file, sheet, None, SITE_LABELS[fieldname])

    return _build_site(values, locate, problems, file)


def _build_site(values: dict[str, object], locate: Callable[[str], Location], problems: ProblemCollector,
                file: str) -> _RawSite:
    parsed: dict[str, object] = {}
    failed: set[str] = set()
    for fieldname, (parser, default) in SITE_PARSERS.items():
        raw = values.get(fieldname)
        parsed[fieldname] = default
        if is_blank(raw):
            continue
        try:
            parsed[fieldname] = parser(raw)
        except ValueProblem as exc:
            problems.add(locate(fieldname), exc.message)
            failed.add(fieldname)
    for fieldname in ("site_id", "name", "roster_emails"):
        if is_blank(values.get(fieldname)):
            where = locate(fieldname)
            problems.add(where, _required_field_problem(fieldname, "empty" if where.row is not None else "missing"))
            failed.add(fieldname)
        elif not parsed[fieldname] and fieldname not in failed:  # e.g. only separators: ";"
            problems.add(locate(fieldname), _required_field_problem(fieldname, "nothing"))
            failed.add(fieldname)
    declared = _declared_id(values.get("site_id"))
    # Each value is its field's parser's result or default (SITE_PARSERS), which mypy cannot tie to Site's fields.
    draft = Site(**{**parsed, "site_id": parsed["site_id"] or declared or "?"})  # type: ignore[arg-type]
    return _RawSite(draft, not failed, declared, file, locate("site_id"))


def _required_field_problem(fieldname: str, how: str) -> Msg:
    """A required site field that is empty, missing, or holds nothing (only separators)."""
    if fieldname == "roster_emails":  # the one whose reason is not plain
        if how == "empty":
            return Msg("is empty; the factory's visitor lists are sent there")
        if how == "missing":
            return Msg("is missing; the factory's visitor lists are sent there")
        return Msg("holds nothing; the factory's visitor lists are sent there")
    if how == "empty":
        return Msg("is empty")
    if how == "missing":
        return Msg("is missing")
    return Msg("holds nothing")


def _is_skippable_date_row(record: Record) -> bool:
    """A date the template pre-filled and the factory left without a start: a day it does not offer."""
    return all(record.get(f) is None for f in ("start", "duration_min", "capacity", "note", "pin", "exclude"))


def _read_candidate(table: Table, record: Record, site: _RawSite, problems: ProblemCollector) -> None:
    if record.get("start") is None:
        if not _is_skippable_date_row(record):
            problems.add(table.location(record.row, "start"), Msg("is empty; write the start time or clear the row"))
        return
    before = len(problems.problems)
    date = problems.parse(table, record, "date", parse_date, required=True)
    start = problems.parse(table, record, "start", parse_time, required=True)
    duration = problems.parse(table, record, "duration_min", parse_duration, site.draft.duration_min)
    capacity = problems.parse(table, record, "capacity", parse_capacity, required=True)
    note = problems.parse(table, record, "note", check_text, "")
    pin = problems.parse(table, record, "pin", parse_bool, False)
    exclude = problems.parse(table, record, "exclude", parse_bool, False)
    # A required field left None has noted its problem too; the checks for None are for the type checker.
    if len(problems.problems) > before or date is None or start is None or capacity is None:
        return
    if pin and exclude:
        problems.add(table.location(record.row, "exclude"), Msg("a tour cannot be both pinned and excluded"))
        return
    candidate = Candidate(site.draft.site_id, date, start, duration, capacity, note, pin, exclude)
    if candidate.ends_at.date() != candidate.date:
        problems.add(table.location(record.row, "duration_min" if record.get("duration_min") else "start"),
                     Msg("the tour starting at {start} would end after midnight", start=f"{start:%H:%M}"))
        return
    site.candidates.append(_RawCandidate(candidate, table, record.row))


def _assemble(raw_sites: list[_RawSite], settings: Settings, problems: ProblemCollector) -> list[SiteSchedule]:
    sites: dict[str, _RawSite] = {}
    for raw in raw_sites:
        if raw.declared_id is None:
            continue
        first = sites.get(raw.declared_id)
        if first is not None:
            where = first.file if first.file != raw.file else Msg("row {row}", row=first.id_location.row)
            problems.add(raw.id_location, Msg("the site {site} is already defined in {where}",
                                              site=repr(raw.declared_id), where=where))
            continue
        sites[raw.declared_id] = raw

    window = f"{settings.window_start:%d.%m.%Y}–{settings.window_end:%d.%m.%Y}"
    schedules = []
    for site_id in sorted(sites):
        raw_site = sites[site_id]
        inside = []
        for offered in raw_site.candidates:
            day = offered.candidate.date
            if settings.window_start <= day <= settings.window_end:
                inside.append(offered)
            else:
                problems.add(offered.location("date"), Msg("{day} is outside the season window {window}",
                                                           day=f"{day:%d.%m.%Y}", window=window))
        _check_overlaps(inside, problems)
        if raw_site.valid:
            candidates = tuple(sorted((r.candidate for r in inside), key=lambda c: (c.date, c.start)))
            schedules.append(SiteSchedule(raw_site.draft, candidates, raw_site.file))
    return schedules


def _check_overlaps(rows: list[_RawCandidate], problems: ProblemCollector) -> None:
    """Report each tour that overlaps an earlier one of the same site (a sweep, so big files stay quick)."""
    ordered = sorted(rows, key=lambda r: (r.candidate.starts_at, r.table.file, r.row))
    latest: _RawCandidate | None = None  # the tour seen so far that ends last
    for raw in ordered:
        c = raw.candidate
        if latest is not None and c.overlaps(latest.candidate):
            other = latest.candidate
            where = Msg("row {row}", row=latest.row) if latest.table is raw.table else latest.location()
            if (c.date, c.start) == (other.date, other.start):
                message = Msg("the tour {tour} appears twice (also {where})", tour=c.tour_id, where=where)
            else:
                message = Msg("{time} on {day} overlaps the tour {other} ({where})",
                              time=f"{c.start:%H:%M}–{c.ends_at:%H:%M}", day=f"{c.date:%d.%m.%Y}",
                              other=f"{other.start:%H:%M}–{other.ends_at:%H:%M}", where=where)
            problems.add(raw.location("start"), message)
        if latest is None or c.ends_at > latest.candidate.ends_at:
            latest = raw
