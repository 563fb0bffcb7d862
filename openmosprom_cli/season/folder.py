"""The season folder: ``season.toml`` for settings, ``season.db`` for state.

Every state change runs inside :meth:`Season.transaction`: the season's run
lock (a ``flock`` on ``.season.lock`` that records the holder's pid) plus one
SQLite transaction taken with ``BEGIN IMMEDIATE``. Two runs never interleave,
and a failed or killed command leaves the season exactly as it was. The
database is in WAL mode, so read-only commands never wait.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.errors import (
    CannotCreateError,
    InternalError,
    SeasonBusyError,
    SeasonNotFoundError,
)
from openmosprom_cli.io.files import (
    PRIVATE_MODE,
    atomic_write_text,
    remove_stray_temp_files,
)
from openmosprom_cli.settings import (
    SETTINGS_FILE,
    Settings,
    default_year,
    load_settings,
    render_settings,
)

DB_FILE = "season.db"
LOCK_FILE = ".season.lock"
WORKSPACE_ENV = "OPENMOSPROM_WORKSPACE"
SCHEMA_VERSION = 1

SCHEMA = """
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


def now_iso() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Season:
    path: Path
    settings: Settings

    @property
    def db_path(self) -> Path:
        return self.path / DB_FILE

    @property
    def settings_path(self) -> Path:
        return self.path / SETTINGS_FILE

    # -- connections -------------------------------------------------------

    def _connect(self, timeout_s: float) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=timeout_s, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        return conn

    @contextlib.contextmanager
    def reader(self) -> Iterator[sqlite3.Connection]:
        """A read-only view; in WAL mode it never waits for a writer."""
        conn = self._connect(timeout_s=5.0)
        try:
            conn.execute("BEGIN")
            yield conn
            conn.execute("COMMIT")
        finally:
            conn.close()

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the season's run lock, e.g. across an email batch that commits message by message.

        Waits up to ``limits.lock_timeout_s`` for another run, then raises
        :class:`SeasonBusyError` naming that run's pid. Re-entrant within one
        process, so a locked batch can still open transactions.
        """
        key = (str(self.db_path.resolve()), threading.get_ident())
        with _held_guard:
            depth = _held.get(key, 0)
            if depth:
                _held[key] = depth + 1
        if depth:
            try:
                yield
            finally:
                with _held_guard:
                    _held[key] -= 1
            return
        timeout = self.settings.limits.lock_timeout_s
        path = self.path / LOCK_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise CannotCreateError(f"cannot create the lock file {path}: {exc.strerror or exc}") from None
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise SeasonBusyError(
                            f"the season is in use by another run (pid {_lock_owner(path)}); waited {timeout:g} s",
                            hint="Wait for it to finish, or raise [limits] lock_timeout_s in season.toml.",
                        ) from None
                    time.sleep(0.05)
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
            with _held_guard:
                _held[key] = 1
            try:
                yield
            finally:
                with _held_guard:
                    _held.pop(key, None)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The season's lock and one atomic SQLite transaction (``BEGIN IMMEDIATE``).

        A failed or killed command leaves the season exactly as it was.
        """
        with self.lock():
            conn = self._connect(timeout_s=max(self.settings.limits.lock_timeout_s, 1.0))
            try:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as exc:
                    if "locked" in str(exc) or "busy" in str(exc):
                        raise SeasonBusyError(
                            "the season's database is in use by another program",
                            hint="Close any tool that has season.db open and try again.",
                        ) from None
                    raise
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                conn.close()


_held: dict[tuple[str, int], int] = {}
_held_guard = threading.Lock()


def _lock_owner(lock_file: Path) -> str:
    try:
        return lock_file.read_text(encoding="ascii").strip() or "unknown"
    except OSError:
        return "unknown"


def _prepare_db(db_path: Path) -> None:
    # season.db holds passports and birth dates: owner-only, and SQLite gives
    # its -wal and -shm files the same mode.
    os.close(os.open(db_path, os.O_RDWR | os.O_CREAT, PRIVATE_MODE))
    os.chmod(db_path, PRIVATE_MODE)
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
            "ON CONFLICT(key) DO NOTHING",
            (str(SCHEMA_VERSION),),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def init_season(directory: Path, year: int | None = None, force: bool = False) -> Season:
    """Create a season folder; refuses to touch an existing one unless ``force``."""
    directory = Path(directory)
    year = year or default_year()
    settings_path = directory / SETTINGS_FILE
    db_path = directory / DB_FILE
    existing = [p.name for p in (settings_path, db_path) if p.exists()]
    if existing and not force:
        raise CannotCreateError(
            f"{directory} already holds a season ({', '.join(existing)})",
            hint="Use --force to start it afresh; its settings and state will be replaced.",
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if force:
            for suffix in ("", "-wal", "-shm"):
                (directory / f"{DB_FILE}{suffix}").unlink(missing_ok=True)
        atomic_write_text(settings_path, render_settings(year))
        _prepare_db(db_path)
    except OSError as exc:
        raise CannotCreateError(f"cannot create the season in {directory}: {exc.strerror or exc}") from None
    return open_season(directory)


def open_season(directory: Path) -> Season:
    directory = Path(directory)
    if not (directory / SETTINGS_FILE).exists() or not (directory / DB_FILE).exists():
        raise SeasonNotFoundError(
            f"no season in {directory.resolve()}",
            hint="Create one with `openmosprom init DIR`, then pass -w DIR or set OPENMOSPROM_WORKSPACE.",
        )
    settings = load_settings(directory / SETTINGS_FILE)
    season = Season(directory, settings)
    version = _schema_version(season)
    if version != SCHEMA_VERSION:
        raise InternalError(f"{season.db_path} has schema version {version}; this openmosprom knows {SCHEMA_VERSION}")
    remove_stray_temp_files(directory)
    return season


def _schema_version(season: Season) -> int | None:
    with season.reader() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row["value"]) if row else None


def find_season(workspace: Path | None = None) -> Season:
    """``-w DIR``, else ``$OPENMOSPROM_WORKSPACE``, else the current folder."""
    if workspace is not None:
        return open_season(Path(workspace))
    env = os.environ.get(WORKSPACE_ENV)
    if env:
        return open_season(Path(env))
    return open_season(Path.cwd())
