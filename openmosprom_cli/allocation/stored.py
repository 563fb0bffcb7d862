"""A stored allocation run, read back: the one reader of runs for the audit, ``explain``, publication and the rosters.

A run stores what it saw (its inputs as columns, see
:mod:`~openmosprom_cli.allocation.snapshot_columns`; a run made before them
keeps a JSON snapshot, see :mod:`~openmosprom_cli.allocation.snapshots`), the
seed, both fingerprints, its seats in ``placements``, and everyone's per-choice
outcomes and the waitlists as columns
(:mod:`~openmosprom_cli.allocation.result_columns`). The newest run is the
current one; earlier runs stay as history. Reading a result reads a few
arrays: nothing is decoded per person until someone asks about that person.

- :func:`load_current_allocation`: the current run and its whole result
  (the audit checks it, the rosters export it);
- :func:`current_run` and :func:`load_result`: the same, in two steps;
- :meth:`StoredResult.person` (or :func:`load_person_result`): one person's
  part of a result (``explain``); :meth:`StoredRun.applicant`: how the run saw them.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openmosprom_cli.allocation.inputs import AllocationInput, Applicant
from openmosprom_cli.allocation.result import AllocationResult, Placement
from openmosprom_cli.allocation.result_columns import ResultColumns
from openmosprom_cli.allocation.snapshot_columns import SnapshotColumns
from openmosprom_cli.allocation.snapshots import PurgeRecord, split_snapshot
from openmosprom_cli.errors import BadDataError
from openmosprom_cli.i18n import _
from openmosprom_cli.models import ChoiceOutcome
from openmosprom_cli.store.runs import (
    FORMAT_COLUMNS,
    FORMAT_JSON,
    RESULT,
    RunRow,
    StoredColumn,
    decode_snapshot,
    load_columns,
    load_current_run,
    load_placements,
)


@dataclass(frozen=True)
class StoredRun:
    run_id: int
    created_at: str
    seed: str
    inputs_fingerprint: str          # of the inputs as allocated
    result_fingerprint: str
    summary: dict[str, Any]
    # Format 1: the JSON snapshot, decoded on first use (the rosters never need it).
    snapshot_text: str = field(default="", repr=False)
    last_change: int = 0          # its inputs include every change up to this one
    kind: str = "fresh"           # fresh | incremental | from_scratch
    format: int = FORMAT_JSON     # 1: JSON snapshot and JSON-form result fingerprint; 2: columns
    inputs_columns: Mapping[str, StoredColumn] = field(default_factory=dict, repr=False)   # format 2

    @functools.cached_property
    def snapshot_columns(self) -> SnapshotColumns:
        """Format 2: the stored inputs (raises KeyError or ValueError if they are not readable as such)."""
        return SnapshotColumns.read(self.inputs_columns)

    @functools.cached_property
    def _snapshot(self) -> tuple[Mapping[str, Any], tuple[PurgeRecord, ...]]:
        if self.format == FORMAT_COLUMNS:
            try:
                columns = self.snapshot_columns
            except (KeyError, ValueError):
                return {}, ()
            return columns.document(), tuple(PurgeRecord.from_json(p) for p in columns.purges)
        return split_snapshot(decode_snapshot(self.snapshot_text))

    @property
    def inputs(self) -> Mapping[str, Any]:
        """The inputs snapshot as it is now, in the JSON form of :meth:`AllocationInput.to_json` ({} if none).

        For a run of format 2 its applicants are made only when read: prefer
        :meth:`allocation_input` and :meth:`applicant`.
        """
        return self._snapshot[0]

    @property
    def purges(self) -> tuple[PurgeRecord, ...]:
        return self._snapshot[1]

    @property
    def snapshot_fingerprint(self) -> str:
        """What the stored snapshot must hash to: the allocated inputs', or the last purge's."""
        return self.purges[-1].inputs_fingerprint if self.purges else self.inputs_fingerprint

    @property
    def has_inputs(self) -> bool:
        return bool(self.inputs_columns) if self.format == FORMAT_COLUMNS else bool(self.inputs)

    @functools.cached_property
    def _allocation_input(self) -> AllocationInput:
        if self.format == FORMAT_COLUMNS:
            return self.snapshot_columns.to_inputs()
        return AllocationInput.from_json(self.inputs)

    def allocation_input(self) -> AllocationInput:
        """The stored inputs (raises KeyError, TypeError or ValueError if they cannot be read).

        Of format 2, their columns come from the stored arrays and each applicant's record is made when read
        (:meth:`SnapshotColumns.to_inputs`).
        """
        return self._allocation_input

    def stored_inputs_fingerprint(self) -> str:
        """What the stored inputs hash to now, by the definition of the run's format."""
        if self.format == FORMAT_COLUMNS:
            return self.snapshot_columns.fingerprint()
        return self.allocation_input().legacy_fingerprint()

    def erased_ids(self) -> list[str]:
        """Whose birth date in the stored inputs a purge replaced by age verdicts."""
        if self.format == FORMAT_COLUMNS:
            return self.snapshot_columns.erased_ids()
        return [a.id for a in self.allocation_input().applicants if a.birth_date_erased]

    def applicant(self, registrant_id: str) -> Applicant | None:
        """The person as the run saw them (None if it did not, or it stored no readable inputs)."""
        try:
            if self.format == FORMAT_COLUMNS:
                return self.snapshot_columns.applicant(registrant_id)
            found = next((a for a in self.inputs.get("applicants", ()) if a["id"] == registrant_id), None)
            return None if found is None else AllocationInput.from_json({**self.inputs, "applicants": [found]}
                                                                       ).applicants[0]
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True, eq=False)
class StoredResult:
    """A run's result as stored: its seats, and everyone's outcomes and the waitlists as columns.

    The columns are read into arrays on first use: what needs only the seats
    (a cancellation, the emails) never does.
    """

    placements: tuple[Placement, ...]
    stored_columns: Mapping[str, StoredColumn] = field(repr=False)
    format: int = FORMAT_COLUMNS     # of the run: which definition its fingerprint follows
    run_id: int = 0

    @classmethod
    def of(cls, result: AllocationResult) -> StoredResult:
        """A result as a run would store it."""
        return cls(tuple(result.placements()), result.columns().stored())

    @functools.cached_property
    def columns(self) -> ResultColumns:
        try:
            return ResultColumns.read(self.stored_columns)
        except (KeyError, ValueError) as exc:
            raise BadDataError(_("the stored result of allocation run {run} cannot be read ({reason})").format(
                run=self.run_id, reason=exc), hint=_("Run `openmosprom assign` again to store a new one.")) from exc

    def fingerprint(self) -> str:
        if self.format == FORMAT_COLUMNS:
            return self.columns.fingerprint(self.placements)
        return self.columns.legacy_fingerprint(self.placements)

    @property
    def people(self) -> int:
        """How many people the run allocated (everyone has an outcome)."""
        return len(self.columns.people)

    @functools.cached_property
    def waitlists(self) -> dict[str, list[str]]:
        """Tour → IDs in line, first first (the stored lines; see CurrentAllocation for the lines now)."""
        return self.columns.waitlists()

    @functools.cached_property
    def priorities(self) -> dict[str, int]:
        """ID → place in the priority order, 1 = chose first."""
        return {rid: place + 1 for rid, place in self.columns.place_of.items()}

    def priority_of(self, registrant_id: str) -> int | None:
        place = self.columns.place_of.get(registrant_id)
        return None if place is None else place + 1

    def outcomes_of(self, registrant_id: str) -> tuple[ChoiceOutcome, ...] | None:
        """What each of the person's choices gave them; None if the run did not include them."""
        place = self.columns.place_of.get(registrant_id)
        return None if place is None else self.columns.choice_outcomes(place)

    @functools.cached_property
    def choice_outcomes(self) -> dict[str, tuple[ChoiceOutcome, ...]]:
        """ID → what each of their choices gave them, for everyone (slow at scale: prefer :meth:`outcomes_of`)."""
        return {rid: self.columns.choice_outcomes(place) for place, rid in enumerate(self.columns.people)}

    @functools.cached_property
    def outcomes(self) -> dict[str, tuple[int, list[dict[str, Any]]]]:
        """ID → (priority, per-choice outcomes) in the JSON form of format 1, for everyone (slow at scale)."""
        return {rid: (place + 1, self.columns.outcome_rows(place)) for place, rid in enumerate(self.columns.people)}

    def person(self, registrant_id: str) -> PersonResult | None:
        """One person's part of the result; None if the run did not include them."""
        place = self.columns.place_of.get(registrant_id)
        if place is None:
            return None
        tours = tuple(p.tour_id for p in sorted((p for p in self.placements if p.registrant_id == registrant_id),
                                                key=lambda p: p.choice_rank))
        return PersonResult(place + 1, self.people, self.columns.choice_outcomes(place), tours,
                            tuple(self.columns.waitlist_places(place)))


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


