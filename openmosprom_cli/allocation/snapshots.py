"""The inputs snapshot each run stores, and what a privacy purge does to it.

A run stores what it saw (:meth:`AllocationInput.to_json`), so that the audit
can re-derive its result. A privacy purge later replaces birth dates in the
snapshot by the age verdicts the rule needs
(:meth:`AllocationInput.with_birth_dates_erased`). The run keeps the
fingerprint of what it allocated, and the stored snapshot document gains a
``purges`` list beside the inputs: when, whose tours ended before which date,
how many birth dates, and the snapshot's fingerprint after the purge. The
fingerprint covers the inputs only, never that list.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from openmosprom_cli.allocation.inputs import AllocationInput
from openmosprom_cli.season.folder import now_iso
from openmosprom_cli.store.runs import iter_snapshots, save_snapshot

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
    unreadable: tuple[int, ...]      # runs whose snapshot is not an inputs snapshot; left to the caller


def erase_birth_dates(conn: sqlite3.Connection, ids: Collection[str], before: dt.date) -> SnapshotsPurged:
    """In every run's snapshot, replace the birth dates of ``ids`` by their age verdicts, and record the purge."""
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
        record = PurgeRecord(purged_at, before.isoformat(), people, erased.fingerprint())
        save_snapshot(conn, run_id, {**erased.to_json(), PURGES_KEY: [*history, record.to_json()]})
        purged.append(SnapshotPurge(run_id, record))
    return SnapshotsPurged(tuple(purged), tuple(unreadable))
