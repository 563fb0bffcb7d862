"""Everyone's result: one line per person and tour they got (or why they got none), and ``notifications.csv``'s rows.

The rows are written by :func:`openmosprom_cli.io.writer.write_csv`: ``;``-separated
as Russian-locale Excel expects, with a ``'`` before any text a spreadsheet would
evaluate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from openmosprom_cli.allocation.result import Placement
from openmosprom_cli.allocation.stored import StoredAllocation
from openmosprom_cli.models import Registrant, Site, Tour

RESULT_PLACE = "место"
RESULT_WAITLIST = "лист ожидания"
RESULT_NONE = "нет"


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
                    allocation: StoredAllocation) -> list[PersonLine]:
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
            outcomes = allocation.choice_outcomes.get(person.id, ())
            reasons = "; ".join(f"{o.rank}. {o.choice}: {o.text_ru}" for o in outcomes)
        result = RESULT_WAITLIST if waits else RESULT_NONE
        lines.append(PersonLine(person, priority, result, None, None, waits, reasons))
    return lines


NOTIFICATION_HEADERS = ("ID VK", "ФИО", "Результат", "ID экскурсии", "Площадка", "Дата", "Время", "Адрес",
                        "Примечание")


def notification_rows(lines: Iterable[PersonLine]) -> Iterator[tuple[object, ...]]:
    """What to tell each person, one row per tour they got or wait for; for ``notifications.csv``."""

    def row(line: PersonLine, tour: Tour | None, site: Site | None, note: str) -> tuple[object, ...]:
        return (line.person.id, line.person.full_name, line.result, tour.tour_id if tour else None,
                site.name if site else None, tour.date if tour else None, tour.start if tour else None,
                site.address if site else None, note)

    for line in lines:
        if line.result == RESULT_PLACE:
            tour, site = line.tour, line.site
            assert tour is not None and site is not None, "a place is always on a tour at a site"
            yield row(line, tour, site, " ".join(n for n in (site.notes, tour.note) if n))
        elif line.result == RESULT_WAITLIST:
            for tour, site, position in line.waits:
                yield row(line, tour, site, f"№ {position} в листе ожидания")
        else:
            yield row(line, None, None, line.reasons)