def current_run(conn: sqlite3.Connection) -> StoredRun | None:
    row = load_current_run(conn)
    return None if row is None else stored_run(row)


def stored_run(row: RunRow) -> StoredRun:
    return StoredRun(row.run_id, row.created_at, row.seed, row.inputs_fingerprint, row.result_fingerprint,
                     row.summary, row.snapshot_text, row.last_change, row.kind, row.format, row.inputs_columns)


def load_result(conn: sqlite3.Connection, run_id: int, format: int = FORMAT_COLUMNS) -> StoredResult:
    """The run's result; ``format`` is the run's (:attr:`StoredRun.format`), which its fingerprint follows."""
    placements = tuple(Placement(*row) for row in load_placements(conn, run_id))
    return StoredResult(placements, load_columns(conn, run_id, RESULT), format, run_id)


def load_current_allocation(conn: sqlite3.Connection) -> StoredAllocation | None:
    """The current run and its result; None before the first run."""
    run = current_run(conn)
    if run is None:
        return None
    return StoredAllocation(run, load_result(conn, run.run_id, run.format))


def waitlisted_tours(conn: sqlite3.Connection, run_id: int) -> list[tuple[str, str]]:
    """(registrant ID, tour ID) of every waitlist entry of the run (none if it stored no result)."""
    if not load_columns(conn, run_id, RESULT):
        return []
    return [(rid, tour_id) for tour_id, ids in load_result(conn, run_id).waitlists.items() for rid in ids]


@dataclass(frozen=True)
class PersonResult:
    """One person's part of a run's result."""

    priority: int                                # 1 = chose first
    people: int                                  # everyone the run allocated
    choices: tuple[ChoiceOutcome, ...]
    tours: tuple[str, ...]                       # tours granted, by choice rank
    waitlists: tuple[tuple[str, int], ...]       # (tour, position as stored), by tour


def load_person_result(conn: sqlite3.Connection, run_id: int, registrant_id: str) -> PersonResult | None:
    """None if the run did not include the person."""
    return load_result(conn, run_id).person(registrant_id)
