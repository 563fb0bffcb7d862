"""Rosters: what the factories, the organizers and the visitors receive after an allocation.

``export_rosters`` turns the current allocation run into
- one workbook per site with one sheet per tour and the site's waitlists,
  holding only that site's visitors and only the fields the site needs;
- ``participants.xlsx``, the organizers' list of everyone and what they got;
- ``notifications.csv``, what to tell each person.

Every value that came from a registrant or a factory is written as text that
can never become a formula. Files are written atomically and are byte-for-byte
reproducible: the same season state gives the same files.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import sqlite3
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.errors import BadDataError, MissingInputError
from openmosprom_cli.io.files import (
    atomic_write_text,
    atomic_write_with,
    inside,
    remove_stray_temp_files,
    safe_file_name,
    safe_sheet_title,
    unique_name,
)
from openmosprom_cli.models import ChoiceOutcome, Registrant, Site, Tour
from openmosprom_cli.season.folder import Season, now_iso
from openmosprom_cli.settings import Settings
from openmosprom_cli.store.registrants import load_registrants
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours

ROSTER_FOLDER = "rosters"
PARTICIPANTS_FILE = "participants.xlsx"
NOTIFICATIONS_FILE = "notifications.csv"
WAITLIST_SHEET = "Лист ожидания"
CHECK_IN_HEADER = "Отметка о посещении"

RESULT_PLACE = "место"
RESULT_WAITLIST = "лист ожидания"
RESULT_NONE = "нет"

CREATOR = "openmosprom"
# Zip entries cannot be dated before 1980.
_EARLIEST_ZIP_TIME = dt.datetime(1980, 1, 1)

_WEEKDAYS = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")

_FIELD_HEADERS = {
    "name": "ФИО",
    "phone": "Телефон",
    "companions": "Гостей",
    "birth_date": "Дата рождения",
    "passport": "Паспорт",
    "citizenship": "Гражданство",
}

_CSV_UNSAFE_STARTS = ("=", "+", "-", "@", "\t", "\r")


# -- the allocation as stored ---------------------------------------------------

@dataclass(frozen=True)
class Placement:
    registrant_id: str
    tour_id: str
    seats: int  # 1 + companions, as allocated

    @property
    def companions(self) -> int:
        return self.seats - 1


@dataclass(frozen=True)
class Allocation:
    """The current allocation run and its result, as the allocation stage stored it."""

    run_id: int
    seed: str
    created_at: str
    placements: tuple[Placement, ...]
    waitlists: dict[str, tuple[str, ...]]  # tour_id -> registrant IDs, first in line first
    priorities: dict[str, int]
    outcomes: dict[str, tuple[ChoiceOutcome, ...]]


def load_current_allocation(conn: sqlite3.Connection) -> Allocation:
    run = conn.execute(
        "SELECT run_id, seed, created_at FROM allocation_runs WHERE is_current = 1 ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    if run is None:
        raise MissingInputError(
            "there is no allocation yet, so there are no rosters to export",
            hint="Run `openmosprom assign` first.",
        )
    run_id = run["run_id"]
    placements = tuple(
        Placement(r["registrant_id"], r["tour_id"], r["seats"])
        for r in conn.execute(
            "SELECT registrant_id, tour_id, seats FROM placements WHERE run_id = ? "
            "ORDER BY tour_id, registrant_id", (run_id,))
    )
    waitlists: dict[str, list[str]] = defaultdict(list)
    for r in conn.execute("SELECT tour_id, registrant_id FROM waitlist WHERE run_id = ? ORDER BY tour_id, position",
                          (run_id,)):
        waitlists[r["tour_id"]].append(r["registrant_id"])
    priorities: dict[str, int] = {}
    outcomes: dict[str, tuple[ChoiceOutcome, ...]] = {}
    for r in conn.execute("SELECT registrant_id, priority, outcomes FROM outcomes WHERE run_id = ?", (run_id,)):
        priorities[r["registrant_id"]] = r["priority"]
        outcomes[r["registrant_id"]] = tuple(
            ChoiceOutcome(int(o.get("rank", i + 1)), str(o.get("choice", "")), o.get("tour_id"), str(o.get("code", "")))
            for i, o in enumerate(json.loads(r["outcomes"]))
        )
    return Allocation(run_id=run_id, seed=str(run["seed"]), created_at=run["created_at"], placements=placements,
                      waitlists={k: tuple(v) for k, v in waitlists.items()}, priorities=priorities,
                      outcomes=outcomes)


# -- one site's roster -------------------------------------------------------------

@dataclass(frozen=True)
class RosterEntry:
    """One visitor on a tour's list, or one person on its waitlist."""

    person: Registrant
    companions: int
    position: int  # 1-based: row on the tour's list, or place in its waitlist


