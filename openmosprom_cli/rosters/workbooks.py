"""The rosters' workbooks: one per site (a sheet per tour and the site's waitlist) and ``participants.xlsx``.

Every value that came from a registrant or a factory is written as text that
can never become a formula. Workbooks are saved atomically and byte-for-byte
reproducibly: the same season state gives the same files.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from openmosprom_cli.io.files import atomic_write_with, safe_sheet_title, unique_name
from openmosprom_cli.models import Tour
from openmosprom_cli.rosters.build import SiteRoster, TourRoster
from openmosprom_cli.rosters.notifications import PersonLine
from openmosprom_cli.settings import Settings

WAITLIST_SHEET = "Лист ожидания"
CHECK_IN_HEADER = "Отметка о посещении"

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


# -- reproducible saving ---------------------------------------------------------------

def file_time(created_at: str) -> dt.datetime:
    """The allocation run's time, used as the files' creation time so that reruns give identical bytes."""
    try:
        stamp = dt.datetime.fromisoformat(created_at)
    except (TypeError, ValueError):
        return _EARLIEST_ZIP_TIME
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return max(stamp.replace(microsecond=0), _EARLIEST_ZIP_TIME)


def save_reproducibly(wb, path: Path, *, private: bool, stamp: dt.datetime) -> None:
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


# -- one site's workbook ----------------------------------------------------------------

def tour_sheet_title(tour: Tour) -> str:
    """``ДД.ММ ЧЧ.ММ``: Excel forbids ``:`` in sheet titles."""
    return f"{tour.date:%d.%m} {tour.start:%H.%M}"


def _organizer_contact(settings: Settings) -> str:
    return ", ".join(p for p in (settings.organizer_name, settings.organizer_phone, settings.organizer_email) if p)


def site_workbook(roster: SiteRoster, settings: Settings, stamp: dt.datetime):
    """A sheet per tour (its visitors, to tick off at the gate) and one for the site's waitlists."""
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


# -- participants.xlsx: everyone and what they got ----------------------------------------

_PARTICIPANT_HEADERS = ("ID VK", "ФИО", "Телефон", "Email", "Баллы", "Приоритет", "Результат", "Экскурсия",
                        "Площадка", "Дата", "Время", "Листы ожидания", "Причины")


def participants_workbook(lines: list[PersonLine], stamp: dt.datetime):
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
