"""The rosters' workbooks: one per site (a sheet per tour, the standby, the cancelled tours) and ``participants.xlsx``.

This module only describes the sheets; :mod:`openmosprom_cli.io.writer` writes
them. Every value that came from a registrant or a factory is written as text
that can never become a formula, and rows are generated as they are written,
so memory stays flat however many people registered. The files are saved
atomically and byte-for-byte reproducibly: the same season state gives the same
files, dated with the allocation run's time (:func:`file_time`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from openmosprom_cli.io.files import safe_sheet_title, unique_name
from openmosprom_cli.io.writer import Column, Sheet
from openmosprom_cli.models import Tour
from openmosprom_cli.publication.outcomes import PersonLine
from openmosprom_cli.rosters.build import SiteRoster, TourRoster
from openmosprom_cli.settings import Settings

STANDBY_SHEET = "Резерв"
CANCELLED_SHEET = "Отменённые экскурсии"
STANDBY_NOTE = ("Первые в листе ожидания каждой экскурсии. Они придут, только если организатор пригласит их "
                "на освободившееся место; № — место в листе ожидания.")
CHECK_IN_HEADER = "Отметка о посещении"
GUESTS_CAME_HEADER = "Пришло гостей"
CODE_HEADER = "Код"  # the row's code (rosters/codes.py): the returned roster is matched by it, whatever its order
PRIZE_HEADER = "Приз"
PRIZE_HANDED_HEADER = "Приз выдан"  # ticked by the factory or guide; read back by `attendance import`
TOUR_SHEET_TITLE = "«Открой#Моспром»: список посетителей экскурсии"

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


def file_time(created_at: str) -> dt.datetime:
    """The allocation run's time, used as the files' creation time so that reruns give identical bytes."""
    try:
        stamp = dt.datetime.fromisoformat(created_at)
    except (TypeError, ValueError):
        return _EARLIEST_ZIP_TIME
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return max(stamp.replace(microsecond=0), _EARLIEST_ZIP_TIME)


# -- one site's workbook ----------------------------------------------------------------

def tour_sheet_title(tour: Tour) -> str:
    """``ДД.ММ ЧЧ.ММ``: Excel forbids ``:`` in sheet titles."""
    return f"{tour.date:%d.%m} {tour.start:%H.%M}"


def _organizer_contact(settings: Settings) -> str:
    return ", ".join(p for p in (settings.organizer_name, settings.organizer_phone, settings.organizer_email) if p)


def site_sheets(roster: SiteRoster, settings: Settings) -> list[Sheet]:
    """A sheet per tour (its visitors, to tick off at the gate), the site's standby, and its cancelled tours if any."""
    titles: set[str] = {STANDBY_SHEET, CANCELLED_SHEET}
    tour_titles: dict[str, str] = {}
    sheets = []
    for tour_roster in roster.tours:
        title = unique_name(safe_sheet_title(tour_sheet_title(tour_roster.tour)), titles, max_len=31)
        tour_titles[tour_roster.tour.tour_id] = title
        sheets.append(_tour_sheet(title, roster, tour_roster, settings))
    sheets.append(_standby_sheet(roster, tour_titles))
    if roster.cancelled:
        sheets.append(_cancelled_sheet(roster))
    return sheets


def _tour_sheet(title: str, roster: SiteRoster, tour_roster: TourRoster, settings: Settings) -> Sheet:
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
    headers: list[Column | str] = ["№", *(_FIELD_HEADERS[f] for f in roster.fields),
                                   *((PRIZE_HEADER,) if roster.has_prizes else ()), CHECK_IN_HEADER,
                                   GUESTS_CAME_HEADER, *((PRIZE_HANDED_HEADER,) if roster.has_prizes else ()),
                                   Column(CODE_HEADER, width=9)]
    # The check-in, guests and prize-handed columns stay empty, bordered for filling in by hand; the block's
    # labels sit in column B, their values spill over the empty cells to the right.
    return Sheet(title, headers, _visitor_rows(roster, tour_roster), title=TOUR_SHEET_TITLE, block=block,
                 block_column=1, borders=True, print_ready=True)


def _visitor_rows(roster: SiteRoster, tour_roster: TourRoster) -> Iterator[tuple[object, ...]]:
    prizes = roster.has_prizes
    for entry in tour_roster.visitors:
        yield (entry.position, *roster.visitor_row(entry).values(), *((entry.prize,) if prizes else ()), None, None,
               *((None,) if prizes else ()), entry.code)


def _standby_sheet(roster: SiteRoster, tour_titles: dict[str, str]) -> Sheet:
    # The same details as the visitors': a security office admits only people it was told of in advance.
    headers = ("№", "Экскурсия", *(_FIELD_HEADERS[f] for f in roster.fields))
    rows = ((entry.position, tour_titles[tour_roster.tour.tour_id], *roster.visitor_row(entry).values())
            for tour_roster in roster.tours for entry in tour_roster.standby)
    return Sheet(STANDBY_SHEET, headers, rows, title=f"Резерв: {roster.site.name}",
                 block=[("Примечание", STANDBY_NOTE)], borders=True, print_ready=True)


def _cancelled_sheet(roster: SiteRoster) -> Sheet:
    rows = ((c.tour.tour_id, c.tour.date, c.tour.start, c.reason) for c in roster.cancelled)
    return Sheet(CANCELLED_SHEET, ("ID экскурсии", "Дата", "Время", "Причина"), rows,
                 title=f"Отменённые экскурсии: {roster.site.name}", print_ready=True)


# -- participants.xlsx: everyone and what they got ----------------------------------------

PARTICIPANTS_SHEET = "Участники"
_PARTICIPANT_HEADERS = ("ID VK", "ФИО", "Телефон", "Email", "Баллы", "Приоритет", "Результат", "Экскурсия",
                        "Площадка", "Дата", "Время", "Листы ожидания", "Причины")


def participants_sheet(lines: Sequence[PersonLine]) -> Sheet:
    return Sheet(PARTICIPANTS_SHEET, _PARTICIPANT_HEADERS, _participant_rows(lines), print_ready=True,
                 autofilter=True)


def _participant_rows(lines: Sequence[PersonLine]) -> Iterator[tuple[object, ...]]:
    for line in lines:
        person = line.person
        score = int(person.score) if float(person.score).is_integer() else person.score
        if not line.tours:   # most people: one row without a tour
            yield (person.id, person.full_name, person.phone, person.email, score, line.priority, line.result,
                   None, None, None, None, line.waitlists_text, line.reasons)
        for tour, site in line.tours:
            yield (person.id, person.full_name, person.phone, person.email, score, line.priority, line.result,
                   tour.tour_id, site.name, tour.date, tour.start, line.waitlists_text, line.reasons)
