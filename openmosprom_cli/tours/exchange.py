"""The season's tours as a file: exported for publishing in the VK mini-app, and taken back once edited.

The export is what gets published, so it is in Russian. It goes through the
one table writer: its CSV form uses ``;`` between cells and UTF-8 with a BOM,
which is what Excel with Russian regional settings opens directly (``,`` is the
decimal separator there). The import reads any table the one table reader
accepts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from openmosprom_cli.errors import CannotCreateError, Location, MissingInputError
from openmosprom_cli.io.reader import read_file_table
from openmosprom_cli.io.tables import Column, ProblemCollector, Table
from openmosprom_cli.io.values import (
    ValueProblem,
    check_text,
    is_blank,
    normalize_header,
    parse_bool,
    parse_date,
    parse_int,
    parse_time,
)
from openmosprom_cli.io.writer import Column as WriterColumn
from openmosprom_cli.io.writer import Sheet, write_table
from openmosprom_cli.models import Site, Tour, make_tour_id
from openmosprom_cli.season.folder import Season, now_iso
from openmosprom_cli.settings import Settings
from openmosprom_cli.store.meta import set_meta
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours, replace_tours
from openmosprom_cli.tours.generate import refuse_if_allocated

EXPORT_SHEET = "Экскурсии"
EXPORT_HEADERS = ("ID экскурсии", "Площадка", "Дата", "Начало", "Длительность, мин", "Размер группы", "Адрес",
                  "Минимальный возраст", "Паспорт обязателен", "Примечание")
EXPORT_COLUMNS = tuple(WriterColumn(h, yes_no=h == "Паспорт обязателен") for h in EXPORT_HEADERS)

# Only the tour's own columns are taken back; address, age, passport and notes come from the factories' workbooks.
IMPORT_COLUMNS = (
    Column("tour_id", ("ID экскурсии", "tour_id", "tour id", "ID"), required=True),
    Column("site", ("Площадка", "site", "Код площадки", "site_id")),
    Column("date", ("Дата", "date"), required=True),
    Column("start", ("Начало", "start"), required=True),
    Column("duration_min", ("Длительность, мин", "Длительность", "duration_min", "duration")),
    Column("capacity", ("Размер группы", "capacity"), required=True),
    # Read only to warn that edits there are not taken: they belong in the factory's workbook.
    Column("address", ("Адрес", "address")),
    Column("min_age", ("Минимальный возраст", "min_age")),
    Column("passport_required", ("Паспорт обязателен", "passport_required")),
    Column("note", ("Примечание", "note")),
)


def export_tours(season: Season, out: Path) -> Path:
    """Write the tours for publishing and editing: ``.xlsx``, or ``.csv`` (``;``-separated, UTF-8 with BOM)."""
    out = Path(out)
    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise CannotCreateError(f"cannot write {out.name}: the export must end in .xlsx or .csv")
    with season.reader() as conn:
        tours = load_tours(conn)
        sites = load_sites(conn)
    if not tours:
        raise MissingInputError("the season has no tours yet", hint="Generate them first: openmosprom slots generate")
    rows = (_export_row(t, sites[t.site_id]) for t in tours)
    # Published for everyone: no personal data, so the file follows the umask.
    return write_table(out, Sheet(EXPORT_SHEET, EXPORT_COLUMNS, rows, print_ready=True), private=False)


def _export_note(tour: Tour, site: Site) -> str:
    return "; ".join(part for part in (tour.note, site.notes) if part)


def _export_row(tour: Tour, site: Site) -> tuple:
    note = _export_note(tour, site)
    return (tour.tour_id, site.name or site.site_id, tour.date, tour.start, tour.duration_min, tour.capacity,
            site.address, site.min_age, site.passport_required, note)


# -- import ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TourImportReport:
    removed: tuple[str, ...]  # IDs of tours whose rows were deleted
    moved: tuple[tuple[str, str], ...]  # (old ID, new ID) of tours given another date or start
    changed: tuple[tuple[str, str], ...]  # (ID, what changed) for capacity and duration, moved tours included
    unchanged: int
    total: int  # tours after the import
    ignored: tuple[str, ...] = ()  # edits of site details, which only the factories' workbooks change
    warnings: tuple[str, ...] = ()  # about the file itself, e.g. columns that are not read

    @property
    def has_changes(self) -> bool:
        return bool(self.removed or self.moved or self.changed)


def import_tours(season: Season, path: Path, *, force: bool = False, encoding: str | None = None) -> TourImportReport:
    """Take an edited export back: deleted rows remove tours; capacity, duration, date and start may change.

    Every problem is reported at once and nothing changes unless the whole file is good.
    """
    path = Path(path)
    table = read_file_table(path, IMPORT_COLUMNS, season.settings.limits, sheet_names=(EXPORT_SHEET,),
                            encoding=encoding)
    with season.transaction() as conn:
        current = {t.tour_id: t for t in load_tours(conn)}
        if not current:
            raise MissingInputError("the season has no tours yet",
                                    hint="Generate them first: openmosprom slots generate")
        sites = load_sites(conn)
        edited = _validated_edits(table, current, sites, season.settings)
        kept_ids = {old_id for old_id, _ in edited}
        removed = tuple(sorted(set(current) - kept_ids))
        moved, changed, unchanged = [], [], 0
        for old_id, new in edited:
            old = current[old_id]
            if new.tour_id != old_id:
                moved.append((old_id, new.tour_id))
            differences = _describe_changes(old, new)
            if differences:
                changed.append((new.tour_id, differences))
            elif new.tour_id == old_id:
                unchanged += 1
        report = TourImportReport(removed, tuple(moved), tuple(changed), unchanged, len(edited),
                                  _ignored_site_edits(table, current, sites), table.warnings)
        if report.has_changes:
            refuse_if_allocated(conn, force, "changing the tours")
            replace_tours(conn, [new for _, new in edited])
            set_meta(conn, "tours_imported_at", now_iso())
            set_meta(conn, "tours_imported_from", path.name)
    return report


def _ignored_site_edits(table: Table, current: Mapping[str, Tour], sites: Mapping[str, Site]) -> tuple[str, ...]:
    """Where the file's address, age, passport or note column differs from what was exported: said, not taken."""
    readers: dict[str, Callable[[object], object]] = {
        "address": check_text, "min_age": parse_int, "passport_required": parse_bool, "note": check_text}
    notes = []
    for record in table.records:
        tour = current.get(str(record.values.get("tour_id") or "").strip())
        site = sites.get(tour.site_id) if tour else None
        if tour is None or site is None:
            continue
        for fieldname, read in readers.items():
            if fieldname not in table.headers or is_blank(record.values.get(fieldname)):
                continue
            try:
                value = read(record.values[fieldname])
            except ValueProblem:
                value = record.values[fieldname]
            exported = _export_note(tour, site) if fieldname == "note" else getattr(site, fieldname)
            if value != exported:
                notes.append(f"{table.location(record.row, fieldname)}: not taken; site details come from "
                             f"the factory's workbook (change it there, then `openmosprom schedules import`)")
    return tuple(notes)


