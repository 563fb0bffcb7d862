"""Everyone's result as it stands: the tours they hold, the waitlists they are on and where, or why they have none.

Read from the season's current seats (:mod:`openmosprom_cli.allocation.current`),
so the organizers' participants list, the visitors' notifications and
``explain`` say the same, down to the waitlist positions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from openmosprom_cli.allocation.current import CurrentAllocation
from openmosprom_cli.models import Registrant, Site, Tour

RESULT_PLACE = "место"
RESULT_WAITLIST = "лист ожидания"
RESULT_NONE = "нет"
RESULT_CANCELLED = "отказ"

REGISTERED_AFTER_THE_RUN = "заявка получена после распределения мест"


@dataclass(frozen=True)
class PersonLine:
    """One person's result: the tours they hold, or the waitlists they are on, or why they have neither."""

    person: Registrant
    priority: int | None
    result: str                                   # RESULT_PLACE | RESULT_WAITLIST | RESULT_NONE | RESULT_CANCELLED
    tours: tuple[tuple[Tour, Site], ...]          # held, earliest first
    waits: tuple[tuple[Tour, Site, int], ...]     # every waitlist they are on, with their place in it, earliest first
    reasons: str                                  # without a tour: what happened to each choice, or the cancellation

    @property
    def tour(self) -> Tour | None:
        return self.tours[0][0] if self.tours else None

    @property
    def site(self) -> Site | None:
        return self.tours[0][1] if self.tours else None

    @property
    def best_wait(self) -> tuple[Tour, Site, int] | None:
        """The waitlist place nearest to a seat (the earliest tour among equals)."""
        return min(self.waits, key=lambda w: w[2]) if self.waits else None

    @property
    def waitlists_text(self) -> str:
        return "; ".join(f"{tour.tour_id} (№ {position})" for tour, _, position in self.waits)


def _in_time(tour: Tour) -> tuple:
    return (tour.date, tour.start, tour.tour_id)


def person_outcomes(people: Mapping[str, Registrant], sites: Mapping[str, Site], tours: Mapping[str, Tour],
                    allocation: CurrentAllocation) -> list[PersonLine]:
    """Every registrant's result, one line each, in priority order; people who registered after the run last."""
    placed: dict[str, list[Tour]] = defaultdict(list)
    for p in allocation.placements:
        if p.tour_id in tours:
            placed[p.registrant_id].append(tours[p.tour_id])
    waiting: dict[str, list[tuple[Tour, Site, int]]] = defaultdict(list)
    for registrant_id, positions in allocation.positions.items():
        for tour_id, position in positions.items():
            if tour_id in tours:
                tour = tours[tour_id]
                waiting[registrant_id].append((tour, sites[tour.site_id], position))

    def order(person: Registrant) -> tuple:
        priority = allocation.priorities.get(person.id)
        return (priority is None, priority or 0, person.id)

    lines: list[PersonLine] = []
    for person in sorted(people.values(), key=order):
        priority = allocation.priorities.get(person.id)
        cancelled = allocation.cancelled.get(person.id)
        if cancelled is not None:
            lines.append(PersonLine(person, priority, RESULT_CANCELLED, (), (), cancelled[0]))
            continue
        held = tuple((t, sites[t.site_id]) for t in sorted(placed[person.id], key=_in_time))
        waits = tuple(sorted(waiting[person.id], key=lambda w: _in_time(w[0])))
        if held:
            lines.append(PersonLine(person, priority, RESULT_PLACE, held, waits, ""))
            continue
        if priority is None:
            reasons = REGISTERED_AFTER_THE_RUN
        else:
            reasons = "; ".join(f"{o.rank}. {o.choice}: {o.text_ru}"
                                for o in allocation.choice_outcomes.get(person.id, ()))
        lines.append(PersonLine(person, priority, RESULT_WAITLIST if waits else RESULT_NONE, (), waits, reasons))
    return lines


def placed_tours(lines: Iterable[PersonLine]) -> dict[str, tuple[Tour, ...]]:
    """Person → the tours they hold."""
    return {line.person.id: tuple(t for t, _ in line.tours) for line in lines if line.tours}
