"""What the mini-app tells each visitor: everyone's result, and what changed since the last publication.

Both are tables in Russian for the mini-app's messaging, written by the one
table writer. A mere shift of a waitlist position is not a change worth a
message: only seats gained, lost or moved, and tours whose time changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from openmosprom_cli.models import Site, Tour
from openmosprom_cli.publication.outcomes import RESULT_PLACE, RESULT_WAITLIST, PersonLine
from openmosprom_cli.store.changes import ChangeRow

NOTIFICATION_HEADERS = ("ID VK", "ФИО", "Результат", "ID экскурсии", "Площадка", "Дата", "Время", "Адрес",
                        "Место в листе ожидания", "Примечание")


PRIZE_HEADER = "Приз"


def notification_headers(prizes: Mapping[str, str] | None) -> tuple[str, ...]:
    """The notifications' columns; «Приз» once prizes have been drawn."""
    return NOTIFICATION_HEADERS if prizes is None else (*NOTIFICATION_HEADERS, PRIZE_HEADER)


def prize_text(won: str, line: PersonLine, pickup: str) -> str:
    """What the person won and where they collect it, in one cell: on their earliest tour, or at the pick-up point."""
    if not won:
        return ""
    if line.tours:
        tour, _ = line.tours[0]
        return f"{won} — вручат на экскурсии {tour.date:%d.%m.%Y} в {tour.start:%H:%M}"
    return f"{won} — где получить: {pickup}" if pickup else won


def notification_rows(lines: Iterable[PersonLine], prizes: Mapping[str, str] | None = None,
                      pickup: str = "") -> Iterator[tuple[object, ...]]:
    """One row per person: their result; the tour they hold, or the waitlist where they are nearest to a seat;
    and, once prizes have been drawn, what they won and where they collect it."""
    for line in lines:
        person = line.person
        if line.result == RESULT_PLACE:
            tours = line.tours
            first, site = tours[0]
            note = " ".join(n for n in (site.notes, first.note) if n)
            if len(tours) > 1:
                note = "; ".join([note, *(f"также {t.tour_id}, {t.date:%d.%m.%Y} {t.start:%H:%M}"
                                          for t, _ in tours[1:])]).lstrip("; ")
            row: tuple[object, ...] = (person.id, person.full_name, line.result, first.tour_id, site.name,
                                       first.date, first.start, site.address, None, note)
        elif line.result == RESULT_WAITLIST and (best := line.best_wait) is not None:
            tour, site, position = best
            row = (person.id, person.full_name, line.result, tour.tour_id, site.name, tour.date, tour.start,
                   site.address, position, f"№ {position} в листе ожидания")
        else:
            row = (person.id, person.full_name, line.result, None, None, None, None, None, None, line.reasons)
        yield row if prizes is None else (*row, prize_text(prizes.get(person.id, ""), line, pickup))


# -- what changed since the last publication -------------------------------------------------------

GAINED, LOST, MOVED, RETIMED = "место выделено", "место отменено", "перенос на другую экскурсию", "изменилось время"

CHANGE_HEADERS = ("ID VK", "ФИО", "Что изменилось", "ID экскурсии", "Площадка", "Дата", "Время", "Адрес", "Было",
                  "Причина")

# Why a seat was lost, as the visitor reads it (the cause recorded with the change).
_LOST_BECAUSE = {
    "cancelled": "отказ от участия",
    "tour_cancelled": "экскурсия отменена",
    "capacity_cut": "на экскурсии стало меньше мест",
    "unassigned": "решение организаторов",
    "moved": "перенос организаторами",
    "reallocated": "новое распределение мест",
    "merged": "дубликат",
}


@dataclass(frozen=True)
class Told:
    """What a visitor was told of one tour at the last publication."""

    tour_id: str
    date: str      # ISO
    start: str     # HH:MM


@dataclass(frozen=True)
class ChangeLine:
    registrant_id: str
    name: str
    what: str                       # GAINED | LOST | MOVED | RETIMED
    tour: Tour | None
    site: Site | None
    before: str                     # what it was: the tour and time they had
    reason: str


def change_lines(lines: Sequence[PersonLine], told: Mapping[str, Sequence[Told]], tours: Mapping[str, Tour],
                 unseated: Mapping[tuple[str, str], ChangeRow]) -> list[ChangeLine]:
    """One line per seat gained, lost, moved or retimed since the visitors were last told."""
    by_person = {line.person.id: line for line in lines}
    found: list[ChangeLine] = []
    for registrant_id in sorted(set(told) | {rid for rid, line in by_person.items() if line.tours}):
        line = by_person.get(registrant_id)
        name = line.person.full_name if line else ""
        now = {t.tour_id: (t, s) for t, s in (line.tours if line else ())}
        before = {t.tour_id: t for t in told.get(registrant_id, ())}
        gained = [now[t] for t in now if t not in before]
        lost = [before[t] for t in before if t not in now]
        for tour_id in sorted(now.keys() & before.keys()):
            tour, site = now[tour_id]
            was = before[tour_id]
            if (tour.date.isoformat(), tour.start.strftime("%H:%M")) != (was.date, was.start):
                found.append(ChangeLine(registrant_id, name, RETIMED, tour, site, _when(was), ""))
        if len(gained) == 1 and len(lost) == 1:
            (tour, site), was = gained[0], lost[0]
            found.append(ChangeLine(registrant_id, name, MOVED, tour, site, f"{was.tour_id}, {_when(was)}",
                                    _reason(unseated.get((registrant_id, was.tour_id)))))
            continue
        for was in lost:
            old = tours.get(was.tour_id)
            found.append(ChangeLine(registrant_id, name, LOST, old, None, f"{was.tour_id}, {_when(was)}",
                                    _reason(unseated.get((registrant_id, was.tour_id)))))
        for tour, site in gained:
            found.append(ChangeLine(registrant_id, name, GAINED, tour, site, "", ""))
    return found


def _when(told: Told) -> str:
    day = told.date.split("-")
    return f"{day[2]}.{day[1]}.{day[0]} {told.start}" if len(day) == 3 else f"{told.date} {told.start}"


def _reason(change: ChangeRow | None) -> str:
    if change is None:
        return ""
    because = _LOST_BECAUSE.get(str(change.detail.get("cause", "")), "")
    return ": ".join(part for part in (because, change.reason) if part)


def change_rows(changes: Iterable[ChangeLine], sites: Mapping[str, Site]) -> Iterator[tuple[object, ...]]:
    for c in changes:
        tour = c.tour
        site = c.site or (sites.get(tour.site_id) if tour else None)
        yield (c.registrant_id, c.name, c.what, tour.tour_id if tour else None, site.name if site else None,
               tour.date if tour else None, tour.start if tour else None, site.address if site else None,
               c.before or None, c.reason or None)
