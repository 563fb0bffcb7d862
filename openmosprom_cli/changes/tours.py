"""Changes to the season's tours: cancelled, cut, moved in time, or added late.

- A cancelled tour sends its visitors back to the next ``assign``, which
  gives them what is left by their priority.
- A capacity cut below the seats taken takes away the seats of the
  lowest-priority parties first, whole parties, until the rest fit.
- A tour moved to another date or time keeps its ID, so every choice and
  every seat that names it holds; its visitors keep their seats and are told
  that the time changed.
- A late tour is filled by the next ``assign``.

Until a tour starts, it can be cancelled or cut; after, nothing changes it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from openmosprom_cli.allocation.current import CurrentAllocation, current_allocation
from openmosprom_cli.allocation.deadlines import has_started
from openmosprom_cli.changes.seats import CAPACITY_CUT, TOUR_CANCELLED, SeatChange, require_reason, unseat
from openmosprom_cli.errors import BadDataError, Location
from openmosprom_cli.i18n import Msg, _
from openmosprom_cli.models import Tour, make_tour_id
from openmosprom_cli.season import clock
from openmosprom_cli.season.clock import now_iso
from openmosprom_cli.season.folder import Season
from openmosprom_cli.store.changes import add_change
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import add_tour, cancel_tour, load_tours, tour_ids_ever, update_tour


@dataclass(frozen=True)
class TourChangeReport:
    tour: Tour
    seats_freed: tuple[SeatChange, ...]


def cancel_season_tour(season: Season, tour_id: str, *, reason: str | None) -> TourChangeReport:
    why = require_reason(reason, Msg("the tour is cancelled"))
    with season.transaction() as conn:
        tour = _tour(conn, tour_id)
        return TourChangeReport(tour, cancel(conn, current_allocation(conn), tour, reason=why))


def cancel(conn: sqlite3.Connection, allocation: CurrentAllocation | None, tour: Tour, *,
           reason: str) -> tuple[SeatChange, ...]:
    """Cancel a tour in the caller's transaction; its visitors lose their seats."""
    _not_started(tour)
    at = now_iso()
    add_change(conn, at=at, kind="tour_cancel", tour_id=tour.tour_id, reason=reason,
               run_id=allocation.run_id if allocation else None)
    cancel_tour(conn, tour.tour_id, reason)
    if allocation is None:
        return ()
    return tuple(unseat(conn, allocation, p, cause=TOUR_CANCELLED, reason=reason, at=at)
                 for p in _by_priority(allocation, tour.tour_id))


def change_capacity(conn: sqlite3.Connection, allocation: CurrentAllocation | None, tour: Tour, capacity: int, *,
                    reason: str) -> tuple[SeatChange, ...]:
    """A new capacity; below the seats taken, the lowest-priority parties lose theirs until the rest fit."""
    _not_started(tour)
    at = now_iso()
    add_change(conn, at=at, kind="tour_capacity", tour_id=tour.tour_id, reason=reason,
               detail={"from": tour.capacity, "to": capacity}, run_id=allocation.run_id if allocation else None)
    update_tour(conn, _with(tour, capacity=capacity))
    if allocation is None:
        return ()
    seated = _by_priority(allocation, tour.tour_id)
    taken = sum(p.seats for p in seated)
    freed = []
    for placement in reversed(seated):
        if taken <= capacity:
            break
        freed.append(unseat(conn, allocation, placement, cause=CAPACITY_CUT, reason=reason, at=at))
        taken -= placement.seats
    return tuple(freed)


def change_time(conn: sqlite3.Connection, allocation: CurrentAllocation | None, tour: Tour, moved: Tour, *,
                reason: str) -> None:
    """Another date, start or duration; the ID and every seat on the tour stay."""
    _not_started(tour)
    add_change(conn, at=now_iso(), kind="tour_time", tour_id=tour.tour_id, reason=reason,
               detail={"from": [tour.date.isoformat(), tour.start.strftime("%H:%M"), tour.duration_min],
                       "to": [moved.date.isoformat(), moved.start.strftime("%H:%M"), moved.duration_min]},
               run_id=allocation.run_id if allocation else None)
    update_tour(conn, _with(moved, capacity=tour.capacity))


