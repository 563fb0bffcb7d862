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
from openmosprom_cli.i18n import Msg, ngettext
from openmosprom_cli.models import OUTCOME_TEXT, Holding

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
    columns = inputs.input_columns
    order = priority_indices(inputs.applicants, seed, columns.priority)
    c = in_priority_order(columns, order)
    at = order.tolist()
    ids = list(map(inputs.ids.__getitem__, at))
    position = index_of(ids)
    # The records are read only where a seat or a message needs them: stored inputs make each when read.
    people = {rid: at[position[rid]] for rid in {p.registrant_id for p in stored.placements} if rid in position}
    violations = _check_placements(inputs, stored, people, kept, excused)

    violations.extend(_check_priorities(ids, position, stored.columns))
    tour_index = index_of([t.tour_id for t in columns.tours])
    held = held_seats([(position[p.registrant_id], tour_index[p.tour_id], p.choice_rank, p.seats,
                        (p.registrant_id, p.tour_id) in kept)
                       for p in stored.placements if p.registrant_id in position and p.tour_id in tours])
    closed = [tour_index[t] for t in inputs.closed if t in tour_index]
    for envy in justified_envy(c, held, closed, inputs.max_tours_per_person):
        rid, tour_id = ids[envy.position], columns.tours[envy.tour].tour_id
        lower = [ids[q] for q in envy.lower_holders]
        named = ", ".join(lower[:5])
        if len(lower) > 5:
            named = Msg("{ids} and {count} more", ids=named, count=len(lower) - 5)
        # The Russian names how many hold seats there, to agree with them (`count`; the English needs no number).
        tail = (ngettext("lower-priority {ids} holds a seat there", "lower-priority {ids} hold seats there",
                         len(lower)).format(ids=named, count=len(lower))
                if lower else Msg("yet they did not get it"))
        violations.append(Violation(
            "no justified envy",
            ngettext("{id} (priority {priority}) ranked {tour} as choice {rank}, above their result, was eligible, "
                     "and it had {seats} seat left at their turn for a party of {party}; {tail}",
                     "{id} (priority {priority}) ranked {tour} as choice {rank}, above their result, was eligible, "
                     "and it had {seats} seats left at their turn for a party of {party}; {tail}",
                     envy.seats_left).format(id=rid, priority=envy.position + 1, tour=tour_id, rank=envy.rank,
                                             seats=envy.seats_left,
                                             party=inputs.applicants[at[envy.position]].party_size, tail=tail),
            rid, tour_id))

    violations.extend(_check_waitlists(ids, position, stored.columns))
    # The solver itself, given the order and columns read above (what allocate() would compute again).
    check_inputs(inputs)
    violations.extend(_compare_with_rederived(solve(inputs, seed, columns.tours, order, c), stored))
    return violations


