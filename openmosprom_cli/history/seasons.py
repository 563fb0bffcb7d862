"""``history import``: earlier seasons' facts per VK ID, read without changing those seasons; and the history as stored.

A season folder is read through a copy in memory
(:func:`~openmosprom_cli.store.history.open_season_copy`): the other season
is never changed, never locked, and never upgraded; its copy is brought up to
this release's tables only in memory. Nothing but the facts of
:mod:`openmosprom_cli.history.facts` is kept, per VK ID, with the season's
dates; no name, phone or other personal data of the other season is copied.

Each season's facts are sealed with a digest as they are stored, and the set
of seasons with one more (in the season's ``meta``). Reading the history back
checks both: a history edited after its import is refused by what uses it
(the priority policy) and reported by ``history list``. It keeps honest
mistakes and other tools out; someone who can rewrite season.db at will can
rewrite the digests too, which is why each run also stores the facts it used
(see :mod:`openmosprom_cli.allocation.policy`).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.attendance.status import load_seat_state, seat_attendance
from openmosprom_cli.errors import BadDataError, Location, MissingInputError
from openmosprom_cli.history.facts import SeasonIdentity, facts_digest, history_digest, season_facts
from openmosprom_cli.i18n import Msg, _
from openmosprom_cli.season import clock, schema
from openmosprom_cli.season.clock import now_iso
from openmosprom_cli.season.folder import DB_FILE, Season
from openmosprom_cli.settings import SETTINGS_FILE, load_settings
from openmosprom_cli.store.attendance import count_marks, load_marks
from openmosprom_cli.store.changes import load_changes
from openmosprom_cli.store.history import (
    HistorySeasonRow,
    delete_history_seasons,
    iter_season_facts,
    load_history_seasons,
    open_season_copy,
    record_history_digest,
    recorded_history_digest,
    replace_history_season,
    season_registrant_ids,
    tour_date_range,
)
from openmosprom_cli.store.tours import load_cancelled_tours, load_tours


@dataclass(frozen=True)
class ImportedSeason:
    season_key: str
    source: str
    window_start: dt.date
    window_end: dt.date
    people: int
    placed: int                # people placed at least once
    attended: int              # people who came at least once
    missed: int                # people with a no-show
    attendance: bool           # the season had attendance marks
    replaced: bool             # it had been imported before
    warnings: tuple[str, ...] = ()      # Msgs


@dataclass(frozen=True)
class HistorySeason:
    season_key: str
    window_start: dt.date
    window_end: dt.date
    first_tour: dt.date | None
    last_tour: dt.date | None
    source: str
    imported_at: str
    people: int
    attendance: bool
    digest: str
    intact: bool               # its facts still hash to the digest recorded at import


@dataclass(frozen=True)
class History:
    seasons: tuple[HistorySeason, ...]     # earliest first
    intact: bool                           # every season intact, and none added or removed by hand
    problems: tuple[str, ...] = ()         # Msgs

    def require_intact(self) -> None:
        if not self.intact:
            raise BadDataError(_("the history of earlier seasons was changed after it was imported: {problems}"
                                 ).format(problems="; ".join(self.problems)),
                               hint=_("Import those season folders again with `openmosprom history import`."))


# -- import -----------------------------------------------------------------------------------------------

def import_history(season: Season, folders: Sequence[Path]) -> tuple[ImportedSeason, ...]:
    """Read each earlier season folder (without changing it) and store its facts; all or nothing."""
    if not folders:
        raise BadDataError(_("name the earlier season folders to import"))
    read = [_read_season(season, Path(folder)) for folder in folders]
    keys = [identity.key for identity, *_ in read]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise BadDataError(_("the same season is named twice ({seasons}); nothing was imported").format(
            seasons=", ".join(twice)))
    imported = []
    with season.transaction() as conn:
        for identity, facts, source, warnings in read:
            row = HistorySeasonRow(identity.key, identity.window_start.isoformat(), identity.window_end.isoformat(),
                                   _iso(identity.first_tour), _iso(identity.last_tour), source, now_iso(),
                                   len(facts), identity.attendance, facts_digest(identity.header(), facts))
            replaced = replace_history_season(conn, row, facts)
            imported.append(ImportedSeason(
                identity.key, source, identity.window_start, identity.window_end, len(facts),
                sum(1 for f in facts if f[1]), sum(1 for f in facts if f[2]), sum(1 for f in facts if f[3]),
                identity.attendance, replaced, tuple(warnings)))
        _seal(conn)
    return tuple(imported)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _read_season(season: Season, folder: Path):
    """(identity, facts, source name, warnings) of an earlier season folder."""
    db_path, settings_path = folder / DB_FILE, folder / SETTINGS_FILE
    if not db_path.is_file() or not settings_path.is_file():
        raise MissingInputError(_("no season in {folder}").format(folder=folder),
                                hint=_("Name a season folder (it holds season.toml and season.db)."))
    if folder.resolve() == season.path.resolve():
        raise BadDataError.at(Location(str(folder)), Msg("is this season itself; import an earlier one"))
    other = load_settings(settings_path)
    if other.window_start >= season.settings.window_start:
        raise BadDataError.at(Location(str(folder)),
                              Msg("its window starts on {date}, not before this season's ({start})",
                                  date=f"{other.window_start:%d.%m.%Y}",
                                  start=f"{season.settings.window_start:%d.%m.%Y}"),
                              hint=_("Only earlier seasons can be history."))
    try:
        conn = open_season_copy(db_path)
    except sqlite3.DatabaseError:
        raise BadDataError.at(Location(str(db_path)), Msg("is not a season database, or it is damaged")) from None
    try:
        _bring_up_to_date(conn, db_path)
        first, last = tour_date_range(conn)
        identity = SeasonIdentity(other.window_start, other.window_end, _date(first), _date(last),
                                  count_marks(conn) > 0)
        state = load_seat_state(conn)
        seats = seat_attendance(state, load_marks(conn))
        tours = {t.tour_id: t for t in load_tours(conn)}
        tours.update({tour_id: t for tour_id, (t, _) in load_cancelled_tours(conn).items()})
        facts = season_facts(season_registrant_ids(conn), state, seats, load_changes(conn), tours)
    except sqlite3.DatabaseError as exc:
        raise BadDataError.at(Location(str(db_path)), Msg("cannot be read ({reason})", reason=str(exc))) from None
    finally:
        conn.close()
    warnings = []
    if identity.last_tour is not None and identity.last_tour >= clock.today():
        warnings.append(Msg("{folder}: its last tour ({date}) is not over yet; import it again afterwards",
                            folder=folder.name, date=f"{identity.last_tour:%d.%m.%Y}"))
    if not identity.attendance:
        warnings.append(Msg("{folder}: no attendance was imported there, so nobody counts as attended or missed",
                            folder=folder.name))
    return identity, facts, folder.name, warnings


def _bring_up_to_date(conn: sqlite3.Connection, db_path: Path) -> None:
    """The in-memory copy, upgraded to this release's tables; the other season's file is never upgraded."""
    version = schema.stored_version(conn)
    if version is None:
        raise BadDataError.at(Location(str(db_path)), Msg("is not a season database, or it is damaged"))
    if version > schema.SCHEMA_VERSION:
        raise BadDataError.at(Location(str(db_path)),
                              Msg("was written by a newer openmosprom (schema version {version})", version=version))
    conn.execute("BEGIN")
    schema.upgrade(conn, version)
    conn.execute("COMMIT")


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


# -- the history as stored ----------------------------------------------------------------------------------

def _seal(conn: sqlite3.Connection) -> None:
    record_history_digest(conn, history_digest((s.season_key, s.digest) for s in load_history_seasons(conn)))


def load_history(conn: sqlite3.Connection) -> History:
    """The imported seasons, each checked against its digest, and the set of them against the season's record."""
    seasons = []
    problems = []
    for row in load_history_seasons(conn):
        identity = SeasonIdentity(dt.date.fromisoformat(row.window_start), dt.date.fromisoformat(row.window_end),
                                  _date(row.first_tour), _date(row.last_tour), row.attendance)
        actual = facts_digest(identity.header(), iter_season_facts(conn, row.season_key))
        intact = actual == row.digest and identity.key == row.season_key
        if not intact:
            problems.append(Msg("the facts of season {season} no longer match their digest", season=row.season_key))
        seasons.append(HistorySeason(row.season_key, identity.window_start, identity.window_end,
                                     identity.first_tour, identity.last_tour, row.source, row.imported_at,
                                     row.people, row.attendance, row.digest, intact))
    recorded = recorded_history_digest(conn)
    if (seasons or recorded) and history_digest((s.season_key, s.digest) for s in seasons) != recorded:
        problems.append(Msg("seasons were added to or removed from the history by hand"))
    return History(tuple(seasons), not problems, tuple(problems))


def read_history(season: Season) -> History:
    with season.reader() as conn:
        return load_history(conn)


def age_out_history(conn: sqlite3.Connection, keep: int) -> tuple[str, ...]:
    """Remove every imported season but the last ``keep`` (by their dates); the keys removed."""
    seasons = load_history_seasons(conn)
    old = [s.season_key for s in seasons[:max(len(seasons) - keep, 0)]]
    if old:
        # Sealed again only if the set was as imported: ageing must not launder a season removed by hand.
        sealed = history_digest((s.season_key, s.digest) for s in seasons) == recorded_history_digest(conn)
        delete_history_seasons(conn, old)
        if sealed:
            _seal(conn)
    return tuple(old)
