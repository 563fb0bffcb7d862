"""The tables of ``season.db`` and how a season made by an earlier release is brought up to date.

The schema is the first release's tables (:data:`BASELINE`, never edited
again) plus every step of :data:`MIGRATIONS`, in order. A new season runs them
all; an older season runs those it lacks, inside one transaction and after a
backup copy of its database, so a season is never left half-upgraded. Every
change of the tables adds a step here, and the test that opens a season made
by each earlier release (tests/season/test_migrations.py) gains its case.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from openmosprom_cli.i18n import Msg
from openmosprom_cli.season.schema_run_columns import RUN_COLUMNS, results_as_columns

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

AFTER_THE_TOURS = """
-- Who came: one row per person and tour that a returned roster or a CSV marked (unmarked people have none).
CREATE TABLE attendance_marks (
    tour_id TEXT NOT NULL,
    registrant_id TEXT NOT NULL,
    mark TEXT NOT NULL,                  -- present | absent
    inferred INTEGER NOT NULL DEFAULT 0, -- 1: an unmarked row read as absent (--unmarked-absent)
    guests INTEGER,                      -- «Пришло гостей»; NULL when not given
    prize_handed INTEGER,                -- «Приз выдан»: 1 or 0; NULL when the file has no such mark
    source TEXT NOT NULL DEFAULT '',     -- file › sheet › row it was read from
    PRIMARY KEY (tour_id, registrant_id)
);
-- The tours whose attendance came back: a re-import replaces all of a tour's marks.
CREATE TABLE attendance_imports (
    tour_id TEXT PRIMARY KEY,
    imported_at TEXT NOT NULL,
    files TEXT NOT NULL DEFAULT '[]',    -- JSON list of the file names it came from
    unmarked_absent INTEGER NOT NULL DEFAULT 0
);
-- Earlier seasons, imported read-only: per VK ID only what the priority policy needs, with a digest of each
-- season's facts, so that an edited history is refused.
CREATE TABLE history_seasons (
    season_key TEXT PRIMARY KEY,         -- its window, "YYYY-MM-DD/YYYY-MM-DD": one season a month
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    first_tour TEXT,                     -- ISO dates of its first and last tours
    last_tour TEXT,
    source TEXT NOT NULL DEFAULT '',     -- the folder's name as given
    imported_at TEXT NOT NULL,
    people INTEGER NOT NULL,
    attendance INTEGER NOT NULL DEFAULT 0,   -- 1 when it had attendance marks
    digest TEXT NOT NULL                 -- sha256 of its facts, as imported
);
CREATE TABLE history_facts (
    season_key TEXT NOT NULL REFERENCES history_seasons(season_key) ON DELETE CASCADE,
    registrant_id TEXT NOT NULL,         -- applied in that season: every row
    placed INTEGER NOT NULL DEFAULT 0,   -- tours they held a seat on (kept, or given up themselves)
    attended INTEGER NOT NULL DEFAULT 0,
    missed INTEGER NOT NULL DEFAULT 0,   -- no-shows
    cancelled_in_time INTEGER NOT NULL DEFAULT 0,   -- seats they gave up before the tour
    PRIMARY KEY (season_key, registrant_id)
);
CREATE INDEX history_facts_person ON history_facts(registrant_id);
-- The key of the rosters' per-visitor codes: a code names a person and a tour to this season only.
INSERT OR IGNORE INTO meta(key, value) VALUES ('visitor_code_key', lower(hex(randomblob(16))));
"""

PRIZES = """
-- The prize catalogue as last imported; rank 1 is the best item.
CREATE TABLE prize_items (
    item_id TEXT PRIMARY KEY,            -- the «Код» column, or the name as matched
    rank INTEGER NOT NULL,
    name TEXT NOT NULL,
    stock INTEGER NOT NULL,
    top_n INTEGER,                       -- NULL: no limit by rank
    min_score REAL,                      -- NULL: no threshold
    min_age INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    source_file TEXT NOT NULL DEFAULT '',
    imported_at TEXT NOT NULL DEFAULT ''
);
-- The «Призы» column of the registrants' export: the prizes a person prefers, best first, as written.
CREATE TABLE prize_preferences (
    registrant_id TEXT PRIMARY KEY,
    prizes TEXT NOT NULL DEFAULT '[]'    -- JSON list of names or codes
);
-- Draws and redraws, like allocation runs: the inputs they saw, the seed, both fingerprints.
CREATE TABLE prize_draws (
    draw_id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'draw',   -- draw | redraw
    seed TEXT NOT NULL,
    inputs_fingerprint TEXT NOT NULL,
    result_fingerprint TEXT NOT NULL,
    is_current INTEGER NOT NULL DEFAULT 0,
    inputs TEXT NOT NULL DEFAULT '',     -- JSON snapshot of what the draw saw, for the audit
    summary TEXT NOT NULL DEFAULT '{}',  -- JSON
    last_change INTEGER NOT NULL DEFAULT 0,
    based_on INTEGER                     -- a redraw: the draw whose unclaimed prizes it gave again
);
CREATE TABLE prize_awards (
    draw_id INTEGER NOT NULL REFERENCES prize_draws(draw_id) ON DELETE CASCADE,
    registrant_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    rank INTEGER NOT NULL,               -- the winner's place in the ranking, 1 = first
    how TEXT NOT NULL,                   -- preferred | best | held
    PRIMARY KEY (draw_id, registrant_id, item_id)
);
-- Prizes handed over, from `prizes handed` or a returned roster's «Приз выдан».
CREATE TABLE prize_handouts (
    registrant_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    at TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'organizer',
    PRIMARY KEY (registrant_id, item_id)
);
-- Accounts merged away as duplicates of one person: they take part once, as the kept account.
CREATE TABLE registrant_merges (
    dropped_id TEXT PRIMARY KEY,
    kept_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    automatic INTEGER NOT NULL DEFAULT 0,
    evidence TEXT NOT NULL DEFAULT '[]', -- JSON list of what the accounts share (kinds, never the values)
    change_id INTEGER NOT NULL           -- the cancellation it made
);
"""

def _runs_as_columns(conn: sqlite3.Connection) -> None:
    _statements(RUN_COLUMNS)(conn)
    results_as_columns(conn)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, Msg("the season after publication: commitments, cancellations, changes, publications"),
              _statements(AFTER_PUBLICATION)),
    Migration(3, Msg("after the tours: attendance marks, the history of earlier seasons, visitor codes"),
              _statements(AFTER_THE_TOURS)),
    Migration(4, Msg("prizes: the catalogue, preferences, draws, awards and hand-outs; merged duplicate accounts"),
              _statements(PRIZES)),
    Migration(5, Msg("allocation runs stored as columns (outcomes and waitlists)"), _runs_as_columns),
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
