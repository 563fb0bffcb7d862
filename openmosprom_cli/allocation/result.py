"""An allocation's result: per-choice outcome columns in priority order, and the records made of them."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openmosprom_cli.allocation.columns import (
    KIND_SITE,
    KIND_TOUR,
    in_priority_order,
    reasons,
    take_rows,
    true_at,
)
from openmosprom_cli.allocation.inputs import AllocationInput, Applicant
from openmosprom_cli.allocation.market import Market
from openmosprom_cli.allocation.rules import CODES, ELIGIBLE, FULL, PLACED, restricts
from openmosprom_cli.models import ChoiceOutcome, Tour

if TYPE_CHECKING:
    import numpy as np

    from openmosprom_cli.allocation.result_columns import ResultColumns


@dataclass(frozen=True)
class Placement:
    """A seat given: to whom, on which tour, for which of their choices, and for how many people."""

    registrant_id: str
    tour_id: str
    choice_rank: int    # 1-based position in the person's list
    seats: int          # 1 + companions, as allocated

    @property
    def companions(self) -> int:
        return self.seats - 1


@dataclass(frozen=True, eq=False)
class AllocationResult:
    """Column arrays, indexed by priority position (0 = first to choose), so 1M people stay cheap.

    ``choice_code[p, j]`` is an index into CODES (NO_CHOICE past the person's
    list); ``choice_tour[p, j]`` a tour index or -1. The waitlists follow from
    these outcomes (see :func:`derive_waitlist`); the reference solver lists
    them explicitly instead, which the property tests compare. Use the methods
    for records.
    """

    inputs: AllocationInput
    seed: str
    order: np.ndarray          # priority position → index into inputs.applicants
    tours: tuple[Tour, ...]      # tour index → tour, earliest first
    choice_code: np.ndarray
    choice_tour: np.ndarray
    market: Market
    explicit_waitlist: tuple[np.ndarray, np.ndarray] | None = None

    @functools.cached_property
    def waitlist_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(tour index, priority position) pairs, sorted by tour, then priority."""
        return self.explicit_waitlist if self.explicit_waitlist is not None else derive_waitlist(self)

    def applicant_at(self, position: int) -> Applicant:
        return self.inputs.applicants[int(self.order[position])]

    def priority_ids(self) -> list[str]:
        return list(map(self.inputs.ids.__getitem__, self.order.tolist()))

    def placements(self) -> list[Placement]:
        """Every seat: those given by this allocation in priority order, then those it kept.

        A kept seat counts as the choice it answers, or as choice 0 when it
        answers none (an organizer placed the person there).
        """
        import numpy as np

        positions, slots = np.nonzero(self.choice_code == PLACED)
        placements = []
        for p, j, t in zip(positions.tolist(), slots.tolist(), self.choice_tour[positions, slots].tolist(),
                            strict=True):
            applicant = self.applicant_at(p)
            placements.append(Placement(applicant.id, self.tours[t].tour_id, j + 1, applicant.party_size))
        if self.inputs.held:
            index_of = {t.tour_id: i for i, t in enumerate(self.tours)}
            position_of = {self.applicant_at(p).id: p for p in self.market.held_at}
            for holding in self.inputs.held:
                p, t = position_of[holding.registrant_id], index_of[holding.tour_id]
                rank = next((slot + 1 for slot, held in self.market.answers(p).items() if held == t), 0)
                placements.append(Placement(holding.registrant_id, holding.tour_id, rank, holding.seats))
        return placements

    def waitlists(self) -> dict[str, list[str]]:
        """Tour ID → registrant IDs in priority order; only tours with a waitlist."""
        result: dict[str, list[str]] = {}
        tours, positions = self.waitlist_arrays
        for t, p in zip(tours.tolist(), positions.tolist(), strict=True):
            result.setdefault(self.tours[t].tour_id, []).append(self.applicant_at(p).id)
        return result

    def outcomes_at(self, position: int) -> list[ChoiceOutcome]:
        applicant = self.applicant_at(position)
        codes = self.choice_code[position].tolist()
        tours = self.choice_tour[position].tolist()
        return [ChoiceOutcome(j + 1, choice, self.tours[tours[j]].tour_id if tours[j] >= 0 else None, CODES[codes[j]])
                for j, choice in enumerate(applicant.choices)]

    def iter_outcomes(self) -> Iterator[tuple[int, Applicant, list[ChoiceOutcome]]]:
        """(priority position, applicant, per-choice outcomes) for everyone, first to choose first."""
        for position in range(len(self.order)):
            yield position, self.applicant_at(position), self.outcomes_at(position)

    def same_as(self, other: AllocationResult) -> bool:
        import numpy as np

        return (self.priority_ids() == other.priority_ids()
                and [t.tour_id for t in self.tours] == [t.tour_id for t in other.tours]
                and np.array_equal(self.choice_code, other.choice_code)
                and np.array_equal(self.choice_tour, other.choice_tour)
                and all(np.array_equal(a, b) for a, b in zip(self.waitlist_arrays, other.waitlist_arrays, strict=True)))

    def fingerprint(self) -> str:
        """The fingerprint a run records of this result: of its columns as stored (format 2)."""
        return self.columns().fingerprint(self.placements())

    def legacy_fingerprint(self) -> str:
        """The fingerprint of format 1, over the JSON form runs were stored in before the columns."""
        return self.columns().legacy_fingerprint(self.placements())

    def columns(self) -> ResultColumns:
        """The outcomes and waitlists as a run stores them."""
        # Imported here: the columns module describes results of this one.
        from openmosprom_cli.allocation.result_columns import ResultColumns

        return ResultColumns.of(self)


