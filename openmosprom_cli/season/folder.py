"""The season folder: ``season.toml`` for settings, ``season.db`` for state.

Every state change runs inside :meth:`Season.transaction`: the season's run
lock (:mod:`openmosprom_cli.season.lock`) plus one SQLite transaction taken
with ``BEGIN IMMEDIATE``. Two runs never interleave, and a failed or killed
command leaves the season exactly as it was. The database is in WAL mode, so
read-only commands never wait. A season made by an earlier release is
upgraded when it is opened (:mod:`openmosprom_cli.season.schema`), after a
backup copy of its database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from openmosprom_cli.checkpoints import checkpoint
from openmosprom_cli.errors import BadDataError, CannotCreateError, Location, SeasonBusyError, SeasonNotFoundError
from openmosprom_cli.i18n import Msg, _
from openmosprom_cli.io.files import (
    PRIVATE_MODE,
    atomic_write_text,
    make_folder,
    remove_stray_temp_files,
    temporary_beside,
)
from openmosprom_cli.season import schema
from openmosprom_cli.season.interrupts import deferred_interrupts, note_commit
from openmosprom_cli.season.lock import season_lock
from openmosprom_cli.settings import SETTINGS_FILE, Settings, default_year, load_settings, render_settings

DB_FILE = "season.db"
BACKUP_FOLDER = "backups"
WORKSPACE_ENV = "OPENMOSPROM_WORKSPACE"


def now_iso() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class SchemaUpgrade:
    """What opening the season did to bring its database up to date."""

    from_version: int
    to_version: int
    steps: tuple[str, ...]      # each step's summary
    backup: Path                # the database as it was before


@dataclass(frozen=True)
class Season:
    path: Path
    settings: Settings
    upgrade: SchemaUpgrade | None = None

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
            conn.execute("PRAGMA query_only = ON")
            conn.execute("BEGIN")
            yield conn
            conn.execute("COMMIT")
        finally:
            conn.close()

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the season's run lock, e.g. across an email batch that commits message by message.

        Waits up to ``limits.lock_timeout_s`` for another run, then raises
        :class:`SeasonBusyError`. Taking it is also when the temporary files of
        killed runs are cleared away: with the lock held, no other run of this
        season is writing one.
        """
        with season_lock(self.path, self.settings.limits.lock_timeout_s,
                         on_acquire=lambda: remove_stray_temp_files(self.path)):
            yield

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The season's lock and one atomic SQLite transaction (``BEGIN IMMEDIATE``).

        A failed or killed command leaves the season exactly as it was.
        """
        with self.lock():
            conn = self._connect(timeout_s=max(self.settings.limits.lock_timeout_s, 1.0))
            try:
                _begin(conn)
                checkpoint("transaction.begun")
                _after_commit[conn], _after_rollback[conn] = [], []
                try:
                    yield conn
                    checkpoint("transaction.committing")
                    with deferred_interrupts():
                        conn.execute("COMMIT")
                        note_commit()
                        checkpoint("transaction.finishing")
                        for action in _after_commit[conn]:
                            action()
                except BaseException as exc:
                    # SQLite may have rolled back already (a full disk does); a second ROLLBACK
                    # would hide the cause behind "no transaction is active".
                    if conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            conn.execute("ROLLBACK")
                        for undo in _after_rollback[conn]:
                            with contextlib.suppress(OSError):
                                undo()
                    if isinstance(exc, sqlite3.OperationalError):
                        raise _storage_error(exc, self.db_path) from exc
                    raise
                checkpoint("transaction.committed")
            finally:
                _after_commit.pop(conn, None)
                _after_rollback.pop(conn, None)
                conn.close()


    def compact(self) -> None:
        """Rewrite season.db without free pages and empty its write-ahead log, under the season's lock.

        After an erasure no erased value may survive in either, whatever the SQLite build's defaults.
        """
        with self.lock():
            conn = self._connect(timeout_s=max(self.settings.limits.lock_timeout_s, 1.0))
            try:
                conn.execute("PRAGMA secure_delete = ON")
                conn.execute("VACUUM")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.OperationalError as exc:
                raise _storage_error(exc, self.db_path) from exc
            finally:
                conn.close()


_after_commit: dict[sqlite3.Connection, list[Callable[[], None]]] = {}
_after_rollback: dict[sqlite3.Connection, list[Callable[[], None]]] = {}


def when_committed(conn: sqlite3.Connection, action: Callable[[], None]) -> None:
    """Run ``action`` right after the COMMIT of ``conn``'s transaction, before an interruption can intervene.

    For the step that makes a file match the saved change, such as renaming a
    finished file into place: cheap, and with its own error handling, since the
    change is already saved when it runs.
    """
    _after_commit[conn].append(action)


def file_for_commit(conn: sqlite3.Connection, target: Path, *, private: bool) -> Path:
    """Where to write ``target``'s new content: it is renamed into place right after ``conn`` commits,
    and removed if the transaction does not, so the file never tells of a change the season lacks."""
    staged = temporary_beside(target, private=private)
    _after_rollback[conn].append(partial(staged.unlink, missing_ok=True))
    when_committed(conn, partial(_put_in_place, staged, target))
    return staged


def _put_in_place(staged: Path, target: Path) -> None:
    try:
        os.replace(staged, target)
    except OSError as exc:
        staged.unlink(missing_ok=True)
        raise CannotCreateError(_("the change is saved, but {path} could not be written: {reason}").format(
            path=target, reason=exc.strerror or exc)) from None
    checkpoint("file.replaced")


def _begin(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise SeasonBusyError(
                _("the season's database is in use by another program"),
                hint=_("Close any tool that has season.db open and try again."),
            ) from None
        raise


def _storage_error(exc: sqlite3.OperationalError, db_path: Path) -> Exception:
    """The known causes of a failed write, said plainly; anything else stays a bug."""
    text = str(exc).lower()
    if "full" in text:
        return CannotCreateError(_("cannot write {path}: the disk is full; nothing was changed").format(path=db_path),
                                 hint=_("Free some space and run the command again."))
    if "readonly" in text or "read-only" in text:
        return CannotCreateError(_("cannot write {path}: it is read-only; nothing was changed").format(path=db_path))
    if "disk i/o" in text:
        return CannotCreateError(_("cannot write {path}: the disk reported an I/O error; nothing was changed").format(
            path=db_path))
    if "locked" in text or "busy" in text:
        return SeasonBusyError(_("the season's database is in use by another program; nothing was changed"),
                               hint=_("Close any tool that has season.db open and try again."))
    return exc


# -- creating and opening ------------------------------------------------------

def _create_db(db_path: Path) -> None:
    # season.db holds passports and birth dates: owner-only, and SQLite gives
    # its -wal and -shm files the same mode. O_NOFOLLOW: a planted symlink must
    # not make us create the database somewhere else.
    os.close(os.open(db_path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_MODE))
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        schema.create(conn)
        conn.execute("COMMIT")
    finally:
        conn.close()


def init_season(directory: Path, year: int | None = None, force: bool = False) -> Season:
    """Create a season folder; refuses to touch an existing one unless ``force``."""
    directory = Path(directory)
    year = year or default_year()
    settings_path = directory / SETTINGS_FILE
    db_path = directory / DB_FILE
    existing = [p.name for p in (settings_path, db_path) if p.exists() or p.is_symlink()]
    if existing and not force:
        raise CannotCreateError(
            _("{folder} already holds a season ({files})").format(folder=directory, files=", ".join(existing)),
            hint=_("Use --force to start it afresh; its settings and state will be replaced."),
        )
    try:
        make_folder(directory)
        if force:
            for suffix in ("", "-wal", "-shm"):
                (directory / f"{DB_FILE}{suffix}").unlink(missing_ok=True)
        atomic_write_text(settings_path, render_settings(year))
        _create_db(db_path)
    except OSError as exc:
        raise CannotCreateError(_("cannot create the season in {folder}: {reason}").format(
            folder=directory, reason=exc.strerror or exc)) from None
    return open_season(directory)


def open_season(directory: Path) -> Season:
    """The season in ``directory``; one made by an earlier release is upgraded first."""
    directory = Path(directory)
    if not is_season_folder(directory):
        raise SeasonNotFoundError(
            _("no season in {folder}").format(folder=directory.resolve()),
            hint=_("Create one with `openmosprom init DIR`, then pass -w DIR or set OPENMOSPROM_WORKSPACE."),
        )
    season = Season(directory, load_settings(directory / SETTINGS_FILE))
    version = _schema_version(season)
    if version > schema.SCHEMA_VERSION:
        raise BadDataError.at(
            Location(DB_FILE), Msg("was written by a newer openmosprom (schema version {version}; this release "
                                   "knows up to {known})", version=version, known=schema.SCHEMA_VERSION),
            hint=_("Install the newer release of openmosprom to work on this season."))
    if version < schema.SCHEMA_VERSION:
        return _upgraded(season)
    return season


def is_season_folder(directory: Path) -> bool:
    return (directory / SETTINGS_FILE).is_file() and (directory / DB_FILE).is_file()


def _schema_version(season: Season) -> int:
    try:
        with season.reader() as conn:
            version = schema.stored_version(conn)
    except sqlite3.DatabaseError:
        version = None
    if version is None:
        # Never quote what the file holds: a damaged database still has people's data in it.
        raise BadDataError.at(Location(str(season.db_path)), Msg("is not a season database, or it is damaged"),
                              hint=_("Restore it from a backup copy (see the backups folder of the season), "
                                     "or start a new season with `openmosprom init`."))
    return version


def _upgraded(season: Season) -> Season:
    """Back up season.db, then apply the missing schema steps in one transaction, under the season's lock."""
    with season.lock():
        version = _schema_version(season)     # another run may have upgraded it while we waited
        if version >= schema.SCHEMA_VERSION:
            return season
        backup = _backup(season, version)
        with season.transaction() as conn:
            steps = schema.upgrade(conn, version)
    upgrade = SchemaUpgrade(version, schema.SCHEMA_VERSION, tuple(s.summary for s in steps), backup)
    return Season(season.path, season.settings, upgrade)


def _backup(season: Season, version: int) -> Path:
    """A consistent copy of season.db (WAL included), owner-only, in ``<season>/backups/``."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = season.path / BACKUP_FOLDER
    target = folder / f"season-v{version}-{stamp}.db"
    try:
        make_folder(folder)
        os.close(os.open(target, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_MODE))
        source = sqlite3.connect(season.db_path)
        try:
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                copy.close()
        finally:
            source.close()
    except (OSError, sqlite3.Error) as exc:
        raise CannotCreateError(_("cannot back up {path} before upgrading it: {reason}; nothing was changed").format(
            path=season.db_path, reason=exc),
            hint=_("Free some space or fix the folder's permissions, then run the command again.")) from None
    return target


def find_season(workspace: Path | None = None) -> Season:
    """``-w DIR``, else ``$OPENMOSPROM_WORKSPACE``, else the current folder or the nearest parent holding a season."""
    if workspace is not None:
        return open_season(Path(workspace))
    env = os.environ.get(WORKSPACE_ENV)
    if env:
        return open_season(Path(env))
    here = Path.cwd()
    for folder in (here, *here.parents):
        if is_season_folder(folder):
            return open_season(folder)
    return open_season(here)
