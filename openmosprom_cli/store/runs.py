"""Allocation runs and their results: ``allocation_runs``, ``placements`` and ``run_columns``.

The newest run flagged ``is_current`` is the season's current one; earlier
runs stay as history. A run's seats are rows of ``placements``; everything
sized by the registrants (the inputs it saw, everyone's per-choice outcomes,
the waitlists) is a handful of columns in ``run_columns``, one array or JSON
value per row, encoded and decoded by :mod:`openmosprom_cli.allocation.blobs`.
A run of format 1 (made before the columns, release 0.1) keeps its inputs
snapshot as the JSON text in ``allocation_runs.inputs``; JSON columns are
decoded here and encoded exactly as they always were, since the stored text
of such a snapshot is what its fingerprint was computed from.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

PlacementRow = tuple[str, str, int, int]           # registrant ID, tour ID, choice rank, seats

# The parts of a run in run_columns.
INPUTS, RESULT = "inputs", "result"
# allocation_runs.format: 1 = inputs as a JSON snapshot and the result's fingerprint over JSON rows (release 0.1);
# 2 = inputs and result as columns, both fingerprints over the arrays.
FORMAT_JSON, FORMAT_COLUMNS = 1, 2


@dataclass(frozen=True)
class StoredColumn:
    """One row of ``run_columns``: an array (a numpy dtype string and a shape) or a JSON value ("json")."""

    kind: str
    shape: tuple[int, ...]
    data: bytes = field(repr=False)


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
    format: int = FORMAT_JSON
    inputs_columns: dict[str, StoredColumn] = field(default_factory=dict, repr=False)   # format 2


# -- the runs -----------------------------------------------------------------------------

def _run(conn: sqlite3.Connection, row: sqlite3.Row) -> RunRow:
    columns = load_columns(conn, row["run_id"], INPUTS) if row["format"] == FORMAT_COLUMNS else {}
    return RunRow(row["run_id"], row["created_at"], row["seed"], row["inputs_fingerprint"], row["result_fingerprint"],
                  row["inputs"], json.loads(row["summary"] or "{}"), row["last_change"], row["kind"], row["format"],
                  columns)


def load_current_run(conn: sqlite3.Connection) -> RunRow | None:
    row = conn.execute("SELECT * FROM allocation_runs WHERE is_current = 1 ORDER BY run_id DESC LIMIT 1").fetchone()
    return None if row is None else _run(conn, row)


def load_runs(conn: sqlite3.Connection) -> list[RunRow]:
    """Every run, oldest first."""
    return [_run(conn, row) for row in conn.execute("SELECT * FROM allocation_runs ORDER BY run_id").fetchall()]


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
                       result_fingerprint: str, inputs: Mapping[str, StoredColumn], last_change: int = 0,
                       kind: str = "fresh") -> int:
    """Store a new run (format 2, its inputs as columns) as the current one; the previous becomes history. Its ID."""
    conn.execute("UPDATE allocation_runs SET is_current = 0 WHERE is_current = 1")
    run_id = cast(int, conn.execute(      # an INSERT always sets it
        "INSERT INTO allocation_runs (created_at, seed, inputs_fingerprint, result_fingerprint, is_current, inputs, "
        "last_change, kind, format) VALUES (?, ?, ?, ?, 1, '', ?, ?, ?)",
        (created_at, seed, inputs_fingerprint, result_fingerprint, last_change, kind, FORMAT_COLUMNS),
    ).lastrowid)
    save_columns(conn, run_id, INPUTS, inputs)
    return run_id


def save_run_summary(conn: sqlite3.Connection, run_id: int, summary: Mapping[str, Any]) -> None:
    conn.execute("UPDATE allocation_runs SET summary = ? WHERE run_id = ?",
                 (json.dumps(summary, ensure_ascii=False), run_id))


def iter_snapshots(conn: sqlite3.Connection) -> Iterator[tuple[int, Any]]:
    """(run ID, snapshot document) of every run that stored a JSON snapshot (format 1), oldest first.

    Each document is decoded only when its turn comes (a snapshot of a million
    people is large), and the rows are fetched first, so the caller may update
    them meanwhile.
    """
    rows = conn.execute("SELECT run_id, inputs FROM allocation_runs WHERE inputs != '' ORDER BY run_id").fetchall()
    for row in rows:
        yield row["run_id"], json.loads(row["inputs"])


def load_snapshot(conn: sqlite3.Connection, run_id: int) -> Any:
    """The run's JSON snapshot document (format 1), whatever shape it has."""
    (text,) = conn.execute("SELECT inputs FROM allocation_runs WHERE run_id = ?", (run_id,)).fetchone()
    return json.loads(text)


