"""The reference solver: the rule, plainly; the specification the fast solver must match."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from openmosprom_cli.allocation.inputs import AllocationInput, check_inputs
from openmosprom_cli.allocation.market import Market, mark_held, market_of, options_of
from openmosprom_cli.allocation.priority import priority_key
from openmosprom_cli.allocation.result import AllocationResult
from openmosprom_cli.allocation.rules import (
    CODE_INDEX,
    FULL,
    HELD,
    HOLDS_SEAT,
    LIMIT_REACHED,
    NO_CHOICE,
    NOT_REACHED,
    OVERLAPS,
    PLACED,
    UNKNOWN_CHOICE,
    fits,
    ineligibility,
    ordered_tours,
    overlaps,
    person_traits,
    tour_minutes,
    tour_traits,
    tours_by_site,
)
from openmosprom_cli.models import Tour


def allocate_reference(inputs: AllocationInput, *, seed: str) -> AllocationResult:
    """Serial dictatorship written for reading; the specification the fast solver must match."""
    seed = str(seed)
    check_inputs(inputs)
    tours = tuple(ordered_tours(inputs.tours))
    sites = {s.site_id: s for s in inputs.sites}
    index_of = {t.tour_id: i for i, t in enumerate(tours)}
    site_tours = tours_by_site(tours)
    traits = [tour_traits(t, sites[t.site_id]) for t in tours]
    taken_off = set(inputs.taken_off)
    times = [tour_minutes(t) for t in tours]
    limit = inputs.max_tours_per_person
    after_limit = NOT_REACHED if limit == 1 else LIMIT_REACHED

    key = priority_key(seed)
    order = sorted(range(len(inputs.applicants)), key=lambda i: key(inputs.applicants[i]))
    market = market_of(inputs, tours, order)
    seats_left = list(market.seats)
    rows: list[tuple[list[int], list[int]]] = []
    waitlist: list[tuple[int, int]] = []
    for position, i in enumerate(order):
        person = inputs.applicants[i]
        if position in market.done:     # holds all they may: mark_held says so for each choice
            rows.append(([HOLDS_SEAT] * len(person.choices), [-1] * len(person.choices)))
            continue
        held: list[int] = list(market.holds(position))
        codes: list[int] = []
        granted_tours: list[int] = []
        for slot, choice in enumerate(person.choices):
            named_tour = index_of.get(choice, -1)
            options = options_of(choice, index_of, site_tours)
            if slot in market.answers(position):
                codes.append(HELD)      # a seat they hold answers this choice; mark_held names it
                granted_tours.append(-1)
                continue
            if len(held) >= limit:
                codes.append(after_limit)
                granted_tours.append(named_tour)
                continue
            if not options:
                codes.append(UNKNOWN_CHOICE)
                granted_tours.append(-1)
                continue
            first_reason: str | None = None
            overlapped = False
            full: list[int] = []
            granted = -1
            for t in options:
                reason = ineligibility(person_traits(person, tours[t].tour_id,
                                                     (person.id, tours[t].tour_id) in taken_off), traits[t])
                if reason is not None:
                    first_reason = first_reason or reason
                elif any(overlaps(times[t], times[h]) for h in held):
                    overlapped = True
                elif not fits(seats_left[t], person.party_size):
                    full.append(t)
                else:
                    granted = t
                    break
            if granted >= 0:
                seats_left[granted] -= person.party_size
                held.append(granted)
                codes.append(PLACED)
                granted_tours.append(granted)
                continue
            waitlist.extend((t, position) for t in full)
            codes.append(FULL if full else OVERLAPS if overlapped else CODE_INDEX[str(first_reason)])
            granted_tours.append(named_tour)
        rows.append((codes, granted_tours))
    return _pack(inputs, seed, order, tours, rows, waitlist, market)


def _pack(inputs: AllocationInput, seed: str, order: Sequence[int], tours: tuple[Tour, ...],
          rows: Sequence[tuple[list[int], list[int]]], waitlist: Iterable[tuple[int, int]],
          market: Market) -> AllocationResult:
    """The result as the fast solver gives it: outcome columns, with the waitlists listed as found."""
    import numpy as np

    n = len(order)
    k = max((len(a.choices) for a in inputs.applicants), default=0)
    code = np.full((n, k), NO_CHOICE, dtype=np.int8)
    tour = np.full((n, k), -1, dtype=np.int32)
    for p, (codes, tour_ids) in enumerate(rows):
        code[p, :len(codes)] = codes
        tour[p, :len(tour_ids)] = tour_ids
    mark_held(inputs, tours, order, market, code, tour)
    entries = sorted(set(waitlist))
    explicit = (np.array([t for t, _ in entries], dtype=np.int32), np.array([p for _, p in entries], dtype=np.int32))
    return AllocationResult(inputs, seed, np.asarray(order, dtype=np.int64), tours, code, tour, market, explicit)