def _describe_changes(old: Tour, new: Tour) -> str:
    parts = []
    if old.date != new.date:
        parts.append(f"date {old.date:%d.%m.%Y} → {new.date:%d.%m.%Y}")
    if old.start != new.start:
        parts.append(f"start {old.start:%H:%M} → {new.start:%H:%M}")
    if old.duration_min != new.duration_min:
        parts.append(f"duration {old.duration_min} → {new.duration_min} min")
    if old.capacity != new.capacity:
        parts.append(f"capacity {old.capacity} → {new.capacity}")
    return ", ".join(parts)


def _validated_edits(table: Table, current: Mapping[str, Tour], sites: Mapping[str, Site],
                     settings: Settings) -> list[tuple[str, Tour]]:
    """``(old ID, tour as edited)`` for every row, or :class:`BadDataError` listing every problem."""
    problems = ProblemCollector()
    site_by_name: dict[str, set[str]] = defaultdict(set)
    for site in sites.values():
        site_by_name[normalize_header(site.site_id)].add(site.site_id)
        site_by_name[normalize_header(site.name)].add(site.site_id)
    window = f"{settings.window_start:%d.%m.%Y}–{settings.window_end:%d.%m.%Y}"
    first_row: dict[str, int] = {}
    edited: list[tuple[int, str, Tour]] = []
    for record in table.records:
        # Each field is its parser's type, or None where it was empty or wrong.
        tour_id = cast("str | None", problems.parse(table, record, "tour_id", check_text, required=True))
        day = cast("dt.date | None", problems.parse(table, record, "date", parse_date, required=True))
        start = cast("dt.time | None", problems.parse(table, record, "start", parse_time, required=True))
        duration = cast("int | None", problems.parse(table, record, "duration_min",
                                                      lambda v: parse_int(v, minimum=1)))
        capacity = cast("int | None", problems.parse(table, record, "capacity", lambda v: parse_int(v, minimum=1),
                                                      required=True))
        site_text = cast("str | None", problems.parse(table, record, "site", check_text))
        if day is not None:
            if not settings.window_start <= day <= settings.window_end:
                problems.add(table.location(record.row, "date"),
                             f"{day:%d.%m.%Y} is outside the season window {window}")
            elif day in settings.blackout_dates:
                problems.add(table.location(record.row, "date"), f"{day:%d.%m.%Y} is a blackout date")
        if not tour_id:
            continue
        if tour_id in first_row:
            problems.add(table.location(record.row, "tour_id"),
                         f"{tour_id!r} appears twice (also row {first_row[tour_id]})")
            continue
        first_row[tour_id] = record.row
        old = current.get(tour_id)
        if old is None:
            problems.add(table.location(record.row, "tour_id"),
                         f"{tour_id!r} is not a tour of this season; keep the IDs as exported "
                         "(new tours come from the factories' schedules)")
            continue
        if site_text:
            matches = site_by_name.get(normalize_header(site_text), set())
            if not matches:
                problems.add(table.location(record.row, "site"), f"{site_text!r} is not a site of this season")
            elif old.site_id not in matches:
                problems.add(table.location(record.row, "site"),
                             f"{tour_id} belongs to {old.site_id}; a tour cannot move to another site")
        if day is None or start is None or capacity is None:
            continue
        duration = duration or old.duration_min
        new = Tour(make_tour_id(old.site_id, day, start), old.site_id, day, start, duration, capacity, old.note)
        edited.append((record.row, tour_id, new))

    by_site: dict[str, list[tuple[int, Tour]]] = defaultdict(list)
    for row, _, tour in edited:
        by_site[tour.site_id].append((row, tour))
    for group in by_site.values():
        group.sort(key=lambda item: (item[1].starts_at, item[0]))
        latest_row, latest = group[0]
        for row, tour in group[1:]:
            if tour.starts_at < latest.ends_at:
                problems.add(table.location(row, "start"),
                             f"{tour.date:%d.%m.%Y} {tour.start:%H:%M} overlaps the tour in row {latest_row} "
                             f"({latest.start:%H:%M}, {latest.duration_min} min) at the same site")
            if tour.ends_at > latest.ends_at:
                latest_row, latest = row, tour
    if not table.records:
        problems.add(Location(table.file, table.sheet), "has no tour rows; to remove every tour, regenerate them")
    problems.raise_if_any(table.file)
    return [(old_id, tour) for _, old_id, tour in edited]
