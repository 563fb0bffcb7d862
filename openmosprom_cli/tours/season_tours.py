"""The season's tours: generating and storing them, listing, exporting, and taking an edited export back.

The export is what gets published in the VK mini-app, so it is in Russian.
Its CSV form uses ``;`` between cells and UTF-8 with a BOM: that is what
Excel with Russian regional settings opens directly (``,`` is the decimal
separator there). Import accepts ``;``, ``,`` or tab, in UTF-8 or Windows-1251.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.errors import (
    BadDataError,
    CannotCreateError,
    Location,
    MissingInputError,
    Problem,
)
from openmosprom_cli.io.files import atomic_write_bytes
from openmosprom_cli.io.tables import Column, ProblemCollector, Table, read_table
from openmosprom_cli.io.values import (
    ValueProblem,
    check_text,
    is_blank,
    normalize_header,
    parse_bool,
    parse_date,
    parse_int,
    parse_number,
    parse_time,
)
from openmosprom_cli.models import Site, Tour, make_tour_id
from openmosprom_cli.season.folder import Season, now_iso
from openmosprom_cli.settings import Limits, Settings
from openmosprom_cli.store.meta import get_meta, set_meta
from openmosprom_cli.store.sites import load_candidates, load_sites
from openmosprom_cli.store.tours import load_tours, replace_tours
from openmosprom_cli.tours.generation import (
    GenerationParams,
    GenerationResult,
    generate_tours,
)

EXPORT_SHEET = "Экскурсии"
EXPORT_HEADERS = ("ID экскурсии", "Площадка", "Дата", "Начало", "Длительность, мин", "Размер группы", "Адрес",
                  "Минимальный возраст", "Паспорт обязателен", "Примечание")
CSV_DELIMITER = ";"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

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
)
WEIGHT_COLUMNS = (
    Column("site_id", ("Код площадки", "site_id", "Код", "site"), required=True),
    Column("weight", ("Вес", "weight"), required=True),
)


# -- generating --------------------------------------------------------------------------------

@dataclass(frozen=True)
class GenerationReport:
    result: GenerationResult
    params: GenerationParams
    sites: Mapping[str, Site]
    replaced: int  # how many tours the season had before
    warnings: tuple[str, ...]  # the generation's warnings, and any about earlier allocations


def generate_season_tours(season: Season, *, tours: int | None = None, date_from: dt.date | None = None,
                          date_to: dt.date | None = None, min_per_site: int | None = None, seed: int | None = None,
                          weights_file: Path | None = None, allow_fewer: bool = False,
                          force: bool = False) -> GenerationReport:
    """Choose the season's tours from the candidates and store them, replacing earlier ones, in one transaction.

    Settings come from season.toml unless given here. Refuses when an
    allocation exists (new tours would invalidate it) unless ``force``.
    """
    s = season.settings
    with season.transaction() as conn:
        sites = load_sites(conn)
        weights = read_weights(Path(weights_file), sites, s.limits) if weights_file is not None else None
        params = GenerationParams(
            tours=s.tours if tours is None else tours,
            window_start=date_from or s.window_start,
            window_end=date_to or s.window_end,
            min_per_site=s.min_per_site if min_per_site is None else min_per_site,
            daily_limit=s.max_tours_per_day,
            blackout_dates=frozenset(s.blackout_dates),
            seed=s.slots_seed if seed is None else seed,
            weights=weights,
            allow_fewer=allow_fewer,
        )
        warnings = _refuse_if_allocated(conn, force, "regenerating the tours")
        candidates = load_candidates(conn)
        if not candidates:
            raise MissingInputError("the season has no candidate tours yet",
                                    hint="Import the factories' schedules first: openmosprom schedules import FOLDER")
        result = generate_tours(sites, candidates, params)
        replaced = len(load_tours(conn))
        replace_tours(conn, result.tours)
        set_meta(conn, "tours_generated_at", now_iso())
        set_meta(conn, "tours_generation", json.dumps(_params_record(params), ensure_ascii=False))
    return GenerationReport(result, params, sites, replaced, (*result.warnings, *warnings))


def _params_record(params: GenerationParams) -> dict:
    """What the generation used, stored so that anyone can repeat it."""
    return {
        "tours": params.tours, "from": params.window_start.isoformat(), "to": params.window_end.isoformat(),
        "min_per_site": params.min_per_site, "daily_limit": params.daily_limit,
        "blackout_dates": sorted(d.isoformat() for d in params.blackout_dates), "seed": params.seed,
        "weights": dict(sorted(params.weights.items())) if params.weights is not None else None,
        "allow_fewer": params.allow_fewer,
    }


def _refuse_if_allocated(conn, force: bool, action: str) -> tuple[str, ...]:
    runs = conn.execute("SELECT count(*) FROM allocation_runs").fetchone()[0]
    if not runs:
        return ()
    if not force:
        # The command's input conflicts with the season's state; nothing is written.
        raise BadDataError(
            f"the season already has {runs} allocation run(s); {action} would invalidate them",
            hint="Pass --force to go ahead, then run the allocation again.")
    return (f"the existing allocation ({runs} run(s)) was made with the previous tours; run the allocation again",)


def read_weights(path: Path, sites: Mapping[str, Site], limits: Limits) -> dict[str, float]:
    """A ``site_id, weight`` table (.csv or .xlsx) naming every site of the season; every problem at once."""
    table = _read_file_table(path, WEIGHT_COLUMNS, limits, preferred_sheet=None)
    problems = ProblemCollector()
    weights: dict[str, float] = {}
    first_row: dict[str, int] = {}
    for record in table.records:
        site_id = problems.parse(table, record, "site_id", check_text, required=True)
        weight = problems.parse(table, record, "weight", lambda v: parse_number(v, minimum=0), required=True)
        if not site_id:
            continue
        if site_id not in sites:
            problems.add(table.location(record.row, "site_id"), f"{site_id!r} is not a site of this season")
        elif site_id in first_row:
            problems.add(table.location(record.row, "site_id"), f"{site_id!r} appears twice (also row {first_row[site_id]})")
        else:
            first_row[site_id] = record.row
            if weight is not None:
                weights[site_id] = weight
    missing = [s for s in sorted(sites) if s not in first_row]
    if missing:
        problems.add(Location(path.name, table.sheet), f"no weight for the site(s) {', '.join(missing)}")
    problems.raise_if_any(path.name)
    return weights


# -- listing -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class TourListing:
    tours: tuple[Tour, ...]  # ordered by date, start, site
    sites: Mapping[str, Site]
    per_site: Mapping[str, int]  # every site, including those without tours
    per_day: Mapping[dt.date, int]  # every open day of the window, and any other day that has tours
    generated_at: str | None


def list_tours(season: Season) -> TourListing:
    with season.reader() as conn:
        tours = tuple(load_tours(conn))
        sites = load_sites(conn)
        generated_at = get_meta(conn, "tours_generated_at")
    return TourListing(tours, sites, *_counts(tours, sites, season.settings), generated_at)


def _counts(tours, sites, settings: Settings) -> tuple[dict[str, int], dict[dt.date, int]]:
    per_site = dict.fromkeys(sorted(sites), 0)
    days = {settings.window_start + dt.timedelta(days=i)
            for i in range((settings.window_end - settings.window_start).days + 1)}
    days -= set(settings.blackout_dates)
    days |= {t.date for t in tours}
    per_day = dict.fromkeys(sorted(days), 0)
    for t in tours:
        per_site[t.site_id] += 1
        per_day[t.date] += 1
    return per_site, per_day


# -- export --------------------------------------------------------------------------------------

def export_tours(season: Season, out: Path) -> Path:
    """Write the tours for publishing and editing: ``.xlsx``, or ``.csv`` (``;``-separated, UTF-8 with BOM)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise CannotCreateError(f"cannot write {out.name}: the export must end in .xlsx or .csv")
    with season.reader() as conn:
        tours = load_tours(conn)
        sites = load_sites(conn)
    if not tours:
        raise MissingInputError("the season has no tours yet", hint="Generate them first: openmosprom slots generate")
    rows = [_export_row(t, sites[t.site_id]) for t in tours]
    if suffix == ".xlsx":
        _write_xlsx(out, rows)
    else:
        _write_csv(out, rows)
    return out