@dataclass(frozen=True)
class TourRoster:
    tour: Tour
    visitors: tuple[RosterEntry, ...]  # alphabetical, for checking people in at the gate
    waitlist: tuple[RosterEntry, ...]  # in priority order

    @property
    def seats_taken(self) -> int:
        return sum(1 + v.companions for v in self.visitors)


@dataclass(frozen=True)
class SiteRoster:
    site: Site
    tours: tuple[TourRoster, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        """The visitor fields this site needs, and no others."""
        fields = ["name", "phone", "companions"]
        if self.site.age_limited or self.site.passport_required:
            fields.append("birth_date")
        if self.site.passport_required or self.site.citizens_only:
            fields += ["passport", "citizenship"]
        return tuple(fields)

    def visitor_row(self, entry: RosterEntry) -> dict[str, object]:
        person = entry.person
        values: dict[str, object] = {
            "name": person.full_name,
            "phone": person.phone,
            "companions": entry.companions,
            "birth_date": f"{person.birth_date:%d.%m.%Y}" if person.birth_date else "",
            "passport": person.passport,
            "citizenship": person.citizenship,
        }
        return {field: values[field] for field in self.fields}

    def fingerprint(self) -> str:
        """sha256 of what the factory acts on: the site, its tours and their visitors.

        The waitlist is left out on purpose: a change there (say, a waitlisted
        person's phone) does not change who comes, and must not send the
        factory an «Обновлённый список».
        """
        site = self.site
        content = {
            "site": {"site_id": site.site_id, "name": site.name, "address": site.address, "notes": site.notes,
                     "min_age": site.min_age, "passport_required": site.passport_required,
                     "citizens_only": site.citizens_only},
            "tours": [
                {
                    "tour_id": t.tour.tour_id, "date": t.tour.date.isoformat(),
                    "start": t.tour.start.strftime("%H:%M"), "duration_min": t.tour.duration_min,
                    "capacity": t.tour.capacity, "note": t.tour.note,
                    "visitors": [{"id": v.person.id, **self.visitor_row(v)} for v in t.visitors],
                }
                for t in self.tours
            ],
        }
        blob = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def visitors_summary(self) -> list[dict[str, object]]:
        """Who is on this site's lists, for telling the factory who was added or removed since last time."""
        rows = [{"id": v.person.id, "name": v.person.full_name, "tour_id": t.tour.tour_id,
                 "companions": v.companions}
                for t in self.tours for v in t.visitors]
        return sorted(rows, key=lambda r: (r["tour_id"], r["name"], r["id"]))


def build_site_rosters(sites: dict[str, Site], tours: Iterable[Tour], people: dict[str, Registrant],
                       allocation: Allocation) -> list[SiteRoster]:
    """Every site that has tours, each tour with its visitors and waitlist; raises if the allocation is stale."""
    tours_by_id = {t.tour_id: t for t in tours}
    unknown_tours = sorted({p.tour_id for p in allocation.placements if p.tour_id not in tours_by_id}
                           | {t for t in allocation.waitlists if t not in tours_by_id})
    unknown_people = sorted({p.registrant_id for p in allocation.placements if p.registrant_id not in people}
                            | {r for ids in allocation.waitlists.values() for r in ids if r not in people})
    if unknown_tours or unknown_people:
        parts = []
        if unknown_tours:
            parts.append(f"tours no longer in the season ({_few(unknown_tours)})")
        if unknown_people:
            parts.append(f"unknown registrants ({_few(unknown_people)})")
        raise BadDataError(
            f"the current allocation (run {allocation.run_id}) refers to {' and '.join(parts)}",
            hint="The tours or registrants changed after the allocation; run `openmosprom assign` again.",
        )

    placed: dict[str, list[Placement]] = defaultdict(list)
    sites_held: dict[str, set[str]] = defaultdict(set)
    for p in allocation.placements:
        placed[p.tour_id].append(p)
        sites_held[p.registrant_id].add(tours_by_id[p.tour_id].site_id)
    tours_by_site: dict[str, list[Tour]] = defaultdict(list)
    for tour in sorted(tours_by_id.values(), key=lambda t: (t.date, t.start, t.tour_id)):
        tours_by_site[tour.site_id].append(tour)

    rosters = []
    for site_id in sorted(tours_by_site):
        tour_rosters = []
        for tour in tours_by_site[site_id]:
            ordered = sorted(placed[tour.tour_id],
                             key=lambda p: (people[p.registrant_id].full_name.casefold(), p.registrant_id))
            visitors = tuple(RosterEntry(people[p.registrant_id], p.companions, i)
                             for i, p in enumerate(ordered, start=1))
            # Someone who visits another factory is that factory's visitor: this one never sees them.
            waiting = [r for r in allocation.waitlists.get(tour.tour_id, ()) if not sites_held[r] - {site_id}]
            waitlist = tuple(RosterEntry(people[r], people[r].companions, i) for i, r in enumerate(waiting, start=1))
            tour_rosters.append(TourRoster(tour, visitors, waitlist))
        rosters.append(SiteRoster(sites[site_id], tuple(tour_rosters)))
    return rosters


def _few(items: list[str], shown: int = 5) -> str:
    more = f", … {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


# -- the report ------------------------------------------------------------------------

@dataclass(frozen=True)
class SiteExport:
    site_id: str
    site_name: str
    path: Path
    tours: int
    visitors: int
    seats_taken: int
    waitlisted: int
    private: bool
    status: str  # new | changed | unchanged, compared with the previous export
    fingerprint: str


@dataclass(frozen=True)
class RosterExportReport:
    out_dir: Path
    run_id: int
    seed: str
    sites: tuple[SiteExport, ...]
    participants_path: Path
    notifications_path: Path
    people: int
    removed_sites: tuple[str, ...]  # sites that had a roster but no longer have tours


# -- export --------------------------------------------------------------------------------

def export_rosters(season: Season, out_dir: Path | None = None) -> RosterExportReport:
    """Write every site's roster, the participants list and the notifications, and record them in the season.

    Runs in one season transaction: the ``roster_exports`` rows are committed
    only after every file has been written.
    """
    out_dir = Path(out_dir) if out_dir is not None else season.path / ROSTER_FOLDER
    with season.transaction() as conn:
        # Only under the season's lock: another run's temporary files are not stray.
        remove_stray_temp_files(out_dir)
        allocation = load_current_allocation(conn)
        sites = load_sites(conn)
        tours = load_tours(conn)
        people = {p.id: p for p in load_registrants(conn)}
        rosters = build_site_rosters(sites, tours, people, allocation)
        previous = {r["site_id"]: r["fingerprint"]
                    for r in conn.execute("SELECT site_id, fingerprint FROM roster_exports")}
        stamp = _file_time(allocation.created_at)
        exported_at = now_iso()

        taken = {Path(PARTICIPANTS_FILE).stem, Path(NOTIFICATIONS_FILE).stem}
        site_exports = []
        for roster in rosters:
            stem = unique_name(safe_file_name(roster.site.site_id, fallback="site"), taken, max_len=80)
            path = inside(out_dir, f"{stem}.xlsx")
            _save_reproducibly(_site_workbook(roster, season.settings, stamp), path, private=True,
                               stamp=stamp)
            fingerprint = roster.fingerprint()
            conn.execute(
                "INSERT INTO roster_exports (site_id, fingerprint, visitors, path, exported_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(site_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
                "visitors = excluded.visitors, path = excluded.path, exported_at = excluded.exported_at",
                (roster.site.site_id, fingerprint, json.dumps(roster.visitors_summary(), ensure_ascii=False),
                 _season_relative(season, path), exported_at),
            )
            old = previous.get(roster.site.site_id)
            site_exports.append(SiteExport(
                site_id=roster.site.site_id, site_name=roster.site.name, path=path, tours=len(roster.tours),
                visitors=sum(len(t.visitors) for t in roster.tours),
                seats_taken=sum(t.seats_taken for t in roster.tours),
                waitlisted=sum(len(t.waitlist) for t in roster.tours), private=True,
                status="new" if old is None else ("unchanged" if old == fingerprint else "changed"),
                fingerprint=fingerprint,
            ))

        exported_sites = {r.site.site_id for r in rosters}
        removed = tuple(sorted(set(previous) - exported_sites))
        conn.executemany("DELETE FROM roster_exports WHERE site_id = ?", [(s,) for s in removed])

        outcomes = person_outcomes(people, sites, {t.tour_id: t for t in tours}, allocation)
        participants_path = inside(out_dir, PARTICIPANTS_FILE)
        # Every file here names people with their phones (some with passports and birth dates): owner only.
        _save_reproducibly(_participants_workbook(outcomes, stamp), participants_path, private=True, stamp=stamp)
        notifications_path = inside(out_dir, NOTIFICATIONS_FILE)
        atomic_write_text(notifications_path, notifications_csv(outcomes), encoding="utf-8-sig", private=True)

    return RosterExportReport(out_dir=out_dir.resolve(), run_id=allocation.run_id, seed=allocation.seed,
                              sites=tuple(site_exports),
                              participants_path=participants_path, notifications_path=notifications_path,
                              people=len(people), removed_sites=removed)


def _season_relative(season: Season, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(season.path.resolve()))
    except ValueError:
        return str(path.resolve())


def _file_time(created_at: str) -> dt.datetime:
    """The allocation run's time, used as the files' creation time so that reruns give identical bytes."""
    try:
        stamp = dt.datetime.fromisoformat(created_at)
    except (TypeError, ValueError):
        return _EARLIEST_ZIP_TIME
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return max(stamp.replace(microsecond=0), _EARLIEST_ZIP_TIME)


def _save_reproducibly(wb, path: Path, *, private: bool, stamp: dt.datetime) -> None:
    """Save atomically with fixed document and zip timestamps.

    openpyxl stamps ``modified`` with the current time on save and zip entries
    with the current time, so the saved bytes are rewritten with ``stamp``.
    """
    from openpyxl.xml.functions import tostring

    def write(tmp: Path) -> None:
        buffer = io.BytesIO()
        wb.save(buffer)
        wb.properties.modified = stamp
        core = tostring(wb.properties.to_tree())
        with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                data = core if item.filename == "docProps/core.xml" else source.read(item.filename)
                entry = zipfile.ZipInfo(item.filename, date_time=stamp.timetuple()[:6])
                entry.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(entry, data)

    atomic_write_with(path, write, private=private)


def _new_workbook(stamp: dt.datetime):
    from openmosprom_cli.io.xlsx_out import new_workbook

    wb = new_workbook()
    wb.properties.creator = CREATOR
    wb.properties.lastModifiedBy = CREATOR
    wb.properties.created = stamp
    wb.properties.modified = stamp
    return wb


def tour_sheet_title(tour: Tour) -> str:
    """``ДД.ММ ЧЧ.ММ``: Excel forbids ``:`` in sheet titles."""
    return f"{tour.date:%d.%m} {tour.start:%H.%M}"


def _organizer_contact(settings: Settings) -> str:
    return ", ".join(p for p in (settings.organizer_name, settings.organizer_phone, settings.organizer_email) if p)


def _site_workbook(roster: SiteRoster, settings: Settings, stamp: dt.datetime):
    wb = _new_workbook(stamp)
    titles: set[str] = {WAITLIST_SHEET}
    tour_titles: dict[str, str] = {}
    for tour_roster in roster.tours:
        title = unique_name(safe_sheet_title(tour_sheet_title(tour_roster.tour)), titles, max_len=31)
        tour_titles[tour_roster.tour.tour_id] = title
        _write_tour_sheet(wb.create_sheet(title), roster, tour_roster, settings)
    _write_waitlist_sheet(wb.create_sheet(WAITLIST_SHEET), roster, tour_titles)
    return wb


def _write_tour_sheet(ws, roster: SiteRoster, tour_roster: TourRoster, settings: Settings) -> None:
    from openpyxl.styles import Alignment, Font

    from openmosprom_cli.io.xlsx_out import (
        fit_columns,
        print_ready,
        text_cell,
        value_cell,
        write_header,
    )

    site, tour = roster.site, tour_roster.tour
    block: list[tuple[str, object]] = [
        ("Площадка", site.name),
        ("Адрес", site.address),
        ("Дата", f"{tour.date:%d.%m.%Y}, {_WEEKDAYS[tour.date.weekday()]}"),
        ("Начало", f"{tour.start:%H:%M}"),
        ("Длительность", f"{tour.duration_min} мин"),
        ("Вместимость", tour.capacity),
        ("Занято мест", tour_roster.seats_taken),
        ("Контакт организатора", _organizer_contact(settings)),
        ("Примечание площадки", site.notes),
    ]
    if tour.note:
        block.append(("Примечание к экскурсии", tour.note))
    block.append(("ID экскурсии", tour.tour_id))
    header_row = len(block) + 3

    headers = ["№", *(_FIELD_HEADERS[f] for f in roster.fields), CHECK_IN_HEADER]
    write_header(ws, header_row, headers)
    for offset, entry in enumerate(tour_roster.visitors, start=1):
        row = header_row + offset
        value_cell(ws, row, 1, entry.position)
        for column, value in enumerate(roster.visitor_row(entry).values(), start=2):
            if isinstance(value, int):
                value_cell(ws, row, column, value)
            else:
                text_cell(ws, row, column, value)
    _draw_grid(ws, header_row, header_row + len(tour_roster.visitors), len(headers))
    # Widths follow the visitors table; the header block's long values spill over empty cells to the right.
    fit_columns(ws)
    _ensure_width(ws, 2, max(len(label) for label, _ in block) + 2)

    title = text_cell(ws, 1, 1, "«Открой#Моспром»: список посетителей экскурсии")
    title.font = Font(bold=True, size=13)
    for i, (label, value) in enumerate(block, start=2):
        text_cell(ws, i, 2, label).font = Font(bold=True)
        if value in ("", None):
            continue
        cell = value_cell(ws, i, 3, value)
        cell.alignment = Alignment(horizontal="left")
    print_ready(ws, header_row=header_row)


def _write_waitlist_sheet(ws, roster: SiteRoster, tour_titles: dict[str, str]) -> None:
    from openpyxl.styles import Font

    from openmosprom_cli.io.xlsx_out import (
        fit_columns,
        print_ready,
        text_cell,
        value_cell,
        write_header,
    )

    header_row = 3
    # The organizers call people in from the waitlist, so the factory gets no phone numbers here.
    headers = ["№", "Экскурсия", "ФИО", "Гостей"]
    write_header(ws, header_row, headers)
    row = header_row
    for tour_roster in roster.tours:
        for entry in tour_roster.waitlist:
            row += 1
            value_cell(ws, row, 1, entry.position)
            text_cell(ws, row, 2, tour_titles[tour_roster.tour.tour_id])
            text_cell(ws, row, 3, entry.person.full_name)
            value_cell(ws, row, 4, entry.companions)
    fit_columns(ws)
    text_cell(ws, 1, 1, f"Лист ожидания: {roster.site.name}").font = Font(bold=True, size=13)
    print_ready(ws, header_row=header_row)


def _draw_grid(ws, first_row: int, last_row: int, columns: int) -> None:
    """Thin borders, so the printed list can be ticked off by hand."""
    from openpyxl.styles import Border, Side

    side = Side(style="thin")
    border = Border(left=side, right=side, top=side, bottom=side)
    for row in range(first_row, last_row + 1):
        for column in range(1, columns + 1):
            ws.cell(row=row, column=column).border = border


def _ensure_width(ws, column: int, width: int) -> None:
    from openpyxl.utils import get_column_letter

    dimension = ws.column_dimensions[get_column_letter(column)]
    dimension.width = max(dimension.width or 0, width)


# -- everyone: participants.xlsx and notifications.csv ------------------------------------

@dataclass(frozen=True)
class PersonLine:
    """One person and a tour they got; or, for people without a tour, the person and why."""

    person: Registrant
    priority: int | None
    result: str  # RESULT_PLACE | RESULT_WAITLIST | RESULT_NONE
    tour: Tour | None  # the tour they got, when RESULT_PLACE
    site: Site | None
    waits: tuple[tuple[Tour, Site, int], ...]  # every waitlist they are on, with their place in it
    reasons: str  # for people without a tour: what happened to each choice

    @property
    def waitlists_text(self) -> str:
        return "; ".join(f"{tour.tour_id} (№ {position})" for tour, _, position in self.waits)


def person_outcomes(people: dict[str, Registrant], sites: dict[str, Site], tours: dict[str, Tour],
                    allocation: Allocation) -> list[PersonLine]:
    """Every registrant's result in priority order, one line per tour they got.

    People who registered after the run come last.
    """
    placed: dict[str, list[Placement]] = defaultdict(list)
    for p in allocation.placements:
        placed[p.registrant_id].append(p)
    waiting: dict[str, list[tuple[Tour, Site, int]]] = defaultdict(list)
    for tour_id, ids in allocation.waitlists.items():
        tour = tours[tour_id]
        for position, registrant_id in enumerate(ids, start=1):
            waiting[registrant_id].append((tour, sites[tour.site_id], position))

    def in_time(tour: Tour):
        return (tour.date, tour.start, tour.tour_id)

    def order(person: Registrant):
        priority = allocation.priorities.get(person.id)
        return (priority is None, priority or 0, person.id)

    lines: list[PersonLine] = []
    for person in sorted(people.values(), key=order):
        priority = allocation.priorities.get(person.id)
        waits = tuple(sorted(waiting[person.id], key=lambda w: in_time(w[0])))
        got = sorted((tours[p.tour_id] for p in placed[person.id]), key=in_time)
        if got:
            lines += [PersonLine(person, priority, RESULT_PLACE, t, sites[t.site_id], waits, "") for t in got]
            continue
        if priority is None:
            reasons = "заявка получена после распределения мест"
        else:
            reasons = "; ".join(f"{o.rank}. {o.choice}: {o.text_ru}" for o in allocation.outcomes.get(person.id, ()))
        result = RESULT_WAITLIST if waits else RESULT_NONE
        lines.append(PersonLine(person, priority, result, None, None, waits, reasons))
    return lines


_PARTICIPANT_HEADERS = ("ID VK", "ФИО", "Телефон", "Email", "Баллы", "Приоритет", "Результат", "Экскурсия",
                        "Площадка", "Дата", "Время", "Листы ожидания", "Причины")


def _participants_workbook(lines: list[PersonLine], stamp: dt.datetime):
    from openpyxl.utils import get_column_letter

    from openmosprom_cli.io.xlsx_out import (
        fit_columns,
        print_ready,
        text_cell,
        value_cell,
        write_header,
    )

    wb = _new_workbook(stamp)
    ws = wb.create_sheet("Участники")
    write_header(ws, 1, _PARTICIPANT_HEADERS)
    for row, line in enumerate(lines, start=2):
        person, tour = line.person, line.tour
        score = int(person.score) if float(person.score).is_integer() else person.score
        values = (person.id, person.full_name, person.phone, person.email, score, line.priority, line.result,
                  tour.tour_id if tour else "", line.site.name if line.site else "",
                  tour.date if tour else None, tour.start if tour else None, line.waitlists_text, line.reasons)
        for column, value in enumerate(values, start=1):
            if isinstance(value, str):
                text_cell(ws, row, column, value)
            elif value is not None:
                value_cell(ws, row, column, value)
    fit_columns(ws)
    print_ready(ws, header_row=1)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(_PARTICIPANT_HEADERS))}{max(len(lines) + 1, 2)}"
    return wb


