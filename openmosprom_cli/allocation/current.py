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
commitment.
"""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass

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

# The kinds of change that begin or end a seat (store/changes.py logs them).
COMMIT, SEAT, UNSEAT = "commit", "seat", "unseat"


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
        return self.stored.choice_outcomes

    @functools.cached_property
    def committed_people(self) -> frozenset[str]:
        return frozenset(rid for rid, _ in self.commitments)

    @functools.cached_property
    def waitlists(self) -> dict[str, list[str]]:
        """Tour → the people waiting for it, first in line first: nobody cancelled, nobody holding a commitment."""
        leave_out = self.committed_people | self.cancelled.keys()
        lists = {tour_id: [rid for rid in ids if rid not in leave_out]
                 for tour_id, ids in self.stored.waitlists.items()}
        return {tour_id: ids for tour_id, ids in lists.items() if ids}

    @functools.cached_property
    def positions(self) -> dict[str, dict[str, int]]:
        """Person → {tour: their place on its waitlist, 1 = next}."""
        found: dict[str, dict[str, int]] = {}
        for tour_id, ids in self.waitlists.items():
            for position, rid in enumerate(ids, start=1):
                found.setdefault(rid, {})[tour_id] = position
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
