"""Merging duplicate accounts of one person: they take part once, as the kept account, in seats and prizes.

The organizer confirms a cluster that ``registrants duplicates`` lists with
``registrants merge``; ``[duplicates] auto_merge`` merges by itself only the
accounts that share the phone, the full name and the birth date, keeping the
highest score. A merge is logged and ends the dropped accounts' part as a
cancellation with the reason «дубликат», through the same machinery as every
cancellation: their seats and commitments end (the visitors' changes file
says «дубликат»), no allocation places them again, and no prize draw
includes them. The kept account's own data and seats stay as they are.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from openmosprom_cli.allocation.current import current_allocation
from openmosprom_cli.changes.seats import SeatChange, require_reason, unseat
from openmosprom_cli.errors import BadDataError, Location, Problem
from openmosprom_cli.i18n import Msg, _, ngettext
from openmosprom_cli.models import Registrant
from openmosprom_cli.registrants.cells import canonical_id
from openmosprom_cli.registrants.duplicates import find_clusters, keeping_order, shared_evidence, strict_key
from openmosprom_cli.season.clock import now_iso
from openmosprom_cli.season.folder import Season
from openmosprom_cli.store.changes import add_cancellation, add_change, load_cancellations
from openmosprom_cli.store.merges import add_merge, load_merges
from openmosprom_cli.store.registrants import load_registrant, load_registrants

DUPLICATE = "дубликат"                 # the cancellation's reason, as visitors and factories read it
MERGED = "merged"                      # the cause of a seat's end (publication/notices.py says «дубликат»)
AUTOMATIC_REASON = "automatic: the phone, full name and birth date match"


@dataclass(frozen=True)
class MergeReport:
    kept_id: str
    dropped: tuple[str, ...]
    evidence: tuple[str, ...]              # what every account shares with the kept one ("" kinds: none)
    seats_freed: tuple[SeatChange, ...]
    automatic: bool = False


def merge_accounts(season: Season, ids: Sequence[str], *, keep: str, reason: str | None) -> MergeReport:
    """Merge these accounts into ``keep``, all or nothing."""
    why = require_reason(reason, Msg("the accounts are merged"))
    wanted = list(dict.fromkeys(canonical_id(rid) for rid in ids))
    keep = canonical_id(keep)
    if keep not in wanted:
        wanted.insert(0, keep)
    if len(wanted) < 2:
        raise BadDataError(_("name at least two accounts to merge, the one to keep among them"))
    with season.transaction() as conn:
        people = []
        problems = []
        merged = {m.dropped_id: m for m in load_merges(conn)}
        for rid in wanted:
            person = load_registrant(conn, rid)
            if person is None:
                problems.append(Problem(Location("ID", column=rid), Msg("is not a registrant of this season")))
            elif rid in merged:
                problems.append(Problem(Location("ID", column=rid),
                                        Msg("was merged into {kept} on {date} already", kept=merged[rid].kept_id,
                                            date=merged[rid].at[:10])))
            else:
                people.append(person)
        if problems:
            raise BadDataError(_("{problem}; nothing was merged").format(problem=problems[0]) if len(problems) == 1
                               else ngettext("{count} of the IDs cannot be merged; nothing was merged",
                                             "{count} of the IDs cannot be merged; nothing was merged",
                                             len(problems)).format(count=len(problems)), problems)
        kept = next(p for p in people if p.id == keep)
        return merge_in(conn, kept, [p for p in people if p.id != keep], reason=why)


def merge_in(conn: sqlite3.Connection, kept: Registrant, dropped: Sequence[Registrant], *, reason: str,
             automatic: bool = False) -> MergeReport:
    """Merge ``dropped`` into ``kept`` inside the caller's transaction."""
    allocation = current_allocation(conn)
    cancelled = load_cancellations(conn)
    evidence = shared_evidence([kept, *dropped])
    freed: list[SeatChange] = []
    at = now_iso()
    run_id = allocation.run_id if allocation else None
    for person in dropped:
        change_id = add_change(conn, at=at, kind="merge", registrant_id=person.id, reason=reason,
                               detail={"kept": kept.id, "automatic": automatic, "evidence": list(evidence)},
                               run_id=run_id)
        add_merge(conn, dropped_id=person.id, kept_id=kept.id, reason=reason, at=at, automatic=automatic,
                  evidence=evidence, change_id=change_id)
        if person.id in cancelled:
            continue          # already out: their cancellation, with its own reason, stands
        cancel_id = add_change(conn, at=at, kind="cancel", registrant_id=person.id, reason=DUPLICATE,
                               detail={"source": "merge", "kept": kept.id}, run_id=run_id)
        add_cancellation(conn, person.id, reason=DUPLICATE, source="merge", change_id=cancel_id)
        if allocation is not None:
            for placement in [p for p in allocation.placements if p.registrant_id == person.id]:
                freed.append(unseat(conn, allocation, placement, cause=MERGED,
                                    reason="учётная запись объединена с основной", at=at))
    return MergeReport(kept.id, tuple(p.id for p in dropped), evidence, tuple(freed), automatic)


def auto_merge(conn: sqlite3.Connection) -> tuple[MergeReport, ...]:
    """``[duplicates] auto_merge``: merge every group sharing phone, full name and birth date, keeping the
    highest score, inside the caller's transaction."""
    merged = {m.dropped_id for m in load_merges(conn)}
    groups: dict[str, list[Registrant]] = {}
    for person in load_registrants(conn):
        key = strict_key(person)
        if key is not None and person.id not in merged:
            groups.setdefault(key, []).append(person)
    reports = []
    for group in sorted((g for g in groups.values() if len(g) > 1), key=lambda g: min(p.id for p in g)):
        group.sort(key=keeping_order)
        reports.append(merge_in(conn, group[0], group[1:], reason=AUTOMATIC_REASON, automatic=True))
    return tuple(reports)


def find_duplicates(season: Season):
    """Clusters of accounts that may be one person, leaving out the accounts merged away already."""
    with season.reader() as conn:
        merged = {m.dropped_id for m in load_merges(conn)}
        people = [p for p in load_registrants(conn) if p.id not in merged]
    return find_clusters(people)