_NOTIFICATION_HEADERS = ("ID VK", "ФИО", "Результат", "ID экскурсии", "Площадка", "Дата", "Время", "Адрес",
                         "Примечание")


def notifications_csv(lines: list[PersonLine]) -> str:
    """What to tell each person, ``;``-separated as Russian-locale Excel expects; unsafe starts get a ``'``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(_NOTIFICATION_HEADERS)

    def row(line: PersonLine, tour: Tour | None, site: Site | None, note: str) -> None:
        writer.writerow([csv_safe(v) for v in (
            line.person.id, line.person.full_name, line.result, tour.tour_id if tour else "",
            site.name if site else "", f"{tour.date:%d.%m.%Y}" if tour else "", f"{tour.start:%H:%M}" if tour else "",
            site.address if site else "", note,
        )])

    for line in lines:
        if line.result == RESULT_PLACE:
            row(line, line.tour, line.site, " ".join(n for n in (line.site.notes, line.tour.note) if n))
        elif line.result == RESULT_WAITLIST:
            for tour, site, position in line.waits:
                row(line, tour, site, f"№ {position} в листе ожидания")
        else:
            row(line, None, None, line.reasons)
    return buffer.getvalue()


def csv_safe(value: object) -> str:
    """A CSV field that a spreadsheet will not evaluate: a leading ``= + - @``, tab or CR gets a ``'``."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_CSV_UNSAFE_STARTS) else text
