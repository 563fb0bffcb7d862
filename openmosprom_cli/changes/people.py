"""Changes to people's seats: cancellations (and reinstating), and an organizer's moves.

A cancelled person leaves every tour and every waitlist, and no allocation
places them again unless they are reinstated. A move puts a person on a tour
(from another, or from none) as an organizer decides, with a reason: the
eligibility rules and the tour's capacity still hold unless ``override`` says
why not, and a frozen tour takes someone only ``after_deadline``. Nothing
changes a tour once it has started.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.allocation.current import CurrentAllocation, current_allocation
from openmosprom_cli.allocation.deadlines import has_started, is_frozen, roster_deadline
from openmosprom_cli.allocation.inputs import Applicant
from openmosprom_cli.allocation.rules import eligibility, overlaps, tour_minutes
from openmosprom_cli.changes.seats import (
    CANCELLED,
    MOVED,
    UNASSIGNED,
    SeatChange,
    require_reason,
    seat,
    seats_taken,
    unseat,
)
from openmosprom_cli.errors import BadDataError, Location, MissingInputError, Problem
from openmosprom_cli.i18n import RUSSIAN, Msg, _, language, ngettext
from openmosprom_cli.io.reader import read_file_table
from openmosprom_cli.io.tables import Column
from openmosprom_cli.io.values import check_text
from openmosprom_cli.models import OUTCOME_TEXT, Holding, Registrant, Tour
from openmosprom_cli.registrants.cells import canonical_id
from openmosprom_cli.season import clock
from openmosprom_cli.season.clock import now_iso
from openmosprom_cli.season.folder import Season
from openmosprom_cli.store.changes import add_cancellation, add_change, load_cancellations, remove_cancellation
from openmosprom_cli.store.merges import load_merges
from openmosprom_cli.store.registrants import load_registrant
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours

DECLINED_IN_THE_APP = "отказ в мини-приложении"
DECLINE_COLUMNS = (Column("id", ("ID VK", "id", "ID ВК", "VK ID", "vk_id", "ID пользователя", "user_id"),
                          required=True),
                   Column("reason", ("Причина", "reason", "Комментарий", "comment")))


@dataclass(frozen=True)
class CancellationReport:
    cancelled: tuple[str, ...]                 # IDs cancelled now
    already: tuple[str, ...]                   # IDs that were cancelled before: left as they were
    seats_freed: tuple[SeatChange, ...]


@dataclass(frozen=True)
class MoveReport:
    registrant_id: str
    changes: tuple[SeatChange, ...]
    override: str                              # the rule broken on purpose, with the reason; "" when none
    frozen: bool                               # the tour's list was frozen (allowed with --after-deadline)


# -- cancellations -------------------------------------------------------------------------------------------

def cancel_registrants(season: Season, ids: Sequence[str] = (), *, reason: str | None = None,
                       file: Path | None = None, encoding: str | None = None) -> CancellationReport:
    """Cancel people by ID, or those listed in a file of declines (the mini-app's export); all or nothing.

    An organizer's cancellation needs a reason; a file's rows may give theirs in a «Причина» column, and
    are the visitors' own declines otherwise.
    """
    wanted: list[tuple[str, str, Location]] = []      # (ID, reason, where it was named)
    if file is not None:
        table = read_file_table(file, DECLINE_COLUMNS, season.settings.limits, encoding=encoding)
        for record in table.records:
            rid = canonical_id(check_text(record.get("id", "")))
            own = check_text(record.get("reason", "")).strip()
            why = own or (reason or "").strip() or DECLINED_IN_THE_APP
            wanted.append((rid, why, table.location(record.row, "id")))
    if ids:
        why = require_reason(reason, Msg("these people are cancelled"))
        wanted += [(canonical_id(rid), why, Location("ID", column=rid)) for rid in ids]
    if not wanted:
        raise BadDataError(_("name the people to cancel: their IDs, or --file with the declines"))
    with season.transaction() as conn:
        allocation = current_allocation(conn)
        problems = [Problem(where, Msg("{id} is not a registrant of this season", id=repr(rid)) if rid
                            else Msg("the ID is empty"))
                    for rid, _why, where in wanted if not rid or load_registrant(conn, rid) is None]
        if problems:
            raise BadDataError(str(problems[0]) if len(problems) == 1 else
                               ngettext("{count} ID is not a registrant of this season; nothing was cancelled",
                                        "{count} IDs are not registrants of this season; nothing was cancelled",
                                        len(problems)).format(count=len(problems)), problems)
        already_cancelled = load_cancellations(conn)
        cancelled: list[str] = []
        already: list[str] = []
        freed: list[SeatChange] = []
        source = file.name if file is not None else "organizer"
        for rid, why, _where in wanted:
            if rid in already_cancelled or rid in cancelled:
                already.append(rid)
                continue
            at = now_iso()
            change_id = add_change(conn, at=at, kind="cancel", registrant_id=rid, reason=why,
                                   detail={"source": source}, run_id=allocation.run_id if allocation else None)
            add_cancellation(conn, rid, reason=why, source=source, change_id=change_id)
            cancelled.append(rid)
            if allocation is not None:
                for placement in [p for p in allocation.placements if p.registrant_id == rid]:
                    freed.append(unseat(conn, allocation, placement, cause=CANCELLED, reason=why, at=at))
    return CancellationReport(tuple(cancelled), tuple(dict.fromkeys(already)), tuple(freed))


def reinstate_registrants(season: Season, ids: Sequence[str], *, reason: str | None) -> tuple[str, ...]:
    """Undo cancellations: the next allocation considers these people again (their old seats are not restored)."""
    why = require_reason(reason, Msg("these people are reinstated"))
    ids = [canonical_id(rid) for rid in ids]
    with season.transaction() as conn:
        cancelled = load_cancellations(conn)
        unknown = [rid for rid in ids if rid not in cancelled]
        if unknown:
            raise BadDataError(_("not cancelled: {ids}; nothing was changed").format(ids=", ".join(unknown)),
                               [Problem(Location("ID", column=rid), Msg("is not cancelled")) for rid in unknown])
        # A merged-away duplicate is one person with its kept account: reinstating it would let them in twice.
        merged = {m.dropped_id: m.kept_id for m in load_merges(conn)}
        duplicates = [rid for rid in ids if rid in merged]
        if duplicates:
            raise BadDataError(
                _("merged into another account as a duplicate: {ids}; nothing was changed").format(
                    ids=", ".join(duplicates)),
                [Problem(Location("ID", column=rid), Msg("was merged into {kept}", kept=merged[rid]))
                 for rid in duplicates],
                hint=_("The person takes part as the account that was kept."))
        allocation = current_allocation(conn)
        for rid in ids:
            add_change(conn, at=now_iso(), kind="reinstate", registrant_id=rid, reason=why,
                       run_id=allocation.run_id if allocation else None)
            remove_cancellation(conn, rid)
    return tuple(ids)


# -- an organizer's moves ---------------------------------------------------------------------------------------

def move_registrant(season: Season, registrant_id: str, tour_id: str, *, reason: str | None,
                    from_tour: str | None = None, override: bool = False,
                    after_deadline: bool = False) -> MoveReport:
    """Put a person on a tour, from the seat they hold (or ``from_tour`` among several), or from none."""
    why = require_reason(reason, Msg("the person is moved"))
    registrant_id = canonical_id(registrant_id)
    with season.transaction() as conn:
        allocation, person, tours = _context(conn, registrant_id)
        target = tours.get(tour_id)
        if target is None:
            raise BadDataError.at(Location(_("TOUR"), column=tour_id), Msg("is not a tour of this season"))
        sites = load_sites(conn)
        site = sites[target.site_id]
        now = clock.now()
        if has_started(target, now):
            raise BadDataError(_("{tour} has already started ({when}); nothing changes a tour once it has "
                                 "started").format(tour=tour_id, when=f"{target.date:%d.%m.%Y} {target.start:%H:%M}"))
        frozen = is_frozen(target, site, now.date())
        if frozen and not after_deadline:
            raise BadDataError(
                _("the list of {tour} is frozen since {date} (the factory's deadline); nothing was changed").format(
                    tour=tour_id, date=f"{roster_deadline(target, site):%d.%m.%Y}"),
                hint=_("Pass --after-deadline to fill a freed seat all the same."))
        held = [p for p in allocation.placements if p.registrant_id == registrant_id]
        if any(p.tour_id == tour_id for p in held):
            raise BadDataError(_("{id} already holds a seat on {tour}; nothing was changed").format(
                id=registrant_id, tour=tour_id))
        leaving = _leaving(held, from_tour, registrant_id)
        if leaving is not None and has_started(tours[leaving.tour_id], now):
            raise BadDataError(_("{tour} has already started; nothing changes it").format(tour=leaving.tour_id))
        staying = [p for p in held if p is not leaving]
        applicant = Applicant.of(person)
        broken = _rules_broken(applicant, target, site, staying, tours, allocation,
                               season.settings.max_tours_per_person)
        if broken and not override:
            raise BadDataError(_("{id} cannot be moved to {tour}: {rules}; nothing was changed").format(
                id=registrant_id, tour=tour_id, rules="; ".join(broken)),
                hint=_("Pass --override, with the reason in --reason, to do it all the same."))
        changes = []
        if leaving is not None:
            changes.append(unseat(conn, allocation, leaving, cause=MOVED, reason=why))
        rank = next((i for i, choice in enumerate(person.choices, 1) if choice in (tour_id, target.site_id)), 0)
        exception = f"{'; '.join(broken)} — {why}" if broken else ""
        changes.append(seat(conn, allocation, Holding(registrant_id, tour_id, applicant.party_size, rank),
                            reason=why, override=exception, after_deadline=frozen))
    return MoveReport(registrant_id, tuple(changes), exception, frozen)


def unassign_registrant(season: Season, registrant_id: str, *, reason: str | None,
                        tour_id: str | None = None) -> tuple[SeatChange, ...]:
    """Take a person's seat away (``tour_id`` among several); the next ``assign`` gives it to the next in line."""
    why = require_reason(reason, Msg("the seat is taken away"))
    registrant_id = canonical_id(registrant_id)
    with season.transaction() as conn:
        allocation, _person, tours = _context(conn, registrant_id)
        held = [p for p in allocation.placements if p.registrant_id == registrant_id]
        leaving = _leaving(held, tour_id, registrant_id)
        if leaving is None:
            raise BadDataError(_("{id} holds no seat; nothing was changed").format(id=registrant_id))
        if has_started(tours[leaving.tour_id], clock.now()):
            raise BadDataError(_("{tour} has already started; nothing changes it").format(tour=leaving.tour_id))
        return (unseat(conn, allocation, leaving, cause=UNASSIGNED, reason=why),)


def _context(conn: sqlite3.Connection, registrant_id: str) -> tuple[CurrentAllocation, Registrant, dict[str, Tour]]:
    allocation = current_allocation(conn)
    if allocation is None:
        raise MissingInputError(_("there is no allocation yet"),
                                hint=_("Give out the seats with `openmosprom assign`."))
    person = load_registrant(conn, registrant_id)
    if person is None:
        raise BadDataError.at(Location("ID", column=registrant_id), Msg("is not a registrant of this season"))
    if registrant_id in load_cancellations(conn):
        raise BadDataError(_("{id} is cancelled; reinstate them first (`openmosprom registrants reinstate`)").format(
            id=registrant_id))
    return allocation, person, {t.tour_id: t for t in load_tours(conn)}


def _leaving(held, from_tour: str | None, registrant_id: str):
    if from_tour is not None:
        leaving = next((p for p in held if p.tour_id == from_tour), None)
        if leaving is None:
            raise BadDataError(_("{id} holds no seat on {tour}; nothing was changed").format(
                id=registrant_id, tour=from_tour))
        return leaving
    if len(held) > 1:
        raise BadDataError(ngettext("{id} holds {count} seat ({tours}); say which with --from",
                                    "{id} holds {count} seats ({tours}); say which with --from", len(held)).format(
            id=registrant_id, count=len(held), tours=", ".join(p.tour_id for p in held)))
    return held[0] if held else None


def _rules_broken(applicant: Applicant, target: Tour, site, staying, tours: dict[str, Tour],
                  allocation: CurrentAllocation, limit: int) -> list[str]:
    """The rules this move would break, each said as the rule that stops it, in the interface's language.

    They are kept with the seat as the documented exception (``audit`` lists it), as they were said then.
    """
    broken = []
    reason = eligibility(applicant, target, site)
    if reason is not None:
        broken.append(OUTCOME_TEXT[reason][1 if language() == RUSSIAN else 0])
    left = max(target.capacity - seats_taken(allocation, target.tour_id), 0)
    if applicant.party_size > left:
        broken.append(ngettext("the tour is full: {count} seat left for a party of {party}",
                               "the tour is full: {count} seats left for a party of {party}", left).format(
                                   count=left, party=applicant.party_size))
    if len(staying) + 1 > limit:
        broken.append(ngettext("it would give the person more than {count} tour",
                               "it would give the person more than {count} tours", limit).format(count=limit))
    clash = [p.tour_id for p in staying if overlaps(tour_minutes(tours[p.tour_id]), tour_minutes(target))]
    if clash:
        broken.append(_("it overlaps {tours}, which the person holds").format(tours=", ".join(clash)))
    return broken
