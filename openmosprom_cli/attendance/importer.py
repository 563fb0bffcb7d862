"""``attendance import`` and ``attendance list``: the returned rosters matched to people and tours, and stored.

A row is matched by its code (:mod:`openmosprom_cli.rosters.codes`), which
names one person on one tour, so the factory may have sorted, filtered or
copied the rows between sheets; a row without a code is matched by its VK ID,
with the tour from «ID экскурсии» or, when the person holds exactly one seat,
from that seat. Every problem of every file is reported at once, each at its
cell, and then nothing changes.

What the import stores replaces, tour by tour, everything the tours it read
had before: a roster returned again, corrected, is simply imported again. An
unmarked row stays unknown, unless ``unmarked_absent`` says that a tour with
any mark at all is complete: then its unmarked seats are absences (recorded as
inferred, so ``attendance list`` says so). What the marks mean for each seat,
cancelled people and tours included, is :mod:`openmosprom_cli.attendance.status`'s.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.attendance.marks import ABSENT, PRESENT
from openmosprom_cli.attendance.returned import CODE, GUESTS, ID, MARK, TOUR, ReturnedRow, read_returned_files
from openmosprom_cli.attendance.status import (
    AttendanceCounts,
    SeatAttendance,
    SeatState,
    count_attendance,
    load_seat_state,
    seat_attendance,
)
from openmosprom_cli.errors import BadDataError, MissingInputError
from openmosprom_cli.i18n import Msg, _
from openmosprom_cli.io.tables import ProblemCollector
from openmosprom_cli.models import Tour
from openmosprom_cli.prizes.current import load_current_prizes
from openmosprom_cli.prizes.runs import record_handouts
from openmosprom_cli.rosters.codes import CODE_KEY_META, visitor_code
from openmosprom_cli.season import clock
from openmosprom_cli.season.clock import now_iso
from openmosprom_cli.season.folder import Season
from openmosprom_cli.store.attendance import (
    MarkRow,
    load_attendance_imports,
    load_marks,
    registrant_id_set,
    replace_tour_marks,
    seat_pairs_ever,
)
from openmosprom_cli.store.meta import get_meta
from openmosprom_cli.store.tours import load_cancelled_tours, load_tours


@dataclass(frozen=True)
class TourAttendance:
    tour_id: str
    site_id: str
    date: dt.date
    start: dt.time
    cancelled: bool
    returned: bool            # its marks came back (an import read it)
    counts: AttendanceCounts


@dataclass(frozen=True)
class AttendanceImportReport:
    files: tuple[str, ...]
    rows: int                           # data rows read
    tours: tuple[TourAttendance, ...]   # the tours whose marks were replaced, as they stand now
    replaced: tuple[str, ...]           # of them, those that had marks before
    inferred_absent: int                # unmarked seats read as absent (--unmarked-absent)
    prizes_marked: int                  # rows with a «Приз выдан» mark (read for the prizes; see MarkRow)
    warnings: tuple[str, ...] = ()      # Msgs
    prizes_handed: int = 0              # hand-outs recorded from ticked «Приз выдан» (new ones only)


@dataclass(frozen=True)
class AttendanceListing:
    tours: tuple[TourAttendance, ...]
    totals: AttendanceCounts
    seats: tuple[SeatAttendance, ...]   # every seat and every marked person, by tour


# -- import ---------------------------------------------------------------------------------------

def import_attendance(season: Season, paths: Sequence[Path], *, unmarked_absent: bool = False,
                      encoding: str | None = None) -> AttendanceImportReport:
    """Read every file, match every row, and store the marks of the tours read; all or nothing."""
    if not paths:
        raise BadDataError(_("name the returned rosters or check-in lists to import"))
    files, problems = read_returned_files(paths, season.settings.limits, encoding=encoding)
    with season.transaction() as conn:
        state = load_seat_state(conn)
        if not state.has_run:
            raise MissingInputError(_("there is no allocation yet, so nobody holds a seat to check in"),
                                    hint=_("Run `openmosprom assign` first."))
        tours = {t.tour_id: t for t in load_tours(conn)}
        tours.update({tour_id: t for tour_id, (t, _) in load_cancelled_tours(conn).items()})
        matcher = _Matcher(state, tours, get_meta(conn, CODE_KEY_META) or "", seat_pairs_ever(conn),
                           registrant_id_set(conn) if any(r.registrant_id for f in files for r in f.rows) else set())
        resolved = matcher.resolve([row for f in files for row in f.rows], problems)
        problems.raise_if_any(hint=_("Correct the cells named and import the files again."))
        files_by_tour: dict[str, set[str]] = defaultdict(set)
        for (_person, tour_id), row in resolved.items():
            files_by_tour[tour_id].add(row.where.file)
        marks = _marks(resolved, state, files_by_tour, unmarked_absent)
        before = load_attendance_imports(conn)
        replace_tour_marks(conn, marks, imported_at=now_iso(), files_by_tour=files_by_tour,
                           unmarked_absent=unmarked_absent)
        all_marks = load_marks(conn)
        imported = load_attendance_imports(conn)
        handed, unknown_prizes = _record_prizes_handed(conn, resolved)
    warnings = [w for f in files for w in f.warnings] + matcher.warnings + _warnings(resolved, state, tours)
    if unknown_prizes:
        warnings.append(Msg("«Приз выдан» ticked for {count} visitor(s) who won no prize in the current draw "
                            "({ids}): ignored", count=len(unknown_prizes),
                            ids=", ".join(unknown_prizes[:10]) + ("…" if len(unknown_prizes) > 10 else "")))
    summaries = _tour_summaries(tours, state, all_marks, imported)
    return AttendanceImportReport(
        files=tuple(f.path.name for f in files), rows=sum(len(f.rows) for f in files),
        tours=tuple(s for s in summaries if s.tour_id in files_by_tour),
        replaced=tuple(sorted(t for t in files_by_tour if t in before)),
        inferred_absent=sum(1 for m in marks if m.inferred),
        prizes_marked=sum(1 for r in resolved.values() if r.prize_handed is not None),
        warnings=tuple(warnings), prizes_handed=handed)


def _record_prizes_handed(conn: sqlite3.Connection, resolved: dict[tuple[str, str], ReturnedRow]
                          ) -> tuple[int, list[str]]:
    """A ticked «Приз выдан» records the hand-out of what the person won; (new hand-outs, IDs with no prize)."""
    ticked = sorted({rid for (rid, _), row in resolved.items() if row.prize_handed})
    if not ticked:
        return 0, []
    prizes = load_current_prizes(conn)
    won = prizes.by_person() if prizes is not None else {}
    pairs = [(rid, award.item_id) for rid in ticked for award in won.get(rid, ())]
    files = sorted({row.where.file for row in resolved.values() if row.prize_handed})
    handed = record_handouts(conn, pairs, source=f"returned roster: {', '.join(files)}") if pairs else 0
    return handed, [rid for rid in ticked if rid not in won]


class _Matcher:
    """Finds the person and tour of each returned row; every failure is a problem at its cell."""

    def __init__(self, state: SeatState, tours: dict[str, Tour], code_key: str, pairs_ever: list[tuple[str, str]],
                 registrants: set[str]):
        self.tours = tours
        self.registrants = registrants
        self.warnings: list[str] = []   # Msgs
        self.seats: dict[str, list[str]] = defaultdict(list)
        for p in state.placements:
            if p.tour_id not in state.cancelled_tours:
                self.seats[p.registrant_id].append(p.tour_id)
        self.codes: dict[str, set[tuple[str, str]]] = defaultdict(set)
        if code_key:
            for rid, tour_id in {*pairs_ever, *((p.registrant_id, p.tour_id) for p in state.placements)}:
                self.codes[visitor_code(code_key, rid, tour_id)].add((rid, tour_id))

    def resolve(self, rows: list[ReturnedRow], problems: ProblemCollector) -> dict[tuple[str, str], ReturnedRow]:
        found: dict[tuple[str, str], ReturnedRow] = {}
        for row in rows:
            pair = self._pair(row, problems)
            if pair is None:
                continue
            if row.mark is None and (row.guests or row.prize_handed):
                problems.add(row.at(MARK), Msg("is empty, but guests or a prize are marked on the row; "
                                               "tick whether the person came"))
                continue
            earlier = found.get(pair)
            if earlier is None:
                found[pair] = row
            elif (earlier.mark, earlier.guests, earlier.prize_handed) != (row.mark, row.guests, row.prize_handed):
                problems.add(row.at(CODE if row.code else ID),
                             Msg("the same person and tour as {where}, marked differently", where=earlier.where))
        return found

    def _pair(self, row: ReturnedRow, problems: ProblemCollector) -> tuple[str, str] | None:
        if row.code:
            matches = self.codes.get(row.code, set())
            if not matches:
                problems.add(row.at(CODE), Msg("{code} is not the code of anyone on this season's rosters",
                                               code=row.code))
                return None
            if len(matches) > 1:
                problems.add(row.at(CODE), Msg("{code} is the code of {count} people; give their «ID VK» and "
                                               "«ID экскурсии» instead", code=row.code, count=len(matches)))
                return None
            (rid, tour_id), = matches
            if row.registrant_id and row.registrant_id != rid:
                problems.add(row.at(ID), Msg("does not match the row's code {code}", code=row.code))
                return None
            if row.tour_id and row.tour_id != tour_id:
                problems.add(row.at(TOUR), Msg("does not match the row's code {code}", code=row.code))
                return None
            return rid, tour_id
        rid = row.registrant_id
        if rid not in self.registrants:
            problems.add(row.at(ID), Msg("{id} is not a registrant of this season", id=repr(rid)))
            return None
        if row.tour_id:
            if row.tour_id not in self.tours:
                problems.add(row.at(TOUR), Msg("{tour} is not a tour of this season", tour=repr(row.tour_id)))
                return None
            return rid, row.tour_id
        held = self.seats.get(rid, [])
        if len(held) == 1:
            return rid, held[0]
        problems.add(row.at(ID), Msg("holds no seat; say which tour in an «ID экскурсии» column") if not held else
                     Msg("holds {count} seats; say which tour in an «ID экскурсии» column", count=len(held)))
        return None


def _marks(resolved: dict[tuple[str, str], ReturnedRow], state: SeatState, files_by_tour: dict[str, set[str]],
           unmarked_absent: bool) -> list[MarkRow]:
    marks = [MarkRow(tour_id, rid, row.mark, False, row.guests, row.prize_handed, str(row.where))
             for (rid, tour_id), row in resolved.items() if row.mark is not None]
    if unmarked_absent:
        complete = {m.tour_id for m in marks}
        marked = {(m.registrant_id, m.tour_id) for m in marks}
        for p in state.placements:
            if p.tour_id in complete and (p.registrant_id, p.tour_id) not in marked:
                row = resolved.get((p.registrant_id, p.tour_id))
                source = str(row.where) if row is not None else "not in the returned roster"
                marks.append(MarkRow(p.tour_id, p.registrant_id, ABSENT, True, None,
                                     row.prize_handed if row is not None else None, source))
    return marks


def _warnings(resolved: dict[tuple[str, str], ReturnedRow], state: SeatState, tours: dict[str, Tour]) -> list[str]:
    today = clock.today()
    seats = {(p.registrant_id, p.tour_id): p.seats for p in state.placements}
    warnings: list[str] = []
    future = sorted({tour_id for (_, tour_id), row in resolved.items()
                     if row.mark is not None and tours[tour_id].date > today})
    if future:
        warnings.append(Msg("marks for tours that have not taken place yet: {tours}", tours=", ".join(future)))
    for pair, row in sorted(resolved.items(), key=lambda item: str(item[1].where)):
        seat = seats.get(pair)
        if row.mark == PRESENT and seat is None:
            warnings.append(Msg("{where}: came, without a seat on {tour} (kept as present)", where=row.where,
                                tour=pair[1]))
        if row.guests and row.mark == ABSENT:
            warnings.append(Msg("{where}: {count} guests came, but the person is marked absent",
                                where=row.at(GUESTS), count=row.guests))
        elif row.guests and seat is not None and row.guests > seat - 1:
            warnings.append(Msg("{where}: {count} guests came; the seat was for {expected}", where=row.at(GUESTS),
                                count=row.guests, expected=seat - 1))
    return warnings


# -- what the season knows ------------------------------------------------------------------------------

def _tour_summaries(tours: dict[str, Tour], state: SeatState, marks: list[MarkRow],
                    imported: dict) -> list[TourAttendance]:
    rows = seat_attendance(state, marks)
    by_tour: dict[str, list[SeatAttendance]] = defaultdict(list)
    for row in rows:
        by_tour[row.tour_id].append(row)
    return [TourAttendance(t.tour_id, t.site_id, t.date, t.start, t.tour_id in state.cancelled_tours,
                           t.tour_id in imported, count_attendance(by_tour.get(t.tour_id, ())))
            for t in sorted(tours.values(), key=lambda t: (t.date, t.start, t.tour_id))]


def list_attendance(season: Season) -> AttendanceListing:
    """Every tour's attendance as it stands, and every seat's status."""
    with season.reader() as conn:
        state = load_seat_state(conn)
        tours = {t.tour_id: t for t in load_tours(conn)}
        tours.update({tour_id: t for tour_id, (t, _) in load_cancelled_tours(conn).items()})
        marks = load_marks(conn)
        imported = load_attendance_imports(conn)
    seats = seat_attendance(state, marks)
    return AttendanceListing(tuple(_tour_summaries(tours, state, marks, imported)), count_attendance(seats),
                             tuple(seats))
