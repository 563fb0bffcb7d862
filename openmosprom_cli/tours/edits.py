"""``slots import``: the organizer's edits of the tour list, taken back from an edited export.

A row may change a tour's date, start, duration and capacity; a row with no ID
but a site, a date, a start and a size adds a late tour. Every change goes
through :mod:`openmosprom_cli.changes.tours`, so no seat is lost silently:

- a moved tour keeps its ID, and its visitors their seats;
- a capacity cut below the seats taken frees the lowest-priority parties' seats;
- a deleted row removes its tour, but only before publication. After it, a
  tour missing from the file is only a warning, since a filtered or one-site
  file must never unseat anyone: ``slots cancel`` cancels a tour.

Site details (address, age limit, passports, citizenship, notes) come from the
factories' workbooks: edits there are reported as not taken. Every problem is reported at
once, and nothing changes unless the whole file is good.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from openmosprom_cli.allocation.current import current_allocation
from openmosprom_cli.changes.seats import SeatChange, require_reason
from openmosprom_cli.changes.tours import add_late_tour, cancel, change_capacity, change_time
from openmosprom_cli.errors import Location, MissingInputError
from openmosprom_cli.i18n import Msg, _
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
from openmosprom_cli.models import Site, Tour
from openmosprom_cli.season.clock import now_iso
from openmosprom_cli.season.folder import Season
from openmosprom_cli.settings import Settings
from openmosprom_cli.store.changes import is_published
from openmosprom_cli.store.meta import set_meta
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours
from openmosprom_cli.tours.exchange import EXPORT_SHEET, export_note

# Only the tour's own columns are taken back; address, age, passport, citizenship and notes come from the
# factories' workbooks.
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
    Column("citizens_only", ("Только граждане РФ", "citizens_only")),
    Column("note", ("Примечание", "note")),
)


@dataclass(frozen=True)
class TourImportReport:
    removed: tuple[str, ...]                    # tours whose rows were deleted (before publication only)
    retimed: tuple[tuple[str, str], ...]        # (ID, what changed) of tours given another date, start or duration
    changed: tuple[tuple[str, str], ...]        # (ID, what changed) of capacities
    added: tuple[str, ...]                      # late tours, by their new IDs
    unchanged: int
    total: int                                  # tours after the import
    seats_freed: tuple[SeatChange, ...] = ()    # by removed tours and cut capacities
    missing: tuple[str, ...] = ()               # after publication: tours not in the file, which stay
    ignored: tuple[str, ...] = ()               # edits of site details, which only the factories' workbooks change
    warnings: tuple[str, ...] = ()              # about the file itself, e.g. columns that are not read

    @property
    def has_changes(self) -> bool:
        return bool(self.removed or self.retimed or self.changed or self.added)


@dataclass(frozen=True)
class _Row:
    row: int
    tour_id: str | None          # None: a late tour
    tour: Tour


def import_tours(season: Season, path: Path, *, reason: str | None = None,
                 encoding: str | None = None) -> TourImportReport:
    path = Path(path)
    table = read_file_table(path, IMPORT_COLUMNS, season.settings.limits, sheet_names=(EXPORT_SHEET,),
                            encoding=encoding)
    with season.transaction() as conn:
        current = {t.tour_id: t for t in load_tours(conn)}
        if not current:
            raise MissingInputError(_("the season has no tours yet"),
                                    hint=_("Generate them first: openmosprom slots generate"))
        sites = load_sites(conn)
        published = is_published(conn)
        rows = _validated(table, current, sites, season.settings, keep_missing=published)
        named = {r.tour_id for r in rows if r.tour_id is not None}
        missing = tuple(sorted(set(current) - named))
        allocation = current_allocation(conn)
        seated = {p.tour_id for p in allocation.placements} if allocation else set()
        frees_seats = (any(t in seated for t in missing) and not published) or any(
            r.tour_id in seated and r.tour.capacity < current[r.tour_id].capacity for r in rows if r.tour_id)
        why = (require_reason(reason, Msg("seats are taken away")) if frees_seats and published
               else " ".join((reason or "").split()) or _("the tour list was edited ({file})").format(file=path.name))

        retimed: list[tuple[str, str]] = []
        changed: list[tuple[str, str]] = []
        added: list[str] = []
        removed: list[str] = []
        freed: list[SeatChange] = []
        unchanged = 0
        for r in rows:
            if r.tour_id is None:
                added.append(add_late_tour(conn, allocation, r.tour, reason=why).tour_id)
                continue
            old = current[r.tour_id]
            when = _describe_time(old, r.tour)
            if when:
                change_time(conn, allocation, old, r.tour, reason=why)
                retimed.append((r.tour_id, when))
            if old.capacity != r.tour.capacity:
                freed += change_capacity(conn, allocation, replace(r.tour, capacity=old.capacity), r.tour.capacity,
                                         reason=why)
                changed.append((r.tour_id, Msg("capacity {old} → {new}", old=old.capacity, new=r.tour.capacity)))
            if not when and old.capacity == r.tour.capacity:
                unchanged += 1
        if not published:
            for tour_id in missing:
                freed += cancel(conn, allocation, current[tour_id], reason=why)
                removed.append(tour_id)
        report = TourImportReport(
            tuple(removed), tuple(retimed), tuple(changed), tuple(added), unchanged,
            len(current) - len(removed) + len(added), tuple(freed), missing if published else (),
            _ignored_site_edits(table, current, sites), table.warnings)
        if report.has_changes:
            set_meta(conn, "tours_imported_at", now_iso())
            set_meta(conn, "tours_imported_from", path.name)
    return report


def _describe_time(old: Tour, new: Tour) -> str:
    parts = []
    if old.date != new.date:
        parts.append(Msg("date {old} → {new}", old=f"{old.date:%d.%m.%Y}", new=f"{new.date:%d.%m.%Y}"))
    if old.start != new.start:
        parts.append(Msg("start {old} → {new}", old=f"{old.start:%H:%M}", new=f"{new.start:%H:%M}"))
    if old.duration_min != new.duration_min:
        parts.append(Msg("duration {old} → {new} min", old=old.duration_min, new=new.duration_min))
    return ", ".join(parts)


def _validated(table: Table, current: Mapping[str, Tour], sites: Mapping[str, Site], settings: Settings, *,
               keep_missing: bool) -> list[_Row]:
    """Every row as the tour it describes, or :class:`BadDataError` listing every problem."""
    problems = ProblemCollector()
    site_by_name: dict[str, set[str]] = defaultdict(set)
    for site in sites.values():
        site_by_name[normalize_header(site.site_id)].add(site.site_id)
        site_by_name[normalize_header(site.name)].add(site.site_id)
    window = f"{settings.window_start:%d.%m.%Y}–{settings.window_end:%d.%m.%Y}"
    first_row: dict[str, int] = {}
    rows: list[_Row] = []
    for record in table.records:
        # Each field is its parser's type, or None where it was empty or wrong.
        tour_id = problems.parse(table, record, "tour_id", check_text)
        day = problems.parse(table, record, "date", parse_date, required=True)
        start = problems.parse(table, record, "start", parse_time, required=True)
        duration = problems.parse(table, record, "duration_min", lambda v: parse_int(v, minimum=1))
        capacity = problems.parse(table, record, "capacity", lambda v: parse_int(v, minimum=1), required=True)
        site_text = problems.parse(table, record, "site", check_text)
        if day is not None:
            if not settings.window_start <= day <= settings.window_end:
                problems.add(table.location(record.row, "date"),
                             Msg("{day} is outside the season window {window}", day=f"{day:%d.%m.%Y}", window=window))
            elif day in settings.blackout_dates:
                problems.add(table.location(record.row, "date"), Msg("{day} is a blackout date", day=f"{day:%d.%m.%Y}"))
        matches = site_by_name.get(normalize_header(site_text), set()) if site_text else set()
        if site_text and not matches:
            problems.add(table.location(record.row, "site"), Msg("{site} is not a site of this season",
                                                                 site=repr(site_text)))
        if not tour_id:
            # A row without an ID is a late tour: its site must be known.
            if not site_text:
                problems.add(table.location(record.row, "tour_id"),
                             Msg("is empty; a new tour needs its site in «Площадка»"))
            elif len(matches) == 1 and day is not None and start is not None and capacity is not None:
                (site_id,) = matches
                rows.append(_Row(record.row, None, Tour("", site_id, day, start,
                                                        duration or sites[site_id].duration_min, capacity)))
            continue
        if tour_id in first_row:
            problems.add(table.location(record.row, "tour_id"),
                         Msg("{value} appears twice (also row {row})", value=repr(tour_id), row=first_row[tour_id]))
            continue
        first_row[tour_id] = record.row
        old = current.get(tour_id)
        if old is None:
            problems.add(table.location(record.row, "tour_id"),
                         Msg("{tour} is not a tour of this season; keep the IDs as exported "
                             "(for a new tour, leave the ID empty and fill in «Площадка»)", tour=repr(tour_id)))
            continue
        if matches and old.site_id not in matches:
            problems.add(table.location(record.row, "site"),
                         Msg("{tour} belongs to {site}; a tour cannot move to another site", tour=tour_id,
                             site=old.site_id))
        if day is None or start is None or capacity is None:
            continue
        rows.append(_Row(record.row, tour_id, Tour(tour_id, old.site_id, day, start, duration or old.duration_min,
                                                   capacity, old.note)))
    _check_overlaps(rows, current, problems, table, keep_missing=keep_missing)
    if not table.records:
        problems.add(Location(table.file, table.sheet), Msg("has no tour rows; to remove every tour, regenerate them"))
    problems.raise_if_any(table.file)
    return rows


def _check_overlaps(rows: list[_Row], current: Mapping[str, Tour], problems: ProblemCollector, table: Table, *,
                    keep_missing: bool) -> None:
    """Tours of one site must not overlap, as they will stand after the import (with the tours the file leaves
    out, when those stay)."""
    named = {r.tour_id for r in rows}
    by_site: dict[str, list[tuple[int | None, Tour]]] = defaultdict(list)
    for r in rows:
        by_site[r.tour.site_id].append((r.row, r.tour))
    if keep_missing:
        for tour_id, tour in current.items():
            if tour_id not in named:
                by_site[tour.site_id].append((None, tour))
    for group in by_site.values():
        group.sort(key=lambda item: (item[1].starts_at, item[0] or 0))
        latest_row, latest = group[0]
        for row, tour in group[1:]:
            if tour.starts_at < latest.ends_at:
                other = Msg("the tour in row {row}", row=latest_row) if latest_row else latest.tour_id
                where = table.location(row, "start") if row else table.location(latest_row or 0, "start")
                problems.add(where, Msg("{when} overlaps {other} ({start}, {duration} min) at the same site",
                                        when=f"{tour.date:%d.%m.%Y} {tour.start:%H:%M}", other=other,
                                        start=f"{latest.start:%H:%M}", duration=latest.duration_min))
            if tour.ends_at > latest.ends_at:
                latest_row, latest = row, tour


def _ignored_site_edits(table: Table, current: Mapping[str, Tour], sites: Mapping[str, Site]) -> tuple[str, ...]:
    """Where the file's address, age, passport, citizenship or note column differs from what was exported: said,
    not taken."""
    readers: dict[str, Callable[[object], object]] = {
        "address": check_text, "min_age": parse_int, "passport_required": parse_bool, "citizens_only": parse_bool,
        "note": check_text}
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
            exported = export_note(tour, site) if fieldname == "note" else getattr(site, fieldname)
            if value != exported:
                notes.append(Msg("{where}: not taken; site details come from the factory's workbook (change it there, "
                                 "then `openmosprom schedules import`)", where=table.location(record.row, fieldname)))
    return tuple(notes)
