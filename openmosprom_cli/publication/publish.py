"""``publish``: tell the visitors, and from then on keep every seat they were told of.

Publication is an explicit step. It makes every seat of the season's current
allocation a commitment (a later ``assign`` keeps it; only the person, a
cancelled tour, a cut capacity or an organizer's move with a reason ends it),
and writes two numbered files for the mini-app in ``<season>/publications/``:

- ``notifications-NNNN.csv``: everyone's result, one line each;
- ``changes-NNNN.csv``: what changed for whom since the previous publication.

Numbered, so that a file not yet uploaded is never overwritten. The files are
written inside the publication's transaction: if the run is interrupted, the
season still stands at the previous publication and the next ``publish``
writes the same number again.
"""

from __future__ import annotations

import dataclasses
import functools
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from openmosprom_cli.allocation.bulk import collector_paused
from openmosprom_cli.allocation.current import COMMIT, UNSEAT, CurrentAllocation, current_allocation
from openmosprom_cli.allocation.result import Placement
from openmosprom_cli.errors import MissingInputError
from openmosprom_cli.i18n import _
from openmosprom_cli.io.files import inside
from openmosprom_cli.io.writer import write_csv
from openmosprom_cli.models import Holding
from openmosprom_cli.prizes.current import prize_names
from openmosprom_cli.publication.notices import (
    CHANGE_HEADERS,
    Told,
    change_lines,
    change_rows,
    notification_headers,
    notification_rows,
)
from openmosprom_cli.publication.outcomes import person_outcomes
from openmosprom_cli.season.clock import now_iso
from openmosprom_cli.season.folder import Season
from openmosprom_cli.store.changes import (
    COMMITTED_BY_PUBLICATION,
    add_change,
    add_commitment,
    add_publication,
    count_publications,
    last_change_id,
    load_changes,
    load_commitments,
    load_told,
    replace_told,
)
from openmosprom_cli.store.registrants import load_contacts
from openmosprom_cli.store.sites import load_sites
from openmosprom_cli.store.tours import load_cancelled_tours, load_tours
from openmosprom_cli.workers import work_beside, worth_a_process

PUBLICATIONS_FOLDER = "publications"


@dataclass(frozen=True)
class PublicationReport:
    number: int
    run_id: int
    committed: int                         # seats that became commitments now
    changes: tuple[tuple[str, int], ...]   # (what changed, people), as the changes file says it
    notifications_path: Path
    changes_path: Path
    pending_changes: int                   # seats freed since the last assign, which it has not given again yet


def commit_placements(conn: sqlite3.Connection, allocation: CurrentAllocation, placements: Iterable[Placement], *,
                      by: str, at: str | None = None) -> int:
    """Make these seats commitments (those that are not yet), logged as told ``by``; how many became one."""
    at = at or now_iso()
    committed = 0
    for p in sorted(placements, key=lambda p: (p.registrant_id, p.tour_id)):
        if allocation.is_committed(p.registrant_id, p.tour_id):
            continue
        change_id = add_change(conn, at=at, kind=COMMIT, registrant_id=p.registrant_id, tour_id=p.tour_id,
                               seats=p.seats, choice_rank=p.choice_rank, detail={"by": by},
                               run_id=allocation.run_id)
        add_commitment(conn, Holding(p.registrant_id, p.tour_id, p.seats, p.choice_rank), change_id=change_id)
        committed += 1
    return committed


def publish(season: Season) -> PublicationReport:
    # Everyone's record, line and row is made here at once: see allocation/bulk.py.
    with collector_paused(), season.transaction() as conn:
        allocation = current_allocation(conn)
        if allocation is None:
            raise MissingInputError(_("there is no allocation to publish"), hint=_("Run `openmosprom assign` first."))
        sites = load_sites(conn)
        tours = {t.tour_id: t for t in load_tours(conn)}
        all_tours = {**{tour_id: t for tour_id, (t, _) in load_cancelled_tours(conn).items()}, **tours}
        people = load_contacts(conn)

        at = now_iso()
        committed = commit_placements(conn, allocation, allocation.placements, by=COMMITTED_BY_PUBLICATION, at=at)
        # Told now, every seat is a commitment, and its holder waits for no other tour: the places on the
        # waitlists the notices give are those that stand from this publication on (explain, «Резерв»).
        allocation = dataclasses.replace(allocation, commitments={(c.registrant_id, c.tour_id): c
                                                                  for c in load_commitments(conn)})
        lines = person_outcomes(people, sites, tours, allocation)

        told: dict[str, list[Told]] = {}
        for registrant_id, tour_id, date, start in load_told(conn):
            told.setdefault(registrant_id, []).append(Told(tour_id, date, start))
        unseated = {(c.registrant_id or "", c.tour_id or ""): c for c in load_changes(conn) if c.kind == UNSEAT}
        changes = change_lines(lines, told, all_tours, unseated)

        number = count_publications(conn) + 1
        folder = season.path / PUBLICATIONS_FOLDER
        notifications_path = inside(folder, f"notifications-{number:04d}.csv")
        changes_path = inside(folder, f"changes-{number:04d}.csv")
        # Names and tours of people: owner only.
        prizes = prize_names(conn)
        write_notifications = functools.partial(
            write_csv, notifications_path, notification_headers(prizes),
            notification_rows(lines, prizes, season.settings.prizes.pickup), private=True)
        # Everyone's notice is written by a second process while this one records who was told what (see
        # workers.py), or else here afterwards.
        with work_beside(write_notifications, what=notifications_path.name,
                         label=_("Writing {file}").format(file=notifications_path.name),
                         worth_it=worth_a_process(len(lines))):
            write_csv(changes_path, CHANGE_HEADERS, change_rows(changes, sites), private=True)
            replace_told(conn, ((line.person.id, t.tour_id, t.date.isoformat(), t.start.strftime("%H:%M"))
                                for line in lines for t, _ in line.tours), publication_id=number)
        relative = [str(p.relative_to(season.path.resolve())) for p in (notifications_path, changes_path)]
        add_publication(conn, at=at, kind="publish", run_id=allocation.run_id, change_id=last_change_id(conn),
                        files=relative, people=len(lines))
        # Freed before the collector runs again: its first pass would look at every record made while it was paused.
        del people, lines
    counts = Counter(c.what for c in changes)
    freed = sum(1 for c in allocation.changes_since if c.kind == UNSEAT)
    return PublicationReport(number, allocation.run_id, committed, tuple(sorted(counts.items())), notifications_path,
                             changes_path, freed)
