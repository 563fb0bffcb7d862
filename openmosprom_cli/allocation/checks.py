"""Every rule of the allocation, checked on a stored result independently of the solver that made it.

The checks use the same constraints as the solvers (``allocation.rules``:
``eligibility`` and ``overlaps`` for each seat; the same rules over columns,
:func:`~openmosprom_cli.allocation.columns.reasons`, for the envy check of
:mod:`~openmosprom_cli.allocation.envy`) but walk the stored result on their
own, so an edited result, or one from a faulty solver, shows up as named
violations. Whatever grows with the number of people (the priority order,
envy, the waitlists, the comparison with the re-derived result) is checked
over arrays, and only what differs is turned into messages. Seats kept from
before (commitments, ``inputs.held``) are checked as kept: their holders chose
no more, and what was left is what the others chose from. A kept seat that an
organizer placed against a rule is excused by the reason recorded for it
(``excused``), and shows up among the audit's documented exceptions instead.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openmosprom_cli.allocation.blobs import index_of
from openmosprom_cli.allocation.columns import in_priority_order
from openmosprom_cli.allocation.envy import held_seats, justified_envy
from openmosprom_cli.allocation.inputs import AllocationInput, check_inputs
from openmosprom_cli.allocation.priority import priority_indices
from openmosprom_cli.allocation.result import AllocationResult, Placement
from openmosprom_cli.allocation.result_columns import ResultColumns
from openmosprom_cli.allocation.rules import eligibility, overlaps, tour_minutes
from openmosprom_cli.allocation.solver import solve
from openmosprom_cli.allocation.stored import StoredResult
from openmosprom_cli.i18n import ngettext
from openmosprom_cli.models import Holding

if TYPE_CHECKING:
    import numpy as np

Excused = Mapping[tuple[str, str], str]      # (person, tour) → why an organizer broke a rule for it


@dataclass(frozen=True)
class Violation:
    check: str
    message: str
    registrant_id: str | None = None
    tour_id: str | None = None


def check_result(inputs: AllocationInput, seed: str, stored: StoredResult, excused: Excused | None = None
                 ) -> list[Violation]:
    """Every rule of the allocation, checked on a stored result; an empty list means it is sound."""
    excused = excused or {}
    kept = {(h.registrant_id, h.tour_id): h for h in inputs.held}
    tours = {t.tour_id: t for t in inputs.tours}
    people = {a.id: a for a in inputs.applicants}
    columns = inputs.input_columns
    order = priority_indices(inputs.applicants, seed, columns.priority)
    c = in_priority_order(columns, order)
    ids = [inputs.applicants[i].id for i in order.tolist()]
    position = index_of(ids)
    violations = _check_placements(inputs, stored, kept, excused)

    violations.extend(_check_priorities(ids, position, stored.columns))
    tour_index = index_of([t.tour_id for t in columns.tours])
    held = held_seats([(position[p.registrant_id], tour_index[p.tour_id], p.choice_rank, p.seats,
                        (p.registrant_id, p.tour_id) in kept)
                       for p in stored.placements if p.registrant_id in people and p.tour_id in tours])
    closed = [tour_index[t] for t in inputs.closed if t in tour_index]
    for envy in justified_envy(c, held, closed, inputs.max_tours_per_person):
        rid, tour_id = ids[envy.position], columns.tours[envy.tour].tour_id
        lower = [ids[q] for q in envy.lower_holders]
        named = ", ".join(lower[:5]) + (f" and {len(lower) - 5} more" if len(lower) > 5 else "")
        tail = (f"lower-priority {named} {'holds a seat' if len(lower) == 1 else 'hold seats'} there"
                if lower else "yet they did not get it")
        violations.append(Violation(
            "no justified envy",
            f"{rid} (priority {envy.position + 1}) ranked {tour_id} as choice {envy.rank}, above their "
            f"result, was eligible, and it had {envy.seats_left} seats left at their turn for a party of "
            f"{people[rid].party_size}; {tail}", rid, tour_id))

    violations.extend(_check_waitlists(ids, position, stored.columns))
    # The solver itself, given the order and columns read above (what allocate() would compute again).
    check_inputs(inputs)
    violations.extend(_compare_with_rederived(solve(inputs, seed, columns.tours, order, c), stored))
    return violations


def _check_placements(inputs: AllocationInput, stored: StoredResult, kept: Mapping[tuple[str, str], Holding],
                      excused: Excused) -> list[Violation]:
    """Each seat on its own (party size, eligibility, the choice it answers, closed tours), capacity, and the limit."""
    closed = set(inputs.closed)
    taken_off = set(inputs.taken_off)
    tours = {t.tour_id: t for t in inputs.tours}
    sites = {s.site_id: s for s in inputs.sites}
    people = {a.id: a for a in inputs.applicants}
    times = {t.tour_id: tour_minutes(t) for t in inputs.tours}
    violations: list[Violation] = []
    held: dict[str, list[Placement]] = defaultdict(list)
    seats: Counter[str] = Counter()
    for p in stored.placements:
        person, tour = people.get(p.registrant_id), tours.get(p.tour_id)
        if person is None or tour is None:
            unknown = "no such registrant" if person is None else "no such tour"
            violations.append(Violation("placements match choices",
                                        f"{p.registrant_id} holds {p.tour_id}, but {unknown} was in the inputs",
                                        p.registrant_id, p.tour_id))
            continue
        held[p.registrant_id].append(p)
        seats[p.tour_id] += p.seats
        holding = kept.get((p.registrant_id, p.tour_id))
        if holding is not None:
            # A kept seat stays as it was given, whatever the person's data says now (the audit's attention
            # list names such changes), and may answer none of their choices (an organizer placed them).
            if p.seats != holding.seats:
                violations.append(Violation("capacity", f"{p.registrant_id} holds {p.seats} seats on {p.tour_id}, "
                                                        f"but {holding.seats} were kept", p.registrant_id, p.tour_id))
            if p.choice_rank not in (0, holding.choice_rank):
                violations.append(Violation("placements match choices",
                                            f"{p.registrant_id}'s kept seat on {p.tour_id} is recorded as choice "
                                            f"{p.choice_rank}, not {holding.choice_rank}", p.registrant_id, p.tour_id))
            continue
        if p.seats != person.party_size:
            violations.append(Violation("capacity", f"{p.registrant_id} holds {p.seats} seats on {p.tour_id} "
                                                    f"for a party of {person.party_size}", p.registrant_id, p.tour_id))
        if p.tour_id in closed:
            violations.append(Violation("closed tours", f"{p.registrant_id} was given {p.tour_id}, whose list was "
                                                        "frozen", p.registrant_id, p.tour_id))
        reason = eligibility(person, tour, sites[tour.site_id], (p.registrant_id, p.tour_id) in taken_off)
        if reason is not None:
            violations.append(Violation("eligibility", f"{p.registrant_id} holds {p.tour_id} but is not eligible: "
                                                       f"{reason}", p.registrant_id, p.tour_id))
        choice = person.choices[p.choice_rank - 1] if 1 <= p.choice_rank <= len(person.choices) else None
        if choice not in (p.tour_id, tour.site_id):
            violations.append(Violation("placements match choices",
                                        f"{p.registrant_id} holds {p.tour_id} as choice {p.choice_rank}, "
                                        f"which is {choice!r}", p.registrant_id, p.tour_id))
    for (rid, tour_id) in sorted(kept.keys() - {(p.registrant_id, p.tour_id) for p in stored.placements}):
        violations.append(Violation("kept seats", f"{rid}'s seat on {tour_id} was to be kept, but the result "
                                                  "does not have it", rid, tour_id))

    excused_tours = {tour_id for _, tour_id in excused}
    excused_people = {rid for rid, _ in excused}
    for tour_id, taken in sorted(seats.items()):
        if taken > tours[tour_id].capacity and tour_id not in excused_tours:
            violations.append(Violation("capacity", f"{tour_id} has {taken} seats taken of {tours[tour_id].capacity}",
                                        tour_id=tour_id))

    for rid, mine in sorted(held.items()):
        if rid in excused_people:
            continue
        if len(mine) > inputs.max_tours_per_person:
            violations.append(Violation("placed at most once",
                                        f"{rid} holds {len(mine)} tours ({', '.join(p.tour_id for p in mine)}); "
                                        f"at most {inputs.max_tours_per_person} allowed", rid))
        for i, a in enumerate(mine):
            for b in mine[i + 1:]:
                if overlaps(times[a.tour_id], times[b.tour_id]):
                    violations.append(Violation("placed at most once",
                                                f"{rid} holds {a.tour_id} and {b.tour_id}, which overlap", rid))
    return violations


def _check_priorities(ids: Sequence[str], position: Mapping[str, int], stored: ResultColumns) -> list[Violation]:
    """Everyone has an outcome, in the order the seed gives."""
    if list(stored.people) == list(ids):
        return []
    violations = []
    for rid in sorted(set(ids) - set(stored.people)):
        violations.append(Violation("priority order", f"{rid} has no recorded outcome", rid))
    for place, rid in sorted(enumerate(stored.people), key=lambda e: e[1]):
        if rid not in position:
            violations.append(Violation("priority order", f"{rid} has an outcome but was not in the inputs", rid))
        elif place != position[rid]:
            violations.append(Violation("priority order", f"{rid} is recorded at priority {place + 1}, "
                                                          f"but the seed gives {position[rid] + 1}", rid))
    return violations


def _derived_positions(ids: Sequence[str], position: Mapping[str, int], stored: ResultColumns) -> np.ndarray:
    """For each stored place, the person's position in the order the seed gives (-1: not in the inputs)."""
    import numpy as np

    if list(stored.people) == list(ids):
        return np.arange(len(ids), dtype=np.int64)
    return np.array([position.get(rid, -1) for rid in stored.people], dtype=np.int64)