def _check_placements(inputs: AllocationInput, stored: StoredResult, people: Mapping[str, int],
                      kept: Mapping[tuple[str, str], Holding], excused: Excused) -> list[Violation]:
    """Each seat on its own (party size, eligibility, the choice it answers, closed tours), capacity, and the limit.

    ``people``: the place among the applicants of each ID that holds a seat.
    """
    closed = set(inputs.closed)
    taken_off = set(inputs.taken_off)
    tours = {t.tour_id: t for t in inputs.tours}
    sites = {s.site_id: s for s in inputs.sites}
    times = {t.tour_id: tour_minutes(t) for t in inputs.tours}
    violations: list[Violation] = []
    held: dict[str, list[Placement]] = defaultdict(list)
    seats: Counter[str] = Counter()
    for p in stored.placements:
        place, tour = people.get(p.registrant_id), tours.get(p.tour_id)
        person = None if place is None else inputs.applicants[place]
        if person is None or tour is None:
            unknown = (Msg("{id} holds {tour}, but no such registrant was in the inputs", id=p.registrant_id,
                           tour=p.tour_id) if person is None
                       else Msg("{id} holds {tour}, but no such tour was in the inputs", id=p.registrant_id,
                                tour=p.tour_id))
            violations.append(Violation("placements match choices", unknown, p.registrant_id, p.tour_id))
            continue
        held[p.registrant_id].append(p)
        seats[p.tour_id] += p.seats
        holding = kept.get((p.registrant_id, p.tour_id))
        if holding is not None:
            # A kept seat stays as it was given, whatever the person's data says now (the audit's attention
            # list names such changes), and may answer none of their choices (an organizer placed them).
            if p.seats != holding.seats:
                violations.append(Violation("capacity", ngettext(
                    "{id} holds {seats} seat on {tour}, but {kept} were kept",
                    "{id} holds {seats} seats on {tour}, but {kept} were kept", p.seats).format(
                        id=p.registrant_id, seats=p.seats, tour=p.tour_id, kept=holding.seats),
                    p.registrant_id, p.tour_id))
            if p.choice_rank not in (0, holding.choice_rank):
                violations.append(Violation("placements match choices",
                                            Msg("{id}'s kept seat on {tour} is recorded as choice {rank}, not "
                                                "{kept_rank}", id=p.registrant_id, tour=p.tour_id,
                                                rank=p.choice_rank, kept_rank=holding.choice_rank),
                                            p.registrant_id, p.tour_id))
            continue
        if p.seats != person.party_size:
            violations.append(Violation("capacity", ngettext(
                "{id} holds {seats} seat on {tour} for a party of {party}",
                "{id} holds {seats} seats on {tour} for a party of {party}", p.seats).format(
                    id=p.registrant_id, seats=p.seats, tour=p.tour_id, party=person.party_size),
                p.registrant_id, p.tour_id))
        if p.tour_id in closed:
            violations.append(Violation("closed tours", Msg("{id} was given {tour}, whose list was frozen",
                                                            id=p.registrant_id, tour=p.tour_id),
                                        p.registrant_id, p.tour_id))
        reason = eligibility(person, tour, sites[tour.site_id], (p.registrant_id, p.tour_id) in taken_off)
        if reason is not None:
            # The English names the rule by its code; `words` lets another language say it in words too.
            violations.append(Violation("eligibility", Msg("{id} holds {tour} but is not eligible: {reason}",
                                                           id=p.registrant_id, tour=p.tour_id, reason=reason,
                                                           words=OUTCOME_TEXT[reason][0] if reason in OUTCOME_TEXT
                                                           else reason),
                                        p.registrant_id, p.tour_id))
        choice = person.choices[p.choice_rank - 1] if 1 <= p.choice_rank <= len(person.choices) else None
        if choice not in (p.tour_id, tour.site_id):
            violations.append(Violation("placements match choices",
                                        Msg("{id} holds {tour} as choice {rank}, which is {choice}",
                                            id=p.registrant_id, tour=p.tour_id, rank=p.choice_rank,
                                            choice=repr(choice)) if choice is not None
                                        else Msg("{id} holds {tour} as choice {rank}, but they made no such choice",
                                                 id=p.registrant_id, tour=p.tour_id, rank=p.choice_rank),
                                        p.registrant_id, p.tour_id))
    for (rid, tour_id) in sorted(kept.keys() - {(p.registrant_id, p.tour_id) for p in stored.placements}):
        violations.append(Violation("kept seats", Msg("{id}'s seat on {tour} was to be kept, but the result does "
                                                      "not have it", id=rid, tour=tour_id), rid, tour_id))

    excused_tours = {tour_id for _, tour_id in excused}
    excused_people = {rid for rid, _ in excused}
    for tour_id, taken in sorted(seats.items()):
        if taken > tours[tour_id].capacity and tour_id not in excused_tours:
            violations.append(Violation("capacity", ngettext("{tour} has {taken} seat taken of {capacity}",
                                                             "{tour} has {taken} seats taken of {capacity}",
                                                             taken).format(tour=tour_id, taken=taken,
                                                                           capacity=tours[tour_id].capacity),
                                        tour_id=tour_id))

    for rid, mine in sorted(held.items()):
        if rid in excused_people:
            continue
        if len(mine) > inputs.max_tours_per_person:
            violations.append(Violation("placed at most once", ngettext(
                "{id} holds {count} tour ({tours}); at most {most} allowed",
                "{id} holds {count} tours ({tours}); at most {most} allowed", len(mine)).format(
                    id=rid, count=len(mine), tours=", ".join(p.tour_id for p in mine),
                    most=inputs.max_tours_per_person), rid))
        for i, a in enumerate(mine):
            for b in mine[i + 1:]:
                if overlaps(times[a.tour_id], times[b.tour_id]):
                    violations.append(Violation("placed at most once",
                                                Msg("{id} holds {first} and {second}, which overlap", id=rid,
                                                    first=a.tour_id, second=b.tour_id), rid))
    return violations


