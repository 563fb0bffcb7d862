"""``openmosprom audit``: re-derive the current allocation from its stored inputs and seed, and check every rule.

The checks use the same constraints as the solvers (``allocation.rules``: ``eligibility``,
``fits``, ``overlaps``) but walk the stored result independently: a stored
result that was edited, or produced by a faulty solver, shows up as named
violations rather than as a different total.

After a privacy purge the snapshot holds age verdicts instead of some birth
dates. The audit then checks it against the fingerprint the last purge
recorded, checks that the purges account for every erased birth date, and
re-derives the result from it: the verdicts keep every decision, so the
result must still be the one stored, whose fingerprint never changes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from openmosprom_cli.allocation.inputs import AllocationInput, Applicant
from openmosprom_cli.allocation.priority import priority_order
from openmosprom_cli.allocation.result import Placement
from openmosprom_cli.allocation.rules import eligibility, fits, ordered_tours, overlaps, tour_minutes
from openmosprom_cli.allocation.snapshots import PurgeRecord
from openmosprom_cli.allocation.solver import allocate
from openmosprom_cli.allocation.stored import StoredResult, StoredRun, load_current_allocation
from openmosprom_cli.errors import MissingInputError
from openmosprom_cli.season.folder import Season

CHECKS = (
    "inputs fingerprint",
    "result fingerprint",
    "capacity",
    "eligibility",
    "placed at most once",
    "placements match choices",
    "priority order",
    "no justified envy",
    "waitlists in priority order",
    "result equals the re-derived one",
)


@dataclass(frozen=True)
class Violation:
    check: str
    message: str
    registrant_id: str | None = None
    tour_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "message": self.message, "registrant_id": self.registrant_id,
                "tour_id": self.tour_id}


@dataclass(frozen=True)
class AuditCertificate:
    run_id: int
    created_at: str
    seed: str
    inputs_fingerprint: str          # of the inputs as allocated
    result_fingerprint: str
    people: int
    placements: int
    checks: tuple[str, ...]
    violations: tuple[Violation, ...]
    purges: tuple[PurgeRecord, ...] = ()
    snapshot_fingerprint: str = ""   # what the snapshot was checked against: the last purge's, else the inputs'

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "run_id": self.run_id, "created_at": self.created_at, "seed": self.seed,
                "inputs_fingerprint": self.inputs_fingerprint, "snapshot_fingerprint": self.snapshot_fingerprint,
                "purges": [p.to_json() for p in self.purges], "result_fingerprint": self.result_fingerprint,
                "people": self.people, "placements": self.placements, "checks": list(self.checks),
                "violations": [v.to_json() for v in self.violations]}


def audit_current(season: Season) -> AuditCertificate:
    """Audit the season's current allocation run."""
    with season.reader() as conn:
        allocation = load_current_allocation(conn)
    if allocation is None:
        raise MissingInputError("there is no allocation to audit", hint="Run `openmosprom assign` first.")
    return audit_run(allocation.run, allocation.result)


def audit_run(run: StoredRun, stored: StoredResult) -> AuditCertificate:
    violations: list[Violation] = []
    if not run.inputs:
        violations.append(Violation("inputs fingerprint", "the run has no stored inputs to re-derive it from"))
        return _certificate(run, stored, violations)
    try:
        inputs = AllocationInput.from_json(run.inputs)
    except (KeyError, TypeError, ValueError) as exc:
        violations.append(Violation("inputs fingerprint", f"the stored inputs cannot be read ({exc!r})"))
        return _certificate(run, stored, violations)
    violations.extend(_check_snapshot(run, inputs))
    if stored.fingerprint() != run.result_fingerprint:
        violations.append(Violation("result fingerprint",
                                    f"the stored result has fingerprint {stored.fingerprint()}, "
                                    f"not the recorded {run.result_fingerprint}: it changed after the run"))
    violations.extend(check_result(inputs, run.seed, stored))
    return _certificate(run, stored, violations)


