"""A stored allocation run, read back: the one reader of runs for the audit, ``explain`` and the rosters.

A run stores what it saw (the inputs snapshot, see
:mod:`~openmosprom_cli.allocation.snapshots`), the seed, both fingerprints
and the result in ``placements``, ``waitlist`` and ``outcomes``. The newest
run is the current one; earlier runs stay as history.

- :func:`load_current_allocation`: the current run and its whole result
  (the audit checks it, the rosters export it);
- :func:`current_run` and :func:`load_result`: the same, in two steps;
- :func:`load_person_result`: one person's part of a result (``explain``),
  without reading everyone's.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from openmosprom_cli.allocation.result import Placement, result_fingerprint
from openmosprom_cli.allocation.snapshots import PurgeRecord, split_snapshot
from openmosprom_cli.models import ChoiceOutcome
from openmosprom_cli.store.runs import (
    RunRow,
    count_people,
    decode_snapshot,
    load_current_run,
    load_outcomes,
    load_person_outcomes,
    load_person_tours,
    load_person_waitlists,
    load_placements,
    load_waitlist,
)


@dataclass(frozen=True)
class StoredRun:
    run_id: int
    created_at: str
    seed: str
    inputs_fingerprint: str          # of the inputs as allocated
    result_fingerprint: str
    summary: dict[str, Any]
    # Decoded on first use: the rosters never need it, and a million people's is large.
    snapshot_text: str = field(default="", repr=False)
    last_change: int = 0          # its inputs include every change up to this one
    kind: str = "fresh"           # fresh | incremental | from_scratch

    @functools.cached_property
    def _snapshot(self) -> tuple[dict[str, Any], tuple[PurgeRecord, ...]]:
        return split_snapshot(decode_snapshot(self.snapshot_text))

    @property
    def inputs(self) -> dict[str, Any]:
        """The inputs snapshot, as it is now ({} if the run stored none)."""
        return self._snapshot[0]

    @property
    def purges(self) -> tuple[PurgeRecord, ...]:
        return self._snapshot[1]

    @property
    def snapshot_fingerprint(self) -> str:
        """What the stored snapshot must hash to: the allocated inputs', or the last purge's."""
        return self.purges[-1].inputs_fingerprint if self.purges else self.inputs_fingerprint


@dataclass(frozen=True)
class StoredResult:
    """A run's result as the tables hold it."""

    placements: tuple[Placement, ...]
    waitlists: dict[str, list[str]]                                  # tour → IDs by position
    waitlist_positions: dict[str, list[int]]                         # tour → stored positions, in that order
    # ID → (priority, per-choice outcomes) exactly as stored: the result's fingerprint covers them so.
    outcomes: dict[str, tuple[int, list[dict[str, Any]]]]

    def fingerprint(self) -> str:
        return result_fingerprint(self.placements, self.waitlists, self.outcomes)

    @functools.cached_property
    def priorities(self) -> dict[str, int]:
        """ID → place in the priority order, 1 = chose first."""
        return {rid: priority for rid, (priority, _) in self.outcomes.items()}

    @functools.cached_property
    def choice_outcomes(self) -> dict[str, tuple[ChoiceOutcome, ...]]:
        """ID → what each of their choices gave them."""
        return {rid: choice_outcomes_of(rows) for rid, (_, rows) in self.outcomes.items()}


@dataclass(frozen=True)
class StoredAllocation:
    """A run and its result, as the allocation stage stored them."""

    run: StoredRun
    result: StoredResult

    @property
    def run_id(self) -> int:
        return self.run.run_id

    @property
    def seed(self) -> str:
        return self.run.seed

    @property
    def created_at(self) -> str:
        return self.run.created_at

    @property
    def placements(self) -> tuple[Placement, ...]:
        return self.result.placements

    @property
    def waitlists(self) -> dict[str, list[str]]:
        return self.result.waitlists

    @property
    def priorities(self) -> dict[str, int]:
        return self.result.priorities

    @property
    def choice_outcomes(self) -> dict[str, tuple[ChoiceOutcome, ...]]:
        return self.result.choice_outcomes


def choice_outcomes_of(rows: Iterable[Mapping[str, Any]]) -> tuple[ChoiceOutcome, ...]:
    """Stored per-choice outcomes as records; a missing field reads as its position or as empty."""
    return tuple(ChoiceOutcome(int(o.get("rank", i + 1)), str(o.get("choice", "")), o.get("tour_id"),
                               str(o.get("code", "")))
                 for i, o in enumerate(rows))


def current_run(conn: sqlite3.Connection) -> StoredRun | None:
    row = load_current_run(conn)
    return None if row is None else stored_run(row)


def stored_run(row: RunRow) -> StoredRun:
    return StoredRun(row.run_id, row.created_at, row.seed, row.inputs_fingerprint, row.result_fingerprint,
                     row.summary, row.snapshot_text, row.last_change, row.kind)


def load_result(conn: sqlite3.Connection, run_id: int) -> StoredResult:
    placements = tuple(Placement(*row) for row in load_placements(conn, run_id))
    waitlists: dict[str, list[str]] = {}
    positions: dict[str, list[int]] = {}
    for tour_id, position, registrant_id in load_waitlist(conn, run_id):
        waitlists.setdefault(tour_id, []).append(registrant_id)
        positions.setdefault(tour_id, []).append(position)
    return StoredResult(placements, waitlists, positions, load_outcomes(conn, run_id))


def load_current_allocation(conn: sqlite3.Connection) -> StoredAllocation | None:
    """The current run and its result; None before the first run."""
    run = current_run(conn)
    if run is None:
        return None
    return StoredAllocation(run, load_result(conn, run.run_id))


@dataclass(frozen=True)
class PersonResult:
    """One person's part of a run's result."""

    priority: int                                # 1 = chose first
    people: int                                  # everyone the run allocated
    choices: tuple[ChoiceOutcome, ...]
    tours: tuple[str, ...]                       # tours granted, by choice rank
    waitlists: tuple[tuple[str, int], ...]       # (tour, position), by tour


def load_person_result(conn: sqlite3.Connection, run_id: int, registrant_id: str) -> PersonResult | None:
    """None if the run did not include the person."""
    outcomes = load_person_outcomes(conn, run_id, registrant_id)
    if outcomes is None:
        return None
    priority, rows = outcomes
    return PersonResult(priority, count_people(conn, run_id), choice_outcomes_of(rows),
                        load_person_tours(conn, run_id, registrant_id),
                        load_person_waitlists(conn, run_id, registrant_id))