def _export_row(tour: Tour, site: Site) -> tuple:
    note = "; ".join(part for part in (tour.note, site.notes) if part)
    return (tour.tour_id, site.name or site.site_id, tour.date, tour.start, tour.duration_min, tour.capacity,
            site.address, site.min_age, "да" if site.passport_required else "нет", note)


_TEXT_COLUMNS = {0, 1, 6, 8, 9}


def _write_xlsx(out: Path, rows: list[tuple]) -> None:
    from openmosprom_cli.io.xlsx_out import (
        fit_columns,
        new_workbook,
        print_ready,
        save_workbook,
        text_cell,
        value_cell,
        write_header,
    )

    wb = new_workbook()
    ws = wb.create_sheet(EXPORT_SHEET)
    write_header(ws, 1, EXPORT_HEADERS)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            if c - 1 in _TEXT_COLUMNS:
                text_cell(ws, r, c, value)
            else:
                value_cell(ws, r, c, value)
    fit_columns(ws)
    print_ready(ws, header_row=1)
    save_workbook(wb, out)


def _csv_text(value: object) -> str:
    """A cell as text that no spreadsheet will run as a formula."""
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _write_csv(out: Path, rows: list[tuple]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADERS)
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
    atomic_write_bytes(out, buffer.getvalue().encode("utf-8-sig"))