def _check_snapshot(run: StoredRun, inputs: AllocationInput) -> list[Violation]:
    check = "inputs fingerprint"
    violations = []
    actual = inputs.fingerprint()
    if actual != run.snapshot_fingerprint:
        since = (f"recorded by the purge of {run.purges[-1].purged_at}: they changed after it" if run.purges
                 else "recorded: they changed after the run")
        violations.append(Violation(check, f"the stored inputs have fingerprint {actual}, "
                                           f"not the {run.snapshot_fingerprint} {since}"))
    erased = [a.id for a in inputs.applicants if a.birth_date_erased]
    recorded = sum(p.people for p in run.purges)
    if len(erased) != recorded:
        violations.append(Violation(check, f"{len(erased)} birth dates in the stored inputs are erased "
                                           f"(e.g. {', '.join(sorted(erased)[:5]) or 'none'}), but the purges "
                                           f"record {recorded}", sorted(erased)[0] if erased else None))
    return violations


def _certificate(run: StoredRun, stored: StoredResult, violations: list[Violation]) -> AuditCertificate:
    return AuditCertificate(run.run_id, run.created_at, run.seed, run.inputs_fingerprint, run.result_fingerprint,
                            len(stored.outcomes), len(stored.placements), CHECKS, tuple(violations), run.purges,
                            run.snapshot_fingerprint)


def check_result(inputs: AllocationInput, seed: str, stored: StoredResult) -> list[Violation]:
    """Every rule of the allocation, checked on a stored result; an empty list means it is sound."""
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
        if p.seats != person.party_size:
            violations.append(Violation("capacity", f"{p.registrant_id} holds {p.seats} seats on {p.tour_id} "
                                                    f"for a party of {person.party_size}", p.registrant_id, p.tour_id))
        reason = eligible(person, p.tour_id)
        if reason is not None:
            violations.append(Violation("eligibility", f"{p.registrant_id} holds {p.tour_id} but is not eligible: "
                                                       f"{reason}", p.registrant_id, p.tour_id))
        choice = person.choices[p.choice_rank - 1] if 1 <= p.choice_rank <= len(person.choices) else None
        if choice not in (p.tour_id, tour.site_id):
            violations.append(Violation("placements match choices",
                                        f"{p.registrant_id} holds {p.tour_id} as choice {p.choice_rank}, "
                                        f"which is {choice!r}", p.registrant_id, p.tour_id))

    for tour_id, taken in sorted(seats.items()):
        if taken > tours[tour_id].capacity:
            violations.append(Violation("capacity", f"{tour_id} has {taken} seats taken of {tours[tour_id].capacity}",
                                        tour_id=tour_id))

    for rid, mine in sorted(held.items()):
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

    violations.extend(_envy(inputs, order, people, tours, site_tours, times, held, eligible))

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
          site_tours: dict[str, list[str]], times: dict, held: dict[str, list[Placement]], eligible) -> list[Violation]:
    """Walk the priority order with the stored seats: nobody may be denied a better choice that had room for them."""
    violations = []
    taken: Counter[str] = Counter()
    holders: dict[str, list[str]] = defaultdict(list)
    for rid in order:
        for p in held.get(rid, ()):
            holders[p.tour_id].append(rid)
    position = {rid: i for i, rid in enumerate(order)}
    for rid in order:
        person = people[rid]
        mine = sorted(held.get(rid, ()), key=lambda p: p.choice_rank)
        # Choices that should have been tried: before the last one granted once the limit is reached, else all.
        cutoff = mine[-1].choice_rank if len(mine) >= inputs.max_tours_per_person else len(person.choices) + 1
        granted_ranks = {p.choice_rank for p in mine}
        for rank, choice in enumerate(person.choices[:cutoff - 1], 1):
            if rank in granted_ranks:
                continue
            earlier = [p.tour_id for p in mine if p.choice_rank < rank]
            options = [choice] if choice in tours else site_tours.get(choice, [])
            for tour_id in options:
                if (eligible(person, tour_id) is None
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
