"""Kept seats that their holder's data, as it stands now, would not give them.

After publication a later import may clear a passport at a passport site or
add guests. The seat stays (a commitment ends only by the rules), and nobody
is given extra places automatically; the organizer is told instead, by the
import that made the change (logged as a ``data_changed`` change, so
``explain`` shows it) and by every ``audit``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from openmosprom_cli.allocation.inputs import Applicant
from openmosprom_cli.allocation.rules import eligibility
from openmosprom_cli.models import OUTCOME_TEXT
from openmosprom_cli.store.changes import CommitmentRow
from openmosprom_cli.store.registrants import load_registrants
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_tours

DATA_CHANGED = "data_changed"


@dataclass(frozen=True)
class Attention:
    """Someone keeps a seat that their data, as it is now, would not give them: for the organizer to decide."""

    registrant_id: str
    tour_id: str
    what: str


def kept_seats_needing_attention(conn: sqlite3.Connection, commitments: Mapping[tuple[str, str], CommitmentRow],
                                 *, only: Collection[str] | None = None) -> tuple[Attention, ...]:
    """The commitments (of ``only`` these people, if given) whose holder's current data would not give that seat."""
    if not commitments:
        return ()
    wanted = set(only) if only is not None else None
    if wanted is not None and not any(rid in wanted for rid, _ in commitments):
        return ()
    people = {p.id: p for p in load_registrants(conn) if wanted is None or p.id in wanted}
    tours = {t.tour_id: t for t in load_tours(conn)}
    sites = load_sites(conn)
    found = []
    for (rid, tour_id), commitment in sorted(commitments.items()):
        person, tour = people.get(rid), tours.get(tour_id)
        if person is None or tour is None or commitment.override:
            continue
        applicant = Applicant.of(person)
        if applicant.party_size > commitment.holding.seats:
            found.append(Attention(rid, tour_id, f"now a party of {applicant.party_size}; the seat was given for "
                                                 f"{commitment.holding.seats}, and extra guests are never added "
                                                 "by themselves"))
        reason = eligibility(applicant, tour, sites[tour.site_id])
        if reason is not None:
            found.append(Attention(rid, tour_id, f"no longer eligible as the data stands: "
                                                 f"{OUTCOME_TEXT[reason][0]}"))
    return tuple(found)
