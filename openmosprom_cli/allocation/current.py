"""The season's allocation as it stands now: the current run, with every change made since.

A cancellation, a manual move, a cancelled tour or a cut capacity changes who
sits where at once, without a new run: the change is logged
(:mod:`openmosprom_cli.store.changes`), and this view applies the changes made
after the current run to that run's result. The next ``assign`` gives the
freed seats by priority and folds the changes into a new run.

It is the one place where the season's seats, waitlists and their positions
are read: the rosters, the notifications, ``explain`` and ``publish`` all see
the same. A person's place on a waitlist is defined here, once: their rank
among that tour's waitlisted people who are not cancelled and hold no
commitment. The lines are worked out over the stored columns
(:attr:`CurrentAllocation.waitlist_lines`); the dictionaries
(:attr:`~CurrentAllocation.waitlists`, :attr:`~CurrentAllocation.positions`)
are made from them for those who want everyone's.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openmosprom_cli.allocation.result import Placement
from openmosprom_cli.allocation.stored import StoredAllocation, load_current_allocation
from openmosprom_cli.models import ChoiceOutcome
from openmosprom_cli.store.changes import (
    ChangeRow,
    CommitmentRow,
    load_cancellations,
    load_changes,
    load_commitments,
)

if TYPE_CHECKING:
    import numpy as np

# The kinds of change that begin or end a seat (store/changes.py logs them).
COMMIT, SEAT, UNSEAT = "commit", "seat", "unseat"


@dataclass(frozen=True)
class WaitlistLines:
    """The waitlists as they stand now, one entry per person and tour, by tour and then place in line.

    Tours and people are numbered as in the run's stored result
    (:class:`~openmosprom_cli.allocation.result_columns.ResultColumns`: ``tours``, ``people``).
    """

    tour: np.ndarray
    person: np.ndarray       # place in the run's priority order
    position: np.ndarray     # place in the tour's line now, 1 = next


@dataclass(frozen=True)
class CurrentAllocation:
    stored: StoredAllocation
    placements: tuple[Placement, ...]                       # who sits where now
    commitments: dict[tuple[str, str], CommitmentRow]        # (person, tour) → the commitment
    cancelled: dict[str, tuple[str, str, int]]               # person → (reason, source, change ID)
    changes_since: tuple[ChangeRow, ...]                     # made after the run, in order

    @property
    def run_id(self) -> int:
        return self.stored.run_id

    @property
    def seed(self) -> str:
        return self.stored.seed

    @property
    def created_at(self) -> str:
        return self.stored.created_at

    @property
    def priorities(self) -> dict[str, int]:
        return self.stored.priorities

    @property
    def choice_outcomes(self) -> dict[str, tuple[ChoiceOutcome, ...]]:
        """Everyone's (slow at scale: prefer :meth:`outcomes_of`)."""
        return self.stored.choice_outcomes

    def priority_of(self, registrant_id: str) -> int | None:
        """1 = chose first; None if the run did not include them."""
        return self.stored.result.priority_of(registrant_id)

    def outcomes_of(self, registrant_id: str) -> tuple[ChoiceOutcome, ...] | None:
        """What each of the person's choices gave them in the run; None if it did not include them."""
        return self.stored.result.outcomes_of(registrant_id)

    @functools.cached_property
    def committed_people(self) -> frozenset[str]:
        return frozenset(rid for rid, _ in self.commitments)

    @functools.cached_property
    def waitlist_lines(self) -> WaitlistLines:
        """The stored waitlists without anyone cancelled or holding a commitment, and everyone's place now."""
        import numpy as np

        columns = self.stored.result.columns
        leaving = np.zeros(len(columns.people), dtype=bool)
        leaving[[columns.place_of[rid] for rid in self.committed_people | self.cancelled.keys()
                 if rid in columns.place_of]] = True
        stays = ~leaving[columns.waitlist_person]
        tour, person = columns.waitlist_tour[stays], columns.waitlist_person[stays]
        firsts = np.flatnonzero(np.concatenate(([True], tour[1:] != tour[:-1]))) if tour.size else tour
        lengths = np.diff(np.concatenate((firsts, [tour.size])))
        position = np.arange(tour.size) - np.repeat(firsts, lengths) + 1
        return WaitlistLines(tour, person, position)

    @functools.cached_property
    def _line_bounds(self) -> dict[str, tuple[int, int]]:
        import numpy as np

        tours = self.stored.result.columns.tours
        lines = self.waitlist_lines
        numbers, firsts, counts = np.unique(lines.tour, return_index=True, return_counts=True)
        return {tours[t]: (first, first + count)
                for t, first, count in zip(numbers.tolist(), firsts.tolist(), counts.tolist(), strict=True)}

    def line(self, tour_id: str) -> list[str]:
        """The people waiting for the tour now, first in line first."""
        start, stop = self._line_bounds.get(tour_id, (0, 0))
        people = self.stored.result.columns.people
        return [people[p] for p in self.waitlist_lines.person[start:stop].tolist()]

    def iter_line(self, tour_id: str) -> Iterator[str]:
        """:meth:`line`, one person at a time: for who reads only its head."""
        start, stop = self._line_bounds.get(tour_id, (0, 0))
        people = self.stored.result.columns.people
        for chunk in range(start, stop, 64):
            yield from (people[p] for p in self.waitlist_lines.person[chunk:min(chunk + 64, stop)].tolist())

    def waiting_tours(self) -> list[str]:
        """The tours someone waits for now."""
        return list(self._line_bounds)

    def people_waiting(self, excluding: Collection[str] = ()) -> list[str]:
        """Everyone on a waitlist now (of a tour not in ``excluding``), each once."""
        import numpy as np

        columns, lines = self.stored.result.columns, self.waitlist_lines
        excluded = set(excluding)
        skipped = [i for i, tour_id in enumerate(columns.tours) if tour_id in excluded]
        people = np.unique(lines.person[~np.isin(lines.tour, skipped)]) if skipped else np.unique(lines.person)
        return [columns.people[p] for p in people.tolist()]

    def waiting_count(self, tour_id: str) -> int:
        start, stop = self._line_bounds.get(tour_id, (0, 0))
        return stop - start

    def positions_of(self, registrant_id: str) -> dict[str, int]:
        """{tour: the person's place on its waitlist now, 1 = next}."""
        import numpy as np

        columns = self.stored.result.columns
        place = columns.place_of.get(registrant_id)
        if place is None:
            return {}
        lines = self.waitlist_lines
        at = np.flatnonzero(lines.person == place)
        return {columns.tours[t]: p for t, p in zip(lines.tour[at].tolist(), lines.position[at].tolist(), strict=True)}

    @functools.cached_property
    def waitlists(self) -> dict[str, list[str]]:
        """Tour → the people waiting for it, first in line first: nobody cancelled, nobody holding a commitment."""
        return {tour_id: self.line(tour_id) for tour_id in self._line_bounds}

    @functools.cached_property
    def positions(self) -> dict[str, dict[str, int]]:
        """Person → {tour: their place on its waitlist, 1 = next} (everyone's: prefer :meth:`positions_of`)."""
        columns, lines = self.stored.result.columns, self.waitlist_lines
        found: dict[str, dict[str, int]] = {}
        for t, p, position in zip(lines.tour.tolist(), lines.person.tolist(), lines.position.tolist(), strict=True):
            found.setdefault(columns.people[p], {})[columns.tours[t]] = position
        return found

    def is_committed(self, registrant_id: str, tour_id: str) -> bool:
        return (registrant_id, tour_id) in self.commitments


def current_allocation(conn: sqlite3.Connection) -> CurrentAllocation | None:
    """None before the first run."""
    stored = load_current_allocation(conn)
    if stored is None:
        return None
    changes = tuple(load_changes(conn, after=stored.run.last_change))
    commitments = {(c.registrant_id, c.tour_id): c for c in load_commitments(conn)}
    return CurrentAllocation(stored, apply_changes(stored.placements, changes), commitments,
                             load_cancellations(conn), changes)


def apply_changes(placements: tuple[Placement, ...], changes: tuple[ChangeRow, ...]) -> tuple[Placement, ...]:
    """The seats after these changes: an unseat takes one away, a seat (an organizer's move) adds one."""
    seats = {(p.registrant_id, p.tour_id): p for p in placements}
    for change in changes:
        if change.registrant_id is None or change.tour_id is None:
            continue
        key = (change.registrant_id, change.tour_id)
        if change.kind == UNSEAT:
            seats.pop(key, None)
        elif change.kind == SEAT:
            seats[key] = Placement(change.registrant_id, change.tour_id, change.choice_rank or 0, change.seats or 1)
    return tuple(seats.values())
