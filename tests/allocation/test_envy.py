"""The audit's envy check over arrays finds exactly what a plain walk through the priority order finds."""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmosprom_cli.allocation.checks import check_result
from openmosprom_cli.allocation.inputs import AllocationInput
from openmosprom_cli.allocation.priority import priority_order
from openmosprom_cli.allocation.result import Placement
from openmosprom_cli.allocation.rules import eligibility, fits, ordered_tours, overlaps, tour_minutes
from openmosprom_cli.allocation.solver import allocate
from openmosprom_cli.allocation.stored import StoredResult
from openmosprom_cli.models import Holding
from tests.allocation.test_allocation import instances


def walk(inputs: AllocationInput, seed: str, placements: list[Placement]) -> list[str]:
    """The envy check as the audit did it person by person, before it worked over arrays."""
    tours = {t.tour_id: t for t in inputs.tours}
    sites = {s.site_id: s for s in inputs.sites}
    people = {a.id: a for a in inputs.applicants}
    site_tours: dict[str, list[str]] = defaultdict(list)
    for t in ordered_tours(inputs.tours):
        site_tours[t.site_id].append(t.tour_id)
    times = {t.tour_id: tour_minutes(t) for t in inputs.tours}
    kept = {(h.registrant_id, h.tour_id) for h in inputs.held}
    order = priority_order(inputs.applicants, seed)
    held: dict[str, list[Placement]] = defaultdict(list)
    for p in placements:
        if p.registrant_id in people and p.tour_id in tours:
            held[p.registrant_id].append(p)
    taken: Counter[str] = Counter()
    kept_by_person: dict[str, list[Placement]] = defaultdict(list)
    holders: dict[str, list[str]] = defaultdict(list)
    for rid in order:
        for p in held.get(rid, ()):
            holders[p.tour_id].append(rid)
            if (rid, p.tour_id) in kept:
                taken[p.tour_id] += p.seats
                kept_by_person[rid].append(p)
    position = {rid: i for i, rid in enumerate(order)}
    messages = []
    for rid in order:
        person = people[rid]
        keeps = kept_by_person.get(rid, [])
        if len(keeps) >= inputs.max_tours_per_person:
            continue
        mine = sorted((p for p in held.get(rid, ()) if (rid, p.tour_id) not in kept), key=lambda p: p.choice_rank)
        full_up = mine and len(mine) + len(keeps) >= inputs.max_tours_per_person
        cutoff = mine[-1].choice_rank if full_up else len(person.choices) + 1
        granted = {p.choice_rank for p in (*mine, *keeps)}
        for rank, choice in enumerate(person.choices[:cutoff - 1], 1):
            if rank in granted:
                continue
            earlier = [p.tour_id for p in mine if p.choice_rank < rank] + [p.tour_id for p in keeps]
            for tour_id in [choice] if choice in tours else site_tours.get(choice, []):
                tour = tours[tour_id]
                if (tour_id not in inputs.closed and eligibility(person, tour, sites[tour.site_id]) is None
                        and not any(overlaps(times[tour_id], times[h]) for h in earlier)
                        and fits(tour.capacity - taken[tour_id], person.party_size)):
                    lower = [h for h in holders[tour_id] if position[h] > position[rid]]
                    named = ", ".join(lower[:5]) + (f" and {len(lower) - 5} more" if len(lower) > 5 else "")
                    tail = (f"lower-priority {named} {'holds a seat' if len(lower) == 1 else 'hold seats'} there"
                            if lower else "yet they did not get it")
                    left = tour.capacity - taken[tour_id]
                    messages.append(
                        f"{rid} (priority {position[rid] + 1}) ranked {tour_id} as choice {rank}, above their "
                        f"result, was eligible, and it had {left} {'seat' if left == 1 else 'seats'} left at their "
                        f"turn for a party of {person.party_size}; {tail}")
                    break
        for p in mine:
            taken[p.tour_id] += p.seats
    return messages


@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.randoms(use_true_random=False))
def test_the_envy_check_finds_what_a_walk_through_the_priority_order_finds(inputs, rnd):
    given_out = allocate(inputs, seed="x").placements()
    # Some seats are kept from before (announced), and the others are given again around them.
    held = tuple(Holding(p.registrant_id, p.tour_id, p.seats, p.choice_rank) for p in given_out if rnd.random() < 0.3)
    inputs = dataclasses.replace(inputs, held=held, closed=tuple(sorted(
        {t.tour_id for t in inputs.tours if rnd.random() < 0.15})))
    result = allocate(inputs, seed="x")
    # Tampered: seats taken away, and seats moved to other tours or other people.
    placements = []
    for p in result.placements():
        roll = rnd.random()
        if roll < 0.15:
            continue
        if roll < 0.3 and inputs.tours:
            p = dataclasses.replace(p, tour_id=rnd.choice(inputs.tours).tour_id)
        elif roll < 0.4 and inputs.applicants:
            p = dataclasses.replace(p, registrant_id=rnd.choice(inputs.applicants).id)
        placements.append(p)
    stored = StoredResult(tuple(placements), result.columns().stored())
    found = [v.message for v in check_result(inputs, "x", stored) if v.check == "no justified envy"]
    assert found == walk(inputs, "x", placements)