def save_snapshot(conn: sqlite3.Connection, run_id: int, document: Any) -> None:
    conn.execute("UPDATE allocation_runs SET inputs = ? WHERE run_id = ?", (_snapshot_text(document), run_id))


def _snapshot_text(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


# -- the columns of a run ---------------------------------------------------------------------

def save_columns(conn: sqlite3.Connection, run_id: int, part: str, columns: Mapping[str, StoredColumn]) -> None:
    """Store (or replace) the columns of one part of a run."""
    conn.execute("DELETE FROM run_columns WHERE run_id = ? AND part = ?", (run_id, part))
    conn.executemany("INSERT INTO run_columns (run_id, part, name, kind, shape, data) VALUES (?, ?, ?, ?, ?, ?)",
                     [(run_id, part, name, c.kind, json.dumps(list(c.shape)), c.data) for name, c in columns.items()])


def load_columns(conn: sqlite3.Connection, run_id: int, part: str) -> dict[str, StoredColumn]:
    """The columns of one part of a run, by name; {} if it stored none."""
    return {r["name"]: StoredColumn(r["kind"], tuple(json.loads(r["shape"])), bytes(r["data"]))
            for r in conn.execute("SELECT name, kind, shape, data FROM run_columns WHERE run_id = ? AND part = ?",
                                  (run_id, part))}


def iter_column_snapshots(conn: sqlite3.Connection) -> Iterator[tuple[int, dict[str, StoredColumn]]]:
    """(run ID, inputs columns) of every run of format 2, oldest first, each read when its turn comes."""
    runs = [r["run_id"] for r in conn.execute(
        "SELECT run_id FROM allocation_runs WHERE format = ? ORDER BY run_id", (FORMAT_COLUMNS,)).fetchall()]
    for run_id in runs:
        yield run_id, load_columns(conn, run_id, INPUTS)


# -- a run's result ------------------------------------------------------------------------

def insert_result(conn: sqlite3.Connection, run_id: int, placements: Iterable[PlacementRow],
                  columns: Mapping[str, StoredColumn]) -> None:
    """The run's seats, and everyone's outcomes and the waitlists as columns."""
    conn.executemany(
        "INSERT INTO placements (run_id, registrant_id, tour_id, choice_rank, seats) VALUES (?, ?, ?, ?, ?)",
        [(run_id, *p) for p in placements])
    save_columns(conn, run_id, RESULT, columns)


def load_placements(conn: sqlite3.Connection, run_id: int) -> list[PlacementRow]:
    """By registrant, then choice rank."""
    return [(r["registrant_id"], r["tour_id"], r["choice_rank"], r["seats"])
            for r in conn.execute("SELECT * FROM placements WHERE run_id = ? ORDER BY registrant_id, choice_rank",
                                  (run_id,))]


def load_person_tours(conn: sqlite3.Connection, run_id: int, registrant_id: str) -> tuple[str, ...]:
    """The tours the person got, by choice rank."""
    return tuple(r["tour_id"] for r in conn.execute(
        "SELECT tour_id FROM placements WHERE run_id = ? AND registrant_id = ? ORDER BY choice_rank",
        (run_id, registrant_id)))
