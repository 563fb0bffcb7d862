"""The tables of ``season.db`` and how a season made by an earlier release is brought up to date.

The schema is the first release's tables (:data:`BASELINE`, never edited
again) plus every step of :data:`MIGRATIONS`, in order. A new season runs them
all; an older season runs those it lacks, inside one transaction and after a
backup copy of its database, so a season is never left half-upgraded. Every
change of the tables adds a step here, and the test that opens a season made
by each earlier release (tests/season/test_migrations.py) gains its case.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from array import array
from collections.abc import Callable
from dataclasses import dataclass

BASELINE_VERSION = 1

BASELINE = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sites (
    site_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    industry TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    contact TEXT NOT NULL DEFAULT '',
    roster_emails TEXT NOT NULL DEFAULT '[]',   -- JSON list
    phone TEXT NOT NULL DEFAULT '',
    min_age INTEGER NOT NULL DEFAULT 0,
    passport_required INTEGER NOT NULL DEFAULT 0,
    citizens_only INTEGER NOT NULL DEFAULT 0,
    max_tours_per_day INTEGER NOT NULL DEFAULT 1,
    duration_min INTEGER NOT NULL DEFAULT 90,
    roster_lead_days INTEGER NOT NULL DEFAULT 3,
    notes TEXT NOT NULL DEFAULT '',
    weight REAL,
    source_file TEXT NOT NULL DEFAULT '',
    imported_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS candidates (
    tour_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites(site_id) ON DELETE CASCADE,
    date TEXT NOT NULL,            -- ISO date
    start TEXT NOT NULL,           -- HH:MM
    duration_min INTEGER NOT NULL,
    capacity INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    pin INTEGER NOT NULL DEFAULT 0,
    exclude INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS candidates_site ON candidates(site_id, date, start);
CREATE TABLE IF NOT EXISTS tours (
    tour_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites(site_id),
    date TEXT NOT NULL,
    start TEXT NOT NULL,
    duration_min INTEGER NOT NULL,
    capacity INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS registrants (
    id TEXT PRIMARY KEY,           -- VK ID as text
    full_name TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    birth_date TEXT,               -- ISO date or NULL
    score REAL NOT NULL DEFAULT 0,
    registered_at TEXT,            -- ISO datetime or NULL
    choices TEXT NOT NULL DEFAULT '[]',   -- JSON list of tour or site IDs
    companions INTEGER NOT NULL DEFAULT 0,
    passport TEXT NOT NULL DEFAULT '',
    citizenship TEXT NOT NULL DEFAULT '',
    first_seen TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS allocation_runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    seed TEXT NOT NULL,
    inputs_fingerprint TEXT NOT NULL,
    result_fingerprint TEXT NOT NULL,
    is_current INTEGER NOT NULL DEFAULT 0,
    inputs TEXT NOT NULL DEFAULT '',       -- JSON snapshot of what the run saw, for the audit
    summary TEXT NOT NULL DEFAULT '{}'     -- JSON
);
CREATE TABLE IF NOT EXISTS placements (
    run_id INTEGER NOT NULL REFERENCES allocation_runs(run_id) ON DELETE CASCADE,
    registrant_id TEXT NOT NULL,
    tour_id TEXT NOT NULL,
    choice_rank INTEGER NOT NULL,  -- 1-based position in the person's list
    seats INTEGER NOT NULL,        -- 1 + companions
    PRIMARY KEY (run_id, registrant_id, tour_id)
);
CREATE TABLE IF NOT EXISTS waitlist (
    run_id INTEGER NOT NULL REFERENCES allocation_runs(run_id) ON DELETE CASCADE,
    tour_id TEXT NOT NULL,
    position INTEGER NOT NULL,     -- 1-based
    registrant_id TEXT NOT NULL,
    PRIMARY KEY (run_id, tour_id, position)
);
CREATE TABLE IF NOT EXISTS outcomes (
    run_id INTEGER NOT NULL REFERENCES allocation_runs(run_id) ON DELETE CASCADE,
    registrant_id TEXT NOT NULL,
    priority INTEGER NOT NULL,     -- 1 = first to choose
    outcomes TEXT NOT NULL,        -- JSON list, per choice: what happened and why
    PRIMARY KEY (run_id, registrant_id)
);
CREATE TABLE IF NOT EXISTS roster_exports (
    site_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    visitors TEXT NOT NULL,        -- JSON list of {id, name, tour_id}
    path TEXT NOT NULL,
    exported_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    message_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    state TEXT NOT NULL,           -- draft | sending | sent | failed
    kind TEXT NOT NULL DEFAULT 'new',   -- new | update | test (a trial send to one address, not the factory)
    fingerprint TEXT NOT NULL,
    visitors TEXT NOT NULL DEFAULT '[]',   -- JSON snapshot of the roster's visitors, to tell the next update's changes
    recipients TEXT NOT NULL,      -- JSON list
    subject TEXT NOT NULL,
    eml_path TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_at TEXT
);
"""