def derive_waitlist(result: AllocationResult) -> tuple[np.ndarray, np.ndarray]:
    """Waitlist entries implied by the outcomes: (tour index, priority position), by tour, then priority.

    A "full" tour choice puts the person on that tour's waitlist; a "full"
    site choice on the list of every tour of the site that they were eligible
    for and that did not overlap a tour they already held: at their turn each
    of those lacked room for their party, or they would have got it.
    """
    import numpy as np

    c = in_priority_order(result.inputs.input_columns, result.order)
    code, chosen = result.choice_code, result.choice_tour
    full = code == FULL
    rows, cols = true_at(full & (c.kind == KIND_TOUR))
    tours = [c.ref[rows, cols]]
    people = [rows]
    rows, cols = true_at(full & (c.kind == KIND_SITE))
    if rows.size:
        candidates = take_rows(c.site_tours, c.ref[rows, cols])
        slot, position = true_at(candidates >= 0)
        person, choice, tour = rows[slot], cols[slot], candidates[slot, position]
        # Millions of pairs at a million people: the rules only for tours they may apply to, the
        # overlaps only for people who hold a tour.
        ok = np.ones(len(tour), dtype=bool)
        ruled = np.flatnonzero(restricts(c.tour)[tour])
        ok[ruled] = reasons(c, person[ruled], tour[ruled]) == ELIGIBLE
        holders = np.flatnonzero((code == PLACED).any(axis=1)[person])
        for earlier in range(code.shape[1]):
            p, t = person[holders], tour[holders]
            held = chosen[p, earlier]
            clash = ((code[p, earlier] == PLACED) & (earlier < choice[holders])
                     & (c.start[t] < c.end[held]) & (c.start[held] < c.end[t]))
            ok[holders[clash]] = False
        # Seats kept from before are held from the start, whatever the rank of the choice they answer.
        if result.market.held_at:
            holding = np.fromiter(result.market.held_at, dtype=np.int64)
            for p in np.flatnonzero(np.isin(person, holding)):
                held = np.asarray(result.market.held_at[int(person[p])])
                t = tour[p]
                if ((c.start[t] < c.end[held]) & (c.start[held] < c.end[t])).any():
                    ok[p] = False
        tours.append(tour[ok])
        people.append(person[ok])
    n = max(len(result.order), 1)
    key = np.sort(np.concatenate(tours).astype(np.int64) * n + np.concatenate(people))
    key = key[np.concatenate(([True], key[1:] != key[:-1]))] if key.size else key
    return (key // n).astype(np.int32), (key % n).astype(np.int32)
