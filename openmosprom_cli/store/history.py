"""Earlier seasons' facts: ``history_seasons`` and ``history_facts``, and the digest that seals them.

Also the one way another season's database is read: never in place, but
copied into memory (:func:`open_season_copy`), so that the other season is
never changed, never locked, and never upgraded.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from openmosprom_cli.store.meta import get_meta, set_meta

HISTORY_DIGEST_META = "history_digest"


@dataclass(frozen=True)
class HistorySeasonRow:
    season_key: str
    window_start: str
    window_end: str
    first_tour: str | None
    last_tour: str | None
    source: str
    imported_at: str
    people: int
    attendance: bool
    digest: str


# (VK ID, tours placed on, attended, missed, seats given up in time)
FactRow = tuple[str, int, int, int, int]


def load_history_seasons(conn: sqlite3.Connection) -> list[HistorySeasonRow]:
    """Every imported season, earliest first."""
    rows = conn.execute("SELECT season_key, window_start, window_end, first_tour, last_tour, source, imported_at, "
                        "people, attendance, digest FROM history_seasons ORDER BY window_start, season_key")
    return [HistorySeasonRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], int(r[7]), bool(r[8]), r[9]) for r in rows]


def iter_season_facts(conn: sqlite3.Connection, season_key: str) -> Iterator[FactRow]:
    """One season's facts, by VK ID."""
    cursor = conn.cursor()
    cursor.row_factory = None
    yield from cursor.execute("SELECT registrant_id, placed, attended, missed, cancelled_in_time FROM history_facts "
                              "WHERE season_key = ? ORDER BY registrant_id", (season_key,))


def replace_history_season(conn: sqlite3.Connection, season: HistorySeasonRow, facts: Iterable[FactRow]) -> bool:
    """Store one season's facts, replacing an earlier import of it; whether there was one."""
    existed = delete_history_seasons(conn, [season.season_key]) > 0
    conn.execute("INSERT INTO history_seasons (season_key, window_start, window_end, first_tour, last_tour, source, "
                 "imported_at, people, attendance, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (season.season_key, season.window_start, season.window_end, season.first_tour, season.last_tour,
                  season.source, season.imported_at, season.people, int(season.attendance), season.digest))
    conn.executemany("INSERT INTO history_facts (season_key, registrant_id, placed, attended, missed, "
                     "cancelled_in_time) VALUES (?, ?, ?, ?, ?, ?)",
                     ((season.season_key, *fact) for fact in facts))
    return existed


def delete_history_seasons(conn: sqlite3.Connection, season_keys: Iterable[str]) -> int:
    removed = 0
    for key in season_keys:
        conn.execute("DELETE FROM history_facts WHERE season_key = ?", (key,))
        removed += conn.execute("DELETE FROM history_seasons WHERE season_key = ?", (key,)).rowcount
    return removed


def recorded_history_digest(conn: sqlite3.Connection) -> str:
    return get_meta(conn, HISTORY_DIGEST_META) or ""


def record_history_digest(conn: sqlite3.Connection, digest: str) -> None:
    set_meta(conn, HISTORY_DIGEST_META, digest)


# -- another season, read without touching it ------------------------------------------------------------

def open_season_copy(db_path: Path) -> sqlite3.Connection:
    """Another season's database, copied into memory; the file and its folder are left exactly as they were.

    A database with no write-ahead log to replay is read as immutable: SQLite
    then takes no lock and creates no file beside it. One whose log holds
    changes (another program has it open, or was killed) is copied first, log
    included, into a private temporary folder, and read from the copy.
    """
    wal = db_path.with_name(db_path.name + "-wal")
    with contextlib.ExitStack() as stack:
        if wal.exists() and wal.stat().st_size > 0:
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="omp-history-")))
            source_path = scratch / db_path.name
            shutil.copyfile(db_path, source_path)
            shutil.copyfile(wal, scratch / wal.name)
            uri = f"file:{quote(str(source_path))}"
        else:
            uri = f"file:{quote(str(db_path.resolve()))}?mode=ro&immutable=1"
        source = sqlite3.connect(uri, uri=True)
        stack.callback(source.close)
        memory = sqlite3.connect(":memory:", isolation_level=None)
        try:
            source.backup(memory)
        except BaseException:
            memory.close()
            raise
    memory.row_factory = sqlite3.Row
    return memory


def season_registrant_ids(conn: sqlite3.Connection) -> list[str]:
    cursor = conn.cursor()
    cursor.row_factory = None
    return [r[0] for r in cursor.execute("SELECT id FROM registrants ORDER BY id")]


def tour_date_range(conn: sqlite3.Connection) -> tuple[str | None, str | None]:
    """ISO dates of the season's first and last tours, cancelled ones included."""
    first, last = conn.execute("SELECT min(date), max(date) FROM tours").fetchone()
    return first, last


def iter_policy_rows(conn: sqlite3.Connection) -> Iterator[tuple[str, str, int, int]]:
    """(season key, VK ID, placed, missed) of every fact: what the priority policy reads."""
    cursor = conn.cursor()
    cursor.row_factory = None
    yield from cursor.execute("SELECT season_key, registrant_id, placed, missed FROM history_facts")