# -- import ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TourImportReport:
    removed: tuple[str, ...]  # IDs of tours whose rows were deleted
    moved: tuple[tuple[str, str], ...]  # (old ID, new ID) of tours given another date or start
    changed: tuple[tuple[str, str], ...]  # (ID, what changed) for capacity and duration, moved tours included
    unchanged: int
    total: int  # tours after the import
    ignored: tuple[str, ...] = ()  # edits of site details, which only the factories' workbooks change

    @property
    def has_changes(self) -> bool:
        return bool(self.removed or self.moved or self.changed)


def import_tours(season: Season, path: Path, *, force: bool = False) -> TourImportReport:
    """Take an edited export back: deleted rows remove tours; capacity, duration, date and start may change.

    Every problem is reported at once and nothing changes unless the whole file is good.
    """
    path = Path(path)
    table = _read_file_table(path, IMPORT_COLUMNS, season.settings.limits, preferred_sheet=EXPORT_SHEET)
    with season.transaction() as conn:
        current = {t.tour_id: t for t in load_tours(conn)}
        if not current:
            raise MissingInputError("the season has no tours yet", hint="Generate them first: openmosprom slots generate")
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
                                  _ignored_site_edits(table, current, sites))
        if report.has_changes:
            _refuse_if_allocated(conn, force, "changing the tours")
            replace_tours(conn, [new for _, new in edited])
            set_meta(conn, "tours_imported_at", now_iso())
            set_meta(conn, "tours_imported_from", path.name)
    return report


def _ignored_site_edits(table: Table, current: Mapping[str, Tour], sites: Mapping[str, Site]) -> tuple[str, ...]:
    """Where the file's address, age or passport column differs from the site: said, not taken."""
    readers = {"address": check_text, "min_age": parse_int, "passport_required": parse_bool}
    notes = []
    for record in table.records:
        tour = current.get(str(record.values.get("tour_id") or "").strip())
        site = sites.get(tour.site_id) if tour else None
        if site is None:
            continue
        for fieldname, read in readers.items():
            if fieldname not in table.headers or is_blank(record.values.get(fieldname)):
                continue
            try:
                value = read(record.values[fieldname])
            except ValueProblem:
                value = record.values[fieldname]
            if value != getattr(site, fieldname):
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
        tour_id = problems.parse(table, record, "tour_id", check_text, required=True)
        day = problems.parse(table, record, "date", parse_date, required=True)
        start = problems.parse(table, record, "start", parse_time, required=True)
        duration = problems.parse(table, record, "duration_min", lambda v: parse_int(v, minimum=1))
        capacity = problems.parse(table, record, "capacity", lambda v: parse_int(v, minimum=1), required=True)
        site_text = problems.parse(table, record, "site", check_text)
        if day is not None:
            if not settings.window_start <= day <= settings.window_end:
                problems.add(table.location(record.row, "date"), f"{day:%d.%m.%Y} is outside the season window {window}")
            elif day in settings.blackout_dates:
                problems.add(table.location(record.row, "date"), f"{day:%d.%m.%Y} is a blackout date")
        if not tour_id:
            continue
        if tour_id in first_row:
            problems.add(table.location(record.row, "tour_id"), f"{tour_id!r} appears twice (also row {first_row[tour_id]})")
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


