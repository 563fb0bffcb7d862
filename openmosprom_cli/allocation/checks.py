"""Every rule of the allocation, checked on a stored result independently of the solver that made it.

The checks use the same constraints as the solvers (``allocation.rules``:
``eligibility``, ``fits``, ``overlaps``) but walk the stored result on their
own, so an edited result, or one from a faulty solver, shows up as named
violations. Seats kept from before (commitments, ``inputs.held``) are checked
as kept: their holders chose no more, and what was left is what the others
chose from. A kept seat that an organizer placed against a rule is excused by
the reason recorded for it (``excused``), and shows up among the audit's
documented exceptions instead.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

from openmosprom_cli.allocation.inputs import AllocationInput, Applicant
from openmosprom_cli.allocation.priority import priority_order
from openmosprom_cli.allocation.result import Placement
from openmosprom_cli.allocation.rules import eligibility, fits, ordered_tours, overlaps, tour_minutes
from openmosprom_cli.allocation.solver import allocate
from openmosprom_cli.allocation.stored import StoredResult

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
    closed = set(inputs.closed)
    tours = {t.tour_id: t for t in inputs.tours}
    sites = {s.site_id: s for s in inputs.sites}
    people = {a.id: a for a in inputs.applicants}
    site_tours: dict[str, list[str]] = defaultdict(list)
    for t in ordered_tours(inputs.tours):
        site_tours[t.site_id].append(t.tour_id)
    times = {t.tour_id: tour_minutes(t) for t in inputs.tours}
    order = priority_order(inputs.applicants, seed)
    priority = {rid: i + 1 for i, rid in enumerate(order)}
    violations: list[Violation] = []

    def eligible(person: Applicant, tour_id: str) -> str | None:
        tour = tours[tour_id]
        return eligibility(person, tour, sites[tour.site_id])

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
        reason = eligible(person, p.tour_id)
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

    for rid in sorted(set(people) - set(stored.outcomes)):
        violations.append(Violation("priority order", f"{rid} has no recorded outcome", rid))
    for rid, (stored_priority, _) in sorted(stored.outcomes.items()):
        if rid not in priority:
            violations.append(Violation("priority order", f"{rid} has an outcome but was not in the inputs", rid))
        elif stored_priority != priority[rid]:
            violations.append(Violation("priority order", f"{rid} is recorded at priority {stored_priority}, "
                                                          f"but the seed gives {priority[rid]}", rid))

    violations.extend(_envy(inputs, order, people, tours, site_tours, times, held, eligible, kept))

    for tour_id, ids in sorted(stored.waitlists.items()):
        positions = stored.waitlist_positions.get(tour_id, [])
        if positions != list(range(1, len(ids) + 1)):
            violations.append(Violation("waitlists in priority order",
                                        f"the waitlist of {tour_id} has positions {positions[:10]}…, not 1…{len(ids)}",
                                        tour_id=tour_id))
        for before, after in pairwise(ids):
            if priority.get(before, 0) >= priority.get(after, 0):
                violations.append(Violation("waitlists in priority order",
                                            f"on the waitlist of {tour_id}, {after} (priority {priority.get(after)}) "
                                            f"comes after {before} (priority {priority.get(before)})",
                                            after, tour_id))

    violations.extend(_compare_with_rederived(inputs, seed, stored))
    return violations


def _envy(inputs: AllocationInput, order: tuple[str, ...], people: dict[str, Applicant], tours: dict,
          site_tours: dict[str, list[str]], times: dict, held: dict[str, list[Placement]], eligible,
          kept: Mapping[tuple[str, str], object]) -> list[Violation]:
    """Walk the priority order with the stored seats: nobody may be denied a better choice that had room for them.

    Kept seats were taken before anyone chose, and whoever keeps as many as they may does not choose at all.
    """
    violations = []
    taken: Counter[str] = Counter()
    kept_by_person: dict[str, list[Placement]] = defaultdict(list)
    for rid in order:
        for p in held.get(rid, ()):
            if (rid, p.tour_id) in kept:
                taken[p.tour_id] += p.seats
                kept_by_person[rid].append(p)
    holders: dict[str, list[str]] = defaultdict(list)
    for rid in order:
        for p in held.get(rid, ()):
            holders[p.tour_id].append(rid)
    position = {rid: i for i, rid in enumerate(order)}
    closed = set(inputs.closed)
    limit = inputs.max_tours_per_person
    for rid in order:
        person = people[rid]
        keeps = kept_by_person.get(rid, [])
        if len(keeps) >= limit:
            continue
        mine = sorted((p for p in held.get(rid, ()) if (rid, p.tour_id) not in kept), key=lambda p: p.choice_rank)
        # Choices that should have been tried: before the last one granted once the limit is reached, else all.
        cutoff = mine[-1].choice_rank if mine and len(mine) + len(keeps) >= limit else len(person.choices) + 1
        granted_ranks = {p.choice_rank for p in (*mine, *keeps)}
        for rank, choice in enumerate(person.choices[:cutoff - 1], 1):
            if rank in granted_ranks:
                continue
            earlier = [p.tour_id for p in mine if p.choice_rank < rank] + [p.tour_id for p in keeps]
            options = [choice] if choice in tours else site_tours.get(choice, [])
            for tour_id in options:
                if (tour_id not in closed and eligible(person, tour_id) is None
                        and not any(overlaps(times[tour_id], times[h]) for h in earlier)
                        and fits(tours[tour_id].capacity - taken[tour_id], person.party_size)):
                    lower = [h for h in holders[tour_id] if position[h] > position[rid]]
                    left = tours[tour_id].capacity - taken[tour_id]
                    named = ", ".join(lower[:5]) + (f" and {len(lower) - 5} more" if len(lower) > 5 else "")
                    tail = (f"lower-priority {named} {'holds a seat' if len(lower) == 1 else 'hold seats'} there"
                            if lower else "yet they did not get it")
                    violations.append(Violation(
                        "no justified envy",
                        f"{rid} (priority {position[rid] + 1}) ranked {tour_id} as choice {rank}, above their "
                        f"result, was eligible, and it had {left} seats left at their turn for a party of "
                        f"{person.party_size}; {tail}", rid, tour_id))
                    break
        for p in mine:
            taken[p.tour_id] += p.seats
    return violations


def _compare_with_rederived(inputs: AllocationInput, seed: str, stored: StoredResult) -> list[Violation]:
    check = "result equals the re-derived one"
    result = allocate(inputs, seed=seed)
    violations = []

    def by_person(placements) -> dict[str, list[tuple[str, int]]]:
        table: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for p in placements:
            table[p.registrant_id].append((p.tour_id, p.choice_rank))
        return {rid: sorted(v) for rid, v in table.items()}

    derived, recorded = by_person(result.placements()), by_person(stored.placements)
    for rid in sorted(set(derived) | set(recorded)):
        if derived.get(rid) != recorded.get(rid):
            violations.append(Violation(check, f"{rid} holds {_describe(recorded.get(rid))}; "
                                               f"re-derived: {_describe(derived.get(rid))}", rid))
    for _, applicant, rows in result.iter_outcomes():
        mine = stored.outcomes.get(applicant.id)
        expected = [o.to_json() for o in rows]
        if mine is not None and mine[1] != expected:
            differing = [f"choice {e['rank']}: recorded {r.get('code')} {r.get('tour_id') or ''}".rstrip()
                         + f", re-derived {e['code']} {e['tour_id'] or ''}".rstrip()
                         for r, e in zip(mine[1], expected, strict=False) if r != e]
            if len(mine[1]) != len(expected):
                differing.append(f"{len(mine[1])} choices recorded, {len(expected)} in the inputs")
            violations.append(Violation(check, f"{applicant.id}'s recorded outcomes differ: {'; '.join(differing)}",
                                        applicant.id))
    derived_waitlists = result.waitlists()
    for tour_id in sorted(set(derived_waitlists) | set(stored.waitlists)):
        recorded_ids, derived_ids = stored.waitlists.get(tour_id, []), derived_waitlists.get(tour_id, [])
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


def _describe(placements: list[tuple[str, int]] | None) -> str:
    if not placements:
        return "no tour"
    return ", ".join(f"{tour_id} (choice {rank})" for tour_id, rank in placements)
