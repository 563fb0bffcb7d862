"""No justified envy, checked over arrays: nobody may be denied a better choice that had room for them at their turn.

The audit walks the priority order with the stored seats. Done person by
person in Python that is a million eligibility tests at 200,000 people; here
every (person, choice they ranked above their result, tour it means) is one
entry of a few arrays, and the rules are the solver's own, applied to
columns (:func:`~openmosprom_cli.allocation.columns.reasons`). What is taken
of a tour at someone's turn is the seats kept from before plus those given
to people ahead of them.

Kept seats (commitments) were taken before anyone chose, and whoever keeps as
many as they may does not choose at all. Someone who got as many tours as they
may was owed nothing after the last choice granted; anyone else, nothing they
did not rank.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openmosprom_cli.allocation.columns import KIND_SITE, KIND_TOUR, Columns, reasons, take_rows, true_at
from openmosprom_cli.allocation.rules import ELIGIBLE

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Envy:
    """Someone ranked ``tour`` as choice ``rank`` above their result, could take it, and it had room at their turn."""

    position: int        # in the priority order, 0 = first
    rank: int            # 1-based
    tour: int            # tour index
    seats_left: int      # at their turn
    lower_holders: tuple[int, ...]    # positions after theirs that hold the tour, in order


@dataclass(frozen=True)
class HeldSeats:
    """The stored seats of people and tours of the inputs, as arrays, one entry per seat."""

    position: np.ndarray     # of the holder, in the priority order
    tour: np.ndarray         # tour index
    rank: np.ndarray         # the choice it answers, 1-based (0: none)
    seats: np.ndarray
    kept: np.ndarray         # kept from before (a commitment)


def justified_envy(c: Columns, held: HeldSeats, closed: Collection[int], limit: int) -> list[Envy]:
    """Every case of justified envy, by priority and then rank; the first tour of a choice that had room for them."""
    import numpy as np

    n, k = c.kind.shape
    if not n or not k:
        return []
    tours = len(c.capacity)
    kept = held.kept.astype(bool)
    keeps = np.bincount(held.position[kept], minlength=n)
    chooses_not = keeps >= limit
    mine = ~kept
    granted = np.bincount(held.position[mine], minlength=n)
    last_rank = np.zeros(n, dtype=np.int64)
    np.maximum.at(last_rank, held.position[mine], held.rank[mine])
    cutoff = np.where((granted > 0) & (granted + keeps >= limit), last_rank, k + 1)

    # Choices that should have been tried, and were not granted: before the cutoff rank, minus those answered.
    tried = ((np.arange(k) < (cutoff - 1)[:, None]) & ~chooses_not[:, None]
             & ((c.kind == KIND_TOUR) | (c.kind == KIND_SITE)))
    answered = (held.rank >= 1) & (held.rank <= k)
    tried[held.position[answered], held.rank[answered] - 1] = False
    rows, cols = true_at(tried)
    if not rows.size:
        return []
    is_site = c.kind[rows, cols] == KIND_SITE
    ref = c.ref[rows, cols]
    options = np.where(is_site[:, None], take_rows(c.site_tours, np.where(is_site, ref, 0)), -1)
    options[~is_site, 0] = ref[~is_site]
    slot, which = true_at(options >= 0)
    person, rank, tour = rows[slot], cols[slot] + 1, options[slot, which].astype(np.int64)

    open_ = np.ones(tours, dtype=bool)
    open_[list(closed)] = False
    left = c.capacity[tour] - _taken_before(held, chooses_not, tours, n, tour, person)
    # Room at their turn rules out most entries once the tours fill up: the rules and the overlaps only for the rest.
    ok = open_[tour] & (left >= c.size[person])
    maybe = np.flatnonzero(ok)
    ok[maybe] = reasons(c, person[maybe], tour[maybe]) == ELIGIBLE
    maybe = maybe[ok[maybe]]
    ok[maybe] = ~_overlaps_an_earlier_seat(c, held, person[maybe], rank[maybe], tour[maybe])

    found = np.flatnonzero(ok)
    # The first tour of each choice that had room: entries are in (person, rank, option) order.
    _, first = np.unique(person[found] * (k + 1) + rank[found], return_index=True)
    found = found[first]
    by_tour = np.lexsort((held.position, held.tour))
    holder_tour, holder_position = held.tour[by_tour], held.position[by_tour]
    envies = []
    for i in found.tolist():
        p, t = int(person[i]), int(tour[i])
        on_tour = holder_position[holder_tour == t]
        envies.append(Envy(p, int(rank[i]), t, int(left[i]), tuple(int(q) for q in on_tour[on_tour > p])))
    return envies


def _taken_before(held: HeldSeats, chooses_not: np.ndarray, tours: int, n: int, tour: np.ndarray,
                  person: np.ndarray) -> np.ndarray:
    """Seats of each tour taken at each person's turn: all kept ones, and those given to people ahead."""
    import numpy as np

    kept = held.kept.astype(bool)
    taken = np.bincount(held.tour[kept], weights=held.seats[kept], minlength=tours).astype(np.int64)
    # Someone who keeps all they may chooses nothing, so nothing else of theirs counts as chosen.
    given = ~kept & ~chooses_not[held.position]
    key = held.tour[given].astype(np.int64) * n + held.position[given]
    order = np.argsort(key, kind="stable")
    key = key[order]
    cumulative = np.concatenate(([0], np.cumsum(held.seats[given][order])))
    before = np.searchsorted(key, tour * n + person, side="left")
    tour_start = np.searchsorted(key, np.arange(tours, dtype=np.int64) * n, side="left")
    return taken[tour] + cumulative[before] - cumulative[tour_start][tour]


def _overlaps_an_earlier_seat(c: Columns, held: HeldSeats, person: np.ndarray, rank: np.ndarray,
                              tour: np.ndarray) -> np.ndarray:
    """Whether the tour overlaps a seat the person held at that choice: one kept, or one for an earlier choice."""
    import numpy as np

    clash = np.zeros(len(person), dtype=bool)
    if not held.position.size:
        return clash
    by_person = np.argsort(held.position, kind="stable")
    position = held.position[by_person]
    start = np.searchsorted(position, person, side="left")
    count = np.searchsorted(position, person, side="right") - start
    for h in range(int(count.max()) if count.size else 0):
        has = count > h
        seat = by_person[np.minimum(start + h, len(by_person) - 1)]
        other = held.tour[seat]
        earlier = has & (held.kept[seat].astype(bool) | (held.rank[seat] < rank))
        clash |= earlier & (c.start[tour] < c.end[other]) & (c.start[other] < c.end[tour])
    return clash


def held_seats(entries: Sequence[tuple[int, int, int, int, bool]]) -> HeldSeats:
    """From (holder's position, tour index, choice rank, seats, kept) per seat."""
    import numpy as np

    columns = list(zip(*entries, strict=True)) if entries else [(), (), (), (), ()]
    return HeldSeats(*(np.asarray(values, dtype=dtype)
                       for values, dtype in zip(columns, (np.int64, np.int64, np.int64, np.int64, bool), strict=True)))