def add_late_tour(conn: sqlite3.Connection, allocation: CurrentAllocation | None, tour: Tour, *,
                  reason: str) -> Tour:
    """A new tour, with an ID no tour of the season ever had; the next ``assign`` fills it."""
    tour = _with(tour, tour_id=unused_tour_id(conn, tour))
    add_change(conn, at=now_iso(), kind="tour_add", tour_id=tour.tour_id, reason=reason,
               detail={"date": tour.date.isoformat(), "start": tour.start.strftime("%H:%M"),
                       "capacity": tour.capacity}, run_id=allocation.run_id if allocation else None)
    add_tour(conn, tour)
    return tour


def add_season_tour(season: Season, site_id: str, date: dt.date, start: dt.time, *, capacity: int,
                    duration_min: int | None = None, reason: str | None = None) -> Tour:
    """``slots add``: a late tour at a site whose schedule is known, inside the season's window."""
    why = require_reason(reason, Msg("a tour is added"))
    settings = season.settings
    with season.transaction() as conn:
        sites = load_sites(conn)
        site = sites.get(site_id)
        if site is None:
            raise BadDataError.at(Location(_("SITE"), column=site_id), Msg("is not a site of this season"),
                                  hint=_("`openmosprom schedules list` shows the sites."))
        if not settings.window_start <= date <= settings.window_end:
            raise BadDataError.at(Location(_("DATE"), column=f"{date:%d.%m.%Y}"),
                                  Msg("is outside the season window {start}–{end}",
                                      start=f"{settings.window_start:%d.%m.%Y}", end=f"{settings.window_end:%d.%m.%Y}"))
        if date in settings.blackout_dates:
            raise BadDataError.at(Location(_("DATE"), column=f"{date:%d.%m.%Y}"), Msg("is a blackout date"))
        if capacity < 1:
            raise BadDataError.at(Location("--capacity"), Msg("must be at least 1"))
        tour = Tour("", site_id, date, start, duration_min or site.duration_min, capacity)
        if has_started(tour, clock.now()):
            raise BadDataError(_("{when} has already passed").format(when=f"{date:%d.%m.%Y} {start:%H:%M}"))
        clash = [t.tour_id for t in load_tours(conn) if t.site_id == site_id and tour.starts_at < t.ends_at
                 and t.starts_at < tour.ends_at]
        if clash:
            raise BadDataError(_("it overlaps {tours} at the same site; nothing was changed").format(
                tours=", ".join(clash)))
        return add_late_tour(conn, current_allocation(conn), tour, reason=why)


def unused_tour_id(conn: sqlite3.Connection, tour: Tour) -> str:
    """The readable ID of its site, date and start; with a suffix when a tour of the season (even a cancelled or
    a moved one) already uses it."""
    base = make_tour_id(tour.site_id, tour.date, tour.start)
    taken = tour_ids_ever(conn)
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _by_priority(allocation: CurrentAllocation, tour_id: str):
    """The seats on a tour, first in priority first; people without a priority (registered after the run) last."""
    return sorted((p for p in allocation.placements if p.tour_id == tour_id),
                  key=lambda p: (allocation.priorities.get(p.registrant_id) is None,
                                 allocation.priorities.get(p.registrant_id, 0), p.registrant_id))


def _not_started(tour: Tour) -> None:
    if has_started(tour, clock.now()):
        raise BadDataError(_("{tour} has already started ({when}); nothing changes a tour once it has "
                             "started").format(tour=tour.tour_id, when=f"{tour.date:%d.%m.%Y} {tour.start:%H:%M}"))


def _tour(conn: sqlite3.Connection, tour_id: str) -> Tour:
    tour = next((t for t in load_tours(conn) if t.tour_id == tour_id), None)
    if tour is None:
        raise BadDataError.at(Location(_("TOUR"), column=tour_id), Msg("is not a tour of this season"))
    return tour


def _with(tour: Tour, **fields) -> Tour:
    from dataclasses import replace

    return replace(tour, **fields)