def _check_priorities(ids: Sequence[str], position: Mapping[str, int], stored: ResultColumns) -> list[Violation]:
    """Everyone has an outcome, in the order the seed gives."""
    if list(stored.people) == list(ids):
        return []
    violations = []
    for rid in sorted(set(ids) - set(stored.people)):
        violations.append(Violation("priority order", Msg("{id} has no recorded outcome", id=rid), rid))
    for place, rid in sorted(enumerate(stored.people), key=lambda e: e[1]):
        if rid not in position:
            violations.append(Violation("priority order", Msg("{id} has an outcome but was not in the inputs",
                                                              id=rid), rid))
        elif place != position[rid]:
            violations.append(Violation("priority order", Msg("{id} is recorded at priority {recorded}, but the "
                                                              "seed gives {derived}", id=rid, recorded=place + 1,
                                                              derived=position[rid] + 1), rid))
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
        violations.append(Violation(check, Msg("the waitlist entries are not stored tour by tour")))
    derived = _derived_positions(ids, position, stored)[place]
    for i in np.flatnonzero((tour[1:] == tour[:-1]) & (derived[1:] <= derived[:-1])).tolist():
        before, after = stored.people[place[i]], stored.people[place[i + 1]]
        priority = {rid: position[rid] + 1 for rid in (before, after) if rid in position}
        violations.append(Violation(check, Msg("on the waitlist of {tour}, {after} (priority {after_priority}) "
                                               "comes after {before} (priority {before_priority})",
                                               tour=stored.tours[tour[i]], after=after,
                                               after_priority=priority.get(after), before=before,
                                               before_priority=priority.get(before)),
                                    after, stored.tours[tour[i]]))
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
            violations.append(Violation(check, Msg("{id} holds {recorded}; re-derived: {derived}", id=rid,
                                                   recorded=_describe(recorded.get(rid)),
                                                   derived=_describe(derived_seats.get(rid))), rid))

    mine = stored.columns
    same_people = list(mine.people) == list(derived.people)
    rows = (np.arange(len(derived.people)) if same_people
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
        # An outcome is shown as stored: its code and tour ID.
        differing: list[str] = [
            Msg("choice {rank}: recorded {recorded}, re-derived {derived}", rank=e["rank"],
                recorded=f"{r.get('code')} {r.get('tour_id') or ''}".rstrip(),
                derived=f"{e['code']} {e['tour_id'] or ''}".rstrip())
            for r, e in zip(had, expected, strict=False) if r != e]
        if len(had) != len(expected):
            differing.append(ngettext("{count} choice recorded, {expected} in the inputs",
                                      "{count} choices recorded, {expected} in the inputs", len(had)).format(
                                          count=len(had), expected=len(expected)))
        violations.append(Violation(check, Msg("{id}'s recorded outcomes differ: {details}", id=derived.people[i],
                                               details="; ".join(differing)), derived.people[i]))

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
                Msg("missing {ids}", ids=", ".join(missing[:10])) if missing else "",
                Msg("not due {ids}", ids=", ".join(extra[:10])) if extra else "",
                Msg("order differs") if not missing and not extra else "") if part)
            violations.append(Violation(check, Msg("the waitlist of {tour} differs from the re-derived one: {details}",
                                                   tour=tour_id, details=detail),
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
        return Msg("no tour")
    return ", ".join(Msg("{tour} (choice {rank})", tour=tour_id, rank=rank) for tour_id, rank in placements)
