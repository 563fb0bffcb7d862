"""Taking a seat away and giving one, as every change does it: logged, and kept or ended as a commitment."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from openmosprom_cli.allocation.current import SEAT, UNSEAT, CurrentAllocation
from openmosprom_cli.allocation.result import Placement
from openmosprom_cli.errors import BadDataError, Location
from openmosprom_cli.i18n import Msg
from openmosprom_cli.models import Holding
from openmosprom_cli.season.clock import now_iso
from openmosprom_cli.store.changes import add_change, add_commitment, end_commitment

# Why a seat ended; the publication tells the visitor in Russian (publication/notices.py).
CANCELLED, TOUR_CANCELLED, CAPACITY_CUT, UNASSIGNED, MOVED = (
    "cancelled", "tour_cancelled", "capacity_cut", "unassigned", "moved")


@dataclass(frozen=True)
class SeatChange:
    """One seat that a change took away or gave, for the organizer's report."""

    registrant_id: str
    tour_id: str
    seats: int
    gained: bool
    was_committed: bool = False


def require_reason(reason: str | None, what: str) -> str:
    """The reason given, on one line; refused when empty. ``what`` (a Msg) says what needs it."""
    text = " ".join((reason or "").split())
    if not text:
        raise BadDataError.at(Location("--reason"), Msg("is required: say why {what}", what=what))
    return text


def unseat(conn: sqlite3.Connection, allocation: CurrentAllocation, placement: Placement, *, cause: str,
           reason: str, at: str | None = None) -> SeatChange:
    """Take this seat away; a commitment it was ends with it."""
    committed = allocation.is_committed(placement.registrant_id, placement.tour_id)
    add_change(conn, at=at or now_iso(), kind=UNSEAT, registrant_id=placement.registrant_id,
               tour_id=placement.tour_id, seats=placement.seats, choice_rank=placement.choice_rank, reason=reason,
               detail={"cause": cause, "committed": committed}, run_id=allocation.run_id)
    if committed:
        end_commitment(conn, placement.registrant_id, placement.tour_id)
    return SeatChange(placement.registrant_id, placement.tour_id, placement.seats, False, committed)


def seat(conn: sqlite3.Connection, allocation: CurrentAllocation, holding: Holding, *, reason: str,
         override: str = "", after_deadline: bool = False) -> SeatChange:
    """Give this seat: an organizer's decision, so every later allocation keeps it (a commitment)."""
    change_id = add_change(conn, at=now_iso(), kind=SEAT, registrant_id=holding.registrant_id,
                           tour_id=holding.tour_id, seats=holding.seats, choice_rank=holding.choice_rank,
                           reason=reason, detail={"override": override, "after_deadline": after_deadline},
                           run_id=allocation.run_id)
    add_commitment(conn, holding, change_id=change_id, override=override)
    return SeatChange(holding.registrant_id, holding.tour_id, holding.seats, True, True)


def seats_taken(allocation: CurrentAllocation, tour_id: str) -> int:
    return sum(p.seats for p in allocation.placements if p.tour_id == tour_id)
