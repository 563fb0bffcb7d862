"""What the marks mean for each seat: present, a no-show, not known, or excused.

The one definition used by ``attendance list``, the report and the history of
a season (:mod:`openmosprom_cli.history.facts`):

- a seat of the season as it stands (the current run with every change since)
  on a tour that takes place is **present** when marked so, a **no-show**
  when marked absent, and **unknown** when unmarked: many factories tick only
  arrivals, and an empty cell is not an absence;
- someone who cancelled, someone whose tour was cancelled, and someone marked
  on a tour they no longer hold a seat on are never no-shows: marked absent,
  they are **excused**; marked present, they came all the same.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from openmosprom_cli.allocation.current import apply_changes
from openmosprom_cli.allocation.result import Placement
from openmosprom_cli.attendance.marks import ABSENT, PRESENT
from openmosprom_cli.store.attendance import MarkRow, current_run_ref
from openmosprom_cli.store.changes import load_cancellations, load_changes
from openmosprom_cli.store.runs import load_placements
from openmosprom_cli.store.tours import load_cancelled_tours

UNKNOWN, EXCUSED = "unknown", "excused"
NO_SHOW = ABSENT
STATUSES = (PRESENT, NO_SHOW, UNKNOWN, EXCUSED)


@dataclass(frozen=True)
class SeatState:
    """Who sits where now, and who or what was cancelled."""

    placements: tuple[Placement, ...]       # the current run's seats after every change since; () without a run
    cancelled_people: frozenset[str]
    cancelled_tours: frozenset[str]
    has_run: bool = True


@dataclass(frozen=True)
class SeatAttendance:
    registrant_id: str
    tour_id: str
    seats: int                 # the party the seat was given for; 0 for someone marked who holds no seat there
    status: str                # present | absent (a no-show) | unknown | excused
    guests: int | None = None  # «Пришло гостей», as marked
    prize_handed: bool | None = None
    inferred: bool = False     # absent because the tour was read as complete (--unmarked-absent)
    listed: bool = True        # holds a seat on the tour now

    @property
    def expected_guests(self) -> int:
        return max(self.seats - 1, 0)


def load_seat_state(conn: sqlite3.Connection) -> SeatState:
    """The seats as they stand, read without the run's waitlists and outcomes."""
    ref = current_run_ref(conn)
    cancelled_tours = frozenset(load_cancelled_tours(conn))
    cancelled_people = frozenset(load_cancellations(conn))
    if ref is None:
        return SeatState((), cancelled_people, cancelled_tours, has_run=False)
    run_id, last_change, _ = ref
    placements = tuple(Placement(*row) for row in load_placements(conn, run_id))
    return SeatState(apply_changes(placements, tuple(load_changes(conn, after=last_change))), cancelled_people,
                     cancelled_tours)


def seat_attendance(state: SeatState, marks: Iterable[MarkRow]) -> list[SeatAttendance]:
    """Every seat on a tour that takes place, with its status; then everyone marked who holds no seat there."""
    by_pair: dict[tuple[str, str], MarkRow] = {(m.registrant_id, m.tour_id): m for m in marks}
    found: list[SeatAttendance] = []
    for p in sorted(state.placements, key=lambda p: (p.tour_id, p.registrant_id)):
        if p.tour_id in state.cancelled_tours:
            continue
        mark = by_pair.pop((p.registrant_id, p.tour_id), None)
        if mark is None:
            found.append(SeatAttendance(p.registrant_id, p.tour_id, p.seats, UNKNOWN))
            continue
        excused = p.registrant_id in state.cancelled_people
        status = PRESENT if mark.mark == PRESENT else (EXCUSED if excused else NO_SHOW)
        found.append(SeatAttendance(p.registrant_id, p.tour_id, p.seats, status, mark.guests, mark.prize_handed,
                                    mark.inferred and status == NO_SHOW))
    for (rid, tour_id), mark in sorted(by_pair.items()):
        status = PRESENT if mark.mark == PRESENT else EXCUSED
        found.append(SeatAttendance(rid, tour_id, 0, status, mark.guests, mark.prize_handed, listed=False))
    return found


@dataclass(frozen=True)
class AttendanceCounts:
    """One tour's, one site's or the season's attendance."""

    seats_held: int = 0        # people holding a seat
    present: int = 0
    no_shows: int = 0
    unknown: int = 0
    excused: int = 0
    came_unlisted: int = 0     # marked present without a seat there
    guests_expected: int = 0
    guests_came: int = 0       # as counted in «Пришло гостей» (blank counts as none known)

    @property
    def marked(self) -> int:
        return self.present + self.no_shows

    def no_show_share(self) -> float | None:
        """No-shows among the marked seats; None before any mark."""
        return self.no_shows / self.marked if self.marked else None


def count_attendance(rows: Iterable[SeatAttendance]) -> AttendanceCounts:
    held = present = no_shows = unknown = excused = unlisted = guests_expected = guests_came = 0
    for row in rows:
        if row.listed:
            held += 1
            guests_expected += row.expected_guests
        if row.status == PRESENT:
            if row.listed:
                present += 1
            else:
                unlisted += 1
            guests_came += row.guests or 0
        elif row.status == NO_SHOW:
            no_shows += 1
        elif row.status == UNKNOWN:
            unknown += 1
        elif row.listed:
            excused += 1
    return AttendanceCounts(held, present, no_shows, unknown, excused, unlisted, guests_expected, guests_came)


def counts_by(rows: Iterable[SeatAttendance], key: Mapping[str, str]) -> dict[str, AttendanceCounts]:
    """Counts per group: ``key`` maps a tour ID to its group (its site, say)."""
    groups: dict[str, list[SeatAttendance]] = {}
    for row in rows:
        groups.setdefault(key.get(row.tour_id, row.tour_id), []).append(row)
    return {group: count_attendance(members) for group, members in groups.items()}

