"""The fast solver: serial dictatorship over numpy columns, equal to the reference solver's result.

The rule it implements is stated in :mod:`openmosprom_cli.allocation.rules`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openmosprom_cli.allocation.columns import (
    KIND_NONE,
    KIND_SITE,
    KIND_TOUR,
    KIND_UNKNOWN,
    Columns,
    in_priority_order,
    reasons,
    take_rows,
    true_at,
)
from openmosprom_cli.allocation.inputs import AllocationInput, check_inputs
from openmosprom_cli.allocation.market import Market, mark_held, market_of
from openmosprom_cli.allocation.priority import priority_indices
from openmosprom_cli.allocation.result import AllocationResult
from openmosprom_cli.allocation.rules import (
    ELIGIBLE,
    FULL,
    HELD,
    LIMIT_REACHED,
    NO_CHOICE,
    NOT_REACHED,
    OVERLAPS,
    PLACED,
    UNKNOWN_CHOICE,
    restricts,
)
from openmosprom_cli.models import Tour

if TYPE_CHECKING:
    import numpy as np

_FIRST_CHUNK = 2048


def allocate(inputs: AllocationInput, *, seed: str) -> AllocationResult:
    """Serial dictatorship, fast: same result as :func:`~openmosprom_cli.allocation.reference.allocate_reference`.

    Seats only ever decrease, so a person with no eligible option that fits
    their party *now* will never get one. Chunk by chunk, numpy finds the few
    people who still might be placed; a tight loop decides those exactly, in
    priority order, and everyone else's outcome follows in bulk at the end.
    """
    seed = str(seed)
    check_inputs(inputs)
    columns = inputs.input_columns
    order = priority_indices(inputs.applicants, seed, columns.priority)
    return solve(inputs, seed, columns.tours, order, in_priority_order(columns, order))


def solve(inputs: AllocationInput, seed: str, tours: tuple[Tour, ...], order: np.ndarray,
          c: Columns) -> AllocationResult:
    """What :func:`allocate` does once the columns are in priority order (the benchmark times it alone)."""
    import numpy as np

    n, k = c.kind.shape
    code = np.full((n, k), NO_CHOICE, dtype=np.int8)
    chosen = np.full((n, k), -1, dtype=np.int32)
    decided = np.zeros(n, dtype=bool)
    market = market_of(inputs, tours, order.tolist()) if inputs.held or inputs.closed else None
    if market is None:
        seats_left = c.capacity.copy()
        choosing: dict[int, tuple[tuple[int, ...], frozenset[int]]] = {}
    else:
        seats_left = np.array(market.seats, dtype=c.capacity.dtype)
        decided[list(market.done)] = True          # they choose no more: mark_held gives their outcomes
        # Holders who go on choosing are decided one by one, whatever the numpy filter would say.
        choosing = {p: (ts, frozenset(market.answers(p))) for p, ts in market.held_at.items()
                    if p not in market.done}

    is_tour = c.kind == KIND_TOUR
    # Only the slots naming a tour that some rule applies to need the rules at all.
    tour_reason = np.full((n, k), ELIGIBLE, dtype=np.int8)
    if len(tours):
        rows, cols = true_at(is_tour & restricts(c.tour)[c.ref])
        tour_reason[rows, cols] = reasons(c, rows, c.ref[rows, cols])

    start, chunk = 0, _FIRST_CHUNK
    while start < n and tours:
        stop = min(n, start + chunk)
        maybe = _might_be_placed(c, start, stop, is_tour, tour_reason, seats_left)
        if choosing:
            extra = [p for p in choosing if start <= p < stop]
            maybe = np.union1d(maybe, np.asarray(extra, dtype=maybe.dtype)) if extra else maybe
        if market is not None:
            maybe = maybe[~decided[maybe]]
        if maybe.size:
            _decide_exactly(c, maybe, seats_left, code, chosen, inputs.max_tours_per_person, choosing)
            decided[maybe] = True
        start, chunk = stop, chunk * 2

    _settle_the_rest(c, ~decided, tour_reason, code, chosen)
    if market is None:
        market = Market(tuple(c.capacity.tolist()), {}, {}, frozenset())
    else:
        mark_held(inputs, tours, order.tolist(), market, code, chosen)
    return AllocationResult(inputs, seed, order, tours, code, chosen, market)


def _might_be_placed(c: Columns, start: int, stop: int, is_tour: np.ndarray, tour_reason: np.ndarray,
                     seats_left: np.ndarray) -> np.ndarray:
    """Positions in [start, stop) with an eligible option that still fits their party."""
    import numpy as np

    size = c.size[start:stop, None]
    ref = c.ref[start:stop]
    fit = is_tour[start:stop] & (tour_reason[start:stop] == ELIGIBLE) & (seats_left[ref] >= size)
    maybe = fit.any(axis=1)
    rows, cols = true_at((c.kind[start:stop] == KIND_SITE) & ~maybe[:, None])
    if rows.size:
        # No tour of a site has room for a party that its roomiest tour has no room for: once the
        # tours fill up, this spares looking at each tour of nearly every site choice.
        roomiest = np.where(c.site_tours >= 0, seats_left[c.site_tours], -1).max(axis=1)
        site = ref[rows, cols]
        roomy = roomiest[site] >= c.size[start + rows]
        rows, site = rows[roomy], site[roomy]
        candidates = take_rows(c.site_tours, site)                            # (slots, longest)
        open_ = (candidates >= 0) & (seats_left[np.maximum(candidates, 0)] >= c.size[start + rows, None])
        slot, position = true_at(open_)
        people = start + rows[slot]
        ok = reasons(c, people, candidates[slot, position]) == ELIGIBLE
        maybe[people[ok] - start] = True
    return start + np.flatnonzero(maybe)


def _decide_exactly(c: Columns, people: np.ndarray, seats: np.ndarray, code: np.ndarray,
                    chosen: np.ndarray, limit: int,
                    holding: dict[int, tuple[tuple[int, ...], frozenset[int]]]) -> None:
    """Serial dictatorship for these people, in priority order, with every option's reason precomputed."""
    import numpy as np

    k = c.kind.shape[1]
    kind = c.kind[people]
    ref = c.ref[people]
    is_site = kind == KIND_SITE
    count = np.where(kind == KIND_TOUR, 1, np.where(is_site, c.site_len[np.where(is_site, ref, 0)], 0)).ravel()
    offsets = np.concatenate(([0], np.cumsum(count)))
    slot = np.repeat(np.arange(count.size), count)
    within = np.arange(slot.size) - offsets[slot]
    slot_ref = ref.ravel()[slot]
    slot_is_site = is_site.ravel()[slot]
    option_tour = np.where(slot_is_site, c.site_tours[np.where(slot_is_site, slot_ref, 0), within], slot_ref)
    option_reason = reasons(c, people[slot // max(k, 1)], option_tour)

    kinds, refs, offs = kind.ravel().tolist(), ref.ravel().tolist(), offsets.tolist()
    opt_tour, opt_reason = option_tour.tolist(), option_reason.tolist()
    sizes = c.size[people].tolist()
    starts, ends = c.start.tolist(), c.end.tolist()
    left = seats.tolist()
    out_code = [NO_CHOICE] * kind.size
    out_tour = [-1] * kind.size
    # Where each person reached the limit; their later choices are settled below, in bulk.
    limit_at = [k] * len(people)
    positions = people.tolist()
    for i in range(len(people)):
        party = sizes[i]
        kept, answered = holding.get(positions[i], ((), frozenset())) if holding else ((), frozenset())
        held: list[int] = list(kept)
        base = i * k
        for j in range(base, base + k):
            what = kinds[j]
            if what == KIND_NONE:       # only padding follows
                break
            if what == KIND_UNKNOWN:
                out_code[j] = UNKNOWN_CHOICE
                continue
            if answered and j - base in answered:
                out_code[j] = HELD      # a seat they hold answers this choice; mark_held names it
                continue
            first_reason = -1
            overlapped = False
            full = False
            granted = -1
            for o in range(offs[j], offs[j + 1]):
                t = opt_tour[o]
                if opt_reason[o] != ELIGIBLE:
                    if first_reason < 0:
                        first_reason = opt_reason[o]
                elif held and any(starts[t] < ends[h] and starts[h] < ends[t] for h in held):
                    overlapped = True
                elif left[t] < party:
                    full = True
                else:
                    granted = t
                    break
            if granted >= 0:
                left[granted] -= party
                held.append(granted)
                out_code[j] = PLACED
                out_tour[j] = granted
                if len(held) == limit:
                    limit_at[i] = j - base + 1
                    break
            else:
                out_code[j] = FULL if full else OVERLAPS if overlapped else first_reason
                if what == KIND_TOUR:
                    out_tour[j] = refs[j]
    seats[:] = left
    if k:
        codes = np.array(out_code, dtype=np.int8).reshape(len(people), k)
        tours = np.array(out_tour, dtype=np.int32).reshape(len(people), k)
        after = (np.arange(k) >= np.array(limit_at)[:, None]) & (kind != KIND_NONE)
        codes[after] = NOT_REACHED if limit == 1 else LIMIT_REACHED
        tours[after] = np.where(kind == KIND_TOUR, ref, -1)[after]
        code[people] = codes
        chosen[people] = tours


def _settle_the_rest(c: Columns, rest: np.ndarray, tour_reason: np.ndarray, code: np.ndarray,
                     chosen: np.ndarray) -> None:
    """People who never had an option that fits: every eligible choice was full at their turn."""
    import numpy as np

    kind = c.kind
    rest = rest[:, None]
    tour_slot = rest & (kind == KIND_TOUR)
    np.copyto(tour_reason, FULL, where=tour_reason == ELIGIBLE)     # its last use: spares a copy
    np.copyto(code, tour_reason, where=tour_slot)
    np.copyto(chosen, c.ref, where=tour_slot, casting="unsafe")
    code[rest & (kind == KIND_UNKNOWN)] = UNKNOWN_CHOICE

    site_rows, site_cols = true_at(rest & (kind == KIND_SITE))
    site_of = c.ref[site_rows, site_cols]
    code[site_rows, site_cols] = FULL
    # A site's tours share its settings: the rules only for sites they may apply to.
    ruled = np.flatnonzero(restricts(c.tour)[c.site_tours[site_of, 0]])
    if ruled.size:
        rows, cols, site = site_rows[ruled], site_cols[ruled], site_of[ruled]
        # People only grow older, and the other rules do not depend on the date: someone is
        # eligible for some tour of a site exactly when they are eligible for its last one.
        first_reason = reasons(c, rows, c.site_tours[site, 0])
        last_reason = reasons(c, rows, c.site_tours[site, c.site_len[site] - 1])
        code[rows, cols] = np.where(last_reason == ELIGIBLE, FULL, first_reason)
    if c.taken_off_keys is not None:
        # Someone taken off one tour of a site may be eligible for another: such sites tour by tour.
        tours = take_rows(c.site_tours, site_of)
        marked = np.where(tours >= 0, c.tour.has_taken_off[np.maximum(tours, 0)], False).any(axis=1)
        picked = np.flatnonzero(marked)
        if picked.size:
            rows, cols, tours = site_rows[picked], site_cols[picked], tours[picked]
            why = reasons(c, rows[:, None], np.maximum(tours, 0))
            eligible = ((why == ELIGIBLE) & (tours >= 0)).any(axis=1)
            code[rows, cols] = np.where(eligible, FULL, why[:, 0])

