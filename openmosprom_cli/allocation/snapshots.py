"""The inputs snapshot each run stores, and what a privacy purge does to it.

A run stores what it saw, so that the audit can re-derive its result: as
columns (:mod:`~openmosprom_cli.allocation.snapshot_columns`), or, for a run
made before them, as the JSON document of :meth:`AllocationInput.to_json`. A
privacy purge later replaces birth dates in the snapshot by the age verdicts
the rule needs (:meth:`AllocationInput.with_birth_dates_erased`). The run keeps
the fingerprint of what it allocated, and the stored snapshot gains a
``purges`` list beside the inputs: when, whose tours ended before which date,
how many birth dates, and the snapshot's fingerprint after the purge (by the
definition of the run's format). The fingerprint covers the inputs only,
never that list.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from openmosprom_cli.allocation.inputs import AllocationInput
from openmosprom_cli.errors import BadDataError
from openmosprom_cli.i18n import _
from openmosprom_cli.season.folder import now_iso
from openmosprom_cli.store.runs import INPUTS, iter_column_snapshots, iter_snapshots, save_columns, save_snapshot

PURGES_KEY = "purges"


@dataclass(frozen=True)
class PurgeRecord:
    """One privacy purge of a run's inputs snapshot."""

    purged_at: str              # ISO time of the purge
    before: str                 # ISO date: it erased data of people whose tours ended before it
    people: int                 # birth dates it erased from this snapshot
    inputs_fingerprint: str     # of the snapshot after it

    def to_json(self) -> dict[str, Any]:
        return {"purged_at": self.purged_at, "before": self.before, "people": self.people,
                "inputs_fingerprint": self.inputs_fingerprint}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PurgeRecord:
        return cls(data["purged_at"], data["before"], data["people"], data["inputs_fingerprint"])


def split_snapshot(document: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[PurgeRecord, ...]]:
    """A stored snapshot document → the inputs as JSON, and the purges recorded beside them."""
    inputs = dict(document)
    purges = tuple(PurgeRecord.from_json(p) for p in inputs.pop(PURGES_KEY, []))
    return inputs, purges


@dataclass(frozen=True)
class SnapshotPurge:
    run_id: int
    record: PurgeRecord


@dataclass(frozen=True)
class SnapshotsPurged:
    purged: tuple[SnapshotPurge, ...]
    unreadable: tuple[int, ...]      # runs whose JSON snapshot is not an inputs snapshot; left to the caller


def erase_birth_dates(conn: sqlite3.Connection, ids: Collection[str], before: dt.date) -> SnapshotsPurged:
    """In every run's snapshot, replace the birth dates of ``ids`` by their age verdicts, and record the purge."""
    # Imported here: the columns' module reads the purge records this one defines.
    from openmosprom_cli.allocation.snapshot_columns import SnapshotColumns

    purged, unreadable = [], []
    purged_at = now_iso()
    for run_id, document in iter_snapshots(conn):
        history = document.pop(PURGES_KEY, [])
        try:
            inputs = AllocationInput.from_json(document)
        except (KeyError, TypeError, ValueError, AttributeError):
            unreadable.append(run_id)
            continue
        erased, people = inputs.with_birth_dates_erased(ids)
        if not people:
            continue
        record = PurgeRecord(purged_at, before.isoformat(), people, erased.legacy_fingerprint())
        save_snapshot(conn, run_id, {**erased.to_json(), PURGES_KEY: [*history, record.to_json()]})
        purged.append(SnapshotPurge(run_id, record))
    for run_id, stored in iter_column_snapshots(conn):
        try:
            columns = SnapshotColumns.read(stored)
            inputs = columns.to_inputs()
        except (KeyError, TypeError, ValueError) as exc:
            # Stored by this release and damaged since: nothing is erased rather than some of it.
            raise BadDataError(_("the stored inputs of allocation run {run} cannot be read ({reason}); "
                                 "nothing was erased").format(run=run_id, reason=exc)) from exc
        erased, people = inputs.with_birth_dates_erased(ids)
        if not people:
            continue
        after = SnapshotColumns.of(erased)
        record = PurgeRecord(purged_at, before.isoformat(), people, after.fingerprint())
        save_columns(conn, run_id, INPUTS, after.with_purges([*columns.purges, record.to_json()]).stored())
        purged.append(SnapshotPurge(run_id, record))
    return SnapshotsPurged(tuple(purged), tuple(unreadable))