# -- reading .xlsx and .csv tables ------------------------------------------------------------------

def _read_file_table(path: Path, columns, limits: Limits, *, preferred_sheet: str | None) -> Table:
    path = Path(path)
    if not path.exists():
        raise MissingInputError(f"{path} does not exist")
    if not path.is_file():
        raise MissingInputError(f"{path} is not a file")
    if path.suffix.lower() == ".csv":
        return read_table(_csv_rows(path, limits), columns, file=path.name)
    # Any other name is read as a workbook, whose reader says what the file really is (.xls, CSV text…).
    return _read_xlsx_table(path, columns, limits, preferred_sheet=preferred_sheet)


def _read_xlsx_table(path: Path, columns, limits: Limits, *, preferred_sheet: str | None) -> Table:
    """The ``preferred_sheet``, else the first visible sheet; every unreadable or merged cell is a problem.

    A hidden sheet is never read: a hidden ``preferred_sheet`` is an error
    rather than a silent fall-back to another sheet.
    """
    from openmosprom_cli.io.xlsx.reader import open_workbook

    file = path.name
    with open_workbook(path, limits) as reader:
        names = reader.sheet_names()
        if preferred_sheet in names:
            sheet = reader.visible_sheet(preferred_sheet).name
        else:
            visible = [s.name for s in reader.sheets if not s.hidden]
            if not visible:
                raise BadDataError.at(Location(file), "has no visible sheet; unhide the sheet to read")
            sheet = visible[0]
        problems = ProblemCollector()
        try:
            table = read_table(reader.rows(sheet, problems=problems.problems), columns, file=file, sheet=sheet,
                               hidden_columns=reader.hidden_columns(sheet))
        except BadDataError as exc:
            problems.problems.extend(exc.problems or [Problem(Location(file, sheet), exc.message)])
            table = None
        else:
            problems.problems.extend(reader.merged_data_problems(sheet, table.header_row))
    problems.raise_if_any(file)
    return table


def _csv_rows(path: Path, limits: Limits) -> list[tuple[int, tuple[object, ...]]]:
    try:
        if path.stat().st_size > limits.max_uncompressed_mb * 1024 * 1024:
            raise BadDataError.at(Location(path.name), f"is larger than {limits.max_uncompressed_mb} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise MissingInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not data.strip():
        raise BadDataError.at(Location(path.name), "is empty")
    if data.startswith(b"PK\x03\x04"):
        raise BadDataError.at(Location(path.name), "is an .xlsx workbook (a zip file), not CSV text; rename it to .xlsx")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadDataError.at(Location(path.name), "is an old Excel .xls workbook, not CSV text; save it as .xlsx or .csv")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Russian Windows saves "CSV" in Windows-1251.
        text = data.decode("cp1251", errors="replace")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first_line.count)
    rows = []
    for number, values in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
        if number > limits.max_rows:
            raise BadDataError.at(Location(path.name), f"has more than {limits.max_rows} rows")
        cells = tuple(_undo_formula_guard(v) for v in values[: limits.max_columns])
        if any(not is_blank(v) for v in cells):
            rows.append((number, cells))
    return rows


def _undo_formula_guard(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS) else value
