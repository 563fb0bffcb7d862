"""Everyone's result as it stands: the tours they hold, the waitlists they are on and where, or why they have none.

Read from the season's current seats (:mod:`openmosprom_cli.allocation.current`),
so the organizers' participants list, the visitors' notifications and
``explain`` say the same, down to the waitlist positions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openmosprom_cli.allocation.bulk import collector_paused
from openmosprom_cli.allocation.current import CurrentAllocation
from openmosprom_cli.models import ChoiceOutcome, Contact, Site, Tour

if TYPE_CHECKING:
    import numpy as np

RESULT_PLACE = "место"
RESULT_WAITLIST = "лист ожидания"
RESULT_NONE = "нет"
RESULT_CANCELLED = "отказ"

REGISTERED_AFTER_THE_RUN = "заявка получена после распределения мест"


@dataclass(frozen=True)
class PersonLine:
    """One person's result: the tours they hold, or the waitlists they are on, or why they have neither."""

    person: Contact
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
        return "; ".join([f"{tour.tour_id} (№ {position})" for tour, _, position in self.waits])


def _in_time(tour: Tour) -> tuple:
    return (tour.date, tour.start, tour.tour_id)


def person_outcomes(people: Mapping[str, Contact], sites: Mapping[str, Site], tours: Mapping[str, Tour],
                    allocation: CurrentAllocation) -> list[PersonLine]:
    """Every registrant's result, one line each, in priority order; people who registered after the run last.

    Everything sized by the people is worked out over the run's columns first:
    each person's waits as one slice of a list sorted by person and time, and
    the reasons of all of them at once (:func:`_reasons`).
    """
    columns = allocation.stored.result.columns
    placed: dict[str, list[Tour]] = defaultdict(list)
    for p in allocation.placements:
        if p.tour_id in tours:
            placed[p.registrant_id].append(tours[p.tour_id])
    with collector_paused():
        waits, firsts, ends = _waits(sites, tours, allocation)
        reasons = _reasons(columns.choices, columns.codes, columns.choice, columns.code)
        return _lines(people, sites, allocation, placed, waits, firsts, ends, reasons)


def _lines(people: Mapping[str, Contact], sites: Mapping[str, Site], allocation: CurrentAllocation,
           placed: Mapping[str, list[Tour]], waits: list[tuple[Tour, Site, int]], firsts: list[int], ends: list[int],
           reasons: list[str]) -> list[PersonLine]:
    columns = allocation.stored.result.columns
    cancelled_of = allocation.cancelled

    def held(mine: list[Tour]) -> tuple[tuple[Tour, Site], ...]:
        return tuple((t, sites[t.site_id]) for t in sorted(mine, key=_in_time))

    lines: list[PersonLine] = []
    add = lines.append
    # The run's people in its priority order: each one's place is their index.
    for place, registrant_id in enumerate(columns.people):
        person = people.get(registrant_id)
        if person is None:
            continue
        cancelled = cancelled_of.get(registrant_id)
        if cancelled is not None:
            add(PersonLine(person, place + 1, RESULT_CANCELLED, (), (), cancelled[0]))
            continue
        waiting = tuple(waits[firsts[place]:ends[place]])
        mine = placed.get(registrant_id)
        if mine:
            add(PersonLine(person, place + 1, RESULT_PLACE, held(mine), waiting, ""))
        else:
            add(PersonLine(person, place + 1, RESULT_WAITLIST if waiting else RESULT_NONE, (), waiting,
                           reasons[place]))
    # Then those the run did not include (they registered after it), by ID.
    place_of = columns.place_of
    for registrant_id in sorted(rid for rid in people if rid not in place_of):
        person = people[registrant_id]
        cancelled = cancelled_of.get(registrant_id)
        mine = placed.get(registrant_id)
        if cancelled is not None:
            add(PersonLine(person, None, RESULT_CANCELLED, (), (), cancelled[0]))
        elif mine:
            add(PersonLine(person, None, RESULT_PLACE, held(mine), (), ""))
        else:
            add(PersonLine(person, None, RESULT_NONE, (), (), REGISTERED_AFTER_THE_RUN))
    return lines


def _waits(sites: Mapping[str, Site], tours: Mapping[str, Tour], allocation: CurrentAllocation
           ) -> tuple[list[tuple[Tour, Site, int]], list[int], list[int]]:
    """Every wait on a tour of ``tours`` as (tour, site, place in line), by person (their place in the priority
    order) and then by the tour's time; and, for each place, where that person's waits begin and end in it."""
    import numpy as np

    columns, lines = allocation.stored.result.columns, allocation.waitlist_lines
    known = {i: tours[tour_id] for i, tour_id in enumerate(columns.tours) if tour_id in tours}
    in_time = sorted(known, key=lambda i: _in_time(known[i]))
    when = np.full(len(columns.tours), -1, dtype=np.int64)
    when[in_time] = np.arange(len(in_time))
    keep = np.flatnonzero(when[lines.tour] >= 0)
    order = keep[np.lexsort((when[lines.tour[keep]], lines.person[keep]))]
    person = lines.person[order]
    sited = {i: (tour, sites[tour.site_id]) for i, tour in known.items()}
    waits = [(*sited[t], position)
             for t, position in zip(lines.tour[order].tolist(), lines.position[order].tolist(), strict=True)]
    everyone = np.arange(len(columns.people))
    return (waits, np.searchsorted(person, everyone, side="left").tolist(),
            np.searchsorted(person, everyone, side="right").tolist())


def _reasons(choices: Sequence[str], codes: Sequence[str], choice: np.ndarray, code: np.ndarray) -> list[str]:
    """For each person, what each of their choices gave them: "1. choice: outcome; 2. …" (in Russian).

    People share most pieces (the same choice, at the same rank, with the same
    outcome), so each distinct piece is written once and the rows are joined
    column by column.
    """
    import numpy as np

    n, width = choice.shape
    listed = choice >= 0
    key = (np.arange(width, dtype=np.int64) * len(choices) + choice) * len(codes) + code
    distinct, inverse = np.unique(key[listed], return_inverse=True)
    rank, rest = np.divmod(distinct, len(choices) * len(codes))
    which, outcome = np.divmod(rest, len(codes))
    pieces = np.array([f"{r + 1}. {choices[c]}: {ChoiceOutcome(r + 1, choices[c], None, codes[o]).text_ru}"
                       for r, c, o in zip(rank.tolist(), which.tolist(), outcome.tolist(), strict=True)],
                      dtype=object)
    texts = np.full((n, width), "", dtype=object)
    texts[listed] = pieces[inverse.reshape(-1)]
    joined = texts[:, 0].copy() if width else np.full(n, "", dtype=object)
    for j in range(1, width):
        more = listed[:, j]
        joined[more] = joined[more] + "; " + texts[more, j]
    return joined.tolist()


def placed_tours(lines: Iterable[PersonLine]) -> dict[str, tuple[Tour, ...]]:
    """Person → the tours they hold."""
    return {line.person.id: tuple(t for t, _ in line.tours) for line in lines if line.tours}