@dataclass(frozen=True)
class Migration:
    """One step: the version it produces, what it changes (shown to the organizer), and how."""

    version: int
    summary: str
    apply: Callable[[sqlite3.Connection], None]


def _statements(script: str) -> Callable[[sqlite3.Connection], None]:
    def apply(conn: sqlite3.Connection) -> None:
        # executescript() would COMMIT the surrounding transaction; one statement at a time keeps it.
        # sqlite3.complete_statement() knows a ";" in a comment or a string from one that ends a statement.
        statement = ""
        for line in script.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                conn.execute(statement)
                statement = ""
        if statement.strip() and not all(s.strip().startswith("--") for s in statement.splitlines() if s.strip()):
            raise ValueError(f"an incomplete SQL statement: {statement.strip()[:60]}")

    return apply


AFTER_PUBLICATION = """
-- A cancelled tour stays, so that what was said about it can still be read.
ALTER TABLE tours ADD COLUMN status TEXT NOT NULL DEFAULT 'active';        -- active | cancelled
ALTER TABLE tours ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
-- Every change of the season after a run, in order: the audit replays them between runs.
CREATE TABLE changes (
    change_id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    -- commit | seat | unseat | cancel | reinstate | tour_cancel | tour_add | tour_time | tour_capacity
    kind TEXT NOT NULL,
    registrant_id TEXT,
    tour_id TEXT,
    seats INTEGER,
    choice_rank INTEGER,
    reason TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}',   -- JSON: what else the kind needs (the cause of an unseat, old and new values…)
    run_id INTEGER                       -- the current run when it happened
);
CREATE INDEX changes_person ON changes(registrant_id);
-- Seats that every later allocation keeps: announced, or placed there by an organizer.
CREATE TABLE commitments (
    registrant_id TEXT NOT NULL,
    tour_id TEXT NOT NULL,
    seats INTEGER NOT NULL,
    choice_rank INTEGER NOT NULL DEFAULT 0,
    change_id INTEGER NOT NULL,          -- the change that made it
    override TEXT NOT NULL DEFAULT '',   -- the organizer's reason, when placing the person broke a rule
    PRIMARY KEY (registrant_id, tour_id)
);
CREATE TABLE cancellations (
    registrant_id TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    source TEXT NOT NULL,                -- the organizer, or the file of declines it came from
    change_id INTEGER NOT NULL
);
CREATE TABLE publications (
    publication_id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,                  -- publish | email (a site's roster was sent)
    run_id INTEGER NOT NULL,
    change_id INTEGER NOT NULL,          -- the last change it includes
    site_id TEXT NOT NULL DEFAULT '',
    files TEXT NOT NULL DEFAULT '[]',    -- JSON list, relative to the season folder
    people INTEGER NOT NULL DEFAULT 0
);
-- What each visitor was last told through the mini-app, to say what changed since.
CREATE TABLE told (
    registrant_id TEXT NOT NULL,
    tour_id TEXT NOT NULL,
    date TEXT NOT NULL,
    start TEXT NOT NULL,
    publication_id INTEGER NOT NULL,
    PRIMARY KEY (registrant_id, tour_id)
);
-- A run's inputs include every change up to this one; "fresh", "incremental" or "from_scratch".
ALTER TABLE allocation_runs ADD COLUMN last_change INTEGER NOT NULL DEFAULT 0;
ALTER TABLE allocation_runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'fresh';
-- sha256 of each site's workbook as exported: email attaches only those bytes ('' = not recorded, export again).
ALTER TABLE roster_exports ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';
"""

RUN_COLUMNS = """
-- Everything of a run that grows with its registrants, as columns: one array or JSON value per row
-- (allocation/result_columns.py and allocation/snapshot_columns.py name and read them).
CREATE TABLE run_columns (
    run_id INTEGER NOT NULL REFERENCES allocation_runs(run_id) ON DELETE CASCADE,
    part TEXT NOT NULL,            -- inputs | result
    name TEXT NOT NULL,
    kind TEXT NOT NULL,            -- a numpy dtype, little-endian ('<i4', '|i1', '<f8'…), or 'json'
    shape TEXT NOT NULL,           -- JSON list of dimensions
    data BLOB NOT NULL,
    PRIMARY KEY (run_id, part, name)
);
-- 1: the inputs as a JSON snapshot in `inputs`, the result fingerprinted as JSON rows (release 0.1);
-- 2: inputs and result in run_columns, both fingerprints over the arrays.
ALTER TABLE allocation_runs ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
"""

# The outcome codes as release 0.1 stored them, in the order of models.OUTCOME_TEXT when the columns came.
_CODES_AT_COLUMNS = ("placed", "full", "below_min_age", "no_birth_date", "no_passport", "companions_not_allowed",
                     "not_citizen", "unknown_choice", "limit_reached", "overlaps", "not_reached", "held",
                     "holds_seat")


