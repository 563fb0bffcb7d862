"""Allocation runs and their results: ``allocation_runs``, ``placements``, ``waitlist`` and ``outcomes``.

The newest run flagged ``is_current`` is the season's current one; earlier
runs stay as history. JSON columns are decoded here and encoded exactly as
they always were: the stored text of a run's snapshot is what its
fingerprints were computed from.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

PlacementRow = tuple[str, str, int, int]           # registrant ID, tour ID, choice rank, seats
WaitlistRow = tuple[str, int, str]                 # tour ID, position (1-based), registrant ID
OutcomeRows = tuple[int, list[dict[str, Any]]]     # priority (1 = first to choose), per-choice outcomes


@dataclass(frozen=True)
class RunRow:
    """One row of ``allocation_runs``; the snapshot is left as text (see :func:`decode_snapshot`)."""

    run_id: int
    created_at: str
    seed: str
    inputs_fingerprint: str
    result_fingerprint: str
    snapshot_text: str = field(repr=False)   # '' when the run stored no snapshot
    summary: dict[str, Any]
    last_change: int = 0                     # its inputs include every change up to this one
    kind: str = "fresh"                      # fresh | incremental | from_scratch


# -- the runs -----------------------------------------------------------------------------

def _run(row: sqlite3.Row) -> RunRow:
    return RunRow(row["run_id"], row["created_at"], row["seed"], row["inputs_fingerprint"], row["result_fingerprint"],
                  row["inputs"], json.loads(row["summary"] or "{}"), row["last_change"], row["kind"])


def load_current_run(conn: sqlite3.Connection) -> RunRow | None:
    row = conn.execute("SELECT * FROM allocation_runs WHERE is_current = 1 ORDER BY run_id DESC LIMIT 1").fetchone()
    return None if row is None else _run(row)


def load_runs(conn: sqlite3.Connection) -> list[RunRow]:
    """Every run, oldest first."""
    return [_run(row) for row in conn.execute("SELECT * FROM allocation_runs ORDER BY run_id")]


def decode_snapshot(text: str) -> Any:
    """A snapshot document from its stored text; {} for none.

    Decoded only where needed: a million people's snapshot is hundreds of megabytes.
    """
    return json.loads(text) if text else {}


def count_runs(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM allocation_runs").fetchone()[0]


def current_run_id(conn: sqlite3.Connection) -> int | None:
    row = conn.execute(
        "SELECT run_id FROM allocation_runs WHERE is_current = 1 ORDER BY run_id DESC LIMIT 1").fetchone()
    return row["run_id"] if row else None


def insert_current_run(conn: sqlite3.Connection, *, created_at: str, seed: str, inputs_fingerprint: str,
                       result_fingerprint: str, snapshot: Mapping[str, Any], last_change: int = 0,
                       kind: str = "fresh") -> int:
    """Store a new run as the current one (the previous current one becomes history); its ID."""
    conn.execute("UPDATE allocation_runs SET is_current = 0 WHERE is_current = 1")
    run_id = conn.execute(
        "INSERT INTO allocation_runs (created_at, seed, inputs_fingerprint, result_fingerprint, is_current, inputs, "
        "last_change, kind) VALUES (?, ?, ?, ?, 1, ?, ?, ?)",
        (created_at, seed, inputs_fingerprint, result_fingerprint, _snapshot_text(snapshot), last_change, kind),
    ).lastrowid
    return cast(int, run_id)      # an INSERT always sets it


def save_run_summary(conn: sqlite3.Connection, run_id: int, summary: Mapping[str, Any]) -> None:
    conn.execute("UPDATE allocation_runs SET summary = ? WHERE run_id = ?",
                 (json.dumps(summary, ensure_ascii=False), run_id))


def iter_snapshots(conn: sqlite3.Connection) -> Iterator[tuple[int, Any]]:
    """(run ID, snapshot document) of every run that stored a snapshot, oldest first.

    Each document is decoded only when its turn comes (a snapshot of a million
    people is large), and the rows are fetched first, so the caller may update
    them meanwhile.
    """
    rows = conn.execute("SELECT run_id, inputs FROM allocation_runs WHERE inputs != '' ORDER BY run_id").fetchall()
    for row in rows:
        yield row["run_id"], json.loads(row["inputs"])


def load_snapshot(conn: sqlite3.Connection, run_id: int) -> Any:
    """The run's snapshot document, whatever shape it has."""
    (text,) = conn.execute("SELECT inputs FROM allocation_runs WHERE run_id = ?", (run_id,)).fetchone()
    return json.loads(text)