def _check_waitlists(ids: Sequence[str], position: Mapping[str, int], stored: ResultColumns) -> list[Violation]:
    """Each tour's line, in the stored order, goes by priority, and the lines are stored tour by tour."""
    import numpy as np

    check = "waitlists in priority order"
    tour, place = stored.waitlist_tour, stored.waitlist_person
    violations = []
    if (tour[1:] < tour[:-1]).any():
        violations.append(Violation(check, "the waitlist entries are not stored tour by tour"))
    derived = _derived_positions(ids, position, stored)[place]
    for i in np.flatnonzero((tour[1:] == tour[:-1]) & (derived[1:] <= derived[:-1])).tolist():
        before, after = stored.people[place[i]], stored.people[place[i + 1]]
        priority = {rid: position[rid] + 1 for rid in (before, after) if rid in position}
        violations.append(Violation(check, f"on the waitlist of {stored.tours[tour[i]]}, {after} (priority "
                                           f"{priority.get(after)}) comes after {before} (priority "
                                           f"{priority.get(before)})", after, stored.tours[tour[i]]))
    return violations


def _compare_with_rederived(result: AllocationResult, stored: StoredResult) -> list[Violation]:
    """The stored seats, outcomes and waitlists must be those the rule gives: only what differs is described."""
    import numpy as np

    check = "result equals the re-derived one"
    derived = result.columns()
    violations = []

    def by_person(placements) -> dict[str, list[tuple[str, int]]]:
        table: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for p in placements:
            table[p.registrant_id].append((p.tour_id, p.choice_rank))
        return {rid: sorted(v) for rid, v in table.items()}

    recorded = by_person(stored.placements)
    derived_seats = by_person(result.placements())
    for rid in sorted(set(derived_seats) | set(recorded)):
        if derived_seats.get(rid) != recorded.get(rid):
            violations.append(Violation(check, f"{rid} holds {_describe(recorded.get(rid))}; "
                                               f"re-derived: {_describe(derived_seats.get(rid))}", rid))

    mine = stored.columns
    rows = (np.arange(len(derived.people)) if list(mine.people) == list(derived.people)
            else np.array([mine.place_of.get(rid, -1) for rid in derived.people], dtype=np.int64))
    present = np.flatnonzero(rows >= 0)
    width = max(mine.code.shape[1], derived.code.shape[1])
    differ = np.zeros(len(present), dtype=bool)
    for name, vocabulary in (("code", "codes"), ("tour", "tours"), ("choice", "choices")):
        recoded = _recode(getattr(mine, vocabulary), getattr(derived, vocabulary))[
            _pad(getattr(mine, name), width)[rows[present]] + 1]
        differ |= (recoded != _pad(getattr(derived, name), width)[present]).any(axis=1)
    for i in present[differ].tolist():
        expected = derived.outcome_rows(i)
        had = mine.outcome_rows(int(rows[i]))
        differing = [f"choice {e['rank']}: recorded {r.get('code')} {r.get('tour_id') or ''}".rstrip()
                     + f", re-derived {e['code']} {e['tour_id'] or ''}".rstrip()
                     for r, e in zip(had, expected, strict=False) if r != e]
        if len(had) != len(expected):
            differing.append(ngettext("{count} choice recorded, {expected} in the inputs",
                                      "{count} choices recorded, {expected} in the inputs", len(had)).format(
                                          count=len(had), expected=len(expected)))
        violations.append(Violation(check, f"{derived.people[i]}'s recorded outcomes differ: {'; '.join(differing)}",
                                    derived.people[i]))

    same_people = list(mine.people) == list(derived.people)
    same_lines = (mine.waitlist_tour.size == derived.waitlist_tour.size
                  and np.array_equal(_recode(mine.tours, derived.tours)[mine.waitlist_tour + 1], derived.waitlist_tour)
                  and np.array_equal(mine.waitlist_person if same_people
                                     else _recode(mine.people, derived.people)[mine.waitlist_person + 1],
                                     derived.waitlist_person))
    if same_lines:
        return violations
    derived_waitlists, recorded_waitlists = derived.waitlists(), mine.waitlists()
    for tour_id in sorted(set(derived_waitlists) | set(recorded_waitlists)):
        recorded_ids, derived_ids = recorded_waitlists.get(tour_id, []), derived_waitlists.get(tour_id, [])
        if recorded_ids != derived_ids:
            missing = [rid for rid in derived_ids if rid not in recorded_ids]
            extra = [rid for rid in recorded_ids if rid not in derived_ids]
            detail = "; ".join(part for part in (
                f"missing {', '.join(missing[:10])}" if missing else "",
                f"not due {', '.join(extra[:10])}" if extra else "",
                "order differs" if not missing and not extra else "") if part)
            violations.append(Violation(check, f"the waitlist of {tour_id} differs from the re-derived one: {detail}",
                                        next(iter(missing or extra), None), tour_id))
    return violations


def _recode(names: Sequence[str], into: Sequence[str]) -> np.ndarray:
    """A lookup from stored numbers + 1 (so that -1, none, stays -1) to the numbers of the same names in ``into``.

    A name ``into`` lacks becomes -2, which matches nothing.
    """
    import numpy as np

    number = index_of(into)
    return np.array([-1, *(number.get(name, -2) for name in names)], dtype=np.int64)


def _pad(values: np.ndarray, width: int) -> np.ndarray:
    import numpy as np

    if values.shape[1] == width:
        return values.astype(np.int64)
    padded = np.full((len(values), width), -1, dtype=np.int64)
    padded[:, :values.shape[1]] = values
    return padded


def _describe(placements: list[tuple[str, int]] | None) -> str:
    if not placements:
        return "no tour"
    return ", ".join(f"{tour_id} (choice {rank})" for tour_id, rank in placements)