def _results_as_columns(conn: sqlite3.Connection) -> None:
    """Each run's per-person JSON outcomes and its waitlist rows become the columns of its result.

    The run keeps format 1: its fingerprint is recomputed from the columns in
    the JSON form it was made of, so the audit still checks it against the
    value recorded when it ran.
    """
    _statements(RUN_COLUMNS)(conn)
    for (run_id,) in conn.execute("SELECT run_id FROM allocation_runs ORDER BY run_id").fetchall():
        people = [(rid, json.loads(text)) for rid, text in conn.execute(
            "SELECT registrant_id, outcomes FROM outcomes WHERE run_id = ? ORDER BY priority, registrant_id",
            (run_id,))]
        waitlist = conn.execute("SELECT tour_id, registrant_id FROM waitlist WHERE run_id = ? "
                                "ORDER BY tour_id, position", (run_id,)).fetchall()
        place = {rid: i for i, (rid, _) in enumerate(people)}
        for _, rid in waitlist:     # on a waitlist without an outcome: only in a damaged run, which the audit names
            if rid not in place:
                place[rid] = len(people)
                people.append((rid, []))
        outcomes = [o for _, rows in people for o in rows]
        tours = sorted({str(o["tour_id"]) for o in outcomes if o.get("tour_id") is not None}
                       | {tour_id for tour_id, _ in waitlist})
        choices = sorted({str(o.get("choice", "")) for o in outcomes})
        codes = [*_CODES_AT_COLUMNS, *sorted({str(o.get("code", "")) for o in outcomes} - set(_CODES_AT_COLUMNS))]
        width = max((len(rows) for _, rows in people), default=0)
        tour_index, choice_index, code_index = ({v: i for i, v in enumerate(vs)} for vs in (tours, choices, codes))
        choice, code, tour = array("i", [-1]) * (len(people) * width), array("b", [-1]) * (len(people) * width), \
            array("i", [-1]) * (len(people) * width)
        for p, (_, rows) in enumerate(people):
            for j, o in enumerate(rows):
                choice[p * width + j] = choice_index[str(o.get("choice", ""))]
                code[p * width + j] = code_index[str(o.get("code", ""))]
                tour[p * width + j] = tour_index[str(o["tour_id"])] if o.get("tour_id") is not None else -1
        columns = {
            "people": _json_column([rid for rid, _ in people]), "tours": _json_column(tours),
            "choices": _json_column(choices), "codes": _json_column(codes),
            "choice": _int_column(choice, (len(people), width)), "code": _int_column(code, (len(people), width)),
            "tour": _int_column(tour, (len(people), width)),
            "waitlist_tour": _int_column(array("i", [tour_index[t] for t, _ in waitlist]), (len(waitlist),)),
            "waitlist_person": _int_column(array("i", [place[rid] for _, rid in waitlist]), (len(waitlist),)),
        }
        conn.executemany("INSERT INTO run_columns (run_id, part, name, kind, shape, data) "
                         "VALUES (?, 'result', ?, ?, ?, ?)",
                         [(run_id, name, *column) for name, column in columns.items()])
    conn.execute("DROP TABLE outcomes")
    conn.execute("DROP TABLE waitlist")


def _json_column(value: object) -> tuple[str, str, bytes]:
    return "json", "[]", json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _int_column(values: array, shape: tuple[int, ...]) -> tuple[str, str, bytes]:
    if sys.byteorder != "little":
        values = array(values.typecode, values)
        values.byteswap()
    kind = "|i1" if values.itemsize == 1 else f"<i{values.itemsize}"
    return kind, json.dumps(list(shape)), values.tobytes()


MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, "the season after publication: commitments, cancellations, changes, publications",
              _statements(AFTER_PUBLICATION)),
    Migration(3, "allocation runs stored as columns (outcomes and waitlists)", _results_as_columns),
)

SCHEMA_VERSION = MIGRATIONS[-1].version if MIGRATIONS else BASELINE_VERSION


def create(conn: sqlite3.Connection) -> None:
    """The tables of a new season: the baseline, then every migration. Runs inside the caller's transaction."""
    _statements(BASELINE)(conn)
    conn.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?)", (str(BASELINE_VERSION),))
    upgrade(conn, BASELINE_VERSION)


def pending(version: int) -> tuple[Migration, ...]:
    return tuple(m for m in MIGRATIONS if m.version > version)


def upgrade(conn: sqlite3.Connection, version: int) -> tuple[Migration, ...]:
    """Apply the steps after ``version`` inside the caller's transaction; returns them."""
    steps = pending(version)
    for step in steps:
        step.apply(conn)
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(step.version),))
    return steps


def stored_version(conn: sqlite3.Connection) -> int | None:
    """The schema version recorded in the database; None when it has no version (not a season's database)."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError:  # no meta table
        return None
    try:
        return int(row[0]) if row else None
    except (TypeError, ValueError):
        return None