def save_snapshot(conn: sqlite3.Connection, run_id: int, document: Any) -> None:
    conn.execute("UPDATE allocation_runs SET inputs = ? WHERE run_id = ?", (_snapshot_text(document), run_id))


def _snapshot_text(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


# -- a run's result ------------------------------------------------------------------------

def insert_result(conn: sqlite3.Connection, run_id: int, placements: Iterable[PlacementRow],
                  waitlists: Mapping[str, Sequence[str]], outcomes: Mapping[str, OutcomeRows]) -> None:
    """The run's seats, its waitlists (tour → IDs, first in line first) and everyone's outcomes."""
    conn.executemany(
        "INSERT INTO placements (run_id, registrant_id, tour_id, choice_rank, seats) VALUES (?, ?, ?, ?, ?)",
        [(run_id, *p) for p in placements])
    conn.executemany("INSERT INTO waitlist (run_id, tour_id, position, registrant_id) VALUES (?, ?, ?, ?)",
                     [(run_id, tour_id, i, rid) for tour_id, ids in waitlists.items()
                      for i, rid in enumerate(ids, 1)])
    conn.executemany("INSERT INTO outcomes (run_id, registrant_id, priority, outcomes) VALUES (?, ?, ?, ?)",
                     [(run_id, rid, priority, json.dumps(rows, ensure_ascii=False))
                      for rid, (priority, rows) in outcomes.items()])


def load_placements(conn: sqlite3.Connection, run_id: int) -> list[PlacementRow]:
    """By registrant, then choice rank."""
    return [(r["registrant_id"], r["tour_id"], r["choice_rank"], r["seats"])
            for r in conn.execute("SELECT * FROM placements WHERE run_id = ? ORDER BY registrant_id, choice_rank",
                                  (run_id,))]


def load_waitlist(conn: sqlite3.Connection, run_id: int) -> list[WaitlistRow]:
    """By tour, then position."""
    return [(r["tour_id"], r["position"], r["registrant_id"])
            for r in conn.execute("SELECT * FROM waitlist WHERE run_id = ? ORDER BY tour_id, position", (run_id,))]


def load_outcomes(conn: sqlite3.Connection, run_id: int) -> dict[str, OutcomeRows]:
    """Registrant ID → (priority, per-choice outcomes as stored)."""
    return {r["registrant_id"]: (r["priority"], json.loads(r["outcomes"]))
            for r in conn.execute("SELECT * FROM outcomes WHERE run_id = ?", (run_id,))}


# -- one person's part of a result -----------------------------------------------------------

def load_person_outcomes(conn: sqlite3.Connection, run_id: int, registrant_id: str) -> OutcomeRows | None:
    """(priority, per-choice outcomes) of one person, or None if the run did not include them."""
    row = conn.execute("SELECT priority, outcomes FROM outcomes WHERE run_id = ? AND registrant_id = ?",
                       (run_id, registrant_id)).fetchone()
    return (row["priority"], json.loads(row["outcomes"])) if row else None


def count_people(conn: sqlite3.Connection, run_id: int) -> int:
    """How many people the run allocated (everyone has an outcome)."""
    return conn.execute("SELECT count(*) FROM outcomes WHERE run_id = ?", (run_id,)).fetchone()[0]


def load_person_tours(conn: sqlite3.Connection, run_id: int, registrant_id: str) -> tuple[str, ...]:
    """The tours the person got, by choice rank."""
    return tuple(r["tour_id"] for r in conn.execute(
        "SELECT tour_id FROM placements WHERE run_id = ? AND registrant_id = ? ORDER BY choice_rank",
        (run_id, registrant_id)))


def load_person_waitlists(conn: sqlite3.Connection, run_id: int, registrant_id: str) -> tuple[tuple[str, int], ...]:
    """(tour, position) of each waitlist the person is on, by tour."""
    return tuple((r["tour_id"], r["position"]) for r in conn.execute(
        "SELECT tour_id, position FROM waitlist WHERE run_id = ? AND registrant_id = ? ORDER BY tour_id",
        (run_id, registrant_id)))
